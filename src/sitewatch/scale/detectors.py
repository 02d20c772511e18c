"""Detectors the batch can distribute: the ONNX model engine, and a clearly named stand-in.

A detector is a :class:`DetectorSpec`: a name and version (what the workspace records per run,
and what decides whether a finished scene is skipped on restart) plus a picklable function
``fn(path, *, gsd_m) -> list of detections`` in that raster's pixel frame. The batch hands it
either a whole small scene or a window of a large one (as a VRT that points into the scene),
so every detector is window-based without knowing it.

:func:`bright_blobs` is a real but simple image-processing detector — bright compact objects
against their surroundings (white top-hat, threshold, connected components, minimum-area
rectangles). It knows nothing of aircraft or ships: its class is ``bright-blob`` and its
version says ``stand-in``. It exists so the batch can be tested and benchmarked without the
trained model, and so a run with it can never be mistaken for a model run.

>>> spec = stand_in_detector()
>>> spec.name, spec.version
('stand-in-bright-blobs', 'stand-in-bright-blobs-1')
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pyproj import Transformer

from sitewatch.errors import InputError, SitewatchError
from sitewatch.imagery.reader import RasterReader, Window

__all__ = [
    "DetectorSpec",
    "FoundObject",
    "bright_blobs",
    "default_detector",
    "model_detector",
    "stand_in_detector",
]

Point = tuple[float, float]


@dataclass(frozen=True)
class FoundObject:
    """One detection as the batch moves it from a worker to the store (plain, picklable).

    Has every attribute :func:`sitewatch.store.detections_repo.add_detections` reads.
    """

    class_name: str
    score: float
    cx: float
    cy: float
    length_px: float
    width_px: float
    angle_deg: float
    polygon: tuple[Point, ...]
    model_version: str
    polygon_wgs84: str | None = None

    def shifted(self, dx: float, dy: float) -> FoundObject:
        """The same object with pixel coordinates moved by (dx, dy) — window to scene frame.

        >>> o = FoundObject("x", 0.5, 1.0, 2.0, 3.0, 1.0, 0.0, ((0.0, 0.0),), "v")
        >>> o.shifted(100, 10).cx, o.shifted(100, 10).polygon
        (101.0, ((100.0, 10.0),))
        """
        return FoundObject(
            self.class_name,
            self.score,
            self.cx + dx,
            self.cy + dy,
            self.length_px,
            self.width_px,
            self.angle_deg,
            tuple((x + dx, y + dy) for x, y in self.polygon),
            self.model_version,
            self.polygon_wgs84,
        )


@dataclass(frozen=True)
class DetectorSpec:
    """A detector the batch can ship to workers.

    ``fn(path, *, gsd_m)`` must be picklable (a module-level function, or a
    :func:`functools.partial` of one) and return objects with ``class_name``, ``score``,
    ``cx``, ``cy``, ``length_px``, ``width_px``, ``angle_deg``, ``polygon`` and optionally
    ``polygon_wgs84``.
    """

    name: str
    version: str
    fn: Callable[..., Sequence[Any]]
    params: dict[str, Any] = field(default_factory=dict)
    model_sha256: str | None = None


def _to_found(d: Any, version: str) -> FoundObject:
    """Any detector's detection as a :class:`FoundObject`."""
    poly = getattr(d, "polygon", None) or ()
    if hasattr(poly, "exterior"):
        poly = list(poly.exterior.coords)[:-1]
    wgs = getattr(d, "polygon_wgs84", None)
    return FoundObject(
        class_name=str(d.class_name),
        score=float(d.score),
        cx=float(d.cx),
        cy=float(d.cy),
        length_px=float(d.length_px),
        width_px=float(d.width_px),
        angle_deg=float(d.angle_deg),
        polygon=tuple((float(p[0]), float(p[1])) for p in poly),
        model_version=str(getattr(d, "model_version", None) or version),
        polygon_wgs84=wgs if isinstance(wgs, str) or wgs is None else str(wgs.wkt),
    )


# --- the stand-in ------------------------------------------------------------------------

STAND_IN_VERSION = "stand-in-bright-blobs-1"


