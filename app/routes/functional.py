"""POST /v1/jacobian, /v1/hessian, /v1/vjp, /v1/jvp, /v1/hvp (torch.autograd.functional) and /v1/gradcheck."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ..examples import FUNCTIONAL_EXAMPLES, GRADCHECK_EXAMPLES
from ..runner import in_thread_until_disconnect
from ..service import functional, verify
from ..service.errors import UnsupportedMediaType
from ..service.execute import CancelToken
from ..service.functional import Job
from ..service.jsonbody import parse_body
from ..service.limits import Limits
from ..service.schemas import (
    GradcheckRequest,
    GradcheckResponse,
    HessianRequest,
    HessianResponse,
    HVPRequest,
    HVPResponse,
    JacobianRequest,
    JacobianResponse,
    JVPRequest,
    JVPResponse,
    VJPRequest,
    VJPResponse,
)
from .evaluate import ERRORS

router = APIRouter()

# request models whose schemas the OpenAPI document carries under components/schemas (see app.main)
OPENAPI_MODELS: tuple[type[BaseModel], ...] = (
    JacobianRequest, HessianRequest, VJPRequest, JVPRequest, HVPRequest, GradcheckRequest,
)


async def serve(request: Request, prepare: Callable[[Any, Limits], Job]) -> Response:
    """Admission, parse, plan (with the budget checks), then compute in a worker thread; as /v1/evaluate does."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType(f"content type '{ctype[:60]}' is not supported; send application/json")
    body = await request.body()
    state = request.app.state
    settings = state.settings
    async with state.admission.slot():
        if len(body) <= settings.inline_body_bytes:
            job = prepare(parse_body(body, settings.max_json_depth), state.limits)
        else:
            doc = await run_in_threadpool(parse_body, body, settings.max_json_depth)
            job = await run_in_threadpool(prepare, doc, state.limits)
        # repeated passes are never cheap enough for the event loop
        out = await in_thread_until_disconnect(request, job.run, token=CancelToken(settings.time_limit_s))
    request.scope["state"].get("access", {}).update(nodes=job.nodes, elements=job.elements)
    return Response(out, media_type="application/json")


def _openapi_body(model: type[BaseModel], examples: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{model.__name__}"},
                    "examples": examples,
                }
            },
        }
    }


_COMMON = """

The body is a `/v1/evaluate` graph (`tensors`, `nodes`, `device`, `encoding`) plus `output` (a node: the
function's value) and `inputs` (leaf tensors: its arguments). The function is the graph's nodes run with
new tensors for `inputs` (every other leaf fixed), up to `output`. `create_graph` and `strict` are
PyTorch's. Result tensors are `{"data", "shape", "dtype"}`, `data` written as `/v1/evaluate` writes it.
Unknown names are 422s at `["output"]` / `["inputs", i]`; a `v` of the wrong shape is a 422 at `["v"]`
(`["v", name]`); the work (rows × a forward and backward pass) is checked against `max_flops` first (413)."""

_TRANSFORMS: dict[str, tuple[type[BaseModel], str, str]] = {
    "jacobian": (JacobianResponse, "Jacobian of a graph's output w.r.t. leaf tensors",
                 "`torch.autograd.functional.jacobian`: per input, a block of shape `output.shape + input.shape`, "
                 "one backward pass per output element."),
    "hessian": (HessianResponse, "Hessian of a one-element output w.r.t. leaf tensors",
                "`torch.autograd.functional.hessian`: `hessian[a][b]` has the shape `a.shape + b.shape`; the "
                "output must have one element (PyTorch's error otherwise)."),
    "vjp": (VJPResponse, "Vector-Jacobian product vᵀJ",
            "`torch.autograd.functional.vjp`: `v` is a tensor spec shaped as the output (optional for a "
            "one-element output); the result has one tensor per input."),
    "jvp": (JVPResponse, "Jacobian-vector product J v",
            "`torch.autograd.functional.jvp`: `v` maps each input name to a tensor spec of its shape; the "
            "result is shaped as the output (by the double backward trick, as PyTorch)."),
    "hvp": (HVPResponse, "Hessian-vector product H v",
            "`torch.autograd.functional.hvp`: `v` maps each input name to a tensor spec of its shape; the "
            "output must have one element; the result has one tensor per input."),
}


def _transform_route(kind: str) -> None:
    response_model, summary, doc = _TRANSFORMS[kind]

    async def route(request: Request) -> Response:
        return await serve(request, lambda d, limits: functional.prepare(kind, d, limits))

    route.__name__ = f"{kind}_route"
    router.add_api_route(
        f"/v1/{kind}", route, methods=["POST"], summary=summary, description=doc + _COMMON,
        response_model=response_model, responses=ERRORS,  # type: ignore[arg-type]
        openapi_extra=_openapi_body(functional.REQUESTS[kind], FUNCTIONAL_EXAMPLES[kind]),
    )


for _kind in _TRANSFORMS:
    _transform_route(_kind)


@router.post(
    "/v1/gradcheck",
    summary="Check a graph's gradients against finite differences",
    response_model=GradcheckResponse,
    responses=ERRORS,  # type: ignore[arg-type]
    openapi_extra=_openapi_body(GradcheckRequest, GRADCHECK_EXAMPLES),
)
async def gradcheck_route(request: Request) -> Response:
    """`torch.autograd.gradcheck` (and with `"order": 2`, `gradgradcheck`) of `output` with respect to every
    leaf that requires grad: analytical derivatives against central finite differences, computed on float64
    copies of the graph (leaves, constants and dtype arguments cast; the finite differences need it).
    Tolerances are PyTorch's defaults (`eps` 1e-6, `atol` 1e-5, `rtol` 1e-3) unless given. Per leaf:
    `max_abs_error`, `max_rel_error` (|a − n| / max(|n|, atol)) and `passed` (|a − n| ≤ atol + rtol·|n|
    everywhere); a NaN difference counts as infinite and fails; non-finite figures are the strings
    `"NaN"`/`"Infinity"`. With order 2 the figures are the worst of both checks, `first_order` and
    `second_order` give each. Budget: 2 × numel(inputs) forward passes plus a backward per output element
    (413 over `max_flops`).

    The same check runs on `/v1/evaluate` with `"verify": true` (and `"order"`): there it checks the output
    of the first backward step, or the last node when there is no backward step, with the default
    tolerances, on the leaf values the evaluation used."""
    return await serve(request, verify.prepare)
