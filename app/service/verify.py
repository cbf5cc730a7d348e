"""Gradient verification: a graph's analytical derivatives against central finite differences, in float64.

Used by POST /v1/gradcheck and by ``"verify": true`` on /v1/evaluate. The function checked is
the request's graph as a function of every leaf that requires grad (:class:`GraphFunction`),
its value the chosen output: ``output`` on /v1/gradcheck; on /v1/evaluate the output of the
first backward step, or the last node where there is no backward step. The check runs on
float64 copies: floating leaves, floating constants in the nodes and floating ``dtype``
arguments (``x.float()``, ``sum(x, dtype=...)``) become float64, so that the finite
differences mean something; the request's own run is untouched.

The comparison is :func:`engine.autograd.gradcheck.gradient_report` (PyTorch's ``gradcheck``
with its tolerances: eps 1e-6, atol 1e-5, rtol 1e-3 by default); ``order`` 2 adds the
second-derivative check (``gradgradcheck``). Per leaf: ``max_abs_error``, ``max_rel_error`` and
``passed``; a NaN error counts as infinite and fails; non-finite figures are written
``"NaN"``/``"Infinity"`` (strict JSON). With order 2 the figures are the worst of both checks,
and ``first_order``/``second_order`` give each.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

import engine
from engine.autograd.gradcheck import gradient_report

from .encode import dumps
from .errors import AutogradMisuse, Loc, ServiceError
from .execute import CancelToken, Result, engine_mode, make_leaves
from .functional import GraphFunction, Job, forward_flops, output_count, plan_graph, validate_as
from .limits import Limits
from .mapping import engine_error
from .plan import Alias, ConstTensor, GradCall, KeyArg, ListArg, Lit, OpCall, Plan, PlanNode
from .schemas import GradcheckRequest

_NARROW_FLOATS = {"float16", "float32", "float", "half"}


# -- the float64 copy of a plan ---------------------------------------------------------------

def _promote(arg: Any, key: str | None = None) -> Any:
    """A plan argument with its floating constants and floating dtype arguments in float64."""
    if isinstance(arg, ConstTensor):
        a = arg.array
        return ConstTensor(a.astype(np.float64)) if a.dtype.kind == "f" and a.dtype.itemsize < 8 else arg
    if isinstance(arg, Lit):
        v = arg.value
        if isinstance(v, engine.dtype) and v.is_floating_point and v.name != "float64":
            return Lit(engine.float64)
        if key == "dtype" and isinstance(v, str) and v in _NARROW_FLOATS:
            return Lit("float64")
        return arg
    if isinstance(arg, OpCall):
        return OpCall(arg.op, [_promote(a) for a in arg.args], {k: _promote(v, k) for k, v in arg.kwargs.items()},
                      arg.meta, arg.method)
    if isinstance(arg, GradCall):
        go = None if arg.grad_outputs is None else _promote(arg.grad_outputs)
        return replace(arg, output=_promote(arg.output), input=_promote(arg.input), grad_outputs=go)
    if isinstance(arg, ListArg):
        return ListArg([_promote(a) for a in arg.items])
    if isinstance(arg, KeyArg):
        return KeyArg([_promote(a) for a in arg.items], arg.single)
    return arg  # Ref, Alias


def float64_plan(plan: Plan) -> Plan:
    """A copy of ``plan`` computing in float64 (plans are shared between requests: never changed in place)."""
    nodes = [n if isinstance(n.value, Alias) else PlanNode(n.id, _promote(n.value), n.retain_grad, n.index)
             for n in plan.nodes]
    return replace(plan, nodes=nodes)


def _float64_leaves(env: dict[str, engine.Tensor], names: list[str]) -> dict[str, engine.Tensor]:
    """Detached copies of the leaves, floating ones in float64; those in ``names`` require grad."""
    out = {}
    for name, t in env.items():
        c = t.detach()  # a new tensor object: the check swaps its data while perturbing, never the array
        if c.dtype.is_floating_point and c.dtype is not engine.float64:
            c = c.double()
        if name in names:
            c.requires_grad_()
        out[name] = c
    return out


# -- the check --------------------------------------------------------------------------------

def _number(x: float) -> float | str:
    """A figure for strict JSON: non-finite ones as the contract's strings."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    return {"max_abs_error": _number(item["max_abs_error"]), "max_rel_error": _number(item["max_rel_error"]),
            "passed": bool(item["passed"])}


def checked_leaves(plan: Plan) -> list[str]:
    """The leaves a check covers: every leaf that requires grad, in request order."""
    return [name for name, leaf in plan.leaves.items() if leaf.meta.requires_grad]


def check_cost(plan: Plan, output: str, names: list[str], order: int, limits: Limits, loc: Loc = (),
               out_numel: int | None = None) -> None:
    """The check's budget (Limits.check_verify), from the plan's shapes; skipped while the output's shape is unknown."""
    if out_numel is None:
        meta = plan.metas.get(output)
        if meta is None:
            return
        out_numel = meta.numel()
    n_in = sum(plan.leaves[n].meta.numel() for n in names)
    limits.check_verify(n_in, out_numel, forward_flops(plan), order, loc)


