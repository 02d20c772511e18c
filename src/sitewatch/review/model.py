"""Reviewable detections: what the model said, what the analyst decided, and the trail between.

A detection's reviewed values are never written over the model's: they are the result of
replaying its review trail (:func:`apply_reviews`), so every decision keeps who and when.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

__all__ = [
    "DetectionRecord",
    "ReviewAction",
    "ReviewEntry",
    "ReviewStatus",
    "apply_reviews",
    "validate",
]


class ReviewAction(enum.StrEnum):
    """What an analyst can do to a detection."""

    CONFIRM = "confirm"
    REJECT = "reject"
    REOPEN = "reopen"  # back to unreviewed
    RELABEL_CLASS = "relabel_class"
    SET_TYPE = "set_type"
    SET_STATE = "set_state"
    NOTE = "note"


class ReviewStatus(enum.StrEnum):
    """Where a detection stands after review."""

    UNREVIEWED = "unreviewed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ReviewEntry:
    """One recorded action."""

    action: ReviewAction
    value: Any
    user: str
    at: datetime
    note: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class DetectionRecord:
    """A stored detection with its reviewed values applied.

    Geometry is in the pass's pixel frame (x right, y down); ``polygon_wgs84`` is WKT when the
    pass is georeferenced. ``measurement`` holds what the measure stage computed.
    """

    id: int
    pass_id: int
    class_name: str
    score: float
    cx: float
    cy: float
    length_px: float
    width_px: float
    angle_deg: float
    polygon_px: tuple[tuple[float, float], ...]
    source: str = "model"
    run_id: int | None = None
    model_version: str | None = None
    polygon_wgs84: str | None = None
    measurement: dict[str, Any] = field(default_factory=dict, compare=False)
    status: ReviewStatus = ReviewStatus.UNREVIEWED
    reviewed_class: str | None = None
    type_name: str | None = None
    state: str | None = None
    notes: tuple[str, ...] = ()
    trail: tuple[ReviewEntry, ...] = ()

    @property
    def effective_class(self) -> str:
        """The class downstream stages use: the analyst's relabel, else the model's."""
        return self.reviewed_class or self.class_name

    @property
    def counts(self) -> bool:
        """Whether this detection counts (rejected ones drop out of every count)."""
        return self.status is not ReviewStatus.REJECTED


_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,39}$")


def validate(action: ReviewAction, value: Any) -> Any:
    """Check an action's value; return it normalised, or raise ``ValueError`` saying why.

    >>> validate(ReviewAction.RELABEL_CLASS, "Helicopter")
    'helicopter'
    >>> validate(ReviewAction.CONFIRM, None) is None
    True
    >>> validate(ReviewAction.SET_TYPE, "")
    Traceback (most recent call last):
    ...
    ValueError: set_type needs a non-empty value
    """
    if action in (ReviewAction.CONFIRM, ReviewAction.REJECT, ReviewAction.REOPEN):
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{action.value} needs a non-empty value")
    text = value.strip()
    if action is ReviewAction.RELABEL_CLASS:
        text = text.lower()
        if not _NAME.match(text):
            raise ValueError(f"class {value!r} is not a class name (lower-case letters, digits, _)")
    return text


def apply_reviews(record: DetectionRecord, entries: Iterable[ReviewEntry]) -> DetectionRecord:
    """Replay a review trail over a detection, oldest first.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2024, 12, 13, tzinfo=UTC)
    >>> d = DetectionRecord(1, 1, "aircraft", 0.9, 0, 0, 60, 60, 0, ())
    >>> r = apply_reviews(d, [ReviewEntry(ReviewAction.SET_TYPE, "An-124", "ana", t),
    ...                       ReviewEntry(ReviewAction.REJECT, None, "ana", t),
    ...                       ReviewEntry(ReviewAction.CONFIRM, None, "bob", t)])
    >>> r.status.value, r.type_name, r.counts, len(r.trail)
    ('confirmed', 'An-124', True, 3)
    """
    status = record.status
    cls, typ, state = record.reviewed_class, record.type_name, record.state
    notes = list(record.notes)
    trail = list(record.trail)
    for e in entries:
        trail.append(e)
        if e.action is ReviewAction.CONFIRM:
            status = ReviewStatus.CONFIRMED
        elif e.action is ReviewAction.REJECT:
            status = ReviewStatus.REJECTED
        elif e.action is ReviewAction.REOPEN:
            status = ReviewStatus.UNREVIEWED
        elif e.action is ReviewAction.RELABEL_CLASS:
            cls = str(e.value)
        elif e.action is ReviewAction.SET_TYPE:
            typ = str(e.value)
        elif e.action is ReviewAction.SET_STATE:
            state = str(e.value)
        if e.note:
            notes.append(e.note)
        elif e.action is ReviewAction.NOTE:
            notes.append(str(e.value))
    return replace(
        record,
        status=status,
        reviewed_class=cls,
        type_name=typ,
        state=state,
        notes=tuple(notes),
        trail=tuple(trail),
    )
