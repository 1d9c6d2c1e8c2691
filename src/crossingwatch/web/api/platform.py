"""`/v1/platform/…`: a platform's own view. A platform token sees and answers only the items referred to its
platform; any other item is answered 404, as if it did not exist."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from crossingwatch.core.errors import NotFound
from crossingwatch.core.workflow import ITEM_STATUSES
from crossingwatch.services import referring
from crossingwatch.web.api.common import Id, Limit, Offset, page, runtime
from crossingwatch.web.deps import allow

router = APIRouter(tags=["platform"])
PLATFORM = allow("platform")


def _platform_of(request: Request) -> str | None:
    user = request.state.user
    return user.platform if user.role == "platform" else None  # an admin sees every platform's


@router.get("/platform/referrals", dependencies=[PLATFORM])
def my_items(request: Request, limit: Limit = 50, offset: Offset = 0, status: str | None = None) -> dict[str, Any]:
    """Items referred to your platform (by status: `sent`, `acknowledged`, …)."""
    store = runtime(request).store()
    statuses = [status] if status in ITEM_STATUSES else None
    items = store.list_items(platform=_platform_of(request), statuses=statuses)
    items = [i for i in items if i.status != "draft"]  # a draft is not a notice yet
    out = []
    for i in items[offset:offset + limit]:
        referral = store.get_referral(i.referral_id)
        out.append({**asdict(i), "referral_sent_at": referral.sent_at, "legal_basis": referral.jurisdiction})
    return page(out, limit, offset, len(items))


class StatusIn(BaseModel):
    status: str = Field(description="acknowledged, removed, restricted, rejected or no_response")
    note: str = ""
    at: str | None = None
    statement_of_reasons: dict[str, Any] | None = Field(
        default=None, description="DSA Transparency Database fields: decision_visibility, decision_ground, …")


@router.post("/platform/referrals/{item_id}/status", dependencies=[PLATFORM])
def answer(request: Request, item_id: Id, body: StatusIn) -> dict[str, Any]:
    """Your decision on an item referred to you, with your statement of reasons."""
    rt = runtime(request)
    item = rt.store().get_item(item_id)
    mine = _platform_of(request)
    if (mine is not None and item.platform != mine) or item.status == "draft":
        raise NotFound(f"no referral item {item_id}")
    updated, changed = referring.record_status(rt.store(), item_id, body.status, actor=request.state.user.name,
                                               note=body.note, details=body.statement_of_reasons or {}, at=body.at,
                                               track=rt.track)
    return {"item": asdict(updated), "changed": changed}
