"""`create_app(runtime)`: the FastAPI application. No import-time side effects: the runtime is handed in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from crossingwatch.runtime import Runtime
from crossingwatch.web import console, problems
from crossingwatch.web.api import assess, banks, cases, media, metrics, networks, platform, redirect, referrals

MAX_BODY = 20 * 1024 * 1024  # an upload or a batch of 1,000 posts fits; more is refused before it is read


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="CrossingWatch API", version="1", docs_url=None, redoc_url=None,
                  description="Assess posts, match hashes, review cases and refer them to platforms. Every route "
                              "needs `Authorization: Bearer <token>` (`crossingwatch tokens create`).")
    app.state.runtime = runtime
    problems.install(app)

    @app.middleware("http")
    async def limit_size(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            return problems.problem(413, f"the request body is {int(length)} bytes; the limit is {MAX_BODY}")
        return await call_next(request)

    for module in (assess, media, cases, referrals, banks, platform, metrics, networks, redirect):
        app.include_router(module.router, prefix="/v1")
    console.install(app)
    return app


def from_environment() -> FastAPI:
    """The app for a process of its own (`crossingwatch serve --workers N`): settings from the environment."""
    from crossingwatch.runtime import build_runtime
    from crossingwatch.settings import load_settings

    return create_app(build_runtime(load_settings()))
