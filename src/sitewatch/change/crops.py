"""Before/after crops of one change event, side by side, as PNG bytes for the briefing.

Each side is read as a window around the object's position in that pass (its box, or the
registered position when it was not seen there), with the box outlined.

>>> import numpy as np
>>> from sitewatch.change.register import Registration
>>> img = np.full((300, 300, 3), 90, np.uint8)
>>> reg = Registration.from_matrix(np.eye(3), (300, 300), (300, 300))
>>> ev = ChangeEvent(EventKind.DEPARTED, "aircraft", Box(150, 150, 60, 40, 0, "aircraft"), None,
...                  registered_xy=(150.0, 150.0))
>>> png = event_crop_png(ev, img, img, reg)
>>> png[:4] == b"\\x89PNG"
True
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from sitewatch.change.boxes import Box
from sitewatch.change.events import ChangeEvent, EventKind
from sitewatch.change.register import Registration
from sitewatch.change.verify import Image, _read
from sitewatch.imagery.reader import Window

__all__ = ["event_crop_png"]

_COLOURS = {  # RGB
    EventKind.ARRIVED: (40, 200, 60),
    EventKind.DEPARTED: (230, 50, 40),
    EventKind.MOVED: (240, 170, 20),
    EventKind.STATE_CHANGED: (170, 80, 230),
    EventKind.STAYED: (60, 140, 240),
    EventKind.OUT_OF_VIEW: (150, 150, 150),
}


def _side(
    img: Image,
    centre: tuple[float, float] | None,
    box: Box | None,
    size: int,
    colour: tuple[int, int, int],
) -> npt.NDArray[np.uint8]:
    if centre is None:
        return np.full((size, size, 3), 40, np.uint8)
    win = Window(int(centre[0]) - size // 2, int(centre[1]) - size // 2, size, size)
    crop = np.ascontiguousarray(_read(img, win))
    if box is not None:
        pts = np.array(box.corners()) - [win.col, win.row]
        cv2.polylines(crop, [np.round(pts).astype(np.int32)], True, colour, 2)
    else:
        c = (size // 2, size // 2)
        cv2.drawMarker(crop, c, colour, cv2.MARKER_CROSS, 24, 2)
    return crop


def event_crop_png(
    event: ChangeEvent,
    before: Image,
    after: Image,
    reg: Registration,
    size: int = 192,
) -> bytes:
    """BEFORE | AFTER crops around an event, PNG-encoded (deterministic bytes).

    ``before`` and ``after`` are open :class:`~sitewatch.imagery.RasterReader` objects or
    in-memory RGB arrays. An object unseen in a pass is marked with a cross at its
    registered position there (a grey square when it lies outside that pass).
    """
    colour = _COLOURS[event.kind]
    b_xy = event.before_xy
    a_xy = event.after_xy
    if b_xy is None and event.after is not None:
        p = reg.to_before([[event.after.cx, event.after.cy]])[0]
        b_xy = (float(p[0]), float(p[1]))
    if a_xy is None and event.before is not None:
        p = reg.to_after([[event.before.cx, event.before.cy]])[0]
        a_xy = (float(p[0]), float(p[1]))
    left = _side(before, b_xy, event.before, size, colour)
    right = _side(after, a_xy, event.after, size, colour)
    gap = np.full((size, 4, 3), 255, np.uint8)
    both = np.hstack([left, gap, right])
    ok, buf = cv2.imencode(".png", cv2.cvtColor(both, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - encoding an in-memory array does not fail
        raise RuntimeError("PNG encoding failed")
    return bytes(buf.tobytes())
