"""The briefing: HTML and PDF from a real workspace, honest about stages not run, every
citation resolving, and the same output for the same inputs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sitewatch.demo import DEMO_PAIR
from sitewatch.evidence import parse_evidence_file
from sitewatch.imagery import inspect_pass
from sitewatch.report import collect_briefing, render_html, render_pdf
from sitewatch.report.briefing import BriefingData
from sitewatch.report.providers import ACTIVITY_HOOK, ASSESS_HOOK, CHANGE_HOOK
from sitewatch.sites import Site, SiteKind
from sitewatch.store import Workspace, detections_repo, evidence_repo, passes_repo, sites_repo
from tests.airbus_labels import airbus_label_boxes
from tests.clirun import run

STAMP = "2025-01-01 00:00 UTC"


def build_workspace(path: Path, root: Path) -> Path:
    """Case sites + the real evidence timeline + the Airbus pair with its labelled aircraft."""
    with Workspace.open(path) as ws:
        parsed = parse_evidence_file(
            root / "case-syria-2024" / "timeline.csv", sites=sites_repo.list_sites(ws)
        )
        evidence_repo.add_evidence(ws, parsed.items)
        site = sites_repo.add_site(
            ws, Site(slug="airbus-sample", name="Sample airport", kind=SiteKind.AIRPORT)
        )
        for tag, name in zip(("before", "after"), DEMO_PAIR, strict=True):
            image = root / "airbus-aircraft" / "images" / name
            p = passes_repo.add_pass(
                ws, inspect_pass(image, site, gsd_m=0.5, sensor="Airbus Pléiades", label=tag)
            ).pass_
            assert p.id is not None
            r = detections_repo.start_run(
                ws, p.id, model_name="airbus-labels", model_version="annotations-csv"
            )
            detections_repo.add_detections(ws, p.id, airbus_label_boxes(root, name), run_id=r.id)
            detections_repo.finish_run(ws, r.id)
    return path


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    return build_workspace(tmp_path_factory.mktemp("report") / "ws.db", data_root)


@pytest.fixture()
def ws(ws_path: Path) -> Iterator[Workspace]:
    with Workspace.open(ws_path) as w:
        yield w


def _html(data: BriefingData) -> str:
    data.generated_at = STAMP
    return render_html(data)


# -- a stand-in for sitewatch.assess, shaped as the documented hook protocol --------------


@dataclass(frozen=True)
class _J:
    text: str
    evidence_ids: tuple[int, ...]


@dataclass(frozen=True)
class _H:
    key: str
    text: str


@dataclass(frozen=True)
class _A:
    question: str
    bluf: str
    estimative_word: str
    probability_band: tuple[float, float]
    confidence: str
    judgments: Sequence[_J]
    hypotheses: Sequence[_H]
    ach: Mapping[int, Mapping[str, str]]
    would_change: Sequence[str]
    as_of: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _fake_assess(ids: list[int]) -> types.ModuleType:
    mod = types.ModuleType(ASSESS_HOOK[0])

    def briefing_assessments(ws: Workspace, *, sites: Sequence[str], as_of: object) -> list[_A]:
        return [
            _A(
                question="Is Russia withdrawing from Hmeimim?",
                bluf="Test BLUF sentence.",
                estimative_word="likely",
                probability_band=(0.55, 0.8),
                confidence="moderate",
                judgments=[_J("Judgment one.", (ids[0], ids[1])), _J("Judgment two.", (ids[2],))],
                hypotheses=[_H("H1", "Withdrawal"), _H("H2", "Rotation")],
                ach={ids[3]: {"H1": "C", "H2": "I"}, 999_999: {"H1": "N", "H2": "N"}},
                would_change=["Aircraft return to the apron."],
                as_of=datetime(2024, 12, 31, tzinfo=UTC),
            )
        ]

    setattr(mod, ASSESS_HOOK[1], briefing_assessments)
    return mod


# -- tests ----------------------------------------------------------------------------------


def test_case_briefing_today_says_what_has_not_run(ws: Workspace) -> None:
    html = _html(collect_briefing(ws, title="Case", scope="case"))
    assert html.count("Not run: the assessment stage (sitewatch.assess)") == 4
    assert "Not run: the change stage (sitewatch.change)" in html
    assert "Not run: the tracks stage (sitewatch.tracks)" in html
    # imagery panels: before/after with the stored detections, model version, frame, scale
    assert len(re.findall(r'<img alt="imagery panel, pass \d+ \((before|after)\)"', html)) == 2
    assert "22 detections shown" in html and "airbus-labels annotations-csv" in html
    assert html.count("pixel frame — north unknown (no georeference)") == 2
    assert "Airbus Pléiades" in html and "GSD 0.50 m" in html
    # sources and licences of the imagery shown
    assert html.count("CC BY-NC-SA 4.0") == 2 and "non-commercial" in html
    assert html.count('<tr id="ev-') == 73


def test_site_scope_and_as_of(ws: Workspace) -> None:
    full = collect_briefing(ws, title="H", scope="hmeimim")
    early = collect_briefing(
        ws, title="H", scope="Hmeimim", as_of=datetime(2024, 12, 10, tzinfo=UTC)
    )
    assert full.evidence and all(e.site_slug == "hmeimim" for e in full.evidence)
    assert 0 < len(early.evidence) < len(full.evidence)
    assert all(e.time_start is None or e.time_start.day <= 10 for e in early.evidence)
    assert not full.panels and "No imagery is shown" in _html(full)


def test_assessment_fills_in_and_every_citation_resolves(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [e.id or 0 for e in evidence_repo.list_evidence(ws, site="hmeimim")][:4]
    monkeypatch.setitem(sys.modules, ASSESS_HOOK[0], _fake_assess(ids))
    data = collect_briefing(ws, title="H", scope="tartus")
    html = _html(data)
    assert "Not run: the assessment stage" not in html
    assert "Test BLUF sentence." in html and ">likely<" in html and "55–80 %" in html
    assert "<b>moderate</b> confidence" in html and "Aircraft return to the apron." in html
    assert '<th title="Withdrawal">H1</th>' in html
    cites = set(re.findall(r'href="#ev-(\d+)"', html))
    rows = set(re.findall(r'<tr id="ev-(\d+)"', html))
    # hmeimim evidence cited from a tartus briefing is pulled into the appendix…
    assert {str(i) for i in ids} <= rows
    # …and an id that does not exist is reported, not silently linked
    assert data.missing_citations == [999_999] and 'title="not in the workspace">E999999?' in html
    assert cites and cites <= rows  # every link lands on an appendix row


def test_change_hook_marks_events(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    before, after = (p.id or 0 for p in passes_repo.list_passes(ws, "airbus-sample"))

    @dataclass(frozen=True)
    class Ev:
        kind: str
        class_name: str
        cx: float
        cy: float

    @dataclass(frozen=True)
    class Pair:
        before_pass_id: int
        after_pass_id: int
        events: tuple[Ev, ...]
        model_version: str | None

    @dataclass(frozen=True)
    class Series:
        name: str
        unit: str
        points: tuple[tuple[datetime, float], ...]

    @dataclass(frozen=True)
    class Change:
        pairs: tuple[Pair, ...]
        series: tuple[Series, ...]

    mod = types.ModuleType(CHANGE_HOOK[0])
    setattr(
        mod,
        CHANGE_HOOK[1],
        lambda ws, *, sites, as_of: Change(
            (Pair(before, after, (Ev("appeared", "aircraft", 900, 900),), "cv-1"),),
            (
                Series(
                    "aircraft on the apron",
                    "count",
                    (
                        (datetime(2024, 12, 1, tzinfo=UTC), 22.0),
                        (datetime(2024, 12, 9, tzinfo=UTC), 29.0),
                    ),
                ),
            ),
        ),
    )
    tracks = types.ModuleType(ACTIVITY_HOOK[0])
    setattr(
        tracks,
        ACTIVITY_HOOK[1],
        lambda ws, *, sites, as_of: [
            Series("flights/day", "flights", ((datetime(2024, 12, 1, tzinfo=UTC), 3.0),))
        ],
    )
    monkeypatch.setitem(sys.modules, ACTIVITY_HOOK[0], tracks)
    monkeypatch.setitem(sys.modules, CHANGE_HOOK[0], mod)
    html = _html(collect_briefing(ws, title="C", scope="airbus-sample"))
    assert "1 change events marked (change model cv-1)" in html
    assert "Not run: the change stage" not in html and "Not run: the tracks stage" not in html
    assert 'alt="time series" src="data:image/png' in html
    assert 'alt="activity from tracks" src="data:image/png' in html


def test_briefing_is_deterministic(ws: Workspace) -> None:
    a = _html(collect_briefing(ws, title="D", scope="case"))
    b = _html(collect_briefing(ws, title="D", scope="case"))
    assert a == b


def test_pdf_renders_a_page_that_is_not_blank(ws: Workspace, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    data = collect_briefing(ws, title="Sample airport briefing", scope="airbus-sample")
    pdf = render_pdf(data, tmp_path / "b.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (page,) = tmp_path.glob("page-*.png")
    grey = np.asarray(Image.open(page).convert("L"), dtype=np.float32)
    assert grey.shape[0] > grey.shape[1]  # an A4 portrait page
    # not blank: text alone inks ~5 % of a page; page 1 also carries the two imagery panels
    assert (grey < 200).mean() > 0.15 and grey.std() > 30


def test_cli_report_html_and_errors(
    ws_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "h.html"
    res = run(
        capsys, "report", "hmeimim", "--as-of", "2024-12-15", "--out", str(out), "-w", str(ws_path)
    )
    assert res.code == 0, res.err
    assert "briefing written" in res.out and "Not run" in res.err
    assert "as of 2024-12-15 23:59 UTC" in out.read_text(encoding="utf-8")
    bad = run(capsys, "report", "atlantis", "--out", str(out), "-w", str(ws_path))
    assert bad.code == 1 and "no site or case called 'atlantis'" in bad.err
    fmt = run(capsys, "report", "case", "--format", "docx", "--out", str(out), "-w", str(ws_path))
    assert fmt.code == 1 and "--format" in fmt.err
