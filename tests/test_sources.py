"""Every kind of bad input: a clear reason naming file, line and field; nothing silently dropped."""

from __future__ import annotations

import io
import json
from pathlib import Path

from crossingwatch.plugins.builtin_sources import register_sources
from crossingwatch.sources import Item, Limits, read_inputs
from crossingwatch.testing import check_reject

READERS = register_sources()


def read(path: Path, limits: Limits | None = None) -> list[Item]:
    items = list(read_inputs([str(path)], READERS, limits or Limits()))
    for it in items:
        for r in it.problems:
            check_reject(r)
    return items


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "img.jpg").write_bytes(b"\xff\xd8\xff")
    lines = [
        json.dumps({"id": "1", "platform": "facebook", "text": "hello", "label": "benign", "x": 1}),
        "{not json",
        json.dumps({"platform": "x", "text": "no id"}),
        json.dumps({"id": "4"}),
        json.dumps({"id": "5", "text": "", "media": [{"type": "image", "path": "missing.jpg"}]}),
        json.dumps({"id": "6", "text": "with picture", "media": [{"type": "image", "path": "img.jpg"}]}),
        json.dumps({"id": "7", "text": "broken media", "media": [{"type": "image", "path": "gone.png"}]}),
        json.dumps({"id": "8", "text": 12}),
        "",
        json.dumps([1, 2]),
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    items = read(path)
    by_line = {it.line: it for it in items}
    assert by_line[1].post is not None and by_line[1].post.extra == {"label": "benign", "x": 1}
    assert by_line[2].post is None and "malformed JSON" in by_line[2].problems[0].reason
    assert by_line[3].problems[0].field == "id"
    assert by_line[4].problems[0].field == "text" and "neither" in by_line[4].problems[0].reason
    assert by_line[5].post is None and any(r.field == "media[0].path" for r in by_line[5].problems)
    assert by_line[6].post is not None and by_line[6].post.media[0].path == str(tmp_path / "img.jpg")
    # Unreadable media: reported, and the post is still assessed on its text.
    assert by_line[7].post is not None and by_line[7].problems[0].action == "kept"
    assert by_line[8].problems[0].field == "text" and "string" in by_line[8].problems[0].reason
    assert 9 not in by_line  # a blank line is not a record
    assert by_line[10].problems[0].field == "(record)"
    assert all(r.source == str(path) for it in items for r in it.problems)


def test_invalid_utf8_line_is_rejected_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": "1", "text": "ok"}\n{"id": "2", "text": "caf\xe9"}\n{"id": "3", "text": "ok"}\n')
    items = read(path)
    assert [it.post.id for it in items if it.post] == ["1", "3"]
    bad = items[1].problems[0]
    assert bad.line == 2 and "invalid UTF-8" in bad.reason and bad.raw and "caf" in bad.raw


def test_lone_surrogates_are_replaced_and_reported_and_the_post_kept(tmp_path: Path) -> None:
    path = tmp_path / "surrogates.jsonl"
    path.write_text('{"id": "1", "text": "boat \\ud800 UK", "author": {"handle": "x\\udfff"}}\n', "utf-8")
    [item] = read(path)
    assert item.post is not None and item.post.text == "boat \ufffd UK" and item.post.author.handle == "x\ufffd"
    assert [(r.field, r.action) for r in item.problems] == [("text", "kept"), ("author.handle", "kept")]
    item.post.text.encode("utf-8")  # storable
    path.write_text('{"id": "a\\ud800", "text": 5}\n', "utf-8")
    [rejected] = read(path)
    assert rejected.post is None and [(r.field, r.record_id) for r in rejected.problems] == [("text", "a\ufffd")]


def test_huge_text_field_is_rejected_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "text": "a" * (10 * 1024 * 1024)}) + "\n", "utf-8")
    items = read(path)
    assert items[0].post is None
    r = items[0].problems[0]
    assert r.field == "text" and "too long" in r.reason and r.record_id == "big"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    items = read(path)
    assert len(items) == 1 and items[0].problems[0].reason == "the file is empty"


