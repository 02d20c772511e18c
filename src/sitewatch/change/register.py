"""Co-registration of two passes: a transform from BEFORE pixels to AFTER pixels.

Plain images are registered from image features in two steps, so that a large raster is
never held whole: SIFT features on a reduced view give a coarse similarity transform
(RANSAC), then features in full-resolution windows spread over the overlap — each window of
AFTER read where the coarse transform says it lies — give the final affine or homography
(RANSAC again) and the residual over its inliers. Georeferenced passes start from their CRS
transforms instead of the coarse step and are refined the same way.

A pair that shares no ground is refused with :class:`RegistrationError`, never registered
to a guess.

>>> reg = Registration.from_matrix([[1, 0, 10], [0, 1, -5], [0, 0, 1]], (100, 100), (100, 100),
...                                gsd_m=0.5)
>>> reg.to_after([[0.0, 0.0]]).tolist()
[[10.0, -5.0]]
>>> round(reg.overlap, 3)
0.855
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from shapely.geometry import Polygon, box

from sitewatch.errors import SitewatchError
from sitewatch.imagery.reader import RasterReader, Window

__all__ = [
    "ImageFeatures",
    "Registration",
    "RegistrationError",
    "TransformModel",
    "coarse_transform",
    "extract_features",
    "register_files",
    "register_passes",
    "register_readers",
]

F64 = npt.NDArray[np.float64]


class RegistrationError(SitewatchError):
    """Two passes do not overlap, or their overlap cannot be registered."""


class TransformModel(enum.StrEnum):
    """The final transform's degrees of freedom."""

    SIMILARITY = "similarity"
    AFFINE = "affine"
    HOMOGRAPHY = "homography"


@dataclass(frozen=True)
class Registration:
    """A transform from BEFORE pixels to AFTER pixels and how well it is supported.

    ``rms_px`` is the root-mean-square reprojection error of the inlier correspondences in
    AFTER pixels; ``overlap`` is the fraction of BEFORE's area that lies inside AFTER.
    """

    matrix: tuple[tuple[float, float, float], ...]
    before_size: tuple[int, int]
    after_size: tuple[int, int]
    inliers: int = 0
    rms_px: float = 0.0
    gsd_m: float | None = None
    model: str = TransformModel.AFFINE.value
    method: str = "given"

    @classmethod
    def from_matrix(
        cls,
        matrix: npt.ArrayLike,
        before_size: tuple[int, int],
        after_size: tuple[int, int],
        **kw: Any,
    ) -> Registration:
        """Build from a 3×3 (or 2×3) matrix; sizes are ``(width, height)``."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape == (2, 3):
            m = np.vstack([m, [0.0, 0.0, 1.0]])
        if m.shape != (3, 3):
            raise ValueError(f"matrix must be 3×3 or 2×3, got {m.shape}")
        m = m / m[2, 2]
        rows = tuple(tuple(float(v) for v in r) for r in m)
        return cls(rows, before_size, after_size, **kw)  # type: ignore[arg-type]

    @property
    def m(self) -> F64:
        """The matrix as an array."""
        return np.asarray(self.matrix, dtype=np.float64)

    @property
    def rms_m(self) -> float | None:
        """Residual in metres (needs a GSD)."""
        return None if self.gsd_m is None else self.rms_px * self.gsd_m

    @property
    def scale(self) -> float:
        """Mean linear scale of the transform at BEFORE's centre."""
        a = self.m[:2, :2]
        return float(math.sqrt(abs(np.linalg.det(a))))

    def to_after(self, xy: npt.ArrayLike) -> F64:
        """Map BEFORE pixel points ``(N, 2)`` into AFTER pixels."""
        return _apply(self.m, xy)

    def to_before(self, xy: npt.ArrayLike) -> F64:
        """Map AFTER pixel points ``(N, 2)`` into BEFORE pixels."""
        return _apply(np.linalg.inv(self.m), xy)

    def inverse(self) -> Registration:
        """The AFTER→BEFORE registration."""
        return Registration.from_matrix(
            np.linalg.inv(self.m),
            self.after_size,
            self.before_size,
            inliers=self.inliers,
            rms_px=self.rms_px / max(self.scale, 1e-9),
            gsd_m=self.gsd_m,
            model=self.model,
            method=self.method,
        )

    def overlap_polygon(self) -> Polygon:
        """The shared ground as a polygon in BEFORE pixels."""
        w, h = self.after_size
        corners = self.to_before([[0, 0], [w, 0], [w, h], [0, h]])
        shared = Polygon(corners.tolist()).buffer(0).intersection(box(0, 0, *self.before_size))
        return shared if isinstance(shared, Polygon) else Polygon()

    @property
    def overlap(self) -> float:
        """Fraction of BEFORE's area that AFTER also shows."""
        w, h = self.before_size
        return float(self.overlap_polygon().area / (w * h))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the CLI's ``registration`` object)."""
        return {
            "matrix": [[round(v, 8) for v in r] for r in self.matrix],
            "model": self.model,
            "method": self.method,
            "inliers": self.inliers,
            "rms_px": round(self.rms_px, 4),
            "rms_m": None if self.rms_m is None else round(self.rms_m, 4),
            "overlap": round(self.overlap, 4),
            "before_size": list(self.before_size),
            "after_size": list(self.after_size),
        }


