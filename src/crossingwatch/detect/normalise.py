"""Normalisation with an offset map back to the original text.

`Normaliser.normalise(text)` returns a `Normalised`: the normalised string plus, for each of its characters,
the span of the original text it came from, so any match on the normalised text maps back to an exact
evidence span of the original (`original[start:end]`).

Steps: per character NFKC + case folding, removal of zero-width/bidi controls, variation selectors and
combining marks (Arabic harakat, Latin accents), Arabic/Persian letter variants unified, native digits to
ASCII, emojis (and flag pairs) to words; then Ge'ez numerals to their value ("፫፻፶" 350); then, per word,
look-alike Cyrillic/Greek letters in Latin words and leetspeak (only when the result is a known word); then
letters or digits split by spaces/dots/dashes are joined ("w h a t s a p p", "0 7 7 . 0 0"; "b.o.a.t t.o u.k" is
"boat to uk": where dots or dashes join the letters, a bare space between two of them still parts words) and runs
of white space collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import regex

# Letter variants that people type interchangeably; both post text and lexicon terms pass through this.
_VARIANTS = {
    "ي": "ی", "ى": "ی", "ې": "ی", "ۍ": "ی", "ك": "ک", "ڪ": "ک", "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه",
    "ہ": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ؤ": "و", "ئ": "ی", "ء": "",
    "ـ": "", "ı": "i", "đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe",
    "ə": "e", "\u066b": ".", "\u066c": ",", "،": ",", "؛": ";", "؟": "?", "٪": "%", "\u00a0": " ",
    "\u2009": " ", "\u202f": " ", "\t": " ", "\r": " ", "\u2028": " ", "\u2029": " ", "፡": " ",
    "።": ".", "፣": ",", "፤": ";", "፥": ":", "፦": ":", "፧": "?",
}
for _i in range(10):
    _VARIANTS[chr(0x0660 + _i)] = str(_i)  # Arabic-Indic
    _VARIANTS[chr(0x06F0 + _i)] = str(_i)  # Persian / Urdu
    _VARIANTS[chr(0x09E6 + _i)] = str(_i)  # Bengali (seen in Rohingya posts)

_REMOVE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\u061c", "\u180e",
           "\u034f", "\u20e3"}
_REMOVE.update(chr(c) for c in range(0x202A, 0x202F))
_REMOVE.update(chr(c) for c in range(0x2066, 0x206A))
_REMOVE.update(chr(c) for c in range(0xFE00, 0xFE10))
_REMOVE.update(chr(c) for c in range(0x1F3FB, 0x1F400))  # skin tones

_TRAILING = {"\ufe0f", "\ufe0e", "\u200d", "\u20e3"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}

# Cyrillic and Greek letters that look like Latin ones; applied only inside words that also hold Latin letters.
HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "γ": "y",
})
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                      "$": "s", "!": "i", "|": "l", "€": "e"})

_LATIN = regex.compile(r"[a-z]")
_CYR_GREEK = regex.compile(r"[\p{Cyrillic}\p{Greek}]")
_MIXED_WORD = regex.compile(r"[\w@$!|€]*[\p{Cyrillic}\p{Greek}][\w@$!|€]*")
_LEET_WORD = regex.compile(r"(?<![\w@$!|€])(?=[\w@$!|€]*[a-z])(?=[\w@$!|€]*[0-9@$!|€])[\w@$!|€]{3,}")
# Cheap pre-checks with the standard `re` engine (faster than `regex` here): most texts need neither step.
_LEET_HINT = re.compile(r"[a-z][0-9@$!|€]|[0-9@$!|€][a-z]")
_SPLIT_HINT = re.compile(r"(?<!\w)\w(?: ?[.\-_*·/] ?| )\w(?: ?[.\-_*·/] ?| )\w(?!\w)")
# Three or more single letters/digits separated by one short separator: "w h a t s a p p", "0 7 . 7 0 0".
_SEP = r"(?: ?[.\-_*·/] ?| )"
_SPLIT_RUN = regex.compile(rf"(?<!\w)(?:\p{{L}}(?:{_SEP}\p{{L}}(?!\w)){{2,}}|(?:\+ ?)?\d(?:{_SEP}\d(?!\w)){{2,}})")
_SEPARATORS = regex.compile(r"[ .\-_*·/]")
_MARKS = regex.compile(r"[.\-_*·/]")
_WORD_BREAK = regex.compile(r"(?<=\w) (?=\w)")
# Ge'ez numerals (Amharic, Tigrinya): ፩–፱ 1–9, ፲–፺ 10–90, ፻ hundred, ፼ ten thousand; not positional ("፲፪፻፴፬" 1234).
_GEEZ = {chr(0x1369 + i): i + 1 for i in range(9)} | {chr(0x1372 + i): 10 * (i + 1) for i in range(9)} | {
    "\u137b": 100, "\u137c": 10_000}
_GEEZ_RUN = re.compile("[\u1369-\u137c]+(?:ሺህ?[\u1369-\u137c]+)?")  # "፫ሺ፭፻": 3 thousand 500
_SPACES = regex.compile(r" {2,}")  # every other white space is a single space by now


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised text and, for each of its characters, the original span it came from."""

    original: str
    text: str
    starts: Sequence[int]  # a list, or a `range` where the offsets are the identity
    ends: Sequence[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering normalised characters `[start, end)`."""
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        a, b = self.starts[start], self.ends[end - 1]
        # Keep trailing marks the normaliser dropped (tanween, accents, variation selectors) inside the span.
        while b < len(self.original) and self.original[b] in _TRAILING or (
            b < len(self.original) and unicodedata.category(self.original[b]) == "Mn"
        ):
            b += 1
        return a, b

    def original_text(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.original[a:b]


class Normaliser:
    """Normalises post text and lexicon terms the same way.

    `emoji` maps an emoji (or a flag's two regional-indicator letters) to a word; `vocabulary` is the set of
    words that leetspeak and look-alike letters may be turned into (so "b0at" becomes "boat" but "2k" stays).
    """

    def __init__(self, emoji: Mapping[str, str] | None = None, vocabulary: Iterable[str] = ()) -> None:
        self._emoji = {k: v.strip().casefold() for k, v in (emoji or {}).items()}
        self._flags = {k: v for k, v in self._emoji.items() if len(k) == 2 and _is_regional(k[0])}
        self._cache: dict[str, str] = {}
        self._simple: set[str] = set()  # characters known to map to exactly one character
        self._table: dict[int, str] = {}
        self.vocabulary: set[str] = set()
        self.vocabulary = {self.fold(w) for w in vocabulary if w}

    def fold(self, text: str) -> str:
        """The normalised form of a term, without offsets (for lexicon entries and vocabularies)."""
        return self.normalise(text).text.strip()

    def fold_pattern(self, pattern: str) -> str:
        """A regular expression with its literal characters folded like text (escapes left as written)."""
        out: list[str] = []
        escaped = False
        for c in pattern:
            out.append(c if escaped or c == "\\" else self._char(c))
            escaped = c == "\\" and not escaped
        return "".join(out)

    def _char(self, c: str) -> str:
        rep = self._cache.get(c)
        if rep is not None:
            return rep
        if c in self._emoji:
            rep = f" {self._emoji[c]} "
        elif c in _REMOVE:
            rep = ""
        elif unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn"):
            rep = " "  # controls, lone surrogates, private-use and unassigned code points separate words
        else:
            out = []
            for d in unicodedata.normalize("NFKC", c).casefold():
                d = _VARIANTS.get(d, d)
                for e in unicodedata.normalize("NFD", d):
                    if unicodedata.category(e) != "Mn":
                        out.append(e)
            rep = "".join(out)
            if rep == c and c.isspace():
                rep = " "
        self._cache[c] = rep
        if len(rep) == 1 and not _is_regional(c):
            self._simple.add(c)
            self._table[ord(c)] = rep
        return rep

    def normalise(self, text: str) -> Normalised:
        odd = set(text) - self._simple
        for c in odd:
            self._char(c)
        odd -= self._simple
        if not odd:
            # Every character maps to exactly one: translate in C, offsets are the identity.
            n = len(text)
            norm, starts, ends = text.translate(self._table), range(n), range(1, n + 1)
        else:
            norm, starts, ends = self._map_chars(text, odd)
        if _GEEZ_RUN.search(norm):
            norm, starts, ends = _rewrite(norm, starts, ends, _GEEZ_RUN, _geez_number)
        if _CYR_GREEK.search(norm):
            norm = _MIXED_WORD.sub(_unconfuse, norm)
        if self.vocabulary and _LEET_HINT.search(norm) and _LEET_WORD.search(norm):
            norm = _LEET_WORD.sub(self._unleet, norm)
        if _SPLIT_HINT.search(norm):
            norm, starts, ends = _rewrite(norm, starts, ends, _SPLIT_RUN, _join_run)
        if "  " in norm:
            norm, starts, ends = _rewrite(norm, starts, ends, _SPACES, lambda m: " ")
        return Normalised(text, norm, starts, ends)

    def _map_chars(self, text: str, odd: set[str]) -> tuple[str, list[int], list[int]]:
        """The text with the `odd` characters (those that do not map to exactly one) mapped one by one and the
        runs between them translated in C."""
        positions: list[int] = []
        for c in odd:
            i = text.find(c)
            while i != -1:
                positions.append(i)
                i = text.find(c, i + 1)
        positions.sort()
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        char, flags, table = self._char, self._flags, self._table
        n = len(text)
        last = 0
        for i in positions:
            if i < last:
                continue  # the second letter of a flag
            if i > last:
                pieces.append(text[last:i].translate(table))
                starts.extend(range(last, i))
                ends.extend(range(last + 1, i + 1))
            c = text[i]
            if flags and "\U0001f1e6" <= c <= "\U0001f1ff" and i + 1 < n and text[i:i + 2] in flags:
                rep, width = f" {flags[text[i:i + 2]]} ", 2
            else:
                rep, width = char(c), 1
            if rep:
                pieces.append(rep)
                lr = len(rep)
                starts.extend([i] * lr)
                ends.extend([i + width] * lr)
            last = i + width
        if last < n:
            pieces.append(text[last:].translate(table))
            starts.extend(range(last, n))
            ends.extend(range(last + 1, n + 1))
        return "".join(pieces), starts, ends

    def _unleet(self, m: regex.Match[str]) -> str:
        word = m.group(0)
        for candidate in (word.translate(LEET), word.translate(LEET).replace("i", "l")):
            if candidate in self.vocabulary:
                return candidate
        return word


def _is_regional(c: str) -> bool:
    return "\U0001f1e6" <= c <= "\U0001f1ff"


def _unconfuse(m: regex.Match[str]) -> str:
    word = m.group(0)
    return word.translate(HOMOGLYPHS) if _LATIN.search(word) else word


def _geez_number(m: re.Match[str]) -> str:
    """A run of Ge'ez numerals as ASCII digits: units and tens add up, ፻ multiplies what stands before it in its
    myriad, ፼ everything before it ("፫፻፶" 350, "፪፼፭፻" 20500); "፫ሺ፭፻" (ሺ "thousand" between two runs) is 3500."""
    thousands, sep, rest = m.group(0).replace("ሺህ", "ሺ").partition("ሺ")
    return str(_geez_value(thousands) * 1000 + _geez_value(rest) if sep else _geez_value(thousands))


def _geez_value(numerals: str) -> int:
    total = hundreds = units = 0
    for c in numerals:
        value = _GEEZ[c]
        if value == 100:
            hundreds += (units or 1) * 100
            units = 0
        elif value == 10_000:
            total = ((total + hundreds + units) or 1) * 10_000
            hundreds = units = 0
        else:
            units += value
    return total + hundreds + units


def _join_run(m: regex.Match[str]) -> str:
    run = m.group(0)
    if run[0].isalpha() and _MARKS.search(run):
        # Letters joined by dots or dashes mark their words with them, so a bare space between two letters is a word
        # break: "b.o.a.t t.o u.k" is "boat to uk", not "boattouk". Digits are one number whatever the separators.
        return " ".join(_SEPARATORS.sub("", word) for word in _WORD_BREAK.split(run))
    return _SEPARATORS.sub("", run)


def _rewrite(
    text: str,
    starts: Sequence[int],
    ends: Sequence[int],
    pattern: regex.Pattern[str],
    replace: Callable[[regex.Match[str]], str],
) -> tuple[str, Sequence[int], Sequence[int]]:
    """Apply a length-changing substitution and carry the offset map along.

    A replacement that only deletes characters from its match keeps each survivor's own span (so the
    digits of "0 7 7" still point at themselves); any other replacement maps to the whole match.
    """
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    changed = False
    for m in pattern.finditer(text):
        a, b = m.span()
        rep = replace(m)
        if rep == m.group(0):
            continue
        changed = True
        out.append(text[last:a])
        new_starts.extend(starts[last:a])
        new_ends.extend(ends[last:a])
        kept = _survivors(m.group(0), rep)
        if kept is not None:
            new_starts.extend(starts[a + k] for k in kept)
            new_ends.extend(ends[a + k] for k in kept)
        else:
            new_starts.extend([starts[a]] * len(rep))
            new_ends.extend([ends[b - 1]] * len(rep))
        out.append(rep)
        last = b
    if not changed:
        return text, starts, ends
    out.append(text[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return "".join(out), new_starts, new_ends


def _survivors(old: str, new: str) -> list[int] | None:
    """Indices of `old` kept in order to form `new`, when `new` is `old` with characters deleted."""
    kept: list[int] = []
    j = 0
    for i, c in enumerate(old):
        if j < len(new) and c == new[j]:
            kept.append(i)
            j += 1
    return kept if j == len(new) and len(new) > 0 else None
