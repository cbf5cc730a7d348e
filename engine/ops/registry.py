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

from .. import backend, dtypes
from ..autograd.grad_mode import ERRSTATE, QUIET, STATE, quiet_enter, quiet_exit
from ..autograd.node import Node, TensorMeta
from ..dtypes import dtype as DType
from ..errors import ArgumentError, AutogradError, DeviceError, EngineError, ShapeError
from ._helpers import compare, promote, promote_float

# NumPy's error-state variable, its methods bound once (None on NumPy 1.x: quiet_enter instead)
_errstate_get: Any = ERRSTATE.get if ERRSTATE is not None else None
_errstate_set: Any = ERRSTATE.set if ERRSTATE is not None else None
_errstate_reset: Any = ERRSTATE.reset if ERRSTATE is not None else None

if TYPE_CHECKING:
    from ..tensor import Tensor

Shape = tuple[int, ...]
# A derivative rule: (g, out, *inputs, **params) -> gradient for one input (or None).
Rule = Callable[..., Any]
_EMPTY = inspect.Parameter.empty


class DeadlineExceeded(EngineError, TimeoutError):  # noqa: N818 - public name
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
    # also torch.nn.functional.<name> (for a "torch" op): True for the same function, or a
    # function (torch_fn) -> F's function, where F's signature differs (F.softmax's dim=None)
    also_functional: bool | Callable[..., Any] = False
    # identity(*inputs, **params) -> True when PyTorch returns the input itself (flatten of a 1-d tensor)
    identity: Callable[..., bool] | None = None
    # whether the Tensor method packs a lone int too (x.flip(0) -> dims=(0,)); False keeps it (x.squeeze(0))
    pack_single: bool = True
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
        self._input_set = frozenset(self.inputs)
        self._plain = not self.list_input and self.identity is None  # apply's short path applies
        # a call with just its tensor inputs (``x * y``) skips ``bind``: the defaults, shared, so
        # never to be changed (apply only reads params)
        self._fast_params = None if self._required else dict(self._defaults)
        # the promotion rules depend only on dtypes, 0-d-ness and scalar types: memoised per op
        self._dtype_memo: dict[tuple[Any, ...], Any] | None = (
            {} if self.dtype in _DTYPE_ONLY_RULES and not self.list_input else None
        )

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
        if not kwargs and n <= len(args) <= n + len(self._positional):  # positional only: the quick way
            params = dict(self._defaults)
            for name, value in zip(self._positional, args[n:], strict=False):
                params[name] = value
            for name in self._required:
                if name not in params:
                    raise ArgumentError(f"{self.name}() missing required argument '{name}'")
            return tuple(args[:n]), params
        if len(args) >= n and not kwargs.keys() & self._input_set:
            ins = tuple(args[:n])
            extra = args[n:]
        else:
            got = list(args[:n])
            for name, default in zip(self.inputs[len(got) :], self._input_defaults[len(got) :], strict=True):
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
        for name, value in zip(self._positional, extra, strict=False):
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
_DTYPE_ONLY_RULES = frozenset((promote, promote_float, compare))


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
_wrap: Any = None  # Tensor._wrap, likewise


def _shape_of(x: Any) -> Shape:
    return x.shape if isinstance(x, (_Tensor, TensorMeta)) else ()


def input_shapes(op: Op, ins: Sequence[Any]) -> tuple[Any, ...]:
    """What shape rules and FLOP estimates receive: each input's shape (() for a scalar, None for None)."""
    return tuple(
        tuple(_shape_of(t) for t in x) if op.list_input and i == 0 else (None if x is None else _shape_of(x))
        for i, x in enumerate(ins)
    )


def check_shapes(op: Op, ins: Sequence[Any], params: dict[str, Any]) -> Shape:
    """Run the op's shape rule on the inputs' shapes (raises PyTorch's error)."""
    return op.shape(*input_shapes(op, ins), **params)


def estimate_flops(op: Op, ins: Sequence[Any], params: dict[str, Any], out_shape: Shape) -> float:
    """The op's own FLOP estimate from shapes, or one per output element."""
    if op.flops is not None:
        return float(op.flops(*input_shapes(op, ins), **params))
    n = 1
    for s in out_shape:
        n *= s
    return float(n)


