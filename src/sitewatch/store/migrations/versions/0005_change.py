"""Change: registrations between passes, tracked objects, their history, change events.

Revision ID: 0005_change
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sitewatch.store.migrations.order import previous
from sitewatch.store.types import UTCDateTime

revision = "0005_change"
down_revision = previous(revision)  # "0004_detections"
branch_labels = None
depends_on = None


def _fk(table: str, col: str, ref: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{ref}.id"], name=f"fk_{table}_{col}_{ref}")


def upgrade() -> None:
    t = "change_registrations"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pass_a_id", sa.Integer, nullable=False),
        sa.Column("pass_b_id", sa.Integer, nullable=False),
        sa.Column("matrix", sa.JSON, nullable=False),
        sa.Column("model", sa.String(20), nullable=False),
        sa.Column("method", sa.String(60), nullable=False),
        sa.Column("inliers", sa.Integer, nullable=False),
        sa.Column("rms_px", sa.Float, nullable=False),
        sa.Column("rms_m", sa.Float),
        sa.Column("overlap", sa.Float, nullable=False),
        sa.Column("gate_m", sa.Float),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "pass_a_id", "passes"),
        _fk(t, "pass_b_id", "passes"),
    )
    op.create_index(f"ix_{t}_pass_a_id", t, ["pass_a_id"])
    op.create_index(f"ix_{t}_pass_b_id", t, ["pass_b_id"])

    t = "tracked_objects"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site_id", sa.Integer),
        sa.Column("class_name", sa.String(40), nullable=False),
        sa.Column("type_name", sa.String(120)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "site_id", "sites"),
    )
    op.create_index(f"ix_{t}_site_id", t, ["site_id"])

    t = "object_history"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("object_id", sa.Integer, nullable=False),
        sa.Column("pass_id", sa.Integer, nullable=False),
        sa.Column("detection_id", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("x", sa.Float),
        sa.Column("y", sa.Float),
        sa.Column("state", sa.String(60)),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "object_id", "tracked_objects"),
        _fk(t, "pass_id", "passes"),
        _fk(t, "detection_id", "detections"),
    )
    op.create_index(f"ix_{t}_object_id", t, ["object_id"])
    op.create_index(f"ix_{t}_pass_id", t, ["pass_id"])

    t = "change_events"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("registration_id", sa.Integer, nullable=False),
        sa.Column("pass_a_id", sa.Integer, nullable=False),
        sa.Column("pass_b_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("class_name", sa.String(40), nullable=False),
        sa.Column("type_name", sa.String(120)),
        sa.Column("before_detection_id", sa.Integer),
        sa.Column("after_detection_id", sa.Integer),
        sa.Column("before_x", sa.Float),
        sa.Column("before_y", sa.Float),
        sa.Column("after_x", sa.Float),
        sa.Column("after_y", sa.Float),
        sa.Column("distance_m", sa.Float),
        sa.Column("similarity", sa.Float),
        sa.Column("object_id", sa.Integer),
        sa.Column("note", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "registration_id", "change_registrations"),
        _fk(t, "pass_a_id", "passes"),
        _fk(t, "pass_b_id", "passes"),
        _fk(t, "before_detection_id", "detections"),
        _fk(t, "after_detection_id", "detections"),
        _fk(t, "object_id", "tracked_objects"),
    )
    op.create_index(f"ix_{t}_registration_id", t, ["registration_id"])
    op.create_index(f"ix_{t}_pass_a_id", t, ["pass_a_id"])
    op.create_index(f"ix_{t}_pass_b_id", t, ["pass_b_id"])


def downgrade() -> None:
    op.drop_table("change_events")
    op.drop_table("object_history")
    op.drop_table("tracked_objects")
    op.drop_table("change_registrations")
