"""``torch.autograd.functional`` over a request's graph: POST /v1/jacobian, /v1/hessian, /v1/vjp, /v1/jvp, /v1/hvp.

A request is the graph of ``/v1/evaluate`` (``tensors``, ``nodes``, ``device``, ``encoding``) plus
``output`` (a node: the function's value) and ``inputs`` (leaf tensors: its arguments). The
function handed to :mod:`engine.autograd.functional` takes new tensors for ``inputs``, runs the
planned nodes with them in place of those leaves (up to ``output``; later nodes are not run) and
returns ``output``'s tensor; every other leaf is made once and kept.

The pipeline is the one of ``/v1/evaluate``: validate and plan (names, shapes, limits — the cost
of the transform included — all before anything is computed), then run in the engine, then
encode. :class:`Job` is the planned request; ``Job.run`` computes and returns the response body.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ValidationError

import engine
from engine.autograd import functional as AF
from engine.autograd.node import TensorMeta
from engine.backend import to_numpy

from .devices import resolve_device
from .encode import array_b64, array_json, dumps
from .errors import (
    ArgumentError,
    AutogradMisuse,
    DeviceUnavailable,
    DTypeMismatch,
    LimitExceeded,
    Loc,
    NameError_,
    ServiceError,
    ShapeMismatch,
)
from .execute import CancelToken, engine_mode, make_leaves, run_nodes
from .limits import Limits
from .mapping import engine_error
from .plan import GradCall, Plan, build_plan
from .schemas import (
    EvaluateRequest,
    FunctionalRequest,
    GraphRequest,
    HessianRequest,
    HVPRequest,
    JacobianRequest,
    JVPRequest,
    VJPRequest,
)
from .tensors import decode, factory_shape, make_factory
from .validation import schema_error

REQUESTS: dict[str, type[FunctionalRequest]] = {
    "jacobian": JacobianRequest,
    "hessian": HessianRequest,
    "vjp": VJPRequest,
    "jvp": JVPRequest,
    "hvp": HVPRequest,
}
# Passes over the graph per unit of work, in forwards (a backward costs about two):
# a Jacobian row is a backward (with the forward amortised: 3); a Hessian row is a backward through
# the first derivative's graph (about twice the size: 6); vjp is one forward and backward; jvp and hvp
# use the double backward trick (a backward with create_graph, then a backward through that).
PASS_COST = {"jacobian": 3.0, "hessian": 6.0, "vjp": 3.0, "jvp": 6.0, "hvp": 9.0}


# -- shared with the gradient check (verify.py) -----------------------------------------------

def validate_as(model: type[BaseModel], doc: Any) -> Any:
    """Python objects → a typed request (422 naming the first offending field)."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise schema_error(exc) from None


def plan_graph(req: GraphRequest, limits: Limits, raw_nodes: Any = None) -> Plan:
    """Plan the graph part of a request with the planner of ``/v1/evaluate`` (no backward steps, no outputs)."""
    request = EvaluateRequest.model_construct(
        tensors=req.tensors, nodes=req.nodes, backward=[], outputs=[], device=req.device, encoding=req.encoding,
        verify=False, order=1, include=[],
    )
    if req.device == "cuda" and not engine.cuda.is_available():
        raise DeviceUnavailable("device 'cuda' is not available on this server (no usable GPU)", ("device",))
    plan = build_plan(request, limits, "cpu", raw_nodes)
    plan.device = resolve_device(req.device, plan, limits)  # as /v1/evaluate chooses: by the plan's size
    return plan


def forward_flops(plan: Plan) -> float:
    """The estimated work of one forward pass over the plan's nodes (``plan.flops`` counts backward too
    where the plan has backward steps or ``grad`` nodes)."""
    has_backward = bool(plan.backward) or any(isinstance(n.value, GradCall) for n in plan.nodes)
    return plan.flops / 3 if has_backward else plan.flops


def output_count(plan: Plan, name: str, loc: Loc = ("output",)) -> int:
    """How many nodes to run to have ``name`` (0 for a leaf); a 422 at ``loc`` for an unknown name."""
    if name in plan.leaves:
        return 0
    for i, node in enumerate(plan.nodes):
        if node.id == name:
            return i + 1
    raise NameError_(f"name '{name}' is not defined (a tensor or a node)", loc)


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


class GraphFunction:
    """The plan's nodes as a function of some of its leaves: ``f(*tensors for names) -> output``."""

    def __init__(self, plan: Plan, output: str, names: Sequence[str], env: dict[str, engine.Tensor]) -> None:
        self.plan = replace(plan, nodes=plan.nodes[: output_count(plan, output)])
        self.output = output
        self.names = tuple(names)
        self.env = env

    def __call__(self, *xs: engine.Tensor) -> engine.Tensor:
        env = dict(self.env)
        env.update(zip(self.names, xs, strict=True))
        return run_nodes(self.plan, env)[self.output]


