"""GET /v1/ops, /v1/health, /metrics and the / redirect."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

import engine

from ..service.catalogue import catalogue
from ..service.errors import NotReady
from ..service.schemas import HealthResponse, OpsResponse, Problem

router = APIRouter()


@router.get("/v1/ops", response_model=OpsResponse, summary="The op catalogue")
async def ops() -> OpsResponse:
    """Every op that `op`, `expr` and the engine accept: signature, defaults, differentiability."""
    return catalogue()


@router.get("/v1/health", response_model=HealthResponse, summary="Liveness")
async def health(request: Request) -> HealthResponse:
    """Whether the service is up, its version, and the devices it can compute on."""
    gpu = engine.cuda.is_available()
    return HealthResponse(
        status="ok",
        version=engine.__version__,
        devices=["cpu", "cuda"] if gpu else ["cpu"],
        default_device="cuda" if gpu and request.app.state.settings.default_device != "cpu" else "cpu",
    )


@router.get("/v1/ready", response_model=HealthResponse, summary="Readiness",
            responses={503: {"model": Problem, "description": "Starting or shutting down"}})
async def ready(request: Request) -> HealthResponse:
    """503 while the service starts or shuts down, else as /v1/health (use for readiness probes)."""
    if not request.app.state.ready:
        raise NotReady("the service is starting or shutting down")
    return await health(request)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Requests by route and status, latency, forward/backward seconds, element counts."""
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/docs")
