"""Evidence import v1 on the real December 2024 timeline, and on broken input."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from sitewatch.evidence import EvidenceKind, Grade, parse_evidence_file
from sitewatch.sites import builtin_sites
from sitewatch.store import Workspace, evidence_repo
from tests.clirun import run


@pytest.fixture()
def timeline(data_root: Path) -> Path:
    return data_root / "case-syria-2024" / "timeline.csv"


def test_all_73_timeline_rows_import(timeline: Path) -> None:
    result = parse_evidence_file(timeline, sites=builtin_sites())
    assert result.errors == []
    assert result.rows == len(result.items) == 73
    items = result.items
    ranges = [i for i in items if i.time_end is not None]
    # every date range and imprecise date in the file becomes a span
    with timeline.open() as fh:
        raw = [r["date"] for r in csv.DictReader(fh)]
    assert len(ranges) == sum(1 for d in raw if len(d) != 10) == 12
    first_range = next(i for i in items if i.meta["date_text"] == "2024-12-01/2024-12-03")
    assert (first_range.time_start.day, first_range.time_end.day) == (1, 3)  # type: ignore[union-attr]
    assert first_range.site_slug == "tartus"
    assert first_range.kind is EvidenceKind.IMAGERY_OBSERVATION
    assert str(first_range.grade) == "B2"
    kinds = Counter(i.kind for i in items)
    assert kinds[EvidenceKind.NEWS_REPORT] == 24 and kinds[EvidenceKind.VIDEO] == 1
    sites = Counter(i.site_slug for i in items)
    assert sites["hmeimim"] >= 10 and sites["tartus-offshore"] >= 5
    assert all(i.origin and i.origin.startswith("timeline.csv line ") for i in items)
    assert all(i.grade_rationale for i in items)


def test_reimport_is_a_no_op_and_links_sites(ws: Workspace, timeline: Path) -> None:
    from sitewatch.store import sites_repo

    sites = sites_repo.list_sites(ws)
    first = evidence_repo.add_evidence(ws, parse_evidence_file(timeline, sites=sites).items)
    again = evidence_repo.add_evidence(ws, parse_evidence_file(timeline, sites=sites).items)
    assert len(first.added) == 73 and again.added == [] and len(again.skipped) == 73
    hmeimim = evidence_repo.list_evidence(ws, site="hmeimim")
    assert hmeimim and all(i.site_slug == "hmeimim" for i in hmeimim)
    good = evidence_repo.list_evidence(ws, min_grade=Grade("B", 2))
    assert good and all(i.grade.reliability <= "B" and i.grade.credibility <= 2 for i in good)


def test_broken_rows_are_reported_by_line_and_the_rest_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, timeline: Path
) -> None:
    lines = timeline.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "\n".join(
            [
                lines[0],
                lines[1],
                "13 Dec,Hmeimim,A row with an unreadable date,news,Someone,https://example.org",
                lines[2],
                "2024-12-14,Hmeimim,,news,Nobody,https://example.org",
                "2024-12-15,Tartus,too,many,fields,here,and,more",
                "2024-12-16,Tartus,Graded in file,news,X,https://example.org,Q,9",
                lines[3],
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    w = str(tmp_path / "w.db")
    r = run(capsys, "evidence", "import", str(broken), "-w", w, "--json")
    assert r.code == 1
    assert r.json() == [
        {"file": str(broken), "rows": 7, "added": 3, "already_present": 0, "rejected": 4}
    ]
    assert "broken.csv, line 3, field 'date': unreadable date '13 Dec'" in r.err
    assert "line 5, field 'claim': empty" in r.err
    assert "line 6: more fields than the header has" in r.err
    r = run(capsys, "evidence", "list", "-w", w, "--json")
    assert len(r.json()) == 3


def test_graded_columns_and_overrides(tmp_path: Path) -> None:
    f = tmp_path / "graded.csv"
    f.write_text(
        "date,place,event,source_type,source,url,reliability,credibility,grade_rationale\n"
        "2024-12-13,Hmeimim,Two An-124 with noses raised,satellite imagery,Maxar,,"
        "A,1,seen ourselves\n"
        "2024-12-13,Hmeimim,Bad grade,news,X,,Q,9,\n"
        "2024-12-14,Tartus,A post,social media,@acct,,,,\n"
    )
    res = parse_evidence_file(f, grade_overrides={"social media": Grade("D", 4)})
    assert [str(i.grade) for i in res.items] == ["A1", "D4"]
    assert res.items[0].grade_rationale == "seen ourselves"
    assert "override" in (res.items[1].grade_rationale or "")
    assert len(res.errors) == 1 and "line 3" in str(res.errors[0])
    assert "unknown grade 'Q9'" in str(res.errors[0])


def test_json_import(tmp_path: Path) -> None:
    f = tmp_path / "e.json"
    f.write_text(
        json.dumps(
            [
                {
                    "date": "2024-12-13",
                    "claim": "c1",
                    "source_type": "analyst",
                    "kind": "analyst_statement",
                },
                {"date": "2024-12-13", "claim": "c2", "kind": "telepathy"},
            ]
        )
    )
    res = parse_evidence_file(f)
    assert len(res.items) == 1 and res.items[0].kind is EvidenceKind.ANALYST_STATEMENT
    assert "line 2, field 'kind': unknown evidence kind 'telepathy'" in str(res.errors[0])


def test_grade_command(capsys: pytest.CaptureFixture[str], tmp_path: Path, timeline: Path) -> None:
    w = str(tmp_path / "w.db")
    run(capsys, "evidence", "import", str(timeline), "-w", w)
    r = run(capsys, "evidence", "grade", "13", "A2", "--why", "matches our imagery", "-w", w)
    assert r.code == 0
    r = run(capsys, "evidence", "show", "13", "-w", w, "--json")
    body = r.json()
    assert body["grade"] == "A2" and body["grade_rationale"] == "matches our imagery"
    assert [h["field"] for h in body["history"]] == ["reliability", "grade_rationale"]
    r = run(capsys, "evidence", "grade", "13", "G7", "--why", "x", "-w", w)
    assert r.code == 1 and "unknown grade 'G7'" in r.err
    r = run(capsys, "evidence", "show", "999", "-w", w)
    assert r.code == 1 and "no evidence item 999" in r.err
