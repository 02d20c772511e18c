"""Change tables: registrations between passes, tracked objects, their history, and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sitewatch.store.tables.base import Base
from sitewatch.store.types import JSONType, UTCDateTime

__all__ = ["ChangeEventRow", "ObjectHistoryRow", "RegistrationRow", "TrackedObjectRow"]


class RegistrationRow(Base):
    """A BEFORE→AFTER pixel transform between two passes and how well it is supported."""

    __tablename__ = "change_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pass_a_id: Mapped[int] = mapped_column(ForeignKey("passes.id"), index=True)
    pass_b_id: Mapped[int] = mapped_column(ForeignKey("passes.id"), index=True)
    matrix: Mapped[list[list[float]]] = mapped_column(JSONType)
    model: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(60))
    inliers: Mapped[int] = mapped_column(Integer)
    rms_px: Mapped[float] = mapped_column(Float)
    rms_m: Mapped[float | None] = mapped_column(Float)
    overlap: Mapped[float] = mapped_column(Float)
    gate_m: Mapped[float | None] = mapped_column(Float)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrackedObjectRow(Base):
    """One object followed across the passes of a site."""

    __tablename__ = "tracked_objects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    class_name: Mapped[str] = mapped_column(String(40))
    type_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ObjectHistoryRow(Base):
    """A tracked object in one pass: the detection when seen, and its status there."""

    __tablename__ = "object_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("tracked_objects.id"), index=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("passes.id"), index=True)
    detection_id: Mapped[int | None] = mapped_column(ForeignKey("detections.id"))
    status: Mapped[str] = mapped_column(String(20))
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str | None] = mapped_column(String(60))


class ChangeEventRow(Base):
    """One change event between two passes (positions in each pass's pixel frame)."""

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("change_registrations.id"), index=True)
    pass_a_id: Mapped[int] = mapped_column(ForeignKey("passes.id"), index=True)
    pass_b_id: Mapped[int] = mapped_column(ForeignKey("passes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    class_name: Mapped[str] = mapped_column(String(40))
    type_name: Mapped[str | None] = mapped_column(String(120))
    before_detection_id: Mapped[int | None] = mapped_column(ForeignKey("detections.id"))
    after_detection_id: Mapped[int | None] = mapped_column(ForeignKey("detections.id"))
    before_x: Mapped[float | None] = mapped_column(Float)
    before_y: Mapped[float | None] = mapped_column(Float)
    after_x: Mapped[float | None] = mapped_column(Float)
    after_y: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    similarity: Mapped[float | None] = mapped_column(Float)
    object_id: Mapped[int | None] = mapped_column(ForeignKey("tracked_objects.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
