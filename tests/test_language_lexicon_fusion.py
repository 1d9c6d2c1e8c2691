"""Language identification, lexicon loading and fusion, each on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from crossingwatch.core import Post
from crossingwatch.core.errors import ConfigError
from crossingwatch.detect.fusion import Analysis, choose_label, fuse
from crossingwatch.detect.lexicon import Lexicon, Term
from crossingwatch.detect.matching import PhraseMatcher, leading_literals
from crossingwatch.detect.normalise import Normaliser
from crossingwatch.resources import load_terms

SENTENCES = {
    "en": "Anyone know a reliable driver who can take my brother across next week?",
    "fr": "Bonjour à tous, quelqu'un connaît un passeur sérieux pour traverser la Manche ?",
    "es": "Buenas, alguien conoce a un coyote de confianza para cruzar a Estados Unidos?",
    "ar": "السلام عليكم، هل يعرف أحد مهرباً موثوقاً للسفر إلى إيطاليا من ليبيا؟",
    "fa": "سلام دوستان، کسی قاچاقچی مطمئن برای رفتن از ترکیه به یونان می‌شناسد؟",
    "ckb": "کەس قاچاخچییەکی باش دەناسێت بۆ ئینگلتەرا؟ ئێستا لە فەرەنسام",
    "ps": "څوک پوهېږي چې له ایرانه ترکیې ته د تګ لپاره باوري قاچاقبر څوک دی؟",
    "ur": "کوئی بھائی اچھا ایجنٹ جانتا ہے جو یونان بھیج سکے؟ مجھے رابطہ نمبر چاہیے",
    "tr": "Merhaba arkadaşlar, Yunanistan'a güvenilir bir geçiş için kimi tanıyorsunuz?",
    "sq": "Përshëndetje, a njeh dikush ndonjë mënyrë të sigurt për të shkuar në Angli?",
    "vi": "Có ai biết chỗ nào đưa người sang Anh uy tín không ạ, em đang ở Pháp",
    "am": "ወደ አውሮፓ ለመሄድ የሚረዳኝ ታማኝ ደላላ የምታውቁ ካላችሁ ንገሩኝ",
    "so": "Walaalayaal ma jiraa qof aad taqaanniin oo Liibiya naga gudbiya? Lacagta waan haynaa",
    "kmr": "Hevalno, kes rêyeke ewle ji bo çûna Almanyayê nas dike? Ez niha li Tirkiyê me",
}


@pytest.mark.parametrize(("lang", "text"), sorted(SENTENCES.items()))
def test_language_identification_in_our_languages(detector, lang: str, text: str) -> None:  # type: ignore[no-untyped-def]
    [a] = detector.assess([Post(id="x", text=text)])
    assert a.lang == lang


def test_language_hint_is_used_only_without_letters(detector) -> None:  # type: ignore[no-untyped-def]
    [a] = detector.assess([Post(id="x", text="🚤🇬🇧 1500", lang_hint="ckb")])
    assert a.lang == "ckb"
    [b] = detector.assess([Post(id="y", text=SENTENCES["fr"], lang_hint="en")])
    assert b.lang == "fr"


def test_lexicon_rows_name_file_and_line_when_wrong(tmp_path: Path) -> None:
    (tmp_path / "xx.tsv").write_text("pattern\ttactic\tweight\tnote\nboat\tcrossing\t0.5\tok\nkids\tfreebie\t0.5\t\n",
                                     "utf-8")
    terms = load_terms(tmp_path)
    with pytest.raises(ConfigError, match=r"xx.tsv:3: field 'tactic'"):
        Lexicon(terms, Normaliser())
    (tmp_path / "xx.tsv").write_text("pattern\ttactic\tweight\nboat\tcrossing\tlots\n", "utf-8")
    with pytest.raises(ConfigError, match=r"xx.tsv:2: field 'weight'"):
        load_terms(tmp_path)
    (tmp_path / "xx.tsv").write_text("pattern\ttactic\tweight\nre:(unclosed\tcrossing\t0.5\n", "utf-8")
    with pytest.raises(ConfigError, match=r"xx.tsv:2: field 'pattern': bad regular expression"):
        Lexicon(load_terms(tmp_path), Normaliser())


def test_an_analyst_row_is_matched_in_any_spelling() -> None:
    n = Normaliser({"👶": "child"})
    lex = Lexicon([Term("الأطفال مجاناً", "child_free", 0.9, where="t:2"), Term("garanti*", "safe_passage_claim", 0.6),
                   Term("*ሊቢያ", "departure", 0.5)], n)
    found = {h.term.tactic for h in lex.find(n.fold("والاطفال مجانا GARANTİLİ geçiş ከሊቢያ"))}
    assert found == {"child_free", "safe_passage_claim", "departure"}


def test_benign_posts_have_no_tactics_and_tactics_need_evidence() -> None:
    n = Normaliser()
    text = "kids free and whatsapp"
    norm = n.normalise(text)
    lex = Lexicon([Term("kids free", "child_free", 0.9)], n)
    analysis = Analysis(norm, "en", lex.find(norm.text), [], [])
    benign = fuse("1", analysis, {"advert": 0.2, "seeking": 0.1, "benign": 0.7}, {}, {"advert": 0.5}, "t")
    assert benign.label == "benign" and benign.tactics == () and benign.evidence == ()
    scores = {"advert": 0.9, "seeking": 0.0, "benign": 0.1}
    advert = fuse("1", analysis, scores, {"contact": 0.99}, {"advert": 0.5}, "t")
    assert advert.tactics == ("child_free",)  # the tactic model's "contact" has no span, so it is not claimed
    assert [(e.start, e.end, e.text) for e in advert.evidence] == [(0, 9, "kids free")]


def test_choose_label_respects_thresholds() -> None:
    assert choose_label({"advert": 0.6, "seeking": 0.3, "benign": 0.1}, {"advert": 0.7, "seeking": 0.25}) == "seeking"
    assert choose_label({"advert": 0.6, "seeking": 0.3, "benign": 0.1}, {"advert": 0.7, "seeking": 0.7}) == "benign"


def test_proximity_rows_join_pieces_in_order_within_the_window() -> None:
    n = Normaliser()
    lex = Lexicon([Term("kids ... dont pay", "child_free", 0.8), Term("pay ... arrive*", "payment_guarantee", 0.8)], n)

    def found(text: str) -> list[tuple[str, str]]:
        norm = n.normalise(text)
        return [(h.term.tactic, norm.original_text(h.start, h.end)) for h in lex.find(norm.text)]

    assert found("kids under 10 dont pay") == [("child_free", "kids under 10 dont pay")]
    assert found("You pay when they ARRIVE at your house") == [("payment_guarantee", "pay when they ARRIVE")]
    assert found("dont pay for the kids") == []  # wrong order
    assert found("kids " + "x" * 70 + " dont pay") == []  # too far apart


@pytest.mark.parametrize(("pattern", "literals"), [
    (r"\b(kids?|children)\s*\d+", ("kid", "children")),
    (r"(?<!\w)(bla|bala) (visa|papiers)", ("bla", "bala")),
    (r"(?:no|zero) police", ("no", "zero")),
    (r"ab+c", ("ab",)),
    (r"abc|def", ()),  # a top-level alternative: no common start
    (r"(a|b)?c", ()),  # the group is optional
    (r"[ab]c", ()), (r"\d+ euro", ()), (r"(?i)foo", ()), (r"x*y", ()), (r"(a(b)|c)d", ()),
])
def test_a_pattern_is_tried_only_where_its_leading_literal_is(pattern: str, literals: tuple[str, ...]) -> None:
    assert leading_literals(pattern) == literals


PATTERNS = [r"\b(kids?|children)\s*\d+", r"(?:no|zero) police", r"ab+c", r"(?<!\w)(bla|bala) (visa|papiers)", r"abc|bc"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abckidsrenoztplvsbla0123 |", max_size=60))
def test_the_literal_prefilter_never_changes_what_a_pattern_finds(text: str) -> None:
    matcher = PhraseMatcher([("re:" + p, p) for p in PATTERNS])
    expected = [(m.start(), m.end(), p) for p in PATTERNS for m in regex.finditer(p, text) if m.end() > m.start()]
    assert sorted(matcher.find(text)) == sorted(expected)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab é٣3@#:/.w h\nttpسلام")), max_size=40))
def test_letters_only_fast_path_drops_what_the_word_filter_drops(text: str) -> None:
    """Posts with no digit, link or handle skip the word-by-word filter: the result must be the same."""
    from crossingwatch.detect.language import _DIGIT, _LINKS_AND_HANDLES, _NON_LETTERS, _letters_only

    kept = [w for w in text.split() if w.isalpha() or not (w.startswith(_LINKS_AND_HANDLES) or _DIGIT.search(w))]
    assert _letters_only(text) == _NON_LETTERS.sub(" ", " ".join(kept)).strip()
