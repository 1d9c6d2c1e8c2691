"""Model-based evidence: when the tactic model is sure of a tactic that no lexicon term or indicator shows, the
words of the post that weigh most for that tactic become its evidence span, so every tactic still points at text.
"""

from __future__ import annotations

import numpy as np

from crossingwatch.core import TACTICS
from crossingwatch.detect.features import word_columns
from crossingwatch.detect.fusion import Analysis
from crossingwatch.detect.model import TextModel


class WordExplainer:
    def __init__(self, model: TextModel) -> None:
        self._weights = model.tactics.coef
        self._offset = 1 << model.features.char_bits
        self._size = 1 << model.features.word_bits
        self._max_chars = model.features.max_chars
        # Fusion asks about several tactics of one post in a row: its words' columns are worked out once.
        self._last: tuple[Analysis, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def span(self, analysis: Analysis, tactic: str) -> tuple[int, int] | None:
        """The normalised span of the word (or word pair) that weighs most for `tactic`, if any weighs for it: a
        word's weight, plus the weight of the pair it starts when that is positive (and then the span takes in the
        next word); the first of equal weights."""
        last = self._last  # read once: another thread (the API's) may replace it meanwhile
        if last is None or last[0] is not analysis:
            last = self._last = (analysis, *self._columns(analysis))
        _, starts, ends, single, pairs = last
        if not len(starts):
            return None
        row = self._weights[TACTICS.index(tactic)]
        score = row[single].astype(np.float64)
        pair = np.zeros(len(starts))
        pair[:-1] = row[pairs]
        joined = pair > 0
        score += np.where(joined, pair, 0.0)
        best = int(np.argmax(score))
        if score[best] <= 0:
            return None
        return int(starts[best]), int(ends[best + 1] if joined[best] else ends[best])

    def _columns(self, analysis: Analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each word's start and end, its column, and the column of the pair it starts (one fewer)."""
        starts, ends, single, pairs = word_columns(analysis.norm.text[: self._max_chars], self._size)
        return starts, ends, single + self._offset, pairs + self._offset
