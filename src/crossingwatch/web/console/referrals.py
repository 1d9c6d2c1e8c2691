"""Referrals in the console: build one from confirmed cases, preview the notice, mark it sent, follow each item."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from crossingwatch.core.errors import CrossingWatchError, NotFound
from crossingwatch.services import referring
from crossingwatch.web.console.session import console_allow, render
from crossingwatch.web.deps import runtime_of

router = APIRouter(include_in_schema=False)
UNIT = console_allow("analyst")


def _laws(request: Request) -> referring.Jurisdictions:
    return referring.Jurisdictions.load(Path(runtime_of(request).settings.data_dir) / "legal" / "jurisdictions.toml")


def _list(request: Request, status: int = 200, error: str = "") -> Response:
    store = runtime_of(request).store()
    referred = {(i.platform, i.post_id) for i in store.list_items() if i.status != "rejected"}
    ready: Counter[str] = Counter()
    for case in store.list_cases(["confirmed"], limit=100_000):
        for key in case.posts:
            if key not in referred:
                ready[key[0]] += 1
    laws = _laws(request)
    return render(request, "referrals.html", status=status, referrals=store.list_referrals()[::-1], ready=ready,
                  platforms=sorted(laws.platforms), jurisdictions=sorted(laws.laws),
                  jurisdiction=runtime_of(request).settings.jurisdiction, error=error)


@router.get("/referrals", dependencies=[UNIT])
def referrals_page(request: Request) -> Response:
    return _list(request)


@router.post("/referrals", dependencies=[UNIT])
async def build(request: Request) -> Response:
    form = await request.form()
    rt = runtime_of(request)
    s = rt.settings
    try:
        r = referring.create_referral(rt.store(), str(form.get("platform", "")), sender_name=s.sender_name,
                                      sender_email=s.sender_email,
                                      jurisdiction=str(form.get("jurisdiction") or s.jurisdiction),
                                      laws=_laws(request), four_eyes=s.four_eyes, actor=request.state.user.name,
                                      track=rt.track)
    except NotFound:
        raise
    except CrossingWatchError as e:
        return _list(request, status=409, error=str(e))
    return RedirectResponse(f"/referrals/{r.id}", status_code=303)


@router.get("/referrals/{referral_id}", dependencies=[UNIT])
def referral_page(request: Request, referral_id: int, error: str = "") -> Response:
    store = runtime_of(request).store()
    referral = store.get_referral(referral_id)
    data = referring.notice(store, referral, _laws(request))
    ids = {i.id for i in referral.items}
    events = [e for e in store.list_item_events() if e.item_id in ids]
    return render(request, "referral.html", referral=referral, notice=referring.render_notice(data, "email"),
                  events=events, error=error)


@router.post("/referrals/{referral_id}/send", dependencies=[UNIT])
def send(request: Request, referral_id: int) -> Response:
    rt = runtime_of(request)
    try:
        referring.send_referral(rt.store(), referral_id, actor=request.state.user.name, track=rt.track)
    except NotFound:
        raise
    except CrossingWatchError as e:
        return referral_page(request, referral_id, error=str(e))
    return RedirectResponse(f"/referrals/{referral_id}", status_code=303)
