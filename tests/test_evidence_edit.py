"""Grades, edits and archived copies round-trip through the store; history is kept."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitewatch.errors import InputError
from sitewatch.evidence import EvidenceItem, EvidenceKind, Grade
from sitewatch.evidence.imagery import OWN_IMAGERY_GRADE, imagery_observation
from sitewatch.store import Workspace, evidence_repo
from tests.clirun import run


def _one(ws: Workspace) -> int:
    item = EvidenceItem(
        EvidenceKind.SOCIAL_MEDIA_POST,
        "Troops pouring into the base.",
        Grade("F", 3),
        time_start=datetime(2024, 12, 13, tzinfo=UTC),
        site_slug="hmeimim",
    )
    return evidence_repo.add_evidence(ws, [item]).added[0]


def test_grade_edit_attach_round_trip_with_history(ws: Workspace, tmp_path: Path) -> None:
    eid = _one(ws)
    evidence_repo.grade_evidence(
        ws, eid, Grade("B", 3), rationale="named correspondent", user="ana"
    )
    evidence_repo.update_evidence(
        ws, eid, user="bo", reason="typo", claim="Russian troops pouring into the base."
    )
    copy = tmp_path / "post.html"
    copy.write_bytes(b"<html>post</html>")
    evidence_repo.attach_archive(ws, eid, copy, user="ana")
    ws2 = Workspace.open(ws.url)  # a second handle reads what the first wrote
    item = evidence_repo.get_evidence(ws2, eid)
    ws2.close()
    assert str(item.grade) == "B3" and item.grade_rationale == "named correspondent"
    assert item.claim == "Russian troops pouring into the base."
    assert item.archive_sha256 == hashlib.sha256(b"<html>post</html>").hexdigest()
    assert item.archive_path == str(copy.resolve())
    fields = [(h.field, h.old_value, h.new_value) for h in evidence_repo.history(ws, eid)]
    assert fields[:3] == [
        ("reliability", "F", "B"),
        ("grade_rationale", None, "named correspondent"),
        ("claim", "Troops pouring into the base.", "Russian troops pouring into the base."),
    ]
    assert [f for f, _, _ in fields[3:]] == ["archive_sha256", "archive_path"]


def test_bad_input_is_refused_and_nothing_is_lost(
    capsys: pytest.CaptureFixture[str], ws: Workspace, tmp_path: Path
) -> None:
    eid = _one(ws)
    before = (evidence_repo.get_evidence(ws, eid), evidence_repo.history(ws, eid))
    bad_grade = run(capsys, "evidence", "grade", str(eid), "G7", "--why", "x", "-w", ws.url)
    assert bad_grade.code == 1 and "unknown grade 'G7'" in bad_grade.err
    with pytest.raises(InputError, match="cannot edit"):
        evidence_repo.update_evidence(ws, eid, user="x", id=5)
    missing = run(capsys, "evidence", "attach", str(eid), str(tmp_path / "nope"), "-w", ws.url)
    assert missing.code == 1 and "file not found" in missing.err
    bad_date = run(
        capsys, "evidence", "edit", str(eid), "--when", "13 Dec", "--why", "x", "-w", ws.url
    )
    assert bad_date.code == 1 and "--when" in bad_date.err
    assert (evidence_repo.get_evidence(ws, eid), evidence_repo.history(ws, eid)) == before


def test_cli_edit_and_history(capsys: pytest.CaptureFixture[str], ws: Workspace) -> None:
    eid = _one(ws)
    r = run(
        capsys, "evidence", "edit", str(eid), "--when", "2024-12-13/2024-12-14",
        "--tags", "convoy;hmeimim", "--why", "range per the post", "-w", ws.url, "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.json()["time_end"] == "2024-12-14" and r.json()["tags"] == ["convoy", "hmeimim"]
    h = run(capsys, "evidence", "history", str(eid), "--json", "-w", ws.url).json()
    assert {e["field"] for e in h} == {"time_end", "tags"}
    assert all(e["reason"] == "range per the post" for e in h)


def test_imagery_observation_links_back_and_round_trips(ws: Workspace) -> None:
    kw = {
        "pass_id": 4,
        "object_id": 9,
        "polygon_px": [(1, 2), (30, 2), (30, 20)],
        "model_version": "sitewatch-det 0.3",
        "claim": "Ka-52 with rotor blades removed.",
        "observed_at": datetime(2024, 12, 13, 8, tzinfo=UTC),
        "site_slug": "hmeimim",
    }
    default = imagery_observation(**kw)  # type: ignore[arg-type]
    assert default.grade == OWN_IMAGERY_GRADE and "default" in (default.grade_rationale or "")
    override = imagery_observation(**kw, grade=Grade("B", 3), grade_rationale="haze")  # type: ignore[arg-type]
    assert str(override.grade) == "B3" and override.grade_rationale == "haze"
    eid = evidence_repo.add_evidence(ws, [default]).added[0]
    again = evidence_repo.add_evidence(ws, [imagery_observation(**kw)])  # type: ignore[arg-type]
    assert again.skipped == [eid]  # same pass, object, pixels, model: same origin key
    stored = evidence_repo.get_evidence(ws, eid)
    assert stored.meta["pass_id"] == 4 and stored.meta["object_id"] == 9
    assert stored.meta["polygon_px"] == [[1.0, 2.0], [30.0, 2.0], [30.0, 20.0]]
    assert stored.meta["model_version"] == "sitewatch-det 0.3"
    assert stored.origin == "pass 4 object 9" and stored.site_slug == "hmeimim"
    with pytest.raises(InputError, match="naive"):
        imagery_observation(**{**kw, "observed_at": datetime(2024, 12, 13)})  # type: ignore[arg-type]
