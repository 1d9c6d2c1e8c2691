"""The console over real HTTP without a browser: logins, sessions, CSRF, roles, escaping, pages readable without JS."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from crossingwatch.core import Post
from crossingwatch.runtime import Runtime
from crossingwatch.services import accounts

ARABIC = ("رحلة إلى بريطانيا من دونكيرك يوم الخميس، السعر ١٢٠٠ يورو للشخص، الأطفال مجانا، "
          "واتساب +44 7700 900123")
HOSTILE = "Boat to UK from Dunkirk tonight 1500 euro, kids free <script>alert('x')</script> WhatsApp +44 7700 900555"
PASSWORD = "correct horse battery"


@pytest.fixture
def console(unit_runtime: Runtime, seed_cases) -> Runtime:  # type: ignore[no-untyped-def]
    rt = unit_runtime
    seed_cases(rt, [Post(id="a1", platform="facebook", url="https://facebook.com/p/a1", text=ARABIC),
                    Post(id="h1", platform="tiktok", url="https://tiktok.com/v/h1", text=HOSTILE)])
    store = rt.store()
    for name, role in (("ana", "analyst"), ("res", "researcher")):
        store.add_user(name, role)
        accounts.set_password(store, name, PASSWORD, actor="test")
    store.add_user("fb", "platform", "facebook")
    accounts.set_password(store, "fb", PASSWORD, actor="test")
    accounts.failures.clear("ana")
    return rt


def login(c: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    return c.post("/login", data={"name": name, "password": password, "next": "/"})


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)  # type: ignore[union-attr]


def test_login_session_csrf_and_logout(console: Runtime, live_server) -> None:  # type: ignore[no-untyped-def]
    with live_server(console) as base, httpx.Client(base_url=base, timeout=30) as c:
        r = c.get("/queue?lang=ar")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/queue%3Flang%3Dar"
        assert login(c, "ana", "wrong password!").status_code == 401
        assert login(c, "nobody", "wrong password!").status_code == 401
        r = login(c, "ana")
        assert r.status_code == 303 and "cw_session" in r.cookies
        cookie = r.cookies["cw_session"]
        assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
        queue = c.get("/queue")
        assert queue.status_code == 200 and "Content-Security-Policy" in queue.headers
        case_id = int(re.search(r'href="/cases/(\d+)"', queue.text).group(1))  # type: ignore[union-attr]
        page = c.get(f"/cases/{case_id}").text
        token = csrf_of(page)

        # A decision without the CSRF token, or with another session's, changes nothing.
        assert c.post(f"/cases/{case_id}/decide", data={"decision": "confirm_advert"}).status_code == 403
        assert c.post(f"/cases/{case_id}/decide",
                      data={"decision": "confirm_advert", "csrf": "0" * 64}).status_code == 403
        assert console.store().list_decisions(case_id) == []
        r = c.post(f"/cases/{case_id}/decide", data={"decision": "confirm_advert", "csrf": token,
                                                      "tactics": ["price", "contact"]})
        assert r.status_code == 303
        [d] = console.store().list_decisions(case_id)
        assert (d.decision, d.reviewer, d.tactics) == ("confirm_advert", "ana", ("price", "contact"))
        # A stale form (the version it showed is gone) is refused with the reason, not applied.
        stale = c.post(f"/cases/{case_id}/decide", data={"decision": "not_smuggling", "csrf": token, "version": "1"})
        assert stale.status_code == 409 and "reload" in stale.text
        assert c.post("/logout", data={"csrf": token}).status_code == 303
    # The session value is kept only as its hash; after logout the same cookie opens nothing.
    with sqlite3.connect(console.settings.db) as conn:
        stored = conn.execute("select session_hash, ended_at from console_sessions").fetchall()
        users = conn.execute("select password_hash from users where name = 'ana'").fetchone()
    assert stored and all(cookie not in str(row) for row in stored) and all(row[1] for row in stored)
    assert users[0].startswith("$argon2id$") and PASSWORD not in users[0]
    with live_server(console) as base, httpx.Client(base_url=base, timeout=30, cookies={"cw_session": cookie}) as c:
        assert c.get("/queue").status_code == 303
    actions = [e.action for e in console.store().list_events()]
    assert {"console.login", "console.login_refused", "console.logout", "case.decided"} <= set(actions)


def test_roles_lockout_redirects_and_escaping(console: Runtime, live_server) -> None:  # type: ignore[no-untyped-def]
    with live_server(console) as base:
        with httpx.Client(base_url=base, timeout=30) as c:
            login(c, "res")
            assert c.get("/dashboard").status_code == 200
            assert c.get("/queue").status_code == 403 and c.get("/referrals").status_code == 403
            assert c.get("/cases/1").status_code == 403
        with httpx.Client(base_url=base, timeout=30) as c:
            login(c, "fb")
            home = c.get("/")
            assert home.status_code == 200 and "/v1/platform/referrals" in home.text
            assert c.get("/cases/1").status_code == 403 and c.get("/banks").status_code == 403
        with httpx.Client(base_url=base, timeout=30) as c:
            r = c.post("/login", data={"name": "ana", "password": PASSWORD, "next": "//evil.example/x"})
            assert r.headers["location"] == "/"  # no open redirect
            r = c.post("/login", data={"name": "ana", "password": PASSWORD},
                       headers={"Origin": "https://evil.example"})
            assert r.status_code == 403
            page = c.get("/queue?tactic=child_free&min_score=not-a-number").text
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page and "<script>alert(" not in page
            hostile = console.store().find_case_of_post("tiktok", "h1")
            case_page = c.get(f"/cases/{hostile}").text
            assert "<script>alert(" not in case_page and 'dir="auto"' in case_page
            assert c.get("/cases/99999").status_code == 404
            assert c.get(f"/cases/{hostile}/media/0").status_code == 404
            assert c.get("/banks/confirmed/export?format=exe").status_code in (404, 422)
        with httpx.Client(base_url=base, timeout=30) as c:
            for _ in range(accounts.MAX_FAILURES):
                assert login(c, "ana", "not the password").status_code == 401
            assert login(c, "ana").status_code == 429  # locked, even with the right password
    accounts.failures.clear("ana")


def test_case_page_marks_evidence_without_javascript(console: Runtime, live_server) -> None:  # type: ignore[no-untyped-def]
    store = console.store()
    case_id = store.find_case_of_post("facebook", "a1")
    prediction = store.find_predictions([("facebook", "a1")])[("facebook", "a1")]
    with live_server(console) as base, httpx.Client(base_url=base, timeout=30) as c:
        login(c, "ana")
        page = c.get(f"/cases/{case_id}").text
    text_block = re.search(r'<div class="text" dir="auto" lang="ar">(.*?)</div>', page, re.S).group(1)  # type: ignore[union-attr]
    marks = re.findall(r'<mark class="span [^"]*" data-tactics="([^"]+)"[^>]*>(.*?)</mark>', text_block)
    assert re.sub(r"<[^>]+>", "", text_block) == ARABIC  # the pieces put the original back exactly
    for e in prediction["evidence"]:
        covered = "".join(piece for tactics, piece in marks if e["tactic"] in tactics.split())
        assert e["text"] in covered, e


def test_case_media_serves_only_the_posts_pictures(unit_runtime: Runtime, seed_cases, live_server,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:
    from PIL import Image

    from crossingwatch.core import Media

    picture, secret = tmp_path / "boat.png", tmp_path / "secret.txt"
    Image.new("RGB", (32, 32), (20, 60, 200)).save(picture)
    secret.write_text("not for the console", "utf-8")
    advert = "Boat to UK Thursday from Dunkirk, 1200 euro, kids free, WhatsApp +44 7700 900123. 100% safe"
    seed_cases(unit_runtime, [Post(id="m1", platform="facebook", text=advert,
                                   media=(Media("image", str(picture)), Media("image", str(secret))))])
    store = unit_runtime.store()
    store.add_user("ana", "analyst")
    accounts.set_password(store, "ana", PASSWORD, actor="test")
    case_id = store.find_case_of_post("facebook", "m1")
    with live_server(unit_runtime) as base, httpx.Client(base_url=base, timeout=30) as c:
        login(c, "ana")
        shown = c.get(f"/cases/{case_id}/media/0")
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
        assert shown.headers["content-security-policy"] == "sandbox" and shown.content == picture.read_bytes()
        assert c.get(f"/cases/{case_id}/media/1").status_code == 404  # named by the post, but not a picture
        assert "not for the console" not in c.get(f"/cases/{case_id}/media/1").text
