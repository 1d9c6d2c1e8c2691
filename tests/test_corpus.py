"""The shipped training corpus keeps its contract: valid records, the size and mix the data card promises, and
nothing from the development set."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from crossingwatch.core import LABELS, TACTICS
from crossingwatch.detect.training import ON_TOPIC_KINDS
from crossingwatch.services.evaluating import PLAIN_BENIGN

DATA = Path(__file__).resolve().parent.parent / "data" / "corpus"
DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev_posts.jsonl"
LANGUAGES = {"en", "ar", "ckb", "kmr", "fa", "ps", "ur", "sq", "vi", "tr", "ti", "am", "so", "fr", "es"}
EVASIONS = {"emoji", "digits_native", "mixed_language", "romanized", "codeword", "spacing", "leet", "homoglyph"}
ROUTES = {"channel", "central_med", "eastern_med", "western_med", "balkans", "us_mexico", "other"}


def _rows() -> list[tuple[str, int, dict]]:
    out = []
    for path in sorted(DATA.glob("*.jsonl")):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.strip():
                out.append((path.name, n, json.loads(line)))
    return out


ROWS = _rows()
# Benign kinds off the topic of irregular migration; with `ON_TOPIC_KINDS`, every kind a benign post may have here.
OFF_TOPIC_KINDS = {"other_benign", "legit_travel", "job_ad", "legit_boat_sale", "humour"}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def test_every_record_is_valid() -> None:
    problems = []
    for name, n, r in ROWS:
        where = f"{name}:{n} ({r.get('id')})"
        if r.get("lang") != name.split("-")[0].removesuffix(".jsonl"):
            problems.append(f"{where}: lang {r.get('lang')!r} is not the file's language")
        if r.get("label") not in LABELS:
            problems.append(f"{where}: label {r.get('label')!r}")
        if not isinstance(r.get("text"), str) or not r["text"].strip():
            problems.append(f"{where}: empty text")
        tactics = r.get("tactics", [])
        if set(tactics) - set(TACTICS) or len(tactics) != len(set(tactics)):
            problems.append(f"{where}: tactics {tactics!r}")
        if r.get("label") == "benign" and tactics:
            problems.append(f"{where}: a benign post carries tactics")
        if (r.get("label") == "seeking") != (r.get("kind") == "seeking"):
            problems.append(f"{where}: kind {r.get('kind')!r} does not match label {r.get('label')!r}")
        if set(r.get("obfuscation", [])) - EVASIONS:
            problems.append(f"{where}: obfuscation {r.get('obfuscation')!r} (names: {sorted(EVASIONS)})")
        if r.get("route") not in ROUTES:
            problems.append(f"{where}: route {r.get('route')!r}")
    assert not problems, "\n".join(problems[:30])


def test_ids_and_texts_are_unique() -> None:
    ids = Counter(r["id"] for _, _, r in ROWS)
    assert [i for i, c in ids.items() if c > 1] == []
    texts = Counter(_key(r["text"]) for _, _, r in ROWS)
    assert [t[:60] for t, c in texts.items() if c > 1] == []


def test_size_and_mix_are_what_the_issue_asks_for() -> None:
    rows = [r for _, _, r in ROWS]
    langs = Counter(r["lang"] for r in rows)
    assert len(rows) >= 3000
    assert set(langs) == LANGUAGES
    assert min(langs.values()) >= 150, langs
    hard = sum(1 for r in rows if r["label"] == "benign" and r.get("kind") not in PLAIN_BENIGN)
    assert hard / len(rows) >= 0.40, f"hard negatives {hard}/{len(rows)}"
    for lang in LANGUAGES:
        labels = Counter(r["label"] for r in rows if r["lang"] == lang)
        assert min(labels[label] for label in LABELS) >= 30, (lang, labels)


def test_the_data_card_states_the_current_count() -> None:
    card = (DATA / "DATA_CARD.md").read_text("utf-8")
    stated = re.search(r"\*\*What\.\*\* ([\d,]+) hand-written", card)
    assert stated is not None
    assert int(stated.group(1).replace(",", "")) == len(ROWS), "update DATA_CARD.md (python scripts/corpus_stats.py)"


@pytest.mark.skipif(not DEV.exists(), reason="the development set is not beside this checkout")
def test_no_development_post_is_in_the_corpus() -> None:
    dev = {_key(json.loads(line)["text"]) for line in DEV.read_text("utf-8").splitlines() if line.strip()}
    assert [r["id"] for _, _, r in ROWS if _key(r["text"]) in dev] == []


def test_every_benign_post_has_a_kind_the_topic_layer_reads() -> None:
    """The kind of a benign post decides which side of the topic layer it trains (`ON_TOPIC_KINDS`): a missing or
    misspelt kind would move a news story off the topic without a word."""
    assert not ON_TOPIC_KINDS & OFF_TOPIC_KINDS
    bad = [f"{name}:{n} ({r.get('id')}): kind {r.get('kind')!r}" for name, n, r in ROWS
           if r["label"] == "benign" and r.get("kind") not in ON_TOPIC_KINDS | OFF_TOPIC_KINDS]
    assert not bad, "\n".join(bad[:20])
