"""Scale: detection over many passes on Dask, restartable, window by window.

Public API::

    from sitewatch.scale import detect_all_passes, stand_in_detector
    summary = detect_all_passes("ws.db", "hmeimim")                      # local cluster, model
    summary = detect_all_passes("ws.db", "hmeimim", scheduler="tcp://host:8786")

Dask is the ``scale`` extra; nothing here imports it until a batch starts.
"""

from sitewatch.scale.batch import (
    BatchEvent,
    BatchSummary,
    PlannedWindow,
    WindowResult,
    WindowTask,
    detect_all_passes,
    plan_windows,
    run_window,
)
from sitewatch.scale.detectors import (
    DetectorSpec,
    FoundObject,
    bright_blobs,
    default_detector,
    model_detector,
    stand_in_detector,
)

__all__ = [
    "BatchEvent",
    "BatchSummary",
    "DetectorSpec",
    "FoundObject",
    "PlannedWindow",
    "WindowResult",
    "WindowTask",
    "bright_blobs",
    "default_detector",
    "detect_all_passes",
    "model_detector",
    "plan_windows",
    "run_window",
    "stand_in_detector",
]
