"""The ASGI application ``app.main:app``: routers, problem handlers, metrics, OpenAPI."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import engine

from . import problems
from .config import Settings, get_settings
from .metrics import AccessMiddleware, Metrics
from .routes import evaluate, meta
from .service.schemas import EvaluateRequest

DESCRIPTION = """Send tensors and an expression graph as JSON; get forward values, gradients and
`requires_grad` flags back, with PyTorch's semantics and numbers. Computed by the service's own
autograd engine (NumPy on the CPU, CuPy on a GPU). Start with the examples of **POST /v1/evaluate**."""


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    request_schema = EvaluateRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(request_schema.pop("$defs", {}))
    schemas["EvaluateRequest"] = request_schema
    app.openapi_schema = doc
    return doc


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application (tests build their own with other settings)."""
    settings = settings or get_settings()
    logging.getLogger("gradient_service").setLevel(settings.log_level.upper())
    app = FastAPI(title="gradient-service", version=engine.__version__, description=DESCRIPTION)
    app.state.settings = settings
    app.state.limits = settings.limits()
    app.state.metrics = Metrics()
    app.include_router(evaluate.router, tags=["evaluate"])
    app.include_router(meta.router, tags=["service"])
    problems.install(app)
    app.add_middleware(AccessMiddleware, metrics=app.state.metrics, json_logs=settings.log_format == "json")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
