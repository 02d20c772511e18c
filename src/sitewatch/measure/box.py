"""The measurement input: an oriented box in a raster's pixel frame.

``sitewatch.measure`` does not import the detector: anything with the detector's field names
(``class_name``, ``score``, ``cx``, ``cy``, ``length_px``, ``width_px``, ``angle_deg``) adapts
through :meth:`OrientedBox.from_detection`, and DOTA-style quadrilaterals through
:meth:`OrientedBox.from_polygon`.

>>> b = OrientedBox.from_polygon([(0, 0), (10, 0), (10, 4), (0, 4)], class_name="ship")
>>> b.length_px, b.width_px, b.angle_deg
(10.0, 4.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["OrientedBox", "fold180"]


def fold180(deg: float) -> float:
    """Fold an axis angle into [0, 180).

    >>> fold180(-30.0), fold180(190.0), fold180(180.0)
    (150.0, 10.0, 0.0)
    """
    a = math.fmod(deg, 180.0)
    a = a + 180.0 if a < 0 else a
    return 0.0 if a >= 180.0 else a


@dataclass(frozen=True)
class OrientedBox:
    """A rotated rectangle in pixels (x right, y down).

    Parameters
    ----------
    cx, cy
        Centre in pixels.
    length_px, width_px
        Long and short side in pixels (``length_px >= width_px`` after construction helpers).
    angle_deg
        Direction of the long axis from +x towards +y, in [0, 180): an *axis*, not a heading.
    class_name
        Detector class: ``aircraft``, ``helicopter``, ``ship`` or ``vehicle``.
    score
        Detector confidence, or 1.0 for a label.
    """

    cx: float
    cy: float
    length_px: float
    width_px: float
    angle_deg: float
    class_name: str = "unknown"
    score: float = 1.0

    def __post_init__(self) -> None:
        if self.length_px < 0 or self.width_px < 0:
            raise ValueError("box sides must be non-negative")

    @property
    def axis(self) -> tuple[float, float]:
        """Unit vector of the long axis in pixel coordinates.

        >>> OrientedBox(0, 0, 4, 2, 90.0).axis
        (0.0, 1.0)
        """
        t = math.radians(self.angle_deg)
        return (round(math.cos(t), 15) + 0.0, round(math.sin(t), 15) + 0.0)

    def corners(self) -> list[tuple[float, float]]:
        """The four corners in pixels, starting at the +length, +width corner.

        >>> OrientedBox(0, 0, 4, 2, 0).corners()
        [(2.0, 1.0), (-2.0, 1.0), (-2.0, -1.0), (2.0, -1.0)]
        """
        ux, uy = self.axis
        vx, vy = -uy, ux
        hl, hw = self.length_px / 2, self.width_px / 2
        return [
            (self.cx + sl * hl * ux + sw * hw * vx, self.cy + sl * hl * uy + sw * hw * vy)
            for sl, sw in ((1, 1), (-1, 1), (-1, -1), (1, -1))
        ]

    @classmethod
    def from_detection(cls, det: Any) -> OrientedBox:
        """Adapt a detector ``Detection`` (or any object with the same attribute names).

        >>> from types import SimpleNamespace as NS
        >>> d = NS(class_name="aircraft", score=0.8, cx=5.0, cy=6.0, length_px=30.0,
        ...        width_px=40.0, angle_deg=10.0)
        >>> b = OrientedBox.from_detection(d)  # the longer side becomes the length
        >>> b.length_px, b.width_px, b.angle_deg, b.class_name, b.score
        (40.0, 30.0, 100.0, 'aircraft', 0.8)
        """
        length, width = float(det.length_px), float(det.width_px)
        angle = float(det.angle_deg)
        if width > length:
            # an aircraft's span may exceed its length; keep the box's longer side as the axis
            # so that angle_deg always means the same thing, and let the catalogue sort it out
            length, width, angle = width, length, angle + 90.0
        return cls(
            float(det.cx),
            float(det.cy),
            length,
            width,
            fold180(angle),
            str(det.class_name),
            float(getattr(det, "score", 1.0)),
        )

    @classmethod
    def from_polygon(
        cls, pts: Sequence[Sequence[float]], *, class_name: str = "unknown", score: float = 1.0
    ) -> OrientedBox:
        """The minimum-area rectangle around a polygon (e.g. a DOTA four-point label).

        >>> b = OrientedBox.from_polygon([(0, 0), (6, 8), (2, 11), (-4, 3)])
        >>> round(b.length_px, 4), round(b.width_px, 4), round(b.angle_deg, 2)
        (10.0, 5.0, 53.13)
        """
        import cv2
        import numpy as np

        arr = np.asarray(pts, dtype=np.float32).reshape(-1, 2)
        (cx, cy), (w, h), a = cv2.minAreaRect(arr)
        if w >= h:
            return cls(
                float(cx), float(cy), float(w), float(h), fold180(float(a)), class_name, score
            )
        return cls(
            float(cx), float(cy), float(h), float(w), fold180(float(a) + 90.0), class_name, score
        )
