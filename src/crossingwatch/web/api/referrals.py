"""`/v1/referrals`: create, list, read, export and send notices (the unit's side)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from crossingwatch.services import referring
from crossingwatch.web.api.common import Id, Limit, Offset, page, runtime
from crossingwatch.web.deps import allow

router = APIRouter(tags=["referrals"])
UNIT = allow("analyst")


def _laws(request: Request) -> referring.Jurisdictions:
    return referring.Jurisdictions.load(Path(runtime(request).settings.data_dir) / "legal" / "jurisdictions.toml")


class ReferralIn(BaseModel):
    platform: str
    cases: list[int] | None = None
    jurisdiction: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None


@router.post("/referrals", status_code=201, dependencies=[UNIT])
def create(request: Request, body: ReferralIn) -> dict[str, Any]:
    rt = runtime(request)
    s = rt.settings
    r = referring.create_referral(rt.store(), body.platform, sender_name=body.sender_name or s.sender_name,
                                  sender_email=body.sender_email or s.sender_email,
                                  jurisdiction=body.jurisdiction or s.jurisdiction, laws=_laws(request),
                                  case_ids=body.cases, four_eyes=s.four_eyes, actor=request.state.user.name,
                                  track=rt.track)
    return asdict(r)


@router.get("/referrals", dependencies=[UNIT])
def list_referrals(request: Request, limit: Limit = 50, offset: Offset = 0,
                   platform: str | None = None) -> dict[str, Any]:
    found = runtime(request).store().list_referrals(platform)
    return page([asdict(r) for r in found[offset:offset + limit]], limit, offset, len(found))


@router.get("/referrals/{referral_id}", dependencies=[UNIT])
def get_referral(request: Request, referral_id: Id) -> dict[str, Any]:
    return asdict(runtime(request).store().get_referral(referral_id))


@router.get("/referrals/{referral_id}/export", dependencies=[UNIT], response_model=None)
def export(request: Request, referral_id: Id, format: str = "json") -> Any:
    """The notice as JSON, CSV or a plain-text email body."""
    store = runtime(request).store()
    data = referring.notice(store, store.get_referral(referral_id), _laws(request))
    if format == "json":
        return data
    return PlainTextResponse(referring.render_notice(data, format),
                             media_type="text/csv" if format == "csv" else "text/plain")


@router.post("/referrals/{referral_id}/send", dependencies=[UNIT])
def send(request: Request, referral_id: Id) -> dict[str, Any]:
    rt = runtime(request)
    return asdict(referring.send_referral(rt.store(), referral_id, actor=request.state.user.name, track=rt.track))
