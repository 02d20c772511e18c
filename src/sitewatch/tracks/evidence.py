"""Activity claims become evidence items, graded and idempotent.

Transponder data is graded B2 by default (see :mod:`sitewatch.evidence.grading`): usually
reliable, with spoofing and gaps possible. Re-logging the same day's activity is a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sitewatch.evidence.grading import default_grade
from sitewatch.evidence.model import EvidenceItem, EvidenceKind
from sitewatch.tracks.claims import ActivityClaim

__all__ = ["claims_to_items"]


def claims_to_items(claims: Iterable[ActivityClaim], *, source: str) -> list[EvidenceItem]:
    """Evidence items for activity claims; ``source`` names the track files or feed.

    >>> from datetime import UTC, datetime
    >>> c = ActivityClaim("flight_activity", "hmeimim", datetime(2024, 12, 1, tzinfo=UTC),
    ...                   datetime(2024, 12, 2, tzinfo=UTC), "ADS-B shows 3 arrivals.",
    ...                   {"arrivals": 3})
    >>> item = claims_to_items([c], source="OpenSky")[0]
    >>> item.kind.value, str(item.grade), item.time_end is None, item.meta["numbers"]
    ('flight_activity', 'B2', True, {'arrivals': 3})
    """
    out = []
    for c in claims:
        kind = EvidenceKind(c.kind)
        grade, why = default_grade(kind.value.replace("_", " "))
        key = hashlib.sha256(
            f"{c.kind}|{c.site_slug}|{c.time_start.isoformat()}|{c.claim}".encode()
        ).hexdigest()
        out.append(
            EvidenceItem(
                kind=kind,
                claim=c.claim,
                grade=grade,
                grade_rationale=f"default for {why}",
                time_start=c.time_start,
                # claims cover one day [start, start + 1 day); evidence ranges are inclusive days
                time_end=None,
                site_slug=c.site_slug,
                source=source,
                source_type=kind.value.replace("_", " "),
                tags=("tracks", f"site:{c.site_slug}"),
                origin=f"sitewatch tracks activity ({source})",
                origin_key=key,
                meta={"numbers": dict(c.numbers)},
            )
        )
    return out
