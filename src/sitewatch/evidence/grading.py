"""Default Admiralty grades by source type, and why.

The defaults are a starting point the analyst is expected to revise item by item
(``sitewatch evidence grade``). They encode the usual standing of each kind of source, not a
judgment about a particular outlet:

============================  =====  ==========================================================
source type                   grade  rationale
============================  =====  ==========================================================
own imagery observation       A2     the analyst's own pixels; interpretation can still be wrong
satellite imagery (reported)  B2     commercial provider imagery as reported; reading second-hand
flight / vessel activity      B2     transponder data is usually reliable; spoofing/gaps possible
news                          B3     established outlets usually reliable; claim not yet confirmed
analyst                       B3     named analysts with a record; an interpretation, not a fact
official statement            C3     governments state their own actions but have stakes in them
drone video / video / photo   C3     authentic-looking footage, origin and date often unverified
social media                  F3     account's reliability cannot be judged; possibly true
note                          F6     the analyst's own note: neither source nor claim graded
============================  =====  ==========================================================

>>> grade, why = default_grade("news")
>>> str(grade), why[:40]
('B3', 'news: established outlets are usually re')
>>> default_grade("carrier pigeon")[0]
Grade(reliability='F', credibility=6)
"""

from __future__ import annotations

import re

from sitewatch.evidence.model import EvidenceKind, Grade

__all__ = ["DEFAULT_GRADES", "KIND_BY_SOURCE_TYPE", "default_grade", "kind_for_source_type"]

DEFAULT_GRADES: dict[str, tuple[str, str]] = {
    "own imagery": ("A2", "the analyst's own imagery; the interpretation can still be wrong"),
    "satellite imagery": (
        "B2",
        "commercial satellite imagery as reported; the reading of it is second-hand",
    ),
    "flight activity": ("B2", "transponder data is usually reliable; spoofing and gaps occur"),
    "vessel activity": ("B2", "transponder data is usually reliable; spoofing and gaps occur"),
    "news": (
        "B3",
        "established outlets are usually reliable; "
        "the claim is not yet confirmed by another source",
    ),
    "analyst": ("B3", "a named analyst with a record; an interpretation, not a fact"),
    "official statement": (
        "C3",
        "governments state their own actions but have a stake in how they are seen",
    ),
    "drone video": ("C3", "footage looks authentic; origin and date not independently verified"),
    "video": ("C3", "footage looks authentic; origin and date not independently verified"),
    "photo": ("C3", "photo looks authentic; origin and date not independently verified"),
    "social media": ("F3", "the account's reliability cannot be judged; the claim is possible"),
    "note": ("F6", "an analyst's note, not graded as a source"),
}

KIND_BY_SOURCE_TYPE: dict[str, EvidenceKind] = {
    "own imagery": EvidenceKind.IMAGERY_OBSERVATION,
    "satellite imagery": EvidenceKind.IMAGERY_OBSERVATION,
    "flight activity": EvidenceKind.FLIGHT_ACTIVITY,
    "vessel activity": EvidenceKind.VESSEL_ACTIVITY,
    "news": EvidenceKind.NEWS_REPORT,
    "analyst": EvidenceKind.ANALYST_STATEMENT,
    "official statement": EvidenceKind.OFFICIAL_STATEMENT,
    "drone video": EvidenceKind.VIDEO,
    "video": EvidenceKind.VIDEO,
    "photo": EvidenceKind.PHOTO,
    "social media": EvidenceKind.SOCIAL_MEDIA_POST,
    "note": EvidenceKind.NOTE,
}


def _norm(source_type: str) -> str:
    return re.sub(r"[\s_\-]+", " ", source_type.strip().lower())


def default_grade(source_type: str) -> tuple[Grade, str]:
    """The documented default grade and its rationale for a source type (F6 when unknown)."""
    key = _norm(source_type)
    if key in DEFAULT_GRADES:
        grade, why = DEFAULT_GRADES[key]
        return Grade.parse(grade), f"{key}: {why}"
    return Grade("F", 6), f"unknown source type {source_type!r}: not graded"


def kind_for_source_type(source_type: str) -> EvidenceKind:
    """The evidence kind a source type maps to (``note`` when unknown).

    >>> kind_for_source_type("Satellite imagery").value
    'imagery_observation'
    """
    key = _norm(source_type)
    if key in KIND_BY_SOURCE_TYPE:
        return KIND_BY_SOURCE_TYPE[key]
    try:
        return EvidenceKind.parse(key)
    except ValueError:
        return EvidenceKind.NOTE
