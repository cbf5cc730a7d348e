"""The op registry: one entry per op holds everything known about it.

An entry has the op's name and parameters (PyTorch's), its forward on the array
module ``xp``, its shape rule and dtype rule (so a plan can be checked before any
array exists), its vector-Jacobian products written with engine ops (so they are
differentiable again), its ``grad_fn`` name(s), where PyTorch exposes it (``torch.X``,
``torch.nn.functional.X``, ``Tensor.X``), sample domains for tests and a one-line doc.
Everything else (public functions, Tensor methods, ``/v1/ops``) is derived from here.

For speed an entry may also say that its dtype rule can be memoised (``dtype_memo``) and
give its rules again on arrays (``fast_vjp``), which a backward pass that records no
graph runs instead of the engine ops the rules are written with; hot derivatives that
would take several ops are private ops of their own (``_tanh_backward``, ``_pow_backward``,
``_sum_backward``), differentiable again as any op, as PyTorch's ``*_backward`` kernels.
"""

from __future__ import annotations

import inspect
import re
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..autograd.grad_mode import ERRSTATE, QUIET, mode, quiet_enter, quiet_exit
from ..autograd.node import Node, TensorMeta
from ..dtypes import DEFAULT_FLOAT as _DEFAULT_FLOAT
from ..dtypes import dtype as DType
from ..dtypes import int32, int64
from ..errors import (
    ArgumentError,
    AutogradError,
    DeviceError,
    DimTypeError,
    EngineError,
    NoOverloadError,
    ShapeError,
    scalar_overflow,
    type_name,
)
from ._helpers import compare, number_array, promote, promote_float, same_dtype

# NumPy's error-state variable, its methods bound once (NumPy 1.x: np.errstate, entered and exited)
if ERRSTATE is not None:
    _errstate_get: Any = ERRSTATE.get
    _errstate_set: Any = ERRSTATE.set
    _errstate_reset: Any = ERRSTATE.reset
else:  # pragma: no cover - NumPy 1.x
    _LOUD = object()
    _errstate_get = lambda: _LOUD  # never QUIET: always enter  # noqa: E731
    _errstate_set = lambda _quiet: quiet_enter()  # noqa: E731
    _errstate_reset = quiet_exit

if TYPE_CHECKING:
    from ..tensor import Tensor

Shape = tuple[int, ...]
# A derivative rule: (g, out, *inputs, **params) -> gradient for one input (or None).
Rule = Callable[..., Any]
_EMPTY = inspect.Parameter.empty


class DeadlineExceeded(EngineError, TimeoutError):  # noqa: N818 - public name
    """The computation ran past the deadline set for this thread."""