def apply(op: Op, ins: tuple[Any, ...], params: Any) -> Tensor:
    """Run an op on bound inputs; record a graph node when a gradient can flow.

    The hot path of the engine: every op, forward and in backward, comes through here,
    so it is written for speed: a one- or two-input call on tensors (and a Python number)
    takes a short path, the promotion rules are memoised, arguments are not repacked.
    ``params`` is read, never changed.
    """
    Tensor = _Tensor  # noqa: N806 - the class, bound locally on the hot path
    state = STATE
    if state.deadline is not None and time.monotonic() > state.deadline:
        raise DeadlineExceeded("the computation ran past its time limit")
    list_input = op.list_input
    memo = op._dtype_memo
    key: Any = None
    fast = False
    n = len(ins)
    x: Any = ins[0] if n else None
    if op._plain and type(x) is Tensor and n <= 2:
        # the short path: x a tensor, then nothing, a tensor on the same device, or a Python number
        first = x
        data = x._data
        requires = x._rg
        has_scalar = False
        if n == 1:
            fast = True
            if memo is not None:
                key = (dtypes._default_float, x._dtype, not data.ndim)
        else:
            y = ins[1]
            ty = type(y)
            if ty is Tensor:
                if type(y._data) is type(data):
                    fast = True
                    requires = requires or y._rg
                    if memo is not None:
                        key = (dtypes._default_float, x._dtype, not data.ndim, y._dtype, not y._data.ndim)
            elif (ty is float or ty is int or ty is bool) and op.scalars:
                fast = has_scalar = True
                if memo is not None:
                    key = (dtypes._default_float, x._dtype, not data.ndim, ty)
    flat = ins
    if not fast:
        if list_input:
            _check_list(op, ins[0], params)
        if op.identity is not None and isinstance(ins[0], Tensor) and op.identity(*ins, **params):
            return ins[0]
        flat = (*ins[0], *ins[1:]) if list_input else ins
        first = None
        requires = False
        has_scalar = False
        for t in flat:
            if isinstance(t, Tensor):
                if first is None:
                    first = t
                elif type(t._data) is not type(first._data):
                    raise DeviceError(
                        "Expected all tensors to be on the same device, but found at least two devices, "
                        f"{first.device} and {t.device}!"
                    )
                if t._rg:
                    requires = True
            else:
                has_scalar = True
                if t is not None and not op.scalars and not (list_input and t is ins[0]) and not isinstance(
                    t, (list, tuple)
                ):
                    raise ArgumentError(
                        f"{op.name}(): argument '{op.inputs[min(_index(flat, t), len(op.inputs) - 1)]}' "
                        f"must be Tensor, not {type(t).__name__}"
                    )
        if first is None:
            raise ArgumentError(f"{op.name}(): expected at least one argument to be a Tensor")
        data = first._data
        if memo is not None:
            parts: list[Any] = [dtypes._default_float]
            for t in ins:
                if isinstance(t, Tensor):
                    parts.append(t._dtype)
                    parts.append(not t._data.ndim)
                else:
                    parts.append(type(t))
            key = tuple(parts)

    # dtypes: (compute dtype or None, out dtype)
    if memo is not None:
        hit = memo.get(key)
        if hit is None:
            hit = op.dtype(*ins, **params)
            if len(memo) < 512:
                memo[key] = hit
        compute, out_dtype = hit
    else:
        compute, out_dtype = op.dtype(*ins, **params)

    # forward, on arrays in the compute dtype, with NumPy's float warnings off (PyTorch has none)
    if list_input:
        args: Any = ([_array(x, compute) for x in ins[0]], *[_array(x, compute) for x in ins[1:]])
    else:
        args = [
            (t._data if compute is None or t._dtype is compute else t._data.astype(compute.np))
            if isinstance(t, Tensor) else t
            for t in ins
        ]
    xp = np if type(data) is np.ndarray else backend.module_of(data)
    if _errstate_get is not None:
        token = None if _errstate_get() is QUIET else _errstate_set(QUIET)
    else:
        token = quiet_enter()
    try:
        if params:
            out = op.forward(xp, *args, **params)
        elif len(args) == 2:
            out = op.forward(xp, args[0], args[1])
        elif len(args) == 1:
            out = op.forward(xp, args[0])
        else:
            out = op.forward(xp, *args)
    except EngineError:
        raise
    except (ValueError, IndexError, TypeError) as exc:
        # NumPy refused: the shape rule words the error as PyTorch does.
        check_shapes(op, ins, params)
        raise ShapeError(f"{op.name}(): {exc}") from None
    finally:
        if token is not None:
            if _errstate_get is not None:
                _errstate_reset(token)
            else:
                quiet_exit(token)
    if type(out) is not np.ndarray:
        out = xp.asarray(out)
    out_np = out_dtype.np
    if out.dtype is not out_np and out.dtype != out_np:
        out = out.astype(out_np)
    if not requires or op.vjp is None or not state.grad_enabled:
        return _wrap(out, out_dtype, None)
    if not out_dtype.is_floating_point:
        if op.name == "_to_copy":  # x.long(): PyTorch's result just does not require grad
            return _wrap(out, out_dtype, None)
        raise AutogradError(f"Autograd not support dtype: {out_dtype._short}")

    # the graph node: per input, its node, the leaf that accumulates, or None (no gradient)
    saves = op.saves
    saved = ins if saves == "inputs" or saves == "both" else _metas(ins, list_input)
    scalars: tuple[int, ...] = ()
    if len(flat) == 2:
        x, y = flat
        if has_scalar:
            scalars = (1,) if isinstance(x, Tensor) else (0,) if isinstance(y, Tensor) else (0, 1)
        edges: tuple[Any, ...] = (
            (x.grad_fn or (x if x._rg else None)) if isinstance(x, Tensor) else None,
            (y.grad_fn or (y if y._rg else None)) if isinstance(y, Tensor) else None,
        )
    else:
        if has_scalar:
            scalars = tuple([i for i, t in enumerate(flat) if not isinstance(t, Tensor)])
        edges = tuple([(t.grad_fn or (t if t._rg else None)) if isinstance(t, Tensor) else None for t in flat])
    name: Any = op.grad_fn
    if type(name) is not str:
        name = name(*ins, **params)
    node = Node(
        op, name, saved, params, edges, scalars,
        out if saves == "output" or saves == "both" else None, (out.shape, out_dtype),
    )
    return _wrap(out, out_dtype, node)


