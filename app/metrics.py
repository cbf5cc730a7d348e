"""Prometheus metrics and the one-line-per-request log, as one small ASGI middleware."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gradient_service.access")


class Metrics:
    """The service's metrics, in their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("gs_requests", "Requests by route, method and status", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("gs_request_seconds", "Request latency", ["route"], registry=self.registry,
                                 buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                          10, 30))
        self.forward = Histogram("gs_forward_seconds", "Forward-pass time", registry=self.registry,
                                 buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30))
        self.backward = Histogram("gs_backward_seconds", "Backward-pass time", registry=self.registry,
                                  buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30))
        self.elements = Histogram("gs_tensor_elements", "Elements reported per evaluation", registry=self.registry,
                                  buckets=(1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7))

        # (route, method, status) → its counter and latency children: ``labels()`` takes a lock and
        # checks its arguments on every call (~2 µs each), a dict lookup does not.
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            children = (self.requests.labels(route, method, str(status)), self.latency.labels(route))
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def observe_evaluation(self, forward_s: float, backward_s: float, elements: int) -> None:
        self.forward.observe(forward_s)
        self.backward.observe(backward_s)
        self.elements.observe(elements)

    def render(self) -> bytes:
        """The exposition text; with several workers, every worker's figures summed."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class AccessMiddleware:
    """Counts and times every request, and logs one line for it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, json_logs: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.json_logs = json_logs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        state: dict[str, Any] = {}
        scope.setdefault("state", {})["access"] = state

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_of(scope)
            self.metrics.observe_request(route, scope["method"], status, elapsed)
            if log.isEnabledFor(logging.INFO):
                fields = {"method": scope["method"], "path": scope["path"], "status": status,
                          "ms": round(elapsed * 1e3, 3), "nodes": state.get("nodes", 0),
                          "elements": state.get("elements", 0)}
                if self.json_logs:
                    log.info(json.dumps(fields))
                else:
                    log.info("%(method)s %(path)s %(status)s %(ms).3fms nodes=%(nodes)s elements=%(elements)s", fields)
