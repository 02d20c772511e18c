"""The ONNX detector file and its JSON sidecar, loaded for ONNX Runtime (no torch).

The sidecar ``<model>.json`` beside ``<model>.onnx`` names the classes, the GSD the model
works at, its stride and its version string; every detection carries that version.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sitewatch.errors import InputError

__all__ = [
    "DetectorModel",
    "default_model_path",
    "default_threads",
    "load_model",
]


def default_model_path() -> Path:
    """``SITEWATCH_MODEL`` if set, else the model bundled in ``sitewatch/models``.

    >>> default_model_path().name
    'sitewatch-det.onnx'
    """
    env = os.environ.get("SITEWATCH_MODEL")
    if env:
        return Path(env)
    ref = resources.files("sitewatch") / "models" / "sitewatch-det.onnx"
    return Path(str(ref))


@dataclass
class DetectorModel:
    """An ONNX Runtime session plus what the sidecar says about it."""

    path: Path
    session: Any
    classes: tuple[str, ...]
    gsd_m: float
    stride: int
    version: str
    input_name: str

    def run(self, batch: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], ...]:
        """Run the network on ``batch`` (N, H, W, 3) uint8 RGB; returns (peaks, reg)."""
        peaks, reg = self.session.run(None, {self.input_name: batch})
        return np.asarray(peaks, np.float32), np.asarray(reg, np.float32)


def default_threads() -> int:
    """Inference threads: every core but one, which the engine's reader thread needs.

    Decoding the raster (JPEG blocks of a COG) costs about a fifth of the inference CPU, and
    the engine does it on its own thread while inference runs. On the 2-core benchmark
    (``bench/detect_scene.py``, 26 km² scene) one inference thread plus the reader ran end
    to end in 1.11× the bare inference time; two inference threads beside the reader were
    faster in absolute terms (1.22 s against 1.84 s) but spent 1.39× their bare time,
    stalled by the reader. Pass ``threads`` (``--threads``) to choose otherwise.

    >>> default_threads() >= 1
    True
    """
    return max(1, (os.cpu_count() or 2) - 1)


def load_model(path: str | Path | None = None, *, threads: int | None = None) -> DetectorModel:
    """Open an ONNX detector and its sidecar (``threads``: default :func:`default_threads`).

    >>> m = load_model()
    >>> "aircraft" in m.classes and "ship" in m.classes, m.gsd_m > 0
    (True, True)
    """
    import onnxruntime as ort

    p = Path(path) if path is not None else default_model_path()
    if not p.is_file():
        raise InputError(
            "model file not found", path=p, expected="an ONNX file from `sitewatch train`"
        )
    side = p.with_suffix(".json")
    if not side.is_file():
        raise InputError("model sidecar not found", path=side, expected="classes, gsd_m, version")
    meta = json.loads(side.read_text())
    opts = ort.SessionOptions()
    # the machines this runs on are small and shared: a fixed, small thread count is faster
    # than oversubscribing, and the engine overlaps reading with inference on its own thread
    opts.intra_op_num_threads = threads if threads is not None else default_threads()
    opts.inter_op_num_threads = 1
    # Spinning worker threads lose badly when the cores are shared with other processes (a
    # 2-thread torch step ran 8× slower than a 1-thread one on the busy 2-core machine).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
    return DetectorModel(
        path=p,
        session=session,
        classes=tuple(meta["classes"]),
        gsd_m=float(meta["gsd_m"]),
        stride=int(meta.get("stride", 4)),
        version=str(meta["version"]),
        input_name=session.get_inputs()[0].name,
    )
