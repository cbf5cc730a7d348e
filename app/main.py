"""The ASGI application ``app.main:app``: routers, problem handlers, limits, metrics, OpenAPI."""

from __future__ import annotations

import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

import engine

from . import problems
from .admission import Admission
from .bodylimit import BodyLimitMiddleware
from .config import Settings, get_settings
from .gzip_request import GzipRequestMiddleware
from .metrics import AccessMiddleware, Metrics
from .routes import evaluate, functional, meta, playground
from .routes import graph as graph_routes
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
    for model in functional.OPENAPI_MODELS:
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(model_schema.pop("$defs", {}))
        schemas[model.__name__] = model_schema
    app.openapi_schema = doc
    return doc


def _watch_sigterm(app: FastAPI) -> None:
    """Turn readiness off the moment SIGTERM arrives, then let the server shut down as usual."""
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return

    def handler(signum: int, frame: Any) -> None:
        app.state.ready = False
        previous(signum, frame)  # type: ignore[operator]

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. under a test client): nothing to chain
        pass


def _warm_up(app: FastAPI) -> None:
    """Run one small request before reporting ready, so the first real one pays no import or setup cost."""
    from .examples import EVALUATE_EXAMPLES
    from .service.evaluate import evaluate

    for name in ("tutorial_gradient", "mlp_layer"):
        evaluate(EVALUATE_EXAMPLES[name]["value"], app.state.limits)


def _freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, the app, warm caches) out of the cyclic GC's reach.

    Those objects live as long as the process, yet every full collection would walk all of them
    again (~70,000 objects; measured: a 20 ms pause inside whichever request triggers it). The
    requests' own garbage is still collected as before.
    """
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    _watch_sigterm(app)
    _warm_up(app)
    _freeze_startup_objects()
    app.state.ready = True
    try:
        yield
    finally:
        app.state.ready = False


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application (tests build their own with other settings)."""
    settings = settings or get_settings()
    logging.getLogger("gradient_service").setLevel(settings.log_level.upper())
    app = FastAPI(title="gradient-service", version=engine.__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.limits = settings.limits()
    app.state.metrics = Metrics()
    app.state.admission = Admission(settings.max_concurrency, settings.max_queue, settings.queue_wait_s)
    app.state.ready = False
    app.include_router(evaluate.router, tags=["evaluate"])
    app.include_router(functional.router, tags=["functional"])
    app.include_router(meta.router, tags=["service"])
    app.include_router(graph_routes.router, tags=["evaluate"])
    app.include_router(playground.router)
    app.mount("/static", StaticFiles(directory=playground.STATIC), name="static")
    problems.install(app)
    # Starlette runs the last added outermost: access log, then body limit (on the wire size),
    # then gzip inflation (limit again on the inflated size); responses over a size are gzipped.
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes, compresslevel=1)
    app.add_middleware(GzipRequestMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessMiddleware, metrics=app.state.metrics, json_logs=settings.log_format == "json")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
