"""A campaign's template, presented the way InfoShield (Lee et al., ICDE 2021) presents its clusters: the phrases
every copy shares, and the slots between them whose contents vary (a phone number, a price, a date).

The copies are aligned to the medoid copy (the one sharing most words with the others) word by word
(`difflib`); a medoid word found in at least `share` of the copies is constant, and what each copy has between two
consecutive constant words is that slot's value for the copy. Pure computation on a sample of the texts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

_PHONE = re.compile(r"^\+?[\d\s().\-]{7,}$")
_PRICE = re.compile(r"[€$£¥₺₹]|\b(?:eur|euro|euros|usd|gbp|dollars?|pounds?|lira|dinars?|toman)\b|\d+\s*k\b", re.I)
_DATE = re.compile(r"\b\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?\b|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.I)
_HANDLE = re.compile(r"^@\w|t\.me/|wa\.me/|https?://", re.I)
_NUMBER = re.compile(r"^\d[\d.,\s]*$")
_NUMERIC = re.compile(r"^\+?[\d().\-]*\d[\d().\-]*$")


@dataclass(frozen=True, slots=True)
class Slot:
    after: int  # how many phrases come before it
    kind: str  # phone | handle | price | date | number | text
    values: tuple[tuple[str, int], ...]  # the most common contents, with how many copies have each

    def to_dict(self) -> dict[str, Any]:
        return {"after": self.after, "kind": self.kind, "values": [{"value": v, "copies": n} for v, n in self.values]}


@dataclass(frozen=True, slots=True)
class Template:
    phrases: tuple[str, ...]
    slots: tuple[Slot, ...]
    copies: int  # how many texts the template was made from

    def text(self) -> str:
        """The template as one line: phrases with `[kind]` where the slots are."""
        parts: list[str] = []
        slots = {s.after: s for s in self.slots}
        for i in range(len(self.phrases) + 1):
            if i in slots:
                parts.append(f"[{slots[i].kind}]")
            if i < len(self.phrases):
                parts.append(self.phrases[i])
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"template": self.text(), "phrases": list(self.phrases), "slots": [s.to_dict() for s in self.slots],
                "copies": self.copies}


def slot_kind(values: Sequence[str]) -> str:
    def share(pattern: re.Pattern[str]) -> float:
        return sum(1 for v in values if pattern.search(v)) / max(len(values), 1)

    kinds = (("phone", _PHONE), ("handle", _HANDLE), ("price", _PRICE), ("date", _DATE), ("number", _NUMBER))
    for kind, pattern in kinds:
        if share(pattern) >= 0.5:
            return kind
    return "text"


def _medoid(tokens: list[list[str]]) -> int:
    sets = [set(t) for t in tokens]
    return max(range(len(sets)), key=lambda i: (sum(len(sets[i] & s) / (len(sets[i] | s) or 1) for s in sets), -i))


def build_template(texts: Sequence[str], share: float = 0.6, top: int = 5) -> Template:
    """The template of near-copies (give a sample: alignment is quadratic in a text's words)."""
    raw = [t.split() for t in texts if t.strip()]
    if not raw:
        return Template((), (), 0)
    folded = [[w.casefold() for w in t] for t in raw]
    m = _medoid(folded)
    base = folded[m]
    # where each medoid word sits in each copy (None: not there)
    where: list[list[int | None]] = []
    for toks in folded:
        pos: list[int | None] = [None] * len(base)
        for block in SequenceMatcher(None, base, toks, autojunk=False).get_matching_blocks():
            for d in range(block.size):
                pos[block.a + d] = block.b + d
        where.append(pos)
    kept = {i for i in range(len(base)) if sum(w[i] is not None for w in where) >= share * len(raw)}
    # A number next to a varying part belongs to it (the "+44 7700" of a phone whose last digits change).
    while loose := {i for i in kept if _NUMERIC.match(base[i]) and not ({i - 1, i + 1} <= kept | {-1, len(base)})}:
        kept -= loose
    constant = sorted(kept)
    phrases: list[list[str]] = []
    slots: list[Slot] = []
    bounds = [-1] + constant + [len(base)]
    for left, right in zip(bounds, bounds[1:], strict=False):
        values: list[str] = []
        for toks, pos in zip(raw, where, strict=True):
            start = 0 if left < 0 else pos[left]
            end = len(toks) if right >= len(base) else pos[right]
            if start is None or end is None:
                continue
            start = start if left < 0 else start + 1
            if end > start:
                values.append(" ".join(toks[start:end]))
        if values and len(values) >= 0.2 * len(raw):  # a gap most copies leave empty is noise, not a slot
            slots.append(Slot(len(phrases), slot_kind(values), tuple(Counter(values).most_common(top))))
        if right < len(base):
            word = raw[m][right]
            if phrases and left == right - 1 and left >= 0 and (not slots or slots[-1].after < len(phrases)):
                phrases[-1].append(word)
            else:
                phrases.append([word])
    return Template(tuple(" ".join(p) for p in phrases), tuple(slots), len(raw))
