"""Detections in the store and the analyst's review trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.errors import InputError, NotFoundError
from sitewatch.imagery import inspect_pass
from sitewatch.review import ReviewAction, ReviewStatus
from sitewatch.sites import Site, SiteKind
from sitewatch.store import Workspace, detections_repo, passes_repo, sites_repo
from tests.airbus_labels import airbus_label_boxes
from tests.clirun import run

IMAGE = "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"


@pytest.fixture()
def pass_with_boxes(any_ws: Workspace, data_root: Path) -> tuple[Workspace, int, int]:
    site = sites_repo.add_site(any_ws, Site(slug="sample", name="S", kind=SiteKind.AIRPORT))
    p = passes_repo.add_pass(
        any_ws, inspect_pass(data_root / "airbus-aircraft" / "images" / IMAGE, site, gsd_m=0.5)
    ).pass_
    assert p.id is not None
    boxes = airbus_label_boxes(data_root, IMAGE)
    run_ = detections_repo.start_run(any_ws, p.id, model_name="labels", model_version="airbus-gt")
    detections_repo.add_detections(any_ws, p.id, boxes, run_id=run_.id, source="labels")
    detections_repo.finish_run(any_ws, run_.id)
    return any_ws, p.id, len(boxes)


def test_review_trail_and_counts(pass_with_boxes: tuple[Workspace, int, int]) -> None:
    ws, pid, n = pass_with_boxes
    assert n == 22
    dets = detections_repo.list_detections(ws, pid)
    assert len(dets) == n and all(d.status is ReviewStatus.UNREVIEWED for d in dets)
    assert detections_repo.counts_by_class(ws, pid) == {"aircraft": n}
    a, b, c = dets[0].id, dets[1].id, dets[2].id
    detections_repo.review(ws, a, ReviewAction.REJECT, user="ana", note="shadow, not a plane")
    detections_repo.review(ws, b, "relabel_class", "helicopter", user="ana")
    detections_repo.review(ws, b, ReviewAction.SET_TYPE, "Mi-8", user="bob")
    detections_repo.review(ws, c, ReviewAction.CONFIRM, user="bob")
    detections_repo.review(ws, c, ReviewAction.SET_STATE, "being_loaded", user="bob")
    assert detections_repo.counts_by_class(ws, pid) == {"aircraft": n - 2, "helicopter": 1}
    rejected = detections_repo.get_detection(ws, a)
    assert rejected.status is ReviewStatus.REJECTED and not rejected.counts
    assert rejected.notes == ("shadow, not a plane",)
    assert len(detections_repo.list_detections(ws, pid, include_rejected=True)) == n
    got = detections_repo.get_detection(ws, b)
    assert got.class_name == "aircraft" and got.effective_class == "helicopter"  # model kept
    assert [(e.action.value, e.user) for e in got.trail] == [
        ("relabel_class", "ana"),
        ("set_type", "bob"),
    ]


def test_review_survives_reload(tmp_path: Path, data_root: Path) -> None:
    path = tmp_path / "w.db"
    with Workspace.open(path) as ws:
        site = sites_repo.add_site(ws, Site(slug="sample", name="S", kind=SiteKind.AIRPORT))
        p = passes_repo.add_pass(
            ws, inspect_pass(data_root / "airbus-aircraft" / "images" / IMAGE, site, gsd_m=0.5)
        ).pass_
        assert p.id is not None
        ids = detections_repo.add_detections(
            ws, p.id, airbus_label_boxes(data_root, IMAGE), source="labels"
        )
        detections_repo.review(ws, ids[0], ReviewAction.REJECT, user="ana")
        detections_repo.review(ws, ids[0], ReviewAction.REOPEN, user="bob", note="it is a plane")
        detections_repo.review(ws, ids[1], ReviewAction.REJECT, user="bob")
    with Workspace.open(path) as ws:
        d0 = detections_repo.get_detection(ws, ids[0])
        assert d0.status is ReviewStatus.UNREVIEWED and len(d0.trail) == 2
        assert d0.trail[1].note == "it is a plane" and d0.trail[1].user == "bob"
        assert detections_repo.counts_by_class(ws, p.id) == {"aircraft": 21}


def test_bad_review_input_changes_nothing(pass_with_boxes: tuple[Workspace, int, int]) -> None:
    ws, pid, _ = pass_with_boxes
    det = detections_repo.list_detections(ws, pid)[0].id
    with pytest.raises(InputError, match="unknown review action 'approve'"):
        detections_repo.review(ws, det, "approve", user="ana")
    with pytest.raises(InputError, match="relabel_class needs a non-empty value"):
        detections_repo.review(ws, det, ReviewAction.RELABEL_CLASS, "", user="ana")
    with pytest.raises(InputError, match="is not a class name"):
        detections_repo.review(ws, det, ReviewAction.RELABEL_CLASS, "Big Plane!", user="ana")
    with pytest.raises(NotFoundError, match="no detection 99999"):
        detections_repo.review(ws, 99999, ReviewAction.CONFIRM, user="ana")
    assert detections_repo.get_detection(ws, det).trail == ()


def test_rerun_replaces_the_current_run(pass_with_boxes: tuple[Workspace, int, int]) -> None:
    ws, pid, n = pass_with_boxes
    boxes = detections_repo.list_detections(ws, pid)[:5]
    r2 = detections_repo.start_run(ws, pid, model_name="m", model_version="2")
    detections_repo.add_detections(ws, pid, boxes, run_id=r2.id)
    # a run still in progress does not replace the finished one
    assert len(detections_repo.list_detections(ws, pid)) == n
    detections_repo.add_detections(ws, pid, boxes, run_id=r2.id, replace_run=True)
    detections_repo.finish_run(ws, r2.id)
    assert len(detections_repo.list_detections(ws, pid)) == 5
    assert detections_repo.latest_run(ws, pid) is not None
    assert [r.n_detections for r in detections_repo.list_runs(ws, pid)] == [n, 5]


def test_review_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, data_root: Path) -> None:
    w = str(tmp_path / "w.db")
    with Workspace.open(w) as ws:
        site = sites_repo.add_site(ws, Site(slug="sample", name="S", kind=SiteKind.AIRPORT))
        p = passes_repo.add_pass(
            ws, inspect_pass(data_root / "airbus-aircraft" / "images" / IMAGE, site, gsd_m=0.5)
        ).pass_
        assert p.id is not None
        detections_repo.add_detections(
            ws, p.id, airbus_label_boxes(data_root, IMAGE), source="labels"
        )
    r = run(capsys, "review", "reject", "1", "--note", "a truck", "-w", w, "--json")
    assert r.code == 0 and r.json()["status"] == "rejected"
    r = run(capsys, "review", "type", "2", "An-124", "-w", w)
    assert r.code == 0 and "type An-124" in r.out
    r = run(capsys, "review", "list", "1", "-w", w, "--json")
    assert len(r.json()) == 21
    r = run(capsys, "review", "show", "1", "-w", w, "--json")
    assert r.json()["trail"][0]["note"] == "a truck"
    r = run(capsys, "review", "relabel", "3", "NOT A CLASS", "-w", w)
    assert r.code == 1 and "is not a class name" in r.err
