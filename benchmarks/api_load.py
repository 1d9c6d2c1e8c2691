"""Bounded load on loopback against the HTTP API: `POST /v1/assess` with single posts, at a fixed offered rate,
with 1 and 2 server workers (`crossingwatch serve --workers N`). Prints one JSON object: for each worker count the
offered and achieved requests/s, p50/p99 latency and errors. Target: p99 ≤ 50 ms at 200 req/s on a 2-core machine.
(`GET /v1/redirect` arrives with the redirect issue; its figures are null until then.)

Usage: python benchmarks/api_load.py [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

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


def run(workers: int, rate: float, seconds: float, db: str, token: str) -> dict[str, object]:
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "crossingwatch", "serve", "--port", str(port), "--workers",
                               str(workers), "--db", db], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, timeout=5) as c:
            for _ in range(300):
                try:
                    if c.post("/v1/assess", json={"id": "warm", "text": "warm up"}, headers=headers).status_code:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            for _ in range(20 * workers):  # each worker loads its model on first use
                c.post("/v1/assess", json={"id": "warm", "text": "boat to uk"}, headers=headers)
        pool = texts()
        rng = random.Random(3)
        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()
        total = int(rate * seconds)

        def one(i: int, client: httpx.Client) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                r = client.post("/v1/assess", json={"id": str(i), "text": rng.choice(pool)}, headers=headers)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            with lock:
                latencies.append(time.perf_counter() - started)
                errors += not ok

        clients = [httpx.Client(base_url=base, timeout=10) for _ in range(16)]
        threads: list[threading.Thread] = []
        start = time.perf_counter()
        for i in range(total):  # open loop: requests leave on schedule, whether or not earlier ones came back
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t = threading.Thread(target=one, args=(i, clients[i % len(clients)]))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        for c2 in clients:
            c2.close()
        ordered = sorted(latencies)
        return {"workers": workers, "offered_rps": rate, "achieved_rps": round(len(ordered) / elapsed, 1),
                "requests": len(ordered), "errors": errors,
                "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2)}
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "api.db")
        from crossingwatch.store import open_store

        store = open_store(db)
        store.add_user("bench", "analyst")
        token, _ = store.create_token("bench")
        store.close()
        results = [run(w, args.rate, args.seconds, db, token) for w in (1, 2)]
    print(json.dumps({"benchmark": "api_load", "endpoint": "POST /v1/assess", "target_p99_ms": 50,
                      "target_rps": 200, "cores": os.cpu_count(), "assess": results, "redirect": None}))


if __name__ == "__main__":
    main()
