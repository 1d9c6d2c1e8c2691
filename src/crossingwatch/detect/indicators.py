"""Indicators: phone numbers (E.164), messaging handles and links, prices with currency, places.

Everything is found on the normalised text (digits already ASCII, split numbers joined) and reported with
normalised offsets; the caller maps them back to the original text. Payment details (IBANs, wallets, cards) are in
`payments.py`: they need the original's letter case and are indicators only, not model features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import phonenumbers
import regex

from crossingwatch.core import Price
from crossingwatch.detect.matching import PhraseMatcher
from crossingwatch.detect.normalise import Normaliser

# The region a national-format number most likely belongs to, by the post's language.
LANG_REGION = {
    "en": "GB", "fr": "FR", "es": "MX", "tr": "TR", "ar": "LY", "fa": "IR", "ps": "AF", "ur": "PK",
    "sq": "AL", "vi": "VN", "ckb": "IQ", "kmr": "TR", "so": "SO", "am": "ET", "ti": "ER",
}

_ANY_DIGIT = regex.compile(r"\d")
_GROUP_SEPARATOR = regex.compile(r"[.,]")
_DIGITS = regex.compile(r"\d(?:[\s().\-]*\d){7,}")  # 8 digits at least: shorter runs are never kept as phones
_HANDLE = regex.compile(r"(?<![\w@.])@([a-z0-9_](?:[a-z0-9_.]{1,30}[a-z0-9_]))(?![\w@])")
_MESSENGER_HANDLE = regex.compile(
    r"\b(?:telegram|telegr[a-z]*|tg|signal|viber|insta(?:gram)?|snap(?:chat)?|tiktok|imo)\s*[:=\-]\s*@?"
    r"([a-z][a-z0-9_.]{3,31})\b"
)
_LINK = regex.compile(
    r"(?:https?://|www\.)[^\s<>\"'()]+"
    r"|\b(?:t\.me|telegram\.me|wa\.me|chat\.whatsapp\.com|signal\.me|signal\.group|invite\.viber\.com|viber\.me"
    r"|instagram\.com|tiktok\.com|facebook\.com|fb\.com|m\.me|x\.com|twitter\.com)/[^\s<>\"'()]+"
)
_TME = regex.compile(r"(?:t\.me|telegram\.me)/(?!\+|joinchat)([a-z0-9_]{4,32})")
_NUM = r"\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country: str
    role: str  # departure | destination | transit | border
    route: str


@dataclass(frozen=True, slots=True)
class Found:
    kind: str  # phone | handle | link | price | place
    value: object  # str, Price or Place
    start: int
    end: int


class IndicatorExtractor:
    def __init__(
        self,
        normaliser: Normaliser,
        currencies: Mapping[str, str],
        multipliers: Mapping[str, float],
        places: Sequence[tuple[str, Place]],
        from_words: Sequence[str] = (),
    ) -> None:
        self._currencies = {normaliser.fold(k): v for k, v in currencies.items() if normaliser.fold(k)}
        self._multipliers = {normaliser.fold(k): f for k, f in multipliers.items() if normaliser.fold(k)}
        cur = "|".join(regex.escape(c) for c in sorted(self._currencies, key=len, reverse=True))
        mult = "|".join(regex.escape(m) for m in sorted(self._multipliers, key=len, reverse=True))
        edge = r"(?![\p{L}\p{N}])"
        # A price is a number with a currency before or after it, or a multiplier after it ("2 bin", "5 lakh").
        self._number = regex.compile(rf"(?<![\p{{L}}\p{{N}}.,])(?:{_NUM})")
        self._after = regex.compile(rf"(?:\s?(?P<m>{mult}){edge})?(?:\s?(?P<c>{cur}){edge})?")
        self._before = regex.compile(rf"(?P<c>{cur})\s?\Z")
        self._after_starts = {w[0] for w in (*self._currencies, *self._multipliers)}
        self._currency_ends = {c[-1] for c in self._currencies}  # a currency before a number ends with one of these
        self._places = PhraseMatcher([(normaliser.fold(alias), place) for alias, place in places if alias])
        self._from = PhraseMatcher([(normaliser.fold(w), w) for w in from_words if normaliser.fold(w)])

    def extract(self, text: str, lang: str = "und") -> list[Found]:
        found: list[Found] = []
        places = self._departures([Found("place", place, start, end) for start, end, place in self._places.find(text)],
                                  text)
        found.extend(places)
        found.extend(self._links_and_handles(text))
        phones = self._phones(text, lang, places)
        found.extend(phones)
        taken = [(f.start, f.end) for f in phones]
        found.extend(p for p in self._prices(text) if not _overlaps(p.start, p.end, taken))
        found.sort(key=lambda f: (f.start, -f.end))
        return found

    def _departures(self, places: list[Found], text: str) -> list[Found]:
        """A destination named right after "from" ("from Belgium", "من ليبيا", "nga Franca") is where a trip starts."""
        if not places:
            return places
        ends = [end for _, end, _ in self._from.find(text)]
        out = []
        for f in places:
            if isinstance(f.value, Place) and f.value.role not in ("departure", "transit", "border") and any(
                    0 <= f.start - end <= 5 for end in ends):
                f = Found("place", replace(f.value, role="departure"), f.start, f.end)
            out.append(f)
        return out

    def _links_and_handles(self, text: str) -> list[Found]:
        out: list[Found] = []
        if "@" in text:
            for m in _HANDLE.finditer(text):
                out.append(Found("handle", "@" + m.group(1).rstrip("."), m.start(), m.end()))
        if ":" in text or "=" in text or "-" in text:  # "telegram: name" needs one of these after the app's name
            for m in _MESSENGER_HANDLE.finditer(text):
                out.append(Found("handle", "@" + m.group(1).rstrip("."), m.start(1), m.end(1)))
        if "/" in text or "www." in text:  # every link the pattern takes has one or the other
            for m in _LINK.finditer(text):
                end = m.end()
                while end > m.start() and text[end - 1] in ".,;:!?)]}":
                    end -= 1
                out.append(Found("link", "", m.start(), end))
                tme = _TME.search(text, m.start(), end)
                if tme:
                    out.append(Found("handle", "@" + tme.group(1), tme.start(1), tme.end(1)))
        return out

    def _phones(self, text: str, lang: str, places: list[Found]) -> list[Found]:
        # The matcher runs only on windows around runs of 8 digits or more, not on the whole post: it tries to parse
        # every number it meets (prices, years), which is most of its cost, and it never keeps a shorter run.
        windows = _windows(text)
        if not windows:
            return []
        # The region for numbers written without a country code: the first place's country, else the language's.
        region = LANG_REGION.get(lang, "GB")
        for p in places:
            country = p.value.country if isinstance(p.value, Place) else ""
            if len(country) == 2:
                region = country
                break
        out: list[Found] = []
        seen: set[str] = set()
        for a, b in windows:
            for m in phonenumbers.PhoneNumberMatcher(text[a:b], region, leniency=phonenumbers.Leniency.POSSIBLE):
                e164 = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
                if sum(ch.isdigit() for ch in m.raw_string) < 8 or e164 in seen:
                    continue
                seen.add(e164)
                out.append(Found("phone", e164, a + m.start, a + m.end))
        return out

    def _prices(self, text: str) -> list[Found]:
        if not _ANY_DIGIT.search(text):
            return []
        out: list[Found] = []
        for m in self._number.finditer(text):
            begin, stop = m.span()
            # Most numbers have no word after them that could be a multiplier or currency: skip the long pattern.
            nxt = text[stop + 1:stop + 2] if text[stop:stop + 1].isspace() else text[stop:stop + 1]
            after = self._after.match(text, stop) if nxt and nxt in self._after_starts else None
            mult, cur = (after.group("m"), after.group("c")) if after else (None, None)
            if mult or cur:
                stop = after.end()
            if not cur and begin > 0 and (text[begin - 1] in self._currency_ends or (
                    begin > 1 and text[begin - 1].isspace() and text[begin - 2] in self._currency_ends)):
                before = self._before.search(text, max(0, begin - 16), begin)
                if before:
                    cur, begin = before.group("c"), before.start()
            if not (cur or mult):
                continue
            amount = parse_amount(m.group(0))
            if amount is None:
                continue
            if mult:
                amount *= self._multipliers.get(mult, 1000.0)
            if amount <= 0 or amount > 10_000_000:
                continue
            out.append(Found("price", Price(round(amount, 2), self._currencies.get(cur) if cur else None), begin, stop))
        return out


_WINDOW_MARGIN = 12  # enough for a "+", "(0)" or "tel:" before a run, and for the matcher's look at its neighbours


def _windows(text: str) -> list[tuple[int, int]]:
    """Stretches of `text` around its runs of 8 or more digits, overlapping ones merged."""
    out: list[tuple[int, int]] = []
    for m in _DIGITS.finditer(text):
        a, b = max(0, m.start() - _WINDOW_MARGIN), min(len(text), m.end() + _WINDOW_MARGIN)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


_BARE_AMOUNT = regex.compile(r"(?<![\p{L}\p{N}.,+])(\d{1,3}(?:[.,' ]\d{3})+|\d{3,7})(?![\p{L}\p{N}]|[.,]\d)")


def amounts_near(text: str, cues: list[tuple[int, int]], taken: list[tuple[int, int]],
                 reach: int = 30) -> list[Found]:
    """Bare amounts ("4,500 and you pay", "1200 each") within `reach` characters of a price word, as prices with
    no currency. Years and anything already taken (a phone number) are left alone."""
    out: list[Found] = []
    for m in _BARE_AMOUNT.finditer(text):
        if _overlaps(m.start(), m.end(), taken):
            continue
        if not any(m.start() - reach <= b and a <= m.end() + reach for a, b in cues):
            continue
        amount = parse_amount(m.group(1))
        if amount is None or amount < 100 or (1900 <= amount <= 2100 and "," not in m.group(1)):
            continue
        out.append(Found("price", Price(amount, None), m.start(), m.end()))
    return out


def parse_amount(num: str) -> float | None:
    """'1.500' and '1,500' are fifteen hundred; '1.5' and '1,5' one and a half; '2 500' two thousand five hundred."""
    s = num.strip().replace("'", "").replace(" ", "")
    if not s:
        return None
    groups = _GROUP_SEPARATOR.split(s)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) > 2 and all(len(g) == 3 for g in groups[1:-1]):
        return float("".join(groups[:-1]) + "." + groups[-1])
    if len(groups) == 2:
        return float(groups[0] + "." + groups[1])
    try:
        return float(s)
    except ValueError:
        return None


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)
