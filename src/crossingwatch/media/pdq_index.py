"""Exact Hamming-distance matching of PDQ hashes (256 bits) by multi-index hashing, in numpy.

Belongs here: the index, its on-disk format and the plain reference `hamming()`. Not here: hashing images, banks,
thresholds per bank (callers pass `max_distance`).

How it works. Each hash is cut into 16 chunks of 16 bits; table t holds every row position sorted by chunk t
(`perm[t]`, with `offsets[t]` the start of each of the 65,536 chunk values). By pigeonhole a hash within distance
<= 31 of the query differs on some chunk by at most one bit (16 chunks x 2 bits = 32 > 31), so probing each chunk's
value and its 16 one-bit flips finds every match (for max_distance <= 15 the exact values suffice). Candidates are
verified with XOR + `np.bitwise_count`, so results are exact. A max_distance above 31 is answered by a brute-force
scan of every row instead: exact, but slow (a full pass over the hashes per query).

Memory: 104 bytes per hash (32 hash + 8 id + 16 tables x 4 permutation) plus 8.4 MB of offsets, whatever N is;
a 1-byte-per-row tombstone mask appears once something is removed.

Updates: `add` puts rows in a small delta part, scanned by brute force and matched at once; past `DELTA_LIMIT` rows
the delta is merged into the main part (a rebuild). `remove` marks tombstones. `save` merges both in. Queries read
one immutable snapshot of the state, so they may run while another thread adds or removes (copy-on-write).

Format: a directory with `meta.json` (written last) and `hashes.npy`, `ids.npy`, `perm.npy`, `offsets.npy`, opened
with `mmap_mode="r"` and never pickled (a hostile index file must not run code).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PdqIndex", "hamming", "pdq_from_hex", "pdq_to_hex"]

TABLES = 16
BUCKETS = 1 << 16
PIGEONHOLE_MAX = 2 * TABLES - 1  # 31: the largest distance the one-flip probes cover exactly
_FLIPS = np.array([0] + [1 << b for b in range(16)], dtype=np.int64)
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_CANDIDATE_BUDGET = 1 << 16  # candidates per numpy pass: bigger passes only thrash the cache (measured)
_SCAN_BLOCK = 1 << 18  # rows per brute-force pass: 8 MB of hashes, cache-sized temporaries
_CHECK_BLOCK = 1 << 20  # ids checked per step when opening
_NONE = np.zeros(0, np.int64)
_ARRAYS = {"hashes": (np.uint8, 2), "ids": (np.int64, 1), "perm": (np.uint32, 2), "offsets": (np.int64, 2)}


def pdq_from_hex(value: str) -> np.ndarray:
    """64 hex characters -> (32,) uint8; strict, because `bytes.fromhex` would quietly skip spaces."""
    if not isinstance(value, str):
        raise ValueError(f"PDQ hash must be a str of 64 hex characters, got {type(value).__name__}")
    if len(value) != 64:
        raise ValueError(f"PDQ hash must be 64 hex characters, got {len(value)}: {value[:80]!r}")
    if not _HEX.fullmatch(value):
        raise ValueError(f"PDQ hash has a character that is not hex (0-9, a-f): {value!r}")
    return np.frombuffer(bytes.fromhex(value), dtype=np.uint8).copy()


def pdq_to_hex(bits: np.ndarray) -> str:
    """(32,) uint8 -> 64 lower-case hex characters, the form PDQ tools and exchanges use."""
    return _as_hashes(bits, "hash", single=True)[0].tobytes().hex()


def hamming(a: np.ndarray, b: np.ndarray) -> int:
    """The reference compare(): plain Python integers, no numpy popcount, so it can check the index honestly."""
    x = int.from_bytes(_as_hashes(a, "a", single=True).tobytes(), "big")
    y = int.from_bytes(_as_hashes(b, "b", single=True).tobytes(), "big")
    return (x ^ y).bit_count()


def _as_hashes(value: object, name: str, single: bool = False) -> np.ndarray:
    """Checked (N, 32) uint8 view; single=True wants one (32,) hash and returns it as (1, 32)."""
    if not isinstance(value, np.ndarray) or value.dtype != np.uint8:
        kind = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
        raise ValueError(f"{name} must be a numpy uint8 array (use pdq_from_hex for hex strings), got {kind}")
    want = (32,) if single else (-1, 32)
    if value.ndim != len(want) or value.shape[-1] != 32:
        raise ValueError(f"{name} must have shape {'(32,)' if single else '(N, 32)'}, got {value.shape}")
    return np.ascontiguousarray(value).reshape(-1, 32)


def _as_ids(value: object, count: int) -> np.ndarray:
    ids = np.asarray(value)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
    if len(ids) != count:
        raise ValueError(f"ids has {len(ids)} entries but hashes has {count} rows; give one id per hash")
    if ids.dtype.kind == "u" and len(ids) and int(ids.max()) > np.iinfo(np.int64).max:
        raise ValueError("ids must fit in int64")
    return ids.astype(np.int64)


def _check_distance(max_distance: int) -> int:
    if isinstance(max_distance, bool) or not isinstance(max_distance, int | np.integer) or max_distance < 0:
        raise ValueError(f"max_distance must be an int >= 0, got {max_distance!r}")
    return int(max_distance)


@dataclass(frozen=True)
class _Main:
    """The sorted, immutable part: rows ordered by id, so `remove` finds a row by binary search."""

    hashes: np.ndarray  # (N, 32) uint8
    ids: np.ndarray  # (N,) int64, strictly increasing
    perm: np.ndarray  # (16, N) uint32: row positions sorted by each 16-bit chunk
    offsets: np.ndarray  # (16, 65537) int64: where each chunk value starts in perm[t]

    @property
    def words(self) -> np.ndarray:
        return self.hashes.view(np.uint64)  # (N, 4): XOR + popcount on 4 words, not 32 bytes

    @classmethod
    def build(cls, hashes: np.ndarray, ids: np.ndarray) -> _Main:
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        if len(ids) > 1 and not np.all(ids[1:] != ids[:-1]):
            dup = ids[1:][ids[1:] == ids[:-1]][0]
            raise ValueError(f"id {dup} appears more than once; each live entry needs its own id")
        hashes = np.ascontiguousarray(hashes[order])
        chunks = hashes.view(">u2")  # (N, 16) big-endian chunk values
        perm = np.empty((TABLES, len(ids)), dtype=np.uint32)
        offsets = np.zeros((TABLES, BUCKETS + 1), dtype=np.int64)
        for t in range(TABLES if len(ids) else 0):  # an empty index keeps its zero pages untouched (no RSS)
            column = chunks[:, t].astype(np.uint16)
            perm[t] = np.argsort(column, kind="stable")  # radix sort for uint16: O(N)
            np.cumsum(np.bincount(column, minlength=BUCKETS), out=offsets[t, 1:])
        return cls(hashes, ids, perm, offsets)


@dataclass(frozen=True)
class _State:
    """One consistent snapshot; writers build a new one and swap the reference (readers never lock)."""

    main: _Main
    dead: np.ndarray | None  # (N,) bool tombstones of main rows, None until the first removal
    n_dead: int
    delta_hashes: np.ndarray  # (D, 32) uint8, brute-force scanned
    delta_ids: np.ndarray  # (D,) int64


def _empty_state() -> _State:
    main = _Main.build(np.zeros((0, 32), np.uint8), np.zeros(0, np.int64))
    return _State(main, None, 0, main.hashes, main.ids)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances of two same-shape (C, 4) uint64 arrays, row by row.

    Same shape on purpose: broadcasting a (1, 4) query makes numpy loop 4 items at a time, 6x slower.
    """
    counts = np.bitwise_count(a ^ b)  # (C, 4) uint8, each <= 64
    # Summing 4 bytes along a short axis is slow in numpy; add them as lanes of one uint32 instead (9x faster).
    lanes = counts.view(np.uint32).ravel()
    pairs = (lanes & 0x00FF00FF) + ((lanes >> 8) & 0x00FF00FF)
    return ((pairs & 0xFFFF) + (pairs >> 16)).astype(np.int64)


