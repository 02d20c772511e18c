"""Tracks: imported ADS-B/AIS files, flights and voyages, points and vessel static data.

Revision ID: 0002_tracks
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sitewatch.store.types import UTCDateTime

revision = "0002_tracks"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["file_id"], ["track_files.id"], name=f"fk_{table}_file_id_track_files"
    )


def upgrade() -> None:
    op.create_table(
        "track_files",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(10), nullable=False),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("n_messages", sa.Integer, nullable=False),
        sa.Column("n_points", sa.Integer, nullable=False),
        sa.Column("n_tracks", sa.Integer, nullable=False),
        sa.Column("n_malformed", sa.Integer, nullable=False),
        sa.Column("notes", sa.JSON, nullable=False),
        sa.Column("imported_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_track_files"),
        sa.UniqueConstraint("sha256", name="uq_track_files_sha256"),
    )
    op.create_table(
        "tracks",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("file_id", sa.Integer, nullable=False),
        sa.Column("domain", sa.String(10), nullable=False),
        sa.Column("ident", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("label", sa.String(120)),
        sa.Column("start_time", UTCDateTime),
        sa.Column("end_time", UTCDateTime),
        sa.Column("n_points", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tracks"),
        _fk("tracks"),
        sa.UniqueConstraint("file_id", "ident", "seq", name="uq_tracks_file_id"),
    )
    op.create_index("ix_tracks_file_id", "tracks", ["file_id"])
    op.create_table(
        "adsb_points",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("file_id", sa.Integer, nullable=False),
        sa.Column("track_seq", sa.Integer, nullable=False),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("icao24", sa.String(6)),
        sa.Column("callsign", sa.String(12)),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("altitude_ft", sa.Float),
        sa.Column("groundspeed_kn", sa.Float),
        sa.Column("track_deg", sa.Float),
        sa.Column("vertical_rate_fpm", sa.Float),
        sa.Column("on_ground", sa.Boolean),
        sa.Column("source", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_adsb_points"),
        _fk("adsb_points"),
    )
    for col in ("file_id", "time_ms", "icao24"):
        op.create_index(f"ix_adsb_points_{col}", "adsb_points", [col])
    op.create_table(
        "ais_points",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("file_id", sa.Integer, nullable=False),
        sa.Column("track_seq", sa.Integer, nullable=False),
        sa.Column("time_ms", sa.BigInteger),
        sa.Column("mmsi", sa.BigInteger, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("sog_kn", sa.Float),
        sa.Column("cog_deg", sa.Float),
        sa.Column("heading_deg", sa.Float),
        sa.Column("nav_status", sa.Integer),
        sa.Column("msg_type", sa.Integer),
        sa.Column("source", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_ais_points"),
        _fk("ais_points"),
    )
    for col in ("file_id", "time_ms", "mmsi"):
        op.create_index(f"ix_ais_points_{col}", "ais_points", [col])
    op.create_table(
        "vessel_static",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("file_id", sa.Integer, nullable=False),
        sa.Column("mmsi", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(120)),
        sa.Column("callsign", sa.String(20)),
        sa.Column("imo", sa.BigInteger),
        sa.Column("ship_type", sa.Integer),
        sa.Column("length_m", sa.Float),
        sa.Column("width_m", sa.Float),
        sa.Column("draught_m", sa.Float),
        sa.Column("destination", sa.String(120)),
        sa.Column("extra", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_vessel_static"),
        _fk("vessel_static"),
    )
    op.create_index("ix_vessel_static_file_id", "vessel_static", ["file_id"])
    op.create_index("ix_vessel_static_mmsi", "vessel_static", ["mmsi"])


def downgrade() -> None:
    for table in ("vessel_static", "ais_points", "adsb_points", "tracks"):
        op.drop_table(table)
    op.drop_table("track_files")
