"""Redirect (issue 7): query understanding, message choice, bad input, the catalogue's checks, the API's roles,
counts and click-through, the interstitial, privacy (no query text in the database) and the CLI's file format."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crossingwatch.core import Assessment, Post
from crossingwatch.core.errors import ConfigError, InputError
from crossingwatch.runtime import Runtime
from crossingwatch.services import redirect_metrics, redirecting
from crossingwatch.settings import REPO_DIR

DATA = REPO_DIR / "data"


@pytest.fixture(scope="module")
def redirector(detector) -> redirecting.Redirector:  # type: ignore[no-untyped-def]
    return redirecting.load_redirector(DATA, detector.analyser)


@pytest.fixture
def use_session_redirector(redirector: redirecting.Redirector, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API and CLI build their own runtime; they get the module's redirector instead of training again."""
    monkeypatch.setattr(redirecting, "load_redirector", lambda *args, **kwargs: redirector)


@pytest.mark.parametrize("query, lang", [
    ("need a boat to england from calais how much", "en"),
    ("passeur pour aller en angleterre numéro whatsapp", "fr"),
    ("رقم مهرب يوصلني الى ايطاليا", "ar"),
    ("🚤🇬🇧 price for one person", None),
    ("buy fake passport uk", None),
])
def test_seeking_queries_are_redirected(redirector: redirecting.Redirector, query: str, lang: str | None) -> None:
    assert redirector.decide(query, lang).redirect, query


@pytest.mark.parametrize("query", ["ferry dover calais", "uk family visa fee", "channel migrants news",
                                   "inflatable boat for sale", "passport renewal"])
def test_benign_queries_that_share_words_are_not(redirector: redirecting.Redirector, query: str) -> None:
    decision = redirector.decide(query)
    assert not decision.redirect and decision.message is None, query


def test_message_by_language_route_and_topic(redirector: redirecting.Redirector) -> None:
    channel = redirector.decide("boat from dunkirk to uk tonight price", "en")
    assert (channel.route, channel.topic, channel.message.id) == ("channel", "crossing", "en-channel")  # type: ignore[union-attr]
    papers = redirector.decide("buy fake passport with my photo", "en")
    assert papers.topic == "documents" and papers.message.topic == "documents"  # type: ignore[union-attr]
    persian = redirector.decide("قاچاقبر انگلیس شماره تماس")
    assert persian.redirect and persian.lang == "fa" and persian.message.lang == "fa"  # type: ignore[union-attr]
    german = redirector.message_for("de", "channel", "crossing")
    assert german.lang == "en" and german.route == "channel"  # no German file: English, still for the route
    for lang in redirector.catalogue.languages:
        assert redirector.message_for(lang, None, "crossing").lang == lang


@pytest.mark.parametrize("query", ["", "   ", "x" * 10_000, "🙂🙂🙂", "боат ту uk прайс قارب", "%00\x00\u202e"])
def test_odd_input_gets_an_answer(redirector: redirecting.Redirector, query: str) -> None:
    decision = redirector.decide(query)
    assert isinstance(decision.redirect, bool) and 0.0 <= decision.score <= 1.0
    json.dumps(decision.to_dict())


def test_a_bad_language_code_names_the_field(redirector: redirecting.Redirector) -> None:
    with pytest.raises(InputError) as info:
        redirector.decide("boat to uk", "<script>")
    assert info.value.field == "lang"


def _catalogue(tmp_path: Path, message_extra: str = "", resource_extra: str = 'last_verified = "2026-11-01"') -> Path:
    folder = tmp_path / "redirect"
    (folder / "messages").mkdir(parents=True)
    (folder / "routes.toml").write_text('[routes.channel]\ncountries = ["GB"]\n', "utf-8")
    (folder / "resources.toml").write_text(
        f'[[resources]]\nid = "r"\nkind = "helpline"\nname = "Line"\nurl = "https://example.org/"\n'
        f'source = "https://example.org/"\n{resource_extra}\n', "utf-8")
    (folder / "messages" / "en.toml").write_text(
        'lang = "en"\nescape = "See results"\n[[messages]]\nid = "en-general"\nroute = "any"\ntopic = "any"\n'
        f'title = "T"\nbody = "B"\naction = {{ label = "Help", url = "https://example.org/" }}\nresources = ["r"]\n'
        f'{message_extra}\n', "utf-8")
    return folder


