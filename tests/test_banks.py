"""Signal types, banks (tombstones, thresholds, benign banks), hash-list exchange and the bank commands."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import read_jsonl, run_cli, write_jsonl
from PIL import Image, ImageDraw, ImageFilter

from crossingwatch.core.errors import Conflict, InputError
from crossingwatch.media.signals import BUILTIN_SIGNAL_TYPES, PdqSignal, Signal, SignalError
from crossingwatch.services import banking
from crossingwatch.store import open_store
from crossingwatch.testing import check_signal_type

TYPES = {t.name: t for t in BUILTIN_SIGNAL_TYPES}
VALID = {
    "pdq": ["f" * 64, "0123456789abcdef" * 4],
    "sha256": ["ab" * 32],
    "video_md5": ["cd" * 16],
    "phone": ["+44 7700 900123", "+33 6 39 98 12 34"],
    "handle": ["telegram:@Boat_UK", "tiktok:travel.eu"],
    "url": ["https://t.me/Boat_UK?utm_source=x", "www.example.org/a/"],
}
INVALID = {
    "pdq": ["f" * 63, "g" * 64, ""],
    "sha256": ["ab" * 31],
    "video_md5": ["xyz"],
    "phone": ["12", "not a number"],
    "handle": ["@boat_uk", "telegram:"],
    "url": ["ftp://x.org/a", "nothing"],
}


@pytest.mark.parametrize("name", sorted(TYPES))
def test_builtin_signal_types_keep_the_contract(name: str) -> None:
    check_signal_type(TYPES[name], VALID[name], INVALID[name])


def test_indicator_values_are_normalised() -> None:
    assert TYPES["phone"].validate("+44 7700-900 123") == "+447700900123"
    assert TYPES["handle"].validate(" Telegram:@Boat_UK ") == "telegram:boat_uk"
    assert TYPES["url"].validate("HTTP://www.Telegram.me/Boat_UK/?utm_source=fb&b=2&a=1#top") == \
        "https://t.me/boat_uk?a=1&b=2"


def picture(seed: int, size: int = 320) -> Image.Image:
    """A 'photo' of shapes on a noisy background, different for each seed."""
    rng = random.Random(seed)
    img = Image.new("RGB", (size, size), tuple(rng.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rng.randrange(size), rng.randrange(size)
        d.ellipse((x, y, x + rng.randrange(20, 140), y + rng.randrange(20, 140)),
                  fill=tuple(rng.randrange(256) for _ in range(3)))
    return img.filter(ImageFilter.GaussianBlur(1))


def test_pdq_survives_re_encoding_and_resizing_but_not_another_picture(tmp_path: Path) -> None:
    pdq = PdqSignal()
    picture(1).save(tmp_path / "a.png")
    picture(1).resize((200, 200)).save(tmp_path / "a.jpg", quality=60)
    picture(2).save(tmp_path / "b.png")
    a, a2, b = (pdq.hash_file(tmp_path / f) for f in ("a.png", "a.jpg", "b.png"))
    assert a is not None and a2 is not None and b is not None
    assert a.quality is not None and a.quality >= 50
    assert pdq.compare(a.value, a2.value) <= 31 < pdq.compare(a.value, b.value)


def test_banks_tombstones_thresholds_and_benign_banks(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "cw.db"))
    events = []
    banking.create_bank(store, "ads", actor="ana", track=events.append)
    banking.create_bank(store, "news", kind="benign", pdq_threshold=10)
    with pytest.raises(Conflict, match="exists"):
        banking.create_bank(store, "ads")
    with pytest.raises(InputError, match="bank name"):
        banking.create_bank(store, "bad name!")
    h = "0" * 64
    near = "0" * 62 + "ff"  # 8 bits away
    far = "0" * 56 + "ffffffff"  # 32 bits away
    [e1] = banking.add_to_bank(store, "ads", [Signal("pdq", h, 90)], actor="ana", track=events.append)
    again = banking.add_to_bank(store, "ads", [Signal("pdq", h, 90)], actor="ana")
    assert again[0].id == e1.id and len(store.list_entries("ads")) == 1  # adding twice stores once
    banking.add_to_bank(store, "ads", [Signal("phone", "+447700900123")], actor="ana")
    banking.add_to_bank(store, "news", [Signal("pdq", near, 90)], actor="ana")
    m = banking.Matcher(store)
    found = {(x.bank, x.distance) for x in m.match([(0, Signal("pdq", h, 90))])}
    assert found == {("ads", 0), ("news", 8)}
    assert m.match([(0, Signal("pdq", far, 90))]) == []  # 32 > 31
    assert m.match([(None, Signal("pdq", h, 10))]) == []  # a low-quality hash is never matched
    assert [x.bank for x in m.match([(None, Signal("phone", "+447700900123"))])] == ["ads"]
    banking.remove_from_bank(store, "ads", e1.id, actor="ana", reason="wrong image", track=events.append)
    m.refresh()  # removal reaches a built index without a rebuild
    assert {x.bank for x in m.match([(0, Signal("pdq", h, 90))])} == {"news"}
    removed = store.list_entries("ads", include_removed=True)
    assert any(e.id == e1.id and e.removed_reason == "wrong image" for e in removed)  # kept for audit
    store.set_bank_enabled("news", False)
    assert banking.Matcher(store).match([(0, Signal("pdq", h, 90))]) == []
    assert [e.action for e in events] == ["bank.created", "bank.entry_added", "bank.entry_removed"]


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "cw.db"))
    banking.create_bank(store, "ads")
    text = "\n".join(["pdq " + "a" * 64, "pdq " + "a" * 63, "sha256 nothex" + "0" * 58, "colour red",
                      "phone +44 7700 900123", "pdqonly"]) + "\n"
    entries, problems = banking.import_hash_list(store, "ads", text, TYPES, actor="ana")
    assert sorted(e.signal_type for e in entries) == ["pdq", "phone"]
    assert [p.line for p in problems] == [2, 3, 4, 6]
    assert "64 hexadecimal" in problems[0].reason and "unknown signal type" in problems[2].reason
    csv_text = banking.export_hash_list(store, "ads", "csv")
    assert csv_text.splitlines()[0] == "signal_type,signal_str,collab,category,tags"
    banking.create_bank(store, "copy")
    copied, none = banking.import_hash_list(store, "copy", csv_text, TYPES, actor="ana")
    assert not none and {(e.signal_type, e.value) for e in copied} == {(e.signal_type, e.value) for e in entries}
    txt = banking.export_hash_list(store, "ads", "txt")
    assert txt.splitlines()[0].split(" ")[0] in ("pdq", "phone")


def test_bank_and_hash_commands_and_a_scan_that_catches_a_re_upload(tmp_path: Path, model_dir: Path) -> None:
    db = str(tmp_path / "cw.db")
    picture(7).save(tmp_path / "advert.png")
    picture(7).resize((250, 250)).save(tmp_path / "copy.jpg", quality=70)
    picture(8).save(tmp_path / "other.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    hashed = run_cli("hash", str(tmp_path / "advert.png"), model_dir=model_dir)
    assert hashed.returncode == 0, hashed.stderr
    lines = hashed.stdout.decode().splitlines()
    assert {ln.split()[0] for ln in lines} == {"pdq", "sha256"}
    assert run_cli("bank", "create", "confirmed", "--db", db, model_dir=model_dir).returncode == 0
    dup = run_cli("bank", "create", "confirmed", "--db", db, model_dir=model_dir)
    assert dup.returncode == 1 and b"exists" in dup.stderr
    added = run_cli("bank", "add", "confirmed", str(tmp_path / "advert.png"), "--case", "C-1", "--db", db,
                    model_dir=model_dir)
    assert added.returncode == 0, added.stderr
    matched = run_cli("match", str(tmp_path / "copy.jpg"), str(tmp_path / "other.png"), "--db", db,
                      model_dir=model_dir)
    rows = [json.loads(x) for x in matched.stdout.decode().splitlines()]
    assert [r["matches"][0]["bank"] for r in rows if r["matches"]] == ["confirmed"] and not rows[1]["matches"]
    assert run_cli("bank", "disable", "confirmed", "--db", db, model_dir=model_dir).returncode == 0
    off = run_cli("match", str(tmp_path / "copy.jpg"), "--db", db, model_dir=model_dir)
    assert json.loads(off.stdout.decode())["matches"] == []  # a disabled bank matches nothing
    assert run_cli("bank", "enable", "confirmed", "--db", db, model_dir=model_dir).returncode == 0
    exported = run_cli("bank", "export", "confirmed", "--db", db, model_dir=model_dir)
    assert exported.stdout.decode().count("\n") == 3  # header, pdq, sha256

    posts = write_jsonl(tmp_path / "posts.jsonl", [
        {"id": "1", "platform": "x", "text": "nice weather today", "media": [{"type": "image", "path": "copy.jpg"}]},
        {"id": "2", "platform": "x", "text": "nice weather today", "media": [{"type": "image", "path": "other.png"}]},
        {"id": "3", "platform": "x", "text": "nice weather today", "media": [{"type": "image", "path": "broken.jpg"}]},
        {"id": "4", "platform": "x", "text": "nice weather today", "media": [{"type": "image", "path": "gone.jpg"}]},
    ])
    scanned = run_cli("scan", str(posts), "-o", str(tmp_path / "out.jsonl"), "--rejects", str(tmp_path / "rej.jsonl"),
                      "--db", db, "-q", model_dir=model_dir)
    assert scanned.returncode == 0, scanned.stderr
    out = {p["id"]: p for p in read_jsonl(tmp_path / "out.jsonl")}
    assert out["1"]["label"] == "advert" and out["1"]["matches"][0]["bank"] == "confirmed"
    assert out["1"]["matches"][0]["source"] == "image:0"
    assert out["2"]["label"] == "benign" and out["2"]["matches"] == []
    assert out["3"]["label"] == "benign"  # a broken image: the post is still assessed on its text
    assert out["4"]["label"] == "benign"  # a missing one too
    rejects = read_jsonl(tmp_path / "rej.jsonl")
    assert any(r["field"] == "media[0].path" and "broken.jpg" in r["reason"] for r in rejects)


def test_parse_signal_names_the_types() -> None:
    assert banking.parse_signal("handle:telegram:@Boat_UK", TYPES).value == "telegram:boat_uk"
    with pytest.raises(SignalError, match="TYPE:VALUE"):
        banking.parse_signal("colour:red", TYPES)


def test_a_saved_index_opens_and_catches_up_with_the_store(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "cw.db"))
    banking.create_bank(store, "ads")
    rng = random.Random(3)
    values = ["".join(rng.choice("0123456789abcdef") for _ in range(64)) for _ in range(50)]
    entries = banking.add_to_bank(store, "ads", [Signal("pdq", v, 90) for v in values], actor="ana")
    index_dir = tmp_path / "index"
    banking.Matcher(store, index_dir).save()
    later = banking.add_to_bank(store, "ads", [Signal("pdq", "f" * 64, 90)], actor="ana")
    banking.remove_from_bank(store, "ads", entries[0].id, actor="ana")
    m = banking.Matcher(store, index_dir)  # the saved index plus what changed since
    assert [x.entry_id for x in m.match([(0, Signal("pdq", "f" * 64, 90))])] == [later[0].id]
    assert m.match([(0, Signal("pdq", values[0], 90))]) == []
    assert [x.entry_id for x in m.match([(0, Signal("pdq", values[1], 90))])] == [entries[1].id]


def test_adds_while_matching_lose_nothing(tmp_path: Path) -> None:
    import threading

    store = open_store(str(tmp_path / "cw.db"))
    banking.create_bank(store, "ads")
    rng = random.Random(5)
    values = ["".join(rng.choice("0123456789abcdef") for _ in range(64)) for _ in range(120)]
    matcher = banking.Matcher(store)
    errors: list[BaseException] = []

    def add() -> None:
        try:
            for i in range(0, len(values), 10):
                banking.add_to_bank(store, "ads", [Signal("pdq", v, 90) for v in values[i:i + 10]], actor="ana")
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    writer = threading.Thread(target=add)
    writer.start()
    while writer.is_alive():
        matcher.refresh()
        matcher.match([(0, Signal("pdq", values[0], 90))])
    writer.join()
    matcher.refresh()
    assert not errors
    assert len(store.list_entries("ads")) == len(values)
    assert all(matcher.match([(0, Signal("pdq", v, 90))]) for v in values)


def test_text_in_an_image_is_read_and_assessed_with_its_own_evidence(tmp_path: Path, model_dir: Path) -> None:
    import shutil

    from PIL import ImageFont

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (scripts/system-packages.sh installs it)")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    img = Image.new("RGB", (900, 260), (250, 245, 230))
    d = ImageDraw.Draw(img)
    for i, line in enumerate(["BOAT TO UK FROM DUNKIRK", "1200 EUROS, KIDS TRAVEL FREE", "WHATSAPP +44 7700 900123"]):
        d.text((30, 30 + 70 * i), line, font=font, fill=(20, 20, 60))
    img.save(tmp_path / "flyer.png")
    posts = write_jsonl(tmp_path / "posts.jsonl", [
        {"id": "1", "platform": "x", "text": "call us 🙂", "media": [{"type": "image", "path": "flyer.png"}]},
    ])
    import os
    import stat

    # A tesseract that notes each call, then runs the real one: the second scan must not read the image again.
    calls = tmp_path / "calls.log"
    wrapper = tmp_path / "bin" / "tesseract"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {shutil.which("tesseract")} "$@"\n', "utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}
    db = str(tmp_path / "cw.db")
    image_reads = []
    for _ in range(2):  # the second scan reads the OCR text from the cache
        scanned = run_cli("scan", str(posts), "-o", str(tmp_path / "out.jsonl"), "--db", db, "-q", model_dir=model_dir,
                          env=env)
        assert scanned.returncode == 0, scanned.stderr
        [p] = read_jsonl(tmp_path / "out.jsonl")
        assert p["label"] == "advert"
        from_image = [e for e in p["evidence"] if e["source"] == "image:0"]
        assert {"price", "contact"} <= {e["tactic"] for e in from_image}
        ocr = {m["source"]: m["text"] for m in p["media_text"]}["image:0"]  # what image evidence points into
        assert all(ocr[e["start"]:e["end"]] == e["text"] for e in from_image)
        assert "+447700900123" in p["indicators"]["phones"]
        log = calls.read_text("utf-8").splitlines() if calls.exists() else []
        image_reads.append(sum("--list-langs" not in line for line in log))
    assert image_reads[0] > 0 and image_reads[1] == image_reads[0]  # read once, then from the cache (by SHA-256)


def test_media_that_vanished_before_assessment_is_reported_not_fatal(tmp_path: Path, detector) -> None:  # type: ignore[no-untyped-def]
    from crossingwatch.core import Media, Post
    from crossingwatch.services.media_scanning import MediaAwareDetector

    problems = []
    wrapped = MediaAwareDetector(detector, BUILTIN_SIGNAL_TYPES, None, None, problems.append)
    post = Post(id="1", text="nice weather", media=(Media("image", str(tmp_path / "gone.jpg")),))
    [a] = wrapped.assess([post])
    assert a.label == "benign" and problems and problems[0].field == "media[0].path"
    assert "no such file" in problems[0].reason
