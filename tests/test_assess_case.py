"""The built-in case end to end: load, judge as of 13 Dec 2024, follow it to late January.

Needs the shared timeline (``sitewatch.config.data_dir()``); skips with the reason otherwise.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitewatch.assess import (
    assess,
    evolution,
    load_case,
    plot_evolution,
    read_case,
    uncited_sentences,
)
from sitewatch.assess.engine import split_sentences
from sitewatch.errors import InputError
from sitewatch.store import Workspace, assess_repo, evidence_repo
from tests.clirun import run

DEC13 = datetime(2024, 12, 13, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded_db(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("case") / "case.db"
    with Workspace.open(path) as ws:
        load_case(ws, "syria-2024", user="analyst", data=data_root)
    return path


@pytest.fixture()
def case_ws(loaded_db: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the loaded workspace, so a test may change it."""
    copy = tmp_path / "case.db"
    shutil.copy(loaded_db, copy)
    with Workspace.open(copy) as ws:
        yield ws


def test_case_loads_fully_and_reloading_changes_nothing(
    case_ws: Workspace, data_root: Path
) -> None:
    spec = read_case("syria-2024")
    items = evidence_repo.list_evidence(case_ws)
    assert len(items) == 73
    case = assess_repo.get_case(case_ws, "syria-2024")
    assert [h.key for h in case.hypotheses] == ["H1", "H2", "H3", "H4"]
    assert len(case.ratings) == len(spec.entries) and all(
        len(r) == 4 for r in case.ratings.values()
    )
    assert len(evidence_repo.list_links(case_ws)) == len(spec.links)
    assert len(case.indicators) == 5
    graded = [i for i in items if i.grade_rationale and not i.grade_rationale.startswith("default")]
    assert len(graded) == sum(1 for e in spec.entries if e.grade is not None)
    # the analysts' differing mid-December views are kept side by side as a contradiction
    kofman = next(i for i in items if "Kofman" in i.claim)
    assert any(
        lk.kind.value == "contradicts" for lk in evidence_repo.list_links(case_ws, kofman.id)
    )
    again = load_case(case_ws, "syria-2024", user="analyst", data=data_root)
    assert (again.evidence_added, again.graded, again.links_added) == (0, 0, 0)
    assert again.evidence_present == 73 and again.links_present == len(spec.links)


def test_judgment_as_of_13_december(case_ws: Workspace) -> None:
    a = assess(case_ws, "syria-2024", DEC13)
    # H2 (partial withdrawal, consolidation at the two bases) leads; routine rotation is out
    assert a.leader == "H2" and a.estimative_word == "likely" and a.probability_band == (0.55, 0.8)
    assert a.matrix.ranking[-1] == "H3" and a.probabilities["H3"] < 0.05
    assert a.confidence == "moderate" and a.confidence_reasons
    used = [i for i in evidence_repo.list_evidence(case_ws) if i.id in a.ach]
    assert all(i.time_start is not None and i.time_start <= a.as_of for i in used)
    assert a.matrix.non_diagnostic  # context rows are flagged
    strong = {s.key for s in a.indicators if s.level.value == "strong"}
    assert {"hmeimim-heavy-transports", "tartus-vessels-out-of-port"} <= strong


def test_every_generated_sentence_cites_evidence(case_ws: Workspace) -> None:
    spec = read_case("syria-2024")
    for day in spec.evolution:
        a = assess(case_ws, "syria-2024", day)
        sentences = a.sentences()
        assert len(sentences) >= 5
        missing = [s for s in sentences if uncited_sentences(s)]
        assert missing == [], f"uncited as of {day:%Y-%m-%d}: {missing}"
        known = set(a.ach)
        for j in (*a.judgments, *a.confidence_reasons):
            assert j.evidence_ids and set(j.evidence_ids) <= known | {
                i.id for i in evidence_repo.list_evidence(case_ws)
            }
    # and the check itself bites
    assert uncited_sentences("H2 leads [E3]. H1 trails.") == ["H1 trails."]
    assert split_sentences("A [E1]. B.") == ["A [E1].", "B."]


def test_same_inputs_give_identical_output(
    loaded_db: Path, data_root: Path, tmp_path: Path
) -> None:
    with Workspace.open(loaded_db) as ws:
        first = json.dumps(assess(ws, "syria-2024", DEC13).to_dict(), sort_keys=True)
        evo1 = evolution(ws, "syria-2024", list(read_case("syria-2024").evolution))
    # a second, independently loaded workspace
    with Workspace.open(tmp_path / "again.db") as ws2:
        load_case(ws2, "syria-2024", user="someone else", data=data_root)
        second = json.dumps(assess(ws2, "syria-2024", DEC13).to_dict(), sort_keys=True)
        evo2 = evolution(ws2, "syria-2024", list(reversed(read_case("syria-2024").evolution)))
    assert first == second and evo1 == evo2