def _long_axis_deg(box: npt.NDArray[Any]) -> float:
    e1, e2 = box[1] - box[0], box[2] - box[1]
    v = e1 if float(np.hypot(*e1)) >= float(np.hypot(*e2)) else e2
    return float(math.degrees(math.atan2(float(v[1]), float(v[0]))) % 180.0)


def bright_blobs(
    path: str | Path,
    *,
    gsd_m: float,
    work_gsd_m: float = 2.0,
    min_length_m: float = 8.0,
    max_length_m: float = 90.0,
    min_contrast: float = 60.0,
    max_objects: int = 500,
) -> list[FoundObject]:
    """Stand-in detector: bright compact objects (class ``bright-blob``), in pixel coordinates.

    The raster is read once, resampled to ``work_gsd_m`` (the batch gives it windows of at
    most a few thousand pixels, so this stays small). A white top-hat with a square of
    ``max_length_m`` keeps what is brighter than its surroundings and smaller than that;
    pixels at least ``min_contrast`` grey levels above their surroundings are grouped into
    components, and each component of ``min_length_m``–``max_length_m`` becomes an oriented
    box. Score: the component's peak contrast over twice the threshold, capped at 1.

    Examples
    --------
    >>> import numpy as np, rasterio, tempfile, os
    >>> img = np.full((3, 400, 400), 60, np.uint8)
    >>> img[:, 100:120, 200:250] = 230                    # a 25 m × 10 m bright object
    >>> p = os.path.join(tempfile.mkdtemp(), "b.tif")
    >>> with rasterio.open(p, "w", driver="GTiff", width=400, height=400, count=3,
    ...                    dtype="uint8") as ds:
    ...     ds.write(img)
    >>> [(d.class_name, round(d.cx), round(d.cy), round(d.angle_deg)) for d in
    ...  bright_blobs(p, gsd_m=0.5)]
    [('bright-blob', 226, 110, 0)]
    >>> bright_blobs(p, gsd_m=0.5, min_length_m=30)       # shorter than asked for
    []
    """
    with RasterReader(path) as reader:
        scale = max(1.0, work_gsd_m / gsd_m)
        rows = max(1, round(reader.height / scale))
        cols = max(1, round(reader.width / scale))
        rgb = reader.read(Window(0, 0, reader.width, reader.height), out_shape=(rows, cols))
        ds = reader.dataset
        to_wgs = None
        if ds.crs is not None and not ds.transform.is_identity:
            to_wgs = Transformer.from_crs(ds.crs.to_wkt(), "EPSG:4326", always_xy=True)
        transform = ds.transform
        sx, sy = reader.width / cols, reader.height / rows
    work = gsd_m * max(sx, sy)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    del rgb
    k = max(3, round(max_length_m / work) | 1)
    tophat = cv2.morphologyEx(
        gray, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    valid = gray > 0  # zero is padding / no data, not dark ground
    if not valid.any():
        return []
    # a fixed contrast, not one from the window's statistics: what is found at a place must
    # not depend on which window it was read in
    thr = float(min_contrast)
    raw = ((tophat > thr) & valid).astype(np.uint8)
    # an odd kernel: an even one shifts the opened mask by a pixel
    mask = cv2.morphologyEx(raw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    found: list[FoundObject] = []
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if max(w, h) * work < min_length_m * 0.5 or max(w, h) * work > max_length_m * 1.5:
            continue
        sub = labels[y : y + h, x : x + w] == i
        ys, xs = np.nonzero(sub)
        pts = np.column_stack([xs + x, ys + y]).astype(np.float32)
        # pixel-centre coordinates → corner-based so the box spans whole pixels
        rect = cv2.minAreaRect(pts)
        (rcx, rcy), (rw, rh), ang = rect
        rect = ((rcx, rcy), (rw + 1.0, rh + 1.0), ang)
        length_w = max(rw, rh) + 1.0
        width_w = min(rw, rh) + 1.0
        if not min_length_m <= length_w * work <= max_length_m or width_w * work < 2.0:
            continue
        box = cv2.boxPoints(rect)
        peak = float(tophat[y : y + h, x : x + w][sub].max())
        poly = tuple(((float(px) + 0.5) * sx, (float(py) + 0.5) * sy) for px, py in box)
        wkt = None
        if to_wgs is not None:
            ring = [transform * p for p in poly]
            lon, lat = to_wgs.transform([p[0] for p in ring], [p[1] for p in ring])
            pts_txt = [f"{a!r} {b!r}" for a, b in zip(lon, lat, strict=True)]
            wkt = "POLYGON ((" + ", ".join([*pts_txt, pts_txt[0]]) + "))"
        found.append(
            FoundObject(
                class_name="bright-blob",
                score=min(1.0, peak / (2.0 * thr)),
                cx=(rcx + 0.5) * sx,
                cy=(rcy + 0.5) * sy,
                length_px=length_w * max(sx, sy),
                width_px=width_w * max(sx, sy),
                angle_deg=_long_axis_deg(box),
                polygon=poly,
                model_version=STAND_IN_VERSION,
                polygon_wgs84=wkt,
            )
        )
    found.sort(key=lambda o: (-o.score, o.cy, o.cx))
    return found[:max_objects]


def stand_in_detector(**params: Any) -> DetectorSpec:
    """The bright-blob stand-in as a spec; ``params`` go to :func:`bright_blobs`."""
    fn = functools.partial(bright_blobs, **params) if params else bright_blobs
    return DetectorSpec("stand-in-bright-blobs", STAND_IN_VERSION, fn, dict(params))


# --- the model engine ----------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _load_model(path: str, threads: int) -> Any:
    """One ONNX session per worker process and model, reused by every task it runs."""
    from sitewatch.detect import load_model

    return load_model(path, threads=threads)


def _run_model(
    path: str | Path, *, gsd_m: float, model_path: str, threads: int = 1, **kw: Any
) -> list[FoundObject]:
    engine = importlib.import_module("sitewatch.detect")
    model = _load_model(model_path, threads)
    dets = engine.detect_raster(path, gsd_m=gsd_m, model=model, **kw)
    return [_to_found(d, model.version) for d in dets]


def model_detector(
    model: str | Path | None = None, *, threads: int = 1, **params: Any
) -> DetectorSpec:
    """The ONNX detector engine (:func:`sitewatch.detect.detect_raster`) as a spec.

    The model is opened here once to read its version (what restart compares) and again once
    per worker process. ``threads`` is ONNX Runtime's per-worker thread count: one process per
    core with one thread each uses the cores without oversubscribing them. ``params`` go to
    :func:`~sitewatch.detect.detect_raster` (``views``, ``zooms``, ``threshold``…) and into
    each run's record.
    """
    try:
        engine = importlib.import_module("sitewatch.detect")
        load = engine.load_model
        engine.detect_raster  # noqa: B018 - fail here, not on a worker, if it is missing
    except (ImportError, AttributeError) as exc:
        raise SitewatchError(
            f"the detector engine is not installed ({exc}); use --detector stand-in to try "
            "the batch with the bright-blob stand-in"
        ) from None
    path = Path(model) if model is not None else Path(engine.default_model_path())
    if not path.is_file():
        raise InputError(
            "model file not found",
            path=path,
            field="--model",
            expected="a model from `sitewatch train`, or --detector stand-in to try the batch",
        )
    mdl = load(path, threads=1)
    from sitewatch.imagery.reader import sha256_file

    # the runs record how the engine read each pass, its defaults included
    readings = importlib.import_module("sitewatch.detect.engine")
    params = {"views": readings.DEFAULT_VIEWS, "zooms": readings.DEFAULT_ZOOMS, **params}

    fn = functools.partial(_run_model, model_path=str(path), threads=threads, **params)
    return DetectorSpec(
        name=path.stem,
        version=str(mdl.version),
        fn=fn,
        params={"model": str(path), **params},
        model_sha256=sha256_file(path),
    )


def default_detector(model: str | Path | None = None) -> DetectorSpec:
    """The model engine when it is installed, else a :class:`SitewatchError` that says how to
    run the stand-in instead (a blob finder is never used silently in place of the model)."""
    return model_detector(model)
