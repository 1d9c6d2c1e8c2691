"""The review and referral workflow: cases (near-identical posts grouped), decisions, referrals, their items and
each item's status history, and preserved evidence files.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("priority", sa.Float, nullable=False),
        sa.Column("tactics", sa.JSON, nullable=False),
        sa.Column("lang", sa.String(32), nullable=False),
        sa.Column("route", sa.String(32)),
        sa.Column("bank_match", sa.Integer, nullable=False),
        sa.Column("opened_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_cases_state_priority", "cases", ["state", "priority"])
    op.create_table(
        "case_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("post_id", sa.String(512), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("platform", "post_id", name="uq_case_posts_post"),
    )
    op.create_index("ix_case_posts_case_id", "case_posts", ["case_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reviewer", sa.String(255), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("tactics", sa.JSON, nullable=False),
    )
    op.create_index("ix_decisions_case_id", "decisions", ["case_id"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("sender_name", sa.Text, nullable=False),
        sa.Column("sender_email", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.String(32)),
    )
    op.create_index("ix_referrals_platform", "referrals", ["platform"])
    op.create_table(
        "referral_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("referral_id", sa.Integer, sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("post_id", sa.String(512), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detected_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_referral_items_referral_id", "referral_items", ["referral_id"])
    op.create_table(
        "item_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("referral_items.id"), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_item_events_item_id", "item_events", ["item_id"])
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("post_id", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("captured_at", sa.String(32), nullable=False),
        sa.Column("source_url", sa.Text),
        sa.Column("collector", sa.String(255), nullable=False),
        sa.UniqueConstraint("case_id", "platform", "post_id", "kind", "name", name="uq_evidence_item"),
    )
    op.create_index("ix_evidence_files_case_id", "evidence_files", ["case_id"])


def downgrade() -> None:
    op.drop_table("evidence_files")
    op.drop_table("item_events")
    op.drop_table("referral_items")
    op.drop_table("referrals")
    op.drop_table("decisions")
    op.drop_table("case_posts")
    op.drop_table("cases")

