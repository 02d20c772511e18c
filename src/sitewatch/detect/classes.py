"""The detector's classes and the ground resolution it works at."""

from __future__ import annotations

__all__ = ["CLASSES", "MODEL_GSD_M"]

#: Output channels of the heatmap, in order.
CLASSES: tuple[str, ...] = ("aircraft", "helicopter", "ship", "vehicle")

#: The model sees every scene resampled to this many metres per pixel: an An-124 is always
#: about 69 px long, whatever the sensor.
MODEL_GSD_M = 1.0
