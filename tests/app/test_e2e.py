"""End to end: the README's serve command on a free loopback port, talked to with the client."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from app.client import AsyncGradientClient, GradientClient, GradientServiceError

from .conftest import free_port  # noqa: F401 - re-exported for test_lifecycle

ROOT = Path(__file__).resolve().parents[2]


def test_tutorial_over_http_with_the_client(server: str) -> None:
    with GradientClient(server) as client:
        assert client.health()["status"] == "ok"
        result = client.evaluate(
            tensors={"x": {"data": [1, 1], "requires_grad": True}},
            nodes=[{"id": "y", "expr": "5 * (x + 1) ** 2"}, {"id": "o", "expr": "(1/2) * torch.sum(y)"}],
            backward=[{"output": "o"}],
        )
        assert np.array_equal(result["x"].grad, np.array([10.0, 10.0], dtype=np.float32))
        assert result["y"].grad_fn == "MulBackward0" and result["o"].data.shape == ()
        with pytest.raises(GradientServiceError) as info:
            client.evaluate(tensors={"x": {"data": [1.0, 2.0]}}, nodes=[{"id": "y", "expr": "x +"}])
        assert info.value.status == 422 and info.value.loc == ["nodes", 0, "expr"]
        b64 = client.evaluate(tensors={"x": np.arange(3, dtype=np.float64)}, nodes=[{"id": "s", "expr": "x.sum()"}],
                              encoding="b64")
        assert b64["s"].data.item() == 3.0 and b64["x"].data.dtype == np.float64


def test_async_client(server: str) -> None:
    import anyio

    async def go() -> None:
        async with AsyncGradientClient(server) as client:
            ops = await client.ops()
            assert any(op["name"] == "add" for op in ops)
            r = await client.evaluate(tensors={"x": {"data": 2.0, "requires_grad": True}},
                                      nodes=[{"id": "y", "expr": "x ** 3"}], backward=[{"output": "y"}])
            assert r["x"].grad.item() == 12.0

    anyio.run(go)


def test_dockerfile_runs_the_documented_command() -> None:
    docker = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r'^CMD \[(.*)\]', docker, re.M)
    assert cmd, "Dockerfile needs a CMD"
    argv = [a.strip().strip('"') for a in cmd.group(1).split(",")]
    command = " ".join(argv)
    readme = (ROOT / "README.md").read_text()
    assert command in readme, f"README does not document the container's command {command!r}"
    assert "HEALTHCHECK" in docker and "/v1/health" in docker and "EXPOSE 8000" in docker
    assert re.search(r"^USER (?!root)", docker, re.M), "the container must not run as root"
    assert "ARG EXTRAS" in docker and "GRADIENT_SERVICE_WORKERS" in docker


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and re.search(r"^\s*make test\s*$", readme, re.M)
