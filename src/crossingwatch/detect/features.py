"""Features: hashed character n-grams and word n-grams of the normalised text, and hashed *tags*.

Tags are tokens such as `__lex_child_free`, `__ind_phone` or `__offer_without_crossing` that the pipeline derives
from lexicon hits and indicators; they get a block of their own so the linear model weighs them whatever the post's
length. Hashing keeps the model a fixed-size array that needs no vocabulary file.

All three blocks are hashed here with numpy (a polynomial hash in 32-bit arithmetic, then murmur3's finaliser), a
batch at a time and without sorting: scikit-learn is needed to train a model, not to run one. `word_columns` gives
one text's word and pair columns with their places in the text (the explainer's way back from weights to words).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


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
        self.config = config or FeatureConfig()
        self._tag_columns: dict[str, int] = {}

    def chars(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The character block alone (it also feeds the language model)."""
        return char_ngram_block([t[: self.config.max_chars] for t in texts], self.config.char_ngrams,
                                1 << self.config.char_bits)

    def transform(self, texts: Sequence[str], tags: Sequence[Sequence[str]],
                  chars: sp.csr_matrix | None = None) -> sp.csr_matrix:
        """Three blocks: character n-grams, word unigrams and bigrams (each weighed by the post's count of them, so
        long posts weigh like short ones) and tags, counted (at most 3) but not normalised, so a lexicon hit weighs
        the same in a tweet and an essay."""
        if chars is None:
            chars = self.chars(texts)
        if self.config.word_ngrams != (1, 2):
            raise ValueError(f"word n-grams {self.config.word_ngrams} are not supported; use (1, 2)")
        words = word_ngram_block([t[: self.config.max_chars] for t in texts], 1 << self.config.word_bits)
        return sp.hstack([chars, words, self._tag_block(tags)], format="csr")

    def _tag_block(self, tags: Sequence[Sequence[str]]) -> sp.csr_matrix:
        size = 1 << self.config.tag_bits
        indptr, cols, data = [0], [], []
        for row in tags:
            counts: dict[int, int] = {}
            for tag in row:
                col = self._tag_columns.get(tag)
                if col is None:
                    col = self._tag_columns[tag] = zlib.crc32(tag.encode("utf-8")) & (size - 1)
                counts[col] = counts.get(col, 0) + 1
            cols.extend(counts)
            data.extend(min(c, 3) / 3.0 for c in counts.values())
            indptr.append(len(cols))
        return sp.csr_matrix((np.array(data, dtype=np.float32), np.array(cols, dtype=np.int32),
                              np.array(indptr, dtype=np.int64)), shape=(len(tags), size))


_MULTIPLIER = np.uint32(1_000_003)