class NotGiven:
    """A default that shows as ``None`` but tells a call without the argument from one with an
    explicit ``None``, where PyTorch's overloads do: ``x.sum()`` is ``SumBackward0``,
    ``x.sum(dim=None)`` is ``SumBackward1``. The one instance is ``NOT_GIVEN``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "None"


NOT_GIVEN = NotGiven()


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


@dataclass(eq=False, slots=True)
class Op:
    """A registry entry. See the module docstring; fields are documented inline.

    Slotted: ``apply`` reads a dozen of its attributes per call (the derived ones, ``_...``,
    are computed once, in ``__post_init__``).
    """

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
    # the forward is one ufunc on its two inputs (with default params), so ``apply`` may pass a
    # Python number to it as a 0-d array of the float dtype it computes in (``number_array``)
    number_arrays: bool = False
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
    # the dtype rule's answer depends only on the inputs' dtypes, 0-d-ness and Python scalar types
    # when the params are the defaults (``x + y``), so ``apply`` memoises it; a function instead of
    # True says which answers to keep (``pow``: floating ones; an integer power checks the exponent)
    dtype_memo: bool | Callable[[tuple[Any, Any]], bool] = False
    # the rules again, on arrays, for a backward pass that records no graph (``create_graph=False``):
    # per input, ``fast(g, out, ins, params)`` doing exactly the array work the rule's engine ops
    # would (the same NumPy calls, so the result is the same, bit for bit) and returning the array,
    # ``SAME`` (the incoming gradient itself), or None (not here: run the rule), or None in place of
    # a function. The backward pass uses them where ``g`` and every saved input tensor are NumPy
    # arrays of the output's dtype: ``g`` and ``out`` come as arrays, ``ins`` is ``Node._arrays``
    # (the inputs as arrays and Python numbers) for ops that save inputs, else what was saved.
    fast_vjp: tuple[Callable[..., Any] | None, ...] | None = None
    # PyTorch's positional order of the parameters, where it is not the forward's: a tensor input
    # after plain ones (``mse_loss(input, target, size_average, reduce, reduction, weight)``; keyword-only
    # parameters are not named, they follow: ``gather(input, dim, index, *, sparse_grad)``); the
    # inputs still lead the forward, ``bind`` maps positional arguments by this order, and
    # ``params`` (the signature, the catalogue) follow it
    order: tuple[str, ...] | None = None
    # PyTorch's overloads of the function, as its argument parser lists them when none fits
    # (``(Tensor input, tuple of ints dim, bool keepdim = False, ...)``); see ``ops.overloads``
    overloads: tuple[str, ...] = ()
    # PyTorch's is a Python function (most of torch.nn.functional's): a missing argument is
    # worded by Python, not by PyTorch's argument parser
    python_function: bool = False
    # per input's rule, the positions of the saved inputs it reads: the in-place version check
    # (``autograd.versions``) looks only at those whose rule will run, as PyTorch saves only what
    # the wanted derivatives read (``x * 2`` does not read x); None: every saved input
    reads: tuple[tuple[int, ...], ...] | None = None
    # its result can share its input's memory (a slice, a reshape, a transpose), as PyTorch's views
    # do: where it does, the result is a view (``Tensor._base``) and shares its base's version counter
    view: bool = False
    # an integer result of inputs that require grad is returned without a graph (a cast or a copy into an
    # integer tensor: PyTorch records nothing), where other ops refuse it ("Autograd not support dtype")
    untracked_integers: bool = False
    # PyTorch's returns a Python value, not a tensor (``torch.equal``'s bool): ``engine.<op>`` and the
    # Tensor method return ``python_result(result)``; ``call`` (what the service runs) keeps the tensor
    python_result: Callable[[Any], Any] | None = None
    # PyTorch's overloads of this name that the entry does not carry (``max(input, dim)`` returns
    # (values, indices)): ``engine.<op>`` and the method try ``route(args, kwargs, method)`` first (``method``:
    # ``args[0]`` is self, for PyTorch's method words) and return what it returns unless None; ``call``
    # (what the service runs) is the entry alone
    route: Callable[[tuple[Any, ...], dict[str, Any], bool], Any] | None = None
    params: tuple[Param, ...] = field(default=(), init=False)
    # derived in __post_init__
    _n_in: int = field(default=0, init=False, repr=False)
    _positional: tuple[str, ...] = field(default=(), init=False, repr=False)
    _defaults: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _required: tuple[str, ...] = field(default=(), init=False, repr=False)
    _input_defaults: tuple[Any, ...] = field(default=(), init=False, repr=False)
    _allowed: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _input_set: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _plain: bool = field(default=False, init=False, repr=False)
    _fast_params: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _memo_any: bool = field(default=False, init=False, repr=False)
    _dtype_memo: dict[tuple[Any, ...], Any] | None = field(default=None, init=False, repr=False)
    _memo_keep: Callable[[tuple[Any, Any]], bool] | None = field(default=None, init=False, repr=False)
    _saves_inputs: bool = field(default=False, init=False, repr=False)
    _saves_output: bool = field(default=False, init=False, repr=False)
    _frees: bool = field(default=False, init=False, repr=False)
    _name: str | None = field(default=None, init=False, repr=False)
    _hot: tuple[Any, ...] = field(default=(), init=False, repr=False)  # what ``apply`` reads, in one read
    _order_lead: int = field(default=0, init=False, repr=False)  # how many leading names ``order`` shares
    _hot_backward: tuple[Any, ...] = field(default=(), init=False, repr=False)  # what the backward loop reads

    def __post_init__(self) -> None:
        sig = list(inspect.signature(self.forward).parameters.values())[1:]  # skip xp
        params = []
        for i, p in enumerate(sig):
            kind = "keyword" if p.kind is inspect.Parameter.KEYWORD_ONLY else "positional"
            params.append(Param(p.name, p.default, i < len(self.inputs), kind))
        names = [p.name for p in params[: len(self.inputs)]]
        assert tuple(names) == self.inputs, f"{self.name}: forward's leading params must be {self.inputs}"
        self.params = tuple(params)
        if self.order is not None:  # (it names the positional parameters; keyword-only ones follow, as they are)
            by_name = {p.name: p for p in params if p.kind == "positional"}
            assert sorted(self.order) == sorted(by_name), f"{self.name}: order names every positional parameter once"
            self.params = (*(by_name[n] for n in self.order), *(p for p in params if p.kind == "keyword"))
            lead = 0
            while lead < len(params) and params[lead].name == self.order[lead]:
                lead += 1
            self._order_lead = lead
        self._n_in = len(self.inputs)
        self._positional = tuple(p.name for p in params if p.kind == "positional")[self._n_in :]
        self._defaults = {p.name: p.default for p in params[self._n_in :] if not p.required}
        self._required = tuple(p.name for p in params[self._n_in :] if p.required)
        self._input_defaults = tuple(p.default for p in params[: self._n_in])
        self._allowed = frozenset(p.name for p in params)
        self._input_set = frozenset(self.inputs)
        # apply's short path applies (one or two inputs, no list, no identity)
        self._plain = not self.list_input and self.identity is None and 1 <= self._n_in <= 2
        # a call with just its tensor inputs (``x * y``) skips ``bind``: the defaults, shared, so
        # never to be changed (apply only reads params)
        self._fast_params = None if self._required else dict(self._defaults)
        # the promotion rules depend only on dtypes, 0-d-ness and scalar types (whatever the params,
        # ``_memo_any``), others declare it for their default params: memoised per op
        self._memo_any = self.dtype in _DTYPE_ONLY_RULES
        memo = self._memo_any or bool(self.dtype_memo)
        self._dtype_memo = {} if memo and not self.list_input else None
        self._memo_keep = self.dtype_memo if callable(self.dtype_memo) else None
        # what apply records, decided once
        assert self.saves in ("inputs", "output", "both", "none"), f"{self.name}: saves={self.saves!r}"
        self._saves_inputs = self.saves in ("inputs", "both")
        self._saves_output = self.saves in ("output", "both")
        self._frees = self.saves != "none"  # backward drops what it saved (ops that save none keep metas)
        self._name = self.grad_fn if isinstance(self.grad_fn, str) else None
        # the fields apply's short path reads, as one tuple (one attribute read, not a dozen; an
        # Op's fields are not reassigned after this)
        self._hot = (self._plain, self._n_in, self._dtype_memo, self._memo_any, self._fast_params,
                     self.forward, self.vjp, self._name, self._saves_inputs, self._saves_output,
                     self.scalars, self.number_arrays, self.view)
        self._hot_backward = (self.fast_vjp, self._saves_inputs, self._frees, self.vjp)
        if self.fast_vjp is not None:
            assert self.vjp is not None and len(self.fast_vjp) == len(self.vjp) and not self.list_input, (
                f"{self.name}: fast_vjp has one entry per rule (not for list inputs)"
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
    def _too_many(self, given: int) -> ArgumentError:
        """Python's words for too many positional arguments (PyTorch's Python functions raise them)."""
        positional = [p for p in self.params if p.kind == "positional"]
        required = sum(p.required for p in positional)
        takes = f"from {required} to {len(positional)}" if required < len(positional) else f"{len(positional)}"
        noun = "argument" if takes == "1" else "arguments"
        return ArgumentError(f"{self.name}() takes {takes} positional {noun} but {given} were given")

    def _missing(self, args: Sequence[Any], kwargs: dict[str, Any]) -> ArgumentError:
        """The required arguments a call left out, worded by Python or by PyTorch's parser (whose
        "argument"/"arguments" is the other way round from English, kept as it prints it)."""
        if self.overloads:
            from .overloads import fitting_overloads

            if fitting_overloads(self, len(args) + len(kwargs)) != 1:  # PyTorch's parser lists them all
                return NoOverloadError(f"{self.name}() received an invalid combination of arguments: too few")
        positional = [p.name for p in self.params if p.kind == "positional"]
        given = set(positional[: len(args)]) | kwargs.keys()
        names = [p.name for p in self.params if p.required and p.name not in given]
        n = len(names)
        if not self.python_function:
            quoted = ", ".join(f'"{name}"' for name in names)
            return ArgumentError(f"{self.name}() missing {n} required positional argument{'s' if n == 1 else ''}: "
                                 f"{quoted}")
        quoted_names = [f"'{name}'" for name in names]
        listed = (quoted_names[0] if n == 1 else " and ".join(quoted_names) if n == 2
                  else ", ".join(quoted_names[:-1]) + ", and " + quoted_names[-1])
        return ArgumentError(f"{self.name}() missing {n} required positional argument{'s' if n > 1 else ''}: {listed}")

    def bind(self, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Split a PyTorch-style call into tensor inputs and the other params (defaults filled)."""
        n = self._n_in
        order = self.order
        if order is not None and len(args) > self._order_lead:  # PyTorch's positions differ from the forward's
            if len(args) > len(order):
                raise self._too_many(len(args))
            for name in order[: len(args)]:
                if name in kwargs:
                    raise ArgumentError(f"{self.name}() got multiple values for argument '{name}'")
            kwargs = {**dict(zip(order, args, strict=False)), **kwargs}
            args = ()
        if not kwargs and n <= len(args) <= n + len(self._positional):  # positional only: the quick way
            params = dict(self._defaults)
            for name, value in zip(self._positional, args[n:], strict=False):
                params[name] = value if type(value) in _PLAIN_ARGUMENTS else python_ints(value)
            for name in self._required:
                if name not in params:
                    raise self._missing(args, kwargs)
            return tuple(args[:n]), params
        call_args, call_kwargs = args, kwargs  # (as written, for a missing argument's words)
        if len(args) >= n and not kwargs.keys() & self._input_set:
            ins = tuple(args[:n])
            extra = args[n:]
        else:
            got = list(args[:n])
            kwargs = dict(kwargs)  # (the caller's stays as it was: inputs are taken out of this one)
            for name, default in zip(self.inputs[len(got) :], self._input_defaults[len(got) :], strict=True):
                if name in kwargs:
                    got.append(kwargs.pop(name))
                elif default is not _EMPTY:
                    got.append(default)
                else:
                    raise self._missing(call_args, call_kwargs)
            ins = tuple(got)
            extra = args[n:] if len(args) > n else ()
        if len(extra) > len(self._positional):
            raise self._too_many(n + len(extra))
        params = dict(self._defaults)
        for name, value in zip(self._positional, extra, strict=False):
            params[name] = value if type(value) in _PLAIN_ARGUMENTS else python_ints(value)
        for name, value in kwargs.items():
            if name not in self._allowed:
                raise ArgumentError(f"{self.name}() got an unexpected keyword argument '{name}'")
            if name in self.inputs[: len(args)] or (name in params and name in self._positional[: len(extra)]):
                raise ArgumentError(f"{self.name}() got multiple values for argument '{name}'")
            params[name] = value if type(value) in _PLAIN_ARGUMENTS else python_ints(value)
        for name in self._required:
            if name not in params:
                raise self._missing(call_args, call_kwargs)
        return ins, params


