"""Evidence items: what was seen or said, when, where, by whom, and how far to trust it."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["EvidenceItem", "EvidenceKind", "Grade"]


class EvidenceKind(enum.StrEnum):
    """The kinds of evidence an analyst logs."""

    IMAGERY_OBSERVATION = "imagery_observation"
    VIDEO = "video"
    PHOTO = "photo"
    SOCIAL_MEDIA_POST = "social_media_post"
    OFFICIAL_STATEMENT = "official_statement"
    ANALYST_STATEMENT = "analyst_statement"
    NEWS_REPORT = "news_report"
    FLIGHT_ACTIVITY = "flight_activity"
    VESSEL_ACTIVITY = "vessel_activity"
    NOTE = "note"

    @classmethod
    def parse(cls, text: str) -> EvidenceKind:
        """Accept the value, the name, or spaced/hyphenated spellings.

        >>> EvidenceKind.parse("social-media post")
        <EvidenceKind.SOCIAL_MEDIA_POST: 'social_media_post'>
        """
        key = re.sub(r"[\s\-]+", "_", text.strip().lower())
        try:
            return cls(key)
        except ValueError:
            raise ValueError(
                f"unknown evidence kind {text!r} (one of: {', '.join(k.value for k in cls)})"
            ) from None


_RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
_CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


@dataclass(frozen=True, order=True)
class Grade:
    """An Admiralty (NATO AJP-2.1) grade: source reliability A–F × information credibility 1–6.

    >>> Grade.parse("b2")
    Grade(reliability='B', credibility=2)
    >>> str(Grade("C", 3)), Grade("C", 3).describe()
    ('C3', 'fairly reliable source; possibly true')
    >>> Grade.parse("G7")
    Traceback (most recent call last):
    ...
    ValueError: unknown grade 'G7' (expected reliability A-F then credibility 1-6, e.g. B2)
    """

    reliability: str
    credibility: int

    def __post_init__(self) -> None:
        if self.reliability not in _RELIABILITY or self.credibility not in _CREDIBILITY:
            raise ValueError(
                f"unknown grade '{self.reliability}{self.credibility}' "
                "(expected reliability A-F then credibility 1-6, e.g. B2)"
            )

    @classmethod
    def parse(cls, text: str) -> Grade:
        """Parse ``"B2"`` (case-insensitive, spaces and a separator allowed: ``"B-2"``)."""
        m = re.fullmatch(r"\s*([A-Za-z])\s*[-/ ]?\s*(\d)\s*", text)
        if not m:
            raise ValueError(
                f"unknown grade {text!r} (expected reliability A-F then credibility 1-6, e.g. B2)"
            )
        return cls(m.group(1).upper(), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.reliability}{self.credibility}"

    def describe(self) -> str:
        """Words for the grade, as a briefing prints them."""
        return f"{_RELIABILITY[self.reliability]} source; {_CREDIBILITY[self.credibility]}"


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence. Times are UTC; ``time_end`` is set for ranges (inclusive).

    ``origin`` says where the record came from (file and line, pass and object…);
    ``origin_key`` makes re-imports idempotent.
    """

    kind: EvidenceKind
    claim: str
    grade: Grade
    time_start: datetime | None = None
    time_end: datetime | None = None
    reported_at: datetime | None = None
    place: str | None = None
    site_slug: str | None = None
    lon: float | None = None
    lat: float | None = None
    source: str | None = None
    source_type: str | None = None
    url: str | None = None
    grade_rationale: str | None = None
    tags: tuple[str, ...] = ()
    archive_sha256: str | None = None
    archive_path: str | None = None
    origin: str | None = None
    origin_key: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    id: int | None = None
