"""Hash banks as use cases: hash files, add to and remove from banks, import and export lists, match.

Every change is an audit `Event`. Matching joins the PDQ index (exact, within each bank's threshold) and the exact
types (SHA-256, video MD5, phone, handle, URL) with their entries and banks; a match in a `benign` bank is reported
as such and clears flags raised by the same media (a known news photo).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crossingwatch.core import Event
from crossingwatch.core.errors import InputError
from crossingwatch.exchange.hashlists import ExportRow, ListProblem, read_hash_list, write_hash_list
from crossingwatch.media.signals import PDQ_QUALITY_MIN, Signal, SignalError, SignalType
from crossingwatch.store.protocols import Bank, BankEntry, BankStore, NewEntry

Track = Callable[[Event], None]


def _no_track(event: Event) -> None:
    return None


def types_by_name(types: Iterable[SignalType]) -> dict[str, SignalType]:
    return {t.name: t for t in types}


def hash_file(path: Path, types: Iterable[SignalType]) -> list[Signal]:
    """Every signal of a file (PDQ and SHA-256 of an image, MD5 and SHA-256 of a video)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file", source=str(path))
    out = []
    for t in types:
        if t.media:
            s = t.hash_file(path)
            if s is not None:
                out.append(s)
    return out


def parse_signal(text: str, types: dict[str, SignalType]) -> Signal:
    """`TYPE:VALUE` or `TYPE VALUE` (e.g. `pdq:f8f8…`, `phone:+44 7700 900123`, `handle:telegram:@boat_uk`)."""
    for sep in (":", " "):
        name, found, value = text.strip().partition(sep)
        if found and name.lower() in types:
            return Signal(name.lower(), types[name.lower()].validate(value))
    raise SignalError(f"{text!r}: write TYPE:VALUE with TYPE one of {', '.join(sorted(types))}, or give a file")


def create_bank(store: BankStore, name: str, *, kind: str = "flag", pdq_threshold: int = 31, note: str = "",
                actor: str = "system", track: Track = _no_track) -> Bank:
    bank = store.create_bank(name, kind=kind, pdq_threshold=pdq_threshold, note=note, actor=actor)
    track(Event("bank.created", actor, f"bank:{name}", {"kind": kind, "pdq_threshold": pdq_threshold}))
    return bank


def add_to_bank(store: BankStore, bank: str, signals: Sequence[Signal], *, actor: str, source_case: str | None = None,
                tags: Sequence[str] = (), note: str = "", track: Track = _no_track) -> list[BankEntry]:
    """Adds signals (already validated) to a bank; returns the entries, old ones included."""
    entries = store.add_entries(bank, [NewEntry(s.type, s.value, s.quality, source_case, tuple(tags), note)
                                       for s in signals], actor)
    for e in entries:
        track(Event("bank.entry_added", actor, f"bank:{bank}/entry:{e.id}",
                    {"signal_type": e.signal_type, "value": e.value, "source_case": source_case}))
    return entries


def remove_from_bank(store: BankStore, bank: str, entry_id: int, *, actor: str, reason: str = "",
                     track: Track = _no_track) -> BankEntry:
    entry = store.remove_entry(bank, entry_id, actor, reason)
    track(Event("bank.entry_removed", actor, f"bank:{bank}/entry:{entry_id}", {"reason": reason}))
    return entry


def import_hash_list(store: BankStore, bank: str, text: str, types: dict[str, SignalType], *, actor: str,
                     track: Track = _no_track) -> tuple[list[BankEntry], list[ListProblem]]:
    """Reads a hash list; adds every valid row; returns the problems (line, reason) of the others."""
    listed, problems = read_hash_list(text)
    good: list[tuple[Signal, tuple[str, ...]]] = []
    for row in listed:
        t = types.get(row.signal_type)
        if t is None:
            problems.append(ListProblem(row.line, f"unknown signal type {row.signal_type!r}; known: "
                                        f"{', '.join(sorted(types))}", f"{row.signal_type} {row.value}"))
            continue
        try:
            good.append((Signal(t.name, t.validate(row.value)), row.tags))
        except SignalError as exc:
            problems.append(ListProblem(row.line, str(exc), f"{row.signal_type} {row.value}"))
    entries: list[BankEntry] = []
    for tags in sorted({tags for _, tags in good}):
        entries += add_to_bank(store, bank, [s for s, tg in good if tg == tags], actor=actor, tags=tags, track=track)
    track(Event("bank.imported", actor, f"bank:{bank}", {"added": len(entries), "rejected": len(problems)}))
    return entries, sorted(problems, key=lambda p: p.line)


def export_hash_list(store: BankStore, bank: str, fmt: str = "csv", *, actor: str = "system",
                     track: Track = _no_track) -> str:
    if fmt not in ("csv", "tsv", "txt"):
        raise InputError(f"format {fmt!r}: use csv, tsv or txt", field="format")
    b = store.get_bank(bank)
    rows = [ExportRow(e.signal_type, e.value, b.name, b.kind, e.tags) for e in store.list_entries(bank)]
    track(Event("bank.exported", actor, f"bank:{bank}", {"format": fmt, "entries": len(rows)}))
    return write_hash_list(rows, fmt)


