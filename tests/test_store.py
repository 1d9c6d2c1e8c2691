"""One contract suite for every store backend: SQLite always, PostgreSQL when CROSSINGWATCH_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from crossingwatch.core import Assessment, Author, Event, Indicators, Post, Reject
from crossingwatch.store import open_store
from crossingwatch.store.sql import SqlStore, database_url

PG = os.environ.get("CROSSINGWATCH_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG, reason="no PG"))])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqlStore:
    if request.param == "sqlite":
        s = open_store(str(tmp_path / "store.db"))
        yield s
        s.close()
        return
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = open_store(PG, migrate=False)
    with admin.engine.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    url = PG + ("&" if "?" in PG else "?") + f"options=-csearch_path%3D{schema}"
    s = open_store(url)
    yield s
    s.close()
    with admin.engine.begin() as conn:
        conn.execute(text(f"drop schema {schema} cascade"))
    admin.close()


def pair(pid: str, label: str = "advert", text_: str = "boat tonight", platform: str = "facebook"):  # type: ignore[no-untyped-def]
    post = Post(id=pid, text=text_, platform=platform, author=Author(handle="@a"), extra={"k": [1, 2]})
    scores = {"advert": 0.8, "seeking": 0.1, "benign": 0.1} if label != "benign" else \
        {"advert": 0.1, "seeking": 0.0, "benign": 0.9}
    return post, Assessment(pid, label, scores, ("price",) if label != "benign" else (), "en", detector="t")


def test_upsert_by_platform_and_id(store: SqlStore) -> None:
    run = store.start_run("fp", "det", ["in.jsonl"])
    store.commit_batch(run.id, [pair("1"), pair("2", "benign")], [("in", 1), ("in", 2)], [], 2, {})
    store.commit_batch(run.id, [pair("1", "benign", "changed"), pair("1", platform="x")], [("in", 1), ("in", 3)],
                       [], 3, {})
    assert store.count_posts() == 3  # ("facebook","1"), ("facebook","2"), ("x","1")
    preds = store.find_predictions([("facebook", "1"), ("x", "1"), ("nope", "0")])
    assert preds[("facebook", "1")]["label"] == "benign"
    assert preds[("x", "1")]["label"] == "advert" and ("nope", "0") not in preds


def test_same_post_twice_in_a_batch(store: SqlStore) -> None:
    run = store.start_run("fp", "det", [])
    store.commit_batch(run.id, [pair("1"), pair("1", "benign")], [("in", 1), ("in", 2)], [], 2, {})
    assert store.count_posts() == 1
    assert store.find_predictions([("facebook", "1")])[("facebook", "1")]["label"] == "benign"


def test_list_flagged_ranked(store: SqlStore) -> None:
    run = store.start_run("fp", "det", [])
    store.commit_batch(run.id, [pair("1"), pair("2", "benign")], [("in", 1), ("in", 2)], [], 2, {})
    flagged = store.list_flagged()
    assert [f.post_id for f in flagged] == ["1"] and flagged[0].text == "boat tonight"


def test_runs_resume_and_finish(store: SqlStore) -> None:
    run = store.start_run("fp", "det", ["a"])
    store.checkpoint(run.id, 500, {"read": 500})
    found = store.find_resumable("fp", "det")
    assert found is not None and found.position == 500 and found.id == run.id
    assert store.find_resumable("fp", "other-detector") is None
    store.finish_run(run.id, {"read": 900})
    assert store.find_resumable("fp", "det") is None


def test_rejects_are_kept_whole(store: SqlStore) -> None:
    raw = "x" * 100_000
    store.add_rejects([Reject("in.jsonl", 7, "id", "missing", raw, None)], None)
    [r] = store.list_rejects()
    assert (r.line, r.field, r.raw) == (7, "id", raw)


def test_audit_log_is_hash_chained(store: SqlStore) -> None:
    for i in range(3):
        store.append(Event("scan.completed", "cli", f"scan_run:{i}", {"n": i}))
    assert store.verify()
    assert [e.subject for e in store.list_events()] == ["scan_run:0", "scan_run:1", "scan_run:2"]
    with store.engine.begin() as conn:
        conn.execute(text("update audit_events set details = '{\"n\": 99}' where subject = 'scan_run:1'"))
    assert not store.verify()


def test_database_url() -> None:
    assert database_url("out/x.db") == "sqlite:///out/x.db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///y.db") == "sqlite:///y.db"


def test_unreachable_database_is_a_clear_error() -> None:
    from crossingwatch.core.errors import StoreError

    with pytest.raises(StoreError, match="cannot open database"):
        open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_migrations_build_exactly_the_tables_the_code_uses(store: SqlStore) -> None:
    import sqlalchemy as sa

    from crossingwatch.store import tables as t

    inspector = sa.inspect(store.engine)
    for name, table in t.metadata.tables.items():
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert columns == {c.name for c in table.columns}, f"migrations and tables.py disagree on {name}"


def test_banks_and_entries_on_every_backend(store: SqlStore) -> None:
    from crossingwatch.core.errors import Conflict
    from crossingwatch.store import NewEntry

    store.create_bank("ads")
    with pytest.raises(Conflict):
        store.create_bank("ads")
    [e] = store.add_entries("ads", [NewEntry("phone", "+447700900123", tags=("channel",))], "ana")
    assert store.add_entries("ads", [NewEntry("phone", "+447700900123")], "ana")[0].id == e.id
    removed = store.remove_entry("ads", e.id, "ana", "mistake")
    assert removed.removed_at and store.list_entries("ads") == [] and store.unmatchable_entry_ids("phone") == [e.id]
    store.add_ocr_text("a" * 64, "eng", "hello")
    store.add_ocr_text("a" * 64, "eng", "hello")  # twice: kept once
    assert store.find_ocr_text("a" * 64, "eng") == "hello" and store.find_ocr_text("a" * 64, "ara") is None


def test_cases_referrals_and_statuses_on_every_backend(store: SqlStore) -> None:
    from crossingwatch.core.workflow import EditConflict, InvalidTransition

    store.commit_batch(store.start_run("f", "d", ["x"]).id, [pair("1"), pair("2")], [("x", 1), ("x", 2)], [], 2, {})
    case, created = store.upsert_case("fp", [("facebook", "1")], label="advert", score=0.9, priority=1.2,
                                      tactics=["price"], lang="en", route=None, bank_match=False)
    again, created_again = store.upsert_case("fp", [("facebook", "2"), ("facebook", "1")], label="advert", score=0.95,
                                             priority=1.0, tactics=["contact"], lang="en", route=None,
                                             bank_match=True)
    assert created and not created_again and again.id == case.id
    assert again.posts == (("facebook", "1"), ("facebook", "2")) and again.score == 0.95 and again.priority == 1.2
    assert set(again.tactics) == {"price", "contact"} and again.bank_match
    _, decided = store.add_decision(case.id, "confirm_advert", "confirmed", "ana", "", ["price"], again.version)
    with pytest.raises(EditConflict):
        store.add_decision(case.id, "not_smuggling", "dismissed", "ben", "", [], again.version)
    assert store.list_cases(["confirmed"]) == [store.get_case(case.id)] and decided.state == "confirmed"
    referral = store.add_referral("facebook", "uk", "Unit", "u@example.org", "ana",
                                  [(case.id, "facebook", "1", "https://f/1", case.opened_at)])
    [item] = referral.items
    item, changed = store.update_item_status(item.id, "sent", actor="ana", note="", details={}, at="2026-11-01T00:00Z")
    assert changed and item.status == "sent"
    _, changed = store.update_item_status(item.id, "sent", actor="ana", note="", details={}, at="2026-11-01T00:00Z")
    assert not changed  # the same change again is recorded once
    with pytest.raises(InvalidTransition):
        store.update_item_status(item.id, "draft", actor="ana", note="", details={}, at="2026-11-02T00:00Z")
    assert [e.to_status for e in store.list_item_events(item.id)] == ["sent"]


def test_sessions_redirect_counts_and_networks_on_every_backend(store: SqlStore) -> None:
    from crossingwatch.services import accounts, networking, reviewing
    from crossingwatch.services.redirect_metrics import redirect_stats, today

    # Console sessions: live, ended, and a changed password ends them all.
    store.add_user("ana", "analyst")
    accounts.set_password(store, "ana", "a long enough password", actor="t")
    session, _ = accounts.login(store, "ana", "a long enough password")
    assert accounts.session_user(store, session).name == "ana"  # type: ignore[union-attr]
    accounts.set_password(store, "ana", "another long password", actor="t")
    assert accounts.session_user(store, session) is None

    # Redirect counts add up per key; no query text anywhere.
    key = (today(), "query", "en", "channel", "en-channel", 1)
    store.add_redirect_counts({key: 2})
    store.add_redirect_counts({key: 3, (today(), "query", "fa", "", "", 0): 1})
    store.add_redirect_event("facebook", "en-channel", "click")
    stats = redirect_stats(store, days=1)
    assert (stats["queries"], stats["impressions"], stats["clicks"]) == (6, 5, 1)

    # Two adverts on two platforms sharing a phone make one network; a benign post joins nothing.
    phone = "+44 7700 900123"
    run = store.start_run("fp", "det", ["in"])
    posts = [pair("1", text_=f"boat to uk tonight whatsapp {phone}"),
             pair("2", text_=f"places left friday call {phone}", platform="tiktok"),
             pair("3", "benign", f"news: police warn about smugglers {phone}")]
    posts = [(p, replace(a, indicators=Indicators(phones=("+447700900123",)))) for p, a in posts]
    store.commit_batch(run.id, posts, [("in", i) for i in range(3)], [], 3, {})
    reviewing.open_cases(store)
    networking.build_campaigns(store)
    built = networking.build_networks(store)
    assert built["networks"] == 1
    [net] = store.list_networks(2, 10, 0)
    assert net.posts == 2 and net.platforms == 2
    assert set(store.network_post_keys(net.id)) == {("facebook", "1"), ("tiktok", "2")}
    found = store.find_networks_of_posts([("facebook", "1"), ("facebook", "3"), ("x", "9")])
    assert found == {("facebook", "1"): net.id}
