from __future__ import annotations

import pytest

from crossingwatch.detect.fusion import indicators_of
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
    ("ዋጋ ፫ሺ፭፻ ብር", 3500, "ETB", "am"),  # Ge'ez numerals: 3 thousand 500
    ("፲፪፻ ዶላር", 1200, "USD", "ti"),  # twelve hundreds
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


# Payment details -----------------------------------------------------------------------------------------------------
def payments(analyser, text: str, lang: str = "en") -> list[str]:  # type: ignore[no-untyped-def]
    return list(indicators_of(analyser.analyse(text, lang=lang)).payments)


def _iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits, computed here by ISO 13616 (not by the code under test)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _luhn_complete(body: str) -> str:
    for last in "0123456789":
        n = body + last
        if sum(int(c) if i % 2 == 0 else sum(divmod(int(c) * 2, 10)) for i, c in enumerate(reversed(n))) % 10 == 0:
            return n
    raise AssertionError


def _other_check(iban: str) -> str:
    return iban[:2] + f"{(int(iban[2:4]) + 1) % 100:02d}" + iban[4:]


def test_ibans_need_the_mod97_check_and_the_country_length(analyser) -> None:  # type: ignore[no-untyped-def]
    assert payments(analyser, "Pay to IBAN GB82 WEST 1234 5698 7654 32, then whatsapp") == [
        "iban:GB82WEST12345698765432"]
    de = _iban("DE", "370400440532013000")
    tr = _iban("TR", "0006100519786457841326")
    assert de == "DE89370400440532013000"  # the helper agrees with the published example
    assert payments(analyser, f"hesap {tr.lower()} ve {de}", "tr") == [f"iban:{tr}", f"iban:{de}"]
    assert payments(analyser, f"iban {_other_check(tr)}") == []  # a wrong check digit
    assert payments(analyser, f"iban {de}7") == []  # one character too many for Germany: part of something else
    assert payments(analyser, f"iban {_iban('ZZ', '370400440532013000')}") == []  # no such IBAN country


def test_wallets_need_their_checksums(analyser) -> None:  # type: ignore[no-untyped-def]
    text = ("BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy or "
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4, taproot "
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0 bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs; "
            "USDT TRC20 TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t "
            "ERC20 0xdAC17F958D2ee523a2206206994597C13D831ec7")
    assert payments(analyser, text) == [
        "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "btc:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "btc:bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "eth:0xdac17f958d2ee523a2206206994597c13d831ec7"]
    broken = ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # last character changed: base58check fails
              "1a1zp1ep5qgefi2dmptftl5slmv7divfna",  # case lost: base58 is case-sensitive
              "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # bech32 checksum
              "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # mixed case is invalid bech32
              # BIP 350's invalid vectors: v1 with a bech32 checksum, v0 with a bech32m one
              "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
              "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
              "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "0xdAC17F958D2ee523a2206206994597C13D831ec")
    for address in broken:
        assert payments(analyser, f"send to {address} now") == [], address


def test_cards_only_with_a_card_word_and_only_masked(analyser) -> None:  # type: ignore[no-untyped-def]
    number = _luhn_complete("451234567890123")
    spaced = " ".join(number[i:i + 4] for i in range(0, 16, 4))
    for text, lang in ((f"pay by card {spaced} before the trip", "en"), (f"ادفع على البطاقة {number}", "ar"),
                       (f"kartıma {number} gönder", "tr"), (f"tarjeta {spaced}", "es")):
        ind = indicators_of(analyser.analyse(text, lang=lang))
        assert ind.payments == (f"card:{number[-4:]}",), text
        assert number not in str(ind.to_dict()) and number[:12] not in str(ind.to_dict()), text  # never in full
    assert payments(analyser, f"pay {spaced} before the trip") == []  # no card word: could be anything
    assert payments(analyser, f"card {spaced[:-1]}{(int(number[-1]) + 1) % 10}") == []  # Luhn fails
    assert payments(analyser, f"Kartel {spaced}", "tr") == []  # a cartel is no card


@pytest.mark.parametrize("text", [
    "whatsapp +44 7700 900417 or 00447700900417 card accepted",
    "call 0033639981234 or +33 6 39 98 12 34, carte bancaire ok",
    "price 4500 euro, 2 bin, 1.500€ each, card 2024-2025, trip 12/05/2026",
    "bank transfer only, iban on whatsapp +905321234567",
    "kart 5321 234 56 78",
    "order 1234567890123 tracking 123456789012345678",
    "We were 1200 people, 25 crossed in 2024",
])
def test_phones_prices_and_plain_numbers_are_never_payments(analyser, text: str) -> None:  # type: ignore[no-untyped-def]
    assert payments(analyser, text) == []


def test_payments_stay_out_of_the_prediction_unless_found(analyser) -> None:  # type: ignore[no-untyped-def]
    from crossingwatch.core import Indicators

    assert "payments" not in Indicators(phones=("+447700900417",)).to_dict()
    assert Indicators(payments=("iban:GB82WEST12345698765432",)).to_dict()["payments"] == [
        "iban:GB82WEST12345698765432"]
