"""The assessment: ACH scores become a judgment in ICD 203 words, every sentence cited.

:func:`build_assessment` is pure (case data + evidence + links + a date → an
:class:`Assessment`); :func:`assess` reads them from a workspace. Everything is sorted by
hypothesis key and evidence id and every number is rounded, so the same inputs give the same
text and JSON byte for byte.

Every generated sentence ends with the evidence ids it rests on, written ``[E12, E15]``;
:func:`uncited_sentences` finds any that does not (the tests require none).

>>> uncited_sentences("It is likely [E3]. Nothing here.")
['Nothing here.']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sitewatch.assess.ach import AchResult, AchRow, Hypothesis, Rating, analyse, grade_weight
from sitewatch.assess.indicators import IndicatorLevel, IndicatorState, evaluate
from sitewatch.assess.language import Confidence, band_for
from sitewatch.assess.model import CaseData
from sitewatch.errors import InputError
from sitewatch.evidence.links import EvidenceLink, LinkKind
from sitewatch.evidence.model import EvidenceItem

__all__ = [
    "MOMENTUM_DAYS",
    "Assessment",
    "Judgment",
    "build_assessment",
    "cite",
    "grade_weight_b2",
    "split_sentences",
    "uncited_sentences",
    "utc_day_end",
]

#: Momentum compares with the picture this many days earlier.
MOMENTUM_DAYS = 7
_CITE = re.compile(r"\[E\d+(?:, E\d+)*\]")


def cite(ids: Iterable[int]) -> str:
    """The citation of a set of evidence ids, sorted.

    >>> cite([12, 3, 12])
    '[E3, E12]'
    """
    uniq = sorted(set(ids))
    if not uniq:
        raise ValueError("a citation needs at least one evidence id")
    return "[" + ", ".join(f"E{i}" for i in uniq) + "]"


def split_sentences(text: str) -> list[str]:
    """Sentences of generated text (a full stop, ! or ? followed by a space ends one).

    >>> split_sentences("A [E1]. B [E2].")
    ['A [E1].', 'B [E2].']
    """
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]


def uncited_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that cite no evidence id."""
    return [s for s in split_sentences(text) if not _CITE.search(s)]


@dataclass(frozen=True)
class Judgment:
    """One generated sentence and the evidence ids it cites (also written in the text)."""

    text: str
    evidence_ids: tuple[int, ...]


def _j(text: str, ids: Iterable[int]) -> Judgment:
    uniq = tuple(sorted(set(ids)))
    return Judgment(f"{text} {cite(uniq)}.", uniq)


def _day(t: datetime) -> str:
    return f"{t.day} {t:%b %Y}"


def _pct(p: float) -> str:
    return f"{round(p * 100)} %"


