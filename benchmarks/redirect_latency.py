"""Redirect latency: `redirect_query` in-process (p50/p99 per query; target p99 ≤ 1 ms) next to a keyword
baseline (lexicon terms looked up with the same normaliser), and `GET /v1/redirect` over loopback with uvicorn at a
fixed offered rate with 1 and 2 workers (target p99 ≤ 10 ms at 500 req/s; client: `loadgen.py`, asyncio over
keep-alive connections, open loop). Also each one's accuracy and benign queries redirected on
`shared/data/dev_queries.jsonl` when it is there (measured only, never trained on).

Queries are the training queries of `data/queries/` with evasive variants. Prints one JSON object.
Usage: python benchmarks/redirect_latency.py [--rate 500] [--seconds 10] [--n 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402
from api_load import serving, warm  # noqa: E402  (the same server start and warm-up as the API load test)

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "dev_queries.jsonl"


def percentiles(seconds: list[float]) -> dict[str, float]:
    s = sorted(seconds)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return {"p50_ms": round(s[len(s) // 2] * 1000, 3), "p99_ms": round(p99 * 1000, 3)}


def pool() -> list[tuple[str, str]]:
    from crossingwatch.detect.augment import augment

    rng = random.Random(5)
    out = []
    for f in sorted((ROOT / "data" / "queries").glob("*.jsonl")):
        for line in f.read_text("utf-8").splitlines():
            r = json.loads(line)
            out += [(r["query"], r["lang"]), (augment(r["query"], rng)[0], "")]
    return out


def in_process(n: int) -> dict[str, object]:
    from crossingwatch.runtime import build_runtime
    from crossingwatch.services import redirecting
    from crossingwatch.settings import load_settings

    runtime = build_runtime(load_settings())
    analyser = runtime.detector("text").analyser  # type: ignore[attr-defined]
    started = time.perf_counter()
    redirector = redirecting.load_redirector(Path(runtime.settings.data_dir), analyser,
                                             Path(runtime.settings.model_dir))
    train_s = time.perf_counter() - started
    terms = [analyser.normaliser.fold(t.pattern.strip("*")) for t in analyser.resources.terms
             if t.tactic in ("crossing", "seeking", "false_documents") and t.weight >= 0.6
             and not t.pattern.startswith("re:") and " ... " not in t.pattern]
    terms = [t for t in terms if t]

    def keyword(text: str) -> bool:
        norm = f" {analyser.normaliser.normalise(text[:512]).text} "
        return any(f" {t} " in norm for t in terms)

    queries = pool()
    rng = random.Random(9)
    ours, base = [], []
    for _ in range(200):  # warm caches
        redirector.decide(*rng.choice(queries))
    for i in range(n):
        q, lang = queries[i % len(queries)]
        t = time.perf_counter()
        redirector.decide(q, lang or None)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        keyword(q)
        base.append(time.perf_counter() - t)
    out: dict[str, object] = {"load_s": round(train_s, 2), "queries": n, "redirect_query": percentiles(ours),
                              "keyword_baseline": percentiles(base)}
    if DEV.is_file():
        rows = [json.loads(line) for line in DEV.read_text("utf-8").splitlines() if line.strip()]

        def score(predict: object) -> dict[str, float]:
            pairs = [(r["intent"] == "seek_crossing", predict(r)) for r in rows]  # type: ignore[operator]
            benign = [p for t, p in pairs if not t]
            return {"accuracy": round(sum(t == p for t, p in pairs) / len(pairs), 4),
                    "benign_redirected": round(sum(benign) / max(len(benign), 1), 4)}

        out["dev"] = {"n": len(rows), "redirect_query": score(lambda r: redirector.decide(r["query"], r.get("lang"))
                                                              .redirect),
                      "keyword_baseline": score(lambda r: keyword(r["query"]))}
    return out


def over_http(workers: int, rate: float, seconds: float, db: str, token: str) -> dict[str, object]:
    """`GET /v1/redirect` through `crossingwatch serve --workers N`, offered at `rate` by the asyncio client."""
    headers = {"Authorization": f"Bearer {token}"}
    queries = pool()

    def request(i: int) -> bytes:
        q, lang = queries[i % len(queries)]
        return loadgen.get("/v1/redirect?" + urlencode({"q": q, **({"lang": lang} if lang else {})}), headers)

    with serving(workers, db) as port:
        warm(port, request, workers)
        return {"workers": workers, **loadgen.run("127.0.0.1", port, request, rate, seconds)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    local = in_process(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "redirect.db")
        from crossingwatch.store import open_store

        store = open_store(db)
        store.add_user("bench", "platform", "bench")
        token, _ = store.create_token("bench")
        store.close()
        http = [over_http(w, args.rate, args.seconds, db, token) for w in (1, 2)]
    print(json.dumps({"benchmark": "redirect_latency", "cores": os.cpu_count(), "target_in_process_p99_ms": 1,
                      "target_http_p99_ms": 10, "target_rps": args.rate, "in_process": local, "http": http}))


if __name__ == "__main__":
    main()
