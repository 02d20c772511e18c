"""Assess: evidence links, cases, hypotheses, ACH ratings, indicators, assessment snapshots.

Revision ID: 0003_assess
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sitewatch.store.migrations.order import previous
from sitewatch.store.types import UTCDateTime

revision = "0003_assess"
# "0002_tracks" once the tracks migration lands; the shared order keeps the chain linear.
down_revision = previous(revision)
branch_labels = None
depends_on = None


def _fk(table: str, col: str, ref: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{ref}.id"], name=f"fk_{table}_{col}_{ref}")


def upgrade() -> None:
    t = "evidence_links"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "source_id", "evidence"),
        _fk(t, "target_id", "evidence"),
        sa.UniqueConstraint("source_id", "target_id", "kind", name="uq_evidence_links_pair_kind"),
    )
    op.create_index(f"ix_{t}_source_id", t, ["source_id"])
    op.create_index(f"ix_{t}_target_id", t, ["target_id"])

    t = "cases"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("sites", sa.JSON, nullable=False),
        sa.Column("source_sha256", sa.String(64)),
        sa.Column("loaded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("slug", name="uq_cases_slug"),
    )

    t = "hypotheses"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "case_id", "cases"),
        sa.UniqueConstraint("case_id", "key", name="uq_hypotheses_case_key"),
    )
    op.create_index(f"ix_{t}_case_id", t, ["case_id"])

    t = "ach_ratings"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("hypothesis_id", sa.Integer, nullable=False),
        sa.Column("evidence_id", sa.Integer, nullable=False),
        sa.Column("rating", sa.String(2), nullable=False),
        sa.Column("rationale", sa.Text),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "hypothesis_id", "hypotheses"),
        _fk(t, "evidence_id", "evidence"),
        sa.UniqueConstraint("hypothesis_id", "evidence_id", name="uq_ach_ratings_hyp_evidence"),
    )
    op.create_index(f"ix_{t}_hypothesis_id", t, ["hypothesis_id"])
    op.create_index(f"ix_{t}_evidence_id", t, ["evidence_id"])

    t = "indicators"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("site_slug", sa.String(120)),
        sa.Column("rule", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "case_id", "cases"),
        sa.UniqueConstraint("case_id", "key", name="uq_indicators_case_key"),
    )
    op.create_index(f"ix_{t}_case_id", t, ["case_id"])

    t = "assessment_snapshots"
    op.create_table(
        t,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("as_of", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        _fk(t, "case_id", "cases"),
    )
    op.create_index(f"ix_{t}_case_id", t, ["case_id"])


def downgrade() -> None:
    for t in ("assessment_snapshots", "indicators", "ach_ratings", "hypotheses"):
        op.drop_table(t)
    op.drop_table("cases")
    op.drop_table("evidence_links")
