"""Augmentation: the evasions the normaliser undoes, applied to training posts so the model sees them.

Each function takes a text and a `random.Random` and returns a variant (possibly unchanged). Augmented copies
are marked by the caller and never counted as hand-written.
"""

from __future__ import annotations

import random

import regex

_EMOJI_FOR = {
    "boat": "🚤", "boats": "🚤", "bateau": "🚤", "barco": "🚤", "lancha": "🚤", "tekne": "🛥", "varka": "🚤",
    "uk": "🇬🇧", "england": "🇬🇧", "london": "🇬🇧", "angleterre": "🇬🇧", "italy": "🇮🇹", "italia": "🇮🇹",
    "greece": "🇬🇷", "germany": "🇩🇪", "usa": "🇺🇸", "kids": "👶", "children": "👶", "child": "👶",
    "enfants": "👶", "niños": "👶", "guaranteed": "💯", "guarantee": "💯", "100%": "💯", "call": "📞",
    "whatsapp": "📞", "contact": "📞", "passport": "🛂", "passports": "🛂", "documents": "🛂", "papers": "🛂",
    "flight": "✈️", "money": "💰", "lorry": "🚛", "truck": "🚛", "car": "🚗", "free": "🆓",
}
_LEET = {"a": "@", "o": "0", "e": "3", "i": "1", "s": "$"}
_LOOKALIKE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_WORD = regex.compile(r"\b\w+\b|100%")
_DIGITS = regex.compile(r"\d{4,}")
_ARABIC_SCRIPT = regex.compile(r"\p{Arabic}")


def emoji_swap(text: str, rng: random.Random) -> str:
    return _WORD.sub(lambda m: _EMOJI_FOR[m.group(0).lower()] if m.group(0).lower() in _EMOJI_FOR
                     and rng.random() < 0.7 else m.group(0), text)


def leetspeak(text: str, rng: random.Random) -> str:
    def one(m: regex.Match[str]) -> str:
        w = m.group(0)
        if len(w) < 4 or not w.isascii() or rng.random() > 0.35:
            return w
        return "".join(_LEET.get(c, c) if rng.random() < 0.5 else c for c in w)
    return _WORD.sub(one, text)


def lookalikes(text: str, rng: random.Random) -> str:
    return "".join(_LOOKALIKE.get(c, c) if c in _LOOKALIKE and rng.random() < 0.25 else c for c in text)


def spacing(text: str, rng: random.Random) -> str:
    """Split numbers and a few long words into spaced or dotted letters."""
    sep = rng.choice([" ", ".", " . ", "-"])
    text = _DIGITS.sub(lambda m: sep.join(m.group(0)), text)

    def one(m: regex.Match[str]) -> str:
        w = m.group(0)
        return " ".join(w) if w.lower() in ("whatsapp", "telegram", "passport", "boat", "viber", "signal") else w
    return _WORD.sub(one, text)


def native_digits(text: str, rng: random.Random) -> str:
    base = 0x06F0 if rng.random() < 0.5 else 0x0660
    return "".join(chr(base + int(c)) if c.isdigit() and c.isascii() else c for c in text)


EVASIONS = {"emoji": emoji_swap, "leet": leetspeak, "homoglyph": lookalikes, "spacing": spacing,
            "digits_native": native_digits}


def augment(text: str, rng: random.Random) -> tuple[str, list[str]]:
    """One variant with one or two evasions that suit the script; returns the text and the evasions used."""
    choices = ["emoji", "spacing"]
    if _ARABIC_SCRIPT.search(text):
        choices.append("digits_native")
    elif text.isascii() or regex.search(r"[a-zA-Z]{3}", text):
        choices += ["leet", "homoglyph"]
    picked = rng.sample(choices, k=min(len(choices), rng.choice([1, 1, 2])))
    for name in picked:
        text = EVASIONS[name](text, rng)
    return text, picked
