"""Soak test: mixed good and bad requests from several clients against a real uvicorn process.

    python benchmarks/soak.py --seconds 60 --clients 4

Loopback only, bounded in time. Reports throughput, p50/p99 latency, status counts and the
server's RSS after the warm-up and at the end. Targets: no 500 at all, no 503 while the
clients stay within the concurrency limit, RSS growth under 10% after the first 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]

GOOD: list[dict[str, Any]] = [
    {"tensors": {"x": {"data": [1, 1], "requires_grad": True}},
     "nodes": [{"id": "y", "expr": "5 * (x + 1) ** 2"}, {"id": "o", "expr": "0.5 * y.sum()"}],
     "backward": [{"output": "o"}]},
    {"tensors": {"X": {"factory": "randn", "shape": [64, 32], "seed": 1},
                 "W": {"factory": "randn", "shape": [32, 16], "seed": 2, "requires_grad": True}},
     "nodes": [{"id": "H", "expr": "torch.tanh(X @ W)"}, {"id": "L", "expr": "(H * H).mean()"}],
     "backward": [{"output": "L"}], "outputs": ["L", "W"]},
    {"tensors": {"x": {"data": [0.5, 1.5], "requires_grad": True}},
     "nodes": [{"id": "y", "expr": "(x ** 3).sum()"},
               {"id": "g", "op": "grad", "args": ["y", "x"], "kwargs": {"create_graph": True}},
               {"id": "h", "op": "grad", "args": [{"op": "sum", "args": ["g"]}, "x"]}]},
]
BAD: list[Any] = [
    {"tensors": {"x": {"data": [1, 2], "requiresGrad": True}}},
    {"tensors": {"x": {"factory": "ones", "shape": [100000, 100000]}}},
    {"tensors": {"x": {"data": [1.0]}}, "nodes": [{"id": "y", "expr": "__import__('os')"}]},
    {"tensors": {"a": {"data": [1, 2, 3]}, "b": {"data": [1, 2]}},
     "nodes": [{"id": "z", "op": "add", "args": ["a", "b"]}]},
    {"tensors": {"x": {"data": [1.0], "requires_grad": True}}, "nodes": [{"id": "y", "expr": "x * 2"}],
     "backward": [{"output": "y"}, {"output": "y"}]},
    b"{not json",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int, concurrency: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GRADIENT_SERVICE_LOG_LEVEL": "warning", "GRADIENT_SERVICE_MAX_CONCURRENCY": str(concurrency)}
    exe = Path(sys.executable).parent / "gradient-service"
    proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/ready", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become ready")


async def client(url: str, until: float, rng: random.Random, stats: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        while time.monotonic() < until:
            body = rng.choice(GOOD) if rng.random() < 0.7 else rng.choice(BAD)
            t0 = time.perf_counter()
            if isinstance(body, bytes):
                r = await c.post("/v1/evaluate", content=body, headers={"content-type": "application/json"})
            else:
                r = await c.post("/v1/evaluate", json=body)
            stats["latency"].append(time.perf_counter() - t0)
            stats["status"][r.status_code] += 1


async def soak(url: str, seconds: float, clients: int, pid: int, warmup: float) -> dict[str, Any]:
    stats: dict[str, Any] = {"latency": [], "status": Counter()}
    start = time.monotonic()
    until = start + seconds
    rng = random.Random(0)
    tasks = [asyncio.create_task(client(url, until, random.Random(rng.random()), stats)) for _ in range(clients)]
    await asyncio.sleep(min(warmup, seconds))
    rss_start = rss_mb(pid)
    await asyncio.gather(*tasks)
    stats["rss_start"] = rss_start
    stats["rss_end"] = rss_mb(pid)
    stats["elapsed"] = time.monotonic() - start
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4, help="the server's max_concurrency")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before the starting RSS is read")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "soak.md"))
    args = parser.parse_args()
    port = free_port()
    proc = start_server(port, args.concurrency)
    try:
        stats = asyncio.run(soak(f"http://127.0.0.1:{port}", args.seconds, args.clients, proc.pid, args.warmup))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    lat = sorted(stats["latency"])
    n = len(lat)
    p50 = lat[n // 2] * 1e3 if n else float("nan")
    p99 = lat[min(n - 1, int(n * 0.99))] * 1e3 if n else float("nan")
    growth = (stats["rss_end"] - stats["rss_start"]) / stats["rss_start"] * 100
    status = dict(sorted(stats["status"].items()))
    ok = status.get(500, 0) == 0 and (args.clients > args.concurrency or status.get(503, 0) == 0) and growth < 10
    lines = [
        f"# Soak ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, {args.clients} clients, {args.seconds:g} s)",
        "",
        "| requests | req/s | p50 ms | p99 ms | statuses | RSS after warm-up MB | RSS at end MB | growth |",
        "|---|---|---|---|---|---|---|---|",
        f"| {n} | {n / stats['elapsed']:.0f} | {p50:.2f} | {p99:.2f} | {status} | {stats['rss_start']:.1f} | "
        f"{stats['rss_end']:.1f} | {growth:+.1f}% |",
        "",
        f"Targets (no 500, no 503 within the concurrency limit, RSS growth < 10%): {'met' if ok else 'NOT met'}",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
