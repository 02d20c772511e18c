"""Assessment tables: evidence links, cases, hypotheses, ACH ratings, indicators, snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sitewatch.store.tables.base import Base
from sitewatch.store.types import JSONType, UTCDateTime

__all__ = [
    "AchRatingRow",
    "AssessmentSnapshotRow",
    "CaseRow",
    "EvidenceLinkRow",
    "HypothesisRow",
    "IndicatorRow",
]


class EvidenceLinkRow(Base):
    """``source`` corroborates / contradicts ``target``."""

    __tablename__ = "evidence_links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind", name="uq_evidence_links_pair_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class CaseRow(Base):
    """A loaded case: its question and the file it came from."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(Text)
    question: Mapped[str] = mapped_column(Text)
    sites: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HypothesisRow(Base):
    __tablename__ = "hypotheses"
    __table_args__ = (UniqueConstraint("case_id", "key", name="uq_hypotheses_case_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class AchRatingRow(Base):
    """How consistent one evidence item is with one hypothesis (CC, C, N, I, II, NA)."""

    __tablename__ = "ach_ratings"
    __table_args__ = (
        UniqueConstraint("hypothesis_id", "evidence_id", name="uq_ach_ratings_hyp_evidence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hypothesis_id: Mapped[int] = mapped_column(ForeignKey("hypotheses.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    rating: Mapped[str] = mapped_column(String(2))
    rationale: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(120))


class IndicatorRow(Base):
    """A named indicator of a case at a site, with its rule (see :mod:`sitewatch.assess`)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("case_id", "key", name="uq_indicators_case_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(Text)
    site_slug: Mapped[str | None] = mapped_column(String(120))
    rule: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class AssessmentSnapshotRow(Base):
    """A saved assessment as of a date (the JSON the engine produced), for later comparison."""

    __tablename__ = "assessment_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
