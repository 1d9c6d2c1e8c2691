"""Campaigns and networks of shared indicators.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("template", sa.JSON, nullable=False),
        sa.Column("first_at", sa.String(64)),
        sa.Column("last_at", sa.String(64)),
        sa.Column("merged_into", sa.Integer),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "campaign_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("post_id", sa.String(512), nullable=False),
        sa.Column("campaign_id", sa.Integer),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("has_shingles", sa.Integer, nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("platform", "post_id", name="uq_campaign_posts_post"),
    )
    op.create_index("ix_campaign_posts_campaign_id", "campaign_posts", ["campaign_id"])
    op.create_table(
        "networks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("posts", sa.Integer, nullable=False),
        sa.Column("accounts", sa.Integer, nullable=False),
        sa.Column("platforms", sa.Integer, nullable=False),
        sa.Column("confirmed", sa.Integer, nullable=False),
        sa.Column("first_at", sa.String(64)),
        sa.Column("last_at", sa.String(64)),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("built_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_networks_active_rank", "networks", ["active", "rank"])
    op.create_table(
        "network_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id"), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("post_id", sa.String(512), nullable=False),
        sa.UniqueConstraint("platform", "post_id", name="uq_network_posts_post"),
    )
    op.create_index("ix_network_posts_network_id", "network_posts", ["network_id"])
    op.create_table(
        "network_indicators",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("posts", sa.Integer, nullable=False),
        sa.Column("accounts", sa.Integer, nullable=False),
    )
    op.create_index("ix_network_indicators_network_id", "network_indicators", ["network_id"])


def downgrade() -> None:
    op.drop_table("network_indicators")
    op.drop_table("network_posts")
    op.drop_table("networks")
    op.drop_table("campaign_posts")
    op.drop_table("campaigns")
