"""Audit events: every state change is an `Event`, dispatched through the `track_event` hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened: who (`actor`) did what (`action`) to which thing (`subject`)."""

    action: str
    actor: str
    subject: str
    details: dict[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=utcnow)
