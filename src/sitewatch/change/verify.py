"""A second look before reporting an arrival or a departure.

A detector that misses an object in one pass, or fires on a static structure, turns each
such error into a false "arrived"/"departed". Before emitting one, these verifiers look at
the other pass where the registration puts the object:

* :class:`PatchVerifier` warps the other pass's pixels onto the object's box and compares
  them with the object's own pixels (normalised cross-correlation of gradient magnitude,
  which shrugs off the brightness and contrast changes between dates). The same content in
  both passes means the object did not leave or arrive.
* :class:`BoxVerifier` looks for a low-threshold detection of a compatible class near the
  registered position.
* :class:`AnyVerifier` combines them: present if any says so.

>>> import numpy as np
>>> from sitewatch.change.register import Registration
>>> img = np.zeros((200, 200, 3), np.uint8); img[80:120, 70:130] = 255
>>> reg = Registration.from_matrix(np.eye(3), (200, 200), (200, 200))
>>> ev = ChangeEvent(EventKind.DEPARTED, "aircraft", Box(100, 100, 60, 40, 0, "aircraft"), None)
>>> PatchVerifier(img, img)(ev, reg).present
True
>>> PatchVerifier(img, np.zeros_like(img))(ev, reg).present
False
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from sitewatch.change.boxes import Box
from sitewatch.change.events import ChangeEvent, EventKind, Verdict, Verifier
from sitewatch.change.register import Registration
from sitewatch.imagery.reader import RasterReader, Window

__all__ = [
    "AnyVerifier",
    "BoxVerifier",
    "PatchVerifier",
    "nodata_fraction",
    "patch_similarity",
    "registered_patches",
]

Image = npt.NDArray[np.uint8] | RasterReader


def _read(img: Image, win: Window) -> npt.NDArray[np.uint8]:
    if isinstance(img, RasterReader):
        return img.read(win)
    h, w = img.shape[:2]
    out = np.zeros((win.height, win.width, 3), np.uint8)
    x0, y0 = max(win.col, 0), max(win.row, 0)
    x1, y1 = min(win.col + win.width, w), min(win.row + win.height, h)
    if x1 > x0 and y1 > y0:
        src = img[y0:y1, x0:x1]
        if src.ndim == 2:
            src = np.repeat(src[:, :, None], 3, axis=2)
        out[y0 - win.row : y1 - win.row, x0 - win.col : x1 - win.col] = src[:, :, :3]
    return out


def _size(img: Image) -> tuple[int, int]:
    if isinstance(img, RasterReader):
        return img.width, img.height
    return int(img.shape[1]), int(img.shape[0])


def registered_patches(
    own: Image,
    other: Image,
    box: Box,
    own_to_other: npt.ArrayLike,
    pad: float = 0.3,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """The box's patch in its own pass, the other pass warped onto it, and the mask.

    The mask is the (slightly dilated) box where the other pass has pixels. Only the window
    around the box is read from each pass.
    """
    x0, y0, x1, y1 = box.bounds()
    margin = max(8.0, pad * max(x1 - x0, y1 - y0))
    win = Window(
        int(np.floor(x0 - margin)),
        int(np.floor(y0 - margin)),
        int(np.ceil(x1 - x0 + 2 * margin)),
        int(np.ceil(y1 - y0 + 2 * margin)),
    )
    a = _read(own, win)
    corners = np.array(
        [
            [win.col, win.row],
            [win.col + win.width, win.row],
            [win.col + win.width, win.row + win.height],
            [win.col, win.row + win.height],
        ],
        dtype=np.float64,
    )
    fwd = np.asarray(own_to_other, dtype=np.float64)
    hom = np.hstack([corners, np.ones((4, 1))]) @ fwd.T
    pts = hom[:, :2] / hom[:, 2:3]
    bx0, by0 = np.floor(pts.min(axis=0)).astype(int) - 2
    bx1, by1 = np.ceil(pts.max(axis=0)).astype(int) + 2
    bwin = Window(int(bx0), int(by0), int(bx1 - bx0), int(by1 - by0))
    b_raw = _read(other, bwin)
    # own patch pixel → own full → other full → other patch pixel
    t_own = np.array([[1, 0, win.col], [0, 1, win.row], [0, 0, 1]], dtype=np.float64)
    t_oth = np.array([[1, 0, -bwin.col], [0, 1, -bwin.row], [0, 0, 1]], dtype=np.float64)
    m = t_oth @ fwd @ t_own
    b = np.asarray(
        cv2.warpPerspective(
            b_raw, m, (win.width, win.height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        ),
        dtype=np.uint8,
    )
    box_mask = np.zeros((win.height, win.width), np.uint8)
    poly = np.array(box.corners(), dtype=np.float64) - [win.col, win.row]
    cv2.fillPoly(box_mask, [np.round(poly).astype(np.int32)], 255)
    # A few pixels of surroundings help (shadow, outline); pixels that fall outside the
    # other raster carry nothing to compare, so they leave the mask.
    grown = cv2.dilate(box_mask, np.ones((5, 5), np.uint8))
    ow, oh = _size(other)
    inside = np.zeros((bwin.height, bwin.width), np.uint8)
    inside[
        max(-bwin.row, 0) : max(min(oh - bwin.row, bwin.height), 0),
        max(-bwin.col, 0) : max(min(ow - bwin.col, bwin.width), 0),
    ] = 255
    valid = cv2.warpPerspective(
        inside, m, (win.width, win.height), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    )
    valid = cv2.erode(valid, np.ones((5, 5), np.uint8))
    mask = np.asarray(np.where((grown > 0) & (valid > 0), 255, 0), dtype=np.uint8)
    return a, b, mask


def _grad(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    g = cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), (3, 3), 0)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    out: npt.NDArray[np.float32] = np.asarray(cv2.magnitude(gx, gy), dtype=np.float32)
    return out


def _ncc(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return 0.0 if den < 1e-6 else float((a * b).sum() / den)


def patch_similarity(
    a: npt.NDArray[np.uint8],
    b: npt.NDArray[np.uint8],
    mask: npt.NDArray[np.uint8],
    max_shift: int = 4,
) -> float:
    """Similarity in [-1, 1] of two registered patches over ``mask`` (-1: nothing to compare).

    The best normalised cross-correlation of gradient magnitude over shifts of up to
    ``max_shift`` pixels, which absorbs registration residual and parallax.

    >>> p = np.zeros((40, 40, 3), np.uint8); p[10:30, 12:28] = 200
    >>> m = np.full((40, 40), 255, np.uint8)
    >>> round(patch_similarity(p, np.roll(p, 2, axis=1), m), 2)
    1.0
    """
    ga, gb = _grad(a), _grad(b)
    sel = mask > 0
    best = -1.0
    h, w = mask.shape
    s = max_shift
    for dy in range(-s, s + 1, 2):
        for dx in range(-s, s + 1, 2):
            ys, xs = slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0))
            yb, xb = slice(max(-dy, 0), h + min(-dy, 0)), slice(max(-dx, 0), w + min(-dx, 0))
            m = sel[ys, xs]
            if m.sum() < 16:
                continue
            best = max(best, _ncc(ga[ys, xs][m], gb[yb, xb][m]))
    return best


def nodata_fraction(other_patch: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8]) -> float:
    """Share of the masked pixels that are no-data fill (black) in the other pass.

    Scenes delivered as tiles carry black fill where the sensor saw nothing; JPEG noise
    keeps it a few levels above zero.

    >>> p = np.zeros((10, 10, 3), np.uint8); p[:, 5:] = 120
    >>> nodata_fraction(p, np.full((10, 10), 255, np.uint8))
    0.5
    """
    sel = mask > 0
    if not sel.any():
        return 1.0
    black = other_patch.max(axis=2) <= 8
    return float(black[sel].mean())


@dataclass
class PatchVerifier:
    """Present when the other pass shows the same content on the object's box.

    ``threshold`` is the gradient-NCC above which the content counts as unchanged. It is set
    high (0.7): on the Airbus pairs, 99 % of real arrivals/departures score below it, while
    the same stand with an aircraft in both passes often scores far lower too (different
    aircraft, sun, season) — so this catches identical content (a false alarm on a fixed
    structure, a miss of a parked aircraft that did not move) and leaves the rest to a
    low-threshold detection (:class:`BoxVerifier`). See ``docs/change-eval.md``.
    """

    before: Image
    after: Image
    threshold: float = 0.7
    max_nodata: float = 0.3

    def __call__(self, event: ChangeEvent, reg: Registration) -> Verdict:
        """Compare the box's patch with the registered patch of the other pass."""
        if event.kind is EventKind.DEPARTED and event.before is not None:
            a, b, mask = registered_patches(self.before, self.after, event.before, reg.m)
        elif event.kind is EventKind.ARRIVED and event.after is not None:
            a, b, mask = registered_patches(
                self.after, self.before, event.after, np.linalg.inv(reg.m)
            )
        else:
            return Verdict(False)
        nodata = nodata_fraction(b, mask)
        if nodata > self.max_nodata:
            side = "AFTER" if event.kind is EventKind.DEPARTED else "BEFORE"
            return Verdict(False, None, f"{side} has no imagery there ({nodata:.0%} fill)", False)
        sim = patch_similarity(a, b, mask)
        return Verdict(sim >= self.threshold, sim, f"patch similarity {sim:.2f}")


@dataclass
class BoxVerifier:
    """Present when a low-threshold detection of the same class lies near the position."""

    before: Sequence[Box]
    after: Sequence[Box]
    radius_px: float = 25.0

    def __call__(self, event: ChangeEvent, reg: Registration) -> Verdict:
        """Look for a compatible box within ``radius_px`` of the registered position."""
        if event.registered_xy is None:
            return Verdict(False)
        own = event.before or event.after
        pool = self.after if event.kind is EventKind.DEPARTED else self.before
        x, y = event.registered_xy
        for b in pool:
            if own is not None and b.canonical != own.canonical:
                continue
            if (b.cx - x) ** 2 + (b.cy - y) ** 2 <= self.radius_px**2:
                return Verdict(True, None, f"low-score detection (score {b.score:.2f}) there")
        return Verdict(False)


@dataclass
class AnyVerifier:
    """Present if any of several verifiers says so (the first that does gives the note)."""

    verifiers: Sequence[Verifier]

    def __call__(self, event: ChangeEvent, reg: Registration) -> Verdict:
        """Ask each verifier in turn."""
        last = Verdict(False)
        for v in self.verifiers:
            last = v(event, reg)
            if last.present:
                return last
        return last
