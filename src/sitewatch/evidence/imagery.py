"""Imagery observations are generated from the analyst's own passes, not typed.

The change and detection stages call :func:`imagery_observation` with a plain description of
what was seen; the item links back to the pass, the object, the pixels and the model version.

>>> from datetime import datetime, UTC
>>> item = imagery_observation(
...     pass_id=3, object_id=17, polygon_px=[(10, 10), (60, 10), (60, 30), (10, 30)],
...     model_version="sitewatch-det 0.3", claim="An-124 on the northern apron.",
...     observed_at=datetime(2024, 12, 13, 8, 30, tzinfo=UTC), site_slug="hmeimim")
>>> str(item.grade), item.kind.value, item.meta["pass_id"], item.origin
('A2', 'imagery_observation', 3, 'pass 3 object 17')
>>> imagery_observation(pass_id=3, object_id=17, polygon_px=[(0, 0)], model_version="m",
...                     claim="x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sitewatch.errors.InputError: field 'polygon_px': a polygon needs at least 3 vertices ...
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sitewatch.errors import InputError
from sitewatch.evidence.model import EvidenceItem, EvidenceKind, Grade

__all__ = ["OWN_IMAGERY_GRADE", "imagery_observation"]

#: The analyst's own imagery: a reliable source; the reading can still be wrong, hence 2.
OWN_IMAGERY_GRADE = Grade("A", 2)


def imagery_observation(
    *,
    pass_id: int,
    object_id: int | None,
    polygon_px: Sequence[tuple[float, float]],
    model_version: str | None,
    claim: str,
    observed_at: datetime | None = None,
    site_slug: str | None = None,
    grade: Grade = OWN_IMAGERY_GRADE,
    grade_rationale: str | None = None,
    tags: Sequence[str] = (),
    source: str = "own imagery",
) -> EvidenceItem:
    """An imagery-observation evidence item describing one object (or event) on one pass.

    Parameters
    ----------
    pass_id, object_id
        The pass the pixels belong to and the tracked object or detection (``None`` for an
        event without an object).
    polygon_px
        The outline in the pass's pixel frame (x right, y down), at least three vertices.
    model_version
        The detector that proposed it (``None`` when drawn by hand).
    claim
        One sentence: what was seen.
    observed_at
        Acquisition time of the pass (UTC); naive times are rejected.
    grade
        A2 by default (own imagery); pass another grade with ``grade_rationale`` to override.
    """
    if len(polygon_px) < 3:
        raise InputError(
            "a polygon needs at least 3 vertices",
            field="polygon_px",
            expected="[(x, y), ...] in the pass's pixel frame",
        )
    if observed_at is not None and observed_at.tzinfo is None:
        raise InputError("naive time", field="observed_at", expected="a UTC datetime")
    if not claim.strip():
        raise InputError("empty", field="claim", expected="one sentence")
    poly = [[float(x), float(y)] for x, y in polygon_px]
    overridden = grade != OWN_IMAGERY_GRADE
    rationale = grade_rationale or (
        "override of the own-imagery default"
        if overridden
        else "default for own imagery: "
        "the analyst's own pixels; the interpretation can still be wrong"
    )
    meta = {
        "pass_id": pass_id,
        "object_id": object_id,
        "polygon_px": poly,
        "model_version": model_version,
    }
    basis = json.dumps(meta, sort_keys=True) + "|" + claim.strip()
    return EvidenceItem(
        kind=EvidenceKind.IMAGERY_OBSERVATION,
        claim=claim.strip(),
        grade=grade,
        grade_rationale=rationale,
        time_start=observed_at.astimezone(UTC) if observed_at else None,
        site_slug=site_slug,
        source=source,
        source_type="own imagery",
        tags=tuple(tags),
        origin=f"pass {pass_id}" + (f" object {object_id}" if object_id is not None else ""),
        origin_key=hashlib.sha256(basis.encode()).hexdigest(),
        meta=meta,
    )
