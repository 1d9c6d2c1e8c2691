"""`create_app(runtime)`: the FastAPI application. No import-time side effects: the runtime is handed in."""

from __future__ import annotations

from fastapi import FastAPI

from crossingwatch.runtime import Runtime
from crossingwatch.web import console, problems
from crossingwatch.web.api import assess, banks, cases, media, metrics, networks, platform, redirect, referrals
from crossingwatch.web.middleware import BodyLimit

MAX_BODY = 20 * 1024 * 1024  # an upload or a batch of 1,000 posts fits; more is refused before it is read


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="CrossingWatch API", version="1", docs_url=None, redoc_url=None,
                  description="Assess posts, match hashes, review cases and refer them to platforms. Every route "
                              "needs `Authorization: Bearer <token>` (`crossingwatch tokens create`).")
    app.state.runtime = runtime
    problems.install(app)

    app.add_middleware(BodyLimit, limit=MAX_BODY)

    for module in (assess, media, cases, referrals, banks, platform, metrics, networks, redirect):
        app.include_router(module.router, prefix="/v1")
    console.install(app)
    return app


def from_environment() -> FastAPI:
    """The app for a process of its own (`crossingwatch serve --workers N`): settings from the environment."""
    from crossingwatch.runtime import build_runtime
    from crossingwatch.settings import load_settings

    return create_app(build_runtime(load_settings()))
