"""The authorisation matrix: every route of the app × every role, over real HTTP.

Each route declares its roles (`allow()` for the API, `console_allow()` for the console). For every role the test
calls every route once: a role the route does not declare must get 403 (401 with no credentials at all); a declared
role must get past authorisation (any answer but 401/403). API routes get a Bearer token; console routes a session
cookie and, on POST, the session's CSRF token, so a 403 there can only be the role check.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi.routing import APIRoute

from crossingwatch.runtime import Runtime, build_runtime
from crossingwatch.services import accounts
from crossingwatch.settings import load_settings
from crossingwatch.web import create_app
from crossingwatch.web.deps import ROLES, declared_roles

SAMPLE_PATH_VALUES = {"name": "ads", "format": "csv"}


def walk(routes: list, prefix: str = "") -> list[tuple[str, APIRoute]]:  # type: ignore[type-arg]
    """Every route of the app with its full path (FastAPI ≥ 0.16x includes routers lazily, keeping the prefix)."""
    out: list[tuple[str, APIRoute]] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append((prefix + r.path, r))
        elif hasattr(r, "original_router"):
            out += walk(r.original_router.routes, prefix + r.include_context.prefix)
    return out


def test_every_route_declares_who_may_call_it(model_dir: Path, tmp_path: Path) -> None:
    runtime = build_runtime(load_settings(environ={}).replace(model_dir=str(model_dir), db=str(tmp_path / "x.db")))
    routes = walk(create_app(runtime).routes)
    assert len(routes) >= 30
    for path, route in routes:
        roles = [declared_roles(d.call) for d in route.dependant.dependencies if declared_roles(d.call)]
        assert roles, f"{sorted(route.methods)} {path} declares no authorisation"


def _routes(runtime: Runtime) -> list[tuple[str, str, tuple[str, ...]]]:
    found = []
    for full_path, route in walk(create_app(runtime).routes):
        roles = next(declared_roles(d.call) for d in route.dependant.dependencies if declared_roles(d.call))
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "1"), full_path)
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path, roles))
    return sorted(found, key=lambda r: r[1] == "/logout")  # logging out ends the sessions the rest use


def test_every_role_on_every_route(model_dir: Path, tmp_path: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    runtime = build_runtime(load_settings(environ={}).replace(
        model_dir=str(model_dir), db=str(tmp_path / "cw.db"), sender_name="Unit", sender_email="unit@example.org"))
    store = runtime.store()
    tokens, sessions = {}, {}
    for role in ROLES:
        store.add_user(f"u-{role}", role, "facebook" if role == "platform" else None)
        tokens[role], _ = store.create_token(f"u-{role}")
        accounts.set_password(store, f"u-{role}", "a long enough password", actor="test")
        sessions[role], _ = accounts.login(store, f"u-{role}", "a long enough password")
    routes = _routes(runtime)
    assert len(routes) >= 30
    wrong: list[str] = []
    with live_server(runtime) as base, httpx.Client(base_url=base, timeout=60) as c:
        for method, path, allowed in routes:
            if "anyone" in allowed:
                continue
            api = path.startswith("/v1/")
            c.cookies.clear()
            anonymous = c.request(method, path)
            if anonymous.status_code not in ((401,) if api else (303, 401)):
                wrong.append(f"{method} {path} anonymous -> {anonymous.status_code}")
            for role in ROLES:
                c.cookies.clear()
                if api:
                    headers = {"Authorization": f"Bearer {tokens[role]}"}
                else:
                    headers = {"X-CSRF-Token": accounts.csrf_token(sessions[role])}
                    c.cookies.set("cw_session", sessions[role])
                r = c.request(method, path, headers=headers)
                refused = r.status_code in (401, 403)
                if refused == (role in allowed):
                    wrong.append(f"{method} {path} as {role} -> {r.status_code} (allowed: {', '.join(allowed)})")
    assert not wrong, "\n".join(wrong)
