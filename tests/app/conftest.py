"""Fixtures: the ASGI app under test, driven by httpx through ASGITransport."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import engine
from app._compiled import APP_COMPILED
from app.config import Settings
from app.main import create_app
from engine._compiled import COMPILED


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(Settings())


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[httpx.Client]:
    # httpx's sync client cannot drive an ASGI app; a small sync facade over the async one does.
    import anyio

    class SyncASGI(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            async def go() -> httpx.Response:
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                response = await transport.handle_async_request(request)
                raw = b"".join([chunk async for chunk in response.aiter_raw()])  # still encoded, as sent
                return httpx.Response(response.status_code, headers=response.headers, content=raw)

            return anyio.run(go)

    with httpx.Client(transport=SyncASGI(), base_url="http://testserver") as c:
        yield c


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert a problem+json answer of ``status`` with nothing internal in it; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "loc"} <= body.keys()
    text = response.text
    for leak in ("Traceback", "File \"", "/work/", "site-packages", "<engine.", "object at 0x", "numpy"):
        assert leak not in text, f"internal detail {leak!r} in {text}"
    return body


ROOT = Path(__file__).resolve().parents[2]


def readme_serve_command() -> str:
    """The first command of the README's quick start (the one that starts the service)."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^\s*(make serve)\s*$", text, re.M)
    assert match, "the README must give `make serve` as the command that starts the service"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    stale = engine.build_info((*COMPILED, *APP_COMPILED))["stale"]
    if stale:  # `make serve` would recompile them first (and two test workers at once)
        pytest.fail(f"compiled modules older than their source: {stale}; run `make build` (or `make test`)")
    port = free_port()
    cmd = readme_serve_command().split() + [f"PORT={port}", "HOST=127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, "GRADIENT_SERVICE_LOG_LEVEL": "warning"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"server exited: {out[-2000:]}")
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not come up in 60 s")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