def _scan(words: np.ndarray, qwords: np.ndarray, max_distance: int) -> tuple[np.ndarray, ...]:
    """Brute force: (query index, row, distance) of every row within max_distance, one block of rows at a time."""
    if not len(words):
        return (_NONE,) * 3
    found: list[tuple[np.ndarray, ...]] = [(_NONE,) * 3]
    block = min(len(words), _SCAN_BLOCK)
    for qi, q in enumerate(qwords):
        tiled = np.tile(q, (block, 1))
        for r0 in range(0, len(words), block):
            d = _distances(words[r0:r0 + block], tiled[:min(block, len(words) - r0)])
            rows = np.flatnonzero(d <= max_distance)
            found.append((np.full(len(rows), qi), rows + r0, d[rows]))
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))


def _probe(main: _Main, qwords: np.ndarray, chunks: np.ndarray, max_distance: int) -> tuple[np.ndarray, ...]:
    """Multi-index hashing: gather every row sharing a chunk (up to the flips) with a query, verify, dedupe."""
    n = len(main.ids)
    flips = _FLIPS if max_distance >= TABLES else _FLIPS[:1]
    table = np.arange(TABLES)[None, :, None]
    values = chunks[:, :, None] ^ flips  # (Q, 16, P)
    starts = main.offsets[table, values]
    lengths = (main.offsets[table, values + 1] - starts).ravel()
    starts = (starts + table * n).ravel()
    total = int(lengths.sum())
    if total == 0:
        return (_NONE,) * 3
    # Concatenate all ranges without a Python loop: index i of the output reads perm_flat[i + shift(range of i)].
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    rows = np.take(main.perm.reshape(-1), np.arange(total) + shift).astype(np.int64)
    qi = np.repeat(np.arange(len(qwords)).repeat(starts.size // len(qwords)), lengths)
    # np.take, not words[rows]: for (N, 4) rows it is 4-5x faster (measured at 10M), and this gather is the cost.
    d = _distances(np.take(main.words, rows, axis=0), np.take(qwords, qi, axis=0))
    keep = d <= max_distance
    key, first = np.unique(qi[keep] * max(n, 1) + rows[keep], return_index=True)  # a match shows in several tables
    return key // max(n, 1), key % max(n, 1), d[keep][first]


class PdqIndex:
    """Exact PDQ matching: build once, add and remove while serving, save to and open from an explicit format."""

    FORMAT = "crossingwatch-pdq-index"
    FORMAT_VERSION = 1
    DELTA_LIMIT = 1 << 16  # delta rows before a merge: keeps the delta's brute-force scan under ~1 ms a query

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _empty_state()

    @classmethod
    def build(cls, hashes: np.ndarray, ids: np.ndarray) -> PdqIndex:
        rows = _as_hashes(hashes, "hashes")
        index = cls()
        main = _Main.build(rows, _as_ids(ids, len(rows)))
        index._state = _State(main, None, 0, index._state.delta_hashes, index._state.delta_ids)
        return index

    def __len__(self) -> int:
        s = self._state
        return len(s.main.ids) - s.n_dead + len(s.delta_ids)

    def add(self, hashes: np.ndarray, ids: np.ndarray) -> None:
        """Matched as soon as this returns; an id may be reused only after it was removed."""
        rows = _as_hashes(hashes, "hashes")
        new_ids = _as_ids(ids, len(rows))
        with self._lock:
            s = self._state
            clash = np.concatenate([new_ids[self._live_in_main(s, new_ids)], new_ids[np.isin(new_ids, s.delta_ids)]])
            if len(clash):
                raise ValueError(f"id {clash[0]} is already in the index; remove it first to replace its hash")
            delta_ids = np.concatenate([s.delta_ids, new_ids])
            if len(np.unique(delta_ids)) != len(delta_ids):
                raise ValueError("ids given to add() repeat an id; each live entry needs its own id")
            s = _State(s.main, s.dead, s.n_dead, np.concatenate([s.delta_hashes, rows]), delta_ids)
            self._state = self._merged(s) if len(s.delta_ids) > self.DELTA_LIMIT else s

    def remove(self, ids: Iterable[int]) -> None:
        """Tombstones: removed ids are never returned again; unknown ids are ignored, so removing is idempotent."""
        gone = np.unique(np.fromiter((int(i) for i in ids), dtype=np.int64))
        with self._lock:
            s = self._state
            hit = np.searchsorted(s.main.ids, gone[self._live_in_main(s, gone)])
            dead = s.dead
            if len(hit):
                dead = np.zeros(len(s.main.ids), bool) if dead is None else dead.copy()
                dead[hit] = True
            keep = ~np.isin(s.delta_ids, gone)
            self._state = _State(s.main, dead, s.n_dead + len(hit), s.delta_hashes[keep], s.delta_ids[keep])

    @staticmethod
    def _live_in_main(s: _State, ids: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(s.main.ids, ids), max(len(s.main.ids) - 1, 0))
        live = (s.main.ids[at] == ids) if len(s.main.ids) else np.zeros(len(ids), bool)
        return live & ~s.dead[at] if s.dead is not None else live

    @staticmethod
    def _merged(s: _State) -> _State:
        live = slice(None) if s.dead is None else ~s.dead
        hashes = np.concatenate([s.main.hashes[live], s.delta_hashes])
        main = _Main.build(hashes, np.concatenate([s.main.ids[live], s.delta_ids]))
        return _State(main, None, 0, main.hashes[:0], main.ids[:0])

    def query(self, hash: np.ndarray, max_distance: int = 31) -> list[tuple[int, int]]:
        """[(id, distance)] of every live entry within max_distance, sorted by distance then id."""
        return self.query_many(_as_hashes(hash, "hash", single=True), max_distance)[0]

    def query_many(self, hashes: np.ndarray, max_distance: int = 31) -> list[list[tuple[int, int]]]:
        """One result list per query row, as `query` gives; batching amortises numpy's per-call overhead."""
        queries = _as_hashes(hashes, "hashes")
        max_distance = _check_distance(max_distance)
        if not len(queries):
            return []
        s = self._state  # one snapshot for the whole call
        qwords = queries.view(np.uint64)
        main_n = len(s.main.ids)
        if max_distance > PIGEONHOLE_MAX:
            qi, rows, d = _scan(s.main.words, qwords, max_distance)
        else:
            chunks = queries.view(">u2").astype(np.int64)
            probes = TABLES * (len(_FLIPS) if max_distance >= TABLES else 1)
            step = max(1, _CANDIDATE_BUDGET // max(1, probes * main_n // BUCKETS))
            parts = [_probe(s.main, qwords[i:i + step], chunks[i:i + step], max_distance)
                     for i in range(0, len(queries), step)]
            qi = np.concatenate([p[0] + i for p, i in zip(parts, range(0, len(queries), step), strict=True)])
            rows, d = np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
        if s.dead is not None:
            live = ~s.dead[rows]
            qi, rows, d = qi[live], rows[live], d[live]
        dqi, drows, dd = _scan(s.delta_hashes.view(np.uint64), qwords, max_distance)
        qi, d = np.concatenate([qi, dqi]), np.concatenate([d, dd])
        ids = np.concatenate([s.main.ids[rows], s.delta_ids[drows]])
        order = np.lexsort((ids, d, qi))
        qi, ids, d = qi[order], ids[order], d[order]
        bounds = np.searchsorted(qi, np.arange(len(queries) + 1))
        pairs = list(zip(ids.tolist(), d.tolist(), strict=True))
        return [pairs[bounds[i]:bounds[i + 1]] for i in range(len(queries))]

    def save(self, directory: Path) -> None:
        """Merge delta and tombstones in, then write each file beside its target and rename it into place."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            s = self._state
            if s.dead is not None or len(s.delta_ids):
                s = self._state = self._merged(s)
            arrays = {"hashes": s.main.hashes, "ids": s.main.ids, "perm": s.main.perm, "offsets": s.main.offsets}
            for name, array in arrays.items():
                tmp = directory / f".{name}.npy.tmp"
                with tmp.open("wb") as f:
                    np.save(f, np.ascontiguousarray(array), allow_pickle=False)
                os.replace(tmp, directory / f"{name}.npy")
            meta = {"format": self.FORMAT, "format_version": self.FORMAT_VERSION, "count": len(s.main.ids),
                    "tables": TABLES, "chunk_bits": 16, "files": {n: f"{n}.npy" for n in arrays}}
            (directory / ".meta.json.tmp").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
            os.replace(directory / ".meta.json.tmp", directory / "meta.json")

    @classmethod
    def open(cls, directory: Path) -> PdqIndex:
        """Memory-map a saved index: opening costs the checks below, not a read of the hashes."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / "meta.json").read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{directory}: no readable meta.json, so not a saved PDQ index ({e})") from e
        if not isinstance(meta, dict) or meta.get("format") != cls.FORMAT:
            raise ValueError(f"{directory}/meta.json: format is not {cls.FORMAT!r}")
        if meta.get("format_version") != cls.FORMAT_VERSION:
            raise ValueError(f"{directory}/meta.json: format_version {meta.get('format_version')!r} is not "
                             f"{cls.FORMAT_VERSION}; rebuild the index with this version")
        n = meta.get("count")
        if not isinstance(n, int) or n < 0 or meta.get("tables") != TABLES or meta.get("chunk_bits") != 16:
            raise ValueError(f"{directory}/meta.json: count, tables or chunk_bits is missing or wrong")
        arrays = {}
        for name, (dtype, ndim) in _ARRAYS.items():
            path = directory / f"{name}.npy"
            try:
                arrays[name] = np.load(path, mmap_mode="r" if n else None, allow_pickle=False)
            except (OSError, ValueError, EOFError) as e:
                raise ValueError(f"{path}: cannot be read as a .npy array ({e}); the index is corrupt") from e
            if arrays[name].dtype != dtype or arrays[name].ndim != ndim:
                raise ValueError(f"{path}: dtype {arrays[name].dtype}/{arrays[name].ndim}-D, expected {dtype}")
        shapes = {"hashes": (n, 32), "ids": (n,), "perm": (TABLES, n), "offsets": (TABLES, BUCKETS + 1)}
        for name, shape in shapes.items():
            if arrays[name].shape != shape:
                raise ValueError(f"{directory}/{name}.npy: shape {arrays[name].shape}, expected {shape}")
        offsets, ids = arrays["offsets"], arrays["ids"]
        if np.any(offsets[:, 0] != 0) or np.any(offsets[:, -1] != n) or not np.all(offsets[:, 1:] >= offsets[:, :-1]):
            raise ValueError(f"{directory}/offsets.npy: offsets do not run from 0 to {n}; the index is corrupt")
        for i in range(0, n - 1, _CHECK_BLOCK):  # in blocks, so opening allocates little (10M ids: 80 MB read)
            j = min(i + _CHECK_BLOCK, n - 1)
            if not np.all(ids[i + 1:j + 1] > ids[i:j]):
                raise ValueError(f"{directory}/ids.npy: ids are not strictly increasing; the index is corrupt")
        index = cls()
        main = _Main(arrays["hashes"], ids, arrays["perm"], offsets)
        index._state = _State(main, None, 0, index._state.delta_hashes, index._state.delta_ids)
        return index
