"""Campaigns: near-copies of one advert, found with MinHash and locality-sensitive hashing (LSH).

Pure numpy, vectorised over a whole batch of texts (no Python loop per shingle or per hash function):
  1. normalise the batch as one string: casefold, every run of digits becomes `0` (phones, prices and dates are
     the slots a campaign varies), punctuation and emoji become spaces;
  2. shingles are the character 5-grams of each text, in any script, hashed with a polynomial over code points;
  3. `k` MinHash values per text (multiply-shift hashes, one `minimum.reduceat` per hash function);
  4. LSH: `bands` × `rows` values; texts sharing a band key are candidates; a candidate pair is kept only when its
     estimated Jaccard similarity reaches `threshold`; kept pairs are joined into connected components.

Texts with fewer than 5 characters after normalisation have no shingle: they are never clustered (label -1).
Templates (what the copies share and what varies) are in `detect/templates.py`; storage is the services' job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

SHINGLE = 5
_SEP = "\x1f"
_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^\w\x1f]+|_+")
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class LshParams:
    """How texts are compared. `bands * rows` must not exceed `k`; the defaults find copies whose shingles
    overlap by about half or more (the S-curve's midpoint is (1/bands)**(1/rows) ≈ 0.37)."""

    k: int = 60
    bands: int = 20
    rows: int = 3
    threshold: float = 0.45  # the least estimated Jaccard similarity for a candidate pair to join
    seed: int = 20210419  # InfoShield's ICDE paper year and month; any fixed value keeps signatures comparable

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.k or min(self.k, self.bands, self.rows) < 1:
            raise ValueError(f"LSH: bands ({self.bands}) × rows ({self.rows}) must be at most k ({self.k})")


DEFAULT = LshParams()


def _coefficients(params: LshParams) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(params.seed)
    a = rng.integers(1, 2**63, size=params.k, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63, size=params.k, dtype=np.uint64)
    return a, b


def normalise_batch(texts: Sequence[str]) -> str:
    """The batch as one string, texts separated by U+001F (which no text keeps)."""
    joined = _SEP.join(t.replace(_SEP, " ") for t in texts).casefold()
    return _NON_WORD.sub(" ", _DIGITS.sub("0", joined))


def shingle_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, owner): one 64-bit hash per character 5-gram that lies inside a text, and the index of that text."""
    codes = np.frombuffer(normalise_batch(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    sep = codes == ord(_SEP)
    n = len(codes) - SHINGLE + 1
    if n <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    seps = np.concatenate(([0], np.cumsum(sep, dtype=np.int64)))
    inside = (seps[SHINGLE:] - seps[:n]) == 0  # no separator within the window
    h = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(SHINGLE):  # a polynomial over the window's code points, wrapping at 2**64
            h = h * np.uint64(0x100000001B3) + codes[j:j + n]
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
    return h[inside], seps[:n][inside]


def signatures(texts: Sequence[str], params: LshParams = DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """(signatures, ok): a `k`-value MinHash signature (uint32) per text, and whether the text had any shingle."""
    hashes, owner = shingle_hashes(texts)
    sig = np.full((len(texts), params.k), np.iinfo(np.uint32).max, dtype=np.uint32)
    ok = np.zeros(len(texts), dtype=bool)
    if not len(hashes):
        return sig, ok
    starts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
    who = owner[starts]
    ok[who] = True
    a, b = _coefficients(params)
    with np.errstate(over="ignore"):
        for j in range(params.k):  # multiply-shift: the top 32 bits of a*x + b are a 2-universal hash
            v = ((hashes * a[j] + b[j]) >> np.uint64(32)).astype(np.uint32)
            sig[who, j] = np.minimum.reduceat(v, starts)
    return sig, ok


def band_keys(sig: np.ndarray, params: LshParams = DEFAULT) -> np.ndarray:
    """One uint64 key per text and band (shape n × bands): equal keys mean equal rows in that band."""
    n = sig.shape[0]
    keys = np.zeros((n, params.bands), dtype=np.uint64)
    mult = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
                    dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(params.bands):
            h = np.full(n, band + 1, dtype=np.uint64)
            for r in range(params.rows):
                h = (h ^ sig[:, band * params.rows + r].astype(np.uint64)) * mult[r % len(mult)]
                h ^= h >> np.uint64(29)
            keys[:, band] = h
    return keys


def similarity(sig: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 1_000_000) -> np.ndarray:
    """Estimated Jaccard similarity of the pairs (a[i], b[i]): the share of equal MinHash values."""
    out = np.empty(len(a), dtype=np.float32)
    for s in range(0, len(a), chunk):
        out[s:s + chunk] = (sig[a[s:s + chunk]] == sig[b[s:s + chunk]]).mean(axis=1)
    return out


def candidate_pairs(keys: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of texts that share a band key: each text with the one before it in key order (a chain per bucket,
    so a bucket of 500 copies gives 499 pairs, not 124,750)."""
    usable = np.flatnonzero(ok)
    left, right = [], []
    for band in range(keys.shape[1]):
        k = keys[usable, band]
        order = np.argsort(k, kind="stable")
        same = k[order[1:]] == k[order[:-1]]
        left.append(usable[order[1:][same]])
        right.append(usable[order[:-1][same]])
    if not left:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b = np.concatenate(left), np.concatenate(right)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(lo.astype(np.int64) * len(ok) + hi)
    return pairs // len(ok), pairs % len(ok)


def cluster(sig: np.ndarray, ok: np.ndarray, params: LshParams = DEFAULT) -> np.ndarray:
    """A label per text: texts joined by verified near-copy pairs share one (the smallest index among them);
    a text with no near-copy keeps its own index; a text without shingles gets -1."""
    n = sig.shape[0]
    a, b = candidate_pairs(band_keys(sig, params), ok)
    keep = similarity(sig, a, b) >= params.threshold
    a, b = a[keep], b[keep]
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    first = np.full(comp.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n, dtype=np.int64))
    labels = first[comp]
    labels[~ok] = -1
    return labels
