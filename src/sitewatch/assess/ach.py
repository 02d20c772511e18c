"""Analysis of Competing Hypotheses (Heuer): ratings, weights, inconsistency, diagnosticity.

Each evidence item is rated against every hypothesis: ``CC`` very consistent, ``C``
consistent, ``N`` neutral, ``I`` inconsistent, ``II`` very inconsistent, ``NA`` not
applicable. Following Heuer, hypotheses are ranked by how much evidence speaks *against* them:
the **inconsistency score** of a hypothesis is the sum, over items, of the item's weight times
1 for ``I`` and 2 for ``II``. The item's weight comes from its Admiralty grade
(:func:`grade_weight`), so a doubtful report counts for less than a confirmed one.

>>> from sitewatch.evidence.model import Grade
>>> hs = [Hypothesis("H1", "withdraw"), Hypothesis("H2", "stay")]
>>> rows = [
...     AchRow(1, grade_weight(Grade("A", 1)), {"H1": Rating.C, "H2": Rating.II}),
...     AchRow(2, grade_weight(Grade("B", 2)), {"H1": Rating.N, "H2": Rating.N}),
...     AchRow(3, grade_weight(Grade("F", 3)), {"H1": Rating.I, "H2": Rating.C}),
... ]
>>> r = analyse(hs, rows)
>>> r.leader, r.inconsistency, r.non_diagnostic
('H1', {'H1': 0.3, 'H2': 2.0}, (2,))
>>> [(s.evidence_id, s.new_leader) for s in r.sensitivity]
[(1, 'H2')]
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sitewatch.evidence.model import Grade

__all__ = [
    "CREDIBILITY_WEIGHT",
    "RELIABILITY_WEIGHT",
    "AchResult",
    "AchRow",
    "Hypothesis",
    "Rating",
    "Sensitivity",
    "analyse",
    "grade_weight",
]


class Rating(enum.StrEnum):
    """Consistency of one item with one hypothesis."""

    CC = "CC"
    C = "C"
    N = "N"
    I = "I"  # noqa: E741 - Heuer's own letter for "inconsistent"
    II = "II"
    NA = "NA"

    @classmethod
    def parse(cls, text: str) -> Rating:
        """Parse a rating (case-insensitive).

        >>> Rating.parse("ii")
        <Rating.II: 'II'>
        >>> Rating.parse("X")
        Traceback (most recent call last):
        ...
        ValueError: unknown rating 'X' (one of: CC, C, N, I, II, NA)
        """
        try:
            return cls(str(text).strip().upper())
        except ValueError:
            raise ValueError(
                f"unknown rating {text!r} (one of: {', '.join(r.value for r in cls)})"
            ) from None

    @property
    def value_score(self) -> int | None:
        """+2 … −2 (``None`` for NA): the step on the consistency scale."""
        return {"CC": 2, "C": 1, "N": 0, "I": -1, "II": -2}.get(self.value)


@dataclass(frozen=True)
class Hypothesis:
    """One competing hypothesis; ``key`` is short (``H1``), ``text`` a short label."""

    key: str
    text: str
    description: str = ""


#: Weight of source reliability A–F. F ("cannot be judged") sits in the middle, not at the
#: bottom: an unknown account is not thereby a liar.
RELIABILITY_WEIGHT = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
#: Weight of information credibility 1–6; 6 ("cannot be judged") sits in the middle likewise.
CREDIBILITY_WEIGHT = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}


def grade_weight(grade: Grade) -> float:
    """How much an item counts in the matrix: reliability weight × credibility weight.

    >>> grade_weight(Grade("A", 1)), grade_weight(Grade("B", 2)), grade_weight(Grade("F", 3))
    (1.0, 0.64, 0.3)
    """
    return round(RELIABILITY_WEIGHT[grade.reliability] * CREDIBILITY_WEIGHT[grade.credibility], 4)


@dataclass(frozen=True)
class AchRow:
    """One evidence item's ratings against the hypotheses, with its weight."""

    evidence_id: int
    weight: float
    ratings: Mapping[str, Rating]

    def scores(self, keys: Sequence[str]) -> list[int]:
        """The rating steps against ``keys``, NA and unrated left out."""
        out = []
        for k in keys:
            r = self.ratings.get(k, Rating.NA)
            if r.value_score is not None:
                out.append(r.value_score)
        return out

    def diagnosticity(self, keys: Sequence[str]) -> float:
        """Spread of the ratings across hypotheses × weight (0: non-diagnostic)."""
        s = self.scores(keys)
        return round((max(s) - min(s)) * self.weight, 4) if len(s) > 1 else 0.0


