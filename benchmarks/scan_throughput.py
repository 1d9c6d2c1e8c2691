"""Throughput of the whole text path of `scan` (read → detect → store), with a keyword-list baseline.

Generates N posts in many languages from the shipped corpus and samples (shuffled sentences, changed numbers and
handles, realistic lengths), then runs, each in its own single-threaded process so peak memory is its own:
  - ours: `scan_posts` with the text detector and a real SQLite store (WAL), predictions written to a file;
  - baseline: a plain keyword list (every lexicon term, lowercased, one regex) over the same posts, same store.
The two run alternately `--repeat` times (this machine's speed drifts by ±15% over minutes); each reports its median
run, with every run's rate beside it.
Prints one JSON object. Usage: python benchmarks/scan_throughput.py [--n 50000] [--batch-size 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def generate(n: int, path: Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    texts = []
    for f in sorted((ROOT / "data" / "corpus").glob("*.jsonl")) + [ROOT / "data" / "samples" / "posts.jsonl"]:
        texts += [json.loads(line)["text"] for line in f.read_text("utf-8").splitlines() if line.strip()]
    platforms = ["facebook", "tiktok", "telegram", "x", "instagram"]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            base = rng.choice(texts)
            parts = re.split(r"(?<=[.!?؟።\n])\s*", base)
            if len(parts) > 2 and rng.random() < 0.5:
                rng.shuffle(parts)
            text = " ".join(p for p in parts if p)
            text = re.sub(r"\d{3,}", lambda m: str(rng.randint(100, 9999)), text)
            if rng.random() < 0.3:
                text += " " + rng.choice(texts)[:rng.randint(20, 200)]
            out.write(json.dumps({"id": f"g{i}", "platform": rng.choice(platforms), "text": text},
                                 ensure_ascii=False) + "\n")


class KeywordDetector:
    """The baseline a referral unit might start with: any lexicon term present means 'advert'."""

    name = "keywords"
    version = "keywords-1"

    def __init__(self) -> None:
        from crossingwatch.resources import load_terms

        terms = sorted({t.pattern.lower().rstrip("*") for t in load_terms(ROOT / "data" / "lexicons")
                        if not t.pattern.startswith("re:") and t.tactic not in ("benign_context",)
                        and t.weight >= 0.6}, key=len, reverse=True)
        self._re = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms if t) + r")(?!\w)")

    def assess(self, posts):  # type: ignore[no-untyped-def]
        from crossingwatch.core import Assessment

        out = []
        for p in posts:
            hit = self._re.search(p.text.lower())
            scores = {"advert": 1.0, "seeking": 0.0, "benign": 0.0} if hit else \
                {"advert": 0.0, "seeking": 0.0, "benign": 1.0}
            out.append(Assessment(p.id, "advert" if hit else "benign", scores, detector=self.version))
        return out


def worker(kind: str, data: Path, batch_size: int) -> dict:
    from crossingwatch.cli.scan import json_line  # the lines `crossingwatch scan --output` writes
    from crossingwatch.plugins.builtin_sources import register_sources
    from crossingwatch.runtime import build_runtime, settle_for_bulk_work
    from crossingwatch.services.scanning import scan_posts
    from crossingwatch.settings import load_settings
    from crossingwatch.sources import Limits, read_inputs
    from crossingwatch.store import open_store

    tmp = Path(tempfile.mkdtemp())
    settings = load_settings()
    load_started = time.perf_counter()
    detector = build_runtime(settings).detector("text") if kind == "ours" else KeywordDetector()
    load_s = time.perf_counter() - load_started
    store = open_store(str(tmp / "bench.db"))
    settle_for_bulk_work()  # as `crossingwatch scan` does, for both
    with open(tmp / "preds.jsonl", "w", encoding="utf-8") as out:
        started = time.perf_counter()
        summary = scan_posts(read_inputs([str(data)], register_sources(), Limits()), detector, store,
                             fingerprint=f"bench-{time.time()}", inputs=[str(data)], batch_size=batch_size,
                             on_prediction=lambda p: out.write(json_line(p)))
        seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = round(summary.accepted / seconds, 1)
    return {"posts": summary.accepted, "seconds": round(seconds, 2), "posts_per_s": rate,
            "peak_rss_mb": round(rss_mb, 1), "load_s": round(load_s, 2), "flagged": summary.flagged}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of each; the median run is reported")
    ap.add_argument("--worker", choices=["ours", "baseline"])
    ap.add_argument("--data")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.data), args.batch_size)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "posts.jsonl"
        generate(args.n, data)
        runs: dict[str, list[dict]] = {"ours": [], "baseline": []}
        for _ in range(max(1, args.repeat)):
            for kind in runs:
                proc = subprocess.run([sys.executable, __file__, "--worker", kind, "--data", str(data), "--batch-size",
                                       str(args.batch_size)], capture_output=True, text=True,
                                      env={**os.environ, **SINGLE_THREAD}, check=True)
                runs[kind].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results = {}
    for kind, done in runs.items():
        ranked = sorted(done, key=lambda r: r["posts_per_s"])
        results[kind] = {**ranked[(len(ranked) - 1) // 2], "runs_posts_per_s": [r["posts_per_s"] for r in done],
                         "peak_rss_mb": max(r["peak_rss_mb"] for r in done)}
    print(json.dumps({"benchmark": "scan_throughput", "n": args.n, "cores": 1, "store": "sqlite-wal",
                      "target_posts_per_s": 3000, "target_rss_mb": 500, **results}))


if __name__ == "__main__":
    main()
