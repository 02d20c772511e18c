"""change_repo on SQLite and PostgreSQL: comparisons chain tracked objects across passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from sitewatch.change import Box, Registration, detect_changes
from sitewatch.imagery import Frame, Pass
from sitewatch.store import Workspace, change_repo, detections_repo, passes_repo


def _pass(ws: Workspace, n: int) -> int:
    p = Pass(
        site_slug="hmeimim",
        path=f"/nowhere/p{n}.jpg",
        sha256=f"{n:064d}",
        file_size=1,
        width=1000,
        height=1000,
        band_count=3,
        frame=Frame.PIXEL,
        gsd_m=0.5,
        acquired_at=datetime(2024, 12, 10 + n, tzinfo=UTC),
    )
    stored = passes_repo.add_pass(ws, p).pass_
    assert stored.id is not None
    return stored.id


def _stored(ws: Workspace, pass_id: int, boxes: list[Box]) -> list[Box]:
    ids = detections_repo.add_detections(ws, pass_id, boxes, source="labels")
    return [replace(b, id=i) for b, i in zip(boxes, ids, strict=True)]


def test_comparisons_are_saved_and_objects_chain(any_ws: Workspace) -> None:
    ws = any_ws
    p = [_pass(ws, n) for n in range(3)]
    reg = Registration.from_matrix(np.eye(3), (1000, 1000), (1000, 1000), gsd_m=0.5, rms_px=0.8)
    b0 = _stored(
        ws, p[0], [Box(100, 100, 60, 30, 0, "aircraft"), Box(500, 500, 60, 30, 0, "aircraft")]
    )
    b1 = _stored(ws, p[1], [Box(102, 100, 60, 30, 0, "aircraft")])
    b2 = _stored(ws, p[2], [Box(101, 101, 60, 30, 0, "aircraft", state="open")])
    r01 = change_repo.save_comparison(ws, p[0], p[1], detect_changes(b0, b1, reg))
    r12 = change_repo.save_comparison(ws, p[1], p[2], detect_changes(b1, b2, reg))
    assert (r01.id, r12.id) == (1, 2)
    assert r01.rms_px == 0.8 and r01.matrix[0] == [1.0, 0.0, 0.0]
    assert [r.id for r in change_repo.list_registrations(ws, pass_a_id=p[1])] == [2]
    ev01 = change_repo.list_events(ws, registration_id=r01.id)
    assert sorted(e.kind for e in ev01) == ["departed", "stayed"]
    dep = next(e for e in ev01 if e.kind == "departed")
    assert dep.before == (500.0, 500.0) and dep.after is None
    assert dep.before_detection_id == b0[1].id
    stay = next(e for e in change_repo.list_events(ws, registration_id=r12.id))
    assert stay.kind == "stayed"
    # The aircraft that stayed twice is one tracked object with three history entries.
    first = next(e for e in ev01 if e.kind == "stayed")
    assert stay.object_id == first.object_id
    assert stay.object_id is not None
    hist = change_repo.object_history(ws, stay.object_id)
    assert [(h.pass_id, h.status) for h in hist] == [
        (p[0], "seen"),
        (p[1], "stayed"),
        (p[2], "stayed"),
    ]
    assert hist[-1].state == "open"
    assert change_repo.list_events(ws, kind="departed")[0].to_dict()["before"] == [500.0, 500.0]