@dataclass(frozen=True, slots=True)
class Match:
    bank: str
    kind: str  # flag | benign
    entry_id: int
    signal_type: str
    value: str
    distance: int
    media: int | None = None  # which of the post's media matched

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bank": self.bank, "kind": self.kind, "entry": self.entry_id,
                               "signal_type": self.signal_type, "value": self.value, "distance": self.distance}
        if self.media is not None:
            out["source"] = f"image:{self.media}"
        return out


class Matcher:
    """Matches signals against the enabled banks.

    PDQ goes through a `PdqIndex`: opened from `index_dir` when one was saved there (memory-mapped, so a large
    index opens in about a second), then caught up from the store without a rebuild: entries added since it was
    built go to its delta part, removed entries and disabled banks are tombstoned. Matched ids are looked up in the
    store, so memory holds hashes, not entries. The exact types are looked up in the store directly (indexed)."""

    META = "matcher.json"

    def __init__(self, store: BankStore, index_dir: Path | None = None) -> None:
        from crossingwatch.media.pdq_index import PdqIndex

        self.store = store
        self.index_dir = index_dir
        self._index = PdqIndex()
        self._built_to = 0
        if index_dir is not None and (index_dir / self.META).is_file():
            self._index = PdqIndex.open(index_dir)
            self._built_to = int(json.loads((index_dir / self.META).read_text("utf-8"))["built_to"])
        self._seen_to = self._built_to
        self.refresh()

    def refresh(self) -> None:
        """Take in entries added since the last look; stop matching removed ones and disabled banks."""
        from crossingwatch.media.pdq_index import pdq_from_hex

        new = [(e, b) for e, b in self.store.live_entries("pdq", after_id=self._seen_to)
               if e.quality is None or e.quality >= PDQ_QUALITY_MIN]
        if new:
            self._index.add(np.stack([pdq_from_hex(e.value) for e, _ in new]),
                            np.array([e.id for e, _ in new], dtype=np.int64))
            self._seen_to = max(self._seen_to, max(e.id for e, _ in new))
        gone = self.store.unmatchable_entry_ids("pdq")
        if gone:
            self._index.remove(gone)
        self._max_threshold = max([b.pdq_threshold for b in self.store.list_banks() if b.enabled], default=0)

    def save(self) -> None:
        """Write the index (delta merged in) to `index_dir`, with how far into the store it reaches."""
        if self.index_dir is None:
            raise ValueError("this matcher has no index_dir to save to")
        self._index.save(self.index_dir)
        (self.index_dir / self.META).write_text(json.dumps({"built_to": self._seen_to}), "utf-8")
        self._built_to = self._seen_to

    def __len__(self) -> int:
        return len(self._index)

    def match(self, signals: Sequence[tuple[int | None, Signal]]) -> list[Match]:
        from crossingwatch.media.pdq_index import pdq_from_hex

        out: list[Match] = []
        banks: dict[str, Bank] = {}  # read once per call, not once per matching entry
        for media, s in signals:
            if s.type == "pdq":
                if not s.matchable or not len(self._index):
                    continue
                hits = self._index.query(pdq_from_hex(s.value), max_distance=self._max_threshold)
                entries = self.store.find_entries([i for i, _ in hits])
                for entry_id, distance in hits:
                    found = entries.get(entry_id)
                    if found is None:
                        continue
                    entry, bank = found
                    if bank.enabled and entry.removed_at is None and distance <= bank.pdq_threshold:
                        out.append(Match(bank.name, bank.kind, entry_id, "pdq", entry.value, distance, media))
            else:
                for entry in self.store.list_entries(signal_type=s.type, value=s.value):
                    bank = banks.get(entry.bank) or banks.setdefault(entry.bank, self.store.get_bank(entry.bank))
                    if bank.enabled:
                        out.append(Match(bank.name, bank.kind, entry.id, s.type, s.value, 0, media))
        return out


def bank_confirmed_case(store: Any, case_id: int, types: dict[str, SignalType], *, bank: str = "confirmed",
                        actor: str, track: Track = _no_track) -> list[BankEntry]:
    """A confirmed advert feeds the bank: its media (PDQ, SHA-256, video MD5) and the phone numbers it gives, so
    every re-upload is caught. The bank is made on first use."""
    if bank not in {b.name for b in store.list_banks()}:
        create_bank(store, bank, note="confirmed adverts (fed by review)", actor=actor, track=track)
    case = store.get_case(case_id)
    predictions = store.find_predictions(list(case.posts))
    signals: list[Signal] = []
    for key in case.posts:
        post = store.find_post(*key)
        for m in post.media if post else ():
            if m.path and Path(m.path).is_file():
                try:
                    signals += [s for s in hash_file(Path(m.path), types.values()) if s.matchable]
                except (InputError, ValueError):
                    continue  # an unreadable image was reported when it was scanned
        for phone in ((predictions.get(key) or {}).get("indicators") or {}).get("phones", []):
            if "phone" in types:
                try:
                    signals.append(Signal("phone", types["phone"].validate(phone)))
                except SignalError:
                    continue
    if not signals:
        return []
    return add_to_bank(store, bank, list(dict.fromkeys(signals)), actor=actor, source_case=f"case:{case_id}",
                       track=track)
