"""The SQL side of hash banks and the OCR cache (mixed into `SqlStore`; same engine, same transactions)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, and_, select
from sqlalchemy.exc import IntegrityError

from crossingwatch.core.errors import Conflict, InputError, NotFound
from crossingwatch.core.events import utcnow
from crossingwatch.store import tables as t
from crossingwatch.store.protocols import Bank, BankEntry, NewEntry

BANK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
BANK_KINDS = ("flag", "benign")


def _bank(r: Any) -> Bank:
    return Bank(r.id, r.name, r.kind, bool(r.enabled), r.pdq_threshold, r.note, r.created_by, r.created_at)


def _entry(r: Any, bank: str) -> BankEntry:
    return BankEntry(r.id, bank, r.signal_type, r.value, r.quality, r.source_case, r.added_by, r.added_at,
                     tuple(r.tags or ()), r.note, r.removed_at, r.removed_by, r.removed_reason)


class BankSql:
    """Banks, entries (removal is a tombstone) and the OCR cache."""

    def _tx(self) -> AbstractContextManager[Connection]:  # provided by SqlStore
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:  # provided by SqlStore
        raise NotImplementedError

    def create_bank(self, name: str, *, kind: str = "flag", pdq_threshold: int = 31, note: str = "",
                    actor: str = "system") -> Bank:
        if not BANK_NAME.fullmatch(name):
            raise InputError(f"bank name {name!r}: use 1-64 letters, digits, '_', '.' or '-', starting with a letter "
                             "or digit", field="name")
        if kind not in BANK_KINDS:
            raise InputError(f"bank {name}: kind {kind!r} is not one of {', '.join(BANK_KINDS)}", field="kind")
        if not 0 <= pdq_threshold <= 256:
            raise InputError(f"bank {name}: pdq_threshold {pdq_threshold} is outside 0..256", field="pdq_threshold")
        try:
            with self._tx() as conn:
                conn.execute(t.banks.insert().values(name=name, kind=kind, enabled=1, pdq_threshold=pdq_threshold,
                                                     note=note, created_by=actor, created_at=utcnow()))
        except Exception as exc:  # the unique name, whichever driver reports it
            if isinstance(exc, IntegrityError) or isinstance(getattr(exc, "__cause__", None), IntegrityError):
                raise Conflict(f"bank {name!r} exists already; choose another name or add to it") from exc
            raise
        return self.get_bank(name)

    def get_bank(self, name: str) -> Bank:
        with self._tx() as conn:
            row = conn.execute(select(t.banks).where(t.banks.c.name == name)).first()
        if row is None:
            raise NotFound(f"no bank named {name!r} (`crossingwatch bank list` shows them)")
        return _bank(row)

    def list_banks(self) -> list[Bank]:
        with self._tx() as conn:
            return [_bank(r) for r in conn.execute(select(t.banks).order_by(t.banks.c.name))]

    def set_bank_enabled(self, name: str, enabled: bool) -> Bank:
        bank = self.get_bank(name)
        with self._tx() as conn:
            conn.execute(t.banks.update().where(t.banks.c.id == bank.id).values(enabled=int(enabled)))
        return self.get_bank(name)

    def add_entries(self, bank: str, entries: Sequence[NewEntry], actor: str) -> list[BankEntry]:
        """Adds what is new; a value the bank holds already (and not removed) is returned as it is."""
        b = self.get_bank(bank)
        now = utcnow()
        out: list[BankEntry] = []
        with self._tx() as conn:
            for e in entries:
                existing = conn.execute(select(t.bank_entries).where(and_(
                    t.bank_entries.c.bank_id == b.id, t.bank_entries.c.signal_type == e.signal_type,
                    t.bank_entries.c.value == e.value, t.bank_entries.c.removed_at.is_(None)))).first()
                if existing is not None:
                    out.append(_entry(existing, b.name))
                    continue
                new_id = conn.execute(t.bank_entries.insert().values(
                    bank_id=b.id, signal_type=e.signal_type, value=e.value, quality=e.quality,
                    source_case=e.source_case, added_by=actor, added_at=now, tags=list(e.tags), note=e.note,
                )).inserted_primary_key[0]
                row = conn.execute(select(t.bank_entries).where(t.bank_entries.c.id == new_id)).one()
                out.append(_entry(row, b.name))
        return out

    def remove_entry(self, bank: str, entry_id: int, actor: str, reason: str = "") -> BankEntry:
        b = self.get_bank(bank)
        with self._tx() as conn:
            row = conn.execute(select(t.bank_entries).where(and_(t.bank_entries.c.id == entry_id,
                                                                 t.bank_entries.c.bank_id == b.id))).first()
            if row is None:
                raise NotFound(f"bank {bank!r} has no entry {entry_id}")
            if row.removed_at is None:
                conn.execute(t.bank_entries.update().where(t.bank_entries.c.id == entry_id).values(
                    removed_at=utcnow(), removed_by=actor, removed_reason=reason))
            row = conn.execute(select(t.bank_entries).where(t.bank_entries.c.id == entry_id)).one()
        return _entry(row, b.name)

    def list_entries(self, bank: str | None = None, *, include_removed: bool = False,
                     signal_type: str | None = None, value: str | None = None) -> list[BankEntry]:
        q = select(t.bank_entries, t.banks.c.name.label("bank_name")).join(
            t.banks, t.banks.c.id == t.bank_entries.c.bank_id)
        if bank is not None:
            q = q.where(t.bank_entries.c.bank_id == self.get_bank(bank).id)
        if not include_removed:
            q = q.where(t.bank_entries.c.removed_at.is_(None))
        if signal_type is not None:
            q = q.where(t.bank_entries.c.signal_type == signal_type)
        if value is not None:
            q = q.where(t.bank_entries.c.value == value)
        with self._tx() as conn:
            return [_entry(r, r.bank_name) for r in conn.execute(q.order_by(t.bank_entries.c.id))]

    def live_entries(self, signal_type: str, after_id: int = 0) -> list[tuple[BankEntry, Bank]]:
        """Entries of enabled banks that can match, with their bank (what a matching index is built from)."""
        q = select(t.bank_entries, t.banks.c.name.label("bank_name")).join(
            t.banks, t.banks.c.id == t.bank_entries.c.bank_id).where(and_(
                t.banks.c.enabled == 1, t.bank_entries.c.removed_at.is_(None),
                t.bank_entries.c.signal_type == signal_type, t.bank_entries.c.id > after_id))
        banks = {b.name: b for b in self.list_banks()}
        with self._tx() as conn:
            return [(_entry(r, r.bank_name), banks[r.bank_name]) for r in conn.execute(q.order_by(t.bank_entries.c.id))]

    def find_entries(self, ids: Sequence[int]) -> dict[int, tuple[BankEntry, Bank]]:
        """Entries by id, with their banks (removed ones and disabled banks included: the caller decides)."""
        banks = {b.name: b for b in self.list_banks()}
        out: dict[int, tuple[BankEntry, Bank]] = {}
        unique = list(dict.fromkeys(int(i) for i in ids))
        with self._tx() as conn:
            for start in range(0, len(unique), 500):
                q = select(t.bank_entries, t.banks.c.name.label("bank_name")).join(
                    t.banks, t.banks.c.id == t.bank_entries.c.bank_id).where(
                    t.bank_entries.c.id.in_(unique[start:start + 500]))
                for r in conn.execute(q):
                    out[r.id] = (_entry(r, r.bank_name), banks[r.bank_name])
        return out

    def unmatchable_entry_ids(self, signal_type: str) -> list[int]:
        """Ids of entries that must not match: removed, or in a disabled bank."""
        q = select(t.bank_entries.c.id).join(t.banks, t.banks.c.id == t.bank_entries.c.bank_id).where(and_(
            t.bank_entries.c.signal_type == signal_type,
            t.bank_entries.c.removed_at.is_not(None) | (t.banks.c.enabled == 0)))
        with self._tx() as conn:
            return [r.id for r in conn.execute(q)]

    # OCR cache ---------------------------------------------------------------------------------------------
    def find_ocr_text(self, sha256: str, langs: str) -> str | None:
        with self._tx() as conn:
            return conn.execute(select(t.ocr_cache.c.text).where(and_(
                t.ocr_cache.c.sha256 == sha256, t.ocr_cache.c.langs == langs))).scalar()

    def add_ocr_text(self, sha256: str, langs: str, text: str) -> None:
        ins = self._insert(t.ocr_cache)
        with self._tx() as conn:
            conn.execute(ins.on_conflict_do_nothing(index_elements=["sha256", "langs"]).values(
                sha256=sha256, langs=langs, text=text, created_at=utcnow()))
