"""JSON Lines posts (shared/spec/formats.md), read line by line so one bad line spoils nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from crossingwatch.sources.base import Item, Limits, build_post, reject

RAW_KEEP = 2_000_000  # raw text kept with a reject; longer lines are cut, with a note


class JsonLinesReader:
    name: ClassVar[str] = "jsonl"

    def sniff(self, path: str, head: bytes) -> bool:
        if path.endswith((".jsonl", ".ndjson", ".jl")):
            return True
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")

    def read(self, path: str, stream: Any, limits: Limits) -> Iterator[Item]:
        base = None if path == "-" else Path(path).resolve().parent
        for number, raw_bytes in enumerate(stream, start=1):
            if number == 1 and raw_bytes.startswith(b"\xef\xbb\xbf"):
                raw_bytes = raw_bytes[3:]
            try:
                line = raw_bytes.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield reject(path, number, "(line)", f"invalid UTF-8 at byte {exc.start} of the line",
                             raw_bytes.decode("utf-8", "backslashreplace")[:RAW_KEEP])
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield reject(path, number, "(line)", f"malformed JSON: {exc.msg} at column {exc.colno}",
                             line.rstrip("\n")[:RAW_KEEP])
                continue
            yield build_post(record, path, number, base, limits, line.rstrip("\n")[:RAW_KEEP])