def char_ngram_block(texts: Sequence[str], ngrams: tuple[int, int], n_features: int) -> sp.csr_matrix:
    """Hashed character n-grams for a batch, computed at once with numpy, without sorting.

    The texts are laid end to end as code points with NUL separators; the polynomial hash of the n-grams of every
    length that start at a position is computed in one vectorised pass (in 32-bit arithmetic: `n_features` is a
    power of two, so the low bits are the same as in any wider one), n-grams that cross a separator are dropped, and
    the (position, n) pairs, in text order and so in document order, become the rows' entries directly. A repeated
    n-gram is a repeated entry (sparse products add them up). Each entry weighs 1/sqrt(the post's n-gram count),
    so a long post weighs like a short one (the L2 norm, when no n-gram repeats).
    """
    n_docs = len(texts)
    if n_docs == 0:
        return sp.csr_matrix((0, n_features), dtype=np.float32)
    if n_features & (n_features - 1):
        raise ValueError(f"n_features must be a power of two, not {n_features}")
    joined = "\x00".join(t.replace("\x00", "\x01") for t in texts) + "\x00"  # NUL is the separator
    lo, hi = ngrams
    cp = np.frombuffer((joined + "\x00" * hi).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    size = len(joined)
    sep = cp == 0
    doc = np.cumsum(sep[:size]) - sep[:size]  # document number of every position (a separator: the one before)
    mask = np.uint32(n_features - 1)
    hashes = np.empty((size, hi - lo + 1), dtype=np.uint32)
    kept = np.empty((size, hi - lo + 1), dtype=bool)
    h = cp[:size].copy()
    clean = ~sep[:size]
    for n in range(1, hi + 1):
        if n > 1:
            h = h * _MULTIPLIER + cp[n - 1:n - 1 + size]
            clean = clean & ~sep[n - 1:n - 1 + size]
        if n >= lo:
            hashes[:, n - lo] = (h * _MULTIPLIER + np.uint32(n)) & mask
            kept[:, n - lo] = clean
    keep = kept.ravel()
    cols = hashes.ravel()[keep].astype(np.int32)
    rows = np.repeat(doc, hi - lo + 1)[keep]
    counts = np.bincount(rows, minlength=n_docs)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    data = np.repeat((1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32), counts)
    return sp.csr_matrix((data, cols, indptr), shape=(n_docs, n_features))


_WORD_MULTIPLIER = 1_000_003
_INVERSE = pow(_WORD_MULTIPLIER, -1, 1 << 32)
_PAIR_SALT = 0x9E3779B9
_IS_WORD = np.array([chr(c).isalnum() or c == 0x5F for c in range(0x10000)], dtype=bool)  # `\w` in the BMP


def _fmix(h: np.ndarray) -> np.ndarray:
    """murmur3's 32-bit finaliser: every output bit depends on every input bit."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _powers(base: int, n: int) -> np.ndarray:
    out = np.full(n, base, dtype=np.uint32)
    out[:1] = 1  # nothing when n is 0 (an empty text)
    return np.cumprod(out, dtype=np.uint32)


def word_ngram_block(texts: Sequence[str], n_features: int) -> sp.csr_matrix:
    """Hashed word unigrams and bigrams for a batch, with numpy.

    A word is a run of word characters (letters, digits, underscore: `\\w`; nothing above the BMP is one).
    A word's hash is sum(c[i] * M**i) over its code points, read off prefix sums of the batch in one pass (a
    subtraction and a multiplication by M's inverse modulo 2**32), mixed with its length; a bigram's mixes its two
    words'. Entries come out in text order, unigram then bigram, and weigh 1/sqrt(the post's count of them).
    """
    n_docs = len(texts)
    if n_docs == 0:
        return sp.csr_matrix((0, n_features), dtype=np.float32)
    joined = "\x00".join(t.replace("\x00", " ") for t in texts) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts, _, h = _word_hashes(cp)
    token_doc = np.cumsum(cp == 0)[starts]  # NUL ends each text; a word starts after as many NULs as its text's number
    n = len(h)
    cols = np.empty(2 * n, dtype=np.uint32)
    keep = np.zeros(2 * n, dtype=bool)
    rows = np.repeat(token_doc, 2)
    cols[0::2] = h
    keep[0::2] = True
    if n > 1:
        cols[1:-1:2] = _pair_hashes(h)
        keep[1:-1:2] = token_doc[:-1] == token_doc[1:]
    cols = (cols[keep] & np.uint32(n_features - 1)).astype(np.int32)
    rows = rows[keep]
    counts = np.bincount(rows, minlength=n_docs)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    data = np.repeat((1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32), counts)
    return sp.csr_matrix((data, cols, indptr), shape=(n_docs, n_features))


def word_columns(text: str, n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One text's words as `word_ngram_block` sees them: each word's start and end, its column, and the column of the
    pair it starts (one fewer). The explainer's way back from weights to words: the same hashing code, so the same
    columns by construction."""
    cp = np.frombuffer(text.replace("\x00", " ").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts, ends, h = _word_hashes(cp)
    mask = np.uint32(n_features - 1)
    return starts, ends, (h & mask).astype(np.int64), (_pair_hashes(h) & mask).astype(np.int64)


def _word_hashes(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The start, end and 32-bit hash of every word in a run of code points."""
    size = len(cp)
    is_word = np.zeros(size + 2, dtype=np.int8)
    bmp = cp < 0x10000
    is_word[1:-1][bmp] = _IS_WORD[cp[bmp]]
    edges = np.diff(is_word)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    prefix = np.concatenate(([0], np.cumsum(cp * _powers(_WORD_MULTIPLIER, size), dtype=np.uint32))).astype(np.uint32)
    h = (prefix[ends] - prefix[starts]) * _powers(_INVERSE, size)[starts]
    return starts, ends, _fmix(h * np.uint32(_WORD_MULTIPLIER) + (ends - starts).astype(np.uint32))


def _pair_hashes(h: np.ndarray) -> np.ndarray:
    """The hash of each pair of neighbouring words (one fewer than the words)."""
    return _fmix(h[:-1] * np.uint32(_WORD_MULTIPLIER) + h[1:] + np.uint32(_PAIR_SALT))
