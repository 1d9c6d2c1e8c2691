"""Login, logout and the front door. The only console routes open without a session are the login page and form."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from crossingwatch.services import accounts
from crossingwatch.web.console.session import COOKIE, NAV, console_allow, may, public, render
from crossingwatch.web.deps import runtime_of

router = APIRouter(include_in_schema=False)
ANY_ROLE = console_allow("analyst", "reviewer", "platform", "researcher")


def _safe_next(value: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our login page."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/"
    return value


@router.get("/login", dependencies=[public()])
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", dependencies=[public()])
def login(request: Request, name: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/") -> Response:
    # Login CSRF: a form posted from another site carries that site's Origin; refuse it.
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        return render(request, "login.html", status=403, next="/", error="this login form came from another site")
    rt = runtime_of(request)
    try:
        session, _ = accounts.login(rt.store(), name.strip(), password, track=rt.track)
    except accounts.LoginRefused as e:
        return render(request, "login.html", status=429 if e.locked else 401, next=_safe_next(next), error=str(e))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, session, max_age=accounts.SESSION_HOURS * 3600, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout", dependencies=[ANY_ROLE])
def logout(request: Request) -> Response:
    rt = runtime_of(request)
    accounts.logout(rt.store(), request.cookies.get(COOKIE, ""), actor=request.state.user.name, track=rt.track)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/", dependencies=[ANY_ROLE])
def home(request: Request) -> Response:
    user = request.state.user
    first = next((path for path, _, roles in NAV if may(user, roles)), None)
    if first is None:
        return render(request, "message.html", title="Nothing here for your role",
                      message="Platform accounts use the API (/v1/platform/referrals) with a token.")
    return RedirectResponse(first, status_code=303)
