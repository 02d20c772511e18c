"""The change stage's input: an oriented box in one pass, and thin adapters to it.

Everything in :mod:`sitewatch.change` works on :class:`Box`, so it runs the same on labelled
boxes (GeoJSON / CSV files), on the detector's output and on reviewed detections from the
workspace. The adapters only read attributes, so they do not import the producing stages.

>>> b = Box(cx=100, cy=50, length_px=60, width_px=40, angle_deg=0, class_name="Airplane")
>>> b.bounds()
(70.0, 30.0, 130.0, 70.0)
>>> canonical_class("Truncated_airplane"), canonical_class("Airplane")
('aircraft', 'aircraft')
"""

from __future__ import annotations

import ast
import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.errors import InputError

__all__ = [
    "Box",
    "boxes_from_detections",
    "canonical_class",
    "dedupe_boxes",
    "read_boxes",
]

# Labels and detectors spell the same thing differently; matching compares canonical names.
_ALIASES = {
    "airplane": "aircraft",
    "plane": "aircraft",
    "truncated_airplane": "aircraft",
    "aircraft": "aircraft",
    "ship": "ship",
    "boat": "ship",
    "vessel": "ship",
    "helicopter": "helicopter",
    "vehicle": "vehicle",
    "small-vehicle": "vehicle",
    "large-vehicle": "vehicle",
}


def canonical_class(name: str) -> str:
    """The class name matching compares: lower case, with common aliases folded.

    >>> canonical_class("Small-Vehicle"), canonical_class("storage-tank")
    ('vehicle', 'storage-tank')
    """
    key = name.strip().lower()
    return _ALIASES.get(key, key)


@dataclass(frozen=True)
class Box:
    """An oriented box in one pass's pixel frame (x right, y down).

    ``angle_deg`` is the long axis from +x towards +y, in [0, 180). ``truncated`` marks an
    object cut by the image edge: it is matched, but never makes an arrival or departure.
    """

    cx: float
    cy: float
    length_px: float
    width_px: float
    angle_deg: float
    class_name: str
    type_name: str | None = None
    state: str | None = None
    score: float = 1.0
    id: int | str | None = None
    truncated: bool = False

    @property
    def canonical(self) -> str:
        """Canonical class (see :func:`canonical_class`)."""
        return canonical_class(self.class_name)

    def corners(self) -> list[tuple[float, float]]:
        """The four corners of the rotated rectangle."""
        t = math.radians(self.angle_deg)
        ux, uy = math.cos(t), math.sin(t)
        hl, hw = self.length_px / 2, self.width_px / 2
        return [
            (self.cx + sl * hl * ux - sw * hw * uy, self.cy + sl * hl * uy + sw * hw * ux)
            for sl, sw in ((1, 1), (-1, 1), (-1, -1), (1, -1))
        ]

    def bounds(self) -> tuple[float, float, float, float]:
        """Axis-aligned envelope ``(xmin, ymin, xmax, ymax)``."""
        xs, ys = zip(*self.corners(), strict=True)
        return (
            round(min(xs), 6) + 0.0,
            round(min(ys), 6) + 0.0,
            round(max(xs), 6) + 0.0,
            round(max(ys), 6) + 0.0,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "id": self.id,
            "class": self.class_name,
            "type": self.type_name,
            "state": self.state,
            "score": round(self.score, 4),
            "cx": round(self.cx, 2),
            "cy": round(self.cy, 2),
            "length_px": round(self.length_px, 2),
            "width_px": round(self.width_px, 2),
            "angle_deg": round(self.angle_deg, 2),
            "truncated": self.truncated,
        }


def _from_polygon(pts: Sequence[Sequence[float]], class_name: str, **extra: Any) -> Box:
    """A box from a polygon: its minimum-area rectangle (axis-aligned labels stay so)."""
    import cv2
    import numpy as np

    arr = np.asarray(pts, dtype=np.float32).reshape(-1, 2)
    if len(arr) > 1 and np.allclose(arr[0], arr[-1]):
        arr = arr[:-1]
    if len(arr) < 3:
        raise ValueError("a polygon needs at least three corners")
    (cx, cy), (w, h), a = cv2.minAreaRect(arr)
    length, width, ang = (w, h, a) if w >= h else (h, w, a + 90.0)
    ang = math.fmod(float(ang), 180.0)
    ang = ang + 180.0 if ang < 0 else ang
    # Folding 180 to 0 keeps axis-aligned labels at exactly 0 or 90.
    ang = 0.0 if abs(ang - 180.0) < 1e-6 else ang
    truncated = "truncated" in class_name.lower()
    return Box(
        float(cx),
        float(cy),
        float(length),
        float(width),
        ang,
        class_name,
        truncated=truncated,
        **extra,
    )


def dedupe_boxes(boxes: Sequence[Box], frac: float = 0.25) -> list[Box]:
    """Drop boxes that repeat another of the same class (centres closer than ``frac`` × the
    smaller box's width), keeping the higher score, then the earlier one.

    Label files (and detectors without NMS across tiles) sometimes carry the same object
    twice; left in, the copy becomes a false arrival or departure.

    >>> boxes = [Box(100, 100, 80, 60, 0, "Airplane", score=0.9),
    ...          Box(101, 100, 80, 60, 0, "Airplane", score=0.95),
    ...          Box(300, 100, 80, 60, 0, "ship")]
    >>> [(b.cx, b.class_name) for b in dedupe_boxes(boxes)]
    [(101, 'Airplane'), (300, 'ship')]
    """
    order = sorted(range(len(boxes)), key=lambda i: (-boxes[i].score, i))
    kept: list[int] = []
    for i in order:
        b = boxes[i]
        dup = False
        for j in kept:
            k = boxes[j]
            lim = frac * min(b.width_px, k.width_px)
            if k.canonical == b.canonical and math.hypot(k.cx - b.cx, k.cy - b.cy) < lim:
                dup = True
                break
        if not dup:
            kept.append(i)
    return [boxes[i] for i in sorted(kept)]


