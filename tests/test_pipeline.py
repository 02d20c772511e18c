"""Workspace detection: ``sitewatch detect PASS_ID`` stores a run, detections and measurements."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.detect import default_model_path
from sitewatch.store import Workspace, detections_repo
from tests.clirun import run

IMAGE = "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"


def test_detect_pass_stores_measured_detections(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_root: Path
) -> None:
    if not default_model_path().is_file():
        pytest.skip("no bundled model file")
    w = str(tmp_path / "w.db")
    run(capsys, "sites", "add", "Sample", "--kind", "airport", "-w", w)
    img = data_root / "airbus-aircraft" / "images" / IMAGE
    assert (
        run(capsys, "passes", "add", str(img), "--site", "sample", "--gsd", "0.5", "-w", w).code
        == 0
    )
    r = run(capsys, "detect", "1", "-w", w, "--json")
    assert r.code == 0, r.err
    body = r.json()
    # 22 labelled aircraft on this scene; the model finds most of them and little else
    assert 15 <= body["by_class"].get("aircraft", 0) <= 45
    with Workspace.open(w) as ws:
        dets = detections_repo.list_detections(ws, 1)
        run_ = detections_repo.latest_run(ws, 1)
    assert (
        run_ is not None and run_.status == "done" and run_.model_version == body["model_version"]
    )
    assert all(d.model_version == body["model_version"] for d in dets)
    m = dets[0].measurement
    assert m["length_m"] > 10 and m["length_sd_m"] > 0 and m["candidates"]
    assert run_.params["views"] == 1 and run_.params["zooms"] == [1.0]
    # a second run, read more thoroughly, replaces the current detections instead of adding
    # to them, and records how it read the pass
    r = run(capsys, "detect", "1", "-w", w, "--views", "2", "--zooms", "1,1.4", "--json")
    assert r.code == 0, r.err
    assert 15 <= r.json()["by_class"].get("aircraft", 0) <= 45
    with Workspace.open(w) as ws:
        assert len(detections_repo.list_detections(ws, 1)) == r.json()["detections"]
        runs = detections_repo.list_runs(ws, 1)
        assert len(runs) == 2
        assert {(x.params["views"], tuple(x.params["zooms"])) for x in runs} == {
            (1, (1.0,)),
            (2, (1.0, 1.4)),
        }
    r = run(capsys, "detect", "99", "-w", w)
    assert r.code == 1 and "no pass 99" in r.err
