"""Table definitions (SQLAlchemy Core). Migrations in `migrations/versions/` must match these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

posts = Table(
    "posts", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(64), nullable=False),
    Column("post_id", String(512), nullable=False),
    Column("url", Text),
    Column("created_at", String(64)),
    Column("author_id", String(512)),
    Column("author_handle", String(512)),
    Column("author_name", Text),
    Column("text", Text, nullable=False),
    Column("lang_hint", String(32)),
    Column("media", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
    Column("source", Text, nullable=False),
    Column("source_line", Integer, nullable=False),
    Column("first_seen", String(32), nullable=False),
    Column("last_seen", String(32), nullable=False),
    UniqueConstraint("platform", "post_id", name="uq_posts_platform_post_id"),
)

assessments = Table(
    "assessments", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(64), nullable=False),
    Column("post_id", String(512), nullable=False),
    Column("detector", String(255), nullable=False),
    Column("label", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("lang", String(32), nullable=False),
    Column("tactics", JSON, nullable=False),
    Column("prediction", JSON, nullable=False),
    Column("assessed_at", String(32), nullable=False),
    UniqueConstraint("platform", "post_id", name="uq_assessments_platform_post_id"),
    Index("ix_assessments_label_score", "label", "score"),
)

scan_runs = Table(
    "scan_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(128), nullable=False, index=True),
    Column("detector", String(255), nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("position", Integer, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

rejects = Table(
    "rejects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("scan_runs.id"), nullable=True, index=True),
    Column("source", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("field", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("record_id", String(512)),
    Column("action", String(16), nullable=False),
    Column("raw", Text),
    Column("at", String(32), nullable=False),
)

audit_events = Table(
    "audit_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(128), nullable=False),
    Column("subject", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
