"""Stages chained over the workspace: detect a pass, measure what was found, store both.

Each stage reads what the stages before it wrote and writes its own records; the model
version goes with every detection so a sentence in a briefing can be followed to the model
that produced it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sitewatch.imagery.model import Frame, Pass
from sitewatch.store import Workspace, passes_repo
from sitewatch.store import detections_repo as dr

__all__ = ["DetectPassResult", "detect_pass", "measure_pass"]


@dataclass(frozen=True)
class DetectPassResult:
    """What one detection run over a pass stored."""

    pass_id: int
    run_id: int
    model_version: str
    detections: int
    by_class: dict[str, int]


def detect_pass(
    ws: Workspace,
    pass_id: int,
    *,
    model: Any = None,
    threshold: float = 0.3,
    progress: bool | Callable[[int, int], None] = False,
    views: int = 1,
    zooms: tuple[float, ...] = (1.0,),
) -> DetectPassResult:
    """Run the detector over a pass, store a run and its detections, then measure them.

    ``views`` and ``zooms`` are the engine's readings per tile and magnifications
    (:func:`sitewatch.detect.detect_raster`); the run records them with the threshold. A
    failure marks the run ``failed`` with the reason and re-raises; earlier runs stay.
    """
    from sitewatch.detect import detect_raster, load_model

    p = passes_repo.get_pass(ws, pass_id)
    m = model if hasattr(model, "session") else load_model(model)
    run = dr.start_run(
        ws,
        pass_id,
        model_name=str(getattr(m, "name", "sitewatch-det")),
        model_version=m.version,
        model_sha256=getattr(m, "sha256", None),
        params={
            "threshold": threshold,
            "gsd_m": p.gsd_m,
            "frame": p.frame.value,
            "views": views,
            "zooms": list(zooms),
        },
    )
    try:
        gsd = p.gsd_m if p.frame is Frame.PIXEL else None
        dets = detect_raster(
            p.path,
            gsd_m=gsd,
            model=m,
            threshold=threshold,
            progress=progress,
            views=views,
            zooms=zooms,
        )
        dr.add_detections(
            ws, pass_id, dets, run_id=run.id, replace_run=True, model_version=m.version
        )
        dr.finish_run(ws, run.id)
    except Exception as exc:
        dr.finish_run(ws, run.id, status="failed", message=str(exc)[:500])
        raise
    measure_pass(ws, pass_id)
    return DetectPassResult(
        pass_id=pass_id,
        run_id=run.id,
        model_version=m.version,
        detections=len(dets),
        by_class=dr.counts_by_class(ws, pass_id),
    )


def measure_pass(ws: Workspace, pass_id: int) -> int:
    """Measure every current detection of a pass (metres, heading, type candidates, state
    suggestions) when the measure stage is installed; returns how many were measured."""
    if importlib.util.find_spec("sitewatch.measure.workspace") is None:
        return 0
    mod = importlib.import_module("sitewatch.measure.workspace")
    p: Pass = passes_repo.get_pass(ws, pass_id)
    dets = dr.list_detections(ws, pass_id, include_rejected=True)
    values: dict[int, dict[str, Any]] = mod.measure_records(p, dets)
    dr.set_measurements(ws, values)
    return len(values)