def _apply(m: npt.ArrayLike, xy: npt.ArrayLike) -> F64:
    m = np.asarray(m, dtype=np.float64)
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    hom = np.hstack([pts, np.ones((len(pts), 1))]) @ m.T
    out: F64 = hom[:, :2] / hom[:, 2:3]
    return out


@dataclass(frozen=True)
class ImageFeatures:
    """Keypoints (in full-resolution pixels) and descriptors of a reduced view of a raster."""

    points: npt.NDArray[np.float32]
    descriptors: npt.NDArray[np.float32]
    size: tuple[int, int]
    scale: float  # full-resolution pixels per reduced pixel


def _gray(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    # Passes differ in sun and season; local contrast equalisation makes features comparable.
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    out: npt.NDArray[np.uint8] = np.asarray(clahe.apply(g), dtype=np.uint8)
    return out


def _sift(
    gray: npt.NDArray[np.uint8], n: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    sift = cv2.SIFT.create(nfeatures=n)
    kps, desc = sift.detectAndCompute(gray, None)
    if desc is None or not kps:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    pts = np.array([k.pt for k in kps], dtype=np.float32)
    return pts, np.asarray(desc, dtype=np.float32)


def extract_features(reader: RasterReader, max_side: int = 1024, n: int = 4000) -> ImageFeatures:
    """SIFT features of a decimated view of the whole raster (cheap: one small read)."""
    thumb = reader.thumbnail(max_side)
    scale = max(reader.width, reader.height) / max(thumb.shape[:2])
    pts, desc = _sift(_gray(thumb), n)
    return ImageFeatures(pts * np.float32(scale), desc, (reader.width, reader.height), scale)


def _ratio_matches(
    d1: npt.NDArray[np.float32], d2: npt.NDArray[np.float32], ratio: float = 0.8
) -> list[tuple[int, int]]:
    if len(d1) < 2 or len(d2) < 2:
        return []
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    out = []
    for pair in matcher.knnMatch(d1, d2, k=2):
        if len(pair) == 2 and pair[0].distance < ratio * pair[1].distance:
            out.append((pair[0].queryIdx, pair[0].trainIdx))
    return out


def coarse_transform(
    fa: ImageFeatures, fb: ImageFeatures, min_inliers: int = 25
) -> tuple[F64, int] | None:
    """Similarity transform BEFORE→AFTER (full-resolution pixels) from reduced-view features.

    Returns ``(matrix 3×3, inliers)`` or ``None`` when fewer than ``min_inliers`` matches
    agree — the usual answer for two different places.
    """
    pairs = _ratio_matches(fa.descriptors, fb.descriptors)
    if len(pairs) < min_inliers:
        return None
    src = fa.points[[i for i, _ in pairs]]
    dst = fb.points[[j for _, j in pairs]]
    cv2.setRNGSeed(0)
    thr = 3.0 * max(fa.scale, fb.scale)
    m, mask = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=thr, maxIters=5000, confidence=0.999
    )
    if m is None or mask is None:
        return None
    n_in = int(mask.sum())
    if n_in < min_inliers:
        return None
    full = np.vstack([m, [0.0, 0.0, 1.0]])
    s = math.sqrt(abs(np.linalg.det(full[:2, :2])))
    # Sensors differ in GSD, but not by more than 4× for passes worth comparing.
    if not 0.25 <= s <= 4.0:
        return None
    return full, n_in


def _grid_windows(
    coarse: F64, before: tuple[int, int], after: tuple[int, int], size: int, n: int
) -> list[tuple[Window, Window]]:
    """Window pairs spread over the overlap; AFTER windows centred where BEFORE's land.

    The grid covers the bounding box of the shared ground (not all of BEFORE), so two
    neighbouring tiles that share a strip still get ``n × n`` windows in that strip.
    """
    shared = Registration.from_matrix(coarse, before, after).overlap_polygon()
    if shared.is_empty:
        return []
    x0, y0, x1, y1 = shared.bounds
    half = size // 2
    xs = np.linspace(x0 + half, max(x1 - half, x0 + half), n) if x1 - x0 > size else [(x0 + x1) / 2]
    ys = np.linspace(y0 + half, max(y1 - half, y0 + half), n) if y1 - y0 > size else [(y0 + y1) / 2]
    s = math.sqrt(abs(np.linalg.det(coarse[:2, :2])))
    bsize = int(size * s) + 64  # margin for the coarse transform's error
    out = []
    for y in ys:
        for x in xs:
            (bx, by) = _apply(coarse, [[x, y]])[0]
            # Keep windows whose centre lands inside AFTER with room for features around it.
            if not (0 <= bx <= after[0] and 0 <= by <= after[1]):
                continue
            wa = Window(int(x) - half, int(y) - half, size, size)
            wb = Window(int(bx) - bsize // 2, int(by) - bsize // 2, bsize, bsize)
            out.append((wa, wb))
    return out


def _refine(
    ra: RasterReader,
    rb: RasterReader,
    coarse: F64,
    model: TransformModel,
    window: int,
    grid: int,
    gate_px: float,
) -> tuple[F64, int, float]:
    src_all: list[npt.NDArray[np.float32]] = []
    dst_all: list[npt.NDArray[np.float32]] = []
    for wa, wb in _grid_windows(coarse, (ra.width, ra.height), (rb.width, rb.height), window, grid):
        pa, da = _sift(_gray(ra.read(wa)), 1500)
        pb, db = _sift(_gray(rb.read(wb)), 1500)
        pairs = _ratio_matches(da, db, 0.85)
        if not pairs:
            continue
        src = pa[[i for i, _ in pairs]] + np.array([wa.col, wa.row], np.float32)
        dst = pb[[j for _, j in pairs]] + np.array([wb.col, wb.row], np.float32)
        # Only matches the coarse transform agrees with: repeated stands and markings at
        # airports otherwise give confident but wrong pairs.
        err = np.linalg.norm(_apply(coarse, src) - dst, axis=1)
        keep = err < gate_px
        src_all.append(src[keep])
        dst_all.append(dst[keep])
    if not src_all or sum(len(s) for s in src_all) < 12:
        raise RegistrationError(
            "cannot register: too few full-resolution feature matches agree — the passes do "
            "not seem to show the same ground"
        )
    src = np.concatenate(src_all)
    dst = np.concatenate(dst_all)
    cv2.setRNGSeed(0)
    if model is TransformModel.HOMOGRAPHY:
        m, mask = cv2.findHomography(src, dst, cv2.RANSAC, 2.0, maxIters=5000, confidence=0.999)
    elif model is TransformModel.SIMILARITY:
        m2, mask = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0, maxIters=5000
        )
        m = None if m2 is None else np.vstack([m2, [0.0, 0.0, 1.0]])
    else:
        m2, mask = cv2.estimateAffine2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0, maxIters=5000
        )
        m = None if m2 is None else np.vstack([m2, [0.0, 0.0, 1.0]])
    if m is None or mask is None:
        raise RegistrationError("cannot register: RANSAC found no consistent transform")
    inl = mask.ravel().astype(bool)
    res = np.linalg.norm(_apply(m, src[inl]) - dst[inl], axis=1)
    rms = float(np.sqrt(np.mean(res**2))) if len(res) else float("inf")
    return np.asarray(m, dtype=np.float64), int(inl.sum()), rms


