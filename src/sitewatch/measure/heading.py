"""Telling nose from tail (bow from stern) from the image patch under an oriented box.

The cue is the object's *width profile* along an axis: the fraction of "object" pixels across
the box at each station from one end to the other. Seen from above,

* an aircraft's nose end carries only the fuselage, while its tail end carries the tailplanes
  (about a third of the wingspan), so the nose-end window is the narrower one;
* a ship's bow tapers to a stem, while the stern ends in a broad transom, so again the bow-end
  window is the narrower one.

So the front is the end whose outer window (the last 10 % of the length for ships, 15 % for
aircraft, so that the tailplanes fall inside it) holds less object width.
``contrast = (w_plus - w_minus) / (w_plus + w_minus)`` measures how clearly the ends differ;
below :data:`MIN_CONTRAST` the sense is left undecided (heading modulo 180°).

Object pixels are those differing from the background, estimated from a ring just outside the
box, by more than ``k`` robust standard deviations (median absolute deviation × 1.4826).

>>> import numpy as np
>>> from sitewatch.measure.box import OrientedBox
>>> img = np.zeros((60, 100), dtype=np.uint8)
>>> img[27:33, 10:90] = 200           # fuselage along x, nose at x=90
>>> img[10:50, 45:55] = 200           # wings
>>> img[20:40, 12:18] = 200           # tailplane near x=10
>>> cue = nose_cue(img, OrientedBox(50, 30, 80, 40, 0.0, "aircraft"))
>>> cue.sign, cue.axis_deg, cue.contrast > 0.3
(1, 0.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sitewatch.measure.box import OrientedBox, fold180

__all__ = ["MIN_CONTRAST", "NoseCue", "nose_cue", "width_profile"]

#: Below this end-to-end width contrast the two ends are treated as alike.
MIN_CONTRAST = 0.15
#: Share of the length read at each end. Tuned on the 525 labelled ships of DOTA P0706 (whose
#: first corner marks the bow): with 10 % windows the cue decides 73 % of ships and agrees with
#: the label on 77 % of those; 20 % windows agree on only 65 %.
_END_FRACTION = {"ship": 0.1, "aircraft": 0.15}
_MAX_SAMPLES = 200


@dataclass(frozen=True)
class NoseCue:
    """Which way an object points along an axis.

    ``sign`` is +1 when the front is at the +axis end (direction ``axis_deg``), -1 at the
    -axis end, 0 when undecided. ``axis_deg`` is the axis the cue was read on (the box's long
    axis, or for aircraft possibly the short one, when the fuselage is shorter than the span).
    """

    sign: int
    axis_deg: float
    contrast: float
    reason: str


def _gray(image: npt.ArrayLike) -> npt.NDArray[np.float64]:
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 3:
        # channels last (H, W, C) is what readers hand around here; (C, H, W) rasters too
        arr = arr.mean(axis=2) if arr.shape[2] <= 4 else arr.mean(axis=0)
    return arr


def width_profile(
    image: npt.ArrayLike, box: OrientedBox, axis_deg: float, *, k: float = 2.5
) -> npt.NDArray[np.float64]:
    """Fraction of object pixels across the box at each station along ``axis_deg``.

    Stations run from the -axis end to the +axis end of the box.

    >>> img = np.zeros((20, 40)); img[8:12, 5:35] = 1.0; img[4:16, 30:35] = 1.0
    >>> p = width_profile(img, OrientedBox(20, 10, 30, 12, 0.0), 0.0)
    >>> bool(p[-2] > p[1])
    True
    """
    from scipy.ndimage import map_coordinates

    gray = _gray(image)
    t = math.radians(axis_deg)
    ux, uy = math.cos(t), math.sin(t)
    vx, vy = -uy, ux
    # extent of the box along this axis and across it
    same = abs(math.cos(math.radians(axis_deg - box.angle_deg))) > 0.5
    along, across = (box.length_px, box.width_px) if same else (box.width_px, box.length_px)
    margin = 0.25
    ns = int(min(_MAX_SAMPLES, max(8, math.ceil(along * (1 + 2 * margin)))))
    nt = int(min(_MAX_SAMPLES, max(6, math.ceil(across * (1 + 2 * margin)))))
    s = np.linspace(-along / 2 * (1 + 2 * margin), along / 2 * (1 + 2 * margin), ns)
    q = np.linspace(-across / 2 * (1 + 2 * margin), across / 2 * (1 + 2 * margin), nt)
    S, Q = np.meshgrid(s, q, indexing="ij")
    x = box.cx + S * ux + Q * vx
    y = box.cy + S * uy + Q * vy
    vals = map_coordinates(gray, [y.ravel(), x.ravel()], order=1, mode="nearest").reshape(S.shape)
    inside = (np.abs(S) <= along / 2) & (np.abs(Q) <= across / 2)
    bg = vals[~inside]
    med = float(np.median(bg))
    # the floor keeps a perfectly flat synthetic background from making every pixel "object"
    scale = max(1.4826 * float(np.median(np.abs(bg - med))), 1e-3 * (float(np.ptp(vals)) + 1e-9))
    obj = np.abs(vals - med) > k * scale
    rows = np.abs(s) <= along / 2
    cols = np.abs(q) <= across / 2
    sub = obj[np.ix_(rows, cols)]
    return np.asarray(sub.mean(axis=1), dtype=np.float64)


def _end_contrast(profile: npt.NDArray[np.float64], fraction: float) -> tuple[float, float, float]:
    n = len(profile)
    m = max(1, round(n * fraction))
    w_minus, w_plus = float(profile[:m].mean()), float(profile[-m:].mean())
    return (w_plus - w_minus) / (w_plus + w_minus + 1e-9), w_minus, w_plus


def nose_cue(image: npt.ArrayLike, box: OrientedBox) -> NoseCue:
    """Read the front of an aircraft or ship from its width profile (see module docstring).

    For aircraft both box axes are tried, because a wide-span aircraft's box is longer across
    the wings than along the fuselage; the axis whose ends differ more is taken as fore-aft.
    Other classes return ``sign == 0``.
    """
    if box.class_name not in ("aircraft", "ship"):
        return NoseCue(0, box.angle_deg, 0.0, f"no nose/tail cue for class {box.class_name!r}")
    if min(box.length_px, box.width_px) < 3:
        return NoseCue(0, box.angle_deg, 0.0, "box too small to read a width profile")
    axes = [box.angle_deg]
    if box.class_name == "aircraft":
        axes.append(fold180(box.angle_deg + 90.0))
    best: tuple[float, float, float, float] | None = None
    for ax in axes:
        c, wm, wp = _end_contrast(width_profile(image, box, ax), _END_FRACTION[box.class_name])
        if best is None or abs(c) > abs(best[0]):
            best = (c, ax, wm, wp)
    assert best is not None
    c, ax, wm, wp = best
    if abs(c) < MIN_CONTRAST:
        return NoseCue(
            0, ax, abs(c), f"end widths alike ({wm:.2f} vs {wp:.2f} of the box): sense unknown"
        )
    # the narrower end is the front (nose without tailplanes, tapering bow)
    sign = 1 if c < 0 else -1
    return NoseCue(
        sign,
        ax,
        abs(c),
        f"end widths {wm:.2f} (−axis) vs {wp:.2f} (+axis): the narrower end is the front",
    )
