"""The PDQ index against the plain reference `hamming()`: exact at every distance, through adds, removals and disk."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossingwatch.media import pdq_index
from crossingwatch.media.pdq_index import PdqIndex, hamming, pdq_from_hex, pdq_to_hex

FAST = settings(max_examples=100, deadline=None)


def random_hashes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, (n, 32), dtype=np.uint8)


def flip(h: np.ndarray, bits: list[int] | np.ndarray) -> np.ndarray:
    unpacked = np.unpackbits(h)
    unpacked[np.asarray(bits, dtype=np.int64)] ^= 1
    return np.packbits(unpacked)


def brute(hashes: np.ndarray, ids: np.ndarray, q: np.ndarray, max_distance: int = 31) -> list[tuple[int, int]]:
    found = [(int(i), hamming(h, q)) for h, i in zip(hashes, ids, strict=True)]
    return sorted(((i, d) for i, d in found if d <= max_distance), key=lambda p: (p[1], p[0]))


def planted(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random hashes plus one near-duplicate of a query at each distance 0..40; ids shuffled and spread out."""
    rng = np.random.default_rng(seed)
    q = random_hashes(rng, 1)[0]
    near = np.stack([flip(q, rng.choice(256, d, replace=False)) for d in range(41)])
    hashes = np.concatenate([random_hashes(rng, n), near])
    ids = rng.permutation(len(hashes)).astype(np.int64) * 7 - 1000
    return hashes, ids, q


@given(st.binary(min_size=32, max_size=32))
def test_hex_round_trip(raw: bytes) -> None:
    bits = pdq_from_hex(raw.hex().upper())
    assert bits.dtype == np.uint8 and bits.shape == (32,)
    assert pdq_to_hex(bits) == raw.hex()


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_hamming_counts_differing_bits(a: bytes, b: bytes) -> None:
    x, y = np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8)
    assert hamming(x, y) == int((np.unpackbits(x) != np.unpackbits(y)).sum())


@FAST
@given(st.integers(0, 2**32 - 1))
def test_every_planted_near_duplicate_within_31_is_found_and_none_beyond(seed: int) -> None:
    hashes, ids, q = planted(seed)
    got = PdqIndex.build(hashes, ids).query(q)
    assert got == brute(hashes, ids, q)
    near_ids = dict(zip(ids[-41:].tolist(), range(41), strict=True))
    assert sorted(near_ids[i] for i, _ in got if i in near_ids) == list(range(32))


@FAST
@given(st.sets(st.integers(0, 255), max_size=40))
def test_any_spread_of_flipped_bits_is_found_iff_within_31(bits: set[int]) -> None:
    rng = np.random.default_rng(len(bits))
    q = random_hashes(rng, 1)[0]
    index = PdqIndex.build(np.stack([flip(q, sorted(bits))]), np.array([5]))
    assert index.query(q) == ([(5, len(bits))] if len(bits) <= 31 else [])


@pytest.mark.parametrize(("bits", "found"), [
    ([16 * c + k for c in range(15) for k in (0, 9)] + [255], True),  # 2 bits in 15 chunks, 1 in the last: 31
    ([16 * c + k for c in range(16) for k in (3, 12)], False),  # 2 bits in every chunk: 32, no chunk within 1
    (list(range(31)), True),  # all in two chunks
])
def test_pigeonhole_edge_spreads(bits: list[int], found: bool) -> None:
    q = np.zeros(32, np.uint8)
    index = PdqIndex.build(np.stack([flip(q, bits)]), np.array([1]))
    assert index.query(q) == ([(1, len(bits))] if found else [])
    assert index.query(q, max_distance=len(bits)) == [(1, len(bits))]


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(0, 31))
def test_smaller_max_distances_are_exact(seed: int, max_distance: int) -> None:
    hashes, ids, q = planted(seed, n=50)
    assert PdqIndex.build(hashes, ids).query(q, max_distance) == brute(hashes, ids, q, max_distance)


@pytest.mark.parametrize("max_distance", [32, 40, 64, 128, 256])
def test_above_31_falls_back_to_an_exact_scan(max_distance: int) -> None:
    hashes, ids, q = planted(3)
    index = PdqIndex.build(hashes, ids)
    index.add(flip(q, range(33))[None], np.array([10**9]))
    everything = np.concatenate([hashes, flip(q, range(33))[None]])
    assert index.query(q, max_distance) == brute(everything, np.append(ids, 10**9), q, max_distance)