def register_readers(
    ra: RasterReader,
    rb: RasterReader,
    *,
    gsd_m: float | None = None,
    model: TransformModel | str = TransformModel.AFFINE,
    initial: F64 | None = None,
    min_inliers: int = 25,
    min_overlap: float = 0.02,
    max_rms_px: float = 4.0,
    features: tuple[ImageFeatures, ImageFeatures] | None = None,
    window: int = 512,
    grid: int = 4,
) -> Registration:
    """Register two open rasters (BEFORE ``ra`` → AFTER ``rb``).

    ``initial`` (3×3, e.g. from the passes' CRS) replaces the feature-based coarse step.
    ``features`` lets a caller that already extracted reduced-view features reuse them.

    Raises
    ------
    RegistrationError
        When the passes share no ground, too few features agree, or the residual is larger
        than ``max_rms_px``.
    """
    mdl = TransformModel(model)
    sizes = ((ra.width, ra.height), (rb.width, rb.height))
    if initial is None:
        fa, fb = features or (extract_features(ra), extract_features(rb))
        # The reduced view needs fewer agreeing matches than the full-resolution check below:
        # a small shared strip gives few, and a chance agreement is caught there anyway.
        found = coarse_transform(fa, fb, max(12, min_inliers * 3 // 5))
        if found is None:
            raise RegistrationError(
                f"cannot register {ra.path.name} to {rb.path.name}: too few image features "
                "agree — they do not seem to show the same ground"
            )
        coarse, _ = found
        gate = 6.0 * max(fa.scale, fb.scale)
        method = "sift-coarse+sift-windows"
    else:
        coarse = np.asarray(initial, dtype=np.float64)
        gate = 40.0  # georeferencing of two passes commonly disagrees by a few metres
        method = "crs+sift-windows"
    start = Registration.from_matrix(coarse, *sizes, gsd_m=gsd_m)
    if start.overlap < min_overlap:
        raise RegistrationError(
            f"passes do not overlap: {ra.path.name} and {rb.path.name} share "
            f"{start.overlap:.1%} of the ground (need ≥ {min_overlap:.0%})"
        )
    m, inliers, rms = _refine(ra, rb, coarse, mdl, window, grid, gate)
    if inliers < min_inliers:
        raise RegistrationError(
            f"cannot register: only {inliers} full-resolution matches agree (need ≥ "
            f"{min_inliers}) — the passes do not seem to show the same ground"
        )
    if rms > max_rms_px:
        raise RegistrationError(
            f"cannot register: residual {rms:.1f} px is above the {max_rms_px:.1f} px limit"
        )
    reg = Registration.from_matrix(
        m, *sizes, inliers=inliers, rms_px=rms, gsd_m=gsd_m, model=mdl.value, method=method
    )
    if reg.overlap < min_overlap:
        raise RegistrationError(
            f"passes do not overlap: they share {reg.overlap:.1%} of the ground"
        )
    return reg


def register_files(
    before: str | Path,
    after: str | Path,
    *,
    gsd_m: float | None = None,
    model: TransformModel | str = TransformModel.AFFINE,
    **kw: Any,
) -> Registration:
    """Register two image files from their features (see :func:`register_readers`).

    >>> import os, tempfile, numpy as np, cv2
    >>> d = tempfile.mkdtemp(); a = os.path.join(d, "a.png"); b = os.path.join(d, "b.png")
    >>> img = np.zeros((600, 600, 3), np.uint8)
    >>> _ = cv2.imwrite(a, img); _ = cv2.imwrite(b, img)
    >>> register_files(a, b)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sitewatch.change.register.RegistrationError: cannot register a.png to b.png: too few ...
    """
    with RasterReader(before) as ra, RasterReader(after) as rb:
        return register_readers(ra, rb, gsd_m=gsd_m, model=model, **kw)


def _crs_initial(pa: Any, pb: Any) -> F64:
    """BEFORE pixel → AFTER pixel through the passes' CRS transforms."""
    from rasterio.warp import transform as warp_points

    ta = np.array([[*pa.transform[:3]], [*pa.transform[3:6]], [0, 0, 1]], dtype=np.float64)
    tb = np.array([[*pb.transform[:3]], [*pb.transform[3:6]], [0, 0, 1]], dtype=np.float64)
    if pa.crs == pb.crs:
        out: F64 = np.linalg.inv(tb) @ ta
        return out
    # Different CRSs: map a grid of points and fit the affine that links them.
    g = np.array(
        [[x, y] for x in np.linspace(0, pa.width, 5) for y in np.linspace(0, pa.height, 5)]
    )
    world = _apply(ta, g)
    xs, ys = warp_points(pa.crs, pb.crs, world[:, 0].tolist(), world[:, 1].tolist())
    pix = _apply(np.linalg.inv(tb), np.column_stack([xs, ys]))
    m, _ = cv2.estimateAffine2D(g.astype(np.float32), pix.astype(np.float32), method=cv2.LMEDS)
    return np.vstack([m, [0.0, 0.0, 1.0]])


def register_passes(before: Any, after: Any, **kw: Any) -> Registration:
    """Register two :class:`~sitewatch.imagery.Pass` objects.

    Georeferenced (MAP) passes start from their CRS transforms and are refined from image
    features; pixel-frame passes are registered from features alone. The GSD is BEFORE's.
    """
    gsd = before.gsd_m if before.gsd_m is not None else after.gsd_m
    initial = None
    if (
        getattr(before, "transform", None)
        and getattr(after, "transform", None)
        and before.crs
        and after.crs
    ):
        initial = _crs_initial(before, after)
    with RasterReader(before.path) as ra, RasterReader(after.path) as rb:
        if initial is not None:
            start = Registration.from_matrix(initial, (ra.width, ra.height), (rb.width, rb.height))
            if start.overlap < kw.get("min_overlap", 0.02):
                raise RegistrationError(
                    f"passes do not overlap: their footprints share {start.overlap:.1%} of "
                    f"pass {before.id or before.path}'s ground"
                )
        return register_readers(ra, rb, gsd_m=gsd, initial=initial, **kw)
