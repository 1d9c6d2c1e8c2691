"""Errors as RFC 9457 problem details (`application/problem+json`), each naming the field when there is one."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crossingwatch.core.errors import Conflict, CrossingWatchError, InputError, NotFound, StoreError
from crossingwatch.core.workflow import EditConflict, WorkflowError
from crossingwatch.media.signals import SignalError
from crossingwatch.web.deps import AuthError

TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found", 409: "Conflict",
          413: "Request too large", 422: "Invalid request", 500: "Server error"}


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def for_error(exc: CrossingWatchError) -> JSONResponse:
    """The problem+json answer to one of our errors: its status follows the error tree."""
    return problem(status_of(exc), "the database failed; the request changed nothing" if isinstance(exc, StoreError)
                   else str(exc), **({"field": exc.field or None} if isinstance(exc, InputError) else {}))


def status_of(exc: CrossingWatchError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict | EditConflict | WorkflowError):
        return 409
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, StoreError):
        return 500
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        return problem(exc.status, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", "")}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:5])
        return problem(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))

    @app.exception_handler(CrossingWatchError)
    async def _ours(request: Request, exc: CrossingWatchError) -> JSONResponse:
        return for_error(exc)

    @app.exception_handler(SignalError)
    async def _signal(request: Request, exc: SignalError) -> JSONResponse:
        return problem(422, str(exc), field="value")