REGISTRY: dict[str, Op] = {}
# dtype rules that read nothing but the inputs' dtypes, 0-d-ness and scalar types, whatever the params
_DTYPE_ONLY_RULES = frozenset((promote, promote_float, compare, same_dtype))


class _Same:
    """What an array rule (``Op.fast_vjp``) returns for "the incoming gradient itself" (``add``'s)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SAME"


SAME: Any = _Same()


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


_PLAIN_ARGUMENTS = frozenset((int, float, bool, str, type(None), NotGiven))


def python_ints(value: Any) -> Any:
    """A NumPy integer, alone or in a tuple or list, as the Python int PyTorch's parser reads it as
    (so that no rule meets ``numpy.int64`` where it checks for an int)."""
    if isinstance(value, np.integer):
        return int(value)
    if type(value) in (tuple, list) and any(isinstance(v, np.integer) for v in value):
        return type(value)(int(v) if isinstance(v, np.integer) else v for v in value)
    return value


def apply(op: Op, ins: tuple[Any, ...], params: Any) -> Tensor:
    """Run an op on bound inputs; record a graph node when a gradient can flow.

    The hot path of the engine: every op, forward and in backward, comes through here,
    so it is written for speed: a one- or two-input call on NumPy tensors (and a Python
    number) takes a short path, straight-line code per arity, the dtype rules are
    memoised, arguments are not repacked, and a call with default params runs the forward
    without them. Everything else takes ``_apply_general``, the same steps for any call.
    ``params`` is read, never changed.
    """
    grad_enabled, deadline = mode()
    if deadline is not None:
        _check_deadline(deadline)
    (plain, n_in, memo, memo_any, fast_params, forward, vjp, name, saves_inputs, saves_output, scalars,
     number_arrays, view) = op._hot
    x: Any = ins[0] if ins else None
    if not (plain and type(x) is _Tensor):
        return _apply_general(op, ins, params)
    data = x._data  # (not a walrus in the test above: Cython's flow analysis misreads it)
    if type(data) is not _ndarray:
        return _apply_general(op, ins, params)
    if memo is not None and not (memo_any or params is fast_params):
        memo = None
    xd = x._dtype  # (each attribute read once: a read costs more than a local once compiled)
    if n_in == 1:
        # -- one input ------------------------------------------------------------------
        if memo is not None:
            key: Any = (_DEFAULT_FLOAT[0], xd, not data.ndim)
            try:  # (a subscript: cheaper than .get once compiled)
                hit = memo[key]
            except KeyError:
                hit = _dtype_rule(op, memo, key, ins, params)
            compute, out_dtype = hit
        else:
            compute, out_dtype = op.dtype(x, **params)
        a = data if compute is None or xd is compute else data.astype(compute.np)
        token = None if _errstate_get() is QUIET else _errstate_set(QUIET)
        try:
            out = forward(np, a) if params is fast_params or not params else forward(np, a, **params)
        except EngineError:
            raise
        except (ValueError, IndexError, TypeError) as exc:
            _refused(op, ins, params, exc)
        finally:
            if token is not None:
                _errstate_reset(token)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        out_np = out_dtype.np
        if out.dtype is not out_np and out.dtype != out_np:
            out = _cast(out, out_np)
        if not x._rg or not grad_enabled or vjp is None:
            t = _wrap(out, out_dtype, None)
        elif not out_dtype.is_floating_point:
            return _not_floating(op, out, out_dtype)
        else:
            if name is None:
                name = op.grad_fn(*ins, **params)  # type: ignore[operator]
            if saves_inputs:
                node = Node(op, name, ins, params, (x.grad_fn or x,), (),
                            out if saves_output else None, (out.shape, out_dtype),
                            (data,) if xd is out_dtype else None)
            else:
                m = _new_meta(TensorMeta)  # _meta(x), inline
                m.shape = data.shape
                m.dtype = xd
                m.requires_grad = True
                m.device = _CPU
                node = Node(op, name, (m,), params, (x.grad_fn or x,), (),
                            out if saves_output else None, (out.shape, out_dtype))
            t = _wrap(out, out_dtype, node)
        if view:
            _mark_view(t, x, grad_enabled)
        return t

    # -- two inputs: a tensor and a tensor on the same device, or a Python number ----------
    y = ins[1]
    ty = type(y)
    if ty is _Tensor:
        ydata = y._data
        if type(ydata) is not _ndarray:
            return _apply_general(op, ins, params)
        yd = y._dtype
        if memo is not None:
            key = (_DEFAULT_FLOAT[0], xd, not data.ndim, yd, not ydata.ndim)
    elif (ty is float or ty is int or ty is bool) and scalars:
        if ty is int and not -2147483648 <= y <= 2147483647:  # (beyond int32: _big_int)
            y = _big_int(y, xd)
            ins = (x, y)
        ydata = y
        yd = None
        if memo is not None:
            key = (_DEFAULT_FLOAT[0], xd, not data.ndim, ty)
    else:
        return _apply_general(op, ins, params)
    if memo is not None:
        try:
            hit = memo[key]
        except KeyError:
            hit = _dtype_rule(op, memo, key, ins, params)
        compute, out_dtype = hit
    else:
        compute, out_dtype = op.dtype(x, y, **params)
    a = data if compute is None or xd is compute else data.astype(compute.np)
    if yd is not None:
        b = ydata if compute is None or yd is compute else ydata.astype(compute.np)
    elif number_arrays and (params is fast_params or not params):
        b = number_array(y, (xd if compute is None else compute).np)
    else:
        b = ydata
    token = None if _errstate_get() is QUIET else _errstate_set(QUIET)
    try:
        out = forward(np, a, b) if params is fast_params or not params else forward(np, a, b, **params)
    except EngineError:
        raise
    except (ValueError, IndexError, TypeError) as exc:
        _refused(op, ins, params, exc)
    finally:
        if token is not None:
            _errstate_reset(token)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    out_np = out_dtype.np
    if out.dtype is not out_np and out.dtype != out_np:
        out = _cast(out, out_np)
    xrg = x._rg
    yrg = yd is not None and y._rg
    if not (xrg or yrg) or not grad_enabled or vjp is None:
        return _wrap(out, out_dtype, None)
    if not out_dtype.is_floating_point:
        return _not_floating(op, out, out_dtype)
    if name is None:
        name = op.grad_fn(*ins, **params)  # type: ignore[operator]
    ex = x.grad_fn or (x if xrg else None)
    if yd is not None:
        edges: tuple[Any, ...] = (ex, y.grad_fn or (y if yrg else None))
        positions: tuple[int, ...] = ()  # (of Python numbers among the inputs)
        uniform = xd is out_dtype and yd is out_dtype
    else:
        edges = (ex, None)
        positions = _SECOND
        uniform = xd is out_dtype
    if saves_inputs:
        node = Node(op, name, ins, params, edges, positions, out if saves_output else None,
                    (out.shape, out_dtype), (data, ydata) if uniform else None)
    else:
        m = _new_meta(TensorMeta)  # _meta(x), inline
        m.shape = data.shape
        m.dtype = xd
        m.requires_grad = xrg
        m.device = _CPU
        node = Node(op, name, (m, _meta(y) if yd is not None else y), params, edges, positions,
                    out if saves_output else None, (out.shape, out_dtype))
    return _wrap(out, out_dtype, node)


def _big_int(value: int, dt: DType) -> int:
    """A Python int beyond int32 as PyTorch's Scalar takes it: refused beyond uint64 (``scalar_overflow``);
    an integer tensor's op wraps it to its own dtype (``int64 + 2**63``, ``int32 * 2**40``: C++ casts, where
    NumPy refuses); anything else reads it as it is."""
    too_big = scalar_overflow(value)
    if too_big is not None:
        raise too_big
    bits = 64 if dt is int64 else 32 if dt is int32 else 0
    if not bits:
        return value
    wrapped = value & ((1 << bits) - 1)
    return wrapped - (1 << bits) if wrapped >> (bits - 1) else wrapped


def _cast(out: Any, out_np: Any) -> Any:
    """The forward's result in the op's dtype, quietly (1e5 in float16 is inf, as in PyTorch, unwarned)."""
    token = None if _errstate_get() is QUIET else _errstate_set(QUIET)
    try:
        return out.astype(out_np)
    finally:
        if token is not None:
            _errstate_reset(token)


def _mark_view(t: Tensor, x: Tensor, grad_enabled: bool) -> None:
    """A view op's result that shares ``x``'s memory is a view of it, as in PyTorch: ``t._base`` is
    the tensor that is no view (so their writes in place count on one version counter); one made in
    no_grad mode is marked (PyTorch refuses to record an in-place op on it)."""
    data = t._data
    x_data = x._data
    owner = x_data.base
    if data is x_data or data.base is (x_data if owner is None else owner):  # (NumPy's base: the owner)
        root = x._base
        if x._multi_output is not None:
            t._multi_output = ""
        if grad_enabled:
            register_view(x if root is None else root, t)
        else:  # (it requires grad as its base does, as PyTorch's, but no gradient reaches it: autograd.engine)
            t._base = x if root is None else root
            t._no_grad_view = True
            t._rg = x._rg


def register_view(base: Tensor, t: Tensor) -> None:
    """``t`` is a view of ``base`` (itself no view) made in grad mode: an in-place write through either
    rebases ``t``'s history (``engine.inplace``), so the base keeps its views, weakly."""
    t._base = base
    views = base._views
    if views is None:
        views = base._views = []
    elif len(views) >= 32 and not len(views) & (len(views) - 1):  # at each power of two: drop the dead
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(t))


