"""POST /v1/evaluate."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from ..examples import EVALUATE_EXAMPLES
from ..runner import run_evaluation
from ..service.errors import UnsupportedMediaType
from ..service.schemas import EvaluateResponse, Problem


class RequestRoute(APIRoute):
    """A route whose endpoint takes only the ``Request`` and returns a ``Response``: called as is.

    For such an endpoint FastAPI's per-request handler (dependency solving, body and response
    handling, telemetry hooks) has nothing to do, yet it was ~8% of a tutorial request's work
    (measured: 100k of 1.26M instructions). Errors still reach the app's problem handlers, which
    wrap this handler as they wrapped FastAPI's; the OpenAPI document is built from the route as before.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        params = list(inspect.signature(self.endpoint).parameters)
        if params != ["request"] or not inspect.iscoroutinefunction(self.endpoint):
            raise TypeError(f"{self.path}: RequestRoute needs `async def endpoint(request)`, not {params}")
        return self.endpoint  # type: ignore[no-any-return]


router = APIRouter(route_class=RequestRoute)

ERRORS = {code: {"model": Problem, "description": text, "content": {"application/problem+json": {}}}
          for code, text in ((400, "Body is not JSON"), (413, "Over a configured limit"),
                             (415, "Body is not application/json"), (422, "Invalid request"),
                             (503, "Busy or past the time limit"))}


@router.post(
    "/v1/evaluate",
    summary="Evaluate a graph and its gradients",
    response_model=EvaluateResponse,
    responses=ERRORS,  # type: ignore[arg-type]
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/EvaluateRequest"},
                    "examples": EVALUATE_EXAMPLES,
                }
            },
        }
    },
)
async def evaluate_route(request: Request) -> Response:
    """Build the tensors, evaluate the nodes in order, run the backward steps, and report
    values, gradients and autograd flags — with PyTorch's semantics and numbers."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType(f"content type '{ctype[:60]}' is not supported; send application/json")
    body = await request.body()
    return Response(await run_evaluation(request, body), media_type="application/json")