def test_csv_with_unknown_columns_keeps_them_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("id,platform,text,author_handle,colour\n1,x,\"boat, tonight\",@a,red\n,x,no id,,\n"
                    "3,x,\"multi\nline\",@c,blue\n", "utf-8")
    items = read(path)
    warnings = [r for it in items if it.post is None for r in it.problems if r.action == "kept"]
    assert warnings and warnings[0].field == "colour" and warnings[0].line == 1
    posts = [it.post for it in items if it.post]
    assert [p.id for p in posts] == ["1", "3"]
    assert posts[0].text == "boat, tonight" and posts[0].author.handle == "@a" and posts[0].extra == {"colour": "red"}
    assert posts[1].text == "multi\nline"
    missing = [r for it in items for r in it.problems if r.field == "id"]
    assert missing and missing[0].line == 3


def test_csv_invalid_utf8_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,text\n1,fine\n2,caf\xe9\n")
    items = read(path)
    assert [it.post.id for it in items if it.post] == ["1"]
    r = [r for it in items for r in it.problems][0]
    assert r.line == 3 and r.field == "text" and "invalid UTF-8" in r.reason


def telegram_export() -> dict:
    return {
        "name": "Travel Group", "type": "public_supergroup", "id": 1234567,
        "messages": [
            {"id": 1, "type": "service", "date": "2026-10-01T10:00:00", "date_unixtime": "1790000000",
             "actor": "Admin", "action": "create_group"},
            {"id": 2, "type": "message", "date": "2026-10-01T10:05:00", "date_unixtime": "1790000300",
             "from": "Ali", "from_id": "user42",
             "text": ["Boat tonight ", {"type": "phone", "text": "+44 7700 900123"}, " kids free"],
             "text_entities": [{"type": "plain", "text": "Boat tonight "},
                               {"type": "phone", "text": "+44 7700 900123"}, {"type": "plain", "text": " kids free"}]},
            {"id": 3, "type": "message", "date": "2026-10-01T10:06:00", "date_unixtime": "1790000360",
             "from": "Ali", "from_id": "user42", "photo": "photos/photo_1.jpg", "width": 10, "height": 10,
             "text": "", "text_entities": []},
            {"id": 4, "type": "message", "date": "2026-10-01T10:07:00", "date_unixtime": "1790000420",
             "from": "Sara", "from_id": "user7", "photo": "(File not included. Change data exporting settings "
             "to download.)", "text": "price list in picture", "text_entities": [
                 {"type": "plain", "text": "price list in picture"}]},
        ],
    }


def test_telegram_export_flattens_entities_and_reads_photos(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "photo_1.jpg").write_bytes(b"\xff\xd8\xff")
    path = tmp_path / "result.json"
    path.write_text(json.dumps(telegram_export(), ensure_ascii=False, indent=1), "utf-8")
    items = read(path)
    posts = [it.post for it in items if it.post]
    assert [p.id for p in posts] == ["1234567/2", "1234567/3", "1234567/4"]
    assert posts[0].text == "Boat tonight +44 7700 900123 kids free"
    assert posts[0].platform == "telegram" and posts[0].author.id == "user42"
    assert posts[0].created_at == "2026-09-21T14:18:20Z"
    assert posts[1].media[0].path == str(tmp_path / "photos" / "photo_1.jpg")
    assert posts[2].media == ()
    assert sum(1 for it in items if it.post is None and not it.problems) == 1  # the service message


def test_stdin_is_sniffed(tmp_path: Path) -> None:
    data = b'{"id": "1", "text": "hello"}\n'
    stream = io.BufferedReader(io.BytesIO(data))
    items = list(read_inputs(["-"], READERS, Limits(), stream))
    assert items[0].post is not None and items[0].post.id == "1"
