"""ACH scoring, diagnosticity, sensitivity, estimative bands: small hand-made matrices."""

from __future__ import annotations

import random

import pytest

from sitewatch.assess import AchRow, Hypothesis, Rating, analyse, band_for, grade_weight
from sitewatch.assess.ach import ODDS_BASE
from sitewatch.evidence import Grade

HYPS = [Hypothesis("H1", "leave"), Hypothesis("H2", "stay"), Hypothesis("H3", "rotate")]


def _row(eid: int, grade: str, marks: str) -> AchRow:
    return AchRow(
        eid,
        grade_weight(Grade.parse(grade)),
        dict(zip(("H1", "H2", "H3"), map(Rating.parse, marks.split()), strict=True)),
    )


def test_scores_weights_and_ranking() -> None:
    rows = [
        _row(1, "A1", "C I II"),
        _row(2, "F3", "I C C"),  # weak source: counts 0.3
        _row(3, "B2", "N N N"),
        _row(4, "B2", "C C NA"),
    ]
    r = analyse(HYPS, rows)
    assert r.inconsistency == {"H1": 0.3, "H2": 1.0, "H3": 2.0}
    assert r.ranking == ("H1", "H2", "H3") and r.margin == 0.7
    # E3 rates the same everywhere; E4 the same wherever it applies (NA is left out)
    assert r.non_diagnostic == (3, 4)
    assert r.diagnosticity[1] == 3.0 and r.diagnosticity[2] == round(2 * 0.3, 4)
    # probabilities: each A1-equivalent of inconsistency halves the odds
    p = r.probabilities
    assert p["H1"] / p["H2"] == pytest.approx(ODDS_BASE**0.7, rel=1e-3)
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-3)


def test_sensitivity_names_the_item_that_flips_the_leader() -> None:
    rows = [_row(1, "A1", "C II C"), _row(2, "B2", "I C C"), _row(3, "C3", "N C I")]
    r = analyse(HYPS, rows)
    assert r.leader == "H3"
    # inconsistency H1 0.64, H2 2.0, H3 0.36: dropping E1 clears H2, dropping E2 clears H1;
    # dropping E3 helps the leader itself, so it is not listed
    flips = {s.evidence_id: s.new_leader for s in r.sensitivity}
    assert flips == {1: "H2", 2: "H1"}


def test_order_of_input_does_not_matter() -> None:
    rows = [
        _row(i, g, m)
        for i, (g, m) in enumerate(
            [("A1", "C I N"), ("B2", "I C C"), ("C3", "II C I"), ("B3", "N N C")], 1
        )
    ]
    first = analyse(HYPS, rows)
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert analyse(list(reversed(HYPS)), shuffled) == first


def test_unknown_rating_and_bands() -> None:
    with pytest.raises(ValueError, match="unknown rating 'X'"):
        Rating.parse("X")
    assert [band_for(p).word for p in (0.03, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97)] == [
        "almost no chance",
        "very unlikely",
        "unlikely",
        "roughly even chance",
        "likely",
        "very likely",
        "almost certain",
    ]
    with pytest.raises(ValueError):
        band_for(1.5)
