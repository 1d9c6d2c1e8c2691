from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from crossingwatch.detect.normalise import Normaliser

EMOJI = {"🚤": "boat", "🇬🇧": "uk", "👶": "child", "💯": "guarantee", "📞": "contact"}
N = Normaliser(EMOJI, ["whatsapp", "boat", "passports", "telegram"])


def spans(text: str) -> dict[str, str]:
    r = N.normalise(text)
    return {m.group(0): r.original_text(*m.span()) for m in regex.finditer(r"\S+", r.text)}


def test_case_folding_and_arabic_variants_and_digits() -> None:
    assert N.fold("الأطفال مجاناً ٢٠٠٠ یورو") == "الاطفال مجانا 2000 یورو"
    assert N.fold("كاليه") == N.fold("کالیه")
    assert N.fold("۱۲۳۴ ١٢٣٤") == "1234 1234"
    assert N.fold("KIDS İstanbul") == "kids istanbul"


def test_geez_numerals_become_their_value_and_map_back_whole() -> None:
    assert N.fold("፲፪፻፴፬ ፫፻፶ ፪፼፭፻ ፻") == "1234 350 20500 100"
    assert N.fold("፫ሺ፭፻ ፫ሺህ፭፻ ፫ሺ") == "3500 3500 3ሺ"  # ሺ "thousand" between two runs; alone it is a word
    assert spans("ዋጋ ፫ሺ፭፻ ብር")["3500"] == "፫ሺ፭፻"


def test_zero_width_and_bidi_controls_are_removed() -> None:
    assert N.fold("wh\u200bats\u200dapp \u202eboat\u202c") == "whatsapp boat"


def test_emojis_and_flags_map_to_words_and_back_to_the_emoji() -> None:
    found = spans("🚤 🇬🇧 tonight 👶🏽 💯")
    assert found["boat"] == "🚤"
    assert found["uk"] == "🇬🇧"
    assert found["child"] == "👶🏽"  # the skin-tone modifier stays inside the evidence
    assert found["guarantee"] == "💯"


def test_split_letters_and_numbers_are_joined_with_exact_offsets() -> None:
    found = spans("w h a t s a p p 0 7 7 . 0 0 9")
    assert found == {"whatsapp": "w h a t s a p p", "077009": "0 7 7 . 0 0 9"}


def test_dotted_letters_keep_their_word_breaks() -> None:
    found = spans("b.o.a.t t.o u.k w-h-a-t-s-a-p-p")
    assert found == {"boat": "b.o.a.t", "to": "t.o", "uk": "u.k", "whatsapp": "w-h-a-t-s-a-p-p"}
    assert N.fold("w . h . a . t . s . a . p . p") == "whatsapp"  # spaces around the dots are not breaks
    assert N.fold("0 7 7 . 0 0 9 1") == "0770091"  # a number stays one number


def test_leetspeak_only_becomes_known_words() -> None:
    assert N.fold("wh@tsapp b0at 2k 4x4") == "whatsapp boat 2k 4x4"


def test_lookalike_letters_inside_latin_words() -> None:
    found = spans("Real раssports")  # Cyrillic р and а
    assert found["passports"] == "раssports"
    assert N.fold("привет") == "привет"  # a Russian word stays Russian


def test_tanween_stays_inside_evidence() -> None:
    text = "الأطفال مجاناً"
    r = N.normalise(text)
    start = r.text.index("مجانا")
    assert r.original_text(start, start + 5) == "مجاناً"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=80))
def test_offset_map_is_total_and_monotone(text: str) -> None:
    r = N.normalise(text)
    assert len(r.starts) == len(r.ends) == len(r.text)
    for i in range(len(r.text)):
        assert 0 <= r.starts[i] < r.ends[i] <= len(text)
        if i:
            assert r.starts[i] >= r.starts[i - 1]
    for m in regex.finditer(r"\S+", r.text):
        a, b = r.span(*m.span())
        assert text[a:b] == r.original_text(*m.span())