@dataclass(frozen=True)
class Assessment:
    """An assessment snapshot as of a date (also what the briefing hook hands the report)."""

    case: str
    question: str
    as_of: datetime
    hypotheses: tuple[Hypothesis, ...]
    leader: str
    probabilities: dict[str, float]
    estimative_word: str
    probability_band: tuple[float, float]
    confidence: str
    bluf: str
    judgments: tuple[Judgment, ...]
    confidence_reasons: tuple[Judgment, ...]
    would_change: tuple[str, ...]
    ach: dict[int, dict[str, str]]
    matrix: AchResult
    indicators: tuple[IndicatorState, ...] = ()
    indicator_names: dict[str, str] = field(default_factory=dict)
    previous_as_of: datetime | None = None
    momentum: dict[str, float] = field(default_factory=dict)
    grades: dict[int, str] = field(default_factory=dict)

    def sentences(self) -> list[str]:
        """Every generated sentence: BLUF, judgments, confidence reasons, what would change."""
        out = split_sentences(self.bluf)
        for j in (*self.judgments, *self.confidence_reasons):
            out += split_sentences(j.text)
        for text in self.would_change:
            out += split_sentences(text)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, keys and lists in a fixed order."""
        m = self.matrix
        return {
            "case": self.case,
            "question": self.question,
            "as_of": self.as_of.date().isoformat(),
            "hypotheses": [
                {"key": h.key, "text": h.text, "description": h.description}
                for h in self.hypotheses
            ],
            "leader": self.leader,
            "ranking": list(m.ranking),
            "estimative_word": self.estimative_word,
            "probability_band": list(self.probability_band),
            "probabilities": self.probabilities,
            "inconsistency": m.inconsistency,
            "support": m.support,
            # a lone hypothesis has no runner-up: JSON has no infinity, so say None
            "margin": m.margin if math.isfinite(m.margin) else None,
            "confidence": self.confidence,
            "bluf": self.bluf,
            "judgments": [
                {"text": j.text, "evidence_ids": list(j.evidence_ids)} for j in self.judgments
            ],
            "confidence_reasons": [
                {"text": j.text, "evidence_ids": list(j.evidence_ids)}
                for j in self.confidence_reasons
            ],
            "would_change": list(self.would_change),
            "matrix": [
                {
                    "evidence_id": r.evidence_id,
                    "grade": self.grades.get(r.evidence_id, ""),
                    "weight": r.weight,
                    "ratings": {
                        h.key: r.ratings.get(h.key, Rating.NA).value for h in self.hypotheses
                    },
                    "diagnosticity": m.diagnosticity[r.evidence_id],
                    "non_diagnostic": r.evidence_id in m.non_diagnostic,
                }
                for r in m.rows
            ],
            "sensitivity": [
                {
                    "evidence_id": s.evidence_id,
                    "new_leader": s.new_leader,
                    "margin_after": s.margin_after,
                }
                for s in m.sensitivity
            ],
            "indicators": [
                {
                    "key": s.key,
                    "name": self.indicator_names.get(s.key, s.key),
                    "level": s.level.value,
                    "score": s.score,
                    "evidence_ids": list(s.evidence_ids),
                }
                for s in self.indicators
            ],
            "previous_as_of": self.previous_as_of.date().isoformat()
            if self.previous_as_of
            else None,
            "momentum": self.momentum,
        }


def _neg(r: AchRow, key: str) -> float:
    v = r.ratings.get(key, Rating.NA).value_score
    return r.weight * -v if v is not None and v < 0 else 0.0


def _edge(r: AchRow, key: str, others: Sequence[str]) -> float:
    """How much more consistent a row is with ``key`` than with the rest, weighted."""
    v = r.ratings.get(key, Rating.NA).value_score
    rest = [x for o in others if (x := r.ratings.get(o, Rating.NA).value_score) is not None]
    if v is None or not rest:
        return 0.0
    return r.weight * (v - sum(rest) / len(rest))


def _top(rows: Iterable[AchRow], score: Mapping[int, float], n: int) -> list[int]:
    ranked = sorted(
        (r for r in rows if score[r.evidence_id] > 0),
        key=lambda r: (-score[r.evidence_id], r.evidence_id),
    )
    return [r.evidence_id for r in ranked[:n]]


def _analyse_at(
    case: CaseData, items: Sequence[EvidenceItem], as_of: datetime
) -> tuple[list[EvidenceItem], AchResult] | None:
    scope = [
        i
        for i in items
        if i.id is not None
        and i.id in case.ratings
        and i.time_start is not None
        and i.time_start <= as_of
    ]
    if not scope:
        return None
    rows = [
        AchRow(i.id, grade_weight(i.grade), dict(case.ratings[i.id]))
        for i in scope
        if i.id is not None
    ]
    return scope, analyse(case.hypotheses, rows)


def build_assessment(
    case: CaseData,
    items: Sequence[EvidenceItem],
    links: Sequence[EvidenceLink],
    as_of: datetime,
    *,
    momentum_days: int = MOMENTUM_DAYS,
) -> Assessment:
    """The assessment of ``case`` from the items dated on or before ``as_of`` (UTC).

    Raises :class:`InputError` when no rated item is dated by then.
    """
    if as_of.tzinfo is None:
        raise InputError("naive time", field="as_of", expected="a UTC datetime")
    got = _analyse_at(case, items, as_of)
    if got is None:
        raise InputError(
            f"no rated evidence dated on or before {as_of.date().isoformat()}",
            field="--as-of",
            expected="a later date",
        )
    scope, m = got
    hyps = {h.key: h for h in m.hypotheses}
    keys = list(hyps)
    lead = m.leader
    others = [k for k in keys if k != lead]
    p_lead = min(0.99, max(0.01, m.probabilities[lead]))
    band = band_for(p_lead)
    rows = {r.evidence_id: r for r in m.rows}
    diagnostic = [r for r in m.rows if r.evidence_id not in m.non_diagnostic]
    edge_lead = {r.evidence_id: _edge(r, lead, others) for r in m.rows}
    support_ids = (
        _top(m.rows, edge_lead, 4)
        or [r.evidence_id for r in diagnostic[:3]]
        or [m.rows[0].evidence_id]
    )

    # --- confidence: start high, each weakness lowers it one level, each with its reason ----
    conf = Confidence.HIGH
    reasons: list[Judgment] = []
    diag_w = sum(r.weight for r in diagnostic)
    good = [r for r in diagnostic if _grade_ok(scope, r.evidence_id)]
    good_share = sum(r.weight for r in good) / diag_w if diag_w else 0.0
    if len(diagnostic) < 8:
        conf = conf.lower()
        reasons.append(
            _j(
                f"Only {len(diagnostic)} items discriminate between the hypotheses, "
                "too few for a firm basis",
                [r.evidence_id for r in diagnostic] or support_ids,
            )
        )
    if good_share < 0.5:
        conf = conf.lower()
        weak = sorted(
            (r for r in diagnostic if r not in good), key=lambda r: (-r.weight, r.evidence_id)
        )
        reasons.append(
            _j(
                f"Most of the discriminating weight ({_pct(1 - good_share)}) comes from "
                "sources graded below B2",
                [r.evidence_id for r in weak[:5]] or support_ids,
            )
        )
    else:
        best = sorted(good, key=lambda r: (-r.weight, r.evidence_id))
        reasons.append(
            _j(
                f"{_pct(good_share)} of the discriminating weight comes from sources "
                "graded B2 or better",
                [r.evidence_id for r in best[:5]],
            )
        )
    if m.sensitivity:
        conf = conf.lower()
        reasons.append(
            _j(
                f"The lead of {lead} hangs on single items: "
                "dropping any one of them changes the leader",
                [s.evidence_id for s in m.sensitivity],
            )
        )
    ru = m.runner_up
    if ru is not None and m.margin < 1.0:
        conf = conf.lower()
        reasons.append(
            _j(
                f"The lead of {lead} over {ru} is narrow "
                f"({m.margin:.2f} A1-item equivalents of inconsistency)",
                _top(m.rows, {r.evidence_id: _neg(r, ru) - _neg(r, lead) for r in m.rows}, 4)
                or support_ids,
            )
        )
    in_scope = {i.id for i in scope if i.id is not None}
    contra = sorted(
        (
            lk
            for lk in links
            if lk.kind is LinkKind.CONTRADICTS
            and lk.source_id in in_scope
            and lk.target_id in in_scope
        ),
        key=lambda lk: (lk.source_id, lk.target_id),
    )
    if len(contra) >= 2:
        conf = conf.lower()
        reasons.append(
            _j(
                f"{len(contra)} pairs of reports contradict each other "
                "and are kept, graded, unresolved",
                [x for lk in contra for x in (lk.source_id, lk.target_id)],
            )
        )

    if band.low < 0.45:
        # No hypothesis reaches even chance: say so rather than dress the front-runner up.
        lead_text = (
            f"As of {_day(as_of)}, no hypothesis is favoured: the least inconsistent, {lead} "
            f"({hyps[lead].text}), is only {band.word} ({band.percent()}), with {conf.value} "
            "confidence"
        )
    else:
        lead_text = (
            f"As of {_day(as_of)}, it is {band.word} ({band.percent()}) that {lead} holds "
            f"({hyps[lead].text}), with {conf.value} confidence"
        )
    bluf = _j(lead_text, support_ids).text
    judgments: list[Judgment] = [Judgment(bluf, tuple(sorted(set(support_ids))))]
    judgments.append(
        _j(f"The items that favour {lead} most over its rivals are these", support_ids)
    )
    for k in m.ranking[1:]:
        b = band_for(min(0.99, max(0.01, m.probabilities[k])))
        against = _top(m.rows, {r.evidence_id: _neg(r, k) for r in m.rows}, 3)
        if against:
            judgments.append(
                _j(
                    f"{k}, {hyps[k].text}, is {b.word} ({b.percent()}): its inconsistency score is "
                    f"{m.inconsistency[k]:.2f} against {m.inconsistency[lead]:.2f} for {lead}, "
                    "most weightily from",
                    against,
                )
            )
        else:
            judgments.append(
                _j(
                    f"{k}, {hyps[k].text}, is {b.word} ({b.percent()}): "
                    "nothing is inconsistent with it, "
                    "but the items consistent with the leader favour it less",
                    support_ids,
                )
            )
    if m.non_diagnostic:
        judgments.append(
            _j(
                f"{len(m.non_diagnostic)} items rate the same against every hypothesis "
                "and are flagged non-diagnostic",
                m.non_diagnostic,
            )
        )
    would: list[str] = []
    if m.sensitivity:
        for s in m.sensitivity:
            t = _j(
                f"If E{s.evidence_id} proved wrong, {s.new_leader} "
                f"({hyps[s.new_leader].text}) would lead instead",
                [s.evidence_id],
            ).text
            judgments.append(Judgment(t, (s.evidence_id,)))
            would.append(t)
    elif ru is not None:
        cut = {r.evidence_id: _neg(r, ru) - _neg(r, lead) for r in m.rows}
        key_id = _top(m.rows, cut, 1)
        if key_id:
            after = m.margin - cut[key_id[0]]
            t = _j(
                "No single item, if wrong, would change the leader; "
                f"the one that matters most is E{key_id[0]}, "
                f"without which the lead of {lead} over {ru} shrinks "
                f"from {m.margin:.2f} to {after:.2f}",
                key_id,
            ).text
            judgments.append(Judgment(t, tuple(key_id)))
            would.append(t)
    if ru is not None:
        need = math.ceil(m.margin / grade_weight_b2()) if math.isfinite(m.margin) else 0
        carrying = (
            _top(m.rows, {r.evidence_id: _neg(r, ru) - _neg(r, lead) for r in m.rows}, 4)
            or support_ids
        )
        would.append(
            _j(
                f"About {max(need, 1)} new B2-graded reports inconsistent with {lead} "
                f"and not with {ru} "
                f"({hyps[ru].text}) would reverse the ranking; today the gap rests on",
                carrying,
            ).text
        )
    if contra:
        judgments.append(
            _j(
                "Contradicting reports are kept side by side: "
                + "; ".join(f"E{lk.source_id} vs E{lk.target_id}" for lk in contra),
                [x for lk in contra for x in (lk.source_id, lk.target_id)],
            )
        )

    states = tuple(evaluate(ind, scope, as_of) for ind in case.indicators)
    names = {ind.key: ind.name for ind in case.indicators}
    for st in states:
        if st.level is not IndicatorLevel.NOT_OBSERVED and st.evidence_ids:
            judgments.append(
                _j(
                    f"Indicator '{names[st.key]}' is {st.level.value} (score {st.score:.2f})",
                    st.evidence_ids,
                )
            )

    prev_at = as_of - timedelta(days=momentum_days)
    before = _analyse_at(case, items, prev_at)
    delta: dict[str, float] = {}
    prev_as_of = None
    if before is not None:
        prev_scope, pm = before
        prev_as_of = prev_at
        delta = {k: round(m.probabilities[k] - pm.probabilities[k], 4) for k in keys}
        new_ids = sorted(in_scope - {i.id for i in prev_scope if i.id is not None})
        if new_ids:
            moved = (
                f"the lead passed from {pm.leader} to {lead}"
                if pm.leader != lead
                else f"{lead} moved from {_pct(pm.probabilities[lead])} "
                f"to {_pct(m.probabilities[lead])}"
            )
            judgments.append(
                _j(f"Since {_day(prev_at)}, {moved} with {len(new_ids)} newly dated items", new_ids)
            )
    ach = {r.evidence_id: {k: r.ratings.get(k, Rating.NA).value for k in keys} for r in m.rows}
    return Assessment(
        case=case.slug,
        question=case.question,
        as_of=as_of,
        hypotheses=m.hypotheses,
        leader=lead,
        probabilities=m.probabilities,
        estimative_word=band.word,
        probability_band=(band.low, band.high),
        confidence=conf.value,
        bluf=bluf,
        judgments=tuple(judgments),
        confidence_reasons=tuple(reasons),
        would_change=tuple(would),
        ach=ach,
        matrix=m,
        indicators=states,
        indicator_names=names,
        previous_as_of=prev_as_of,
        momentum=delta,
        grades={i.id: str(i.grade) for i in scope if i.id is not None and i.id in rows},
    )


def grade_weight_b2() -> float:
    """The weight of a B2 item (the yardstick in "how many reports would change this").

    >>> grade_weight_b2()
    0.64
    """
    from sitewatch.evidence.model import Grade

    return grade_weight(Grade("B", 2))


def _grade_ok(scope: Sequence[EvidenceItem], eid: int) -> bool:
    for i in scope:
        if i.id == eid:
            return i.grade.reliability in "AB" and i.grade.credibility <= 2
    return False


def utc_day_end(day: datetime) -> datetime:
    """The last microsecond of a UTC day (an as-of date includes the whole day).

    >>> utc_day_end(datetime(2024, 12, 13, tzinfo=UTC)).isoformat()
    '2024-12-13T23:59:59.999999+00:00'
    """
    start = day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1) - timedelta(microseconds=1)
