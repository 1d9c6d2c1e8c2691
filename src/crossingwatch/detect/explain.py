"""Model-based evidence: when the tactic model is sure of a tactic that no lexicon term or indicator shows, the
words of the post that weigh most for that tactic become its evidence span, so every tactic still points at text.
"""

from __future__ import annotations

from crossingwatch.core import TACTICS
from crossingwatch.detect.features import pair_index, word_index, words
from crossingwatch.detect.fusion import Analysis
from crossingwatch.detect.model import TextModel


class WordExplainer:
    def __init__(self, model: TextModel) -> None:
        self._weights = model.tactics.coef
        self._offset = 1 << model.features.char_bits
        self._size = 1 << model.features.word_bits
        self._max_chars = model.features.max_chars

    def span(self, analysis: Analysis, tactic: str) -> tuple[int, int] | None:
        """The normalised span of the word (or word pair) that weighs most for `tactic`, if any weighs for it."""
        row = self._weights[TACTICS.index(tactic)]
        tokens = words(analysis.norm.text[: self._max_chars])
        best: tuple[float, int, int] | None = None
        for i, tok in enumerate(tokens):
            score = float(row[self._offset + word_index(tok.group(0), self._size)])
            start, end = tok.start(), tok.end()
            if i + 1 < len(tokens):
                pair = float(row[self._offset + pair_index(tok.group(0), tokens[i + 1].group(0), self._size)])
                if pair > 0:
                    score += pair
                    end = tokens[i + 1].end()
            if score > 0 and (best is None or score > best[0]):
                best = (score, start, end)
        return None if best is None else (best[1], best[2])
