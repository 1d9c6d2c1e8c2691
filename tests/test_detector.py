"""The text detector: contracts (conformance kit), evidence spans on any input, bad input, model files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossingwatch.core import Post
from crossingwatch.core.errors import ModelError
from crossingwatch.detect.model import LinearLayer, load_model
from crossingwatch.detect.pipeline import WEAK_TERM
from crossingwatch.testing import check_assessment, check_detector

TOKENS = ["boat", "🚤", "🇬🇧", "👶", "kids free", "£1500", "whatsapp", "+44 7700 900123", "w h a t s a p p",
          "قارب", "الأطفال مجاناً", "۲۰۰۰ پوند", "b0at", "раssport", "\u200b", "\u202e", "\ud800", "\x00", "ከሊቢያ",
          "Dunkirk", "0 7 7 . 0 0", "100%", "🇫🇷➡️🇬🇧", "\n", " ", "ኣብ", "@boat_uk", "t.me/x_y", "1.5k"]


def test_our_detector_passes_the_conformance_kit(detector) -> None:  # type: ignore[no-untyped-def]
    check_detector(detector)
    # Optional keys (payments here) are part of the contract too: the kit must accept them.
    post = Post(id="p", text="Boat to UK 1200 euro, pay first to IBAN GB82 WEST 1234 5698 7654 32")
    [a] = detector.assess([post])
    assert a.indicators.payments == ("iban:GB82WEST12345698765432",)
    check_assessment(post, a)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=25))
def test_every_span_is_exact_for_any_text(detector, parts: list[str]) -> None:  # type: ignore[no-untyped-def]
    post = Post(id="h", text=" ".join(parts))
    [a] = detector.assess([post])
    check_assessment(post, a)


@pytest.mark.parametrize("text", ["", "🚤🇬🇧👶💯", "\x00\x01\x02", "a" * 100_000, "ا" * 50_000 + " boat " * 1000,
                                  "\ud800\udfff\ud800", "ضض \u202e\u202d \u2066"])
def test_bad_input_gives_a_valid_prediction(detector, text: str) -> None:  # type: ignore[no-untyped-def]
    post = Post(id="x", text=text)
    [a] = detector.assess([post])
    check_assessment(post, a)
    json.dumps(a.to_prediction())  # serialisable


def test_tactic_probabilities_stay_finite_however_far_the_decision_goes() -> None:
    """A 100,000-character post can push a tactic's decision to hundreds below zero: no overflow, just 0 (and 1)."""
    layer = LinearLayer(("a", "b"), np.array([[-1.0], [1.0]], dtype=np.float32), np.zeros(2, dtype=np.float32),
                        multilabel=True)
    p = layer.proba(sp.csr_matrix(np.array([[500.0]], dtype=np.float32)))  # warnings are errors in this suite
    assert p[0, 0] == 0.0 and p[0, 1] == 1.0


def test_nothing_there_is_benign_with_a_low_score(detector) -> None:  # type: ignore[no-untyped-def]
    for text in ["", "   ", "😀😀", "hello, how are you?", "ok", "good night 🌙", "سلام عليكم", "merci beaucoup"]:
        [a] = detector.assess([Post(id="x", text=text)])
        assert detector.analyser.analyse(text).tags == []  # no term, no indicator: the premise of the test
        assert a.label == "benign" and a.scores["benign"] == 1.0 and not a.tactics and not a.evidence


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzçğıöşüêơư", min_size=1, max_size=9), min_size=1,
                max_size=4))