def _array(x: Any, compute: DType | None) -> Any:
    """An input as the forward sees it: a tensor's array in the compute dtype, anything else as it is."""
    if isinstance(x, _Tensor):
        return x._data if compute is None or x._dtype is compute else x._data.astype(compute.np)
    return x


def _check_list(op: Op, seq: Any, params: dict[str, Any]) -> None:
    """A list input (cat, stack): a list or tuple of tensors, PyTorch's words otherwise."""
    if not isinstance(seq, (list, tuple)):
        raise ArgumentError(
            f"{op.name}(): argument '{op.inputs[0]}' (position 1) must be tuple of Tensors, not {type(seq).__name__}"
        )
    for i, t in enumerate(seq):
        if not isinstance(t, _Tensor):
            raise ArgumentError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not seq:
        op.shape((), **params)  # the op's shape rule words the empty-list error
        raise ArgumentError(f"{op.name}(): expected a non-empty list of Tensors")


def _index(seq: Sequence[Any], x: Any) -> int:
    # by identity: ``list.index`` compares with ==, which a tensor answers elementwise
    return next(i for i, y in enumerate(seq) if y is x)


def _metas(ins: tuple[Any, ...], list_input: bool) -> tuple[Any, ...]:
    """What an op that saves no tensor keeps of its inputs: shape, dtype, requires_grad and device."""
    if list_input:
        return (tuple(map(_meta, ins[0])), *map(_meta, ins[1:]))
    return tuple([_meta(x) for x in ins])


def _meta(x: Any) -> Any:
    if not isinstance(x, _Tensor):
        return x
    m = _new_meta(TensorMeta)
    data = x._data
    m.shape = data.shape
    m.dtype = x._dtype
    m.requires_grad = x._rg
    m.device = backend.CPU if type(data) is np.ndarray else backend.device_of(data)
    return m


_new_meta = object.__new__


def call(op: Op, args: Sequence[Any], kwargs: dict[str, Any]) -> Tensor:
    """``torch.<op>(*args, **kwargs)``: bind, then apply."""
    if not kwargs and len(args) == op._n_in:
        fast = op._fast_params
        if fast is not None:
            return apply(op, args if type(args) is tuple else tuple(args), fast)
    ins, params = op.bind(args, kwargs)
    return apply(op, ins, params)
