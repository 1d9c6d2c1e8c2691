"""Console accounts: passwords (argon2id) and browser sessions. API tokens live in the store (`create_token`).

A session is a random 256-bit value in an HttpOnly cookie; the database keeps only its SHA-256. The CSRF token is
derived from the session value (HMAC), so it is never stored and dies with the session. Failed logins are counted
per name in memory: after `MAX_FAILURES` in `FAILURE_WINDOW` seconds the name is locked for the rest of the window.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from crossingwatch.core import Event
from crossingwatch.core.errors import InputError
from crossingwatch.store.protocols import User

SESSION_HOURS = 12
MIN_PASSWORD = 12
MAX_FAILURES = 5
FAILURE_WINDOW = 300.0
_hasher = PasswordHasher()  # argon2id with the library's current recommended cost


@functools.cache
def _dummy_hash() -> str:
    """Checked against when a name is unknown, so that answer takes as long as a wrong password (made on first use,
    not at import: hashing costs tens of milliseconds and 64 MiB)."""
    return _hasher.hash("not a password: spends the same time on unknown names")


class AccountStore(Protocol):
    def set_password_hash(self, name: str, password_hash: str) -> None: ...
    def find_password_hash(self, name: str) -> tuple[User, str | None] | None: ...
    def add_session(self, user_id: int, session_hash: str, expires_at: str) -> None: ...
    def session_user(self, session_hash: str) -> User | None: ...
    def end_session(self, session_hash: str) -> None: ...


class LoginRefused(Exception):
    """Wrong name or password, or too many failures: one message for all, so names cannot be probed."""

    def __init__(self, detail: str, locked: bool = False) -> None:
        super().__init__(detail)
        self.locked = locked


def _no_track(event: Event) -> None:
    return None


def set_password(store: AccountStore, name: str, password: str, *, actor: str, track: Any = _no_track) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password for {name!r} is too short: use at least {MIN_PASSWORD} characters",
                         field="password")
    store.set_password_hash(name, _hasher.hash(password))
    track(Event("user.password_set", actor, f"user:{name}"))


def session_hash(session: str) -> str:
    return hashlib.sha256(session.encode("utf-8")).hexdigest()


def csrf_token(session: str) -> str:
    return hmac.new(session.encode("utf-8"), b"crossingwatch-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session), given or "")


class _Failures:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def locked(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            q = self._seen[name]
            while q and now - q[0] > FAILURE_WINDOW:
                q.popleft()
            return len(q) >= MAX_FAILURES

    def fail(self, name: str) -> None:
        with self._lock:
            self._seen[name].append(time.monotonic())

    def clear(self, name: str) -> None:
        with self._lock:
            self._seen.pop(name, None)


failures = _Failures()


def login(store: AccountStore, name: str, password: str, *, track: Any = _no_track) -> tuple[str, User]:
    """A new session value (for the cookie) and its user; `LoginRefused` otherwise. Every attempt is audited."""
    if failures.locked(name):
        track(Event("console.login_refused", name or "-", f"user:{name}", {"reason": "locked"}))
        raise LoginRefused("too many failed logins: wait a few minutes and try again", locked=True)
    found = store.find_password_hash(name)
    user, stored = found if found else (None, None)
    try:
        _hasher.verify(stored or _dummy_hash(), password)
        ok = stored is not None and user is not None and not user.disabled
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        failures.fail(name)
        track(Event("console.login_refused", name or "-", f"user:{name}", {"reason": "bad credentials"}))
        raise LoginRefused("wrong name or password")
    failures.clear(name)
    session = secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + timedelta(hours=SESSION_HOURS)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    store.add_session(user.id, session_hash(session), expires)
    track(Event("console.login", user.name, f"user:{user.name}"))
    return session, user


def logout(store: AccountStore, session: str, *, actor: str, track: Any = _no_track) -> None:
    store.end_session(session_hash(session))
    track(Event("console.logout", actor, f"user:{actor}"))


def session_user(store: AccountStore, session: str) -> User | None:
    return store.session_user(session_hash(session)) if session else None
