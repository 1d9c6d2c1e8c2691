"""`/v1/banks`: list, create, add to, remove from and export hash banks."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from crossingwatch.services import banking
from crossingwatch.web.api.common import Id, Limit, Offset, page, runtime
from crossingwatch.web.deps import allow

router = APIRouter(tags=["banks"])


class BankIn(BaseModel):
    name: str
    kind: str = "flag"
    pdq_threshold: int = 31
    note: str = ""


class EntriesIn(BaseModel):
    signals: list[str]  # TYPE:VALUE each
    case: str | None = None
    tags: list[str] = []
    note: str = ""


@router.get("/banks", dependencies=[allow("analyst", "reviewer")])
def list_banks(request: Request, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    banks = runtime(request).store().list_banks()
    return page([asdict(b) for b in banks[offset:offset + limit]], limit, offset, len(banks))


@router.post("/banks", status_code=201, dependencies=[allow("analyst")])
def create_bank(request: Request, body: BankIn) -> dict[str, Any]:
    rt = runtime(request)
    return asdict(banking.create_bank(rt.store(), body.name, kind=body.kind, pdq_threshold=body.pdq_threshold,
                                      note=body.note, actor=request.state.user.name, track=rt.track))


@router.get("/banks/{name}/entries", dependencies=[allow("analyst", "reviewer")])
def list_entries(request: Request, name: str, limit: Limit = 100, offset: Offset = 0,
                 removed: bool = False) -> dict[str, Any]:
    entries = runtime(request).store().list_entries(name, include_removed=removed)
    return page([asdict(e) for e in entries[offset:offset + limit]], limit, offset, len(entries))


@router.post("/banks/{name}/entries", status_code=201, dependencies=[allow("analyst")])
def add_entries(request: Request, name: str, body: EntriesIn) -> dict[str, Any]:
    rt = runtime(request)
    types = rt.signal_types()
    signals = [banking.parse_signal(s, types) for s in body.signals]
    entries = banking.add_to_bank(rt.store(), name, signals, actor=request.state.user.name, source_case=body.case,
                                  tags=body.tags, note=body.note, track=rt.track)
    return {"items": [asdict(e) for e in entries]}


@router.delete("/banks/{name}/entries/{entry_id}", dependencies=[allow("analyst")])
def remove_entry(request: Request, name: str, entry_id: Id, reason: str = "") -> dict[str, Any]:
    rt = runtime(request)
    return asdict(banking.remove_from_bank(rt.store(), name, entry_id, actor=request.state.user.name, reason=reason,
                                           track=rt.track))


@router.get("/banks/{name}/export", dependencies=[allow("analyst", "platform")])
def export(request: Request, name: str, format: str = "csv") -> PlainTextResponse:
    """The bank as a hash list (python-threatexchange's CSV, TSV or `<type> <value>` lines)."""
    rt = runtime(request)
    text = banking.export_hash_list(rt.store(), name, format, actor=request.state.user.name, track=rt.track)
    return PlainTextResponse(text, media_type="text/csv" if format == "csv" else "text/plain")
