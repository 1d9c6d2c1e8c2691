"""The review queue, a case as the reviewer needs it, and deciding it (one click, or one key)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from crossingwatch.core.assessment import TACTICS
from crossingwatch.core.errors import CrossingWatchError, NotFound
from crossingwatch.core.workflow import CASE_STATES, OPEN_STATES
from crossingwatch.services import banking, reviewing
from crossingwatch.web.console.highlight import pieces
from crossingwatch.web.console.session import console_allow, render
from crossingwatch.web.deps import runtime_of

router = APIRouter(include_in_schema=False)
READ = console_allow("analyst", "reviewer")
DECIDE = console_allow("analyst", "reviewer")
PAGE = 50


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@router.get("/queue", dependencies=[READ])
def queue(request: Request, state: str = "", lang: str = "", platform: str = "", tactic: str = "",
          route: str = "", min_score: str = "", offset: int = 0) -> Response:
    store = runtime_of(request).store()
    states = [state] if state in CASE_STATES else sorted(OPEN_STATES)
    offset = max(offset, 0)
    found = store.list_cases(states, lang=lang or None, platform=platform or None, tactic=tactic or None,
                             route=route or None, min_score=_float(min_score), limit=PAGE + 1, offset=offset)
    rows = []
    for c in found[:PAGE]:
        post = store.find_post(*c.posts[0]) if c.posts else None
        rows.append({"case": c, "snippet": (post.text if post else "")[:160], "platform": c.posts[0][0]
                     if c.posts else ""})
    filters = {"state": state, "lang": lang, "platform": platform, "tactic": tactic, "route": route,
               "min_score": min_score}
    return render(request, "queue.html", rows=rows, filters=filters, facets=store.case_facets(), tactics=TACTICS,
                  states=CASE_STATES, offset=offset, more=len(found) > PAGE, page=PAGE)


def _case_view(request: Request, case_id: int) -> dict[str, Any]:
    store = runtime_of(request).store()
    case = store.get_case(case_id)
    predictions = store.find_predictions(list(case.posts))
    posts, media_n = [], 0
    for key in case.posts:
        post = store.find_post(*key)
        p = predictions.get(key) or {}
        ocr = {m["source"]: m["text"] for m in p.get("media_text", [])}
        media = []
        for i, m in enumerate(post.media if post else ()):
            source = f"image:{i}"
            media.append({"n": media_n, "type": m.type, "name": Path(m.path).name if m.path else "",
                          "ocr": ocr.get(source, ""), "pieces": pieces(ocr.get(source, ""), p.get("evidence", []),
                                                                         source)})
            media_n += 1
        posts.append({"key": key, "post": post, "prediction": p,
                      "pieces": pieces(post.text if post else "", p.get("evidence", [])), "media": media})
    items = [i for k in case.posts for i in store.list_items(post=k)]
    subjects = [f"case:{case_id}"] + [f"referral_item:{i.id}" for i in items]
    networks = sorted(set(store.find_networks_of_posts(list(case.posts)).values()))
    return {"case": case, "posts": posts, "decisions": store.list_decisions(case_id), "items": items,
            "networks": networks,
            "events": store.list_events(subjects=subjects), "tactics": TACTICS,
            "next_case": next((c.id for c in store.list_cases(sorted(OPEN_STATES), limit=2)
                               if c.id != case_id), None)}


@router.get("/cases/{case_id}", dependencies=[READ])
def case_page(request: Request, case_id: int, done: str = "", error: str = "") -> Response:
    return render(request, "case.html", **_case_view(request, case_id), done=done, error=error)


@router.post("/cases/{case_id}/decide", dependencies=[DECIDE])
async def decide(request: Request, case_id: int) -> Response:
    form = await request.form()
    rt = runtime_of(request)
    version = str(form.get("version", ""))
    try:
        reviewing.decide(rt.store(), case_id, str(form.get("decision", "")), reviewer=request.state.user.name,
                         reason=str(form.get("reason", "")).strip(),
                         tactics=tuple(str(t) for t in form.getlist("tactics")),
                         expected_version=int(version) if version.isdigit() else None, track=rt.track)
    except NotFound:
        raise
    except CrossingWatchError as e:
        return render(request, "case.html", status=409, **_case_view(request, case_id), done="", error=str(e))
    return RedirectResponse(f"/cases/{case_id}?done={form.get('decision', '')}", status_code=303)


@router.post("/cases/{case_id}/bank", dependencies=[console_allow("analyst")])
def add_to_bank(request: Request, case_id: int) -> Response:
    rt = runtime_of(request)
    case = rt.store().get_case(case_id)
    if case.state != "confirmed":
        return render(request, "case.html", status=409, **_case_view(request, case_id), done="",
                      error=f"case {case_id} is {case.state}: only confirmed cases feed the banks")
    added = banking.bank_confirmed_case(rt.store(), case_id, rt.signal_types(), actor=request.state.user.name,
                                        track=rt.track)
    return RedirectResponse(f"/cases/{case_id}?done=banked:{len(added)}", status_code=303)


@router.get("/cases/{case_id}/media/{n}", dependencies=[READ])
def media(request: Request, case_id: int, n: int) -> Response:
    """An image of the case's posts, by its position; only files the posts name, never a path from the request."""
    store = runtime_of(request).store()
    files = [m.path for key in store.get_case(case_id).posts if (p := store.find_post(*key)) for m in p.media]
    if not 0 <= n < len(files) or not files[n] or not Path(files[n]).is_file():
        raise NotFound(f"case {case_id} has no media file {n} on this server")
    kind = mimetypes.guess_type(files[n])[0] or ""
    if not kind.startswith("image/") or kind == "image/svg+xml":  # only pictures: a post's input could name any
        raise NotFound(f"case {case_id}: media file {n} is not a picture the console shows")  # file on this server
    return FileResponse(files[n], media_type=kind, headers={"Content-Security-Policy": "sandbox",
                                                             "X-Content-Type-Options": "nosniff"})
