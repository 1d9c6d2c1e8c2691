"""Narrow store protocols. Services take the narrowest one they need; `SqlStore` implements them all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from crossingwatch.core import Assessment, Event, Post, Reject


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    platform: str
    post_id: str
    label: str
    score: float
    lang: str
    prediction: dict[str, Any]
    text: str
    url: str | None
    assessed_at: str


@dataclass(frozen=True, slots=True)
class ScanRun:
    id: int
    fingerprint: str
    detector: str
    status: str  # running | done
    position: int  # input items fully stored
    counts: dict[str, int]


class PostStore(Protocol):
    def find_predictions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]: ...
    def list_flagged(self, limit: int = 100, offset: int = 0) -> list[StoredAssessment]: ...
    def count_posts(self) -> int: ...


class RejectStore(Protocol):
    def add_rejects(self, rejects: Iterable[Reject], run_id: int | None) -> None: ...
    def list_rejects(self, run_id: int | None = None) -> list[Reject]: ...


class ScanRunStore(Protocol):
    def find_resumable(self, fingerprint: str, detector: str) -> ScanRun | None: ...
    def start_run(self, fingerprint: str, detector: str, inputs: Sequence[str]) -> ScanRun: ...
    def checkpoint(self, run_id: int, position: int, counts: dict[str, int]) -> None: ...
    def finish_run(self, run_id: int, counts: dict[str, int]) -> None: ...


class AuditLog(Protocol):
    def append(self, event: Event) -> None: ...
    def verify(self) -> bool: ...


class ScanStore(PostStore, RejectStore, ScanRunStore, Protocol):
    """What a scan needs: posts, rejects and run checkpoints, written together in one transaction per batch."""

    def commit_batch(self, run_id: int, pairs: Sequence[tuple[Post, Assessment]], source_lines: Sequence[
            tuple[str, int]], rejects: Sequence[Reject], position: int, counts: dict[str, int],
            predictions: Sequence[dict[str, Any]] | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class Bank:
    id: int
    name: str
    kind: str  # flag | benign
    enabled: bool
    pdq_threshold: int
    note: str
    created_by: str
    created_at: str


@dataclass(frozen=True, slots=True)
class BankEntry:
    id: int
    bank: str
    signal_type: str
    value: str
    quality: int | None
    source_case: str | None
    added_by: str
    added_at: str
    tags: tuple[str, ...]
    note: str
    removed_at: str | None = None
    removed_by: str | None = None
    removed_reason: str | None = None


@dataclass(frozen=True, slots=True)
class NewEntry:
    signal_type: str
    value: str  # canonical (the signal type's `validate()` has run)
    quality: int | None = None
    source_case: str | None = None
    tags: tuple[str, ...] = ()
    note: str = ""


class BankStore(Protocol):
    def create_bank(self, name: str, *, kind: str = "flag", pdq_threshold: int = 31, note: str = "",
                    actor: str = "system") -> Bank: ...
    def get_bank(self, name: str) -> Bank: ...
    def list_banks(self) -> list[Bank]: ...
    def set_bank_enabled(self, name: str, enabled: bool) -> Bank: ...
    def add_entries(self, bank: str, entries: Sequence[NewEntry], actor: str) -> list[BankEntry]: ...
    def remove_entry(self, bank: str, entry_id: int, actor: str, reason: str = "") -> BankEntry: ...
    def list_entries(self, bank: str | None = None, *, include_removed: bool = False,
                     signal_type: str | None = None, value: str | None = None) -> list[BankEntry]: ...
    def live_entries(self, signal_type: str, after_id: int = 0) -> list[tuple[BankEntry, Bank]]: ...
    def find_entries(self, ids: Sequence[int]) -> dict[int, tuple[BankEntry, Bank]]: ...
    def unmatchable_entry_ids(self, signal_type: str) -> list[int]: ...


class OcrTextStore(Protocol):
    def find_ocr_text(self, sha256: str, langs: str) -> str | None: ...
    def add_ocr_text(self, sha256: str, langs: str, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    fingerprint: str
    state: str
    label: str
    score: float
    priority: float
    tactics: tuple[str, ...]
    lang: str
    route: str | None
    bank_match: bool
    opened_at: str
    updated_at: str
    version: int
    posts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    case_id: int
    decision: str
    reviewer: str
    at: str
    reason: str
    tactics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReferralItem:
    id: int
    referral_id: int
    case_id: int
    platform: str
    post_id: str
    url: str | None
    status: str
    detected_at: str
    updated_at: str
    version: int


@dataclass(frozen=True, slots=True)
class Referral:
    id: int
    platform: str
    jurisdiction: str
    sender_name: str
    sender_email: str
    created_by: str
    created_at: str
    sent_at: str | None
    items: tuple[ReferralItem, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemEvent:
    id: int
    item_id: int
    from_status: str
    to_status: str
    at: str
    actor: str
    note: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    case_id: int
    platform: str
    post_id: str
    kind: str  # record | text | media
    name: str
    sha256: str
    size: int
    captured_at: str
    source_url: str | None
    collector: str


class CaseStore(Protocol):
    def upsert_case(self, fingerprint: str, posts: Sequence[tuple[str, str]], *, label: str, score: float,
                    priority: float, tactics: Sequence[str], lang: str, route: str | None,
                    bank_match: bool) -> tuple[Case, bool]: ...
    def get_case(self, case_id: int) -> Case: ...
    def find_case_of_post(self, platform: str, post_id: str) -> int | None: ...
    def list_cases(self, states: Sequence[str] | None = None, *, lang: str | None = None, platform: str | None = None,
                   tactic: str | None = None, min_score: float | None = None, route: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[Case]: ...
    def add_decision(self, case_id: int, decision: str, state: str, reviewer: str, reason: str,
                     tactics: Sequence[str], expected_version: int) -> tuple[Decision, Case]: ...
    def list_decisions(self, case_id: int | None = None) -> list[Decision]: ...


class ReferralStore(Protocol):
    def add_referral(self, platform: str, jurisdiction: str, sender_name: str, sender_email: str, actor: str,
                     items: Sequence[tuple[int, str, str, str | None, str]]) -> Referral: ...
    def get_referral(self, referral_id: int) -> Referral: ...
    def list_referrals(self, platform: str | None = None) -> list[Referral]: ...
    def mark_referral_sent(self, referral_id: int, at: str) -> Referral: ...
    def get_item(self, item_id: int) -> ReferralItem: ...
    def list_items(self, *, platform: str | None = None, post: tuple[str, str] | None = None,
                   statuses: Sequence[str] | None = None) -> list[ReferralItem]: ...
    def update_item_status(self, item_id: int, new: str, *, actor: str, note: str, details: dict[str, Any],
                           at: str, expected_version: int | None = None) -> tuple[ReferralItem, bool]: ...
    def list_item_events(self, item_id: int | None = None) -> list[ItemEvent]: ...


class EvidenceStore(Protocol):
    def add_evidence_file(self, f: EvidenceFile) -> None: ...
    def list_evidence(self, case_id: int) -> list[EvidenceFile]: ...


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str  # admin | analyst | reviewer | platform | researcher
    platform: str | None
    disabled: bool
    created_at: str


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user: str
    prefix: str
    expires_at: str
    revoked_at: str | None
