"""CSV posts: the post format's columns, with the author flattened (`author_id`, `author_handle`, `author_name`)
and one media file per row (`media_path`, `media_type`). Unknown columns are kept with the post and reported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from crossingwatch.core import Reject
from crossingwatch.sources.base import KNOWN_KEYS, Item, Limits, build_post, reject

csv.field_size_limit(1 << 30)


class CsvReader:
    name: ClassVar[str] = "csv"

    def sniff(self, path: str, head: bytes) -> bool:
        if path.endswith((".csv", ".tsv")):
            return True
        first = head.split(b"\n", 1)[0].lower()
        return b"," in first and b"id" in first

    def read(self, path: str, stream: Any, limits: Limits) -> Iterator[Item]:
        base = None if path == "-" else Path(path).resolve().parent
        bad_lines: dict[int, int] = {}
        lines = _decoded_lines(stream, bad_lines)
        delimiter = "\t" if path.endswith(".tsv") else ","
        reader = csv.DictReader(lines, delimiter=delimiter)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            yield reject(path, 1, "(header)", f"malformed CSV header: {exc}")
            return
        header = [h.strip().lstrip("\ufeff") for h in header]
        reader.fieldnames = header
        if "id" not in header:
            yield Item(path, 1, None, [Reject(path, 1, "id", "no 'id' column: every row will be rejected; columns "
                                              f"found: {', '.join(header)}", None, None, "kept")])
        unknown = [h for h in header if h not in KNOWN_KEYS]
        if unknown:
            yield Item(path, 1, None, [Reject(path, 1, ",".join(unknown), "unknown column(s), kept with each post "
                                              "but not used by the detector", None, None, "kept")])
        start = 2
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reject(path, reader.line_num, "(line)", f"malformed CSV: {exc}")
                start = reader.line_num + 1
                continue
            end = reader.line_num
            raw = ",".join("" if v is None else str(v) for v in row.values())
            bad = [n for n in range(start, end + 1) if n in bad_lines]
            if bad:
                yield reject(path, start, _field_with_bad_bytes(row), f"invalid UTF-8 on line {bad[0]} "
                             f"at byte {bad_lines[bad[0]]}", raw)
            elif None in row:
                yield reject(path, start, "(line)", f"{len(row[None])} more value(s) than columns", raw)
            else:
                record = {k: v for k, v in row.items() if v not in (None, "")}
                yield build_post(record, path, start, base, limits, raw)
            start = end + 1


def _decoded_lines(stream: Any, bad_lines: dict[int, int]) -> Iterator[str]:
    for number, raw in enumerate(stream, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_lines[number] = exc.start
            yield raw.decode("utf-8", "replace")


def _field_with_bad_bytes(row: dict[str | None, Any]) -> str:
    for key, value in row.items():
        if isinstance(value, str) and "\ufffd" in value:
            return str(key)
    return "(line)"
