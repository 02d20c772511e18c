"""Change over time: co-register passes, follow objects across dates, report what changed.

The stage works on :class:`Box` (an oriented box in one pass's pixel frame), so it runs on
labelled boxes, the detector's output and reviewed workspace detections alike.
"""

from sitewatch.change.boxes import Box, boxes_from_detections, canonical_class, read_boxes
from sitewatch.change.crops import event_crop_png
from sitewatch.change.events import (
    ChangeEvent,
    ChangeResult,
    EventKind,
    Tolerances,
    Verdict,
    Verifier,
    detect_changes,
)
from sitewatch.change.hooks import briefing_change, export_features
from sitewatch.change.register import (
    Registration,
    RegistrationError,
    TransformModel,
    register_files,
    register_passes,
    register_readers,
)
from sitewatch.change.series import SeriesRow, count_series, plot_series, series_table
from sitewatch.change.tracking import Sighting, TrackedObject, track_objects
from sitewatch.change.verify import AnyVerifier, BoxVerifier, PatchVerifier

__all__ = [
    "AnyVerifier",
    "Box",
    "BoxVerifier",
    "ChangeEvent",
    "ChangeResult",
    "EventKind",
    "PatchVerifier",
    "Registration",
    "RegistrationError",
    "SeriesRow",
    "Sighting",
    "Tolerances",
    "TrackedObject",
    "TransformModel",
    "Verdict",
    "Verifier",
    "boxes_from_detections",
    "briefing_change",
    "canonical_class",
    "count_series",
    "detect_changes",
    "event_crop_png",
    "export_features",
    "plot_series",
    "read_boxes",
    "register_files",
    "register_passes",
    "register_readers",
    "series_table",
    "track_objects",
]
