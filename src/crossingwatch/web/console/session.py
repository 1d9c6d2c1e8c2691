"""What every console page shares: the session cookie, role checks, CSRF, and rendering a template.

`console_allow(*roles)` is the console's twin of the API's `allow()`: it reads the session cookie instead of a Bearer
token, sends a browser without a session to the login page, and on a POST also checks the CSRF token (form field
`csrf` or header `X-CSRF-Token`, which htmx sends). `public()` marks the few routes anyone may open (the login page).
Both carry `.roles`, so the test that walks every route sees an explicit declaration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from crossingwatch.services import accounts
from crossingwatch.store.protocols import User
from crossingwatch.web.deps import ROLES, AuthError, runtime_of

COOKIE = "cw_session"
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape on for .html

# (path, label, roles that see it): the navigation shows a user only what they may open.
NAV = (("/queue", "Queue", ("analyst", "reviewer")), ("/referrals", "Referrals", ("analyst",)),
       ("/networks", "Networks", ("analyst",)), ("/dashboard", "Dashboard", ("analyst", "researcher")),
       ("/banks", "Banks", ("analyst", "reviewer")))


class ConsoleAuthError(AuthError):
    """Like `AuthError`, answered with a page (or a redirect to the login) instead of problem+json."""

    def __init__(self, status: int, detail: str, next_url: str = "/") -> None:
        super().__init__(status, detail)
        self.next_url = next_url


def may(user: User, roles: tuple[str, ...]) -> bool:
    return user.role == "admin" or user.role in roles


def console_allow(*roles: str) -> Any:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def check(request: Request) -> User:
        session = request.cookies.get(COOKIE, "")
        user = accounts.session_user(runtime_of(request).store(), session)
        if user is None:
            raise ConsoleAuthError(401, "please log in", next_url=request.url.path + (
                f"?{request.url.query}" if request.url.query else ""))
        if not may(user, roles):
            raise ConsoleAuthError(403, f"your role ({user.role}) may not open this page")
        if request.method not in ("GET", "HEAD"):
            given = request.headers.get("x-csrf-token")
            if given is None:
                form = await request.form()
                value = form.get("csrf")
                given = value if isinstance(value, str) else None
            if not accounts.csrf_ok(session, given):
                raise ConsoleAuthError(403, "the form expired or did not come from this console (CSRF check); "
                                            "reload the page and try again")
        request.state.user = user
        request.state.csrf = accounts.csrf_token(session)
        return user

    check.roles = ("admin",) + tuple(roles)  # type: ignore[attr-defined]
    return Depends(check)


def public() -> Any:
    async def anyone(request: Request) -> None:
        return None

    anyone.roles = ("anyone",)  # type: ignore[attr-defined]
    return Depends(anyone)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    user: User | None = getattr(request.state, "user", None)
    nav = [(path, label) for path, label, roles in NAV if user is not None and may(user, roles)]
    return templates.TemplateResponse(request, name, {
        "user": user, "nav": nav, "csrf": getattr(request.state, "csrf", ""),
        "path": request.url.path, **context}, status_code=status)


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")
