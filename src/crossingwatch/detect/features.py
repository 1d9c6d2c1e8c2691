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

    @property
    def n_features(self) -> int:
        return (1 << self.char_bits) + (1 << self.word_bits)


class Featuriser:
    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = c = config or FeatureConfig()
        self._chars = HashingVectorizer(
            analyzer="char_wb", ngram_range=c.char_ngrams, n_features=1 << c.char_bits,
            alternate_sign=False, norm="l2", lowercase=False, dtype=np.float32,
        )
        self._words = HashingVectorizer(
            analyzer="word", ngram_range=c.word_ngrams, n_features=1 << c.word_bits, token_pattern=r"(?u)\b\w+\b",
            alternate_sign=False, norm="l2", lowercase=False, dtype=np.float32,
        )

    def transform(self, texts: Sequence[str], tags: Sequence[Sequence[str]]) -> sp.csr_matrix:
        cut = [t[: self.config.max_chars] for t in texts]
        words = [f"{t} {' '.join(g)}" for t, g in zip(cut, tags, strict=True)]
        return sp.hstack([self._chars.transform(cut), self._words.transform(words)], format="csr")


_LANG_VECTORISER = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 3), n_features=1 << 16,
                                     alternate_sign=False, norm="l2", lowercase=True, dtype=np.float32)


def language_features(texts: Sequence[str]) -> sp.csr_matrix:
    """Character 1–3-grams for the corpus language model."""
    return _LANG_VECTORISER.transform([t[:1000] for t in texts])
