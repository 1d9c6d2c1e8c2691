"""Hash banks in the console: list them, search one signal (a PDQ or SHA-256 hash, a phone, a handle, a URL) across
the enabled banks, and download a bank as an HMA-compatible hash list. Adding from a case is on the case page."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from crossingwatch.core.errors import InputError
from crossingwatch.media.signals import SignalError
from crossingwatch.services import banking
from crossingwatch.web.api.common import shared_matcher
from crossingwatch.web.console.session import console_allow, render
from crossingwatch.web.deps import runtime_of

router = APIRouter(include_in_schema=False)


@router.get("/banks", dependencies=[console_allow("analyst", "reviewer")])
def banks_page(request: Request, q: str = "") -> Response:
    rt = runtime_of(request)
    store = rt.store()
    counts: dict[str, int] = {}
    for e in store.list_entries():
        counts[e.bank] = counts.get(e.bank, 0) + 1
    matches, error, signal = [], "", None
    if q.strip():
        try:
            signal = banking.parse_signal(q.strip(), rt.signal_types())
            matches = shared_matcher(request).match([(None, signal)])
        except (InputError, SignalError) as e:
            error = str(e)
    found = store.find_entries([m.entry_id for m in matches]) if matches else {}
    return render(request, "banks.html", status=422 if error else 200, banks=store.list_banks(), counts=counts,
                  q=q, signal=signal, matches=[(m, found.get(m.entry_id, (None, None))[0]) for m in matches],
                  error=error)


@router.get("/banks/{name}/export", dependencies=[console_allow("analyst")])
def export(request: Request, name: str, format: str = "csv") -> Response:
    rt = runtime_of(request)
    body = banking.export_hash_list(rt.store(), name, format, actor=request.state.user.name, track=rt.track)
    kind = "text/csv" if format == "csv" else "text/plain"
    filename = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{name}.{format}")  # nothing from a name reaches the header raw
    return PlainTextResponse(body, media_type=kind,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
