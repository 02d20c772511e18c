"""Foundation: sites, passes, evidence and evidence history.

Revision ID: 0001_foundation
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sitewatch.store.types import UTCDateTime

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("country", sa.String(120)),
        sa.Column("geometry_wkt", sa.Text),
        sa.Column("radius_m", sa.Float),
        sa.Column("approximate", sa.Boolean, nullable=False),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("baseline_pass_id", sa.Integer),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
        sa.UniqueConstraint("slug", name="uq_sites_slug"),
    )
    op.create_table(
        "passes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site_id", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_size", sa.Integer, nullable=False),
        sa.Column("acquired_at", UTCDateTime),
        sa.Column("sensor", sa.String(120)),
        sa.Column("gsd_m", sa.Float),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("band_count", sa.Integer, nullable=False),
        sa.Column("frame", sa.String(10), nullable=False),
        sa.Column("crs", sa.Text),
        sa.Column("transform", sa.JSON),
        sa.Column("footprint_wkt", sa.Text),
        sa.Column("label", sa.Text),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_passes"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_passes_site_id_sites"),
        sa.UniqueConstraint("sha256", "site_id", name="uq_passes_sha256_site"),
    )
    op.create_index("ix_passes_sha256", "passes", ["sha256"])
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("claim", sa.Text, nullable=False),
        sa.Column("time_start", UTCDateTime),
        sa.Column("time_end", UTCDateTime),
        sa.Column("reported_at", UTCDateTime),
        sa.Column("place", sa.Text),
        sa.Column("site_id", sa.Integer),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("source", sa.Text),
        sa.Column("source_type", sa.String(60)),
        sa.Column("url", sa.Text),
        sa.Column("reliability", sa.String(1), nullable=False),
        sa.Column("credibility", sa.Integer, nullable=False),
        sa.Column("grade_rationale", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("archive_sha256", sa.String(64)),
        sa.Column("archive_path", sa.Text),
        sa.Column("origin", sa.Text),
        sa.Column("origin_key", sa.String(64)),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_evidence_site_id_sites"),
        sa.UniqueConstraint("origin_key", name="uq_evidence_origin_key"),
    )
    op.create_table(
        "evidence_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_id", sa.Integer, nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.Column("changed_by", sa.String(120), nullable=False),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("old_value", sa.JSON),
        sa.Column("new_value", sa.JSON),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_history"),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name="fk_evidence_history_evidence_id_evidence"
        ),
    )
    op.create_index("ix_evidence_history_evidence_id", "evidence_history", ["evidence_id"])


def downgrade() -> None:
    op.drop_table("evidence_history")
    op.drop_table("evidence")
    op.drop_index("ix_passes_sha256", "passes")
    op.drop_table("passes")
    op.drop_table("sites")
