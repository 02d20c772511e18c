"""The detector's classes and the ground resolution it works at."""

from __future__ import annotations

__all__ = ["CLASSES", "MODEL_GSD_M", "NEAR_PEAK_CLASSES"]

#: Output channels of the heatmap, in order.
CLASSES: tuple[str, ...] = ("aircraft", "helicopter", "ship", "vehicle")

#: Classes whose objects are a few output cells across: the exported graph keeps every cell
#: near its neighbourhood's maximum for them, not only the maximum (``sitewatch.detect.net``).
NEAR_PEAK_CLASSES: tuple[str, ...] = ("ship", "vehicle")

#: The model sees every scene resampled to this many metres per pixel: an An-124 is always
#: about 69 px long, whatever the sensor.
MODEL_GSD_M = 1.0
