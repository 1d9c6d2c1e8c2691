"""Hash banks (entries with tombstones) and the OCR cache.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Integer, nullable=False),
        sa.Column("pdq_threshold", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "bank_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bank_id", sa.Integer, sa.ForeignKey("banks.id"), nullable=False),
        sa.Column("signal_type", sa.String(32), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("quality", sa.Integer),
        sa.Column("source_case", sa.String(255)),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("removed_at", sa.String(32)),
        sa.Column("removed_by", sa.String(255)),
        sa.Column("removed_reason", sa.Text),
    )
    op.create_index("ix_bank_entries_signal", "bank_entries", ["signal_type", "value"])
    op.create_index("ix_bank_entries_bank", "bank_entries", ["bank_id", "signal_type", "value"])
    op.create_table(
        "ocr_cache",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("langs", sa.String(128), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ocr_cache")
    op.drop_index("ix_bank_entries_bank", "bank_entries")
    op.drop_index("ix_bank_entries_signal", "bank_entries")
    op.drop_table("bank_entries")
    op.drop_table("banks")
