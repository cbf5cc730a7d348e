"""Readiness, graceful shutdown, BLAS threads, and defined numbers at the edges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from app.config import Settings
from app.main import create_app

from .test_e2e import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_ready_only_between_startup_and_shutdown() -> None:
    app = create_app(Settings())

    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/v1/ready")
            assert r.status_code == 503 and r.headers["retry-after"]
            assert (await c.get("/v1/health")).status_code == 200  # liveness is not readiness
            async with app.router.lifespan_context(app):
                assert (await c.get("/v1/ready")).status_code == 200
            assert (await c.get("/v1/ready")).status_code == 503

    anyio.run(go)


def test_sigterm_finishes_in_flight_requests() -> None:
    port = free_port()
    env = {**os.environ, "GRADIENT_SERVICE_LOG_LEVEL": "warning", "GRADIENT_SERVICE_TIME_LIMIT_S": "20"}
    exe = Path(sys.executable).parent / "gradient-service"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/v1/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        slow = {"tensors": {"a": {"factory": "randn", "shape": [600, 600], "seed": 1, "requires_grad": True}},
                "nodes": [{"id": f"n{i}", "expr": f"torch.tanh({'a' if i == 0 else f'n{i - 1}'} @ a)"}
                          for i in range(12)]
                + [{"id": "s", "expr": "n11.sum()"}],
                "backward": [{"output": "s"}], "outputs": ["s"]}
        result: dict[str, Any] = {}

        def send() -> None:
            result["response"] = httpx.post(url + "/v1/evaluate", json=slow, timeout=60)

        t = threading.Thread(target=send)
        t.start()
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        t.join(timeout=60)
        assert result["response"].status_code == 200, result["response"].text
        # uvicorn finishes gracefully, then re-raises the signal it captured: exit by SIGTERM
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        with pytest.raises(httpx.HTTPError):
            httpx.get(url + "/v1/health", timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_bounds_blas_threads(monkeypatch: Any) -> None:
    from app import cli, supervisor

    seen: dict[str, Any] = {}
    monkeypatch.setattr(supervisor, "run_worker", lambda host, port, options, reuse_port: seen.update(
        host=host, port=port, reuse_port=reuse_port))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    assert cli.main(["serve", "--port", "9"]) == 0
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert seen == {"host": "127.0.0.1", "port": 9, "reuse_port": False}


def test_numbers_at_the_edges(client: Any) -> None:
    body = {"tensors": {"e": {"factory": "zeros", "shape": [0], "requires_grad": True},
                        "z": {"data": [0.0, 1.0]}},
            "nodes": [{"id": "s", "expr": "e.sum()"}, {"id": "m", "expr": "e.mean()"},
                      {"id": "l", "expr": "torch.log(z)"}, {"id": "d", "expr": "z / z"},
                      {"id": "x", "expr": "torch.exp(z * 1000)"},
                      {"id": "e2", "op": "reshape", "args": ["e", [0, 3]]}],
            "backward": [{"output": "s"}]}
    r = client.post("/v1/evaluate", json=body)
    assert r.status_code == 200, r.text
    t = r.json()["tensors"]
    assert t["s"]["data"] == 0.0 and t["m"]["data"] == "NaN"
    assert t["e"]["grad"] == [] and t["e2"]["shape"] == [0, 3] and t["e2"]["data"] == []
    assert t["l"]["data"] == ["-Infinity", 0.0]
    assert t["d"]["data"][0] == "NaN" and t["d"]["data"][1] == 1.0
    assert t["x"]["data"] == [1.0, "Infinity"]


def _start_serve(extra_env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "GRADIENT_SERVICE_LOG_LEVEL": "info", **extra_env}
    exe = Path(sys.executable).parent / "gradient-service"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(workers)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/v1/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("server did not become ready")


TUTORIAL = {"tensors": {"x": {"data": [1, 1], "requires_grad": True}},
            "nodes": [{"id": "o", "expr": "(5 * (x + 1) ** 2).sum() / 2"}], "backward": [{"output": "o"}]}


def _post_with_retry(url: str) -> int:
    for _ in range(20):
        try:
            return httpx.post(url + "/v1/evaluate", json=TUTORIAL, timeout=10).status_code
        except httpx.TransportError:  # a worker being recycled dropped its backlog
            time.sleep(0.1)
    return 0


def test_two_workers_share_the_port_and_metrics_add_up() -> None:
    proc, url = _start_serve({}, workers=2)
    try:
        statuses = [_post_with_retry(url) for _ in range(20)]
        assert statuses == [200] * 20
        text = httpx.get(url + "/metrics", timeout=5).text
        line = next(ln for ln in text.splitlines()
                    if ln.startswith('gs_requests_total{') and 'route="/v1/evaluate"' in ln and 'status="200"' in ln)
        assert float(line.rsplit(" ", 1)[1]) == 20.0, line
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)


def test_workers_are_recycled_after_max_requests() -> None:
    proc, url = _start_serve({"GRADIENT_SERVICE_MAX_REQUESTS": "5", "GRADIENT_SERVICE_MAX_REQUESTS_JITTER": "0"},
                             workers=1)
    try:
        assert [_post_with_retry(url) for _ in range(14)] == [200] * 14
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert "starting another" in out, out[-2000:]
