"""Audit events: every state change is an `Event`, dispatched through the `track_event` hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as stored or given by a source (`Z` or an offset; none means UTC), or None if unreadable."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def hours_between(start: str | None, end: str | None) -> float | None:
    """Hours from `start` to `end` (never negative), or None when either is missing or unreadable."""
    a, b = parse_time(start), parse_time(end)
    return None if a is None or b is None else max((b - a).total_seconds() / 3600, 0.0)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened: who (`actor`) did what (`action`) to which thing (`subject`)."""

    action: str
    actor: str
    subject: str
    details: dict[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=utcnow)
