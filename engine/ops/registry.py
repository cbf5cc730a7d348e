"""The op registry: one entry per op holds everything known about it.

An entry has the op's name and parameters (PyTorch's), its forward on the array
module ``xp``, its shape rule and dtype rule (so a plan can be checked before any
array exists), its vector-Jacobian products written with engine ops (so they are
differentiable again), its ``grad_fn`` name(s), where PyTorch exposes it (``torch.X``,
``torch.nn.functional.X``, ``Tensor.X``), sample domains for tests and a one-line doc.
Everything else (public functions, Tensor methods, ``/v1/ops``) is derived from here.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..autograd.grad_mode import STATE
from ..autograd.node import Node, TensorMeta
from ..dtypes import dtype as DType
from ..errors import ArgumentError, DeviceError, EngineError, ShapeError

if TYPE_CHECKING:
    from ..tensor import Tensor

Shape = tuple[int, ...]
# A derivative rule: (g, out, *inputs, **params) -> gradient for one input (or None).
Rule = Callable[..., Any]
_EMPTY = inspect.Parameter.empty


class DeadlineExceeded(EngineError, TimeoutError):
    """The computation ran past the deadline set for this thread."""


@dataclass(frozen=True)
class Param:
    """One parameter of an op, as the catalogue lists it."""

    name: str
    default: Any = _EMPTY
    tensor: bool = False
    kind: str = "positional"  # "positional" or "keyword" (keyword-only)

    @property
    def required(self) -> bool:
        return self.default is _EMPTY


@dataclass(eq=False)
class Op:
    """A registry entry. See the module docstring; fields are documented inline."""

    name: str
    forward: Callable[..., Any]  # forward(xp, *inputs, **params) -> array
    shape: Callable[..., Shape]  # shape(*input_shapes, **params); a scalar input's shape is ()
    dtype: Callable[..., tuple[DType | None, DType]]  # (*inputs, **params) -> (compute, out)
    vjp: tuple[Rule | None, ...] | None  # one rule per tensor input; None: no gradient
    grad_fn: str | Callable[..., str]  # PyTorch's node name, or a function of (*inputs, **params)
    doc: str
    inputs: tuple[str, ...] = ("input",)  # the tensor parameters, leading the signature
    saves: str = "inputs"  # what the derivative reads: "inputs", "output", "both" or "none"
    scalars: bool = False  # whether inputs may be Python numbers (binary arithmetic)
    list_input: bool = False  # the first input is a list of tensors (cat, stack)
    varargs: str | None = None  # Tensor method packs trailing ints into this param (x.reshape(2, 3))
    method: str | None = None  # Tensor method name, where PyTorch has one
    namespace: str = "torch"  # "torch", "functional" (torch.nn.functional) or "tensor" (method only)
    domain: str = "real"  # sample inputs for tests: real, positive, unit, nonzero, ...
    flops: Callable[..., float] | None = None  # cost estimate from shapes; default: output size
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        sig = list(inspect.signature(self.forward).parameters.values())[1:]  # skip xp
        params = []
        for i, p in enumerate(sig):
            kind = "keyword" if p.kind is inspect.Parameter.KEYWORD_ONLY else "positional"
            params.append(Param(p.name, p.default, i < len(self.inputs), kind))
        names = [p.name for p in params[: len(self.inputs)]]
        assert tuple(names) == self.inputs, f"{self.name}: forward's leading params must be {self.inputs}"
        self.params = tuple(params)
        self._n_in = len(self.inputs)
        self._positional = tuple(p.name for p in params if p.kind == "positional")[self._n_in :]
        self._defaults = {p.name: p.default for p in params[self._n_in :] if not p.required}
        self._required = tuple(p.name for p in params[self._n_in :] if p.required)
        self._input_defaults = tuple(p.default for p in params[: self._n_in])
        self._allowed = frozenset(p.name for p in params)

    @property
    def differentiable(self) -> bool:
        return self.vjp is not None

    def signature(self) -> str:
        """The op's Python signature as PyTorch writes it, e.g. ``sum(input, dim=None, keepdim=False)``."""
        parts: list[str] = []
        star = False
        for p in self.params:
            if p.kind == "keyword" and not star:
                parts.append("*")
                star = True
            parts.append(p.name if p.required else f"{p.name}={p.default!r}")
        return f"{self.name}({', '.join(parts)})"

    def grad_fn_name(self, ins: Sequence[Any], params: dict[str, Any]) -> str:
        g = self.grad_fn
        return g if isinstance(g, str) else g(*ins, **params)

    # -- binding ------------------------------------------------------------------
    def bind(self, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Split a PyTorch-style call into tensor inputs and the other params (defaults filled)."""
        n = self._n_in
        if len(args) >= n and not kwargs.keys() & set(self.inputs):
            ins = tuple(args[:n])
            extra = args[n:]
        else:
            got = list(args[:n])
            for name, default in zip(self.inputs[len(got) :], self._input_defaults[len(got) :]):
                if name in kwargs:
                    got.append(kwargs.pop(name))
                elif default is not _EMPTY:
                    got.append(default)
                else:
                    raise ArgumentError(f"{self.name}() missing required argument '{name}'")
            ins = tuple(got)
            extra = args[n:] if len(args) > n else ()
        if len(extra) > len(self._positional):
            raise ArgumentError(
                f"{self.name}() takes {n + len(self._positional)} positional arguments but "
                f"{n + len(extra)} were given"
            )
        params = dict(self._defaults)
        for name, value in zip(self._positional, extra):
            params[name] = value
        for name, value in kwargs.items():
            if name not in self._allowed:
                raise ArgumentError(f"{self.name}() got an unexpected keyword argument '{name}'")
            if name in self.inputs[: len(args)] or (name in params and name in self._positional[: len(extra)]):
                raise ArgumentError(f"{self.name}() got multiple values for argument '{name}'")
            params[name] = value
        for name in self._required:
            if name not in params:
                raise ArgumentError(f"{self.name}() missing required argument '{name}'")
        return ins, params


REGISTRY: dict[str, Op] = {}


def register(op: Op) -> Op:
    """Add an op to the registry (names are unique)."""
    assert op.name not in REGISTRY, f"op {op.name} registered twice"
    REGISTRY[op.name] = op
    for alias in op.aliases:
        REGISTRY.setdefault(alias, op)
    return op


def defop(**fields: Any) -> Op:
    """Build and register an ``Op`` from keyword fields (the usual way to declare one)."""
    return register(Op(**fields))


# -- execution -------------------------------------------------------------------

_Tensor: Any = None  # set by engine.tensor to avoid an import cycle on the hot path


def _shape_of(x: Any) -> Shape:
    return x.shape if isinstance(x, (_Tensor, TensorMeta)) else ()


def check_shapes(op: Op, ins: Sequence[Any], params: dict[str, Any]) -> Shape:
    """Run the op's shape rule on the inputs' shapes (raises PyTorch's error)."""
    shapes = tuple(
        tuple(_shape_of(t) for t in x) if op.list_input and i == 0 else (None if x is None else _shape_of(x))
        for i, x in enumerate(ins)
    )
    return op.shape(*shapes, **params)


def apply(op: Op, ins: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """Run an op on bound inputs; record a graph node when a gradient can flow."""
    Tensor = _Tensor
    state = STATE
    if state.deadline is not None and time.monotonic() > state.deadline:
        raise DeadlineExceeded("the computation ran past its time limit")
    flat = (*ins[0], *ins[1:]) if op.list_input else ins
    first = None
    requires = False
    for t in flat:
        if isinstance(t, Tensor):
            if first is None:
                first = t
            elif type(t._data) is not type(first._data):
                raise DeviceError(
                    "Expected all tensors to be on the same device, but found at least two devices, "
                    f"{first.device} and {t.device}!"
                )
            requires = requires or t._rg
        elif t is not None and not op.scalars and not (op.list_input and t is ins[0]):
            if not isinstance(t, (list, tuple)):
                raise ArgumentError(
                    f"{op.name}(): argument '{op.inputs[min(flat.index(t), len(op.inputs) - 1)]}' "
                    f"must be Tensor, not {type(t).__name__}"
                )
    if first is None:
        raise ArgumentError(f"{op.name}(): expected at least one argument to be a Tensor")
    compute, out_dtype = op.dtype(*ins, **params)
    xp = backend.module_of(first._data)

    def arr(x: Any) -> Any:
        if isinstance(x, Tensor):
            return x._data if compute is None or x._dtype is compute else x._data.astype(compute.np)
        return x

    arrays = [arr(x) for x in ins[0]] if op.list_input else None
    args = (arrays, *map(arr, ins[1:])) if arrays is not None else tuple(map(arr, ins))
    try:
        out = op.forward(xp, *args, **params)
    except EngineError:
        raise
    except (ValueError, IndexError, TypeError) as exc:
        # NumPy refused: the shape rule words the error as PyTorch does.
        check_shapes(op, ins, params)
        raise ShapeError(f"{op.name}(): {exc}") from None
    if type(out) is not np.ndarray:
        out = xp.asarray(out)
    if out.dtype != out_dtype.np:
        out = out.astype(out_dtype.np)
    if not (requires and state.grad_enabled and op.vjp is not None):
        return Tensor._wrap(out, out_dtype, None)
    saves = op.saves
    saved = ins if saves in ("inputs", "both") else _metas(ins, op.list_input)
    edges = tuple((t.grad_fn or (t if t._rg else None)) if isinstance(t, Tensor) else None for t in flat)
    in_meta = tuple((t.shape, t._dtype) if isinstance(t, Tensor) else None for t in flat)
    node = Node(
        op, op.grad_fn_name(ins, params), saved, params, edges, in_meta,
        out if saves in ("output", "both") else None, (out.shape, out_dtype),
    )
    return Tensor._wrap(out, out_dtype, node)


def _metas(ins: tuple[Any, ...], list_input: bool) -> tuple[Any, ...]:
    Tensor = _Tensor

    def meta(x: Any) -> Any:
        return TensorMeta(x) if isinstance(x, Tensor) else x

    if list_input:
        return (tuple(map(meta, ins[0])), *map(meta, ins[1:]))
    return tuple(map(meta, ins))


def call(op: Op, args: Sequence[Any], kwargs: dict[str, Any]) -> Tensor:
    """``torch.<op>(*args, **kwargs)``: bind, then apply."""
    ins, params = op.bind(args, kwargs)
    return apply(op, ins, params)
