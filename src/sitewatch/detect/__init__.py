"""The detector: an oriented-box model run with ONNX Runtime over rasters of any size.

Public API::

    from sitewatch.detect import detect_raster, Detection, load_model
    dets = detect_raster("scene.tif")               # GSD from the CRS
    dets = detect_raster("photo.jpg", gsd_m=0.5)    # no CRS: state the GSD

Training (:mod:`sitewatch.detect.train`) needs the ``train`` extra (torch); nothing else here
imports torch.
"""

from __future__ import annotations

from sitewatch.detect.boxes import OrientedBox
from sitewatch.detect.engine import EngineStats, detect_raster
from sitewatch.detect.merge import nms_rotated, rotated_iou
from sitewatch.detect.model import DetectorModel, default_model_path, load_model
from sitewatch.detect.types import Detection

__all__ = [
    "Detection",
    "DetectorModel",
    "EngineStats",
    "OrientedBox",
    "default_model_path",
    "detect_raster",
    "load_model",
    "nms_rotated",
    "rotated_iou",
]
