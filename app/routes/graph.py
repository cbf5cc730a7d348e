"""POST /v1/graph: the forward and backward graph of an evaluate body, as DOT, SVG or JSON."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..examples import EVALUATE_EXAMPLES
from ..service.errors import SchemaError, UnsupportedMediaType
from ..service.evaluate import plan_request
from ..service.execute import CancelToken, run_plan
from ..service.graph import build, to_dot, to_svg
from ..service.jsonbody import parse_body
from ..service.plan import Plan
from ..service.schemas import Problem

router = APIRouter()

MEDIA = {"dot": "text/vnd.graphviz", "svg": "image/svg+xml", "json": "application/json"}
ERRORS = {code: {"model": Problem, "description": text, "content": {"application/problem+json": {}}}
          for code, text in ((400, "Body is not JSON"), (413, "Over a configured limit"),
                             (415, "Body is not application/json"), (422, "Invalid request"),
                             (501, "format=svg without Graphviz installed on the server"),
                             (503, "Busy or past the time limit"))}
OK = {"description": "The graph: forward (the request's tensors, nodes and inline ops) and backward (grad_fn nodes).",
      "content": {"text/vnd.graphviz": {"schema": {"type": "string"}},
                  "image/svg+xml": {"schema": {"type": "string"}},
                  "application/json": {"schema": {"type": "object"}}}}


def _graph(plan: Plan, token: CancelToken) -> dict[str, object]:
    return build(plan, run_plan(plan, token))


@router.post(
    "/v1/graph",
    summary="Draw the forward and backward graph of an evaluation",
    response_class=Response,
    responses={200: OK, **ERRORS},  # type: ignore[dict-item]
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/EvaluateRequest"},
                "examples": {"tutorial_gradient": EVALUATE_EXAMPLES["tutorial_gradient"]},
            }},
        }
    },
)
async def graph_route(
    request: Request,
    fmt: str = Query(
        "dot", alias="format", json_schema_extra={"enum": list(MEDIA)},
        description="`dot` (Graphviz source), `svg` (drawn by Graphviz's `dot` on the server) or `json` "
        "(the `graph` that `include: [\"graph\"]` adds to /v1/evaluate).",
    ),
) -> Response:
    """Run the evaluate body (as POST /v1/evaluate does) and draw its graph. Nodes carry the request's
    names; anonymous ops inside an `expr` or an inline node are drawn as their own nodes."""
    if fmt not in MEDIA:
        raise SchemaError(f"query.format: '{fmt[:20]}' is not one of 'dot', 'svg', 'json'", ("query", "format"))
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType(f"content type '{ctype[:60]}' is not supported; send application/json")
    body = await request.body()
    state = request.app.state
    settings = state.settings
    async with state.admission.slot():
        doc = await run_in_threadpool(parse_body, body, settings.max_json_depth)
        plan = await run_in_threadpool(plan_request, doc, state.limits)
        graph = await run_in_threadpool(_graph, plan, CancelToken(settings.time_limit_s))
        if fmt == "json":
            content = orjson.dumps(graph)
        else:
            dot = to_dot(graph)
            if fmt == "dot":
                content = dot.encode()
            else:
                count = len(graph["forward"]["nodes"]) + len(graph["backward"]["nodes"])  # type: ignore[index]
                content = await run_in_threadpool(to_svg, dot, count)
    return Response(content, media_type=MEDIA[fmt])
