"""Compare two passes stored in a workspace: the boundary between change and the store.

:func:`compare_passes` reads both passes and their current, reviewed detections
(:mod:`sitewatch.store.detections_repo`), registers the passes, derives events with the
patch verifier, and (by default) saves the comparison with
:mod:`sitewatch.store.change_repo`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitewatch.change.boxes import Box, boxes_from_detections
from sitewatch.change.events import ChangeResult, Tolerances, Verifier, detect_changes
from sitewatch.change.register import register_passes
from sitewatch.change.verify import AnyVerifier, BoxVerifier, PatchVerifier
from sitewatch.errors import InputError
from sitewatch.imagery.reader import RasterReader
from sitewatch.review import DetectionRecord, ReviewStatus
from sitewatch.store import Workspace

__all__ = ["PassComparison", "compare_passes", "pass_boxes"]

#: the second look searches this far from the registered position (the events' own radius)
SECOND_LOOK_M = 12.5
SECOND_LOOK_PX = 25.0


@dataclass(frozen=True)
class PassComparison:
    """The result of comparing two stored passes (and the saved registration id, if saved)."""

    pass_a_id: int
    pass_b_id: int
    result: ChangeResult
    registration_id: int | None


def pass_boxes(ws: Workspace, pass_id: int, *, min_score: float = 0.0) -> list[Box]:
    """A pass's current, non-rejected detections as boxes (reviewed class/type/state).

    ``min_score`` applies to unreviewed model detections only: what an analyst confirmed or
    drew stays whatever its score.
    """
    from sitewatch.store import detections_repo

    return _at_least(detections_repo.list_detections(ws, pass_id), min_score)


def _at_least(records: list[DetectionRecord], min_score: float) -> list[Box]:
    return boxes_from_detections(
        r
        for r in records
        if r.score >= min_score or r.status is ReviewStatus.CONFIRMED or r.source != "model"
    )


def compare_passes(
    ws: Workspace,
    pass_a_id: int,
    pass_b_id: int,
    *,
    min_score: float = 0.5,
    low_score: float = 0.1,
    verify: bool = True,
    save: bool = True,
    tolerances: Tolerances | None = None,
) -> PassComparison:
    """Register pass A to pass B, match their detections, derive and store the events.

    Objects are the detections scoring at least ``min_score``. Before an arrival or departure
    is reported, the other pass gets a second look (``verify``): a stored detection scoring at
    least ``low_score`` near the registered position, or an unchanged image patch, turns it
    into ``stayed``. Stored detections only go as low as the detection run's threshold (0.3
    by default). The cuts 0.5 / 0.1 scored best on the Airbus pairs (docs/change-eval.md).
    """
    from sitewatch.store import change_repo, passes_repo

    if pass_a_id == pass_b_id:
        raise InputError("compare needs two different passes", field="PASS_B")
    pa = passes_repo.get_pass(ws, pass_a_id)
    pb = passes_repo.get_pass(ws, pass_b_id)
    reg = register_passes(pa, pb)
    gsd = pa.gsd_m if pa.gsd_m is not None else pb.gsd_m
    from sitewatch.store import detections_repo

    recs_a = detections_repo.list_detections(ws, pass_a_id)
    recs_b = detections_repo.list_detections(ws, pass_b_id)
    a, b = _at_least(recs_a, min_score), _at_least(recs_b, min_score)
    low = min(low_score, min_score)
    low_a, low_b = _at_least(recs_a, low), _at_least(recs_b, low)
    for pid, boxes in ((pass_a_id, a), (pass_b_id, b)):
        # An empty pass is a finding only if something looked at it.
        if not boxes and detections_repo.latest_run(ws, pid) is None:
            raise InputError(
                f"pass {pid} has no detections yet",
                field="PASS_A" if pid == pass_a_id else "PASS_B",
                expected="a finished detection run or analyst-added boxes",
            )
    with RasterReader(pa.path) as ra, RasterReader(pb.path) as rb:
        verifier: Verifier | None = None
        if verify:
            radius = SECOND_LOOK_M / gsd if gsd else SECOND_LOOK_PX
            verifier = AnyVerifier(
                [BoxVerifier(low_a, low_b, radius_px=radius), PatchVerifier(ra, rb)]
            )
        result = detect_changes(a, b, reg, gsd_m=gsd, tolerances=tolerances, verifier=verifier)
    reg_id = None
    if save:
        stored = change_repo.save_comparison(
            ws,
            pass_a_id,
            pass_b_id,
            result,
            params={"min_score": min_score, "low_score": low_score, "verify": verify},
        )
        reg_id = stored.id
    return PassComparison(pass_a_id, pass_b_id, result, reg_id)
