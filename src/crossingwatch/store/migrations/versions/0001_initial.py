"""Initial schema: posts, assessments, scan runs, rejects, audit events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("post_id", sa.String(512), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("created_at", sa.String(64)),
        sa.Column("author_id", sa.String(512)),
        sa.Column("author_handle", sa.String(512)),
        sa.Column("author_name", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lang_hint", sa.String(32)),
        sa.Column("media", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_line", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.String(32), nullable=False),
        sa.Column("last_seen", sa.String(32), nullable=False),
        sa.UniqueConstraint("platform", "post_id", name="uq_posts_platform_post_id"),
    )
    op.create_table(
        "assessments",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("post_id", sa.String(512), nullable=False),
        sa.Column("detector", sa.String(255), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("lang", sa.String(32), nullable=False),
        sa.Column("tactics", sa.JSON, nullable=False),
        sa.Column("prediction", sa.JSON, nullable=False),
        sa.Column("assessed_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("platform", "post_id", name="uq_assessments_platform_post_id"),
    )
    op.create_index("ix_assessments_label_score", "assessments", ["label", "score"])
    op.create_table(
        "scan_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("detector", sa.String(255), nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_scan_runs_fingerprint", "scan_runs", ["fingerprint"])
    op.create_table(
        "rejects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("scan_runs.id"), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("record_id", sa.String(512)),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("raw", sa.Text),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_index("ix_rejects_run_id", "rejects", ["run_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for name in ("audit_events", "rejects", "scan_runs", "assessments", "posts"):
        op.drop_table(name)
