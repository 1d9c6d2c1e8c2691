"""Lexicons: reviewable (pattern, tactic, weight, note) rows compiled into one matcher.

Besides the eight tactics a row may name a *cue*: `crossing` (the service itself and its code words),
`seeking` (someone looking for it) or `benign_context` (news, warnings, legal trade). Cues feed the model;
tactics also give evidence spans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from crossingwatch.core import TACTICS
from crossingwatch.core.errors import ConfigError
from crossingwatch.detect.matching import PhraseMatcher
from crossingwatch.detect.normalise import Normaliser

CUES: tuple[str, ...] = ("crossing", "seeking", "benign_context")
CATEGORIES: tuple[str, ...] = TACTICS + CUES


@dataclass(frozen=True, slots=True)
class Term:
    pattern: str
    tactic: str
    weight: float
    note: str = ""
    lang: str = ""
    where: str = ""  # file:line, for error messages and review


@dataclass(frozen=True, slots=True)
class _Part:
    """One piece of an `A ... B` term: found like any literal, then joined with its siblings."""

    term: Term
    index: int
    count: int


PROXIMITY = " ... "
WINDOW = 60  # characters from the first piece's start to the last piece's end


@dataclass(frozen=True, slots=True)
class Hit:
    term: Term
    start: int  # in normalised text
    end: int


class Lexicon:
    def __init__(self, terms: Iterable[Term], normaliser: Normaliser) -> None:
        self.terms = list(terms)
        entries: list[tuple[str, Term | _Part]] = []
        patterns: dict[str, list[tuple[str, Term]]] = {}
        for term in self.terms:
            if term.tactic not in CATEGORIES:
                raise ConfigError(
                    f"{term.where}: field 'tactic': unknown value {term.tactic!r}; use one of {', '.join(CATEGORIES)}"
                )
            if not 0.0 < term.weight <= 1.0:
                raise ConfigError(f"{term.where}: field 'weight': {term.weight} is outside (0, 1]")
            pattern = term.pattern.strip()
            if pattern.startswith("re:"):
                folded = normaliser.fold_pattern(pattern[3:])
                try:
                    regex.compile(folded)
                except regex.error as exc:
                    raise ConfigError(f"{term.where}: field 'pattern': bad regular expression: {exc}") from exc
                patterns.setdefault(term.lang, []).append(("re:" + folded, term))
            elif PROXIMITY in pattern:
                parts = [p.strip() for p in pattern.split(PROXIMITY.strip()) if p.strip()]
                for i, part in enumerate(parts):
                    folded = normaliser.fold(part.strip("*"))
                    if folded:
                        entries.append(("*" * part.startswith("*") + folded + "*" * part.endswith("*"),
                                        _Part(term, i, len(parts))))
            else:
                folded = normaliser.fold(pattern.strip("*"))
                if folded:
                    entries.append(("*" * pattern.startswith("*") + folded + "*" * pattern.endswith("*"), term))
        self._matcher: PhraseMatcher[Term | _Part] = PhraseMatcher(entries)
        # Patterns are slow and written for one language's grammar: one matcher per language.
        self._patterns = {lang: PhraseMatcher(rows) for lang, rows in patterns.items()}

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, normalised_text: str, lang: str | None = None) -> list[Hit]:
        """Every term found. Literal terms match whatever the post's language (code words travel); patterns
        (`re:`), written for one language's grammar, run only on posts in that language when it is known."""
        hits: list[Hit] = []
        pieces: dict[int, list[tuple[int, int, int]]] = {}
        parts: dict[int, _Part] = {}
        for start, end, payload in self._matcher.find(normalised_text):
            if isinstance(payload, _Part):
                pieces.setdefault(id(payload.term), []).append((payload.index, start, end))
                parts[id(payload.term)] = payload
            else:
                hits.append(Hit(payload, start, end))
        for key, found in pieces.items():
            if len(found) >= parts[key].count and len({i for i, _, _ in found}) == parts[key].count:
                hits.extend(_joined(parts[key].term, found, parts[key].count))
        if lang is None or lang == "und":
            matchers = list(self._patterns.values())  # the language is unknown: every language's patterns
        else:
            matchers = [m for m in (self._patterns.get(lang), self._patterns.get("")) if m is not None]
        for matcher in matchers:
            hits.extend(Hit(term, start, end) for start, end, term in matcher.find(normalised_text))
        return hits


def _joined(term: Term, found: list[tuple[int, int, int]], count: int) -> list[Hit]:
    """`A ... B`: each A followed, within the window, by a B (and so on), pieces in order and not overlapping."""
    by_index: dict[int, list[tuple[int, int]]] = {}
    for i, start, end in sorted(found, key=lambda f: f[1]):
        by_index.setdefault(i, []).append((start, end))
    if set(by_index) != set(range(count)):
        return []
    out = []
    for first_start, first_end in by_index[0]:
        end = first_end
        for i in range(1, count):
            nxt = next(((a, b) for a, b in by_index[i] if a >= end and b - first_start <= WINDOW), None)
            if nxt is None:
                break
            end = nxt[1]
        else:
            out.append(Hit(term, first_start, end))
    return out
