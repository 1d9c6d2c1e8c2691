"""Posts as they arrive from a source, and records a source could not accept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Author:
    id: str | None = None
    handle: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Media:
    """One attachment. `path` is resolved against the input file's folder by the source."""

    type: str
    path: str | None = None
    sha256: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("type", self.type), ("path", self.path), ("sha256", self.sha256)) if v}


@dataclass(frozen=True, slots=True)
class Post:
    """A public post to assess. Identified by `(platform, id)`; `extra` keeps unknown input keys."""

    id: str
    text: str = ""
    platform: str = "unknown"
    url: str | None = None
    created_at: str | None = None
    author: Author = field(default_factory=Author)
    lang_hint: str | None = None
    media: tuple[Media, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


@dataclass(frozen=True, slots=True)
class Reject:
    """An input record that could not be accepted (or a problem found in one), kept with its reason.

    `action` is `rejected` when the record was not scanned, or `kept` when the post was scanned without the
    faulty part (an unreadable media file, say) or the problem concerned the file as a whole.
    """

    source: str
    line: int
    field: str
    reason: str
    raw: str | None = None
    record_id: str | None = None
    action: str = "rejected"

    def message(self) -> str:
        rid = f" (id {self.record_id})" if self.record_id else ""
        return f"{self.source}:{self.line}{rid}: field '{self.field}': {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "field": self.field,
            "reason": self.reason,
            "id": self.record_id,
            "action": self.action,
            "raw": self.raw,
        }