def test_a_few_words_without_evidence_are_never_flagged(detector, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(words)
    [a] = detector.assess([Post(id="w", text=text)])
    analysis = detector.analyser.analyse(text)
    if not analysis.found and all(h.term.weight < WEAK_TERM for h in analysis.hits):  # no indicator, no strong term
        assert a.label == "benign" and a.tactics == ()


def test_short_replies_need_evidence_to_be_flagged(detector) -> None:  # type: ignore[no-untyped-def]
    """A few words with a weak lexicon term are not flagged but keep the model's scores (an analyst or a platform
    ranking by score still sees them); only a post with no term and no indicator at all gets the nothing-there ones."""
    [thanks, friday, boat] = detector.assess([Post(id="1", text="thanks bro"), Post(id="2", text="see you friday"),
                                              Post(id="3", text="🚤🇬🇧 friday, 2 places, whatsapp +44 7700 900123")])
    assert thanks.label == "benign" and thanks.scores["benign"] == 1.0
    analysis = detector.analyser.analyse("see you friday")
    assert analysis.hits and all(h.term.weight < WEAK_TERM for h in analysis.hits) and not analysis.found
    assert friday.label == "benign"  # "friday" is a weak departure term: not enough in three words
    assert 0.0 < friday.scores["benign"] < 1.0 and abs(sum(friday.scores.values()) - 1) < 1e-6
    assert boat.label == "advert" and "contact" in boat.tactics


def test_model_round_trips_and_refuses_other_formats(model_dir: Path, tmp_path: Path) -> None:
    model = load_model(model_dir)
    model.save(tmp_path / "copy")
    again = load_model(tmp_path / "copy")
    assert (again.labels.coef == model.labels.coef).all() and again.labels.temperature == model.labels.temperature
    meta = json.loads((model_dir / "model.json").read_text("utf-8"))
    (tmp_path / "weights.npz").write_bytes((model_dir / "weights.npz").read_bytes())
    (tmp_path / "model.json").write_text(json.dumps({**meta, "format_version": 99}), "utf-8")
    with pytest.raises(ModelError, match="format"):
        load_model(tmp_path)
    with pytest.raises(ModelError, match="no model"):
        load_model(tmp_path / "missing")
    assert b"pickle" not in (model_dir / "model.json").read_bytes()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_character_block_rows_do_not_depend_on_their_batch(texts: list[str]) -> None:
    import numpy as np

    from crossingwatch.detect.features import char_ngram_block

    together = char_ngram_block(texts, (2, 4), 1 << 12).toarray()
    for i, t in enumerate(texts):
        alone = char_ngram_block([t], (2, 4), 1 << 12).toarray()[0]
        assert np.allclose(together[i], alone)
        # every n-gram occurrence weighs 1/sqrt(the post's n-gram count), so the row sums to sqrt(count)
        count = sum(max(0, len(t) - n + 1) for n in (2, 3, 4))
        assert abs(float(alone.sum()) - float(np.sqrt(count))) < 1e-3
        assert (count == 0) == (len(t) < 2)


# The word hash written out one word at a time, in plain Python, from `word_ngram_block`'s docstring: an independent
# reading of the numpy code (sum(c[i] * M**i), mixed with the length, then murmur3's finaliser; a pair mixes its two).
_M, _SALT, _MASK = 1_000_003, 0x9E3779B9, 0xFFFFFFFF
_WORD = re.compile(r"[^\W\U00010000-\U0010FFFF]+")  # `\w` in the BMP


def _fmix_int(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


def _word_hash(word: str) -> int:
    h = 0
    for c in reversed(word):
        h = (h * _M + ord(c)) & _MASK
    return _fmix_int((h * _M + len(word)) & _MASK)


def word_index(word: str, size: int) -> int:
    return _word_hash(word) & (size - 1)


def pair_index(first: str, second: str, size: int) -> int:
    return _fmix_int((_word_hash(first) * _M + _word_hash(second) + _SALT) & _MASK) & (size - 1)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_word_block_and_word_columns_hash_words_as_written(texts: list[str]) -> None:
    """The batch featuriser's word block, and `word_columns` (the explainer's way back from weights to words), hold
    for any text and any batch the columns of the hash read word by word, and `word_columns` places each word."""
    from crossingwatch.detect.features import word_columns, word_ngram_block

    size = 1 << 12
    block = word_ngram_block(texts, size)
    for i, t in enumerate(texts):
        tokens = list(_WORD.finditer(t.replace("\x00", " ")))
        ws = [m.group(0) for m in tokens]
        singles = [word_index(w, size) for w in ws]
        pairs = [pair_index(a, b, size) for a, b in zip(ws, ws[1:], strict=False)]
        row = block[i]
        assert sorted(row.indices.tolist()) == sorted(singles + pairs)
        if ws:
            assert abs(float(row.data.sum()) - len(singles + pairs) ** 0.5) < 1e-3
        starts, ends, single_cols, pair_cols = word_columns(t, size)
        assert [t[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)] == ws
        assert single_cols.tolist() == singles
        assert pair_cols.tolist() == pairs


def _explain_by_loop(text: str, row, offset: int, size: int) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    """The explainer's rule read word by word: a word's weight, plus its pair's when positive (the span then takes in
    the next word); the first of the best."""
    tokens = list(_WORD.finditer(text))
    best = None
    for i, tok in enumerate(tokens):
        score = float(row[offset + word_index(tok.group(0), size)])
        start, end = tok.start(), tok.end()
        if i + 1 < len(tokens):
            pair = float(row[offset + pair_index(tok.group(0), tokens[i + 1].group(0), size)])
            if pair > 0:
                score += pair
                end = tokens[i + 1].end()
        if score > 0 and (best is None or score > best[0]):
            best = (score, start, end)
    return None if best is None else (best[1], best[2])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["boat", "kids", "free", "papers", "safe", "ok", "بلم", "x1"]), max_size=12),
       st.integers(0, 2**32 - 1))
def test_explainer_picks_the_span_the_word_by_word_rule_picks(vocab: list[str], seed: int) -> None:
    """The explainer scores all of a post's words at once; on a small vocabulary with weights of -1, 0 and 1 (so ties
    and negative pairs are common) it must pick exactly what the word-by-word rule picks, for every tactic."""
    from crossingwatch.core import TACTICS
    from crossingwatch.detect.explain import WordExplainer
    from crossingwatch.detect.features import FeatureConfig
    from crossingwatch.detect.fusion import Analysis
    from crossingwatch.detect.model import TextModel
    from crossingwatch.detect.normalise import Normaliser

    config = FeatureConfig(char_bits=4, word_bits=6, tag_bits=2)
    rng = np.random.default_rng(seed)
    coef = rng.integers(-1, 2, size=(len(TACTICS), config.n_features)).astype(np.float32)
    layer = LinearLayer(TACTICS, coef, np.zeros(len(TACTICS)), multilabel=True)
    explainer = WordExplainer(TextModel(layer, layer, None, features=config))
    text = " ".join(vocab)
    analysis = Analysis(Normaliser({}).normalise(text), "en", [], [], [])
    other = Analysis(Normaliser({}).normalise("papers kids boat"), "en", [], [], [])
    for i, tactic in enumerate(TACTICS):
        expected = _explain_by_loop(analysis.norm.text, coef[i], 1 << config.char_bits, 1 << config.word_bits)
        assert explainer.span(analysis, tactic) == expected
        explainer.span(other, tactic)  # another post in between: its words must not be taken for this one's
        assert explainer.span(analysis, tactic) == expected