def gradient_check(plan: Plan, output: str, env: dict[str, engine.Tensor], *, eps: float = 1e-6,
                   atol: float = 1e-5, rtol: float = 1e-3, order: int = 1, limits: Limits | None = None,
                   token: CancelToken | None = None, loc: Loc = ()) -> dict[str, Any]:
    """Check ``output``'s derivatives w.r.t. every leaf that requires grad; ``env``: the leaf tensors used.

    Returns ``{"verify": {leaf: {"max_abs_error", "max_rel_error", "passed"}}, "passed": bool}``.
    Errors are located at ``loc`` (the graph's own errors at their node).
    """
    limits = limits or Limits()
    names = checked_leaves(plan)
    if not names:
        raise AutogradMisuse(
            "gradcheck expects at least one input tensor to require gradient, but none of them have "
            "requires_grad=True.", loc
        )
    plan64 = float64_plan(plan)
    with engine_mode(token):
        leaves = _float64_leaves({n: env[n] for n in plan.leaves}, names)
        fn = GraphFunction(plan64, output, names, leaves)
        xs = tuple(leaves[n] for n in names)
        value = fn(*xs)  # the graph's own errors come out here, at their node
        check_cost(plan, output, names, order, limits, loc, value.numel())
        try:
            reports = [gradient_report(fn, xs, eps=eps, atol=atol, rtol=rtol, order=k) for k in range(1, order + 1)]
        except ServiceError:
            raise
        except Exception as exc:  # noqa: BLE001 - an engine error: a located 422 (or 503 past the deadline)
            raise engine_error(exc, loc, "gradient check") from None
    verify: dict[str, Any] = {}
    for i, name in enumerate(names):
        items = [r["inputs"][i] for r in reports]
        worst = {
            "max_abs_error": max(it["max_abs_error"] for it in items),
            "max_rel_error": max(it["max_rel_error"] for it in items),
            "passed": all(it["passed"] for it in items),
        }
        entry = _entry(worst)
        if order == 2:
            entry["first_order"] = _entry(items[0])
            entry["second_order"] = _entry(items[1])
        verify[name] = entry
    return {"verify": verify, "passed": all(e["passed"] for e in verify.values())}


# -- /v1/evaluate's "verify" -------------------------------------------------------------------

def evaluation_output(plan: Plan) -> str:
    """What ``"verify": true`` checks: the first backward step's output, else the last node."""
    if plan.backward:
        return plan.backward[0].output
    if plan.nodes:
        return plan.nodes[-1].id
    raise AutogradMisuse("verify needs a node to check: the request has no nodes and no backward step", ("verify",))


def check_evaluation_cost(plan: Plan, limits: Limits) -> None:
    """The budget of ``"verify"`` on /v1/evaluate, from the plan alone (for the planning step, before anything runs)."""
    request = plan.request
    if request is None or not request.verify:
        return
    names = checked_leaves(plan)
    if names:
        check_cost(plan, evaluation_output(plan), names, request.order, limits, ("verify",))


def verify_evaluation(plan: Plan, result: Result, limits: Limits | None = None,
                      token: CancelToken | None = None) -> dict[str, Any]:
    """``{"verify": ..., "passed": ...}`` for a finished evaluation, on the leaves it used."""
    request = plan.request
    order = request.order if request is not None else 1
    return gradient_check(plan, evaluation_output(plan), result.tensors, order=order, limits=limits, token=token,
                          loc=("verify",))


# -- POST /v1/gradcheck -----------------------------------------------------------------------

def prepare(doc: Any, limits: Limits) -> Job:
    """Validate, plan and budget a /v1/gradcheck request."""
    req: GradcheckRequest = validate_as(GradcheckRequest, doc)
    plan = plan_graph(req, limits, doc.get("nodes") if isinstance(doc, dict) else None)
    output_count(plan, req.output)
    names = checked_leaves(plan)
    if not names:
        raise AutogradMisuse(
            "gradcheck expects at least one input tensor to require gradient, but none of them have "
            "requires_grad=True.", ("tensors",)
        )
    check_cost(plan, req.output, names, req.order, limits, ("output",))

    def run(token: CancelToken | None) -> bytes:
        t0 = time.perf_counter()
        with engine_mode(token):
            env = make_leaves(plan)
        found = gradient_check(plan, req.output, env, eps=req.eps, atol=req.atol, rtol=req.rtol, order=req.order,
                               limits=limits, token=token, loc=("output",))
        body = {"device": plan.device, "output": req.output, **found, "order": req.order, "eps": req.eps,
                "atol": req.atol, "rtol": req.rtol, "timings_ms": {"total": round((time.perf_counter() - t0) * 1e3, 4)}}
        return dumps(body)

    return Job(run, len(plan.nodes), 0)
