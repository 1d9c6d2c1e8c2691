"""Users and API tokens. A token is shown once when made and kept only as its SHA-256 (tokens are 256 random bits,
so a fast hash is enough; passwords, when the console adds them, get a slow one)."""

from __future__ import annotations

import hashlib
import secrets
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from crossingwatch.core.errors import Conflict, InputError, NotFound
from crossingwatch.core.events import utcnow
from crossingwatch.store import tables as t
from crossingwatch.store.protocols import ApiToken, User

ROLES = ("admin", "analyst", "reviewer", "platform", "researcher")
TOKEN_PREFIX = "cw_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(r: Any) -> User:
    return User(r.id, r.name, r.role, r.platform, bool(r.disabled), r.created_at)


class AuthSql:
    def _tx(self) -> AbstractContextManager[Connection]:  # provided by SqlStore
        raise NotImplementedError

    def add_user(self, name: str, role: str, platform: str | None = None) -> User:
        if role not in ROLES:
            raise InputError(f"role {role!r}: use one of {', '.join(ROLES)}", field="role")
        if role == "platform" and not platform:
            raise InputError("a platform user needs --platform (the platform whose referrals it may see)",
                             field="platform")
        if not name.strip():
            raise InputError("a user needs a name", field="name")
        with self._tx() as conn:
            if conn.execute(select(t.users.c.id).where(t.users.c.name == name)).first() is not None:
                raise Conflict(f"user {name!r} exists already")
            conn.execute(t.users.insert().values(name=name, role=role,
                                                 platform=platform if role == "platform" else None,
                                                 created_at=utcnow(), disabled=0))
        return self.get_user(name)

    def get_user(self, name: str) -> User:
        with self._tx() as conn:
            r = conn.execute(select(t.users).where(t.users.c.name == name)).first()
        if r is None:
            raise NotFound(f"no user named {name!r}")
        return _user(r)

    def list_users(self) -> list[User]:
        with self._tx() as conn:
            return [_user(r) for r in conn.execute(select(t.users).order_by(t.users.c.name))]

    def create_token(self, user: str, days: int = 90) -> tuple[str, ApiToken]:
        """A new token for `user`: returns the token itself (shown once, never stored) and its record."""
        u = self.get_user(user)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = (datetime.now(UTC) + timedelta(days=days)).isoformat().replace("+00:00", "Z")
        with self._tx() as conn:
            token_id = conn.execute(t.api_tokens.insert().values(
                user_id=u.id, token_hash=token_hash(token), prefix=token[:10], created_at=utcnow(),
                expires_at=expires)).inserted_primary_key[0]
        return token, ApiToken(token_id, u.name, token[:10], expires, None)

    def revoke_token(self, token_id: int) -> None:
        with self._tx() as conn:
            done = conn.execute(t.api_tokens.update().where(t.api_tokens.c.id == token_id).values(revoked_at=utcnow()))
            if done.rowcount != 1:
                raise NotFound(f"no token {token_id}")

    def list_tokens(self) -> list[ApiToken]:
        q = select(t.api_tokens, t.users.c.name).join(t.users, t.users.c.id == t.api_tokens.c.user_id)
        with self._tx() as conn:
            return [ApiToken(r.id, r.name, r.prefix, r.expires_at, r.revoked_at)
                    for r in conn.execute(q.order_by(t.api_tokens.c.id))]

    def user_for_token(self, token: str) -> User | None:
        """The user a valid token belongs to (not revoked, not expired, user not disabled), else None."""
        q = select(t.api_tokens, t.users).join(t.users, t.users.c.id == t.api_tokens.c.user_id).where(
            t.api_tokens.c.token_hash == token_hash(token))
        with self._tx() as conn:
            r = conn.execute(q).first()
        if r is None or r.revoked_at is not None or r.disabled or r.expires_at <= utcnow():
            return None
        return User(r.user_id, r.name, r.role, r.platform, bool(r.disabled), r.created_at)

    # Console logins: a password (hashed slowly by the caller, argon2) and browser sessions (hashed like tokens).

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """Store a new password hash and end the user's open sessions (a changed password logs everyone out)."""
        u = self.get_user(name)
        with self._tx() as conn:
            conn.execute(t.users.update().where(t.users.c.id == u.id).values(password_hash=password_hash))
            conn.execute(t.console_sessions.update().where(t.console_sessions.c.user_id == u.id,
                                                           t.console_sessions.c.ended_at.is_(None))
                         .values(ended_at=utcnow()))

    def find_password_hash(self, name: str) -> tuple[User, str | None] | None:
        with self._tx() as conn:
            r = conn.execute(select(t.users).where(t.users.c.name == name)).first()
        return None if r is None else (_user(r), r.password_hash)

    def add_session(self, user_id: int, session_hash: str, expires_at: str) -> None:
        with self._tx() as conn:
            conn.execute(t.console_sessions.insert().values(user_id=user_id, session_hash=session_hash,
                                                            created_at=utcnow(), expires_at=expires_at))

    def session_user(self, session_hash: str) -> User | None:
        """The user of a live session (not ended, not expired, user not disabled), else None."""
        q = select(t.console_sessions, t.users).join(t.users, t.users.c.id == t.console_sessions.c.user_id).where(
            t.console_sessions.c.session_hash == session_hash)
        with self._tx() as conn:
            r = conn.execute(q).first()
        if r is None or r.ended_at is not None or r.disabled or r.expires_at <= utcnow():
            return None
        return User(r.user_id, r.name, r.role, r.platform, bool(r.disabled), r.created_at)

    def end_session(self, session_hash: str) -> None:
        with self._tx() as conn:
            conn.execute(t.console_sessions.update().where(t.console_sessions.c.session_hash == session_hash,
                                                           t.console_sessions.c.ended_at.is_(None))
                         .values(ended_at=utcnow()))
