"""`crossingwatch scan` end to end, through the real command line and a real SQLite (or PostgreSQL) store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import read_jsonl, run_cli, write_jsonl

SPEC_KEYS = {"id", "label", "scores", "tactics", "lang", "evidence", "indicators", "matches"}

POSTS = [
    {"id": "a1", "platform": "facebook", "text": "🚤 Boat to UK Thursday from Dunkirk, 1200£, kids free, "
     "WhatsApp +44 7700 900123", "lang": "en"},
    {"id": "b1", "platform": "facebook", "text": "Ferry Dover–Calais this weekend, families save 20%. "
     "Book online at the port office."},
    {"id": "s1", "platform": "tiktok", "text": "anyone know a guy for the boat to uk from calais? me and my "
     "brother can pay 2k each. dm me"},
    {"id": "a2", "platform": "telegram", "text": "Passports all EU countries, look-alike, 100% pass the "
     "airport. Telegram @docs_fast_eu"},
    {"id": "b2", "platform": "x", "text": "Police arrested three smugglers in Calais who promised migrants "
     "a safe crossing for £3,000 each, the court heard."},
]


def test_scan_writes_predictions_in_order_stores_and_reports(tmp_path: Path, model_dir: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", POSTS)
    db = tmp_path / "cw.db"
    r = run_cli("scan", str(src), "--output", str(tmp_path / "p.jsonl"), "--db", str(db), "--report",
                str(tmp_path / "r.html"), "--rejects", str(tmp_path / "rej.jsonl"), model_dir=model_dir)
    assert r.returncode == 0, r.stderr.decode()
    preds = read_jsonl(tmp_path / "p.jsonl")
    assert [p["id"] for p in preds] == [p["id"] for p in POSTS]
    assert all(set(p) == SPEC_KEYS for p in preds)
    by_id = {p["id"]: p for p in preds}
    assert by_id["a1"]["label"] == "advert" and {"price", "contact"} <= set(by_id["a1"]["tactics"])
    assert by_id["a1"]["indicators"]["phones"] == ["+447700900123"]
    assert by_id["b1"]["label"] == "benign" and by_id["b1"]["tactics"] == []
    assert by_id["s1"]["label"] == "seeking"
    for p in preds:
        text = next(x["text"] for x in POSTS if x["id"] == p["id"])
        for e in p["evidence"]:
            assert text[e["start"]:e["end"]] == e["text"]
    html = (tmp_path / "r.html").read_text("utf-8")
    assert "a1" in html and "<mark" in html and 'dir="auto"' in html
    out = r.stdout.decode() + r.stderr.decode()
    assert "Flagged posts" in out and "5 records: 5 assessed, 0 rejected" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert conn.execute("select count(*) from posts").fetchone()[0] == 5
        assert conn.execute("select count(*) from assessments").fetchone()[0] == 5
        assert conn.execute("select count(*) from audit_events where action='scan.completed'").fetchone()[0] == 1


def test_scanning_twice_stores_no_duplicates_and_reassesses(tmp_path: Path, model_dir: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", POSTS)
    db = tmp_path / "cw.db"
    for _ in range(2):
        r = run_cli("scan", str(src), "-o", str(tmp_path / "p.jsonl"), "--db", str(db), "-q", model_dir=model_dir)
        assert r.returncode == 0, r.stderr.decode()
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 5
        assert conn.execute("select count(*) from scan_runs where status='done'").fetchone()[0] == 2
        times = conn.execute("select count(distinct assessed_at) from assessments").fetchone()[0]
    assert times >= 1
    assert len(read_jsonl(tmp_path / "p.jsonl")) == 5


def test_bad_records_go_to_rejects_and_the_scan_goes_on(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "1", "text": "boat tonight"}\n{oops\n{"text": "no id"}\n{"id": "4"}\n'
                    b'{"id": "5", "text": "caf\xe9"}\n{"id": "6", "text": "fine"}\n')
    r = run_cli("scan", str(src), "-o", str(tmp_path / "p.jsonl"), "--db", str(tmp_path / "db.sqlite"),
                "--rejects", str(tmp_path / "rej.jsonl"), model_dir=model_dir)
    assert r.returncode == 0, r.stderr.decode()
    assert [p["id"] for p in read_jsonl(tmp_path / "p.jsonl")] == ["1", "6"]
    rejects = read_jsonl(tmp_path / "rej.jsonl")
    assert [(x["line"], x["field"]) for x in rejects] == [(2, "(line)"), (3, "id"), (4, "text"), (5, "(line)")]
    err = r.stderr.decode()
    assert f"{src}:2" in err and "4 rejected" in err
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        assert conn.execute("select count(*) from rejects").fetchone()[0] == 4


def test_strict_stops_at_the_first_bad_record(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "text": "hello"}\n{"text": "no id"}\n{"id": "3", "text": "x"}\n', "utf-8")
    r = run_cli("scan", str(src), "-o", str(tmp_path / "p.jsonl"), "--db", str(tmp_path / "db"), "--strict", "-q",
                model_dir=model_dir)
    assert r.returncode == 1
    assert f"{src}:2" in r.stderr.decode() and "'id'" in r.stderr.decode()
    assert [p["id"] for p in read_jsonl(tmp_path / "p.jsonl")] == ["1"]


def test_stdin_to_stdout_and_db_from_environment(tmp_path: Path, model_dir: Path) -> None:
    data = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in POSTS).encode()
    db = tmp_path / "env.db"
    r = run_cli("scan", "-", "-o", "-", "-q", model_dir=model_dir, input=data, env={"CROSSINGWATCH_DB": str(db)})
    assert r.returncode == 0, r.stderr.decode()
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [p["id"] for p in lines] == [p["id"] for p in POSTS]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 5


def test_csv_and_telegram_inputs_together(tmp_path: Path, model_dir: Path) -> None:
    from test_sources import telegram_export

    (tmp_path / "tg").mkdir()
    (tmp_path / "tg" / "result.json").write_text(json.dumps(telegram_export()), "utf-8")
    (tmp_path / "p.csv").write_text("id,platform,text\nc1,instagram,Boat to Italy from Zuwara 1500 euro\n", "utf-8")
    r = run_cli("scan", str(tmp_path / "p.csv"), str(tmp_path / "tg" / "result.json"), "-o",
                str(tmp_path / "out.jsonl"), "--db", str(tmp_path / "db"), "-q", model_dir=model_dir)
    assert r.returncode == 0, r.stderr.decode()
    ids = [p["id"] for p in read_jsonl(tmp_path / "out.jsonl")]
    assert ids == ["c1", "1234567/2", "1234567/4"]  # message 3's photo is missing: no text, so rejected
    assert "1 rejected" in r.stderr.decode()


def big_input(path: Path, n: int) -> Path:
    texts = [p["text"] for p in POSTS]
    return write_jsonl(path, [{"id": f"p{i}", "platform": "facebook", "text": f"{texts[i % 5]} #{i}"}
                              for i in range(n)])


def test_killed_scan_resumes_without_duplicates(tmp_path: Path, model_dir: Path) -> None:
    src = big_input(tmp_path / "big.jsonl", 10000)
    db = tmp_path / "cw.db"
    env = {**os.environ, "CROSSINGWATCH_MODEL_DIR": str(model_dir)}
    cmd = [sys.executable, "-m", "crossingwatch", "scan", str(src), "-o", str(tmp_path / "p.jsonl"), "--db", str(db),
           "--batch-size", "50", "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stored = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            with sqlite3.connect(db) as conn:
                stored = conn.execute("select count(*) from posts").fetchone()[0]
        except sqlite3.OperationalError:
            continue
        if stored >= 200:
            break
    assert proc.poll() is None, "the scan finished before it could be killed; make the input bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        before = conn.execute("select count(*) from posts").fetchone()[0]
        position = conn.execute("select position from scan_runs").fetchone()[0]
    assert 0 < before < 10000 and position > 0
    r = run_cli("scan", str(src), "-o", str(tmp_path / "p.jsonl"), "--db", str(db), "--batch-size", "500",
                model_dir=model_dir)
    assert r.returncode == 0, r.stderr.decode()
    assert "resumed after" in r.stderr.decode()
    preds = read_jsonl(tmp_path / "p.jsonl")
    assert [p["id"] for p in preds] == [f"p{i}" for i in range(10000)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 10000
        assert conn.execute("select count(*) from assessments").fetchone()[0] == 10000
        assert conn.execute("select status from scan_runs").fetchall() == [("done",)]


def test_help_and_version(model_dir: Path) -> None:
    r = run_cli("--help", model_dir=model_dir)
    assert r.returncode == 0 and b"scan" in r.stdout and b"train" in r.stdout
    r = run_cli("scan", "--help", model_dir=model_dir)
    assert b"--rejects" in r.stdout and b"resumes" in r.stdout
    r = run_cli("version", model_dir=model_dir)
    out = r.stdout.decode()
    assert r.returncode == 0 and "crossingwatch 0.1.0" in out and "model " in out and "lexicons " in out


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", POSTS[:1])
    r = run_cli("scan", str(src), "-o", "-", "--db", str(tmp_path / "db"), model_dir=tmp_path / "nomodel")
    assert r.returncode == 1 and b"no model in" in r.stderr and b"crossingwatch train" in r.stderr


@pytest.mark.skipif(not os.environ.get("CROSSINGWATCH_TEST_POSTGRES_URL"), reason="no PostgreSQL")
def test_scan_into_postgresql(tmp_path: Path, model_dir: Path) -> None:
    import uuid

    from sqlalchemy import text

    from crossingwatch.store import open_store

    pg = os.environ["CROSSINGWATCH_TEST_POSTGRES_URL"]
    schema = f"scan_{uuid.uuid4().hex[:8]}"
    admin = open_store(pg, migrate=False)
    with admin.engine.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    url = f"{pg}?options=-csearch_path%3D{schema}"
    src = write_jsonl(tmp_path / "in.jsonl", POSTS)
    try:
        for _ in range(2):
            r = run_cli("scan", str(src), "-o", str(tmp_path / "p.jsonl"), "--db", url, "-q", model_dir=model_dir)
            assert r.returncode == 0, r.stderr.decode()
        with admin.engine.begin() as conn:
            assert conn.execute(text(f"select count(*) from {schema}.posts")).scalar() == 5
            assert conn.execute(text(f"select count(*) from {schema}.scan_runs")).scalar() == 2
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        admin.close()


def test_json_text_is_compact_utf8_and_falls_back_for_what_orjson_refuses() -> None:
    import json

    from crossingwatch.jsontext import dumps

    post = {"text": "الأطفال مجاناً", "scores": {"advert": 0.97}}
    assert dumps(post) == '{"text":"الأطفال مجاناً","scores":{"advert":0.97}}'
    assert json.loads(dumps({1: "a"})) == {"1": "a"}
    huge = {"id": 2**70, "text": "lone \ud800 surrogate"}  # orjson refuses both; the standard library takes them
    assert json.loads(dumps(huge)) == huge
    dumps(huge).encode("utf-8")  # escaped: it can be written to a file or a database


def test_a_post_with_lone_surrogates_is_scanned_stored_and_reported(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "s1", "text": "Boat to UK \\ud800 kids free, WhatsApp +447700900123", "x": "\\udc00"}\n'
                   '{"id": "s2", "text": "ordinary post"}\n', "utf-8")
    r = run_cli("scan", str(src), "-o", str(tmp_path / "p.jsonl"), "--db", str(tmp_path / "db.sqlite"),
                "--rejects", str(tmp_path / "rejects.jsonl"), "-q", model_dir=model_dir)
    assert r.returncode == 0, r.stderr
    preds = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text("utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["s1", "s2"] and preds[0]["label"] == "advert"
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text("utf-8").splitlines()]
    assert [(x["id"], x["field"], x["action"]) for x in rejects] == [("s1", "text", "kept")]
