"""Request → graph plan: every name resolved, every op and argument checked against the
registry, and each node's shape, dtype and requires_grad inferred by the ops' own rules,
before any computation. Errors carry ``loc``, the path into the request.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

import engine
from engine.autograd.node import TensorMeta
from engine.ops.registry import REGISTRY, Op, check_shapes, estimate_flops, reword_for_call

from . import expr as E
from .errors import ArgumentError, ExpressionError, LimitExceeded, Loc, NameError_, ServiceError
from .limits import Limits
from .mapping import engine_error
from .schemas import NAME_PATTERN, BackwardStep, EvaluateRequest, ExprNode, FactoryTensor, GradientFactory, OpNode
from .tensors import decode, factory_shape

GRAD_OP = "grad"
# Planned node lists by (limits, leaf metas, nodes JSON): services see the same graphs again and
# again. Plans are never mutated after planning, so sharing them between requests is safe.
_NODE_PLANS: dict[Any, Any] = {}
_NODE_PLAN_CACHE_SIZE = 512
NAME_RE = re.compile(NAME_PATTERN)
RESERVED = {"torch", "F", "nn", "True", "False", "None", GRAD_OP}
CONVERSIONS = {
    "float": "float32", "double": "float64", "half": "float16", "int": "int32", "long": "int64", "bool": "bool",
}


# -- plan structures --------------------------------------------------------------------

@dataclass
class Ref:
    name: str


@dataclass
class Lit:
    value: Any


@dataclass
class ConstTensor:
    array: np.ndarray


@dataclass
class ListArg:
    items: list[Any]


@dataclass
class KeyArg:
    """An indexing key: a tuple of ints, slices, None, Ellipsis and tensor args."""

    items: list[Any]
    single: bool


@dataclass
class OpCall:
    op: Op
    args: list[Any]
    kwargs: dict[str, Any]
    meta: TensorMeta | None  # None where the shape depends on values (boolean masks)
    method: bool = False  # written as ``x.op(...)`` (errors count positions as PyTorch's methods do)


@dataclass
class GradCall:
    output: Any
    input: Any
    grad_outputs: Any
    create_graph: bool
    retain_graph: bool | None
    allow_unused: bool
    meta: TensorMeta


@dataclass
class Alias:
    ref: Ref
    meta: TensorMeta | None


@dataclass
class Leaf:
    name: str
    spec: Any
    array: np.ndarray | None  # None: a factory, made at run time
    meta: TensorMeta


@dataclass
class PlanNode:
    id: str
    value: OpCall | GradCall | Alias
    retain_grad: bool
    index: int


@dataclass
class BackwardPlan:
    output: str
    gradient: Any
    gradient_array: np.ndarray | None
    gradient_dtype: str
    retain_graph: bool | None
    create_graph: bool
    inputs: list[str] | None
    index: int


@dataclass
class Plan:
    leaves: dict[str, Leaf]
    nodes: list[PlanNode]
    backward: list[BackwardPlan]
    outputs: list[str]
    device: str
    encoding: str
    metas: dict[str, TensorMeta | None] = field(default_factory=dict)
    held_elements: int = 0  # elements the run holds, gradients counted
    flops: float = 0.0  # estimated work, forward and backward
    request: EvaluateRequest | None = None  # for the insight features (verify, include)
    limits: Limits | None = None  # what the plan was checked against (extra work is bounded by it too)


# -- building ----------------------------------------------------------------------------

_METHODS: dict[str, Op] = {}


def _methods() -> dict[str, Op]:
    if not _METHODS:
        for op in REGISTRY.values():
            if op.method and not op.name.startswith("_"):
                _METHODS[op.method] = op
    return _METHODS


def public_op(name: str) -> Op | None:
    """The registry op a request may name (private ops are not reachable)."""
    if name.startswith("_"):
        return None
    return REGISTRY.get(name)


def _meta_of(value: Any) -> Any:
    """What shape/dtype rules see for a resolved argument."""
    return value


class Planner:
    def __init__(self, request: EvaluateRequest, limits: Limits, device: str) -> None:
        self.req = request
        self.limits = limits
        self.device = device
        self.metas: dict[str, TensorMeta | None] = {}
        self.flops = 0.0
        self.held = 0  # elements of every tensor the forward pass makes (inline nodes included)
        self.inline_depth = 0

    # -- leaves ---------------------------------------------------------------------
    def leaves(self) -> dict[str, Leaf]:
        out: dict[str, Leaf] = {}
        for name, spec in self.req.tensors.items():
            loc: Loc = ("tensors", name)
            self._check_name(name, loc)
            dt = engine.dtypes.BY_NAME[spec.dtype]
            if spec.requires_grad and not dt.is_floating_point:
                raise engine_error(
                    engine.DTypeError("Only Tensors of floating point and complex dtype can require gradients"),
                    (*loc, "requires_grad"),
                )
            if isinstance(spec, FactoryTensor):
                shape = factory_shape(spec, loc)
                self.limits.check_tensor(shape, loc)
                array = None
            else:
                array = decode(spec, spec.dtype, loc)
                assert array is not None
                shape = array.shape
                self.limits.check_tensor(shape, loc)
            meta = TensorMeta.of(shape, dt, spec.requires_grad)
            self.held += meta.numel()
            out[name] = Leaf(name, spec, array, meta)
            self.metas[name] = meta
        return out

    def _check_name(self, name: str, loc: Loc) -> None:
        if not NAME_RE.match(name):
            raise NameError_(
                f"'{name[:64]}' is not a valid name (letters, digits and _, not starting with a digit)", loc
            )
        if name in RESERVED or public_op(name) is not None:
            raise NameError_(f"'{name}' is an op name or reserved word and cannot name a tensor", loc)

    # -- nodes ----------------------------------------------------------------------
    def nodes(self, raw: Any = None) -> list[PlanNode]:
        """Plan the nodes; a graph already planned for the same leaf metas is reused (``raw``: the JSON)."""
        key = None
        if raw is not None:
            leaf_metas = tuple(
                (n, m.shape, m.dtype.name, m.requires_grad) for n, m in self.metas.items() if m is not None
            )
            key = (self.limits, leaf_metas, orjson.dumps(raw))
            hit = _NODE_PLANS.get(key)
            if hit is not None:
                planned, metas, flops, held = hit
                self.metas.update(metas)
                self.flops += flops
                self.held += held
                return planned
        flops0, held0 = self.flops, self.held
        planned = self._plan_nodes()
        if key is not None:
            if len(_NODE_PLANS) >= _NODE_PLAN_CACHE_SIZE:
                _NODE_PLANS.pop(next(iter(_NODE_PLANS)))
            _NODE_PLANS[key] = (
                planned, {n.id: self.metas[n.id] for n in planned}, self.flops - flops0, self.held - held0
            )
        return planned

    def _plan_nodes(self) -> list[PlanNode]:
        planned: list[PlanNode] = []
        for i, node in enumerate(self.req.nodes):
            loc: Loc = ("nodes", i)
            self._check_name(node.id, (*loc, "id"))
            if node.id in self.metas:
                raise NameError_(f"name '{node.id}' is used twice (tensor and node ids are unique)", (*loc, "id"))
            value: OpCall | GradCall | Alias
            if isinstance(node, ExprNode):
                value = self._from_expr(node, loc)
            else:
                value = self._from_op_node(node, loc)
            self.metas[node.id] = value.meta
            planned.append(PlanNode(node.id, value, node.retain_grad, i))
        return planned

    def _from_op_node(self, node: OpNode, loc: Loc) -> OpCall | GradCall:
        label = f"node '{node.id}' ({node.op})"
        if node.op == GRAD_OP:
            return self._grad(node, loc, label)
        op = public_op(node.op)
        if op is None:
            raise NameError_(f"unknown op '{node.op}' (GET /v1/ops lists the ops)", (*loc, "op"))
        args = self._json_args(op, node.args, (*loc, "args"), label)
        kwargs = {k: self._json_kwarg(v, (*loc, "kwargs", k), label) for k, v in node.kwargs.items()}
        return self._call(op, args, kwargs, loc, label)

    def _json_args(self, op: Op, args: list[Any], loc: Loc, label: str) -> list[Any]:
        """Positional args: a tensor parameter takes tensors (a list of numbers is a constant tensor);
        any other parameter takes literals (a list of ints is a tuple, as for ``repeat`` or ``permute``)."""
        n_tensors = len(op.inputs)
        if op.list_input and args and not isinstance(args[0], list):
            n_tensors = len(args)  # einsum's operands come as separate args
        return [
            self._json_arg(a, (*loc, j), label) if j < n_tensors else self._json_kwarg(a, (*loc, j), label)
            for j, a in enumerate(args)
        ]

    def _grad(self, node: OpNode, loc: Loc, label: str) -> GradCall:
        if len(node.args) != 2:
            raise ArgumentError(f"{label}: grad takes 2 positional arguments (output, input), got {len(node.args)}",
                                (*loc, "args"))
        allowed = {"grad_outputs", "create_graph", "retain_graph", "allow_unused"}
        for k in node.kwargs:
            if k not in allowed:
                raise ArgumentError(f"{label}: grad() got an unexpected keyword argument '{k}'", (*loc, "kwargs", k))
        out = self._json_arg(node.args[0], (*loc, "args", 0), label)
        inp = self._json_arg(node.args[1], (*loc, "args", 1), label)
        in_meta = self._meta(inp)
        flags = {}
        for k in ("create_graph", "retain_graph", "allow_unused"):
            v = node.kwargs.get(k)
            if v is not None and not isinstance(v, bool):
                raise ArgumentError(f"{label}: {k} must be a boolean", (*loc, "kwargs", k))
            flags[k] = v
        go = node.kwargs.get("grad_outputs")
        grad_outputs = None if go is None else self._json_kwarg(go, (*loc, "kwargs", "grad_outputs"), label)
        create = bool(flags["create_graph"])
        meta = (
            TensorMeta.of(in_meta.shape, in_meta.dtype, create) if isinstance(in_meta, TensorMeta) else None
        )
        return GradCall(out, inp, grad_outputs, create, flags["retain_graph"], bool(flags["allow_unused"]),
                        meta)  # type: ignore[arg-type]

    def _json_arg(self, a: Any, loc: Loc, label: str) -> Any:
        if isinstance(a, str):
            return self._ref(a, loc)
        if isinstance(a, bool) or isinstance(a, (int, float)):
            if isinstance(a, float) and not math.isfinite(a):
                raise ArgumentError(f"{label}: non-finite scalar", loc)
            return Lit(a)
        if a is None:
            return Lit(None)
        if isinstance(a, dict):
            if set(a) == {"ref"} and isinstance(a["ref"], str):
                return self._ref(a["ref"], loc)
            if "op" in a:
                return self._inline(a, loc, label)
            raise ArgumentError(
                f"{label}: an object argument is an inline node {{\"op\": ...}} or {{\"ref\": name}}", loc
            )
        if isinstance(a, list):
            if a and all(isinstance(x, str) for x in a):
                return ListArg([self._ref(x, (*loc, j)) for j, x in enumerate(a)])
            if a and all(isinstance(x, dict) for x in a):
                return ListArg([self._json_arg(x, (*loc, j), label) for j, x in enumerate(a)])
            return self._const(a, loc)
        raise ArgumentError(f"{label}: unsupported argument", loc)

    def _json_kwarg(self, v: Any, loc: Loc, label: str) -> Any:
        if isinstance(v, dict):
            return self._json_arg(v, loc, label)
        if isinstance(v, list):
            if all(isinstance(x, int) and not isinstance(x, bool) for x in v):
                return Lit(tuple(v))
            if v and all(isinstance(x, str) for x in v):
                return ListArg([self._ref(x, (*loc, j)) for j, x in enumerate(v)])
            return self._const(v, loc)
        if isinstance(v, float) and not math.isfinite(v):
            raise ArgumentError(f"{label}: non-finite value", loc)
        return Lit(v)

    def _const(self, data: Any, loc: Loc) -> ConstTensor:
        from .tensors import array_from_data

        raw = array_from_data(data, "float64", loc) if _has_float(data) else None
        if raw is None:
            arr = np.asarray(data)
            if arr.dtype.kind == "b":
                raw = arr
            else:
                raw = array_from_data(data, "int64", loc)
        else:
            raw = raw.astype(engine.get_default_dtype().np)
        self.limits.check_tensor(raw.shape, loc)
        return ConstTensor(raw)

    def _inline(self, a: dict[str, Any], loc: Loc, label: str) -> OpCall:
        from .schemas import InlineNode

        self.inline_depth += 1
        try:
            if self.inline_depth > self.limits.max_inline_depth:
                raise LimitExceeded(
                    f"inline nodes nest deeper than {self.limits.max_inline_depth} (limit max_inline_depth)", loc
                )
            return self._inline_node(a, loc, label, InlineNode)
        finally:
            self.inline_depth -= 1

    def _inline_node(self, a: dict[str, Any], loc: Loc, label: str, InlineNode: Any) -> OpCall:  # noqa: N803

        try:
            node = InlineNode.model_validate(a)
        except Exception as exc:  # noqa: BLE001 - pydantic.ValidationError or any other: a bad inline node is a 422
            from .validation import schema_error

            raise schema_error(exc, loc) from None
        op = public_op(node.op)
        if op is None:
            raise NameError_(f"unknown op '{node.op}' (GET /v1/ops lists the ops)", (*loc, "op"))
        inner = f"{label[:-1]} → {node.op})" if label.endswith(")") else label
        args = self._json_args(op, node.args, (*loc, "args"), inner)
        kwargs = {k: self._json_kwarg(v, (*loc, "kwargs", k), inner) for k, v in node.kwargs.items()}
        return self._call(op, args, kwargs, loc, inner)

    def _ref(self, name: str, loc: Loc) -> Ref:
        if name not in self.metas:
            raise NameError_(f"name '{name}' is not defined (a tensor or an earlier node)", loc)
        return Ref(name)

    def _meta(self, arg: Any) -> Any:
        if isinstance(arg, Ref):
            return self.metas[arg.name]
        if isinstance(arg, Lit):
            return arg.value
        if isinstance(arg, ConstTensor):
            dt = engine.dtypes.from_numpy_dtype(arg.array.dtype)
            return TensorMeta.of(arg.array.shape, dt, False)
        if isinstance(arg, ListArg):
            return [self._meta(x) for x in arg.items]
        if isinstance(arg, (OpCall, GradCall, Alias)):
            return arg.meta
        if isinstance(arg, KeyArg):
            return None
        return arg

    def _call(self, op: Op, args: list[Any], kwargs: dict[str, Any], loc: Loc, label: str,
              method: bool = False) -> OpCall:
        metas = [self._meta(a) for a in args]
        kmetas = {k: self._meta(v) for k, v in kwargs.items()}
        if any(m is None and not isinstance(a, Lit) for m, a in zip(metas, args, strict=True)):
            return OpCall(op, args, kwargs, None, method)  # a value-dependent shape upstream
        try:
            ins, params = op.bind(metas, dict(kmetas))
            if op.list_input and not isinstance(ins[0], (list, tuple)):
                raise engine.ArgumentError(f"{op.name}(): argument 'tensors' must be a list of tensors")
            if any(isinstance(x, (list, tuple)) and not op.list_input for x in ins):
                raise engine.ArgumentError(
                    f"{op.name}(): a list is not a tensor (use a nested list of numbers for a constant)"
                )
            if not any(isinstance(x, TensorMeta) for x in (ins[0] if op.list_input else ins)):
                raise engine.ArgumentError(f"{op.name}(): expected at least one argument to be a Tensor")
            shape = check_shapes(op, ins, params)
            _, dt = op.dtype(*ins, **params)
        except ServiceError:
            raise
        except engine.EngineError as exc:
            if isinstance(exc, engine.ArgumentError):
                reword_for_call(exc, op, metas, kmetas, method)
            raise engine_error(exc, loc, label) from None
        except Exception:  # noqa: BLE001 - a rule that cannot judge from metas alone
            return OpCall(op, args, kwargs, None, method)
        flat = (*ins[0], *ins[1:]) if op.list_input else ins
        requires = op.differentiable and any(isinstance(x, TensorMeta) and x.requires_grad for x in flat)
        meta = TensorMeta.of(tuple(shape), dt, requires)
        self.limits.check_node(meta.shape, loc, label)
        flops = estimate_flops(op, ins, params, meta.shape)
        self.limits.check_node_flops(flops, loc, label)
        self.flops += flops
        self.held += meta.numel()
        return OpCall(op, args, kwargs, meta, method)

    # -- expressions ------------------------------------------------------------------
    def _from_expr(self, node: ExprNode, loc: Loc) -> OpCall | Alias:
        eloc = (*loc, "expr")
        label = f"node '{node.id}'"
        try:
            tree = E.parse(node.expr, max_length=self.limits.max_expr_length,
                           max_tokens=self.limits.max_expr_tokens, max_depth=self.limits.max_expr_depth)
        except ServiceError as exc:
            exc.detail = f"{label}: {exc.detail}"
            exc.loc = eloc
            raise
        value = _ExprLowering(self, eloc, label).lower(tree)
        if isinstance(value, Ref):
            return Alias(value, self.metas[value.name])
        if not isinstance(value, OpCall):
            raise ExpressionError(f"{label}: the expression must produce a tensor, not a constant", eloc)
        return value

    # -- backward ---------------------------------------------------------------------
    def backward(self) -> list[BackwardPlan]:
        steps = []
        for i, step in enumerate(self.req.backward):
            steps.append(self._backward_step(step, i))
        return steps

    def _backward_step(self, step: BackwardStep, i: int) -> BackwardPlan:
        loc: Loc = ("backward", i)
        if step.output not in self.metas:
            raise NameError_(f"name '{step.output}' is not defined", (*loc, "output"))
        out_meta = self.metas[step.output]
        for j, name in enumerate(step.inputs or []):
            if name not in self.metas:
                raise NameError_(f"name '{name}' is not defined", (*loc, "inputs", j))
        array = None
        dtype_name = out_meta.dtype.name if out_meta is not None else "float32"
        if step.gradient is not None:
            dtype_name = step.gradient.dtype or dtype_name
            array = decode(step.gradient, dtype_name, (*loc, "gradient"))
            if array is not None:
                shape = array.shape
            else:
                # decode() returns None only for a factory gradient
                assert isinstance(step.gradient, GradientFactory)
                shape = factory_shape(step.gradient, (*loc, "gradient"))
            self.limits.check_tensor(shape, (*loc, "gradient"))
            if out_meta is not None and tuple(shape) != tuple(out_meta.shape):
                raise engine_error(
                    engine.ShapeError(
                        f"Mismatch in shape: grad_output[0] has a shape of torch.Size({list(shape)}) and "
                        f"output[0] has a shape of torch.Size({list(out_meta.shape)})."
                    ),
                    (*loc, "gradient"),
                )
        return BackwardPlan(step.output, step.gradient, array, dtype_name, step.retain_graph,
                            step.create_graph, step.inputs, i)


def _has_float(data: Any) -> bool:
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, float) or isinstance(x, str):
            return True
    return False


class _ExprLowering:
    """Expression tree → plan args, as Python's operators on tensors would dispatch."""

    def __init__(self, planner: Planner, loc: Loc, label: str) -> None:
        self.p = planner
        self.loc = loc
        self.label = label

    def err(self, msg: str, col: int) -> ExpressionError:
        return ExpressionError(f"{self.label}: {msg} (column {col})", self.loc, column=col)

    def lower(self, e: E.Expr) -> Any:
        method = getattr(self, "_" + type(e).__name__.lower())
        return method(e)

    def _num(self, e: E.Num) -> Lit:
        return Lit(e.value)

    def _str(self, e: E.Str) -> Lit:
        raise self.err("a string is only allowed as a keyword value or einsum's equation", e.col)

    def _name(self, e: E.Name) -> Ref:
        if e.id in self.p.metas:
            return Ref(e.id)
        if public_op(e.id) is not None:
            raise self.err(f"'{e.id}' is an op; call it, e.g. {e.id}(x)", e.col)
        raise self.err(f"name '{e.id}' is not defined", e.col)

    def _dotted(self, e: E.Dotted) -> Any:
        raise self.err(f"'{'.'.join(e.parts)}' must be called", e.col)

    def _ellipsisLit(self, e: E.EllipsisLit) -> Any:  # noqa: N802
        raise self.err("'...' is only allowed inside [ ]", e.col)

    _ellipsislit = _ellipsisLit

    def _slice(self, e: E.Slice) -> Any:
        raise self.err("a slice is only allowed inside [ ]", e.col)

    def _listlit(self, e: E.ListLit) -> Any:
        items = [self.lower(x) for x in e.items]
        if all(isinstance(x, Lit) and isinstance(x.value, (int, float, bool)) for x in items):
            return self.p._const([x.value for x in items], self.loc)
        return ListArg(items)

    def _tuplelit(self, e: E.TupleLit) -> Any:
        items = [self.lower(x) for x in e.items]
        if all(isinstance(x, Lit) for x in items):
            return Lit(tuple(x.value for x in items))
        return ListArg(items)

    def _is_tensor(self, a: Any) -> bool:
        return not isinstance(a, Lit)

    def _unary(self, e: E.Unary) -> Any:
        v = self.lower(e.operand)
        if isinstance(v, Lit):
            if not isinstance(v.value, (int, float)) or v.value is None:
                raise self.err(f"bad operand for unary {e.op}", e.col)
            return Lit(-v.value if e.op == "-" else +v.value)
        if e.op == "+":
            return v
        return self.call("neg", [v], {}, e.col)

    def _binop(self, e: E.BinOp) -> Any:
        left, right = self.lower(e.left), self.lower(e.right)
        op = e.op
        lt, rt = self._is_tensor(left), self._is_tensor(right)
        if not lt and not rt:
            return Lit(self.fold(op, left.value, right.value, e.col))
        if op == "@":
            if not (lt and rt):
                raise self.err("'@' needs tensors on both sides", e.col)
            return self.call("matmul", [left, right], {}, e.col)
        names = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "//": "floor_divide",
                 "%": "remainder", "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
        if lt:
            return self.call(names[op], [left, right], {}, e.col)
        # a scalar on the left: Python calls the tensor's reflected operator
        if op in ("+", "*"):
            return self.call(names[op], [right, left], {}, e.col)
        if op == "-":
            return self.call("rsub", [right, left], {}, e.col)
        if op == "/":
            return self.call("mul", [self.call("reciprocal", [right], {}, e.col), left], {}, e.col)
        if op in ("**", "//", "%"):
            return self.call(names[op], [left, right], {}, e.col)
        flipped = {"==": "eq", "!=": "ne", "<": "gt", "<=": "ge", ">": "lt", ">=": "le"}
        return self.call(flipped[op], [right, left], {}, e.col)

    def fold(self, op: str, a: Any, b: Any, col: int) -> Any:
        """Arithmetic on two Python numbers, bounded (no 9**9**9**9)."""
        if not all(isinstance(x, (int, float)) and x is not None for x in (a, b)):
            raise self.err(f"unsupported operands for '{op}'", col)
        try:
            if op == "**":
                if isinstance(a, int) and isinstance(b, int) and b >= 0:
                    if a not in (0, 1, -1) and b * math.log2(abs(a)) > 62:
                        raise OverflowError
                    return a**b
                r = math.pow(a, b)
                return r
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                r = a * b
                if isinstance(r, int) and abs(r) > 2**63:
                    raise OverflowError
                return r
            if op == "/":
                return a / b
            if op == "//":
                return a // b
            if op == "%":
                return a % b
            return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        except ZeroDivisionError:
            raise self.err("division by zero", col) from None
        except (OverflowError, ValueError):
            raise self.err("number out of range", col) from None

    def _attr(self, e: E.Attr) -> Any:
        v = self.lower(e.value)
        if not self._is_tensor(v):
            raise self.err(f"attribute '{e.name}' of a number", e.col)
        if e.name == "T":
            meta = self.p._meta(v)
            if not isinstance(meta, TensorMeta):
                raise self.err("'.T' needs a tensor of known rank", e.col)
            return self.call("permute", [v, Lit(tuple(range(meta.ndim - 1, -1, -1)))], {}, e.col)
        if e.name == "mT":
            return self.call("transpose", [v, Lit(-2), Lit(-1)], {}, e.col)
        raise self.err(f"attribute '{e.name}' is not supported (only .T and .mT, and method calls)", e.col)

    def _call(self, e: E.Call) -> Any:
        kwargs = {k: self.kwarg(v) for k, v in e.kwargs}
        f = e.func
        if isinstance(f, E.Attr):  # a method call
            target = self.lower(f.value)
            if not self._is_tensor(target):
                raise self.err(f"'{f.name}' called on a number", f.col)
            if f.name in CONVERSIONS:
                if e.args or e.kwargs:
                    raise self.err(f".{f.name}() takes no arguments", f.col)
                return self.call("_to_copy", [target], {"dtype": Lit(engine.dtypes.BY_NAME[CONVERSIONS[f.name]])},
                                 f.col, private=True)
            op = _methods().get(f.name)
            if op is None:
                raise self.err(f"tensor method '{f.name}' is not supported", f.col)
            args = [self.arg(a, op) for a in e.args]
            n_after = len(op.inputs) - 1
            if op.varargs and op.varargs not in kwargs:
                rest = args[n_after:]
                if len(rest) > 1 or (len(rest) == 1 and isinstance(rest[0], Lit) and isinstance(rest[0].value, int)
                                     and not isinstance(rest[0].value, bool)):
                    if all(isinstance(x, Lit) and isinstance(x.value, int) for x in rest):
                        args = [*args[:n_after], Lit(tuple(x.value for x in rest))]
            return self.call(op.name, [target, *args], kwargs, f.col, method=True)
        if isinstance(f, E.Dotted):
            parts = f.parts
            prefixes = {("torch",), ("F",), ("torch", "nn", "functional"), ("nn", "functional")}
            if parts[:-1] not in prefixes:
                raise self.err(f"'{'.'.join(parts)}' is not an op", f.col)
            name = parts[-1]
        else:
            assert isinstance(f, E.Name)
            name = f.id
            if name in self.p.metas:
                raise self.err(f"'{name}' is a tensor, not a function", f.col)
        op = public_op(name)
        if op is None:
            raise self.err(f"unknown op '{name}'", f.col)
        if name == "einsum" and e.args and isinstance(e.args[0], E.Str):
            args = [Lit(e.args[0].value), *[self.arg(a, op) for a in e.args[1:]]]
        else:
            args = [self.arg(a, op) for a in e.args]
        return self.call(name, args, kwargs, f.col)

    def arg(self, a: E.Expr, op: Op) -> Any:
        if isinstance(a, E.Str):
            raise self.err(f"a string is not a valid positional argument of {op.name}", a.col)
        return self.lower(a)

    def kwarg(self, v: E.Expr) -> Any:
        if isinstance(v, E.Str):
            return Lit(v.value)
        return self.lower(v)

    def _index(self, e: E.Index) -> Any:
        target = self.lower(e.value)
        if not self._is_tensor(target):
            raise self.err("indexing a number", e.col)
        items: list[Any] = []
        for it in e.items:
            if isinstance(it, E.EllipsisLit):
                items.append(Lit(Ellipsis))
            elif isinstance(it, E.Slice):
                parts: list[int | None] = []
                for part in (it.lower, it.upper, it.step):
                    if part is None:
                        parts.append(None)
                        continue
                    v = self.lower(part)
                    if not (isinstance(v, Lit) and (
                            v.value is None or (isinstance(v.value, int) and not isinstance(v.value, bool)))):
                        raise self.err("slice bounds must be integers", it.col)
                    parts.append(v.value)
                items.append(Lit(slice(*parts)))
            else:
                v = self.lower(it)
                if isinstance(v, Lit) and not (v.value is None or isinstance(v.value, (int, bool))):
                    raise self.err("an index must be an integer, a slice, None, ... or a tensor", it.col)
                items.append(v)
        key = KeyArg(items, single=len(e.items) == 1)
        if all(isinstance(x, Lit) for x in items):
            vals = tuple(x.value for x in items)
            return self.call("index", [target, Lit(vals[0] if key.single else vals)], {}, e.col, private=True)
        return self.call("index", [target, key], {}, e.col, private=True)

    def call(self, name: str, args: list[Any], kwargs: dict[str, Any], col: int, private: bool = False,
             method: bool = False) -> OpCall:
        op = REGISTRY.get(name) if private else public_op(name)
        if op is None:
            raise self.err(f"op '{name}' is not available", col)
        label = f"{self.label} ({name}, column {col})"
        try:
            return self.p._call(op, args, kwargs, self.loc, label, method)
        except ServiceError as exc:
            exc.extra.setdefault("column", col)
            raise


def build_plan(request: EvaluateRequest, limits: Limits, device: str, raw_nodes: Any = None) -> Plan:
    """Validate a request into a plan (no computation, no large allocation).

    ``raw_nodes`` (the request's ``nodes`` as parsed JSON) lets a graph seen before skip re-planning.
    """
    p = Planner(request, limits, device)
    leaves = p.leaves()
    nodes = p.nodes(raw_nodes)
    backward = p.backward()
    if request.outputs is not None:
        for j, name in enumerate(request.outputs):
            if name not in p.metas:
                raise NameError_(f"name '{name}' is not defined", ("outputs", j))
        outputs = list(dict.fromkeys(request.outputs))
    else:
        outputs = list(p.metas)
    # a backward pass costs about twice its forward and holds a gradient per tensor
    held = 2 * p.held
    flops = 3 * p.flops if backward or any(isinstance(n.value, GradCall) for n in nodes) else p.flops
    limits.check_plan(held, flops, p.metas, outputs, len(nodes), len(backward))
    return Plan(leaves, nodes, backward, outputs, device, request.encoding, p.metas, held, flops, request, limits)
