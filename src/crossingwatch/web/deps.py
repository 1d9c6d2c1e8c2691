"""Authentication (Bearer API tokens) and authorisation by role, declared on every route.

`allow(*roles)` is the only way an API route says who may call it (the console's is `console_allow`);
`tests/test_authz_matrix.py` walks every route of the app, fails if one has no such declaration, and calls each
as every role.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request

from crossingwatch.runtime import Runtime
from crossingwatch.store.auth_sql import token_hash
from crossingwatch.store.protocols import User

ROLES = ("admin", "analyst", "reviewer", "platform", "researcher")


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


TOKEN_CACHE_SECONDS = 5.0  # a revoked token stops working within this long (a database read per request otherwise)
_verified: dict[str, tuple[float, User]] = {}


def current_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError(401, "missing API token: send 'Authorization: Bearer <token>' (crossingwatch tokens create)")
    key = token_hash(token)  # the cache, like the database, never holds the token itself
    now = time.monotonic()
    cached = _verified.get(key)
    if cached is not None and now - cached[0] < TOKEN_CACHE_SECONDS:
        return cached[1]
    user = runtime_of(request).store().user_for_token(token)
    if user is None:
        _verified.pop(key, None)
        raise AuthError(401, "the API token is not valid (unknown, revoked or expired)")
    if len(_verified) > 10_000:
        _verified.clear()
    _verified[key] = (now, user)
    return user


def allow(*roles: str) -> Any:
    """A dependency that lets through only users with one of `roles` (admins always)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def check(request: Request) -> User:  # async: no thread hop (the token check is cached and quick)
        user = current_user(request)
        if user.role != "admin" and user.role not in roles:
            raise AuthError(403, f"role {user.role!r} may not do this; allowed: {', '.join(('admin',) + roles)}")
        request.state.user = user
        return user

    check.roles = ("admin",) + tuple(roles)  # type: ignore[attr-defined]
    return Depends(check)


def declared_roles(call: Callable[..., Any]) -> tuple[str, ...] | None:
    return getattr(call, "roles", None)
