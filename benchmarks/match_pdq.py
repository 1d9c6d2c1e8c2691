"""Exact PDQ matching: our numpy multi-index-hashing `PdqIndex` against python-threatexchange's `PDQIndex`.

Generates N random 256-bit hashes and Q queries (90 % near-duplicates of stored hashes with 0..40 bits flipped,
10 % random), finds the true matches at distance <= 31 by brute force (faiss `IndexBinaryFlat`, an exhaustive
popcount scan, spot-checked against `hamming()`), then measures each index in its own single-threaded subprocess,
so its memory is its own:
  - ours: `PdqIndex.build` / `query` / `query_many`; open_s is `PdqIndex.open` (memory-mapped) of what `save` wrote;
  - threatexchange: `PdqSignal.get_index_cls()` (`PDQIndex`, faiss `IndexBinaryMultiHash`, threshold 31) `build` /
    `query`; batched through its inner `search_with_distance_in_result`; open_s is `deserialize` of `serialize`.
Both take hex strings per query, as they would from a hasher. rss_mb is the growth of resident memory from before
the input was loaded to after build and queries (input freed); open_anon_mb is the private memory an opened
(memory-mapped) index of ours adds: its file pages are page cache, shared and reclaimable. MB = 10^6 bytes.
Prints one JSON object.

Usage: python benchmarks/match_pdq.py [--n 1000000] [--queries 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
THRESHOLD = 31


def rss_mb(kind: str = "VmRSS") -> float:
    """Current resident memory (not the peak of building); RssAnon leaves out file pages a memory map shares."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 / 1e6 for line in f if line.startswith(kind + ":"))


def generate(n: int, queries: int, seed: int, out: Path) -> None:
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    near = int(queries * 0.9)
    bits = np.unpackbits(hashes[rng.integers(0, n, near)], axis=1)
    for row, k in zip(bits, rng.integers(0, 41, near), strict=True):
        row[rng.choice(256, k, replace=False)] ^= 1
    qs = np.concatenate([np.packbits(bits, axis=1), rng.integers(0, 256, (queries - near, 32), dtype=np.uint8)])
    np.save(out / "hashes.npy", hashes)
    np.save(out / "queries.npy", qs[rng.permutation(queries)])


def ground_truth(out: Path) -> int:
    """Every (query, id, distance) within THRESHOLD, by exhaustive scan; ids are row numbers."""
    import faiss

    from crossingwatch.media.pdq_index import hamming

    hashes, qs = np.load(out / "hashes.npy"), np.load(out / "queries.npy")
    flat = faiss.IndexBinaryFlat(256)
    flat.add(hashes)
    limits, dist, ids = flat.range_search(qs, THRESHOLD + 1)
    qi = np.repeat(np.arange(len(qs)), np.diff(limits.astype(np.int64)))
    for q in range(min(20, len(qs))):  # independent check of the reference scan on a few queries
        words = hashes.view(np.uint64) ^ qs[q].view(np.uint64)
        d = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
        expect = {(int(i), int(d[i])) for i in np.flatnonzero(d <= THRESHOLD)}
        assert expect == {(int(i), int(x)) for i, x in zip(ids[qi == q], dist[qi == q], strict=True)}, q
        assert all(hamming(qs[q], hashes[i]) == x for i, x in expect)
    np.savez(out / "truth.npz", qi=qi, ids=ids.astype(np.int64), dist=dist.astype(np.int64))
    return len(ids)


def score(results: list[list[tuple[int, int]]], out: Path) -> tuple[float, float]:
    """Recall and precision of (query, id, distance) triples against the brute-force truth."""
    t = np.load(out / "truth.npz")
    truth = set(zip(t["qi"].tolist(), t["ids"].tolist(), t["dist"].tolist(), strict=True))
    found = {(q, i, d) for q, matches in enumerate(results) for i, d in matches}
    hit = len(found & truth)
    return (hit / len(truth) if truth else 1.0), (hit / len(found) if found else 1.0)


def timings(single: list[float], batch_s: float, queries: int) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(single, 50)) * 1e3, 3),
            "p99_ms": round(float(np.percentile(single, 99)) * 1e3, 3), "qps": round(queries / batch_s, 1)}