def test_query_many_matches_query_row_by_row() -> None:
    hashes, ids, q = planted(11)
    rng = np.random.default_rng(11)
    queries = np.concatenate([q[None], hashes[::37], random_hashes(rng, 5)])
    index = PdqIndex.build(hashes, ids)
    assert index.query_many(queries) == [index.query(x) for x in queries]
    assert index.query_many(queries, 40) == [brute(hashes, ids, x, 40) for x in queries]
    assert index.query_many(np.zeros((0, 32), np.uint8)) == []


def test_added_hashes_match_at_once_and_merge_past_the_delta_limit() -> None:
    hashes, ids, q = planted(5)
    index = PdqIndex.build(hashes[:200], ids[:200])
    index.DELTA_LIMIT = 100
    index.add(hashes[200:250], ids[200:250])
    assert len(index._state.delta_ids) == 50 and len(index) == 250
    assert index.query(q) == brute(hashes[:250], ids[:250], q)
    index.add(hashes[250:], ids[250:])  # past the limit: merged into the main part
    assert len(index._state.delta_ids) == 0 and len(index) == len(hashes)
    assert index.query(q) == brute(hashes, ids, q)

    empty = PdqIndex()
    assert len(empty) == 0 and empty.query(q) == []
    empty.add(hashes, ids)
    assert empty.query(q) == brute(hashes, ids, q)


def test_removed_ids_are_never_returned() -> None:
    hashes, ids, q = planted(8)
    index = PdqIndex.build(hashes[:-20], ids[:-20])
    index.add(hashes[-20:], ids[-20:])
    matches = [i for i, _ in index.query(q)]
    gone = [matches[0], matches[1], matches[-1], 123456789]  # two from main, one from the delta, one unknown
    for i in range(4):
        index.remove(gone[i:i + 1])
    index.remove(gone)  # idempotent
    live = ~np.isin(ids, gone)
    assert len(index) == int(live.sum())
    assert index.query(q) == brute(hashes[live], ids[live], q)
    assert index.query(q, 64) == brute(hashes[live], ids[live], q, 64)

    replacement = flip(q, [1, 2])  # a removed id may come back with a new hash; the old one stays gone
    index.add(replacement[None], np.array([matches[0]]))
    assert (matches[0], 2) in index.query(q)
    assert index.query(replacement)[0] == (matches[0], 0)
    assert [i for i, _ in index.query(q)].count(matches[0]) == 1


def test_save_and_open_round_trip_memory_maps(tmp_path: Path) -> None:
    hashes, ids, q = planted(9)
    index = PdqIndex.build(hashes[:-10], ids[:-10])
    index.add(hashes[-10:], ids[-10:])
    index.remove([int(ids[-1])])
    before = index.query_many(hashes[::5])
    index.save(tmp_path / "pdq")

    opened = PdqIndex.open(tmp_path / "pdq")
    assert isinstance(opened._state.main.hashes, np.memmap) and isinstance(opened._state.main.perm, np.memmap)
    assert len(opened) == len(hashes) - 1 and opened.query_many(hashes[::5]) == before
    meta = json.loads((tmp_path / "pdq" / "meta.json").read_text("utf-8"))
    assert (meta["format"], meta["format_version"], meta["count"]) == (PdqIndex.FORMAT, 1, len(hashes) - 1)
    for f in (tmp_path / "pdq").glob("*.npy"):
        np.load(f, allow_pickle=False)  # plain arrays, nothing pickled

    opened.add(flip(q, [0])[None], np.array([42424242]))  # changes on a mapped index, saved over its own files
    opened.remove([int(ids[0])])
    opened.save(tmp_path / "pdq")
    again = PdqIndex.open(tmp_path / "pdq")
    assert (42424242, 1) in again.query(q) and int(ids[0]) not in [i for i, _ in again.query(hashes[0])]

    PdqIndex().save(tmp_path / "empty")
    assert len(PdqIndex.open(tmp_path / "empty")) == 0 and PdqIndex.open(tmp_path / "empty").query(q) == []


