"""The HTTP API over real HTTP on loopback (uvicorn in a thread): authentication, roles on every route, a platform
seeing only its own referrals, problem+json errors, pagination, and the flow from assessment to removal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crossingwatch.core import Post
from crossingwatch.runtime import Runtime, build_runtime
from crossingwatch.settings import load_settings
from crossingwatch.web import create_app

ADVERT = "Boat to UK Thursday from Dunkirk, 1200 euro, kids free, WhatsApp +44 7700 900123. 100% safe"


@pytest.fixture
def api(unit_runtime: Runtime, live_server) -> Iterator[tuple[str, Runtime]]:  # type: ignore[no-untyped-def]
    with live_server(unit_runtime) as base:
        yield base, unit_runtime


def token(runtime: Runtime, name: str, role: str, platform: str | None = None) -> dict[str, str]:
    store = runtime.store()
    store.add_user(name, role, platform)
    value, _ = store.create_token(name)
    return {"Authorization": f"Bearer {value}"}


def test_tokens_roles_and_platform_isolation(api: tuple[str, Runtime], monkeypatch: pytest.MonkeyPatch,
                                             seed_cases) -> None:  # type: ignore[no-untyped-def]
    base, runtime = api
    analyst = token(runtime, "ana", "analyst")
    reviewer = token(runtime, "rev", "reviewer")
    fb = token(runtime, "fb", "platform", "facebook")
    tt = token(runtime, "tt", "platform", "tiktok")
    researcher = token(runtime, "res", "researcher")
    with httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/openapi.json").status_code == 200
        r = c.post("/v1/assess", json={"id": "1", "text": ADVERT})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert c.post("/v1/assess", json={"id": "1", "text": ADVERT},
                      headers={"Authorization": "Bearer cw_wrong"}).status_code == 401
        assert c.get("/v1/cases", headers=researcher).status_code == 403
        assert c.get("/v1/metrics", headers=researcher).status_code == 200

        # Assess a batch through the API and store it as a scan would, so cases can be opened.
        posts = [{"id": "1", "platform": "facebook", "url": "https://facebook.com/p/1", "text": ADVERT},
                 {"id": "2", "platform": "tiktok", "url": "https://tiktok.com/v/2", "text": ADVERT + " tonight"}]
        r = c.post("/v1/assess", json={"posts": posts}, headers=analyst)
        assert r.status_code == 200 and [p["label"] for p in r.json()["predictions"]] == ["advert", "advert"]
        bad = c.post("/v1/assess", json={"posts": [{"text": "no id"}]}, headers=analyst)
        assert bad.status_code == 422 and "id" in bad.json()["detail"]
        too_many = c.post("/v1/assess", json={"posts": [{"id": str(i), "text": "x"} for i in range(1001)]},
                          headers=analyst)
        assert too_many.status_code == 422

        seed_cases(runtime, [Post(id=p["id"], platform=p["platform"], url=p["url"], text=p["text"]) for p in posts])
        cases = c.get("/v1/cases", params={"limit": 1}, headers=reviewer).json()
        assert len(cases["items"]) == 1 and cases["limit"] == 1
        all_cases = c.get("/v1/cases", headers=reviewer).json()["items"]
        for case in all_cases:
            d = c.post(f"/v1/cases/{case['id']}/decisions", headers=reviewer,
                       json={"decision": "confirm_advert", "tactics": ["price"], "version": case["version"]})
            assert d.status_code == 201, d.text
            stale = c.post(f"/v1/cases/{case['id']}/decisions", headers=reviewer,
                           json={"decision": "not_smuggling", "version": case["version"]})
            assert stale.status_code == 409 and "reload" in stale.json()["detail"]
        assert c.post("/v1/referrals", json={"platform": "myspace"}, headers=analyst).status_code == 422
        assert c.post("/v1/referrals", json={"platform": "facebook"}, headers=reviewer).status_code == 403
        for platform in ("facebook", "tiktok"):
            ref = c.post("/v1/referrals", json={"platform": platform}, headers=analyst)
            assert ref.status_code == 201, ref.text
            assert c.post(f"/v1/referrals/{ref.json()['id']}/send", headers=analyst).status_code == 200
        email = c.get("/v1/referrals/1/export", params={"format": "email"}, headers=analyst)
        assert "Immigration Act 1971" in email.text

        # Each platform sees only its own items, and cannot touch another's.
        mine = c.get("/v1/platform/referrals", params={"status": "sent"}, headers=fb).json()["items"]
        theirs = c.get("/v1/platform/referrals", headers=tt).json()["items"]
        assert {i["platform"] for i in mine} == {"facebook"} and {i["platform"] for i in theirs} == {"tiktok"}
        assert c.post(f"/v1/platform/referrals/{theirs[0]['id']}/status", headers=fb,
                      json={"status": "removed"}).status_code == 404
        assert c.get("/v1/referrals", headers=fb).status_code == 403
        done = c.post(f"/v1/platform/referrals/{mine[0]['id']}/status", headers=fb, json={
            "status": "removed", "at": "2026-11-28T12:00:00Z",
            "statement_of_reasons": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
                                     "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"}})
        assert done.status_code == 200 and done.json()["item"]["status"] == "removed"
        back = c.post(f"/v1/platform/referrals/{mine[0]['id']}/status", headers=fb, json={"status": "draft"})
        assert back.status_code == 409 and "cannot become" in back.json()["detail"]
        m = c.get("/v1/metrics", headers=analyst).json()
        assert m["items_taken_down"] == 1 and m["by_platform"]["facebook"]["removal_rate"] == 1.0

        # Banks over HTTP: create, add, match, export.
        assert c.post("/v1/banks", json={"name": "ads"}, headers=analyst).status_code == 201
        assert c.post("/v1/banks", json={"name": "ads"}, headers=analyst).status_code == 409
        added = c.post("/v1/banks/ads/entries", json={"signals": ["phone:+44 7700 900123"]}, headers=analyst)
        assert added.status_code == 201
        bad_signal = c.post("/v1/banks/ads/entries", json={"signals": ["pdq:xyz"]}, headers=analyst)
        assert bad_signal.status_code == 422 and "hexadecimal" in bad_signal.json()["detail"]
        hit = c.post("/v1/match", data={"signal": "phone:+447700900123"}, headers=fb).json()
        assert [x["bank"] for x in hit["matches"]] == ["ads"]
        c.post("/v1/banks/ads/entries", json={"signals": ["phone:+33 6 39 98 12 34"]}, headers=analyst)
        later = c.post("/v1/match", data={"signal": "phone:+33639981234"}, headers=fb).json()
        assert [x["bank"] for x in later["matches"]] == ["ads"]  # added after the first match: seen too
        assert c.get("/v1/banks/ads/export", headers=fb).text.startswith("signal_type,signal_str")

    # Revoked tokens stop working (once the few seconds a verified token is remembered have passed).
    from crossingwatch.web import deps

    monkeypatch.setattr(deps, "TOKEN_CACHE_SECONDS", 0.0)
    store = runtime.store()
    fb_token = next(t for t in store.list_tokens() if t.user == "fb")
    store.revoke_token(fb_token.id)
    with httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/v1/platform/referrals", headers=fb).status_code == 401




def test_tokens_are_stored_hashed(api: tuple[str, Runtime]) -> None:
    import sqlite3

    _, runtime = api
    headers = token(runtime, "ana", "analyst")
    secret = headers["Authorization"].split()[1]
    with sqlite3.connect(runtime.settings.db) as conn:
        rows = conn.execute("select token_hash, prefix from api_tokens").fetchall()
    assert rows and all(secret not in str(r) for r in rows)


def test_every_list_is_paged(model_dir: Path, tmp_path: Path) -> None:
    runtime = build_runtime(load_settings(environ={}).replace(model_dir=str(model_dir), db=str(tmp_path / "x.db")))
    spec = create_app(runtime).openapi()
    lists = [(path, op) for path, ops in spec["paths"].items() for method, op in ops.items()
             if method == "get" and op["operationId"].startswith(("list_", "my_items"))]
    assert len(lists) >= 6
    for path, op in lists:
        params = {p["name"] for p in op.get("parameters", [])}
        assert {"limit", "offset"} <= params, f"GET {path} returns a list without limit/offset"


def test_assess_refuses_lone_surrogates_naming_the_field(api: tuple[str, Runtime]) -> None:
    base, runtime = api
    analyst = token(runtime, "ana2", "analyst")
    body = '{"id": "s1", "text": "Boat to UK \\ud800 kids free, WhatsApp +447700900123"}'
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/v1/assess", content=body, headers={**analyst, "Content-Type": "application/json"})
    assert r.status_code == 422 and "text" in r.json()["detail"], r.text