def child_ours(out: Path) -> dict[str, Any]:
    from crossingwatch.media.pdq_index import PdqIndex, pdq_from_hex

    hexes = [q.tobytes().hex() for q in np.load(out / "queries.npy")]
    base = rss_mb()
    hashes = np.load(out / "hashes.npy")
    t0 = time.perf_counter()
    index = PdqIndex.build(hashes, np.arange(len(hashes), dtype=np.int64))
    build_s = time.perf_counter() - t0
    del hashes
    gc.collect()
    single, results = [], []
    for h in hexes:
        t0 = time.perf_counter()
        results.append(index.query(pdq_from_hex(h)))
        single.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    batch = index.query_many(np.frombuffer(bytes.fromhex("".join(hexes)), np.uint8).reshape(-1, 32))
    batch_s = time.perf_counter() - t0
    assert batch == results
    rss = rss_mb() - base
    directory = out / "ours_index"
    index.save(directory)
    del index
    gc.collect()
    before_open = rss_mb("RssAnon")
    t0 = time.perf_counter()
    opened = PdqIndex.open(directory)
    open_s = time.perf_counter() - t0
    assert opened.query(pdq_from_hex(hexes[0])) == results[0]
    open_anon = rss_mb("RssAnon") - before_open
    recall, precision = score(results, out)
    return {"build_s": round(build_s, 3), "open_s": round(open_s, 4), "rss_mb": round(rss, 1),
            **timings(single, batch_s, len(hexes)), "recall": recall, "precision": precision,
            "disk_mb": round(sum(f.stat().st_size for f in directory.iterdir()) / 1e6, 1),
            "open_anon_mb": round(open_anon, 1)}


def child_threatexchange(out: Path) -> dict[str, Any]:
    from threatexchange.signal_type.pdq.signal import PdqSignal

    index_cls = PdqSignal.get_index_cls()
    hexes = [q.tobytes().hex() for q in np.load(out / "queries.npy")]
    base = rss_mb()
    raw = np.load(out / "hashes.npy").tobytes().hex()
    entries = [(raw[64 * i:64 * i + 64], i) for i in range(len(raw) // 64)]
    del raw
    t0 = time.perf_counter()
    index = index_cls.build(entries)
    build_s = time.perf_counter() - t0
    del entries
    gc.collect()
    single, results = [], []
    for h in hexes:
        t0 = time.perf_counter()
        matches = index.query(h)
        single.append(time.perf_counter() - t0)
        results.append(sorted(((m.metadata, m.similarity_info.distance) for m in matches), key=lambda p: (p[1], p[0])))
    t0 = time.perf_counter()  # PDQIndex.query takes one hash; its inner faiss wrapper takes a batch
    found = index.index.search_with_distance_in_result(hexes, index.get_match_threshold())
    _ = {q: [(index.local_id_to_entry[i][1], int(d)) for i, _, d in m] for q, m in found.items()}
    batch_s = time.perf_counter() - t0
    rss = rss_mb() - base
    path = out / "threatexchange_index.pickle"
    with path.open("wb") as f:
        index.serialize(f)
    del index, found, _
    gc.collect()
    t0 = time.perf_counter()
    with path.open("rb") as f:
        opened = index_cls.deserialize(f)
    open_s = time.perf_counter() - t0
    assert len(opened) > 0
    recall, precision = score(results, out)
    return {"build_s": round(build_s, 3), "open_s": round(open_s, 3), "rss_mb": round(rss, 1),
            **timings(single, batch_s, len(hexes)), "recall": recall, "precision": precision,
            "disk_mb": round(path.stat().st_size / 1e6, 1)}


def run_child(name: str, out: Path) -> dict[str, Any]:
    env = {**os.environ, **SINGLE_THREAD}
    done = subprocess.run([sys.executable, __file__, "--child", name, "--data", str(out)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=["ours", "threatexchange"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps((child_ours if args.child == "ours" else child_threatexchange)(args.data)))
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="match_pdq_") as tmp:
        out = Path(tmp)
        generate(args.n, args.queries, args.seed, out)
        truth = ground_truth(out)
        ours = run_child("ours", out)
        theirs = run_child("threatexchange", out)
    print(json.dumps({
        "n": args.n, "queries": args.queries, "ours": ours, "threatexchange": theirs,
        "raw_hash_mb": round(args.n * 32 / 1e6, 1), "true_matches": truth, "threshold": THRESHOLD,
        "threads": 1, "cpus": os.cpu_count(), "seconds": round(time.perf_counter() - started, 1),
    }))


if __name__ == "__main__":
    main()
