"""Detections: model runs, detections and the analyst review trail.

Revision ID: 0004_detections
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sitewatch.store.migrations.order import previous
from sitewatch.store.types import UTCDateTime

revision = "0004_detections"
down_revision = previous(revision)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detection_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pass_id", sa.Integer, nullable=False),
        sa.Column("model_name", sa.String(120), nullable=False),
        sa.Column("model_version", sa.String(120), nullable=False),
        sa.Column("model_sha256", sa.String(64)),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("n_detections", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_detection_runs"),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["passes.id"], name="fk_detection_runs_pass_id_passes"
        ),
    )
    op.create_index("ix_detection_runs_pass_id", "detection_runs", ["pass_id"])
    op.create_table(
        "detections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer),
        sa.Column("pass_id", sa.Integer, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("class_name", sa.String(40), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("cx", sa.Float, nullable=False),
        sa.Column("cy", sa.Float, nullable=False),
        sa.Column("length_px", sa.Float, nullable=False),
        sa.Column("width_px", sa.Float, nullable=False),
        sa.Column("angle_deg", sa.Float, nullable=False),
        sa.Column("polygon_px", sa.JSON, nullable=False),
        sa.Column("polygon_wgs84", sa.Text),
        sa.Column("model_version", sa.String(120)),
        sa.Column("measurement", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_detections"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["detection_runs.id"], name="fk_detections_run_id_detection_runs"
        ),
        sa.ForeignKeyConstraint(["pass_id"], ["passes.id"], name="fk_detections_pass_id_passes"),
    )
    op.create_index("ix_detections_run_id", "detections", ["run_id"])
    op.create_index("ix_detections_pass_id", "detections", ["pass_id"])
    op.create_table(
        "detection_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("detection_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("value", sa.JSON),
        sa.Column("note", sa.Text),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_detection_reviews"),
        sa.ForeignKeyConstraint(
            ["detection_id"], ["detections.id"], name="fk_detection_reviews_detection_id_detections"
        ),
    )
    op.create_index("ix_detection_reviews_detection_id", "detection_reviews", ["detection_id"])


def downgrade() -> None:
    op.drop_table("detection_reviews")
    op.drop_table("detections")
    op.drop_table("detection_runs")
