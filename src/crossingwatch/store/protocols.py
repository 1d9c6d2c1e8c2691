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
