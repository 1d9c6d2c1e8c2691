"""Payment details in a post's text: IBANs, crypto wallet addresses and (masked) card numbers, each validated by
its own checksum so that ordinary numbers (phones, prices, dates) never match.

Belongs here: finding candidates on the normalised text, the checksums (ISO 13616 mod-97, base58check, bech32 and
bech32m, Luhn) and the canonical values `iban:GB82WEST…`, `btc:1…`/`btc:bc1…`, `eth:0x…` (lower case), `trx:T…`
and `card:<last 4>` (a card number is never kept, so cards link no posts: four digits are no identity). Not here:
the other indicators (`indicators.py`), and what payments mean for tactics (nothing: they are indicators only).

The normalised text is case-folded, but base58 addresses are case-sensitive, so a candidate's letters are read back
from the original through the offset map.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from crossingwatch.detect.indicators import Found
from crossingwatch.detect.normalise import Normalised

# ISO 13616 registry: the length of an IBAN by country (SWIFT IBAN registry); other country codes are not IBANs.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# Words for "card" near which a Luhn-valid number is a card (without one, phone numbers would collide), normalised
# as post text is (case-folded, Arabic ة → ه, ك → ک): card/mastercard, Russian карт-, Arabic بطاقة, Turkish, Persian
# and Urdu kart/کارت/کارڈ, French carte, Spanish tarjeta, Italian/Portuguese carta/cartão; never "cartel" (kartel,
# картель, کارتل), which smuggling posts name often.
CARD_WORDS = re.compile(r"card|kart(?!el)|карт(?!ел)|بطاقه|کارت(?!ل)|کارڈ|cart(?:e|a|ao)(?!l)|tarjeta")
CARD_REACH = 40  # characters between the card word and the number, either side

# Cheap pre-checks, about a microsecond each on a post (measured: the standard `re` engine scans fastest from a
# digit, and a lookbehind or an alternation at the start of a pattern would make it try every position).
_IBAN_HINT = re.compile(r"\d(?<=[a-z]{2}\d)\d")  # two letters then two digits
_LONG_HINT = re.compile(r"[0-9a-z]{26}")  # a wallet address is one long run of letters and digits
_IBAN = re.compile(r"(?<![0-9a-z])[a-z]{2}\d\d(?: ?[0-9a-z]){11,31}")
_WALLET = re.compile(r"(?<![0-9a-z])(?:0x[0-9a-f]{40}|bc1[02-9ac-hj-np-z]{8,87}|[13t][1-9a-z]{25,34})(?![0-9a-z])")
# 13-19 digits, run together or in groups of four (Amex: 4-6-5); not after "+44 " (a phone's country code).
_CARD = re.compile(r"(?<![\d+.,])(?<!\+\d )(?<!\+\d\d )(?<!\+\d\d\d )"
                   r"(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{4,5})(?!\d|[.,]\d)")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}
_BECH32M = 0x2BC830A3


def find_payments(norm: Normalised) -> list[Found]:
    """Validated payment details in a post, as `Found("payment", canonical value, start, end)` (normalised
    offsets), in text order, each value once."""
    text = norm.text
    found: list[Found] = []
    if _IBAN_HINT.search(text):
        pos = 0
        while m := _IBAN.search(text, pos):
            iban = iban_value(m.group(0))  # the candidate may run on into the next words: the IBAN is its start
            pos = m.start() + (iban[1] if iban else 1)
            if iban:
                found.append(Found("payment", f"iban:{iban[0]}", m.start(), pos))
    if _LONG_HINT.search(text):
        for m in _WALLET.finditer(text):
            wallet = wallet_value(_cased(norm, m.start(), m.end()))
            if wallet:
                found.append(Found("payment", wallet, m.start(), m.end()))
    if CARD_WORDS.search(text):
        for m in _CARD.finditer(text):
            digits = m.group(0).replace(" ", "").replace("-", "")
            near = text[max(0, m.start() - CARD_REACH):m.end() + CARD_REACH]
            if 13 <= len(digits) <= 19 and digits[0] in "234569" and luhn_ok(digits) and CARD_WORDS.search(near):
                found.append(Found("payment", card_value(digits), m.start(), m.end()))
    if len(found) < 2:
        return found
    seen: set[object] = set()
    out = []
    for f in sorted(found, key=lambda f: (f.start, -f.end)):
        if f.value not in seen:
            seen.add(f.value)
            out.append(f)
    return out


def iban_value(candidate: str) -> tuple[str, int] | None:
    """(the IBAN in capitals without spaces, its length in `candidate`) when `candidate` starts with a valid one
    that ends at a word boundary; None otherwise."""
    want = IBAN_LENGTHS.get(candidate[:2].upper())
    if want is None:
        return None
    chars: list[str] = []
    end = 0
    for c in candidate:
        end += 1
        if c != " ":
            chars.append(c)
            if len(chars) == want:
                break
    if len(chars) < want or (end < len(candidate) and candidate[end] != " "):
        return None  # too short, or the run of letters and digits goes on: part of something longer
    iban = "".join(chars).upper()
    return (iban, end) if iban_ok(iban) else None


def iban_ok(iban: str) -> bool:
    """ISO 13616: the first four characters moved to the end, letters as 10..35, the number mod 97 is 1."""
    if not iban.isascii() or not iban.isalnum() or len(iban) != IBAN_LENGTHS.get(iban[:2], -1):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def wallet_value(address: str) -> str | None:
    """`eth:0x…`, `btc:…` or `trx:T…` for a valid address (checksums verified), else None."""
    lower = address.lower()
    if lower.startswith("0x"):
        return f"eth:{lower}" if len(lower) == 42 else None
    if lower.startswith("bc1"):
        return f"btc:{lower}" if address in (lower, address.upper()) and segwit_ok(lower) else None
    payload = base58check(address)
    if payload is None or len(payload) != 21:
        return None
    if payload[0] in (0x00, 0x05) and address[0] in "13":
        return f"btc:{address}"
    if payload[0] == 0x41 and address[0] == "T" and len(address) == 34:
        return f"trx:{address}"
    return None


def base58check(s: str) -> bytes | None:
    """The payload of a base58check string (version byte + data), or None when a character or the checksum is
    wrong."""
    n = 0
    for c in s:
        i = _B58_INDEX.get(c)
        if i is None:
            return None
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(s) - len(s.lstrip("1"))) + raw  # each leading "1" is a zero byte
    if len(raw) < 5:
        return None
    payload, check = raw[:-4], raw[-4:]
    return payload if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == check else None


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def segwit_ok(address: str) -> bool:
    """BIP 173 / BIP 350: a `bc1` address with a valid bech32 (witness v0) or bech32m (v1+) checksum and a
    witness program of an allowed length."""
    hrp, _, data = address.rpartition("1")
    if hrp != "bc" or len(data) < 7 or any(c not in _BECH32_INDEX for c in data):
        return False
    values = [_BECH32_INDEX[c] for c in data]
    version = values[0]
    const = _polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values)
    if version > 16 or const != (1 if version == 0 else _BECH32M):
        return False
    acc, bits, program = 0, 0, []
    for v in values[1:-6]:
        acc, bits = (acc << 5) | v, bits + 5
        while bits >= 8:
            bits -= 8
            program.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc << (8 - bits)) & 0xFF:
        return False  # padding longer than 4 bits or not zero
    return 2 <= len(program) <= 40 and (version != 0 or len(program) in (20, 32))


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def card_value(digits: str) -> str:
    """Only the last four digits. Not even a hash of the number: card numbers are so structured (published issuer
    prefixes, the Luhn digit) that an unkeyed hash with the last four digits is brute-forced in minutes."""
    return f"card:{digits[-4:]}"


def _cased(norm: Normalised, start: int, end: int) -> str:
    """The normalised characters [start, end) with the letter case of the original where a character maps one to
    one (base58 is case-sensitive; normalisation folded it)."""
    out = []
    for i in range(start, end):
        a, b = norm.starts[i], norm.ends[i]
        o = unicodedata.normalize("NFKC", norm.original[a:b]) if b - a == 1 else ""
        out.append(o if len(o) == 1 and o.casefold() == norm.text[i] else norm.text[i])
    return "".join(out)