def _check_deadline(deadline: Any) -> None:
    if time.monotonic() > deadline:
        raise DeadlineExceeded("the computation ran past its time limit")


_OPERAND_TYPES = (int, float, bool, list, tuple, np.ndarray, np.generic)
_NUMBERS = (int, float, bool, complex, np.number, np.bool_)  # (complex: refused later, in the engine's words)


def _refused(op: Op, ins: Sequence[Any], params: Any, exc: Exception) -> None:
    """NumPy refused the forward: an input of no tensor type (PyTorch's TypeError, not NumPy's words
    about its loops), else the shape rule words the error as PyTorch does (else a ShapeError)."""
    if isinstance(exc, TypeError):
        for position, (name, value, default) in enumerate(zip(op.inputs, ins, op._input_defaults, strict=False), 1):
            if not (isinstance(value, (_Tensor, TensorMeta, *_OPERAND_TYPES)) or (value is None and default is None)):
                raise ArgumentError(
                    f"{op.name}(): argument '{name}' (position {position}) must be Tensor, not {type_name(value)}"
                ) from None
    check_shapes(op, ins, params)
    raise ShapeError(f"{op.name}(): {exc}") from None


def _not_floating(op: Op, out: Any, out_dtype: DType) -> Tensor:
    """An output that requires grad but is not floating: ``x.long()`` just does not require grad."""
    if op.untracked_integers:
        return _wrap(out, out_dtype, None)
    raise AutogradError(f"Autograd not support dtype: {out_dtype._short}")


