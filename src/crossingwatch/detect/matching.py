"""Phrase matching on normalised text: Aho-Corasick for literal terms, `regex` for patterns.

A literal matches on whole-word boundaries; a trailing `*` matches any word that starts with it; an Arabic-script
term may follow a one-letter proclitic (و ف ب ل ک: "and", "so", "with", "for", "like"). A pattern that starts with
`re:` is a regular expression over the normalised text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import ahocorasick
import regex

P = TypeVar("P")

_PROCLITICS = set("وفبلک")
_ARABIC_LETTER = regex.compile(r"\p{Arabic}")


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


@dataclass(frozen=True, slots=True)
class Match(Generic[P]):
    start: int
    end: int
    payload: P


class PhraseMatcher(Generic[P]):
    """Finds every entry in a normalised text; entries are `(normalised pattern, payload)` pairs."""

    def __init__(self, entries: Sequence[tuple[str, P]]) -> None:
        self._automaton = ahocorasick.Automaton()
        self._regexes: list[tuple[regex.Pattern[str], P]] = []
        grouped: dict[str, list[tuple[bool, P]]] = {}
        for pattern, payload in entries:
            if pattern.startswith("re:"):
                self._regexes.append((regex.compile(pattern[3:]), payload))
                continue
            prefix = pattern.endswith("*")
            key = pattern[:-1].strip() if prefix else pattern.strip()
            if key:
                grouped.setdefault(key, []).append((prefix, payload))
        for key, payloads in grouped.items():
            self._automaton.add_word(key, (key, payloads))
        self._empty = not grouped
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> Iterator[Match[P]]:
        n = len(text)
        if not self._empty:
            for last, (key, payloads) in self._automaton.iter(text):
                start = last - len(key) + 1
                end = last + 1
                if not _start_ok(text, start, key):
                    continue
                whole = end >= n or not _is_word(text[end])
                for prefix, payload in payloads:
                    if prefix:
                        stop = end
                        while stop < n and _is_word(text[stop]):
                            stop += 1
                        yield Match(start, stop, payload)
                    elif whole or not _is_word(key[-1]):
                        yield Match(start, end, payload)
        for pattern, payload in self._regexes:
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    yield Match(m.start(), m.end(), payload)


def _start_ok(text: str, start: int, key: str) -> bool:
    if start == 0 or not _is_word(text[start - 1]) or not _is_word(key[0]):
        return True
    # "والاطفال" still holds "الاطفال": allow one proclitic letter at the start of an Arabic-script word.
    return (
        text[start - 1] in _PROCLITICS
        and (start == 1 or not _is_word(text[start - 2]))
        and bool(_ARABIC_LETTER.match(key[0]))
    )
