"""POST /v1/evaluate."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..examples import EVALUATE_EXAMPLES
from ..runner import run_evaluation
from ..service.errors import UnsupportedMediaType
from ..service.schemas import EvaluateResponse, Problem

router = APIRouter()

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