def test_evolution_to_late_january(case_ws: Workspace, tmp_path: Path) -> None:
    spec = read_case("syria-2024")
    evo = evolution(case_ws, "syria-2024", list(spec.evolution))
    by_day = {r["as_of"]: r for r in evo}
    assert by_day["2024-12-06"]["estimative_word"] == "unlikely"  # nothing stands out yet
    assert by_day["2024-12-13"]["leader"] == "H2"
    late = by_day["2025-01-31"]
    assert late["leader"] == "H2" and late["estimative_word"] == "very likely"
    assert late["probabilities"]["H3"] < 0.01  # routine rotation ruled out
    assert late["probabilities"]["H2"] > by_day["2024-12-13"]["probabilities"]["H2"]
    assert all(r["momentum"] for r in evo[1:]) and evo[0]["momentum"] == {}
    labels = {h.key: h.text for h in read_case("syria-2024").hypotheses}
    fig = plot_evolution(evo, tmp_path / "evo.png", labels=labels)
    assert (tmp_path / "evo.png").stat().st_size > 1000
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_cli_case_load_and_assess(
    capsys: pytest.CaptureFixture[str], data_root: Path, tmp_path: Path
) -> None:
    w = str(tmp_path / "cli.db")
    loaded = run(capsys, "case", "load", "syria-2024", "-w", w, "--json")
    assert loaded.code == 0, loaded.err
    assert loaded.json()["timeline_rows"] == 73
    out = run(capsys, "assess", "syria-2024", "--as-of", "2024-12-13", "-w", w, "--json")
    assert out.code == 0, out.err
    data = out.json()
    assert data["leader"] == "H2" and data["as_of"] == "2024-12-13"
    assert len(data["matrix"]) == 27  # rated items dated on or before 13 Dec
    assert data["matrix"][0]["ratings"].keys() == {"H1", "H2", "H3", "H4"}
    table = run(capsys, "assess", "syria-2024", "--as-of", "2024-12-13", "-w", w)
    assert table.code == 0 and "Bottom line" in table.out and "inconsistency" in table.out
    evo = run(
        capsys, "assess", "syria-2024", "--evolution", "2024-12-13,2025-01-31", "-w", w, "--json"
    )
    assert [r["as_of"] for r in evo.json()] == ["2024-12-13", "2025-01-31"]
    ind = run(
        capsys, "case", "indicators", "syria-2024", "--as-of", "2024-12-13", "-w", w, "--json"
    )
    assert ind.code == 0 and len(ind.json()) == 5
    early = run(capsys, "assess", "syria-2024", "--as-of", "2024-11-01", "-w", w)
    assert early.code == 1 and "no rated evidence" in early.err
    unknown = run(capsys, "assess", "nope", "--as-of", "2024-12-13", "-w", w)
    assert unknown.code == 1 and "no case 'nope'" in unknown.err


def _broken_case(tmp_path: Path, old: str, new: str) -> Path:
    text = read_case("syria-2024").path
    body = Path(text).read_text(encoding="utf-8")
    assert old in body
    p = tmp_path / "broken.yaml"
    p.write_text(body.replace(old, new, 1), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ach: {H1: C, H2: C, H3: II, H4: C}", "ach: {H1: C, H5: C}", "unknown hypothesis 'H5'"),
        ("grade: B1", "grade: Z9", "unknown grade 'Z9'"),
        ("ach: {H1: I, H2: N, H3: C, H4: N}", "ach: {H1: maybe}", "unknown rating 'maybe'"),
        (
            "links:\n",
            'links:\n  - {from: "2024-12-10 | two frigates redeployed 7-12 km", '
            "kind: corroborates, "
            'to: "2024-12-11 | NYT imagery"}\n',
            "cyclic link",
        ),
        ("2024-12-13 | Two An-124", "2024-12-14 | Two An-124", "matches no timeline row"),
    ],
)
def test_bad_case_file_is_refused_and_nothing_is_lost(
    case_ws: Workspace, data_root: Path, tmp_path: Path, old: str, new: str, message: str
) -> None:
    before = (
        evidence_repo.list_evidence(case_ws),
        evidence_repo.list_links(case_ws),
        assess_repo.get_case(case_ws, "syria-2024"),
    )
    with pytest.raises(InputError, match=message):
        load_case(case_ws, _broken_case(tmp_path, old, new), user="x", data=data_root)
    after = (
        evidence_repo.list_evidence(case_ws),
        evidence_repo.list_links(case_ws),
        assess_repo.get_case(case_ws, "syria-2024"),
    )
    assert after == before


def test_rating_for_unknown_hypothesis_in_store(
    case_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from sitewatch.assess import Rating

    before = assess_repo.get_case(case_ws, "syria-2024")
    eid = min(before.ratings)
    with pytest.raises(InputError, match="unknown hypothesis 'H9'"):
        assess_repo.set_rating(case_ws, "syria-2024", eid, "H9", Rating.C, user="x")
    r = run(capsys, "case", "rate", "syria-2024", str(eid), "H1", "XX", "-w", case_ws.url)
    assert r.code == 1 and "unknown rating" in r.err
    assert assess_repo.get_case(case_ws, "syria-2024") == before
    assess_repo.set_rating(
        case_ws, "syria-2024", eid, "H1", Rating.II, user="x", rationale="re-read"
    )
    assert assess_repo.get_case(case_ws, "syria-2024").ratings[eid]["H1"] is Rating.II


def test_briefing_data_is_plain_json(case_ws: Workspace) -> None:
    from sitewatch.assess import briefing_data

    data = briefing_data(case_ws, "syria-2024")
    assert data["assessment"]["as_of"] == "2024-12-13"
    assert data["evolution"][-1]["as_of"] == "2025-01-31"
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_snapshots_are_kept(case_ws: Workspace) -> None:
    a = assess(case_ws, "syria-2024", DEC13)
    sid = assess_repo.save_snapshot(case_ws, "syria-2024", a.as_of, a.to_dict(), user="ana")
    snaps = assess_repo.list_snapshots(case_ws, "syria-2024")
    assert [s.id for s in snaps] == [sid] and snaps[0].payload["leader"] == "H2"
