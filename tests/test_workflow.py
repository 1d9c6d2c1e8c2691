"""From flag to takedown: cases and decisions, referrals and item statuses, statements of reasons, rechecks,
the unit's figures, evidence bundles and the audit log."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, read_jsonl, run_cli, write_jsonl

from crossingwatch.core import Post
from crossingwatch.core.workflow import EditConflict, InvalidTransition, WorkflowError, check_transition, priority
from crossingwatch.services import metrics, referring, reviewing
from crossingwatch.services.evidence import EvidenceVault
from crossingwatch.store import open_store

LAWS = referring.Jurisdictions.load(DATA / "legal" / "jurisdictions.toml")
ADVERT = "Boat to UK Thursday from Dunkirk, 1200 euro, kids free, WhatsApp {phone}. 100% safe big boat"
POSTS = [
    {"id": "1", "platform": "facebook", "url": "https://facebook.com/p/1", "created_at": "2026-11-20T10:00:00Z",
     "author": {"handle": "@boat_uk"}, "text": ADVERT.format(phone="+44 7700 900123"), "reach": 5000},
    {"id": "2", "platform": "facebook", "url": "https://facebook.com/p/2", "author": {"handle": "@boat_uk2"},
     "text": ADVERT.format(phone="+44 7700 900456")},  # the same advert with a new number: the same case
    {"id": "3", "platform": "tiktok", "url": "https://tiktok.com/@x/video/3",
     "text": "Pasaportes originales en sistema, visa Schengen garantizada 100%, escríbeme al WhatsApp +34 600 000 111"},
    {"id": "4", "platform": "facebook", "text": "Ferry Dover to Calais this weekend, families save 20%"},
]


@pytest.fixture
def scanned(tmp_path: Path, detector):  # type: ignore[no-untyped-def]
    from crossingwatch.plugins.builtin_sources import register_sources
    from crossingwatch.services.scanning import scan_posts
    from crossingwatch.sources import Limits, read_inputs

    store = open_store(str(tmp_path / "cw.db"))
    path = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    scan_posts(read_inputs([str(path)], register_sources(), Limits()), detector, store, fingerprint="t",
               inputs=[str(path)])
    return store


def test_item_statuses_move_only_forward() -> None:
    check_transition("draft", "sent")
    check_transition("sent", "removed")
    check_transition("removed", "reappeared")
    for old, new in (("removed", "draft"), ("draft", "removed"), ("removed", "sent"), ("sent", "gone")):
        with pytest.raises(InvalidTransition):
            check_transition(old, new)
    assert priority(0.9, ["child_free"]) > priority(0.9, ["price"]) > priority(0.5, ["price"])
    assert priority(0.9, [], bank_match=True) > priority(0.9, [])


def test_from_flag_to_verified_removal(scanned, detector, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = scanned
    events = []
    vault = EvidenceVault(tmp_path / "evidence", store)
    opened = reviewing.open_cases(store, track=events.append, preserve=vault.preserve)
    assert opened.posts == 3 and opened.new == 2  # posts 1 and 2 are one case
    again = reviewing.open_cases(store)
    assert again.posts == 0  # nothing new the second time
    queue = reviewing.queue(store)
    boat = next(c for c in queue if ("facebook", "1") in c.posts)
    assert set(boat.posts) == {("facebook", "1"), ("facebook", "2")}
    assert queue == sorted(queue, key=lambda c: -c.priority)

    # Two reviewers at once: the second, deciding on the version both saw, gets a conflict.
    reviewing.decide(store, boat.id, "confirm_advert", reviewer="ana", reason="price, kids free",
                     tactics=("price", "child_free"), expected_version=boat.version, track=events.append)
    with pytest.raises(EditConflict, match="reload"):
        reviewing.decide(store, boat.id, "not_smuggling", reviewer="ben", expected_version=boat.version)
    with pytest.raises(WorkflowError):
        reviewing.decide(store, boat.id, "approve", reviewer="ben")
    with pytest.raises(WorkflowError, match="four-eyes"):
        referring.create_referral(store, "facebook", sender_name="Unit", sender_email="unit@example.org",
                                  jurisdiction="uk", laws=LAWS, four_eyes=True)
    reviewing.decide(store, boat.id, "confirm_advert", reviewer="ben", tactics=("price",))
    with pytest.raises(Exception, match="unknown platform"):
        referring.create_referral(store, "myspace", sender_name="Unit", sender_email="unit@example.org",
                                  jurisdiction="uk", laws=LAWS)
    with pytest.raises(Exception, match="at least one"):
        referring.create_referral(store, "tiktok", sender_name="Unit", sender_email="unit@example.org",
                                  jurisdiction="uk", laws=LAWS)  # nothing confirmed on TikTok
    referral = referring.create_referral(store, "facebook", sender_name="Unit", sender_email="unit@example.org",
                                         jurisdiction="uk", laws=LAWS, four_eyes=True, track=events.append)
    assert {i.post_id for i in referral.items} == {"1", "2"} and {i.status for i in referral.items} == {"draft"}

    notice = referring.notice(store, referral, LAWS)
    assert "Immigration Act 1971" in notice["legal_basis"] and "bona fide" in notice["good_faith_statement"]
    first = next(i for i in notice["items"] if i["post_id"] == "1")
    assert first["url"] == "https://facebook.com/p/1" and "children" in first["explanation"]
    email = referring.render_notice(notice, "email")
    assert "https://facebook.com/p/1" in email and "unit@example.org" in email
    assert referring.render_notice(notice, "csv").splitlines()[0].startswith("referral,item,platform")

    referral = referring.send_referral(store, referral.id, actor="ana", at="2026-11-21T10:00:00Z")
    with pytest.raises(WorkflowError, match="was sent"):
        referring.send_referral(store, referral.id, actor="ana")
    one, two = sorted(referral.items, key=lambda i: i.post_id)
    referring.record_status(store, one.id, "acknowledged", actor="facebook", at="2026-11-21T12:00:00Z")
    with pytest.raises(InvalidTransition):
        referring.record_status(store, one.id, "draft", actor="ana")

    # The platform answers with statements of reasons; the same file twice counts once.
    statements = [{"puid": "facebook:1", "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
                   "application_date": "2026-11-21T16:00:00Z",
                   "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"},
                  {"puid": "facebook:999", "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]}]
    assert referring.import_statements(store, statements, platform="facebook", actor="facebook")[:2] == (1, 0)
    applied, unchanged, problems = referring.import_statements(store, statements, platform="facebook",
                                                               actor="facebook")
    assert (applied, unchanged) == (0, 1) and len(problems) == 1 and "999" in problems[0]
    exported = referring.statements_of_reasons(store, referral)
    assert [s["puid"] for s in exported] == ["facebook:1"]
    assert exported[0]["category"] == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"

    # A recheck finds item 2 gone, and item 1 back after its removal.
    answers = {"https://facebook.com/p/1": "present", "https://facebook.com/p/2": "gone"}
    counts = referring.recheck(store, lambda url: answers[url], track=events.append)
    assert counts["removed"] == 1 and counts["reappeared"] == 1
    assert store.get_item(two.id).status == "removed" and store.get_item(one.id).status == "reappeared"

    m = metrics.unit_metrics(store)
    assert m["items_sent"] == 2 and m["items_taken_down"] == 2 and m["removal_rate"] == 1.0
    assert m["referral_to_removal"]["median_h"] is not None and m["reappearances"] == 1
    assert m["by_platform"]["facebook"]["removal_rate"] == 1.0 and m["reviewers"]["ana"]["decisions"] == 1
    assert "<svg" in metrics.render_metrics(m, "html") and "removal_rate" in metrics.render_metrics(m, "csv")

    # Evidence: originals kept by hash; the bundle verifies with sha256sum.
    bundle = tmp_path / "bundle"
    vault.export_bundle(boat.id, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    assert {f["kind"] for f in manifest["files"]} == {"record", "text"}
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=bundle, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    kept = next(f for f in manifest["files"] if f["kind"] == "text")
    assert hashlib.sha256((bundle / kept["file"]).read_bytes()).hexdigest() == kept["sha256"]

    # A new copy of the advert (new number) joins the case: the removed item has reappeared.
    copy = Post(id="5", platform="facebook", text=ADVERT.format(phone="+44 7700 900999"))
    store.commit_batch(store.start_run("t2", "d", ["x"]).id, [(copy, detector.assess([copy])[0])], [("x", 1)], [],
                       1, {})
    reviewing.open_cases(store, track=events.append)
    assert store.get_item(two.id).status == "reappeared"
    assert store.find_case_of_post("facebook", "5") == boat.id

    for e in events:
        store.append(e)
    assert store.verify()
    assert {"case.opened", "case.decided", "referral.created", "referral.item_status"} <= {e.action for e in events}


def test_decisions_become_training_examples(scanned) -> None:  # type: ignore[no-untyped-def]
    store = scanned
    reviewing.open_cases(store)
    cases = reviewing.queue(store)
    reviewing.decide(store, cases[0].id, "confirm_advert", reviewer="ana", tactics=("price",))
    reviewing.decide(store, cases[1].id, "not_smuggling", reviewer="ana", reason="a real visa office")
    examples = reviewing.reviewed_examples(store)
    labels = {(p.platform, p.id): label for p, label, _ in examples}
    assert sorted(set(labels.values())) == ["advert", "benign"]
    assert all(isinstance(p, Post) and p.text for p, _, _ in examples)


def test_the_workflow_from_the_command_line(tmp_path: Path, model_dir: Path) -> None:
    db = str(tmp_path / "cw.db")
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)

    def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
        proc = run_cli(*args, "--db", db, model_dir=model_dir,
                       env={"CROSSINGWATCH_SENDER_NAME": "Unit", "CROSSINGWATCH_SENDER_EMAIL": "unit@example.org"})
        assert proc.returncode == 0, (args, proc.stderr.decode())
        return proc

    cli("scan", str(posts), "-o", str(tmp_path / "out.jsonl"), "-q")
    cli("cases", "open")
    queue = [json.loads(x) for x in cli("cases", "list", "--json").stdout.decode().splitlines()]
    boat = next(c for c in queue if "facebook/1" in c["posts"])
    cli("cases", "decide", str(boat["id"]), "confirm_advert", "--tactic", "price", "--version", str(boat["version"]),
        "--actor", "ana")
    confirmed = {(e.signal_type, e.value) for e in open_store(db).list_entries("confirmed")}
    assert ("phone", "+447700900123") in confirmed  # a confirmed advert feeds the bank (re-uploads get caught)
    stale = run_cli("cases", "decide", str(boat["id"]), "not_smuggling", "--version", str(boat["version"]), "--db", db,
                    model_dir=model_dir)
    assert stale.returncode == 1 and b"changed since" in stale.stderr
    referral_id = cli("referral", "create", "facebook").stdout.decode().strip()
    cli("referral", "show", referral_id, "--format", "email", "-o", str(tmp_path / "notice.txt"))
    assert "Immigration Act 1971" in (tmp_path / "notice.txt").read_text("utf-8")
    cli("referral", "send", referral_id)
    (tmp_path / "answers.json").write_text(json.dumps({"https://facebook.com/p/1": "gone"}), "utf-8")
    cli("recheck", "--checker", f"file:{tmp_path / 'answers.json'}")
    cli("report", "--format", "json", "-o", str(tmp_path / "report.json"))
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["items_sent"] == 2 and report["items_taken_down"] == 1 and report["removal_rate"] == 0.5
    assert report["by_route"]["channel"]["sent"] == 2  # Dunkirk is on the Channel route (the gazetteer says)
    cli("evidence", "export", str(boat["id"]), "--out", str(tmp_path / "bundle"))
    assert (tmp_path / "bundle" / "SHA256SUMS").is_file()
    assert b"intact" in cli("audit", "verify").stderr
    import sqlite3

    with sqlite3.connect(db) as conn:  # someone edits the log by hand: verify notices
        conn.execute("update audit_events set actor = 'mallory' where id = 2")
    broken = run_cli("audit", "verify", "--db", db, model_dir=model_dir)
    assert broken.returncode == 1 and b"broken" in broken.stderr
    assert read_jsonl(tmp_path / "out.jsonl")


def test_retraining_from_reviews_and_retention(tmp_path: Path, model_dir: Path) -> None:
    db = str(tmp_path / "cw.db")
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    small = tmp_path / "small.jsonl"
    lines = (DATA / "corpus" / "en.jsonl").read_text("utf-8").splitlines()[:80]
    small.write_text("\n".join(lines) + "\n", "utf-8")
    assert run_cli("scan", str(posts), "-o", str(tmp_path / "out.jsonl"), "--db", db, "-q",
                   model_dir=model_dir).returncode == 0
    no_reviews = run_cli("train", "--from-reviews", "--out", str(tmp_path / "m"), "--db", db, model_dir=model_dir)
    assert no_reviews.returncode == 1 and b"no decided cases" in no_reviews.stderr
    assert run_cli("cases", "open", "--db", db, model_dir=model_dir).returncode == 0
    for case in [json.loads(x) for x in run_cli("cases", "list", "--json", "--db", db,
                                                 model_dir=model_dir).stdout.decode().splitlines()]:
        decision = "confirm_advert" if any(p.startswith("facebook") for p in case["posts"]) else "not_smuggling"
        assert run_cli("cases", "decide", str(case["id"]), decision, "--db", db, model_dir=model_dir).returncode == 0
    trained = run_cli("train", "--from-reviews", "--data", str(small), "--out", str(tmp_path / "m"), "--db", db,
                      model_dir=model_dir)
    assert trained.returncode == 0, trained.stderr.decode()
    info = json.loads((tmp_path / "m" / "model.json").read_text("utf-8"))["info"]
    assert info["reviewed_examples"] >= 2 and b"before (current model)" in trained.stderr

    # Retention keeps what reviewers confirmed or referred, deletes the rest, and says so in the audit log.
    kept = run_cli("retention", "apply", "--days", "0", "--db", db, model_dir=model_dir)
    assert kept.returncode == 0, kept.stderr.decode()
    store = open_store(db)
    left = {(p.platform, p.id) for p in (store.find_post("facebook", i) for i in "1234") if p is not None}
    assert left == {("facebook", "1"), ("facebook", "2")}
    assert store.find_post("tiktok", "3") is None
    assert any(e.action == "retention.deleted" and e.details["count"] == 2 for e in store.list_events())
    assert store.verify()


def test_a_re_upload_caught_by_a_bank_joins_its_case_and_reappears(scanned) -> None:  # type: ignore[no-untyped-def]
    from crossingwatch.core import Assessment
    from crossingwatch.media.signals import BUILTIN_SIGNAL_TYPES
    from crossingwatch.services import banking

    store = scanned
    reviewing.open_cases(store)
    boat = next(c for c in reviewing.queue(store) if ("facebook", "1") in c.posts)
    reviewing.decide(store, boat.id, "confirm_advert", reviewer="ana")
    [entry, *_] = banking.bank_confirmed_case(store, boat.id, {t.name: t for t in BUILTIN_SIGNAL_TYPES}, actor="ana")
    assert entry.source_case == f"case:{boat.id}"
    referral = referring.create_referral(store, "facebook", sender_name="Unit", sender_email="u@example.org",
                                         jurisdiction="uk", laws=LAWS)
    referring.send_referral(store, referral.id, actor="ana")
    first = next(i for i in referral.items if i.post_id == "1")
    referring.record_status(store, first.id, "removed", actor="facebook")
    # A new post whose text says nothing, but whose image matched the bank entry fed by that case.
    copy = Post(id="9", platform="facebook", text="new photo")
    reupload = Assessment("9", "advert", {"advert": 0.99, "seeking": 0.0, "benign": 0.01},
                          matches=({"bank": "confirmed", "kind": "flag", "entry": entry.id, "signal_type": "phone",
                                    "value": entry.value, "distance": 0},))
    store.commit_batch(store.start_run("t3", "d", ["x"]).id, [(copy, reupload)], [("x", 1)], [], 1, {})
    reviewing.open_cases(store)
    assert store.find_case_of_post("facebook", "9") == boat.id
    assert store.get_item(first.id).status == "reappeared"
