"""Track tables: imported files, tracks (flights/voyages), ADS-B and AIS points, vessel data.

Point times are stored as integer UTC epoch milliseconds, not :class:`UTCDateTime`: a bulk
import of a million positions cannot afford a Python conversion per row, and integers index
and compare the same on SQLite and PostgreSQL. Files, tracks and everything a person reads
use :class:`UTCDateTime` like the rest of the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sitewatch.store.tables.base import Base
from sitewatch.store.types import JSONType, UTCDateTime

__all__ = ["AdsbPointRow", "AisPointRow", "TrackFileRow", "TrackRow", "VesselStaticRow"]


class TrackFileRow(Base):
    """One imported file; its sha256 makes a second import of the same bytes a no-op."""

    __tablename__ = "track_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str] = mapped_column(String(10))  # air, sea
    format: Mapped[str] = mapped_column(String(40))
    n_messages: Mapped[int] = mapped_column(Integer)
    n_points: Mapped[int] = mapped_column(Integer)
    n_tracks: Mapped[int] = mapped_column(Integer)
    n_malformed: Mapped[int] = mapped_column(Integer)
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrackRow(Base):
    """A flight or voyage: the points of one aircraft/vessel between two long silences."""

    __tablename__ = "tracks"
    __table_args__ = (UniqueConstraint("file_id", "ident", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("track_files.id"), index=True)
    domain: Mapped[str] = mapped_column(String(10))
    ident: Mapped[str] = mapped_column(String(40))  # icao24, or MMSI as text
    seq: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(120))  # callsign or ship name
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    n_points: Mapped[int] = mapped_column(Integer)


class AdsbPointRow(Base):
    """One ADS-B position in the normalised layout (feet, knots, ft/min)."""

    __tablename__ = "adsb_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("track_files.id"), index=True)
    track_seq: Mapped[int] = mapped_column(Integer)
    time_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    icao24: Mapped[str | None] = mapped_column(String(6), index=True)
    callsign: Mapped[str | None] = mapped_column(String(12))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    altitude_ft: Mapped[float | None] = mapped_column(Float)
    groundspeed_kn: Mapped[float | None] = mapped_column(Float)
    track_deg: Mapped[float | None] = mapped_column(Float)
    vertical_rate_fpm: Mapped[float | None] = mapped_column(Float)
    on_ground: Mapped[bool | None] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(Text)  # the file name, any length


class AisPointRow(Base):
    """One AIS position; ``time_ms`` is null when the log carried no time."""

    __tablename__ = "ais_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("track_files.id"), index=True)
    track_seq: Mapped[int] = mapped_column(Integer)
    time_ms: Mapped[int | None] = mapped_column(BigInteger, index=True)
    mmsi: Mapped[int] = mapped_column(BigInteger, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    sog_kn: Mapped[float | None] = mapped_column(Float)
    cog_deg: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    nav_status: Mapped[int | None] = mapped_column(Integer)
    msg_type: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)  # the file name, any length


class VesselStaticRow(Base):
    """Static and voyage data of a vessel as one file reported it (joined to positions by MMSI)."""

    __tablename__ = "vessel_static"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("track_files.id"), index=True)
    mmsi: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    callsign: Mapped[str | None] = mapped_column(String(20))
    imo: Mapped[int | None] = mapped_column(BigInteger)
    ship_type: Mapped[int | None] = mapped_column(Integer)
    length_m: Mapped[float | None] = mapped_column(Float)
    width_m: Mapped[float | None] = mapped_column(Float)
    draught_m: Mapped[float | None] = mapped_column(Float)
    destination: Mapped[str | None] = mapped_column(String(120))
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
