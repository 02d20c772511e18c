"""Oriented boxes: centre, length (long side), width, angle — and their polygons.

Angles are degrees in the image frame (x right, y down), measured from +x towards +y, of the
box's long axis, folded into [0, 180) because a box alone cannot tell nose from tail.

>>> b = OrientedBox(10, 20, 8, 4, 90)
>>> [tuple(round(v, 1) for v in p) for p in b.corners()]
[(8.0, 24.0), (8.0, 16.0), (12.0, 16.0), (12.0, 24.0)]
>>> OrientedBox.from_corners([(0, 0), (10, 0), (10, 4), (0, 4)]).angle_deg
0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["OrientedBox", "envelope", "fold_angle"]


def fold_angle(deg: float) -> float:
    """Fold an axis angle into [0, 180).

    >>> fold_angle(-30.0), fold_angle(190.0)
    (150.0, 10.0)
    """
    a = math.fmod(deg, 180.0)
    return a + 180.0 if a < 0 else a


@dataclass(frozen=True)
class OrientedBox:
    """A rotated rectangle in pixels; ``length >= width`` by construction in parsers."""

    cx: float
    cy: float
    length: float
    width: float
    angle_deg: float

    def corners(self) -> list[tuple[float, float]]:
        """The four corners, counter-clockwise on screen starting at (+L/2, +W/2)."""
        t = math.radians(self.angle_deg)
        ux, uy = math.cos(t), math.sin(t)
        vx, vy = -uy, ux
        hl, hw = self.length / 2, self.width / 2
        pts = []
        for sl, sw in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
            pts.append(
                (self.cx + sl * hl * ux + sw * hw * vx, self.cy + sl * hl * uy + sw * hw * vy)
            )
        return pts

    @classmethod
    def from_corners(cls, pts: Sequence[Sequence[float]]) -> OrientedBox:
        """Fit from a quadrilateral (DOTA 4-point label): minimum-area rectangle."""
        import cv2

        arr = np.asarray(pts, dtype=np.float32).reshape(-1, 2)
        (cx, cy), (w, h), a = cv2.minAreaRect(arr)
        if w >= h:
            return cls(float(cx), float(cy), float(w), float(h), fold_angle(float(a)))
        return cls(float(cx), float(cy), float(h), float(w), fold_angle(float(a) + 90.0))

    def scaled(self, s: float) -> OrientedBox:
        """The same box in an image scaled by ``s``."""
        return OrientedBox(
            self.cx * s, self.cy * s, self.length * s, self.width * s, self.angle_deg
        )


def envelope(
    length: npt.ArrayLike, width: npt.ArrayLike, angle_deg: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Width and height of the axis-aligned envelope of rotated boxes.

    >>> w, h = envelope(10.0, 2.0, 90.0)
    >>> round(float(w), 6), round(float(h), 6)
    (2.0, 10.0)
    """
    t = np.radians(np.asarray(angle_deg, dtype=np.float64))
    L = np.asarray(length, dtype=np.float64)
    W = np.asarray(width, dtype=np.float64)
    c, s = np.abs(np.cos(t)), np.abs(np.sin(t))
    return L * c + W * s, L * s + W * c
