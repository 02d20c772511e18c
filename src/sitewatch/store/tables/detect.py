"""Detection tables: model runs over passes, detections, and the analyst's review trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sitewatch.store.tables.base import Base
from sitewatch.store.types import JSONType, UTCDateTime

__all__ = ["DetectionReviewRow", "DetectionRow", "DetectionRunRow"]


class DetectionRunRow(Base):
    """One run of a model over one pass; ``status`` lets an interrupted batch resume."""

    __tablename__ = "detection_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("passes.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(120))
    model_version: Mapped[str] = mapped_column(String(120))
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20))  # running, done, failed
    message: Mapped[str | None] = mapped_column(Text)
    n_detections: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DetectionRow(Base):
    """An oriented box found in a pass (by a model run, or added by an analyst)."""

    __tablename__ = "detections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("detection_runs.id"), index=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("passes.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # model, analyst, labels
    class_name: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    cx: Mapped[float] = mapped_column(Float)
    cy: Mapped[float] = mapped_column(Float)
    length_px: Mapped[float] = mapped_column(Float)
    width_px: Mapped[float] = mapped_column(Float)
    angle_deg: Mapped[float] = mapped_column(Float)
    polygon_px: Mapped[list[list[float]]] = mapped_column(JSONType)
    polygon_wgs84: Mapped[str | None] = mapped_column(Text)
    model_version: Mapped[str | None] = mapped_column(String(120))
    measurement: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DetectionReviewRow(Base):
    """One analyst action on a detection. Rows are only ever added: this is the audit trail."""

    __tablename__ = "detection_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    detection_id: Mapped[int] = mapped_column(ForeignKey("detections.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    value: Mapped[Any] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
