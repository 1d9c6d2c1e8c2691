"""A light open-loop HTTP/1.1 load generator for the benchmarks: asyncio streams over keep-alive connections, no
HTTP library, so the client spends little of the CPU it shares with the server on a small machine.

Requests leave on a fixed schedule (`rate` per second); each goes out on an idle connection (a new one is opened
when all are busy, up to `max_connections`). Latency is measured from the scheduled send time, so a server (or
client) that falls behind shows up in the figures instead of slowing the schedule (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    why: dict[str, int] = field(default_factory=dict)  # what the errors were: a status code or an exception

    def error(self, reason: str) -> None:
        self.errors += 1
        self.why[reason] = self.why.get(reason, 0) + 1

    def summary(self, offered: float) -> dict[str, float | int]:
        s = sorted(self.latencies) or [float("nan")]
        return {"offered_rps": offered, "achieved_rps": round(len(self.latencies) / max(self.elapsed, 1e-9), 1),
                "requests": len(self.latencies), "errors": self.errors,
                "p50_ms": round(s[len(s) // 2] * 1000, 3),
                "p99_ms": round(s[min(len(s) - 1, int(len(s) * 0.99))] * 1000, 3), **({"error_kinds": self.why}
                                                                                        if self.why else {})}


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next((int(v) for k, _, v in (h.partition(":") for h in lines[1:]) if k.lower() == "content-length"), 0)
    if length:
        await reader.readexactly(length)
    return status


async def _run(host: str, port: int, make_request: Callable[[int], bytes], rate: float, seconds: float,
               max_connections: int) -> Result:
    result = Result()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    open_count = 0

    async def one(i: int, due: float) -> None:
        nonlocal open_count
        conn = None
        try:
            if idle:
                conn = idle.pop()
            elif open_count < max_connections:
                open_count += 1
                conn = await asyncio.open_connection(host, port)
            else:
                while not idle:
                    await asyncio.sleep(0.0005)
                conn = idle.pop()
            reader, writer = conn
            writer.write(make_request(i))
            status = await asyncio.wait_for(_read_response(reader), timeout=30)
            result.latencies.append(time.perf_counter() - due)
            if status >= 400:
                result.error(str(status))
            idle.append(conn)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError) as e:
            result.error(type(e).__name__)
            result.latencies.append(time.perf_counter() - due)
            if conn is not None:
                conn[1].close()
                open_count -= 1

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - start
    for _, writer in idle:
        writer.close()
    return result


def run(host: str, port: int, make_request: Callable[[int], bytes], rate: float, seconds: float,
        max_connections: int = 64) -> dict[str, float | int]:
    """Offer `rate` requests/s for `seconds`; `make_request(i)` returns the raw bytes of request i."""
    return asyncio.run(_run(host, port, make_request, rate, seconds, max_connections)).summary(rate)


def get(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("utf-8")


def post_json(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("utf-8") + body
