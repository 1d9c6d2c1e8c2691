"""Bounded load on loopback against the HTTP API: `POST /v1/assess` with single posts (target p99 ≤ 50 ms at
200 req/s) and `GET /v1/redirect` (target p99 ≤ 10 ms at 500 req/s), at fixed offered rates, with 1 and 2 server
workers (`crossingwatch serve --workers N`). The client is `loadgen.py` (asyncio, keep-alive, open loop), in this
process, on the same cores. Prints one JSON object: per worker count and endpoint the offered and achieved
requests/s, p50/p99 latency and errors.

Usage: python benchmarks/api_load.py [--rate 200] [--redirect-rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def texts() -> list[str]:
    out = []
    for f in sorted((ROOT / "data" / "samples").glob("*.jsonl")):
        out += [json.loads(line)["text"] for line in f.read_text("utf-8").splitlines() if line.strip()]
    return out


@contextlib.contextmanager
def serving(workers: int, db: str) -> Iterator[int]:
    """`crossingwatch serve --workers N` on a free loopback port; yields the port once it answers."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "crossingwatch", "serve", "--port", str(port), "--workers",
                               str(workers), "--db", db], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def warm(port: int, make_request: Callable[[int], bytes], workers: int) -> None:
    """Light load until answers are quick and clean: each worker loads its models on first use."""
    for _ in range(30):
        r = loadgen.run("127.0.0.1", port, make_request, rate=100, seconds=1.0, max_connections=4 * workers)
        if r["errors"] == 0 and r["p99_ms"] < 50:
            return


def run(workers: int, rate: float, redirect_rate: float, seconds: float, db: str, token: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    pool = texts()
    queries = [t[:60] for t in pool]
    rng = random.Random(3)
    bodies = [json.dumps({"id": str(i), "text": rng.choice(pool)}).encode("utf-8") for i in range(int(rate * seconds))]
    with serving(workers, db) as port:
        warm(port, lambda i: loadgen.post_json("/v1/assess", bodies[i], headers), workers)
        assess = loadgen.run("127.0.0.1", port, lambda i: loadgen.post_json("/v1/assess", bodies[i], headers),
                             rate, seconds)
        warm(port, lambda i: loadgen.get("/v1/redirect?q=" + quote(queries[i % len(queries)]), headers), workers)
        redirect = loadgen.run("127.0.0.1", port, lambda i: loadgen.get(
            "/v1/redirect?q=" + quote(queries[i % len(queries)]), headers), redirect_rate, seconds)
    return {"workers": workers, "assess": assess, "redirect": redirect}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=200, help="POST /v1/assess requests per second")
    ap.add_argument("--redirect-rate", type=float, default=500, help="GET /v1/redirect requests per second")
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "api.db")
        from crossingwatch.store import open_store

        store = open_store(db)
        store.add_user("bench", "analyst")
        token, _ = store.create_token("bench")
        store.close()
        results = [run(w, args.rate, args.redirect_rate, args.seconds, db, token) for w in (1, 2)]
    print(json.dumps({"benchmark": "api_load", "cores": os.cpu_count(), "client": "asyncio open loop, keep-alive",
                      "targets": {"POST /v1/assess": {"rps": args.rate, "p99_ms": 50},
                                  "GET /v1/redirect": {"rps": args.redirect_rate, "p99_ms": 10}},
                      "runs": results}))


if __name__ == "__main__":
    main()
