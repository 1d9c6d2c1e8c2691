"""`POST /v1/hash` (an upload → its signals) and `POST /v1/match` (an upload or a signal → bank matches)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from crossingwatch.core.errors import InputError
from crossingwatch.services import banking
from crossingwatch.web.api.common import runtime, shared_matcher
from crossingwatch.web.deps import allow

router = APIRouter(tags=["media"])


def _signals(request: Request, upload: UploadFile | None, signal: str | None) -> list[banking.Signal]:
    types = runtime(request).signal_types()
    if signal:
        return [banking.parse_signal(signal, types)]
    if upload is None:
        raise InputError("send a file (multipart field 'file') or a signal ('signal': TYPE:VALUE)", field="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.filename or "upload").name
        path.write_bytes(upload.file.read())
        return banking.hash_file(path, types.values())


@router.post("/hash", dependencies=[allow("analyst", "reviewer", "platform")])
def hash_upload(request: Request, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """The signals of an uploaded file (PDQ with quality, SHA-256; MD5 for video)."""
    return {"signals": [{"type": s.type, "value": s.value, "quality": s.quality}
                        for s in _signals(request, file, None)]}


@router.post("/match", dependencies=[allow("analyst", "reviewer", "platform")])
def match(request: Request, file: Annotated[UploadFile | None, File()] = None,
          signal: Annotated[str | None, Form()] = None) -> dict[str, Any]:
    """Matches of an uploaded file, or of a signal (`TYPE:VALUE`), in the enabled banks."""
    signals = _signals(request, file, signal)
    matches = shared_matcher(request).match([(None, s) for s in signals])
    return {"signals": [s.line() for s in signals], "matches": [m.to_dict() for m in matches]}
