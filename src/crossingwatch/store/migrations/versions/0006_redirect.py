"""Redirect counts (no query text) and click events.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redirect_counts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("redirected", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.UniqueConstraint("day", "kind", "lang", "route", "message_id", "redirected", name="uq_redirect_counts"),
    )
    op.create_table(
        "redirect_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
    )
    op.create_index("ix_redirect_events_day", "redirect_events", ["day"])


def downgrade() -> None:
    op.drop_index("ix_redirect_events_day", table_name="redirect_events")
    op.drop_table("redirect_events")
    op.drop_table("redirect_counts")
