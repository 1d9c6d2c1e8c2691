"""Table definitions (SQLAlchemy Core). Migrations in `migrations/versions/` must match these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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

banks = Table(
    "banks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # flag: matches flag a post; benign: matches clear it
    Column("enabled", Integer, nullable=False),
    Column("pdq_threshold", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", String(32), nullable=False),
)

bank_entries = Table(
    "bank_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bank_id", Integer, ForeignKey("banks.id"), nullable=False),
    Column("signal_type", String(32), nullable=False),
    Column("value", String(512), nullable=False),
    Column("quality", Integer),
    Column("source_case", String(255)),
    Column("added_by", String(255), nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("note", Text, nullable=False),
    Column("removed_at", String(32)),  # a tombstone: kept for audit, never matched
    Column("removed_by", String(255)),
    Column("removed_reason", Text),
    Index("ix_bank_entries_signal", "signal_type", "value"),
    Index("ix_bank_entries_bank", "bank_id", "signal_type", "value"),
)

ocr_cache = Table(
    "ocr_cache", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("langs", String(128), primary_key=True),
    Column("text", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),  # near-identical posts share one
    Column("state", String(16), nullable=False),
    Column("label", String(16), nullable=False),  # the detector's
    Column("score", Float, nullable=False),
    Column("priority", Float, nullable=False),
    Column("tactics", JSON, nullable=False),
    Column("lang", String(32), nullable=False),
    Column("route", String(32)),
    Column("bank_match", Integer, nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("version", Integer, nullable=False),  # optimistic locking: a decision names the version it saw
    Index("ix_cases_state_priority", "state", "priority"),
)

case_posts = Table(
    "case_posts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("platform", String(64), nullable=False),
    Column("post_id", String(512), nullable=False),
    Column("added_at", String(32), nullable=False),
    UniqueConstraint("platform", "post_id", name="uq_case_posts_post"),
)

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("decision", String(32), nullable=False),
    Column("reviewer", String(255), nullable=False),
    Column("at", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("tactics", JSON, nullable=False),
)

referrals = Table(
    "referrals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(64), nullable=False, index=True),
    Column("jurisdiction", String(16), nullable=False),
    Column("sender_name", Text, nullable=False),
    Column("sender_email", Text, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("sent_at", String(32)),
)

referral_items = Table(
    "referral_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("platform", String(64), nullable=False),
    Column("post_id", String(512), nullable=False),
    Column("url", Text),
    Column("status", String(16), nullable=False),
    Column("detected_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("version", Integer, nullable=False),
)

item_events = Table(
    "item_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("referral_items.id"), nullable=False, index=True),
    Column("from_status", String(16), nullable=False),
    Column("to_status", String(16), nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("note", Text, nullable=False),
    Column("details", JSON, nullable=False),  # e.g. the platform's statement of reasons
)

evidence_files = Table(
    "evidence_files", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("platform", String(64), nullable=False),
    Column("post_id", String(512), nullable=False),
    Column("kind", String(16), nullable=False),  # record | text | media
    Column("name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("captured_at", String(32), nullable=False),
    Column("source_url", Text),
    Column("collector", String(255), nullable=False),
    UniqueConstraint("case_id", "platform", "post_id", "kind", "name", name="uq_evidence_item"),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("platform", String(64)),  # a platform user sees only this platform's referrals
    Column("password_hash", Text),
    Column("created_at", String(32), nullable=False),
    Column("disabled", Integer, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token; the token is shown once
    Column("prefix", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
)

console_sessions = Table(
    "console_sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("session_hash", String(64), nullable=False, unique=True),  # SHA-256 of the cookie's value
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("ended_at", String(32)),
)

# Networks and sharing (issue 8) ----------------------------------------------------------------------------------
campaigns = Table(
    "campaigns", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", Integer, nullable=False),
    Column("template", JSON, nullable=False),  # phrases and slots (detect/templates.py)
    Column("first_at", String(64)),
    Column("last_at", String(64)),
    Column("merged_into", Integer),  # two campaigns found to be one: the younger points at the older
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

campaign_posts = Table(
    "campaign_posts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(64), nullable=False),
    Column("post_id", String(512), nullable=False),
    Column("campaign_id", Integer, index=True),  # None: no near-copy yet
    Column("signature", LargeBinary, nullable=False),  # MinHash values (uint32, little-endian)
    Column("has_shingles", Integer, nullable=False),
    Column("added_at", String(32), nullable=False),
    UniqueConstraint("platform", "post_id", name="uq_campaign_posts_post"),
)

networks = Table(
    "networks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("active", Integer, nullable=False),  # in the latest build; older ones keep their id for the audit log
    Column("rank", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("posts", Integer, nullable=False),
    Column("accounts", Integer, nullable=False),
    Column("platforms", Integer, nullable=False),
    Column("confirmed", Integer, nullable=False),
    Column("first_at", String(64)),
    Column("last_at", String(64)),
    Column("summary", JSON, nullable=False),
    Column("built_at", String(32), nullable=False),
    Index("ix_networks_active_rank", "active", "rank"),
)

network_posts = Table(
    "network_posts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False, index=True),
    Column("platform", String(64), nullable=False),
    Column("post_id", String(512), nullable=False),
    UniqueConstraint("platform", "post_id", name="uq_network_posts_post"),
)

network_indicators = Table(
    "network_indicators", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # phone | handle | url | pdq | sha256 | campaign
    Column("value", String(512), nullable=False),
    Column("posts", Integer, nullable=False),
    Column("accounts", Integer, nullable=False),
)

# Redirect (issue 7): counts only, never query text. One row per day, kind, language, route, message and outcome.
redirect_counts = Table(
    "redirect_counts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),  # YYYY-MM-DD (UTC)
    Column("kind", String(16), nullable=False),  # query | interstitial
    Column("lang", String(16), nullable=False),
    Column("route", String(32), nullable=False),  # "" when the query named none
    Column("message_id", String(64), nullable=False),  # "" when nothing was shown
    Column("redirected", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    UniqueConstraint("day", "kind", "lang", "route", "message_id", "redirected", name="uq_redirect_counts"),
)

redirect_events = Table(
    "redirect_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("day", String(10), nullable=False, index=True),
    Column("platform", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # click | escape | testimony
)
