"""Analyst review of detections: confirm, reject, relabel, type, state, notes — with a trail."""

from sitewatch.review.model import (
    DetectionRecord,
    ReviewAction,
    ReviewEntry,
    ReviewStatus,
    apply_reviews,
    validate,
)

__all__ = [
    "DetectionRecord",
    "ReviewAction",
    "ReviewEntry",
    "ReviewStatus",
    "apply_reviews",
    "validate",
]