def test_the_catalogue_is_checked_and_problems_named(tmp_path: Path) -> None:
    catalogue, routes, _, _ = redirecting.load_catalogue(_catalogue(tmp_path / "ok"))
    assert catalogue.choose("en").id == "en-general" and routes == {"GB": "channel"}
    with pytest.raises(ConfigError, match=r"en\.toml.*field 'fact'.*markup"):
        redirecting.load_catalogue(_catalogue(tmp_path / "html", 'facts = ["<b>bold</b>"]'))
    with pytest.raises(ConfigError, match=r"resources\.toml.*'last_verified'"):
        redirecting.load_catalogue(_catalogue(tmp_path / "date", resource_extra='last_verified = "last week"'))
    shipped, _, _, _ = redirecting.load_catalogue(DATA / "redirect")
    for messages in shipped.messages.values():
        for m in messages:
            assert m.title and m.body and m.action_url.startswith("https://") and m.escape
            assert all(r.last_verified and r.source for r in m.resources)
    assert any(r.placeholder for ms in shipped.messages.values() for m in ms for r in m.resources)


def _store_post(runtime: Runtime, detector, text: str, post_id: str) -> Assessment:  # type: ignore[no-untyped-def]
    post = Post(id=post_id, text=text, platform="facebook")
    assessment = detector.assess([post])[0]
    store = runtime.store()
    run = store.start_run("fp-" + post_id, "text", ["test"])
    store.commit_batch(run.id, [(post, assessment)], [("test", 1)], [], 1, {})
    return assessment


def test_api_roles_counts_clicks_interstitial_and_no_query_text_stored(
        runtime: Runtime, live_server, detector, use_session_redirector) -> None:  # type: ignore[no-untyped-def]
    store = runtime.store()
    headers = {}
    for name, role, platform in (("fb", "platform", "facebook"), ("ana", "analyst", None), ("res", "researcher", None)):
        store.add_user(name, role, platform)
        headers[name] = {"Authorization": f"Bearer {store.create_token(name)[0]}"}
    advert = _store_post(runtime, detector, "Boat to UK Thursday from Dunkirk, 1200 euro, kids free, WhatsApp "
                                            "+44 7700 900123. 100% safe", "ad-1")
    secret = "zqxboatsecret smuggler boat to england from calais price"
    injection = "<script>alert(1)</script> boat to uk"
    with live_server(runtime) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert client.get("/v1/redirect", params={"q": "x"}, headers=headers["res"]).status_code == 403
        assert client.get("/v1/redirect", params={"q": "x"}).status_code == 401
        answer = client.get("/v1/redirect", params={"q": secret, "lang": "en"}, headers=headers["fb"])
        assert answer.status_code == 200 and answer.json()["redirect"] is True
        message_id = answer.json()["message_id"]
        assert client.get("/v1/redirect", params={"q": "ferry dover calais"}, headers=headers["fb"]).json()[
            "redirect"] is False
        echoed = client.get("/v1/redirect", params={"q": injection}, headers=headers["ana"])
        assert echoed.headers["content-type"].startswith("application/json") and "<script" not in echoed.text
        bad = client.get("/v1/redirect", params={"q": "boat", "lang": "<b>"}, headers=headers["fb"])
        assert bad.status_code == 422 and bad.json()["field"] == "lang" and "<b>" not in bad.text
        inter = client.get("/v1/redirect/interstitial", params={"post": "ad-1"}, headers=headers["fb"]).json()
        assert inter["redirect"] is (advert.label != "benign") and inter["post"] == "ad-1"
        missing = client.get("/v1/redirect/interstitial", params={"post": "nope"}, headers=headers["fb"])
        assert missing.status_code == 404
        for action in ("click", "click", "escape"):
            r = client.post("/v1/redirect/events", json={"message_id": message_id, "action": action},
                            headers=headers["fb"])
            assert r.status_code == 201
        assert client.post("/v1/redirect/events", json={"message_id": "nope", "action": "click"},
                           headers=headers["fb"]).json()["field"] == "message_id"
        assert client.post("/v1/redirect/events", json={"message_id": message_id, "action": "click"},
                           headers=headers["ana"]).status_code == 403
        assert client.get("/v1/redirect/stats", headers=headers["fb"]).status_code == 403
        stats = client.get("/v1/redirect/stats", headers=headers["res"]).json()
    assert stats["queries"] == 3 and stats["redirected"] == 2 and stats["clicks"] == 2 and stats["escapes"] == 1
    assert stats["impressions"] == 2 + int(inter["redirect"])
    mine = next(m for m in stats["by_message"] if m["message_id"] == message_id)
    assert mine["clicks"] == 2 and mine["ctr"] == round(2 / mine["impressions"], 4)
    runtime.close()
    db = Path(runtime.settings.db)
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        dump = "\n".join(str(row) for t in tables for row in conn.execute(f'select * from "{t}"'))
    assert "zqxboatsecret" not in dump and "alert(1)" not in dump
    for f in db.parent.glob(db.name + "*"):  # the WAL and shared-memory files too
        assert b"zqxboatsecret" not in f.read_bytes()


