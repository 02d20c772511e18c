"""Evidence links: round trip, history, and the links that make no sense (nothing lost)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sitewatch.errors import InputError, NotFoundError
from sitewatch.evidence import EvidenceItem, EvidenceKind, Grade
from sitewatch.evidence.links import EvidenceLink, LinkKind, check_link
from sitewatch.store import Workspace, evidence_repo
from tests.clirun import run


def _items(ws: Workspace, n: int) -> list[int]:
    items = [
        EvidenceItem(
            EvidenceKind.NEWS_REPORT,
            f"Report {i}.",
            Grade("B", 3),
            time_start=datetime(2024, 12, 10 + i, tzinfo=UTC),
            origin_key=f"k{i}",
        )
        for i in range(n)
    ]
    return evidence_repo.add_evidence(ws, items).added


def test_links_round_trip_with_history(ws: Workspace) -> None:
    a, b, c = _items(ws, 3)
    evidence_repo.add_link(ws, a, b, LinkKind.CORROBORATES, user="ana", note="same convoy")
    evidence_repo.add_link(ws, c, a, LinkKind.CONTRADICTS, user="ana", note="7 vs 15 km")
    assert evidence_repo.list_links(ws) == [
        EvidenceLink(a, b, LinkKind.CORROBORATES, "same convoy"),
        EvidenceLink(c, a, LinkKind.CONTRADICTS, "7 vs 15 km"),
    ]
    assert [lk.target_id for lk in evidence_repo.list_links(ws, b)] == [b]
    hist = evidence_repo.history(ws, a)
    assert [(h.field, h.new_value, h.changed_by) for h in hist] == [
        ("link", f"{a} corroborates {b}", "ana"),
        ("link", f"{c} contradicts {a}", "ana"),
    ]
    evidence_repo.remove_link(ws, a, c, LinkKind.CONTRADICTS, user="bo", reason="resolved")
    assert len(evidence_repo.list_links(ws)) == 1
    last = evidence_repo.history(ws, c)[-1]
    assert (last.old_value, last.new_value, last.reason) == (
        f"{c} contradicts {a}",
        None,
        "resolved",
    )


@pytest.mark.parametrize(
    ("links", "new", "message"),
    [
        ([], (1, 1, "corroborates"), "cannot corroborate itself"),
        ([], (2, 2, "contradicts"), "cannot contradict itself"),
        ([(1, 2, "corroborates")], (2, 1, "corroborates"), "cyclic link"),
        ([(1, 2, "corroborates"), (2, 3, "corroborates")], (3, 1, "corroborates"), "1 → 2 → 3 → 1"),
        ([(1, 2, "corroborates")], (1, 2, "corroborates"), "already corroborates"),
        ([(1, 2, "contradicts")], (2, 1, "contradicts"), "already contradicts"),
        ([(1, 2, "corroborates")], (2, 1, "contradicts"), "both corroborate and contradict"),
    ],
)
def test_links_that_make_no_sense_are_refused(
    links: list[tuple[int, int, str]], new: tuple[int, int, str], message: str
) -> None:
    existing = [EvidenceLink(a, b, LinkKind(k)) for a, b, k in links]
    with pytest.raises(InputError, match=message):
        check_link(existing, EvidenceLink(new[0], new[1], LinkKind(new[2])))


def test_contradiction_cycles_are_allowed() -> None:
    # three reports of ship distances can each disagree with the other two
    links = [
        EvidenceLink(1, 2, LinkKind.CONTRADICTS),
        EvidenceLink(2, 3, LinkKind.CONTRADICTS),
    ]
    check_link(links, EvidenceLink(3, 1, LinkKind.CONTRADICTS))


def test_cyclic_link_in_store_is_refused_and_nothing_is_lost(ws: Workspace) -> None:
    a, b, c = _items(ws, 3)
    evidence_repo.add_link(ws, a, b, LinkKind.CORROBORATES, user="ana")
    evidence_repo.add_link(ws, b, c, LinkKind.CORROBORATES, user="ana")
    before_links = evidence_repo.list_links(ws)
    before_hist = [evidence_repo.history(ws, i) for i in (a, b, c)]
    with pytest.raises(InputError, match="cyclic link"):
        evidence_repo.add_link(ws, c, a, LinkKind.CORROBORATES, user="ana")
    with pytest.raises(NotFoundError):
        evidence_repo.add_link(ws, a, 999, LinkKind.CONTRADICTS, user="ana")
    assert evidence_repo.list_links(ws) == before_links
    assert [evidence_repo.history(ws, i) for i in (a, b, c)] == before_hist


def test_cli_link_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: object, ws: Workspace
) -> None:
    a, b = _items(ws, 2)
    url = ws.url
    ok = run(capsys, "evidence", "link", str(a), "corroborates", str(b), "-w", url)
    assert ok.code == 0, ok.err
    bad = run(capsys, "evidence", "link", str(b), "corroborates", str(a), "-w", url)
    assert bad.code == 1 and "cyclic link" in bad.err and bad.err.count("\n") == 1
    self_link = run(capsys, "evidence", "link", str(a), "contradicts", str(a), "-w", url)
    assert self_link.code == 1 and "cannot contradict itself" in self_link.err
    kind = run(capsys, "evidence", "link", str(a), "supports", str(b), "-w", url)
    assert kind.code == 1 and "unknown link kind" in kind.err
    listed = run(capsys, "evidence", "links", "--json", "-w", url).json()
    assert listed == [{"source": a, "kind": "corroborates", "target": b, "note": None}]


def test_links_and_case_round_trip_on_both_backends(any_ws: Workspace, data_root: object) -> None:
    """The assess tables and links behave the same on SQLite and PostgreSQL."""
    from pathlib import Path

    from sitewatch.assess import assess, load_case
    from sitewatch.store import assess_repo

    assert isinstance(data_root, Path)
    load_case(any_ws, "syria-2024", user="ana", data=data_root)
    links = evidence_repo.list_links(any_ws)
    a, b = links[0].source_id, links[0].target_id
    with pytest.raises(InputError, match=r"cyclic link|already"):
        evidence_repo.add_link(any_ws, b, a, links[0].kind, user="ana")
    assert evidence_repo.list_links(any_ws) == links
    case = assess_repo.get_case(any_ws, "syria-2024")
    assert len(case.ratings) == 66 and case.indicators
    got = assess(any_ws, "syria-2024", datetime(2024, 12, 13, tzinfo=UTC))
    assert got.leader == "H2" and got.estimative_word == "likely"
    assert [h.field for h in evidence_repo.history(any_ws, a)].count("link") >= 1
