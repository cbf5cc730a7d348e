"""Profile one request end to end with pyinstrument: where a tutorial request's time goes.

    python benchmarks/profile_request.py                  # 3,000 tutorial requests, top 25 by own time
    python benchmarks/profile_request.py --requests 200   # a smoke run

Drives the ASGI application in-process, exactly as uvicorn calls it (middlewares, routing, the
route, the pipeline, the engine) minus the socket and HTTP parsing, which `service_bench.py`
measures. Prints the time per request beside ``GET /v1/health`` in the same process, the share
of each layer, and the functions with the most own time. pyinstrument samples Python frames:
the Cython-compiled modules (see ``engine/_compiled.py``, ``app/_compiled.py``) make none, so
their time shows under the interpreted function that called into them (``run_evaluation``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIENT_SERVICE_LOG_LEVEL", "warning")  # as service_bench runs the server

from app.examples import EVALUATE_EXAMPLES  # noqa: E402
from app.main import create_app  # noqa: E402

LAYERS = (  # the first match of a frame's file path names its layer
    ("run_evaluation: compiled pipeline + engine", f"{os.sep}app{os.sep}runner.py"),
    ("engine", f"{os.sep}engine{os.sep}"),
    ("pipeline (app/service)", f"{os.sep}app{os.sep}service{os.sep}"),
    ("app (routes, middlewares)", f"{os.sep}app{os.sep}"),
    ("pydantic", "pydantic"),
    ("prometheus_client", "prometheus_client"),
    ("fastapi + starlette", "starlette"),
    ("fastapi + starlette", "fastapi"),
    ("asyncio", "asyncio"),
)


def _scope(method: str, path: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}


async def _request(app: Any, method: str, path: str, body: bytes = b"") -> int:
    """One request through the ASGI app; returns the status."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await asyncio.sleep(3600)  # (a disconnect never comes: the request finishes first)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(method, path, body), receive, send)
    return status


async def _per_request_us(app: Any, method: str, path: str, body: bytes, n: int, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            await _request(app, method, path, body)
        times.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(times)


def _layer(path: str) -> str:
    for name, part in LAYERS:
        if part in path:
            return name
    return "other (stdlib, numpy, orjson)"


def own_times(frame: Any, into: dict[tuple[str, str, int], float] | None = None) -> dict[tuple[str, str, int], float]:
    """Own (self) time per function over a pyinstrument frame tree."""
    into = defaultdict(float) if into is None else into
    stack = [frame]
    while stack:
        f = stack.pop()
        stack.extend(f.children)
        if not f.is_synthetic:  # a synthetic "[self]" child's time is already its parent's own time
            into[(f.function or "?", f.file_path or "?", f.line_no or 0)] += f.total_self_time
    return into


async def _main(args: argparse.Namespace) -> int:
    from pyinstrument import Profiler

    app = create_app()
    body = orjson.dumps(EVALUATE_EXAMPLES[args.example]["value"])
    async with app.router.lifespan_context(app):
        warm = max(50, args.requests // 10)
        for _ in range(warm):
            assert await _request(app, "POST", "/v1/evaluate", body) == 200
            assert await _request(app, "GET", "/v1/health") == 200
        n = max(1, args.requests // 5)
        health = await _per_request_us(app, "GET", "/v1/health", b"", n)
        request = await _per_request_us(app, "POST", "/v1/evaluate", body, n)

        profiler = Profiler(interval=args.interval, async_mode="disabled")
        profiler.start()
        for _ in range(args.requests):
            await _request(app, "POST", "/v1/evaluate", body)
        session = profiler.stop()

    root = session.root_frame()
    assert root is not None
    owns = own_times(root)
    total = sum(owns.values())
    print(f"in-process, median of 5 rounds: GET /v1/health {health:.1f} us, POST /v1/evaluate ({args.example}) "
          f"{request:.1f} us per request; ratio {health / request:.2f}")
    print(f"pyinstrument: {args.requests} requests, {session.sample_count} samples at {args.interval * 1e6:.0f} us\n")
    layers: dict[str, float] = defaultdict(float)
    for (_, path, _), t in owns.items():
        layers[_layer(path)] += t
    print("| layer | share of the request's time |\n|---|---|")
    for name, t in sorted(layers.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {100 * t / total:.1f}% |")
    # the profiler slows every call alike: shares are its measure, times scale the unprofiled request
    print("\n| own time | ~us per request | function |\n|---|---|---|")
    for (fn, path, line), t in sorted(owns.items(), key=lambda kv: -kv[1])[:args.top]:
        where = Path(path)
        short = "/".join(where.parts[-2:]) if where.parts else path
        print(f"| {100 * t / total:5.1f}% | {request * t / total:6.1f} | `{fn}` ({short}:{line}) |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests to profile (default 3000)")
    parser.add_argument("--top", type=int, default=25, help="functions to list (default 25)")
    parser.add_argument("--interval", type=float, default=0.0001, help="sampling interval in seconds")
    parser.add_argument("--example", default="tutorial_gradient", choices=sorted(EVALUATE_EXAMPLES),
                        help="the request: one of the API's examples")
    return asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
