from __future__ import annotations

import pytest

from crossingwatch.detect.indicators import parse_amount
from crossingwatch.runtime import Runtime


@pytest.fixture(scope="module")
def analyser(session_runtime: Runtime):  # type: ignore[no-untyped-def]
    from crossingwatch.detect.pipeline import TextAnalyser

    return TextAnalyser(session_runtime.resources)


def found(analyser, text: str, kind: str, lang: str = "en") -> list:  # type: ignore[no-untyped-def]
    a = analyser.analyse(text, lang=lang)
    return [(f.value, a.norm.original_text(f.start, f.end)) for f in a.found if f.kind == kind]


def test_phone_numbers_in_e164_with_their_spans(analyser) -> None:  # type: ignore[no-untyped-def]
    assert found(analyser, "whatsapp +44 7700 900417 now", "phone") == [("+447700900417", "+44 7700 900417")]
    assert found(analyser, "Wh@tsApp + 4 4 7 7 0 0 9 0 0 8 2 3", "phone")[0][0] == "+447700900823"
    # A national number takes its region from the language (French here).
    assert found(analyser, "appelez le 06 39 98 12 34", "phone", lang="fr")[0][0] == "+33639981234"


def test_native_digit_phone(analyser) -> None:  # type: ignore[no-untyped-def]
    assert found(analyser, "واتساب ٠٠٤٤٧٧٠٠٩٠٠١٢٣", "phone", lang="ar")[0][0] == "+447700900123"


def test_handles_and_links(analyser) -> None:  # type: ignore[no-untyped-def]
    text = "Telegram @Boat_UK or https://t.me/ukroad_ali2 and wa.me/447700900123. mail a@b.com"
    assert [v for v, _ in found(analyser, text, "handle")] == ["@boat_uk", "@ukroad_ali2"]
    assert [s for _, s in found(analyser, text, "link")] == ["https://t.me/ukroad_ali2", "wa.me/447700900123"]


@pytest.mark.parametrize(("text", "amount", "currency", "lang"), [
    ("£1500 per head", 1500, "GBP", "en"),
    ("1.500€ each", 1500, "EUR", "fr"),
    ("only 1500 euro", 1500, "EUR", "en"),
    ("۲۰۰۰ پوند", 2000, "GBP", "fa"),
    ("2 bin euro", 2000, "EUR", "tr"),
    ("1.5k all in", 1500, None, "en"),
    ("$6,500 adult", 6500, "USD", "en"),
    ("٤٥٠٠ دولار", 4500, "USD", "ar"),
    ("taman 25000 dh", 25000, "MAD", "ar"),
    ("5000dt lel ras", 5000, "TND", "ar"),
    ("Sirf 5 lakh", 500000, None, "ur"),
    ("الثمن 3 ملايين", 3000000, None, "ar"),
    ("1200 per person", 1200, None, "en"),  # a bare amount next to a price word
])
def test_prices(analyser, text: str, amount: float, currency: str | None, lang: str) -> None:  # type: ignore[no-untyped-def]
    prices = [v for v, _ in found(analyser, text, "price", lang)]
    assert prices and prices[0].amount == amount and prices[0].currency == currency, prices


def test_no_price_in_plain_numbers_or_years(analyser) -> None:  # type: ignore[no-untyped-def]
    assert found(analyser, "In 2024, 25 people crossed", "price") == []


def test_places_from_the_gazetteer(analyser) -> None:  # type: ignore[no-untyped-def]
    names = [v.name for v, _ in found(analyser, "from Dunkerque to Dover", "place")]
    assert "Dunkirk" in names and "Dover" in names


@pytest.mark.parametrize(("raw", "value"), [("1.500", 1500), ("1,500", 1500), ("1.5", 1.5), ("2 500", 2500),
                                            ("1.234.567", 1234567), ("12", 12), ("1,5", 1.5)])
def test_parse_amount(raw: str, value: float) -> None:
    assert parse_amount(raw) == value


def test_bare_numbers_need_a_price_word_and_are_not_years(analyser) -> None:  # type: ignore[no-untyped-def]
    assert found(analyser, "we were 1200 people on the beach", "price") == []
    assert found(analyser, "per person since 2019", "price") == []


def test_a_destination_after_from_is_a_departure(analyser) -> None:  # type: ignore[no-untyped-def]
    def roles(text: str) -> dict[str, str]:
        a = analyser.analyse(text, lang="en")
        return {f.value.name: f.value.role for f in a.found if f.kind == "place"}

    assert roles("bus from London to Paris")["London"] == "departure"
    assert roles("flights to London")["London"] != "departure"
