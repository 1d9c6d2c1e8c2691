"""What the routers share: the runtime, the detector (built once per app), pagination."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import Path, Query, Request

from crossingwatch.runtime import Runtime
from crossingwatch.services import banking

MAX_ID = 2**63 - 1  # what every database we support stores in an integer column
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (at most 500).")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many to skip.")]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="A record id (a positive 64-bit integer).")]


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def detector(request: Request) -> Any:
    app = request.app
    if getattr(app.state, "detector", None) is None:
        app.state.detector = runtime(request).detector("text")
    return app.state.detector


def page(items: list[Any], limit: int, offset: int, total: int | None = None) -> dict[str, Any]:
    return {"items": items, "limit": limit, "offset": offset, "total": total}


_MATCHER_LOCK = threading.Lock()


def shared_matcher(request: Request) -> banking.Matcher:
    """One matcher per app, caught up with the banks on each request (a rebuild per request would read every PDQ
    entry of every bank). The API's /v1/match and the console's bank search share it."""
    state = request.app.state
    with _MATCHER_LOCK:
        if getattr(state, "matcher", None) is None:
            rt = runtime(request)
            state.matcher = banking.Matcher(rt.store(), rt.index_dir())
        else:
            state.matcher.refresh()
        return state.matcher  # type: ignore[no-any-return]
