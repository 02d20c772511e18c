"""Estimating the ground sample distance of images that do not state it.

gdit-airport crops were resized by their publisher and carry no GSD; DOTA8 tiles neither.
Aircraft are a good ruler: across the Airbus sample (0.5 m, stated) the median axis-aligned
envelope of an airliner-dominated apron is about 51 m. An image's GSD is then estimated as
``51 m / median envelope in pixels`` of its aircraft. Without aircraft, road vehicles (median
4.5 m long) are used; ships vary too much to serve as a ruler.
"""

from __future__ import annotations

import statistics

from sitewatch.detect.boxes import envelope
from sitewatch.detect.labels import LabelledImage

__all__ = ["AIRCRAFT_ENVELOPE_M", "VEHICLE_LENGTH_M", "estimate_gsd"]

AIRCRAFT_ENVELOPE_M = 51.0
VEHICLE_LENGTH_M = 4.5


def estimate_gsd(image: LabelledImage, default: float | None = None) -> float | None:
    """The image's stated GSD, else an estimate from its aircraft or vehicles, else ``default``.

    >>> from pathlib import Path
    >>> from sitewatch.detect.boxes import OrientedBox
    >>> from sitewatch.detect.labels import GTBox
    >>> box = GTBox("aircraft", OrientedBox(0, 0, 25.5, 20, 0), False)
    >>> img = LabelledImage(Path("x.jpg"), [box])
    >>> estimate_gsd(img)
    2.0
    """
    if image.gsd_m:
        return image.gsd_m
    planes = [b for b in image.boxes if b.class_name == "aircraft" and not b.ignore]
    if planes:
        sizes = []
        for b in planes:
            w, h = envelope(b.box.length, b.box.width, b.box.angle_deg)
            sizes.append(max(float(w), float(h)))
        return AIRCRAFT_ENVELOPE_M / statistics.median(sizes)
    cars = [b.box.length for b in image.boxes if b.class_name == "vehicle" and b.oriented]
    if len(cars) >= 3:
        return VEHICLE_LENGTH_M / statistics.median(cars)
    return default