_ndarray = np.ndarray
_SECOND = (1,)
_CPU = backend.CPU


def _dtype_rule(op: Op, memo: dict[tuple[Any, ...], Any], key: tuple[Any, ...], ins: tuple[Any, ...],
                params: Any) -> tuple[DType | None, DType]:
    """Run the op's dtype rule and memoise its answer under ``key`` (when the op keeps such answers)."""
    hit = op.dtype(*ins, **params)
    keep = op._memo_keep
    if len(memo) < 512 and (keep is None or keep(hit)):
        memo[key] = hit
    return hit


def _apply_general(op: Op, ins: tuple[Any, ...], params: Any) -> Tensor:
    """``apply`` for any call: list inputs, identities, three or more inputs, other devices."""
    Tensor = _Tensor  # noqa: N806 - the class, bound locally
    list_input = op.list_input
    if list_input:
        _check_list(op, ins[0], params)
    if op.identity is not None and isinstance(ins[0], Tensor) and op.identity(*ins, **params):
        return ins[0]
    flat = (*ins[0], *ins[1:]) if list_input else ins
    first = None
    requires = False
    has_scalar = False
    refused: tuple[int, Any] | None = None
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
            too_big = scalar_overflow(t)
            if too_big is not None:
                raise too_big
            if refused is None and not (list_input and t is ins[0]) and not isinstance(t, (list, tuple)):
                i = min(_index(flat, t), len(op.inputs) - 1)
                # None where the input's default is None; a number where the op takes numbers; nothing else
                # (NumPy would take anything as an object array, and fail deep inside with its own words;
                # refused after the dtype rule, whose words for it come first where it has some)
                if not ((t is None and op._input_defaults[i] is None) or (op.scalars and isinstance(t, _NUMBERS))):
                    refused = (i, t)
    if first is None:
        if refused is not None:
            raise _refusal(op, refused)
        raise ArgumentError(f"{op.name}(): expected at least one argument to be a Tensor")
    data = first._data

    # dtypes: (compute dtype or None, out dtype)
    memo = op._dtype_memo
    if memo is not None and (op._memo_any or params is op._fast_params):
        parts: list[Any] = [_DEFAULT_FLOAT[0]]
        for t in ins:
            if isinstance(t, Tensor):
                parts.append(t._dtype)
                parts.append(not t._data.ndim)
            else:
                parts.append(type(t))
        key = tuple(parts)
        hit = memo.get(key) if refused is None else None
        if hit is None:
            hit = _checked_rule(op, refused, _dtype_rule, op, memo, key, ins, params)
        compute, out_dtype = hit
    else:
        compute, out_dtype = _checked_rule(op, refused, op.dtype, *ins, **params)
    if refused is not None:
        raise _refusal(op, refused)

    # forward, on arrays in the compute dtype, with NumPy's float warnings off (PyTorch has none)
    if list_input:
        args: Any = ([_array(x, compute) for x in ins[0]], *[_array(x, compute) for x in ins[1:]])
    else:
        args = [_array(t, compute) for t in ins]
    xp = np if type(data) is np.ndarray else backend.module_of(data)
    token = None if _errstate_get() is QUIET else _errstate_set(QUIET)
    try:
        out = op.forward(xp, *args, **params)
    except EngineError:
        raise
    except (ValueError, IndexError, TypeError) as exc:
        _refused(op, ins, params, exc)
    finally:
        if token is not None:
            _errstate_reset(token)
    if type(out) is not np.ndarray:
        out = xp.asarray(out)
    out_np = out_dtype.np
    if out.dtype is not out_np and out.dtype != out_np:
        out = _cast(out, out_np)
    if not requires or op.vjp is None or not mode()[0]:
        t = _wrap(out, out_dtype, None)
        if op.view:
            _mark_view(t, first, mode()[0])
        return t
    if not out_dtype.is_floating_point:
        return _not_floating(op, out, out_dtype)

    # the graph node: per input, its node, the leaf that accumulates, or None (no gradient)
    saved = ins if op._saves_inputs else _metas(ins, list_input)
    scalars: tuple[int, ...] = ()
    if has_scalar:
        scalars = tuple([i for i, t in enumerate(flat) if not isinstance(t, Tensor)])
    edges = tuple([(t.grad_fn or (t if t._rg else None)) if isinstance(t, Tensor) else None for t in flat])
    name: Any = op._name
    if name is None:
        name = op.grad_fn(*ins, **params)  # type: ignore[operator]
    arrays = None
    if op._saves_inputs and not list_input and type(out) is np.ndarray:
        arrays = _uniform_arrays(ins, out_dtype)
    node = Node(op, name, saved, params, edges, scalars, out if op._saves_output else None,
                (out.shape, out_dtype), arrays)
    t = _wrap(out, out_dtype, node)
    if op.view:
        _mark_view(t, first, True)
    return t


