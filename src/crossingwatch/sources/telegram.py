"""Telegram Desktop exports (`result.json`): a single chat or a whole account (`chats.list`).

Text entities are flattened to plain text; photos and files become media (paths relative to the export folder).
Service messages (joins, pins, calls) are not posts and are counted as skipped. The "line" of a message is its
position in the export (message N), since the file is one JSON document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from crossingwatch.sources.base import Item, Limits, build_post, reject

_MEDIA_KEYS = (("photo", "image"), ("file", None))
_KIND = {"video_file": "video", "animation": "video", "video_message": "video", "voice_message": "audio",
         "audio_file": "audio", "sticker": "image"}


class TelegramExportReader:
    name: ClassVar[str] = "telegram"

    def sniff(self, path: str, head: bytes) -> bool:
        if path.endswith((".jsonl", ".ndjson", ".jl", ".csv", ".tsv")):
            return False
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", "ignore")
        if not text.startswith("{"):
            return False
        try:
            first = json.loads(text.split("\n", 1)[0])
        except ValueError:  # line one is not a whole object: a pretty-printed (or long) JSON document
            return path.endswith(".json") or '"messages"' in text or '"chats"' in text
        return isinstance(first, dict) and ("messages" in first or "chats" in first)

    def read(self, path: str, stream: Any, limits: Limits) -> Iterator[Item]:
        base = None if path == "-" else Path(path).resolve().parent
        data = stream.read()
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            yield reject(path, 0, "(file)", f"invalid UTF-8 at byte {exc.start}: the export cannot be read")
            return
        except json.JSONDecodeError as exc:
            yield reject(path, exc.lineno, "(file)",
                         f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
            return
        chats = _chats(doc)
        if chats is None:
            yield reject(path, 0, "messages", "not a Telegram Desktop export: no 'messages' or 'chats.list'")
            return
        number = 0
        for chat in chats:
            chat_id = str(chat.get("id", "0"))
            chat_name = chat.get("name") or ""
            for message in chat.get("messages") or []:
                number += 1
                if not isinstance(message, Mapping) or message.get("type") != "message":
                    yield Item(path, number)  # a service message: no post, no problem
                    continue
                yield build_post(_as_post(message, chat_id, chat_name), path, number, base, limits,
                                 json.dumps(message, ensure_ascii=False), default_platform="telegram")


def _chats(doc: Any) -> list[Mapping[str, Any]] | None:
    if isinstance(doc, Mapping) and isinstance(doc.get("messages"), list):
        return [doc]
    chats = doc.get("chats") if isinstance(doc, Mapping) else None
    if isinstance(chats, Mapping) and isinstance(chats.get("list"), list):
        return [c for c in chats["list"] if isinstance(c, Mapping)]
    return None


def flatten_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in value
                       if isinstance(part, (str, Mapping)))
    return ""


def _as_post(message: Mapping[str, Any], chat_id: str, chat_name: str) -> dict[str, Any]:
    entities = message.get("text_entities")
    text = flatten_text(entities) if isinstance(entities, list) and entities else flatten_text(message.get("text"))
    media = []
    for key, kind in _MEDIA_KEYS:
        value = message.get(key)
        if isinstance(value, str) and value and not value.startswith("("):
            media.append({"type": kind or _KIND.get(str(message.get("media_type")), "file"), "path": value})
    created = None
    if message.get("date_unixtime"):
        try:
            created = datetime.fromtimestamp(int(message["date_unixtime"]), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (TypeError, ValueError):
            created = None
    author = {"id": message.get("from_id"), "name": message.get("from") or message.get("author") or chat_name}
    post: dict[str, Any] = {
        "id": f"{chat_id}/{message.get('id')}",
        "platform": "telegram",
        "url": f"https://t.me/c/{chat_id}/{message.get('id')}",
        "created_at": created or message.get("date"),
        "author": author,
        "text": text,
        "media": media,
        "telegram_chat": chat_name,
    }
    if message.get("forwarded_from"):
        post["forwarded_from"] = message["forwarded_from"]
    return post