def test_queries_run_while_another_thread_adds() -> None:
    rng = np.random.default_rng(4)
    base = random_hashes(rng, 500)
    index = PdqIndex.build(base, np.arange(500))
    index.DELTA_LIMIT = 64  # so merges happen during the run too
    extra = random_hashes(rng, 400)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(0, 400, 20):
                index.add(extra[i:i + 20], np.arange(1000 + i, 1020 + i))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        for j in range(0, 400, 40):
            got = index.query(extra[j])
            assert got in ([], [(1000 + j, 0)])
        assert index.query(base[7]) == [(7, 0)]
    thread.join()
    assert not errors
    assert all(index.query(extra[j]) == [(1000 + j, 0)] for j in range(400))


@pytest.mark.parametrize(("value", "message"), [
    ("ab" * 31, "64 hex characters, got 62"),
    ("ab" * 32 + "0", "got 65"),
    ("zz" + "ab" * 31, "not hex"),
    (" " + "ab" * 31 + "a", "not hex"),
    (b"ab" * 32, "must be a str"),
])
def test_bad_hex_is_named(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pdq_from_hex(value)  # type: ignore[arg-type]


def test_bad_arrays_are_named() -> None:
    h = np.zeros((3, 32), np.uint8)
    index = PdqIndex.build(h[:1], np.array([1]))
    cases = [
        (lambda: PdqIndex.build(h.astype(np.int64), np.arange(3)), "uint8"),
        (lambda: PdqIndex.build(h[:, :16], np.arange(3)), r"shape \(N, 32\)"),
        (lambda: PdqIndex.build(h, np.arange(2)), "ids has 2 entries but hashes has 3"),
        (lambda: PdqIndex.build(h, np.array([1.0, 2.0, 3.0])), "integer"),
        (lambda: PdqIndex.build(h, np.array([4, 5, 4])), "id 4 appears more than once"),
        (lambda: index.add(h[:1], np.array([1])), "id 1 is already in the index"),
        (lambda: index.add(h[:2], np.array([9, 9])), "repeat an id"),
        (lambda: index.query(h), r"shape \(32,\)"),
        (lambda: index.query(h[0], max_distance=-1), "max_distance"),
        (lambda: pdq_to_hex(np.zeros(31, np.uint8)), r"shape \(32,\)"),
        (lambda: hamming(h[0], "00" * 32), "numpy uint8"),  # type: ignore[arg-type]
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    assert len(index) == 1  # failed adds change nothing


def _corrupt(directory: Path, how: str) -> None:
    meta_path = directory / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    if how == "not json":
        meta_path.write_text("{", "utf-8")
    elif how in ("format", "format_version", "count"):
        meta[how] = {"format": "other-index", "format_version": 2, "count": 7}[how]
        meta_path.write_text(json.dumps(meta), "utf-8")
    elif how == "missing file":
        (directory / "perm.npy").unlink()
    elif how == "truncated":
        data = (directory / "hashes.npy").read_bytes()
        (directory / "hashes.npy").write_bytes(data[: len(data) // 2])
    elif how == "pickled":
        np.save(directory / "ids.npy", np.array([object()] * meta["count"]), allow_pickle=True)
    elif how == "ids unsorted":
        np.save(directory / "ids.npy", np.arange(meta["count"])[::-1].astype(np.int64))
    elif how == "ids swapped late":
        ids = np.load(directory / "ids.npy")
        ids[-3], ids[-2] = ids[-2], ids[-3]
        np.save(directory / "ids.npy", ids)
    elif how == "offsets":
        np.save(directory / "offsets.npy", np.ones((16, 65537), np.int64))


@pytest.mark.parametrize(("how", "message"), [
    ("not json", "no readable meta.json"), ("format", "format is not"), ("format_version", "format_version 2"),
    ("count", "shape"), ("missing file", "perm.npy"), ("truncated", "hashes.npy"), ("pickled", "ids.npy"),
    ("ids unsorted", "not strictly increasing"), ("ids swapped late", "not strictly increasing"),
    ("offsets", "offsets do not run"),
])
def test_a_corrupt_or_foreign_directory_is_refused(tmp_path: Path, how: str, message: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdq_index, "_CHECK_BLOCK", 8)  # so the id check runs over several blocks
    hashes, ids, _ = planted(2, n=20)
    PdqIndex.build(hashes, ids).save(tmp_path)
    _corrupt(tmp_path, how)
    with pytest.raises(ValueError, match=message):
        PdqIndex.open(tmp_path)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no readable meta.json"):
        PdqIndex.open(tmp_path / "nowhere")
