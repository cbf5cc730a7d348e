"""A small typed client for the service, on httpx (sync and async); results come back as NumPy arrays.

    with GradientClient("http://127.0.0.1:8000") as client:
        result = client.evaluate(
            tensors={"x": {"data": [1, 1], "requires_grad": True}},
            nodes=[{"id": "y", "expr": "5 * (x + 1) ** 2"}, {"id": "o", "expr": "0.5 * y.sum()"}],
            backward=[{"output": "o"}],
        )
        result["x"].grad  # array([10., 10.], dtype=float32)
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

_NON_FINITE = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}


class GradientServiceError(Exception):
    """A problem+json answer: ``status``, ``title``, ``detail`` and ``loc``."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(f"{problem.get('status')} {problem.get('title')}: {problem.get('detail')}")
        self.problem = problem
        self.status: int = problem.get("status", 0)
        self.detail: str = problem.get("detail", "")
        self.loc: list[Any] = problem.get("loc", [])


@dataclass
class TensorResult:
    """One reported tensor, its data and grad as NumPy arrays."""

    data: np.ndarray
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    grad: np.ndarray | None


def _decode(value: Any, shape: list[int], dtype: str) -> np.ndarray:
    if isinstance(value, dict) and "b64" in value:
        return np.frombuffer(base64.b64decode(value["b64"]), dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
    if isinstance(value, str):
        return np.asarray(_NON_FINITE[value], dtype=dtype)
    if isinstance(value, list):
        value = _replace(value)
    return np.asarray(value, dtype=dtype).reshape(shape)


def _replace(value: Any) -> Any:
    if isinstance(value, list):
        return [_replace(v) for v in value]
    return _NON_FINITE.get(value, value) if isinstance(value, str) else value


def _results(payload: dict[str, Any]) -> dict[str, TensorResult]:
    out = {}
    for name, t in payload["tensors"].items():
        out[name] = TensorResult(
            data=_decode(t["data"], t["shape"], t["dtype"]),
            shape=tuple(t["shape"]),
            dtype=t["dtype"],
            requires_grad=t["requires_grad"],
            is_leaf=t["is_leaf"],
            grad_fn=t["grad_fn"],
            grad=None if t["grad"] is None else _decode(t["grad"], t["shape"], t["dtype"]),
        )
    return out


def build_request(
    tensors: dict[str, Any] | None = None,
    nodes: list[dict[str, Any]] | None = None,
    backward: list[dict[str, Any]] | None = None,
    outputs: list[str] | None = None,
    device: str = "auto",
    encoding: str = "json",
) -> dict[str, Any]:
    """The JSON body of ``/v1/evaluate``; NumPy arrays in ``tensors`` become ``data`` specs."""
    specs: dict[str, Any] = {}
    for name, spec in (tensors or {}).items():
        if isinstance(spec, np.ndarray):
            spec = {"data": spec.tolist(), "dtype": str(spec.dtype)}
        specs[name] = spec
    body: dict[str, Any] = {"tensors": specs, "nodes": nodes or [], "backward": backward or [],
                            "device": device, "encoding": encoding}
    if outputs is not None:
        body["outputs"] = outputs
    return body


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        try:
            problem = response.json()
        except ValueError:
            problem = {"status": response.status_code, "title": "error", "detail": response.text[:200]}
        raise GradientServiceError(problem)
    result: dict[str, Any] = response.json()
    return result


class GradientClient:
    """Synchronous client."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def evaluate(self, **request: Any) -> dict[str, TensorResult]:
        """POST /v1/evaluate; returns the reported tensors by name."""
        return _results(_check(self._http.post("/v1/evaluate", json=build_request(**request))))

    def health(self) -> dict[str, Any]:
        return _check(self._http.get("/v1/health"))

    def ops(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = _check(self._http.get("/v1/ops"))["ops"]
        return result

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GradientClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncGradientClient:
    """Asynchronous client."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def evaluate(self, **request: Any) -> dict[str, TensorResult]:
        """POST /v1/evaluate; returns the reported tensors by name."""
        return _results(_check(await self._http.post("/v1/evaluate", json=build_request(**request))))

    async def health(self) -> dict[str, Any]:
        return _check(await self._http.get("/v1/health"))

    async def ops(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = _check(await self._http.get("/v1/ops"))["ops"]
        return result

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGradientClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
