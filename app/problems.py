"""Every error as ``application/problem+json`` (RFC 9457), decided in this one place."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .service.errors import ServiceError
from .service.validation import schema_error

TYPE_BASE = "https://gradient-service/errors/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("gradient_service")

_HTTP_TITLES = {404: ("not-found", "Not found"), 405: ("method-not-allowed", "Method not allowed"),
                400: ("bad-request", "Bad request"), 413: ("limit-exceeded", "Request over a limit"),
                415: ("unsupported-media-type", "Unsupported media type")}


def problem(status: int, slug: str, title: str, detail: str, loc: Any = (), headers: dict[str, str] | None = None,
            **extra: Any) -> Response:
    """A problem+json response."""
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail, "loc": list(loc), **extra}
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def send_problem(send: Any, status: int, slug: str, title: str, detail: str,
                       headers: dict[str, str] | None = None) -> None:
    """Answer with a problem document straight from ASGI middleware (before any route runs)."""
    response = problem(status, slug, title, detail, headers=headers)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def from_service_error(exc: ServiceError) -> Response:
    headers = {"Retry-After": "1"} if exc.status == 503 else None
    return problem(exc.status, exc.slug, exc.title, exc.detail, exc.loc, headers, **exc.extra)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a problem document."""

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        return from_service_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return from_service_error(schema_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404:
            detail = f"no route {request.url.path}"
        elif exc.status_code == 405:
            detail = f"method {request.method} is not allowed on {request.url.path}"
        return problem(exc.status_code, slug, title, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal", "Internal server error", "the server failed; the error is logged")