def value_doc(t: engine.Tensor, encoding: str) -> dict[str, Any]:
    """A result tensor as the response writes it: data (as ``/v1/evaluate`` does), shape, dtype."""
    arr = to_numpy(t._data)
    return {
        "data": array_b64(arr) if encoding == "b64" else array_json(arr),
        "shape": list(t.shape),
        "dtype": t.dtype.name,
    }


# -- the transforms ---------------------------------------------------------------------------

@dataclass
class Job:
    """A planned request: ``run(token)`` computes it and returns the response body."""

    run: Callable[[CancelToken | None], bytes]
    nodes: int
    elements: int  # elements the response carries (for logs and metrics)


@dataclass
class _VSpec:
    """A decoded ``v`` entry: its array (None for a factory), dtype and shape, where it is in the request."""

    spec: Any
    array: Any
    dtype: str
    shape: tuple[int, ...]
    loc: Loc

    def tensor(self, device: str) -> engine.Tensor:
        if self.array is not None:
            return engine.tensor(self.array, dtype=engine.dtypes.BY_NAME[self.dtype], device=device)
        return make_factory(self.spec, self.dtype, device)


def _size(shape: Sequence[int]) -> str:
    return str(engine.Size(tuple(shape)))


class _Transform:
    def __init__(self, kind: str, req: FunctionalRequest, plan: Plan, limits: Limits) -> None:
        self.kind = kind
        self.req = req
        self.plan = plan
        self.limits = limits
        self.out_meta = self._check_output()
        self.in_metas = self._check_inputs()
        self.v = self._check_v()
        self.elements = 0
        self._check_cost(self.out_meta.shape if self.out_meta is not None else None)

    # -- planning-time checks ----------------------------------------------------------------
    def _check_output(self) -> TensorMeta | None:
        output_count(self.plan, self.req.output)
        meta = self.plan.metas.get(self.req.output)
        if self.kind in ("hessian", "hvp") and meta is not None and meta.numel() != 1:
            raise AutogradMisuse(
                f"The Tensor returned by the function given to {self.kind} should contain a single element", ("output",)
            )
        return meta

    def _check_inputs(self) -> list[TensorMeta]:
        metas = []
        seen: set[str] = set()
        for j, name in enumerate(self.req.inputs):
            loc: Loc = ("inputs", j)
            if name not in self.plan.leaves:
                if name in self.plan.metas:
                    raise NameError_(f"'{name}' is a node; inputs are leaf tensors (names in 'tensors')", loc)
                raise NameError_(f"name '{name}' is not defined (inputs are names in 'tensors')", loc)
            if name in seen:
                raise ArgumentError(f"input '{name}' is named twice", loc)
            seen.add(name)
            meta = self.plan.leaves[name].meta
            if not meta.dtype.is_floating_point:
                raise DTypeMismatch(
                    f"input '{name}' is {meta.dtype.name}: Only Tensors of floating point and complex dtype can "
                    "require gradients", loc
                )
            metas.append(meta)
        return metas

    def _decode_v(self, spec: Any, default_dtype: str, loc: Loc) -> _VSpec:
        dtype = spec.dtype or default_dtype
        array = decode(spec, dtype, loc)
        shape = tuple(array.shape) if array is not None else factory_shape(spec, loc)
        self.limits.check_tensor(shape, loc)
        return _VSpec(spec, array, dtype, shape, loc)

    def _check_v(self) -> Any:
        req = self.req
        if isinstance(req, VJPRequest):
            if req.v is None:
                if self.out_meta is not None and self.out_meta.numel() != 1:
                    raise AutogradMisuse(
                        "The vector v can only be None if the user-provided function returns a single Tensor with a "
                        "single element.", ("v",)
                    )
                return None
            dtype = self.out_meta.dtype.name if self.out_meta is not None else "float32"
            v = self._decode_v(req.v, dtype, ("v",))
            if self.out_meta is not None:
                self._check_v_shape(v, self.out_meta.shape, "")
            return v
        if isinstance(req, (JVPRequest, HVPRequest)):
            if req.v is None:
                if len(self.in_metas) != 1 or self.in_metas[0].numel() != 1:
                    raise AutogradMisuse(
                        "The vector v can only be None if the input to the user-provided function is a single Tensor "
                        "with a single element.", ("v",)
                    )
                return None
            for name in req.v:
                if name not in req.inputs:
                    raise NameError_(f"v has an entry for '{name}', which is not one of the inputs", ("v", name))
            vs = []
            many = len(req.inputs) > 1
            for j, (name, meta) in enumerate(zip(req.inputs, self.in_metas, strict=True)):
                if name not in req.v:
                    raise ArgumentError(f"v has no entry for input '{name}' (one tensor per input)", ("v",))
                v = self._decode_v(req.v[name], meta.dtype.name, ("v", name))
                self._check_v_shape(v, meta.shape, f"Entry {j} in " if many else "")
                vs.append(v)
            return vs
        return None

    @staticmethod
    def _check_v_shape(v: _VSpec, shape: Sequence[int], prepend: str) -> None:
        if tuple(v.shape) != tuple(shape):
            raise ShapeMismatch(
                f"{prepend}v has invalid size: should be {_size(shape)} but got {_size(v.shape)}.", v.loc
            )

    def _check_cost(self, out_shape: Sequence[int] | None) -> None:
        """The transform's work and result size, from the shapes (at run time again where a shape was unknown)."""
        if out_shape is None:
            return
        out_n = _numel(out_shape)
        in_n = sum(m.numel() for m in self.in_metas)
        per_pass = PASS_COST[self.kind] * max(forward_flops(self.plan), 1.0)
        passes = {"jacobian": out_n, "hessian": in_n}.get(self.kind, 1)
        self.limits.check_work(f"the {self.kind}", passes, per_pass)
        result = {"jacobian": out_n * in_n, "hessian": in_n * in_n}.get(self.kind, in_n + out_n)
        held = 2 * result + self.plan.held_elements
        if result > self.limits.max_response_elements:
            raise LimitExceeded(f"the {self.kind} has {result:.3g} elements; the limit (max_response_elements) is "
                                f"{self.limits.max_response_elements:.3g}", ())
        if held > self.limits.max_total_elements:
            raise LimitExceeded(f"the {self.kind} holds about {held:.3g} elements; the limit (max_total_elements) "
                                f"is {self.limits.max_total_elements:.3g}", ())
        self.elements = result + out_n

    # -- running ---------------------------------------------------------------------------
    def run(self, token: CancelToken | None) -> bytes:
        t0 = time.perf_counter()
        req, device = self.req, self.plan.device
        with engine_mode(token):
            env = make_leaves(self.plan)
            fn = GraphFunction(self.plan, req.output, req.inputs, env)
            xs = tuple(env[name] for name in req.inputs)
            value = fn(*xs)  # node errors come out here, located at their node
            if self.out_meta is None:  # a shape known only now (boolean masks)
                self._check_cost(value.shape)
                if self.kind in ("hessian", "hvp") and value.numel() != 1:
                    raise AutogradMisuse(
                        f"The Tensor returned by the function given to {self.kind} should contain a single element",
                        ("output",),
                    )
                if isinstance(self.v, _VSpec):
                    self._check_v_shape(self.v, value.shape, "")
            try:
                result = self._transform(fn, xs, device)
            except ServiceError:
                raise
            except Exception as exc:  # noqa: BLE001 - an engine error: a located 422 (or 503 past the deadline)
                raise engine_error(exc, ("output",), self.kind) from None
        enc = self.plan.encoding
        names = req.inputs
        body: dict[str, Any] = {"device": device, "output": value_doc(value, enc)}
        if self.kind == "jacobian":
            body["jacobian"] = {n: value_doc(b, enc) for n, b in zip(names, result, strict=True)}
        elif self.kind == "hessian":
            body["hessian"] = {
                a: {b: value_doc(block, enc) for b, block in zip(names, row, strict=True)}
                for a, row in zip(names, result, strict=True)
            }
        elif self.kind == "jvp":
            body["jvp"] = value_doc(result, enc)
        else:
            body[self.kind] = {n: value_doc(t, enc) for n, t in zip(names, result, strict=True)}
        body["timings_ms"] = {"total": round((time.perf_counter() - t0) * 1e3, 4)}
        return dumps(body)

    def _transform(self, fn: GraphFunction, xs: tuple[engine.Tensor, ...], device: str) -> Any:
        create_graph, strict = self.req.create_graph, self.req.strict
        if self.kind == "jacobian":
            return AF.jacobian(fn, xs, create_graph=create_graph, strict=strict)
        if self.kind == "hessian":
            return AF.hessian(fn, xs, create_graph=create_graph, strict=strict)
        if self.kind == "vjp":
            v = None if self.v is None else self.v.tensor(device)
            return AF.vjp(fn, xs, v, create_graph=create_graph, strict=strict)[1]
        vs = None if self.v is None else tuple(e.tensor(device) for e in self.v)
        if self.kind == "jvp":
            return AF.jvp(fn, xs, vs, create_graph=create_graph, strict=strict)[1]
        return AF.hvp(fn, xs, vs, create_graph=create_graph, strict=strict)[1]


def prepare(kind: str, doc: Any, limits: Limits) -> Job:
    """Validate, plan and budget one transform request (``kind``: jacobian, hessian, vjp, jvp, hvp)."""
    req = validate_as(REQUESTS[kind], doc)
    plan = plan_graph(req, limits, doc.get("nodes") if isinstance(doc, dict) else None)
    t = _Transform(kind, req, plan, limits)
    return Job(t.run, len(plan.nodes), t.elements)
