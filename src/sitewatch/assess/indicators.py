"""Indicators: named, per site, a rule over observations in a time window, and a state.

A rule picks evidence items about the indicator's sites (the item's site or a ``site:`` tag)
whose claim matches one of its patterns (and none of its exclusions), optionally of given
kinds, that fall in the window ``[as_of - window_days, as_of]``. The matching items' grade
weights are summed: at ``observed_at`` the indicator is *observed*, at ``strong_at`` it is
*strong*. Weighting by grade means one doubtful post does not make an indicator strong.

>>> from datetime import datetime, UTC
>>> from sitewatch.evidence.model import EvidenceItem, EvidenceKind, Grade
>>> rule = IndicatorRule(sites=("hmeimim",), any_of=(r"An-124",), observed_at=0.5, strong_at=1.2)
>>> ind = Indicator("heavy-transports", "Heavy transports on the apron", "hmeimim", rule)
>>> day = lambda d: datetime(2024, 12, d, tzinfo=UTC)
>>> items = [EvidenceItem(EvidenceKind.IMAGERY_OBSERVATION, "Two An-124 loading.",
...          Grade("B", 2), time_start=day(13), site_slug="hmeimim", id=7)]
>>> s = evaluate(ind, items, day(13)); (s.level.value, s.evidence_ids, s.score)
('observed', (7,), 0.64)
>>> evaluate(ind, items, day(12)).level.value
'not observed'
>>> [(h.as_of.day, h.level.value) for h in indicator_history(ind, items)]
[(13, 'observed'), (21, 'not observed')]
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sitewatch.assess.ach import grade_weight
from sitewatch.evidence.model import EvidenceItem, EvidenceKind

__all__ = [
    "Indicator",
    "IndicatorLevel",
    "IndicatorRule",
    "IndicatorState",
    "evaluate",
    "indicator_history",
]


class IndicatorLevel(enum.StrEnum):
    """Where an indicator stands."""

    NOT_OBSERVED = "not observed"
    OBSERVED = "observed"
    STRONG = "strong"


@dataclass(frozen=True)
class IndicatorRule:
    """Which observations count, over how long, and how much makes it observed / strong."""

    sites: tuple[str, ...]
    any_of: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    kinds: tuple[EvidenceKind, ...] = ()
    window_days: int = 7
    observed_at: float = 0.3
    strong_at: float = 1.2

    def __post_init__(self) -> None:
        if not self.any_of:
            raise ValueError("an indicator rule needs at least one pattern in any_of")
        if not 0 < self.observed_at <= self.strong_at:
            raise ValueError("thresholds must satisfy 0 < observed_at <= strong_at")
        if self.window_days < 0:
            raise ValueError("window_days must be >= 0")
        for pattern in (*self.any_of, *self.exclude):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad pattern {pattern!r}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as stored."""
        return {
            "sites": list(self.sites),
            "any_of": list(self.any_of),
            "exclude": list(self.exclude),
            "kinds": [k.value for k in self.kinds],
            "window_days": self.window_days,
            "observed_at": self.observed_at,
            "strong_at": self.strong_at,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IndicatorRule:
        """Read the stored / case-file form (``ValueError`` names what is wrong)."""
        known = {"sites", "any_of", "exclude", "kinds", "window_days", "observed_at", "strong_at"}
        extra = set(d) - known
        if extra:
            raise ValueError(f"unknown rule keys {sorted(extra)} (known: {sorted(known)})")
        return cls(
            sites=tuple(str(s) for s in d.get("sites", ())),
            any_of=tuple(str(p) for p in d.get("any_of", ())),
            exclude=tuple(str(p) for p in d.get("exclude", ())),
            kinds=tuple(EvidenceKind.parse(str(k)) for k in d.get("kinds", ())),
            window_days=int(d.get("window_days", 7)),
            observed_at=float(d.get("observed_at", 0.3)),
            strong_at=float(d.get("strong_at", 1.2)),
        )


@dataclass(frozen=True)
class Indicator:
    """A named indicator of one site (``site_slug``) with its rule."""

    key: str
    name: str
    site_slug: str | None
    rule: IndicatorRule


@dataclass(frozen=True)
class IndicatorState:
    """The indicator's level as of a time, the weighted score and the items behind it."""

    key: str
    as_of: datetime
    level: IndicatorLevel
    score: float
    evidence_ids: tuple[int, ...] = field(default=())


def _matches(rule: IndicatorRule, item: EvidenceItem) -> bool:
    sites = set(rule.sites)
    item_sites = {item.site_slug} | {
        t.removeprefix("site:") for t in item.tags if t.startswith("site:")
    }
    if sites and not sites & item_sites:
        return False
    if rule.kinds and item.kind not in rule.kinds:
        return False
    if not any(re.search(p, item.claim, re.IGNORECASE) for p in rule.any_of):
        return False
    return not any(re.search(p, item.claim, re.IGNORECASE) for p in rule.exclude)


def evaluate(
    indicator: Indicator, items: Iterable[EvidenceItem], as_of: datetime
) -> IndicatorState:
    """The indicator's state as of ``as_of`` (UTC) from the items given."""
    rule = indicator.rule
    lo = as_of - timedelta(days=rule.window_days)
    hits = [
        i
        for i in items
        if i.time_start is not None
        and i.time_start <= as_of
        and (i.time_end or i.time_start) >= lo
        and _matches(rule, i)
    ]
    hits.sort(key=lambda i: i.id or 0)
    score = round(sum(grade_weight(i.grade) for i in hits), 4)
    if score >= rule.strong_at:
        level = IndicatorLevel.STRONG
    elif score >= rule.observed_at:
        level = IndicatorLevel.OBSERVED
    else:
        level = IndicatorLevel.NOT_OBSERVED
    return IndicatorState(
        indicator.key, as_of, level, score, tuple(i.id for i in hits if i.id is not None)
    )


def indicator_history(
    indicator: Indicator, items: Sequence[EvidenceItem], until: datetime | None = None
) -> list[IndicatorState]:
    """Each change of the indicator's level, in time order (the first entry is the first rise).

    The level can only change where a matching item enters or leaves the window, so only
    those instants are evaluated.
    """
    rule = indicator.rule
    matching = [i for i in items if i.time_start is not None and _matches(rule, i)]
    points: set[datetime] = set()
    for i in matching:
        assert i.time_start is not None
        points.add(i.time_start)
        points.add((i.time_end or i.time_start) + timedelta(days=rule.window_days + 1))
    out: list[IndicatorState] = []
    level = IndicatorLevel.NOT_OBSERVED
    for t in sorted(points):
        if until is not None and t > until:
            break
        state = evaluate(indicator, matching, t)
        if state.level is not level:
            out.append(state)
            level = state.level
    return out