def test_stats_from_counts(runtime: Runtime, redirector: redirecting.Redirector) -> None:
    counter = redirect_metrics.RedirectCounter(flush_seconds=0)
    for q in ("boat to england from calais price", "coyote to cross to texas price", "weather in calais"):
        counter.count(redirector.decide(q, "en"))
    assert counter.flush(runtime.store()) == 3 and counter.flush(runtime.store()) == 0
    stats = redirect_metrics.redirect_stats(runtime.store(), days=7)
    assert (stats["queries"], stats["redirected"], stats["clicks"], stats["ctr"]) == (3, 2, 0, 0.0)
    assert stats["by_route"]["channel"]["redirected"] == 1 and stats["by_route"]["us_mexico"]["redirected"] == 1
    with pytest.raises(InputError):
        redirect_metrics.redirect_stats(runtime.store(), days=0)


def test_cli_file_in_answers_out_and_bad_records_named(tmp_path: Path, use_session_redirector) -> None:  # type: ignore[no-untyped-def]
    from crossingwatch.cli import redirect, version  # noqa: F401  (with one command, Typer has no subcommands)
    from crossingwatch.cli.app import app

    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "q1", "query": "boat to uk price", "lang": "en", "intent": "seek_crossing"}\n'
                       '{"id": "q2", "query": "passport renewal", "lang": "en", "intent": "benign"}\n', "utf-8")
    out = tmp_path / "a.jsonl"
    result = CliRunner().invoke(app, ["redirect", "--queries", str(queries), "--output", str(out)])
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [a["id"] for a in answers] == ["q1", "q2"] and [a["redirect"] for a in answers] == [True, False]
    assert set(answers[0]) >= {"id", "redirect", "lang", "message_id", "reason"}
    figures = json.loads(CliRunner().invoke(app, ["redirect", "--queries", str(queries), "--eval"]).stdout)
    assert figures["accuracy"] == 1.0 and figures["n"] == 2
    queries.write_text('{"id": "q1", "query": "boat"}\n{"id": "q2", "text": "no query"}\n', "utf-8")
    result = CliRunner().invoke(app, ["redirect", "--queries", str(queries), "--output", str(out)])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)
    assert "q.jsonl:2" in str(result.exception) and result.exception.field == "query"


def test_interstitial_stops_once_a_reviewer_clears_the_post_or_the_platform_removes_it(
        runtime: Runtime, detector, redirector: redirecting.Redirector) -> None:  # type: ignore[no-untyped-def]
    from crossingwatch.services import referring, reviewing

    texts = {"ad-1": "Boat to UK Thursday from Dunkirk, 1200 euro, kids free, WhatsApp +44 7700 900123. 100% safe",
             "ad-2": "Passeur Calais → Angleterre ce soir, 900€ par personne, enfants gratuits, contact Telegram "
                     "@passage_uk, garanti 100%"}
    for post_id, text in texts.items():  # two different adverts, so two cases
        assert _store_post(runtime, detector, text, post_id).label == "advert"
    store = runtime.store()
    reviewing.open_cases(store)
    assert redirect_metrics.interstitial(store, redirector, "facebook", "ad-1").redirect is True
    reviewing.decide(store, store.find_case_of_post("facebook", "ad-1"), "not_smuggling", reviewer="rev")
    cleared = redirect_metrics.interstitial(store, redirector, "facebook", "ad-1")
    assert cleared.redirect is False and "reviewer" in cleared.reason

    case = store.find_case_of_post("facebook", "ad-2")
    reviewing.decide(store, case, "confirm_advert", reviewer="rev")
    laws = referring.Jurisdictions.load(DATA / "legal" / "jurisdictions.toml")
    referral = referring.create_referral(store, "facebook", sender_name="Unit", sender_email="u@example.org",
                                         jurisdiction="uk", laws=laws, case_ids=[case])
    referring.send_referral(store, referral.id, actor="ana")
    assert redirect_metrics.interstitial(store, redirector, "facebook", "ad-2").redirect is True  # sent, still up
    referring.record_status(store, referral.items[0].id, "removed", actor="facebook")
    removed = redirect_metrics.interstitial(store, redirector, "facebook", "ad-2")
    assert removed.redirect is False and "removed" in removed.reason
