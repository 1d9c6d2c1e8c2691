"""Phrase matching on normalised text: Aho-Corasick for literal terms, `regex` for patterns.

A literal matches on whole-word boundaries; a trailing `*` matches any word that starts with it and a leading `*`
any word that ends with it (for prefixing languages: Amharic ከሊቢያ "from Libya"); an Arabic-script
term may follow a one-letter proclitic (و ف ب ل ک: "and", "so", "with", "for", "like"). A pattern that starts with
`re:` is a regular expression over the normalised text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

import ahocorasick
import regex

P = TypeVar("P")

_PROCLITICS = set("وفبلک")
_ARABIC_LETTER = regex.compile(r"\p{Arabic}")


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


class PhraseMatcher(Generic[P]):
    """Finds every entry in a normalised text; entries are `(normalised pattern, payload)` pairs."""

    def __init__(self, entries: Sequence[tuple[str, P]]) -> None:
        self._automaton = ahocorasick.Automaton()
        self._regexes: list[tuple[regex.Pattern[str], P, regex.Pattern[str] | None, tuple[str, ...]]] = []
        grouped: dict[str, list[tuple[bool, bool, P]]] = {}
        for pattern, payload in entries:
            if pattern.startswith("re:"):
                body = pattern[3:]
                self._regexes.append((regex.compile(body), payload, _script_of(body), leading_literals(body)))
                continue
            prefix = pattern.endswith("*")
            suffix = pattern.startswith("*")
            key = pattern.strip("*").strip()
            if key:
                grouped.setdefault(key, []).append((prefix, suffix, payload))
        for key, payloads in grouped.items():
            # Everything the hot loop asks of a key, worked out once.
            self._automaton.add_word(key, (len(key), _is_word(key[0]), _is_word(key[-1]),
                                           any(p[1] for p in payloads), bool(_ARABIC_LETTER.match(key[0])),
                                           payloads))
        self._empty = not grouped
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, P]]:
        """Every `(start, end, payload)` found in `text`."""
        out: list[tuple[int, int, P]] = []
        n = len(text)
        if not self._empty:
            for last, (size, first_word, last_word, any_suffix, arabic, payloads) in self._automaton.iter(text):
                end = last + 1
                start = end - size
                # `_is_word`, inlined: this loop runs for every automaton hit of every post.
                if start > 0 and first_word:
                    before = text[start - 1]
                    glued = before.isalnum() or before == "_"
                else:
                    glued = False
                clitic = glued and arabic and _proclitic(text, start)
                if glued and not clitic and not any_suffix:
                    continue
                if end >= n or not last_word:
                    whole = True
                else:
                    after = text[end]
                    whole = not (after.isalnum() or after == "_")
                for prefix, suffix, payload in payloads:
                    begin, stop = start, end
                    if glued and suffix:
                        while begin > 0 and _is_word(text[begin - 1]):
                            begin -= 1
                    elif glued and not clitic:
                        continue
                    if prefix:
                        while stop < n and _is_word(text[stop]):
                            stop += 1
                    elif not whole:
                        continue
                    out.append((begin, stop, payload))
        if self._regexes:
            present: dict[regex.Pattern[str], bool] = {}
            for pattern, payload, script, needs in self._regexes:
                if script is not None:
                    if script not in present:
                        present[script] = script.search(text) is not None
                    if not present[script]:
                        continue  # an Ethiopic pattern cannot match a text without Ethiopic letters
                if needs and not any(literal in text for literal in needs):
                    continue  # every match starts with one of these: a substring test is far cheaper
                for m in pattern.finditer(text):
                    if m.end() > m.start():
                        out.append((m.start(), m.end(), payload))
        return out


_SCRIPTS = [regex.compile(r"\p{Arabic}"), regex.compile(r"\p{Ethiopic}"), regex.compile(r"\p{Latin}")]


def _script_of(pattern: str) -> regex.Pattern[str] | None:
    """The script of the first letter written literally in a pattern (escapes, groups' flags and classes aside)."""
    stripped = regex.sub(r"\\p\{\w+\}|\\.|\(\?[^)]*\)|\[[^\]]*\]", "", pattern)
    letter = regex.search(r"\p{L}", stripped)
    if letter is None:
        return None
    return next((script for script in _SCRIPTS if script.match(letter.group(0))), None)


_ZERO_WIDTH = regex.compile(r"^(?:\\b|\(\?<?[!=][^()]*\))*")  # leading \b, (?<!\w), (?<!\S), (?=...)
_INLINE_FLAGS = regex.compile(r"\(\?[a-zA-Z]")
_METACHARS = set("\\[](){}.*+?|^$")


def leading_literals(pattern: str) -> tuple[str, ...]:
    """Strings of which every match of `pattern` holds one: the literal start of the pattern, or of each alternative
    of a leading group ("(kids?|children)x" gives "kid", "children"). Empty when there is no such start to rely on
    (a top-level `|`, a class, an escape or an optional first part), and then the pattern always runs."""
    if _INLINE_FLAGS.search(pattern):
        return ()  # a flag such as (?i) changes what a literal matches
    rest = pattern[_ZERO_WIDTH.match(pattern).end():]
    if rest.startswith("("):
        depth, end = 0, -1
        for i, c in enumerate(rest):
            if c == "\\":
                return ()
            depth += (c == "(") - (c == ")")
            if depth == 0:
                end = i
                break
        if end < 0 or rest[end + 1:end + 2] in ("?", "*", "{") or _top_level_bar(rest[end + 1:]):
            return ()
        inner = rest[1:end]
        if inner.startswith("?:"):
            inner = inner[2:]
        if inner.startswith("?") or "(" in inner:
            return ()
        literals = tuple(_literal_start(alt) for alt in inner.split("|"))
    else:
        if _top_level_bar(rest):
            return ()
        literals = (_literal_start(rest),)
    return literals if all(literals) else ()


def _literal_start(text: str) -> str:
    """The plain characters `text` starts with, less the last one when a quantifier makes it optional."""
    for i, c in enumerate(text):
        if c in _METACHARS:
            return text[:i - 1] if c in "?*{" else text[:i]
    return text


def _top_level_bar(pattern: str) -> bool:
    depth, escaped, in_class = 0, False, False
    for c in pattern:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c in "()":
            depth += 1 if c == "(" else -1
        elif c == "|" and depth == 0:
            return True
    return False


def _proclitic(text: str, start: int) -> bool:
    """"والاطفال" still holds "الاطفال": one proclitic letter may start an Arabic-script word."""
    return text[start - 1] in _PROCLITICS and (start == 1 or not _is_word(text[start - 2]))
