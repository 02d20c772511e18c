"""The demo builds its workspace from the real data and writes a briefing a person can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.demo import SAMPLE_LABEL, run_demo
from sitewatch.detect import default_model_path
from sitewatch.errors import SitewatchError
from sitewatch.store import Workspace, detections_repo, evidence_repo, passes_repo


def test_demo_runs_the_whole_chain(tmp_path: Path, data_root: Path) -> None:
    lines: list[str] = []
    result = run_demo(tmp_path / "out", data=data_root, log=lines.append)
    html = result.briefing.read_text(encoding="utf-8")
    assert result.sites == 17 and result.passes == 2
    assert "Hmeimim (Khmeimim) Air Base" in html and "Tartus" in html
    assert SAMPLE_LABEL in html and "pixel frame" in html
    # the case briefing is as of 13 Dec 2024: the BLUF, its citations and the evolution
    assert "As of 13 Dec 2024, it is likely (55–80 %) that H2 holds" in html
    assert "Assessment over time" in html and 'alt="assessment over time"' in html
    shown = html.count('<tr id="ev-')
    assert shown == result.evidence and 20 <= shown < 73
    with Workspace.open(result.workspace) as ws:
        assert len(evidence_repo.list_evidence(ws)) == 73
        passes = passes_repo.list_passes(ws, "airbus-sample")
        assert [p.gsd_m for p in passes] == [0.5, 0.5]
        if default_model_path().is_file():
            counts = [detections_repo.counts_by_class(ws, p.id or 0) for p in passes]
            assert all(c.get("aircraft", 0) > 0 for c in counts), counts
            assert any(line.startswith("change pass 1 → 2") for line in lines)
    if (result.briefing.parent / "briefing.pdf").exists():
        assert (result.briefing.parent / "briefing.pdf").read_bytes()[:5] == b"%PDF-"


def test_demo_without_data_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SitewatchError, match=r"set SITEWATCH_DATA=/path/to/data"):
        run_demo(tmp_path / "out", data=tmp_path / "nothing-here", log=lambda _m: None)