@dataclass(frozen=True)
class Sensitivity:
    """Dropping ``evidence_id`` (as if it were wrong) makes ``new_leader`` lead."""

    evidence_id: int
    new_leader: str
    margin_after: float


@dataclass(frozen=True)
class AchResult:
    """Scores, ranking and the checks Heuer asks for; every mapping is ordered by key."""

    hypotheses: tuple[Hypothesis, ...]
    rows: tuple[AchRow, ...]
    inconsistency: dict[str, float]
    support: dict[str, float]
    probabilities: dict[str, float]
    ranking: tuple[str, ...]
    diagnosticity: dict[int, float]
    non_diagnostic: tuple[int, ...]
    sensitivity: tuple[Sensitivity, ...]

    @property
    def leader(self) -> str:
        """The least inconsistent hypothesis."""
        return self.ranking[0]

    @property
    def runner_up(self) -> str | None:
        """The second least inconsistent hypothesis, if there is one."""
        return self.ranking[1] if len(self.ranking) > 1 else None

    @property
    def margin(self) -> float:
        """Runner-up's inconsistency minus the leader's (in A1-item equivalents)."""
        if self.runner_up is None:
            return math.inf
        return round(self.inconsistency[self.runner_up] - self.inconsistency[self.leader], 4)


def _scores(
    keys: Sequence[str], rows: Sequence[AchRow]
) -> tuple[dict[str, float], dict[str, float]]:
    inc = dict.fromkeys(keys, 0.0)
    sup = dict.fromkeys(keys, 0.0)
    for row in rows:
        for k in keys:
            v = row.ratings.get(k, Rating.NA).value_score
            if v is None:
                continue
            sup[k] += row.weight * v
            if v < 0:
                inc[k] += row.weight * -v
    return {k: round(v, 4) for k, v in inc.items()}, {k: round(v, 4) for k, v in sup.items()}


def _rank(keys: Sequence[str], inc: Mapping[str, float], sup: Mapping[str, float]) -> list[str]:
    # Heuer: least inconsistent first; more net support breaks ties, then the key (stable).
    return sorted(keys, key=lambda k: (inc[k], -sup[k], k))


#: Each A1-equivalent unit of inconsistency halves a hypothesis's odds (see docs/assessment.md).
ODDS_BASE = 2.0


def _probabilities(keys: Sequence[str], inc: Mapping[str, float]) -> dict[str, float]:
    low = min(inc.values())
    raw = {k: ODDS_BASE ** -(inc[k] - low) for k in keys}
    total = sum(raw.values())
    return {k: round(v / total, 4) for k, v in raw.items()}


def analyse(hypotheses: Sequence[Hypothesis], rows: Sequence[AchRow]) -> AchResult:
    """Score the matrix, rank the hypotheses and run the diagnosticity and sensitivity checks.

    Rows and hypotheses are sorted (by evidence id, by key) first, so the result does not
    depend on the order they were given in.
    """
    hyps = tuple(sorted(hypotheses, key=lambda h: h.key))
    keys = [h.key for h in hyps]
    if not keys:
        raise ValueError("no hypotheses to compare")
    ordered = tuple(sorted(rows, key=lambda r: r.evidence_id))
    inc, sup = _scores(keys, ordered)
    ranking = _rank(keys, inc, sup)
    diag = {r.evidence_id: r.diagnosticity(keys) for r in ordered}
    non_diag = tuple(eid for eid, d in diag.items() if d == 0.0)
    sens: list[Sensitivity] = []
    for row in ordered:
        if diag[row.evidence_id] == 0.0:
            continue
        rest = [r for r in ordered if r is not row]
        i2, s2 = _scores(keys, rest)
        r2 = _rank(keys, i2, s2)
        if r2[0] != ranking[0]:
            margin = i2[r2[1]] - i2[r2[0]] if len(r2) > 1 else math.inf
            sens.append(Sensitivity(row.evidence_id, r2[0], round(margin, 4)))
    return AchResult(
        hypotheses=hyps,
        rows=ordered,
        inconsistency=inc,
        support=sup,
        probabilities=_probabilities(keys, inc),
        ranking=tuple(ranking),
        diagnosticity=diag,
        non_diagnostic=non_diag,
        sensitivity=tuple(sens),
    )
