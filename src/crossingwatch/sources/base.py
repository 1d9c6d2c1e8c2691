"""What every reader shares: the `Item` it yields, record validation, and format detection."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from crossingwatch.core import Author, Media, Post, Reject
from crossingwatch.core.errors import InputError

KNOWN_KEYS = {"id", "platform", "url", "created_at", "author", "text", "lang", "media",
              "author_id", "author_handle", "author_name", "media_path", "media_type"}


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_chars: int = 1_000_000


@dataclass(slots=True)
class Item:
    """One input record: `post` is None when it was rejected; `problems` holds every reason found."""

    source: str
    line: int
    post: Post | None = None
    problems: list[Reject] = field(default_factory=list)


class SourceReader(Protocol):
    name: ClassVar[str]

    def sniff(self, path: str, head: bytes) -> bool:
        """Whether this reader recognises the input from its name and first bytes."""
        ...

    def read(self, path: str, stream: Any, limits: Limits) -> Iterator[Item]:
        """Yield every record of `stream` (binary) as an Item, in order."""
        ...


def reject(source: str, line: int, fieldname: str, reason: str, raw: str | None = None,
           record_id: str | None = None) -> Item:
    return Item(source, line, None, [Reject(source, line, fieldname, reason, raw, record_id)])


def build_post(record: Any, source: str, line: int, base_dir: Path | None, limits: Limits,
               raw: str | None = None, default_platform: str = "unknown") -> Item:
    """Validate one record (a mapping in the post format) into a Post, or reject it naming the field."""
    if not isinstance(record, Mapping):
        return reject(source, line, "(record)", f"expected a JSON object, got {type(record).__name__}", raw)
    rid = record.get("id")
    if isinstance(rid, bool) or not isinstance(rid, (str, int)) or str(rid).strip() == "":
        return reject(source, line, "id", "missing or empty: every post needs an 'id' (string)", raw)
    problems: list[Reject] = []
    rid = _valid_unicode(str(rid).strip(), "id", source, line, problems) or ""
    text = record.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        return reject(source, line, "text", f"must be a string, got {type(text).__name__}", raw, rid)
    if len(text) > limits.max_text_chars:
        return reject(source, line, "text", f"too long: {len(text):,} characters (limit {limits.max_text_chars:,}; "
                      "set CROSSINGWATCH_MAX_TEXT_CHARS to raise it)", raw, rid)
    media, media_problems = _media(record, source, line, rid, base_dir)
    problems.extend(media_problems)
    if not text.strip() and not media:
        why = "has neither 'text' nor readable 'media'" if not media_problems else "has no text and no readable media"
        problems.insert(0, Reject(source, line, "text", why, raw, rid))
        return Item(source, line, None, problems)
    for key in ("platform", "url", "created_at", "lang"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return reject(source, line, key, f"must be a string, got {type(value).__name__}", raw, rid)
    author = record.get("author")
    if isinstance(author, Mapping):
        auth = Author(_s(author.get("id")), _s(author.get("handle")), _s(author.get("name")))
    elif author is None:
        auth = Author(_s(record.get("author_id")), _s(record.get("author_handle")), _s(record.get("author_name")))
    else:
        return reject(source, line, "author", "must be an object with id, handle, name", raw, rid)
    extra = {k: v for k, v in record.items() if k not in KNOWN_KEYS}

    def valid(name: str, value: str | None) -> str | None:
        return _valid_unicode(value, name, source, line, problems, rid)

    post = Post(
        id=rid, text=valid("text", text) or "",
        platform=valid("platform", (record.get("platform") or default_platform).strip().lower()) or "",
        url=valid("url", record.get("url")), created_at=valid("created_at", record.get("created_at")),
        author=Author(valid("author.id", auth.id), valid("author.handle", auth.handle),
                      valid("author.name", auth.name)),
        lang_hint=valid("lang", record.get("lang")), media=tuple(media), extra=extra,
    )
    return Item(source, line, post, problems)


def _valid_unicode(value: str | None, name: str, source: str, line: int, problems: list[Reject],
                   rid: str | None = None) -> str | None:
    """`value` with each lone UTF-16 surrogate replaced by U+FFFD, one character for one so evidence offsets hold, and
    a 'kept' problem naming the field. JSON may escape half a pair ("\\ud800"); such text is not valid Unicode and
    cannot be stored or written as UTF-8."""
    if not value or value.isascii() or not _SURROGATE.search(value):
        return value
    fixed = _SURROGATE.sub("\ufffd", value)
    problems.append(Reject(source, line, name, "contains lone UTF-16 surrogates (not valid Unicode); each was replaced "
                           "by U+FFFD and the post assessed", None, fixed if rid is None else rid, "kept"))
    return fixed


_SURROGATE = re.compile("[\ud800-\udfff]")


def _s(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _media(record: Mapping[str, Any], source: str, line: int, rid: str,
           base_dir: Path | None) -> tuple[list[Media], list[Reject]]:
    raw_media = record.get("media")
    if raw_media is None and record.get("media_path"):
        raw_media = [{"type": record.get("media_type") or "image", "path": record["media_path"]}]
    if raw_media is None or raw_media == "":
        return [], []
    if not isinstance(raw_media, list):
        return [], [Reject(source, line, "media", "must be a list of {type, path} objects", None, rid, "kept")]
    media: list[Media] = []
    problems: list[Reject] = []
    for i, m in enumerate(raw_media):
        where = f"media[{i}].path"
        if not isinstance(m, Mapping) or not isinstance(m.get("path"), str) or not m.get("path"):
            problems.append(Reject(source, line, where, "missing: each media item needs a 'path'", None, rid, "kept"))
            continue
        path = Path(m["path"])
        full = path if path.is_absolute() or base_dir is None else base_dir / path
        if not full.is_file() or not os.access(full, os.R_OK):
            problems.append(Reject(source, line, where, f"cannot read media file {full} (missing or unreadable); "
                                   "the post is assessed on its text", None, rid, "kept"))
            continue
        media.append(Media(str(m.get("type") or "image"), str(full)))
    return media, problems


def read_inputs(paths: Sequence[str], readers: Sequence[SourceReader], limits: Limits,
                stdin: Any = None) -> Iterator[Item]:
    """Read every input in turn, choosing the reader by sniffing; `-` is standard input."""
    for path in paths:
        if path == "-":
            stream = stdin
            head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
            yield from _pick(path, head, readers).read(path, stream, limits)
            continue
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file", source=path)
        with open(path, "rb") as stream:
            head = stream.read(4096)
            stream.seek(0)
            if not head.strip():
                yield reject(path, 0, "(file)", "the file is empty")
                continue
            yield from _pick(path, head, readers).read(path, stream, limits)


def _pick(path: str, head: bytes, readers: Sequence[SourceReader]) -> SourceReader:
    for reader in readers:
        if reader.sniff(path, head):
            return reader
    names = ", ".join(r.name for r in readers)
    raise InputError(f"{path}: unrecognised input format (known: {names})", source=path)
