"""Features: hashed character n-grams of the normalised text plus hashed word n-grams and *tags*.

Tags are tokens such as `__lex_child_free` or `__ind_phone` that the pipeline derives from lexicon hits and
indicators, so the linear model weighs them alongside the words. Hashing keeps the model a fixed-size array
that needs no vocabulary file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    char_bits: int = 18
    word_bits: int = 18
    char_ngrams: tuple[int, int] = (2, 4)
    word_ngrams: tuple[int, int] = (1, 2)
    max_chars: int = 3000
    tag_bits: int = 12

    @property
    def n_features(self) -> int:
        return (1 << self.char_bits) + (1 << self.word_bits) + (1 << self.tag_bits)


class Featuriser:
    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = c = config or FeatureConfig()
        self._chars = HashingVectorizer(
            analyzer="char", ngram_range=c.char_ngrams, n_features=1 << c.char_bits,
            alternate_sign=False, norm="l2", lowercase=False, dtype=np.float32,
        )
        self._words = HashingVectorizer(
            analyzer="word", ngram_range=c.word_ngrams, n_features=1 << c.word_bits, token_pattern=r"(?u)\b\w+\b",
            alternate_sign=False, norm="l2", lowercase=False, dtype=np.float32,
        )
        self._tags = HashingVectorizer(
            analyzer=str.split, n_features=1 << c.tag_bits, alternate_sign=False, norm=None, dtype=np.float32,
        )

    def chars(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The character block alone (it also feeds the language model)."""
        return self._chars.transform([t[: self.config.max_chars] for t in texts])

    def transform(self, texts: Sequence[str], tags: Sequence[Sequence[str]],
                  chars: sp.csr_matrix | None = None) -> sp.csr_matrix:
        """Three blocks: character n-grams, word n-grams (each L2-normalised, so long posts weigh like short
        ones) and tags, counted but not normalised, so a lexicon hit weighs the same in a tweet and an essay."""
        if chars is None:
            chars = self.chars(texts)
        words = self._words.transform([t[: self.config.max_chars] for t in texts])
        tag_block = self._tags.transform([" ".join(g) for g in tags])
        tag_block.data = np.minimum(tag_block.data, 3.0) / 3.0
        return sp.hstack([chars, words, tag_block], format="csr")
