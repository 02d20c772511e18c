"""A case as the engine reads it: question, hypotheses, ratings and indicators."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sitewatch.assess.ach import Hypothesis, Rating
from sitewatch.assess.indicators import Indicator

__all__ = ["CaseData"]


@dataclass(frozen=True)
class CaseData:
    """Everything of a case but the evidence items themselves (those live in the log).

    ``ratings`` maps evidence id → hypothesis key → rating; ``rationales`` the same to text.
    """

    slug: str
    title: str
    question: str
    sites: tuple[str, ...]
    hypotheses: tuple[Hypothesis, ...]
    ratings: Mapping[int, Mapping[str, Rating]]
    rationales: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    indicators: tuple[Indicator, ...] = ()