def _refusal(op: Op, refused: tuple[int, Any]) -> EngineError:
    """PyTorch's TypeError for an input that is neither a tensor nor what the op takes in its place."""
    i, t = refused
    if op.overloads:  # (``call`` words it as PyTorch's parser lists them)
        return NoOverloadError(f"{op.name}() received an invalid combination of arguments")
    return ArgumentError(
        f"{op.name}(): argument '{op.inputs[i]}' (position {i + 1}) must be Tensor, not {type_name(t)}"
    )


def _checked_rule(op: Op, refused: tuple[int, Any] | None, rule: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> Any:
    """``rule(*args, **kwargs)``; with an input already refused, the rule's own words for it where it has
    some (an engine error), else the refusal (a rule need not expect such inputs)."""
    try:
        return rule(*args, **kwargs)
    except EngineError:
        raise
    except Exception:
        if refused is None:
            raise
        raise _refusal(op, refused) from None


def _uniform_arrays(ins: tuple[Any, ...], dt: DType) -> tuple[Any, ...] | None:
    """The inputs as the array rules read them (``Node._arrays``): NumPy arrays of the output's dtype
    and plain Python numbers (or None), else None."""
    out = []
    for t in ins:
        if type(t) is _Tensor:
            if t._dtype is not dt or type(t._data) is not np.ndarray:
                return None
            out.append(t._data)
        elif t is None or type(t) in (int, float, bool):
            out.append(t)
        else:
            return None
    return tuple(out)


def _array(x: Any, compute: DType | None) -> Any:
    """An input as the forward sees it: a tensor's array in the compute dtype, anything else as it is."""
    if isinstance(x, _Tensor):
        return x._data if compute is None or x._dtype is compute else x._data.astype(compute.np)
    return x


def _check_list(op: Op, seq: Any, params: dict[str, Any]) -> None:
    """A list input (cat, stack): a list or tuple of tensors, PyTorch's words otherwise."""
    if not isinstance(seq, (list, tuple)):
        raise ArgumentError(
            f"{op.name}(): argument '{op.inputs[0]}' (position 1) must be tuple of Tensors, not {type_name(seq)}"
        )
    for i, t in enumerate(seq):
        if not isinstance(t, _Tensor):
            raise ArgumentError(f"expected Tensor as element {i} in argument 0, but got {type_name(t)}")
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


def call(op: Op, args: Sequence[Any], kwargs: dict[str, Any], method: bool = False) -> Tensor:
    """``torch.<op>(*args, **kwargs)``, or with ``method`` ``args[0].<op>(*args[1:], **kwargs)``: bind, apply."""
    try:
        if not kwargs and len(args) == op._n_in:
            fast = op._fast_params
            if fast is not None:
                return apply(op, args if type(args) is tuple else tuple(args), fast)
        ins, params = op.bind(args, kwargs)
        return apply(op, ins, params)
    except ArgumentError as exc:
        reword_for_call(exc, op, args, kwargs, method)
        raise


_ARG_POSITION = re.compile(r"argument '(\w+)' \(position (\d+)\)")
_TOO_MANY = re.compile(r"(\w+)\(\) takes (?:from (\d+) to )?(\d+) positional arguments? but (\d+) were given")


def reword_for_call(exc: EngineError, op: Op, args: Sequence[Any], kwargs: Any, method: bool) -> None:
    """PyTorch's words for an argument's error, for the call as written (``exc`` is changed in place).

    Ops word such errors for ``torch.<op>(input, ...)`` with every argument positional
    ("argument 'dim' (position 2) must be int"). PyTorch's argument parser names no position
    for an argument given by keyword, and counts a method's from the argument after ``self``.
    A ``DimTypeError`` is worded here from the op's overloads (``args[0]`` is self for a method).
    """
    if type(exc) is DimTypeError or type(exc) is NoOverloadError and op.overloads:
        from .overloads import dim_type_message, invalid_combination

        words = (dim_type_message(exc, op, args, kwargs, method) if type(exc) is DimTypeError
                 else invalid_combination(op, args, kwargs, method))
        exc.args = (words,)
        return
    message = str(exc)
    too_many = _TOO_MANY.fullmatch(message)
    if too_many is not None and too_many.group(1) == op.name:
        if op.overloads:  # (PyTorch's parser tries each overload: none takes so many)
            from .overloads import invalid_combination

            exc.args = (invalid_combination(op, args, kwargs, method),)
        elif method:  # (a method's counts leave out self)
            low, high, given = (None if g is None else int(g) - 1 for g in too_many.group(2, 3, 4))
            takes = f"from {low} to {high}" if low is not None else f"{high}"
            exc.args = (f"{op.name}() takes {takes} positional argument{'' if takes == '1' else 's'} "
                        f"but {given} were given",)
        return
    if not message.startswith(f"{op.name}(): argument '"):
        return
    found = _ARG_POSITION.search(message)
    if found is None:
        return
    name, position = found.group(1), int(found.group(2))
    if name in kwargs:
        words = f"argument '{name}'"
    elif method and position > 1:
        words = f"argument '{name}' (position {position - 1})"
    else:
        return
    exc.args = (message.replace(found.group(0), words, 1),)
