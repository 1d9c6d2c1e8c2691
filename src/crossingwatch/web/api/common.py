"""What the routers share: the runtime, the detector (built once per app), pagination."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from crossingwatch.runtime import Runtime

Limit = Annotated[int, Query(ge=1, le=500, description="Page size (at most 500).")]
Offset = Annotated[int, Query(ge=0, description="How many to skip.")]


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def detector(request: Request) -> Any:
    app = request.app
    if getattr(app.state, "detector", None) is None:
        app.state.detector = runtime(request).detector("text")
    return app.state.detector


def page(items: list[Any], limit: int, offset: int, total: int | None = None) -> dict[str, Any]:
    return {"items": items, "limit": limit, "offset": offset, "total": total}
