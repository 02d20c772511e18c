"""``sitewatch compare``: the JSON contract without a workspace, errors, and the workspace form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitewatch.change.boxes import read_boxes
from sitewatch.imagery import inspect_pass
from sitewatch.store import Workspace, change_repo, detections_repo, passes_repo, sites_repo
from sitewatch.store.workspace import HEAD_REVISION
from tests.clirun import run

BEFORE = "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"
AFTER = "c20b3c21-a6e9-46f7-8536-d4f92574e111.jpg"
KINDS = {"arrived", "departed", "stayed", "moved", "state_changed", "out_of_view"}


@pytest.fixture(scope="module")
def airbus(data_root: Path) -> Path:
    return data_root / "airbus-aircraft"


def _point(v: object) -> bool:
    return v is None or (
        isinstance(v, list) and len(v) == 2 and all(isinstance(c, int | float) for c in v)
    )


def test_compare_files_writes_the_json_contract(
    capsys: pytest.CaptureFixture[str], airbus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    labels = str(airbus / "annotations.csv")
    r = run(
        capsys,
        "compare",
        str(airbus / "images" / BEFORE),
        str(airbus / "images" / AFTER),
        "--gsd",
        "0.5",
        "--json",
        str(out),
        "--boxes-before",
        labels,
        "--boxes-after",
        labels,
        "--model",
        str(tmp_path / "no-model.onnx"),
        "--crops",
        str(tmp_path / "crops"),
    )
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    reg = doc["registration"]
    assert len(reg["matrix"]) == 3 and all(len(row) == 3 for row in reg["matrix"])
    assert reg["matrix"][2] == [0.0, 0.0, 1.0]
    assert isinstance(reg["inliers"], int) and reg["inliers"] > 200
    assert 0 < reg["rms_px"] < 1.5
    # The matrix maps BEFORE pixels to AFTER pixels: a stayed aircraft lands on its partner.
    m = reg["matrix"]
    for ev in doc["events"]:
        assert ev["kind"] in KINDS
        assert isinstance(ev["class"], str)
        assert _point(ev["before"]) and _point(ev["after"])
        if ev["kind"] == "stayed" and ev["before"] and ev["after"]:
            x, y = ev["before"]
            ax, ay = m[0][0] * x + m[0][1] * y + m[0][2], m[1][0] * x + m[1][1] * y + m[1][2]
            assert abs(ax - ev["after"][0]) < 25 and abs(ay - ev["after"][1]) < 25
    counts = {k: sum(e["kind"] == k for e in doc["events"]) for k in KINDS}
    assert counts["departed"] == 13 and counts["arrived"] == 17 and counts["out_of_view"] == 5
    assert all(e["before"] is None for e in doc["events"] if e["kind"] == "arrived")
    assert all(e["after"] is None for e in doc["events"] if e["kind"] == "departed")
    crops = sorted((tmp_path / "crops").glob("*.png"))
    assert len(crops) == len([e for e in doc["events"] if e["kind"] != "stayed"])
    assert "departed" in r.out


def test_compare_without_boxes_or_model_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], airbus: Path, tmp_path: Path
) -> None:
    r = run(
        capsys,
        "compare",
        str(airbus / "images" / BEFORE),
        str(airbus / "images" / AFTER),
        "--model",
        str(tmp_path / "absent.onnx"),
    )
    assert r.code == 1
    assert "no objects to compare" in r.err and len(r.err.strip().splitlines()) == 1


def test_compare_refuses_unrelated_images(
    capsys: pytest.CaptureFixture[str], airbus: Path, tmp_path: Path
) -> None:
    labels = str(airbus / "annotations.csv")
    r = run(
        capsys,
        "compare",
        str(airbus / "images" / BEFORE),
        str(airbus / "images" / "4e8c95f3-bbb6-4e2f-920d-8d3b2bd1d29f.jpg"),
        "--boxes-before",
        labels,
        "--boxes-after",
        labels,
    )
    assert r.code == 1
    assert "do not seem to show the same ground" in r.err


def test_compare_missing_file_names_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    r = run(capsys, "compare", str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"))
    assert r.code == 1 and "a.jpg" in r.err and "file not found" in r.err


def _labelled_passes(ws: Workspace, airbus: Path) -> list[int]:
    """BEFORE and AFTER as passes of a site, with their labelled boxes as detections."""
    site = sites_repo.get_site(ws, "hmeimim")
    ids = []
    for name, date in ((BEFORE, "2024-12-10"), (AFTER, "2024-12-13")):
        p = inspect_pass(airbus / "images" / name, site, gsd_m=0.5, date=date)
        stored = passes_repo.add_pass(ws, p).pass_
        assert stored.id is not None
        boxes = read_boxes(airbus / "annotations.csv", image=name)
        detections_repo.add_detections(ws, stored.id, boxes, source="labels")
        ids.append(stored.id)
    return ids


def test_compare_passes_in_a_workspace(
    capsys: pytest.CaptureFixture[str], airbus: Path, ws: Workspace, tmp_path: Path
) -> None:
    assert ws.schema_revision() == HEAD_REVISION == "0005_change"
    ids = _labelled_passes(ws, airbus)
    ws.close()
    r = run(
        capsys,
        "compare",
        str(ids[0]),
        str(ids[1]),
        "--workspace",
        str(tmp_path / "ws.db"),
        "--json",
        "-",
    )
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["registration_id"] == 1
    assert doc["counts"]["departed"] == 13
    with Workspace.open(tmp_path / "ws.db") as w2:
        events = change_repo.list_events(w2, pass_a_id=ids[0], pass_b_id=ids[1])
        assert len(events) == len(doc["events"])
        dep = [e for e in events if e.kind == "departed"]
        assert all(e.before_detection_id is not None and e.after is None for e in dep)
        stayed = next(e for e in events if e.kind == "stayed" and e.after_detection_id)
        assert stayed.object_id is not None
        hist = change_repo.object_history(w2, stayed.object_id)
        assert [h.status for h in hist] == ["seen", "stayed"]
        assert [h.pass_id for h in hist] == ids
        (reg,) = change_repo.list_registrations(w2)
        assert reg.inliers > 200 and reg.rms_px < 1.5


def test_compare_uses_the_detector_when_its_model_exists(
    capsys: pytest.CaptureFixture[str], airbus: Path, tmp_path: Path
) -> None:
    from sitewatch.config import Settings

    model = Settings.load().model_path
    if not model.is_file():
        pytest.skip(f"no detector model at {model}")
    out = tmp_path / "out.json"
    r = run(
        capsys,
        "compare",
        str(airbus / "images" / BEFORE),
        str(airbus / "images" / AFTER),
        "--json",
        str(out),
    )
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    assert doc["source"].startswith("detector")
    assert doc["boxes"]["before"] > 0 and doc["boxes"]["after"] > 0
    assert all(
        e["kind"] in KINDS and _point(e["before"]) and _point(e["after"]) for e in doc["events"]
    )


def test_workspace_compare_takes_a_second_look_at_weak_detections(
    airbus: Path, ws: Workspace
) -> None:
    from dataclasses import replace

    from sitewatch.change.workspace import compare_passes

    ids = _labelled_passes(ws, airbus)
    first = compare_passes(ws, ids[0], ids[1], save=False).result
    dep = first.by_kind("departed")[0]
    assert dep.before is not None and dep.registered_xy is not None
    # A weak model detection where the departed aircraft would stand in AFTER.
    x, y = dep.registered_xy
    weak = replace(dep.before, cx=x, cy=y, score=0.35, id=None)
    (weak_id,) = detections_repo.add_detections(ws, ids[1], [weak], source="model")

    def kind_at(result: object) -> str:
        evs = [e for e in result.events if e.before is not None]  # type: ignore[attr-defined]
        return next(e.kind.value for e in evs if e.before.cx == dep.before.cx)

    # Below the object cut and without a second look it is not an object: still departed.
    plain = compare_passes(ws, ids[0], ids[1], save=False, verify=False).result
    assert kind_at(plain) == "departed"
    # The second look finds it (≥ low_score) and the departure becomes "stayed".
    looked = compare_passes(ws, ids[0], ids[1], save=False).result
    assert kind_at(looked) == "stayed"
    assert len(looked.by_kind("departed")) == len(first.by_kind("departed")) - 1
    # An analyst's confirmation makes it an object whatever its score.
    detections_repo.review(ws, weak_id, "confirm", user="analyst")
    confirmed = compare_passes(ws, ids[0], ids[1], save=False, verify=False).result
    assert kind_at(confirmed) == "stayed"
