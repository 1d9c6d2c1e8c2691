"""The analyst console: server-rendered pages (Jinja2), htmx for partial updates, vendored static files, no build.

`install(app)` adds its routes, its static files, its error pages and its security headers to the API's app.
Every page works with JavaScript off for reading; htmx and the keyboard shortcuts only speed things up.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from crossingwatch.core.errors import CrossingWatchError, StoreError
from crossingwatch.web import problems
from crossingwatch.web.console import auth, banks, cases, dashboard, networks, referrals
from crossingwatch.web.console.session import HERE, ConsoleAuthError, login_url, render
from crossingwatch.web.middleware import SecurityHeaders

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")


def install(app: FastAPI) -> None:
    for module in (auth, cases, referrals, networks, dashboard, banks):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(ConsoleAuthError)
    async def _console_auth(request: Request, exc: ConsoleAuthError) -> Response:
        if exc.status == 401:
            if request.headers.get("hx-request"):  # htmx: reload the whole page at the login form
                return Response(status_code=401, headers={"HX-Redirect": login_url(exc.next_url)})
            return RedirectResponse(login_url(exc.next_url), status_code=303)
        return render(request, "message.html", status=exc.status, title="Not allowed", message=exc.detail)

    @app.exception_handler(CrossingWatchError)  # replaces the API's handler: pages get pages, /v1 problem+json
    async def _errors(request: Request, exc: CrossingWatchError) -> Response:
        if not is_console(request):
            return problems.for_error(exc)
        message = "the database failed; nothing was changed" if isinstance(exc, StoreError) else str(exc)
        return render(request, "message.html", status=problems.status_of(exc), title="Could not do that",
                      message=message)

    app.add_middleware(SecurityHeaders, headers={
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin"})  # no-referrer would make a form's Origin "null"


def is_console(request: Request) -> bool:
    return not request.url.path.startswith("/v1/") and request.url.path != "/openapi.json"

