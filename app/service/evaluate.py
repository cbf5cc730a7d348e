"""The evaluate pipeline in three plain steps: request → plan → engine → response."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

import engine

from . import insight, verify
from .devices import resolve_device
from .encode import dumps, tensor_doc
from .errors import DeviceUnavailable
from .execute import CancelToken, run_plan
from .limits import Limits
from .plan import Plan, build_plan
from .schemas import EvaluateRequest
from .validation import schema_error


@dataclass
class Outcome:
    """A finished evaluation: the response body and figures for logs and metrics."""

    body: bytes
    nodes: int
    elements: int
    forward_s: float
    backward_s: float


def validate(doc: Any) -> EvaluateRequest:
    """Python objects → the typed request (422 naming the first offending field)."""
    try:
        return EvaluateRequest.model_validate(doc)
    except ValidationError as exc:
        raise schema_error(exc) from None


def plan_request(doc: Any, limits: Limits) -> Plan:
    """Step 1: validate and plan (then choose the device, which the plan's size informs)."""
    request = validate(doc)
    requested = request.device
    if requested == "cuda" and not engine.cuda.is_available():
        raise DeviceUnavailable("device 'cuda' is not available on this server (no usable GPU)", ("device",))
    plan = build_plan(request, limits, "cpu", doc.get("nodes"))
    plan.device = resolve_device(requested, plan, limits)
    verify.check_evaluation_cost(plan, limits)  # verify's extra work is budgeted before anything runs
    return plan


def finish(plan: Plan, token: CancelToken | None = None) -> Outcome:
    """Steps 2 and 3: run the plan on the engine and encode the response."""
    t0 = time.perf_counter()
    result = run_plan(plan, token)
    tensors = {name: tensor_doc(result.tensors[name], plan.encoding) for name in plan.outputs}
    elements = sum(result.tensors[name].numel() for name in plan.outputs)
    response = {
        "device": plan.device,
        "tensors": tensors,
        "timings_ms": {
            "forward": round(result.forward_ms, 4),
            "backward": round(result.backward_ms, 4),
            "total": round((time.perf_counter() - t0) * 1e3, 4),
        },
    }
    insight.extend(plan, result, response, plan.limits, token)
    return Outcome(dumps(response), len(plan.nodes), elements, result.forward_ms / 1e3, result.backward_ms / 1e3)


def evaluate(doc: Any, limits: Limits, time_limit_s: float | None = None) -> Outcome:
    """All three steps for an already-parsed JSON document (library use and tests)."""
    plan = plan_request(doc, limits)
    return finish(plan, None if time_limit_s is None else CancelToken(time_limit_s))
