"""The Airbus provider's labels as detection-like boxes, for tests that store real boxes.

Built on the project's own reader (:func:`sitewatch.detect.labels.read_airbus`), so the tests
and the detector read the annotations the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sitewatch.detect.labels import GTBox, read_airbus


@dataclass(frozen=True)
class LabelBox:
    """One labelled aircraft with the attributes ``detections_repo.add_detections`` reads."""

    class_name: str
    score: float
    cx: float
    cy: float
    length_px: float
    width_px: float
    angle_deg: float
    polygon: tuple[tuple[float, float], ...]


@cache
def _labels(root: Path) -> dict[str, list[GTBox]]:
    return {img.path.name: img.boxes for img in read_airbus(root / "airbus-aircraft")}


def airbus_label_boxes(
    root: Path, image: str, *, include_truncated: bool = False
) -> list[LabelBox]:
    """The labelled aircraft of one Airbus image (``Truncated_airplane`` only if asked)."""
    out = []
    for g in _labels(root).get(image, []):
        if g.ignore and not include_truncated:
            continue
        b = g.box
        out.append(
            LabelBox(
                g.class_name, 1.0, b.cx, b.cy, b.length, b.width, b.angle_deg, tuple(b.corners())
            )
        )
    return out
