"""Indicators of the built-in case: state as of a date and history of changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sitewatch.assess import IndicatorLevel, evaluate, indicator_histories, load_case
from sitewatch.store import Workspace, assess_repo, evidence_repo


def test_indicator_states_and_history(data_root: Path, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.db") as ws:
        load_case(ws, "syria-2024", user="analyst", data=data_root)
        case = assess_repo.get_case(ws, "syria-2024")
        items = evidence_repo.list_evidence(ws)
        hist = indicator_histories(ws, "syria-2024", until=datetime(2025, 1, 31, tzinfo=UTC))
    ind = {i.key: i for i in case.indicators}
    heavy = ind["hmeimim-heavy-transports"]
    before = evaluate(heavy, items, datetime(2024, 12, 9, 23, tzinfo=UTC))
    on13 = evaluate(heavy, items, datetime(2024, 12, 13, 23, tzinfo=UTC))
    assert before.level is IndicatorLevel.NOT_OBSERVED
    assert on13.level is IndicatorLevel.STRONG and len(on13.evidence_ids) >= 2
    steps = [(h.as_of.date().isoformat(), h.level.value) for h in hist[heavy.key]]
    # Turan's doubtful (C4, weight 0.24) "two transport planes a day" of 7-8 Dec stays below
    # the 0.3 threshold on its own; HUR's report of 10 Dec lifts it
    assert steps[0] == ("2024-12-10", "observed")
    assert ("2024-12-13", "strong") in steps and steps[-1][1] == "not observed"
    ad = [(h.as_of.date().isoformat(), h.level.value) for h in hist["hmeimim-air-defence-leaving"]]
    assert ad[:2] == [("2024-12-12", "observed"), ("2024-12-13", "strong")]
    # every state names the items behind it
    assert all(
        h.evidence_ids
        for hs in hist.values()
        for h in hs
        if h.level is not IndicatorLevel.NOT_OBSERVED
    )
