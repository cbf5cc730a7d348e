"""Service benchmark: the service beside its ceiling, a naive PyTorch peer, and the wire's floor.

    python benchmarks/service_bench.py            # full run (about 2 minutes)
    python benchmarks/service_bench.py --quick    # smoke run (seconds)

Starts each server with uvicorn on a loopback port (and stops it), loads it with `wrk`
when installed (else a bounded asyncio/httpx generator), and measures, at 1 and 2 workers:
the ceiling (GET /v1/health), the tutorial request (req/s, p50/p99), the naive peer, and a
1,000,000-element request in json and b64 beside the in-process floors (orjson loads+dumps,
base64 decode+encode). Prints a table with ratios and writes benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = {
    "tensors": {"x": {"data": [1, 1], "requires_grad": True}},
    "nodes": [
        {"id": "y", "expr": "5 * (x + 1) ** 2"},
        {"id": "o", "op": "mul", "args": [0.5, {"op": "sum", "args": ["y"]}]},
    ],
    "backward": [{"output": "o"}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A uvicorn process on a free loopback port, stopped on exit."""

    def __init__(self, app: str, workers: int, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if app == "app.main:app":  # the service as deployed: its own command (SO_REUSEPORT workers)
            exe = str(Path(sys.executable).parent / "gradient-service")
            cmd = [exe, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        else:  # the peer as a user would run it
            cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        full_env = {**os.environ, "GRADIENT_SERVICE_LOG_LEVEL": "warning", **(env or {})}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.post(self.url + "/v1/evaluate", json=TUTORIAL, timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"server {self.url} did not start")

    def __exit__(self, *exc: object) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def wrk(url: str, path: str, body: dict[str, Any] | None, connections: int, seconds: float) -> dict[str, float]:
    """Requests/s and latency percentiles from wrk."""
    script = None
    args = ["wrk", "-t", "1" if connections < 4 else "2", "-c", str(connections), "-d", f"{seconds:g}s", "--latency"]
    if body is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        payload = json.dumps(json.dumps(body))
        script.write(f'wrk.method = "POST"\nwrk.body = {payload}\nwrk.headers["Content-Type"] = "application/json"\n')
        script.close()
        args += ["-s", script.name]
    out = subprocess.run([*args, url + path], capture_output=True, text=True, timeout=seconds + 30).stdout
    if script:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "errors": float(non2xx.group(1)) if non2xx else 0.0}


async def _py_load(
    url: str, path: str, body: dict[str, Any] | None, connections: int, seconds: float
) -> dict[str, float]:
    lat: list[float] = []
    errors = 0
    until = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as c:
        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < until:
                t0 = time.perf_counter()
                r = await (c.post(path, json=body) if body is not None else c.get(path))
                lat.append(time.perf_counter() - t0)
                errors += r.status_code >= 300

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - start
    lat.sort()
    n = len(lat)
    return {
        "rps": n / elapsed,
        "p50": lat[n // 2] * 1e3,
        "p99": lat[min(n - 1, int(n * 0.99))] * 1e3,
        "errors": float(errors),
    }


def load(url: str, path: str, body: dict[str, Any] | None, connections: int, seconds: float) -> dict[str, float]:
    if shutil.which("wrk"):
        return wrk(url, path, body, connections, seconds)
    return asyncio.run(_py_load(url, path, body, connections, seconds))


def big_request(n: int, encoding: str) -> tuple[bytes, dict[str, Any]]:
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    spec: dict[str, Any] = ({"b64": base64.b64encode(x.tobytes()).decode(), "shape": [n]} if encoding == "b64"
                            else {"data": x.tolist()})
    body = {"tensors": {"x": {**spec, "requires_grad": True}}, "nodes": [{"id": "y", "expr": "(x * x).sum()"}],
            "backward": [{"output": "y"}], "encoding": encoding}
    return orjson.dumps(body), body


def time_big(url: str, n: int, encoding: str, repeats: int) -> tuple[float, float]:
    """(median ms per request over HTTP, median ms of the in-process floor) for one encoding.

    The floor is the least any JSON service must do for the same payload: parse the request
    body and write the response's arrays (x's data and gradient) with orjson, or, for b64,
    decode the request's bytes and encode the two arrays with the standard library's base64.
    (The response carries twice the request's numbers: x's data and its gradient.)

    The client is the standard library's ``http.client`` on one kept-alive connection: it
    sends and reads the bytes and no more, so that the time is the service's. (httpx, pure
    Python, spent ~100 ms of this 2-core machine's CPU on a 21 MB response itself.)
    """
    raw, body = big_request(n, encoding)
    times = []
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    try:
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            conn.request("POST", "/v1/evaluate", body=raw, headers=headers)
            r = conn.getresponse()
            answer = r.read()
            times.append(time.perf_counter() - t0)
            assert r.status == 200, answer[:200]
    finally:
        conn.close()
    floor = []
    x32 = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        if encoding == "json":
            orjson.loads(raw)
            orjson.dumps({"data": x32, "grad": x32}, option=orjson.OPT_SERIALIZE_NUMPY)
        else:
            x = np.frombuffer(base64.b64decode(body["tensors"]["x"]["b64"]), dtype=np.float32)
            base64.b64encode(x.tobytes()), base64.b64encode(x.tobytes())
        floor.append(time.perf_counter() - t0)
    return statistics.median(times[1:]) * 1e3, statistics.median(floor[1:]) * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings: a smoke run of a few seconds")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "latest.md"))
    args = parser.parse_args()
    seconds = 1.0 if args.quick else args.seconds
    n_big = 10_000 if args.quick else 1_000_000
    repeats = 2 if args.quick else 7
    worker_counts = [1] if args.quick else [1, 2]
    rows: list[str] = []
    results: dict[str, Any] = {}
    for workers in worker_counts:
        with Server("app.main:app", workers) as s:
            health = load(s.url, "/v1/health", None, 32, seconds)
            tut = load(s.url, "/v1/evaluate", TUTORIAL, 32, seconds)
            tut8 = load(s.url, "/v1/evaluate", TUTORIAL, 8, seconds)
            big = {enc: time_big(s.url, n_big, enc, repeats) for enc in ("json", "b64")} if workers == 1 else None
        with Server("benchmarks.peers.naive_torch:app", workers) as p:
            peer = load(p.url, "/v1/evaluate", TUTORIAL, 32, seconds)
        results[workers] = {"health": health, "tutorial": tut, "tutorial8": tut8, "peer": peer, "big": big}
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    rows.append(f"# Service benchmark ({time.strftime('%Y-%m-%d')}, {machine}, load by "
                f"{'wrk' if shutil.which('wrk') else 'asyncio/httpx'}, {seconds:g} s per point)")
    rows.append("")
    rows.append("| workers | health req/s (ceiling) | tutorial req/s | tutorial / ceiling | naive peer req/s | "
                "tutorial / peer | p50 ms (32 conns) | p99 ms (32 conns) | p99 ms (8 conns) |")
    rows.append("|---|---|---|---|---|---|---|---|---|")
    for workers, r in results.items():
        h, t, t8, p = r["health"], r["tutorial"], r["tutorial8"], r["peer"]
        rows.append(f"| {workers} | {h['rps']:.0f} | {t['rps']:.0f} | {t['rps'] / h['rps']:.2f} | {p['rps']:.0f} | "
                    f"{t['rps'] / p['rps']:.2f} | {t['p50']:.2f} | {t['p99']:.2f} | {t8['p99']:.2f} |")
    big = results[1]["big"]
    rows.append("")
    rows.append(f"| {n_big:,}-element request | ms per request | in-process floor ms | ratio |")
    rows.append("|---|---|---|---|")
    for enc, (ms, floor) in big.items():
        what = "orjson loads + dumps" if enc == "json" else "stdlib base64 decode + encode"
        rows.append(f"| {enc} | {ms:.1f} | {floor:.1f} ({what}) | {ms / floor:.2f} |")
    text = "\n".join(rows) + "\n"
    print(text)
    if not args.quick:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
