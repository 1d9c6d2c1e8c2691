"""Hash lists in the formats HMA and python-threatexchange users exchange.

- `txt`: one `<signal_type> <value>` a line: python-threatexchange's file exchange (`LocalFileSignalExchangeAPI`)
  reads it, and `crossingwatch hash` writes it.
- `csv`: python-threatexchange's dataset CSV (`threatexchange dataset --csv`): `signal_type, signal_str, collab,
  category, tags` (tags space-separated); a tab-separated file with the same header is read too.

Reading never stops at a bad row: each is returned as a problem with its line number, the rest are read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

CSV_FIELDS = ("signal_type", "signal_str", "collab", "category", "tags")
CATEGORY = {"flag": "POSITIVE_CLASS", "benign": "NEGATIVE_CLASS"}


@dataclass(frozen=True, slots=True)
class ListedSignal:
    line: int
    signal_type: str
    value: str
    tags: tuple[str, ...] = ()
    collab: str = ""


@dataclass(frozen=True, slots=True)
class ListProblem:
    line: int
    reason: str
    raw: str

    def message(self, source: str) -> str:
        return f"{source}:{self.line}: {self.reason}"


def read_hash_list(text: str) -> tuple[list[ListedSignal], list[ListProblem]]:
    """Signals and problems from a hash list in either format (sniffed from its first line)."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if first.replace("\t", ",").split(",")[0].strip().lower() == "signal_type":
        return _read_table(text, "\t" if "\t" in first else ",")
    out, problems = [], []
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        signal_type, _, value = line.partition(" ")
        if not value.strip():
            problems.append(ListProblem(n, "expected '<signal_type> <value>'", raw))
            continue
        out.append(ListedSignal(n, signal_type.strip().lower(), value.strip()))
    return out, problems


def _read_table(text: str, delimiter: str) -> tuple[list[ListedSignal], list[ListProblem]]:
    out, problems = [], []
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        n = reader.line_num
        signal_type = (row.get("signal_type") or "").strip().lower()
        value = (row.get("signal_str") or row.get("signal_value") or row.get("value") or "").strip()
        if not signal_type or not value:
            problems.append(ListProblem(n, "missing signal_type or signal_str", delimiter.join(
                str(v) for v in row.values() if v is not None)))
            continue
        tags = tuple(t for t in (row.get("tags") or "").replace(",", " ").split() if t)
        out.append(ListedSignal(n, signal_type, value, tags, (row.get("collab") or "").strip()))
    return out, problems


@dataclass(frozen=True, slots=True)
class ExportRow:
    signal_type: str
    value: str
    bank: str
    kind: str
    tags: tuple[str, ...] = ()


def write_hash_list(rows: Iterable[ExportRow], fmt: str = "csv") -> str:
    if fmt == "txt":
        return "".join(f"{r.signal_type} {r.value}\n" for r in rows)
    if fmt not in ("csv", "tsv"):
        raise ValueError(f"format {fmt!r}: use csv, tsv or txt")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_FIELDS, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({"signal_type": r.signal_type, "signal_str": r.value, "collab": r.bank,
                         "category": CATEGORY.get(r.kind, "POSITIVE_CLASS"), "tags": " ".join(r.tags)})
    return buf.getvalue()
