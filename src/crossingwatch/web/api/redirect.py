"""`/v1/redirect`: safety messages for searches that seek a crossing, the interstitial for flagged posts, click
events and the operators' statistics. The query is never echoed back nor stored: answers are JSON with the
message as plain-text fields, and only counts are kept (`services/redirect_metrics.py`)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from crossingwatch.core.errors import InputError
from crossingwatch.services import redirect_metrics, redirecting
from crossingwatch.web.api.common import detector, runtime
from crossingwatch.web.deps import allow

router = APIRouter(tags=["redirect"])
log = logging.getLogger(__name__)


async def _redirector(request: Request) -> redirecting.Redirector:
    state = request.app.state
    if getattr(state, "redirector", None) is None:
        # Loaded once per process (trained here if `make model` saved none), off the event loop.
        def build() -> redirecting.Redirector:
            settings = runtime(request).settings
            return redirecting.load_redirector(Path(settings.data_dir), detector(request).analyser,
                                               Path(settings.model_dir))

        state.redirector = await run_in_threadpool(build)
        state.redirect_counter = redirect_metrics.RedirectCounter()
    return state.redirector  # type: ignore[no-any-return]


def _count(request: Request, decision: redirecting.Redirect, kind: str) -> None:
    counter: redirect_metrics.RedirectCounter = request.app.state.redirect_counter
    counter.count(decision, kind)
    if counter.due():  # written by a worker thread: the event loop never waits on the database
        counts, store = counter.take(), runtime(request).store()
        asyncio.get_running_loop().run_in_executor(None, _write_counts, store, counts)


def _write_counts(store: Any, counts: dict[Any, int]) -> None:
    try:
        store.add_redirect_counts(counts)
    except Exception:  # a lost second of counts must not surface as a stray asyncio error
        log.exception("could not store %d redirect counts", sum(counts.values()))


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.get("/redirect", dependencies=[allow("platform", "analyst")], response_model=None)
async def redirect(request: Request, q: Annotated[str, Query(description="The search query (never stored).")] = "",
                   lang: Annotated[str | None, Query(description="The searcher's language, if known.")] = None
                   ) -> Response:
    """Whether a search seeks a crossing, a smuggler or false papers, and if so the message to show first."""
    r = await _redirector(request)
    decision = r.decide(q, lang)  # on the loop: well under a millisecond, no I/O
    _count(request, decision, "query")
    return _json(decision.to_dict())


@router.get("/redirect/interstitial", dependencies=[allow("platform", "analyst")], response_model=None)
async def interstitial(request: Request, post: Annotated[str, Query(min_length=1, max_length=512)],
                       platform: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The message to show before a post labelled advert or seeking (a platform token: its own platform's)."""
    user = request.state.user
    if user.role == "platform":
        if platform not in (None, user.platform):
            raise InputError(f"a {user.platform} token asks about its own posts only", field="platform")
        platform = user.platform
    if not platform:
        raise InputError("say which platform the post is on (?platform=…)", field="platform")
    r = await _redirector(request)
    store = runtime(request).store()
    stored = await run_in_threadpool(store.find_post, platform, post)
    decision = await run_in_threadpool(redirect_metrics.interstitial, store, r, platform, post,
                                       stored.text if stored else None)
    _count(request, decision, "interstitial")
    return _json({"post": post, "platform": platform, **decision.to_dict()})


class EventIn(BaseModel):
    message_id: str = Field(min_length=1, max_length=64)
    action: str = Field(description="click (the main action), escape (see results anyway) or testimony")
    platform: str | None = Field(default=None, max_length=64, description="Only for admin tokens.")


@router.post("/redirect/events", status_code=201, dependencies=[allow("platform")])
async def event(request: Request, body: EventIn) -> dict[str, str]:
    """Report a click on a message, so operators see which messages work (no user or query is sent or kept)."""
    user = request.state.user
    platform = user.platform if user.role == "platform" else body.platform
    if not platform:
        raise InputError("an admin token must say which platform the event came from", field="platform")
    r = await _redirector(request)
    return await run_in_threadpool(lambda: redirect_metrics.record_event(
        runtime(request).store(), r, platform=platform, message_id=body.message_id, action=body.action))


@router.get("/redirect/stats", dependencies=[allow("analyst", "researcher")])
def stats(request: Request, days: Annotated[int, Query(ge=1, le=3660)] = 30) -> dict[str, Any]:
    """Queries checked, messages shown, clicks and click-through rate, by message, language, route and day."""
    counter = getattr(request.app.state, "redirect_counter", None)
    if counter is not None:
        counter.flush(runtime(request).store())  # this process's latest counts; other workers' within a second
    return redirect_metrics.redirect_stats(runtime(request).store(), days)