def boxes_from_detections(dets: Iterable[Any]) -> list[Box]:
    """Adapt detector ``Detection`` objects or stored ``DetectionRecord`` rows to boxes.

    Reads ``class_name`` (or the reviewed ``effective_class``), ``cx``, ``cy``,
    ``length_px``, ``width_px``, ``angle_deg``, ``score``, and when present ``type_name``,
    ``state`` and ``id``.

    >>> from types import SimpleNamespace as NS
    >>> d = NS(class_name="aircraft", score=0.9, cx=5, cy=6, length_px=40, width_px=30,
    ...        angle_deg=10, id=7)
    >>> boxes_from_detections([d])[0].id
    7
    """
    out = []
    for d in dets:
        cls = getattr(d, "effective_class", None) or d.class_name
        out.append(
            Box(
                cx=float(d.cx),
                cy=float(d.cy),
                length_px=float(d.length_px),
                width_px=float(d.width_px),
                angle_deg=float(d.angle_deg),
                class_name=str(cls),
                type_name=getattr(d, "type_name", None),
                state=getattr(d, "state", None),
                score=float(getattr(d, "score", 1.0)),
                id=getattr(d, "id", None),
                truncated="truncated" in str(cls).lower(),
            )
        )
    return out


def _read_geojson(path: Path) -> list[Box]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"not readable GeoJSON ({exc})", path=path) from None
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        raise InputError("no 'features' list", path=path, expected="a FeatureCollection")
    out = []
    for i, f in enumerate(feats):
        props = f.get("properties") or {}
        geom = f.get("geometry") or {}
        cls = str(props.get("class") or props.get("class_name") or "object")
        try:
            ring = geom["coordinates"][0]
            out.append(
                _from_polygon(
                    ring,
                    cls,
                    type_name=props.get("type"),
                    state=props.get("state"),
                    score=float(props.get("score", 1.0)),
                    id=props.get("id", f.get("id", i)),
                )
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise InputError(
                f"feature {i} has no usable polygon ({exc})",
                path=path,
                field="geometry",
                expected="a pixel-coordinate Polygon",
            ) from None
    return out


def _read_csv(path: Path, image: str | None) -> list[Box]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"not a readable CSV ({exc})", path=path) from None
    if rows and image is not None and "image_id" in rows[0]:
        rows = [r for r in rows if r["image_id"] == image]
    out = []
    for line, r in enumerate(rows, start=2):
        cls = r.get("class") or r.get("class_name") or "object"
        extra: dict[str, Any] = {
            "type_name": r.get("type") or None,
            "state": r.get("state") or None,
            "score": float(r.get("score") or 1.0),
            "id": r.get("id") or line,
        }
        try:
            if r.get("geometry"):
                out.append(_from_polygon(ast.literal_eval(r["geometry"]), cls, **extra))
            else:
                out.append(
                    Box(
                        float(r["cx"]),
                        float(r["cy"]),
                        float(r["length_px"]),
                        float(r["width_px"]),
                        float(r.get("angle_deg") or 0.0),
                        cls,
                        truncated="truncated" in cls.lower(),
                        **extra,
                    )
                )
        except (KeyError, ValueError, SyntaxError, TypeError) as exc:
            raise InputError(
                f"unusable box ({exc})",
                path=path,
                line=line,
                expected="'geometry' as [(x, y), …] or cx, cy, length_px, width_px, angle_deg",
            ) from None
    return out


def read_boxes(path: str | Path, image: str | None = None) -> list[Box]:
    """Read pixel boxes from GeoJSON (polygons) or CSV.

    A CSV has either ``geometry`` (a pixel polygon, as the Airbus ``annotations.csv``) or
    ``cx, cy, length_px, width_px, angle_deg``; plus ``class`` and optional ``type``,
    ``state``, ``score``, ``id``. When it has an ``image_id`` column, only rows for
    ``image`` (the image file name) are kept.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "b.csv")
    >>> _ = open(p, "w").write('image_id,geometry,class\\n'
    ...     'a.jpg,"[(0, 0), (60, 0), (60, 40), (0, 40), (0, 0)]",Airplane\\n'
    ...     'b.jpg,"[(0, 0), (6, 0), (6, 4), (0, 4), (0, 0)]",Airplane\\n')
    >>> [(b.cx, b.cy, b.length_px, b.width_px) for b in read_boxes(p, image="a.jpg")]
    [(30.0, 20.0, 60.0, 40.0)]
    >>> read_boxes(p + ".txt")
    Traceback (most recent call last):
    ...
    sitewatch.errors.InputError: ...: file not found (expected a .geojson/.json or .csv file)
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", path=p, expected="a .geojson/.json or .csv file")
    if p.suffix.lower() in (".geojson", ".json"):
        return _read_geojson(p)
    return _read_csv(p, image)
