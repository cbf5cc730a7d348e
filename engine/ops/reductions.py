"""Reductions over ``dim`` (an int, a tuple, or None for all) with ``keepdim``.

sum, mean, prod, amax, amin, max, min (whole tensor), var, std, logsumexp, norm and
cumsum. Each derivative mirrors PyTorch's formula (``derivatives.yaml`` /
``FunctionsManual.cpp``) step for step, with engine ops, so that second derivatives
(and PyTorch's NaN/inf conventions at kinks and zeros) come out as PyTorch's do.
Masks (ties, zeros) are constants computed from the saved arrays, as in PyTorch.
Three private helper ops live here: ``_zero_where`` (``masked_fill(mask, 0)``),
``_prod_others`` (product of the other elements along a dim, safe with zeros) and
``_reverse_cumsum``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd.grad_mode import STATE
from ..dtypes import bool_, dtype, float_result, int64, to_dtype
from ..errors import (
    ArgumentError,
    DimTypeError,
    DTypeError,
    IndexError_,
    NoOverloadError,
    ShapeError,
    UnsupportedError,
    type_name,
)
from ._helpers import (
    as_index,
    broadcast_shapes,
    normalize_dim,
    normalize_dims,
    numel,
    reduced_shape,
    same_dtype,
    sum_to,
)
from .registry import NOT_GIVEN, REGISTRY, call, defop

Shape = tuple[int, ...]


# -- helpers -------------------------------------------------------------------------

def _reads(s: Shape, *_: Any, **__: Any) -> float:
    """Cost estimate: the elements read."""
    return float(numel(s))


def _dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """The dims a reduction runs over: none given, None and an empty list mean all, as in PyTorch."""
    if dim is None or dim is NOT_GIVEN:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        for i, d in enumerate(dim, 1):
            if type(d) is not int and as_index(d) is None:
                raise DimTypeError(type_name(d), element=i)
    elif type(dim) is not int and as_index(dim) is None:
        raise DimTypeError(type_name(dim))
    dims = normalize_dims(dim, ndim)  # checks range and duplicates, with PyTorch's words
    if ndim == 0:
        return ()
    return dims or tuple(range(ndim))


def _raw_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """The dims as given (normalized, an empty list stays empty): what PyTorch's backward unsqueezes."""
    if dim is None or ndim == 0:
        return ()
    return normalize_dims(dim, ndim)


def _keep_shape(shape: Shape, dims: tuple[int, ...]) -> Shape:
    return reduced_shape(shape, dims, True)


def _restore(g: Any, shape: Shape, dims: tuple[int, ...], keepdim: bool) -> Any:
    """Unsqueeze a reduced gradient (``unsqueeze_multiple``) so that it broadcasts against the input."""
    if keepdim or not dims or len(shape) == 0:
        return g
    return g.reshape(_keep_shape(shape, dims))


def _expand_back(g: Any, shape: Shape, dims: tuple[int, ...], keepdim: bool) -> Any:
    """``sum_backward``: the reduced gradient put back in the input's shape (one op)."""
    return call(_SUM_BACKWARD, (g,), {"shape": tuple(shape), "dims": dims, "keepdim": keepdim})


# Up to this many elements sum's backward writes its result out (cheaper than a broadcast
# view to make); beyond, a read-only view (no memory), as expand gives: NumPy's loops read
# it as a scalar, and matmul turns a product with it into a reduction (linalg's
# ``_broadcast_product``).
_MATERIALIZE = 1 << 14


def _sum_backward(xp: Any, grad: Any, shape: Shape, dims: tuple[int, ...], keepdim: bool) -> Any:
    """``grad`` unsqueezed at the reduced dims (unless keepdim) and expanded to ``shape``."""
    if grad.ndim and not (keepdim or not dims or len(shape) == 0):  # (a 0-d grad broadcasts as it is)
        grad = grad.reshape(_keep_shape(shape, dims))
    if xp is np and math.prod(shape) <= _MATERIALIZE:
        out = np.empty(shape, grad.dtype)
        out[...] = grad
        return out
    return xp.broadcast_to(grad, shape)


def _sum_backward_grad(h: Any, out: Any, g: Any, shape: Shape, dims: tuple[int, ...], keepdim: bool) -> Any:
    # expand's gradient sums back to the unsqueezed shape; the unsqueeze's reshapes it back
    r = sum_to(h, _keep_shape(shape, dims) if not (keepdim or not dims or len(shape) == 0) else tuple(g.shape))
    return r if tuple(r.shape) == tuple(g.shape) else r.reshape(tuple(g.shape))


_SUM_BACKWARD = defop(
    name="_sum_backward", forward=_sum_backward, inputs=("grad",), namespace="tensor", saves="none",
    shape=lambda s, shape, dims, keepdim: tuple(shape), dtype=same_dtype, vjp=(_sum_backward_grad,),
    grad_fn="ExpandBackward0",  # PyTorch's sum_backward: (unsqueeze and) expand
    doc="The gradient of a sum: grad put back in the input's shape.", flops=lambda s, shape, dims, keepdim: 0.0,
)


def _xp(t: Any) -> Any:
    return backend.module_of(t._data)


def _const(arr: Any, dt: dtype) -> Any:
    """A constant tensor (no graph) holding ``arr`` as ``dt``."""
    from ..tensor import Tensor

    if isinstance(arr, np.generic):  # NumPy answers 0-d comparisons with scalars
        arr = np.asarray(arr)
    if arr.dtype != dt.np:
        arr = arr.astype(dt.np)
    return Tensor._wrap(arr, dt, None)


def _ext(name: str, *args: Any) -> Any:
    """Call another group's op by name (``exp``, ``abs``, ``sgn``)."""
    op = REGISTRY.get(name)
    if op is None:
        raise UnsupportedError(f"this derivative needs the op '{name}', which is not registered")
    return call(op, args, {})


def _sgn(x: Any) -> Any:
    return _ext("sgn" if "sgn" in REGISTRY else "sign", x)


def _zero_where(x: Any, mask: Any) -> Any:
    """``x.masked_fill(mask, 0)`` for a constant boolean array ``mask`` (differentiable in x)."""
    return call(REGISTRY["_zero_where"], (x, _const(mask, bool_)), {})


_F16 = np.dtype(np.float16)


def _acc(a: Any) -> Any:
    """The accumulation dtype NumPy should use (float16 accumulates in float32, as PyTorch's CPU kernels)."""
    return np.float32 if a.dtype == _F16 else None


def _check_autograd_dtype(x: Any, d: dtype) -> None:
    if not d.is_floating_point and getattr(x, "requires_grad", False) and STATE.grad_enabled:
        raise DTypeError(f"Autograd not support dtype: {d._short}")


def _acc_dtype(x: Any, *_: Any, dtype: Any = None, **__: Any) -> tuple[dtype | None, dtype]:
    """sum, prod, cumsum: integers and bools accumulate in int64; ``dtype=`` computes and returns in it."""
    if dtype is not None:
        d = to_dtype(dtype)
        _check_autograd_dtype(x, d)
        return d, d
    d = x.dtype
    return (None, d) if d.is_floating_point else (int64, int64)


def _int_dim(opname: str, dim: Any, position: int = 2) -> None:
    if type(dim) is not int and as_index(dim) is None:
        raise ArgumentError(f"{opname}(): argument 'dim' (position {position}) must be int, not {type_name(dim)}")


# -- private helper ops ------------------------------------------------------------------

def _zero_where_fwd(xp: Any, input: Any, mask: Any) -> Any:
    return xp.where(mask, xp.zeros((), dtype=input.dtype), input)


defop(
    name="_zero_where", forward=_zero_where_fwd, inputs=("input", "mask"), namespace="tensor",
    shape=broadcast_shapes, dtype=lambda x, m: (None, x.dtype),
    vjp=(lambda g, out, x, m: call(REGISTRY["_zero_where"], (g, m), {}), None),
    grad_fn="MaskedFillBackward0", doc="input with zeros where mask is True (masked_fill(mask, 0)).",
    flops=_reads,
)


def _slice(dim: int, sl: slice) -> tuple[slice, ...]:
    return (slice(None),) * dim + (sl,)


def _prod_others_fwd(xp: Any, input: Any, dim: int) -> Any:
    n = input.shape[dim]
    if n == 0:
        return input.copy()
    ones = xp.ones_like(input[_slice(dim, slice(0, 1))])
    left = xp.cumprod(xp.concatenate([ones, input[_slice(dim, slice(0, n - 1))]], axis=dim), axis=dim)
    rev = xp.flip(input[_slice(dim, slice(1, n))], axis=dim)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, rev], axis=dim), axis=dim), axis=dim)
    return left * right


def _prod_others_grad(h: Any, out: Any, x: Any, dim: int) -> Any:
    # d/dx_j sum_i h_i prod_{k != i} x_k = sum_{i != j} h_i prod_{k not in {i, j}} x_k.
    # Row j of Y is x with x_j replaced by 1; the products of the others along Y's rows
    # are the products leaving out both i and j. O(n^2), like PyTorch's double backward.
    n = x.shape[dim]
    s = tuple(x.shape)
    xp = _xp(x)
    if n <= 1:  # the product of no others is the constant 1
        return _const(xp.zeros(s, dtype=x._data.dtype), x.dtype)
    eye = xp.eye(n, dtype=x._data.dtype).reshape((n, n) + (1,) * (len(s) - dim - 1))
    diag = _const(eye, x.dtype)
    off = _const(1 - eye, x.dtype)
    lifted = s[:dim] + (1,) + s[dim:]
    y = x.reshape(lifted) * off + diag
    return (h.reshape(lifted) * off * _prod_others(y, dim + 1)).sum(dim + 1)


def _prod_others(x: Any, dim: int) -> Any:
    return call(REGISTRY["_prod_others"], (x, dim), {})


defop(
    name="_prod_others", forward=_prod_others_fwd, namespace="tensor", shape=lambda s, dim: tuple(s),
    dtype=same_dtype, vjp=(_prod_others_grad,), grad_fn="ProdOthersBackward0",
    doc="For each element, the product of the other elements along dim (safe with zeros).", flops=_reads,
)


def _reverse_cumsum_fwd(xp: Any, input: Any, dim: int) -> Any:
    return xp.flip(xp.cumsum(xp.flip(input, axis=dim), axis=dim, dtype=_acc(input)), axis=dim)


defop(
    name="_reverse_cumsum", forward=_reverse_cumsum_fwd, namespace="tensor", shape=lambda s, dim: tuple(s),
    dtype=same_dtype, vjp=(lambda g, out, x, dim: g.cumsum(dim),), grad_fn="ReverseCumsumBackward0",
    saves="none", doc="Cumulative sum from the end along dim (cumsum's gradient).", flops=_reads,
)


# -- sum, mean --------------------------------------------------------------------------

_REDUCE_OVERLOADS = (  # sum's, as PyTorch's parser lists them (``ops.overloads``)
    "(Tensor input, *, torch.dtype dtype = None)",
    "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
)
_VAR_OVERLOADS = (
    "(Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, Tensor out = None)",
    "(Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, Tensor out = None)",
    "(Tensor input, bool unbiased = True)",
)


def _no_dim_check(opname: str, dim: Any, keepdim: bool) -> None:
    """PyTorch's overloads of sum, mean and prod: ``keepdim`` comes only with a ``dim``."""
    if keepdim and dim is NOT_GIVEN:  # (``call`` lists the op's overloads, for the call as written)
        raise NoOverloadError(f"{opname}() received an invalid combination of arguments: keepdim without dim")


def _dim_given_name(stem: str) -> Any:
    """The grad_fn name of sum, mean, prod: ``<stem>Backward1`` once a dim is given, even ``dim=None``."""

    def name(x: Any, dim: Any = NOT_GIVEN, keepdim: bool = False, dtype: Any = None) -> str:
        return f"{stem}Backward0" if dim is NOT_GIVEN else f"{stem}Backward1"

    return name


def _sum(xp: Any, input: Any, dim: Any = NOT_GIVEN, keepdim: bool = False, *, dtype: Any = None) -> Any:
    if xp is np and dim is NOT_GIVEN and not keepdim:  # every axis (NumPy's own None), the fewest arguments
        acc = _acc(input)
        return _add_reduce(input, None) if acc is None else _add_reduce(input, None, acc)
    _no_dim_check("sum", dim, keepdim)
    if xp is np:  # what np.sum runs for an ndarray, without its wrappers
        return _add_reduce(input, _dims(dim, input.ndim), _acc(input), None, keepdim)
    return xp.sum(input, axis=_dims(dim, input.ndim), keepdims=keepdim, dtype=_acc(input))


_add_reduce: Any = np.add.reduce


def _reduce_shape(s: Shape, dim: Any = NOT_GIVEN, keepdim: bool = False, **_: Any) -> Shape:
    return reduced_shape(s, _dims(dim, len(s)), keepdim)


def _sum_grad_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    x = ins[0]
    return _sum_backward(np, g, x.shape, _dims(p["dim"], x.ndim), p["keepdim"])


defop(
    name="sum", forward=_sum, method="sum", saves="none", shape=_reduce_shape, dtype=_acc_dtype, dtype_memo=True,
    overloads=_REDUCE_OVERLOADS,
    vjp=(lambda g, out, x, dim, keepdim, dtype: _expand_back(g, x.shape, _dims(dim, x.ndim), keepdim),),
    fast_vjp=(_sum_grad_fast,),
    grad_fn=_dim_given_name("Sum"),
    doc="Sum of the elements over dim (all when dim is None or empty); integers and bools sum in int64.",
    flops=_reads,
)


def _mean(xp: Any, input: Any, dim: Any = NOT_GIVEN, keepdim: bool = False, *, dtype: Any = None) -> Any:
    _no_dim_check("mean", dim, keepdim)
    dims = _dims(dim, input.ndim)
    n = numel([input.shape[d] for d in dims])
    return xp.sum(input, axis=dims, keepdims=keepdim, dtype=_acc(input)) / n


def _mean_dtype(x: Any, *_: Any, dtype: Any = None, **__: Any) -> tuple[dtype | None, dtype]:
    head = "mean(): could not infer output dtype. "
    if dtype is not None:
        d = to_dtype(dtype)
        if not d.is_floating_point:
            raise DTypeError(f"{head}Optional dtype must be either a floating point or complex dtype. Got: {d._short}")
        return d, d
    if not x.dtype.is_floating_point:
        raise DTypeError(f"{head}Input dtype must be either a floating point or complex dtype. Got: {x.dtype._short}")
    return None, x.dtype


def _mean_grad(g: Any, out: Any, x: Any, dim: Any, keepdim: bool, dtype: Any) -> Any:
    dims = _dims(dim, x.ndim)
    return _expand_back(g, x.shape, dims, keepdim) / numel([x.shape[d] for d in dims])


def _mean_grad_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    x = ins[0]
    dims = _dims(p["dim"], x.ndim)
    # the expand, then div's forward (true division by the count)
    return np.true_divide(_sum_backward(np, g, x.shape, dims, p["keepdim"]), numel([x.shape[d] for d in dims]))


defop(
    name="mean", forward=_mean, method="mean", saves="none", shape=_reduce_shape, dtype=_mean_dtype,
    overloads=("(Tensor input, *, torch.dtype dtype = None, Tensor out = None)", _REDUCE_OVERLOADS[1]),
    dtype_memo=True, vjp=(_mean_grad,), fast_vjp=(_mean_grad_fast,),
    grad_fn=_dim_given_name("Mean"),
    doc="Mean of the elements over dim (all when dim is None); floating inputs (or dtype=) only.",
    flops=_reads,
)


# -- prod ---------------------------------------------------------------------------------

def _prod_check(dim: Any, keepdim: bool) -> None:
    if dim is NOT_GIVEN:
        _no_dim_check("prod", dim, keepdim)
        return
    if isinstance(dim, bool) or not isinstance(dim, int):  # one int: not None, not a tuple
        raise DimTypeError(type(dim).__name__, "int")


def _prod(xp: Any, input: Any, dim: Any = NOT_GIVEN, keepdim: bool = False, *, dtype: Any = None) -> Any:
    _prod_check(dim, keepdim)
    dims = _dims(dim, input.ndim)
    return xp.prod(input, axis=dims, keepdims=keepdim)


def _prod_shape(s: Shape, dim: Any = NOT_GIVEN, keepdim: bool = False, dtype: Any = None) -> Shape:
    _prod_check(dim, keepdim)
    return reduced_shape(s, _dims(dim, len(s)), keepdim)


def _prod_grad(g: Any, out: Any, x: Any, dim: Any, keepdim: bool, dtype: Any) -> Any:
    # PyTorch's prod_backward: result / input without zeros, else the products of the others
    if x.ndim == 0:
        return g
    has_zero = bool((x._data == 0).any())
    if dim is NOT_GIVEN:
        if not has_zero:
            return g * (out / x)
        return g * _prod_others(x.reshape(-1), 0).reshape(x.shape)
    d = normalize_dim(dim, x.ndim)
    if not keepdim:
        g = g.reshape(_keep_shape(x.shape, (d,)))
        out = out.reshape(_keep_shape(x.shape, (d,)))
    if not has_zero:
        return g * (out / x)
    return g * _prod_others(x, d)


defop(
    name="prod", forward=_prod, method="prod", saves="both", shape=_prod_shape, dtype=_acc_dtype,
    overloads=(_REDUCE_OVERLOADS[0], _REDUCE_OVERLOADS[1].replace("tuple of ints dim", "int dim")),
    vjp=(_prod_grad,),
    grad_fn=_dim_given_name("Prod"),
    doc="Product of all elements, or over one dim; the gradient is exact with zeros in the input.",
    flops=_reads,
)


# -- amax, amin, max, min ------------------------------------------------------------------

def _extremum_dims(opname: str, shape: Shape, dim: Any) -> tuple[int, ...]:
    dims = _dims(dim, len(shape))
    if numel(shape) == 0:
        raw = () if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
        if not raw:
            raise ShapeError(
                f"{opname}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        for r in raw:
            if shape[normalize_dim(r, len(shape))] == 0:
                raise IndexError_(f"{opname}(): Expected reduction dim {r} to have non-zero size.")
    return dims


def _scale_grad_by_count(g: Any, out: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    # PyTorch: (grad / mask.sum(dim, true)) * mask, mask = (result == self): ties share evenly
    dims = _dims(dim, x.ndim)
    g = _restore(g, x.shape, dims, keepdim)
    res = out._data if keepdim or not dims else out._data.reshape(_keep_shape(x.shape, dims))
    mask = res == x._data
    count = mask.sum(axis=dims, keepdims=True)
    return (g / _const(count, g.dtype)) * _const(mask, bool_)


def _amax_op(name: str) -> None:
    def forward(xp: Any, input: Any, dim: Any = (), keepdim: bool = False) -> Any:
        return getattr(xp, name)(input, axis=_extremum_dims(name, input.shape, dim), keepdims=keepdim)

    defop(
        name=name, forward=forward, method=name, saves="both",
        shape=lambda s, dim=(), keepdim=False: reduced_shape(s, _extremum_dims(name, s, dim), keepdim),
        dtype=same_dtype, vjp=(_scale_grad_by_count,),
        grad_fn="AmaxBackward0" if name == "amax" else "AminBackward0",
        doc=f"The {'largest' if name == 'amax' else 'smallest'} values over dim (all when empty); "
        "the gradient is shared evenly among ties.",
        flops=_reads,
    )


_amax_op("amax")
_amax_op("amin")


# PyTorch's overloads of torch.max/min (``route`` takes the last two in engine.max and x.max)
_EXTREMUM_OVERLOADS = (
    "(Tensor input, *, Tensor out = None)",
    "(Tensor input, Tensor other, *, Tensor out = None)",
    "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
)


def _whole_check(opname: str, shape: Shape, dim: Any, keepdim: bool) -> None:
    if dim is not None:
        if hasattr(dim, "shape"):
            raise UnsupportedError(
                f"{opname}(input, other) is not carried by the engine; use torch.{opname}imum(input, other)"
            )
        if as_index(dim) is None or not isinstance(keepdim, bool):
            raise NoOverloadError(f"{opname}() received an invalid combination of arguments")
        raise UnsupportedError(
            f"{opname}(input, dim) returns (values, indices), which the engine does not carry; "
            f"use torch.a{opname}(input, dim, keepdim) for the values"
        )
    if keepdim:  # (no dim: no overload takes a keepdim)
        raise NoOverloadError(f"{opname}() received an invalid combination of arguments")
    if numel(shape) == 0:
        raise ShapeError(
            f"{opname}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )


def _evenly_distribute(g: Any, out: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    # PyTorch's evenly_distribute_backward: grad / count where input == value (or isnan(input) if value is NaN)
    xp = _xp(x)
    value = out._data
    mask = xp.isnan(x._data) if x.dtype.is_floating_point and bool(xp.isnan(value)) else x._data == value
    count = int(mask.sum())
    return _zero_where((g / count).expand(x.shape), ~mask)


def _whole_op(name: str) -> None:
    def forward(xp: Any, input: Any, dim: Any = None, keepdim: bool = False) -> Any:
        _whole_check(name, input.shape, dim, keepdim)
        return getattr(xp, name)(input)

    def shape(s: Shape, dim: Any = None, keepdim: bool = False) -> Shape:
        _whole_check(name, s, dim, keepdim)
        return ()

    defop(
        name=name, forward=forward, method=name, saves="both", shape=shape, dtype=same_dtype,
        vjp=(_evenly_distribute,), grad_fn=f"{name.capitalize()}Backward1", route=_route(name),
        overloads=_EXTREMUM_OVERLOADS,
        doc=f"The {'largest' if name == 'max' else 'smallest'} element of the whole tensor (NaN if any); "
        "the gradient is shared evenly among ties. With dim (values and indices) it is not carried.",
        flops=_reads,
    )


# max(input, dim) and min(input, dim): (values, indices) -----------------------------------

def _scatter_back(xp: Any, grad: Any, dim: int, index: Any, shape: Shape) -> Any:
    if not shape:  # (a 0-d input: its one element, at index 0)
        return grad.copy()
    out = xp.zeros(tuple(shape), dtype=grad.dtype)
    xp.put_along_axis(out, xp.asarray(index), grad, axis=dim)
    return out


def _gather(xp: Any, input: Any, dim: int, index: Any) -> Any:
    if input.ndim == 0:
        return input.copy()
    return xp.take_along_axis(input, xp.asarray(index), axis=dim)


# the gradient of a value-selecting op (``max(input, dim)``, ``sort``, ``topk``) and its own derivative, as PyTorch's
_GATHER: Any
_SCATTER_BACK = defop(
    name="_scatter_back", forward=_scatter_back, inputs=("grad",), namespace="tensor", saves="none",
    shape=lambda g, dim, index, shape: tuple(shape), dtype=same_dtype, grad_fn="ScatterBackward0",
    vjp=(lambda h, out, g, dim, index, shape: call(_GATHER, (h,), {"dim": dim, "index": index}),),
    doc="grad put at index along dim into zeros of shape (the gradient of max(input, dim), sort, topk).",
)
_GATHER = defop(
    name="_gather", forward=_gather, inputs=("input",), namespace="tensor", saves="none",
    shape=lambda s, dim, index: tuple(np.shape(index)), dtype=same_dtype, grad_fn="GatherBackward0",
    vjp=(lambda h, out, x, dim, index: call(_SCATTER_BACK, (h,), {"dim": dim, "index": index, "shape": x.shape}),),
    doc="input read at index along dim (the derivative of _scatter_back).",
)


def _along_dim(opname: str, shape: Shape, dim: Any) -> int:
    """The one dim ``max(input, dim)`` reduces, with PyTorch's refusals (0-d tensors take 0 and -1)."""
    d = normalize_dim(dim, len(shape))
    if shape and shape[d] == 0:
        raise IndexError_(f"{opname}(): Expected reduction dim {d} to have non-zero size.")
    return d


def _along_op(name: str) -> tuple[Any, Any]:
    """The values (differentiable: the gradient goes to the index, as PyTorch's ``MaxBackward0``) and the
    indices (the first of ties and of NaNs, as PyTorch's) of ``max``/``min`` over one dim."""
    arg = "argmax" if name == "max" else "argmin"

    def values(xp: Any, input: Any, dim: Any, keepdim: bool = False, index: Any = None) -> Any:
        return getattr(xp, name)(input, axis=_along_dim(name, input.shape, dim) if input.ndim else None,
                                 keepdims=keepdim and input.ndim > 0)

    def indices(xp: Any, input: Any, dim: Any, keepdim: bool = False) -> Any:
        if not input.ndim:
            _along_dim(name, (), dim)
            return xp.zeros((), dtype=np.int64)
        return getattr(xp, arg)(input, axis=_along_dim(name, input.shape, dim), keepdims=keepdim).astype(np.int64)

    def shape(s: Shape, dim: Any, keepdim: bool = False, index: Any = None) -> Shape:
        return reduced_shape(s, (_along_dim(name, s, dim),), keepdim) if s else ()

    def grad(g: Any, out: Any, x: Any, dim: Any, keepdim: bool = False, index: Any = None) -> Any:
        if not x.ndim:  # (PyTorch scatters a 0-d input's gradient too: ScatterBackward0 under create_graph)
            return call(_SCATTER_BACK, (g,), {"dim": 0, "index": np.zeros((), dtype=np.int64), "shape": ()})
        d = _along_dim(name, x.shape, dim)
        at = index._data if keepdim else _xp(index).expand_dims(index._data, d)
        # PyTorch's value_selecting_reduction_backward: the gradient scattered to the saved indices
        return call(_SCATTER_BACK, (g if keepdim else g.unsqueeze(d),), {"dim": d, "index": at, "shape": x.shape})

    # the values save the indices (the tensor returned beside them, a param: a write into it is caught), not
    # the input, as PyTorch's MaxBackward0: the input may be written in place after
    values_op = defop(
        name=f"_{name}_values", forward=values, inputs=("input",), namespace="tensor", saves="none", shape=shape,
        dtype=same_dtype, vjp=(grad,), grad_fn=f"{name.capitalize()}Backward0",
        doc=f"The values of {name}(input, dim, keepdim): the gradient goes to the first of ties.", flops=_reads,
    )
    indices_op = defop(
        name=f"_{name}_indices", forward=indices, inputs=("input",), namespace="tensor", saves="none", shape=shape,
        dtype=lambda x, dim, keepdim=False: (None, int64), vjp=None, grad_fn="",
        doc=f"The indices of {name}(input, dim, keepdim): the first of ties and of NaNs.", flops=_reads,
    )
    return values_op, indices_op


def _route(name: str) -> Any:
    """PyTorch's other overloads of ``torch.max``/``min`` (and the methods): ``(input, other)`` is
    ``maximum``/``minimum``; ``(input, dim, keepdim=False)`` is ``return_types.max(values, indices)``.
    None: the whole-tensor op's call (or its refusal)."""
    values_op, indices_op = _along_op(name)

    def route(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
        from .. import return_types
        from ..tensor import Tensor

        rest = args[1:]
        if (rest and isinstance(rest[0], Tensor)) or "other" in kwargs:
            return call(REGISTRY[f"{name}imum"], args, kwargs)
        dim = rest[0] if rest else kwargs.get("dim")
        keepdim = rest[1] if len(rest) > 1 else kwargs.get("keepdim", False)
        if dim is None and (rest or "dim" in kwargs):  # (a dim of None fits no overload: not the whole tensor)
            from .overloads import invalid_combination

            raise NoOverloadError(invalid_combination(REGISTRY[name], args, kwargs, method))
        if dim is None or as_index(dim) is None or not isinstance(keepdim, bool) or len(rest) > 2:
            return None
        if set(kwargs) - {"input", "dim", "keepdim"}:
            return None
        x = args[0] if args else kwargs.get("input")
        params = {"dim": as_index(dim), "keepdim": keepdim}
        indices = call(indices_op, (x,), params)
        return getattr(return_types, name)(call(values_op, (x,), {**params, "index": indices}), indices)

    return route


_whole_op("max")
_whole_op("min")


# -- var, std --------------------------------------------------------------------------------

def _var_args(opname: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, float]:
    """Resolve PyTorch's two signatures: (dim, unbiased, keepdim) and (dim, *, correction, keepdim)."""
    if unbiased is not None and not isinstance(unbiased, bool):
        raise NoOverloadError(f"{opname}() received an invalid combination of arguments: unbiased is not a bool")
    if isinstance(dim, bool):  # var(input, unbiased)
        if unbiased is not None:
            raise NoOverloadError(f"{opname}() received an invalid combination of arguments: unbiased twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise NoOverloadError(
            f"{opname}() received an invalid combination of arguments: unbiased and correction cannot both be given"
        )
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def _var_core(xp: Any, input: Any, dims: tuple[int, ...], correction: float, keepdim: bool) -> Any:
    n = numel([input.shape[d] for d in dims])
    acc = _acc(input)
    mean = xp.sum(input, axis=dims, keepdims=True, dtype=acc) / n
    dev = input - mean
    ss = xp.sum(dev * dev, axis=dims, keepdims=keepdim, dtype=acc)
    return ss / max(0, n - correction)


def _var_dtype(x: Any, *_: Any, **__: Any) -> tuple[None, dtype]:
    if not x.dtype.is_floating_point:
        raise DTypeError("std and var only support floating point and complex dtypes")
    return None, x.dtype


def _var_shape(s: Shape, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
               correction: Any = None, _op: str = "var") -> Shape:
    dim, _ = _var_args(_op, dim, unbiased, correction)
    return reduced_shape(s, _dims(dim, len(s)), keepdim)


def _var(xp: Any, input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
         correction: Any = None) -> Any:
    dim, correction = _var_args("var", dim, unbiased, correction)
    return _var_core(xp, input, _dims(dim, input.ndim), correction, keepdim)


def _std(xp: Any, input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
         correction: Any = None) -> Any:
    dim, correction = _var_args("std", dim, unbiased, correction)
    return xp.sqrt(_var_core(xp, input, _dims(dim, input.ndim), correction, keepdim))


def _var_backward(g: Any, x: Any, dim: Any, correction: float, keepdim: bool) -> Any:
    # PyTorch's var_backward, branch for branch (including its inf/NaN at dof <= 0)
    if x.ndim == 0 or dim is None:
        dof = x.numel() - correction
        if dof <= 0:
            xp = _xp(x)
            with np.errstate(all="ignore"):
                data = x._data
                c = xp.where(data == xp.mean(data), math.nan, math.inf)
            return g * _const(c, g.dtype)
        return (2.0 / dof) * g * (x - x.mean())
    raw = _raw_dims(dim, x.ndim)
    if not keepdim and x.ndim > 1:
        g = _restore(g, x.shape, raw, keepdim)
    den = numel([x.shape[d] for d in raw]) - correction
    scale = 2.0 / den if den != 0 else math.inf
    return scale * g * (x - x.mean(_dims(dim, x.ndim), keepdim=True))


def _var_grad(g: Any, out: Any, x: Any, dim: Any, unbiased: Any, keepdim: bool, correction: Any) -> Any:
    dim, correction = _var_args("var", dim, unbiased, correction)
    return _var_backward(g, x, dim, correction, keepdim)


def _std_grad(g: Any, out: Any, x: Any, dim: Any, unbiased: Any, keepdim: bool, correction: Any) -> Any:
    # PyTorch: var_backward((grad / (result * 2)).masked_fill_(result == 0, 0), ...): 0 at zero spread
    dim, correction = _var_args("std", dim, unbiased, correction)
    gv = _zero_where(g / (out * 2), out._data == 0)
    return _var_backward(gv, x, dim, correction, keepdim)


defop(
    name="var", forward=_var, method="var", saves="inputs", shape=_var_shape, dtype=_var_dtype,
    vjp=(_var_grad,), grad_fn="VarBackward0", overloads=_VAR_OVERLOADS,
    doc="Variance over dim with Bessel's correction (correction=1; unbiased=False is correction=0).",
    flops=_reads,
)
defop(
    name="std", forward=_std, method="std", saves="both",
    shape=lambda s, dim=None, unbiased=None, keepdim=False, *, correction=None: _var_shape(
        s, dim, unbiased, keepdim, correction=correction, _op="std"
    ),
    dtype=_var_dtype, vjp=(_std_grad,), grad_fn="StdBackward0", overloads=_VAR_OVERLOADS,
    doc="Standard deviation over dim (sqrt of var; its gradient is 0 where the spread is 0).",
    flops=_reads,
)


# -- logsumexp --------------------------------------------------------------------------------

def _lse_dims(shape: Shape, dim: Any, keepdim: bool) -> tuple[int, ...]:
    if dim is None:
        raise DimTypeError("NoneType")
    dims = _dims(dim, len(shape))
    if len(shape) and not _raw_dims(dim, len(shape)) and not keepdim and numel(shape) != 0:
        # PyTorch adds the keepdim max to a 0-d result here and fails
        raise ShapeError(f"output with shape [] doesn't match the broadcast shape [{', '.join('1' * len(shape))}]")
    return dims


def _logsumexp(xp: Any, input: Any, dim: Any, keepdim: bool = False) -> Any:
    dims = _lse_dims(input.shape, dim, keepdim)
    if input.size == 0:
        return xp.log(xp.sum(xp.exp(input), axis=dims, keepdims=keepdim))
    m = xp.amax(input, axis=dims, keepdims=True)
    m = xp.where(xp.isinf(m), xp.zeros((), dtype=m.dtype), m)
    s = xp.log(xp.sum(xp.exp(input - m), axis=dims, keepdims=keepdim))
    return s + (m if keepdim else m.reshape(s.shape))


def _lse_grad(g: Any, out: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    # PyTorch: grad * (self - result).exp(), both unsqueezed
    if not keepdim and x.ndim != 0:
        raw = _raw_dims(dim, x.ndim)
        g = _restore(g, x.shape, raw, False)
        out = _restore(out, x.shape, raw, False)
    return g * _ext("exp", x - out)


def _lse_dtype(x: Any, *_: Any, **__: Any) -> tuple[dtype, dtype]:
    d = float_result(x.dtype)
    return d, d


defop(
    name="logsumexp", forward=_logsumexp, method="logsumexp", saves="both",
    shape=lambda s, dim, keepdim=False: reduced_shape(s, _lse_dims(s, dim, keepdim), keepdim),
    dtype=_lse_dtype, vjp=(_lse_grad,), grad_fn="LogsumexpBackward0",
    doc="log(sum(exp(input))) over dim, computed stably (max subtracted; -inf and inf handled).",
    flops=_reads,
)


# -- norm ---------------------------------------------------------------------------------------

def _norm_ord(p: Any, dim: Any) -> float:
    """torch.norm's p as linalg.vector_norm's order ('fro' is 2); matrix norms are not carried."""
    if p is None:
        return 2.0
    if isinstance(p, str):
        if p == "fro":
            if dim is None or isinstance(dim, int) or len(dim) <= 2:
                return 2.0
            raise ShapeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        if p == "nuc":
            raise UnsupportedError("norm(p='nuc'): the nuclear norm (a matrix norm) is not carried by the engine")
        raise UnsupportedError(f"linalg.matrix_norm: Order {p} not supported.")
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise ArgumentError(f"norm(): argument 'p' must be a number or a string, not {type_name(p)}")
    return float(p)


def _fmt(p: float) -> str:
    return f"{p:g}"


def _norm_dims(shape: Shape, order: float, dim: Any) -> tuple[int, ...]:
    dims = _dims(dim, len(shape))
    if numel(shape) == 0 and (order < 0 or math.isinf(order)):
        raw = () if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
        if not raw:
            raise ShapeError(
                f"linalg.vector_norm cannot compute the {_fmt(order)} norm on an empty tensor because the "
                "operation does not have an identity"
            )
        for r in raw:
            if shape[normalize_dim(r, len(shape))] == 0:
                raise ShapeError(
                    f"linalg.vector_norm cannot compute the {_fmt(order)} norm on the dimension {r}because this "
                    "dimension is empty and the operation does not have an identity"
                )
    return dims


def _norm_out(out: Any) -> None:
    if out is not None:
        raise UnsupportedError("norm(out=...): out= tensors are not carried by the engine")


def _norm(xp: Any, input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None,
          dtype: Any = None) -> Any:
    _norm_out(out)
    order = _norm_ord(p, dim)
    dims = _norm_dims(input.shape, order, dim)
    acc = _acc(input)
    if order == 0:
        return xp.sum(input != 0, axis=dims, keepdims=keepdim).astype(input.dtype)
    a = xp.abs(input)
    if math.isinf(order):
        return (xp.amax if order > 0 else xp.amin)(a, axis=dims, keepdims=keepdim)
    if order == 1:
        return xp.sum(a, axis=dims, keepdims=keepdim, dtype=acc)
    if order == 2:
        return xp.sqrt(xp.sum(input * input, axis=dims, keepdims=keepdim, dtype=acc))
    return xp.power(xp.sum(xp.power(a, order), axis=dims, keepdims=keepdim, dtype=acc), 1.0 / order)


def _norm_shape(s: Shape, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None,
                dtype: Any = None) -> Shape:
    _norm_out(out)
    return reduced_shape(s, _norm_dims(s, _norm_ord(p, dim), dim), keepdim)


def _norm_dtype(x: Any, *_: Any, dtype: Any = None, **__: Any) -> tuple[dtype, dtype]:
    if not x.dtype.is_floating_point:
        raise DTypeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {x.dtype._short}"
        )
    if dtype is None:
        return x.dtype, x.dtype
    d = to_dtype(dtype)
    if not d.is_floating_point:
        raise DTypeError(f"linalg.vector_norm: dtype should be floating point or complex, but got {d._short}")
    if d.itemsize < x.dtype.itemsize:
        raise DTypeError(
            f"linalg.vector_norm: the dtype of the input ({x.dtype._short}) should be convertible without "
            f"narrowing to the specified dtype ({d._short})"
        )
    return d, d


def _norm_grad(g: Any, norm: Any, x: Any, p: Any, dim: Any, keepdim: bool, out: Any, dtype: Any) -> Any:
    # PyTorch's norm_backward (linalg_vector_norm_backward), case for case
    order = _norm_ord(p, dim)
    if not keepdim and x.ndim != 0:
        raw = _raw_dims(dim, x.ndim)
        g = _restore(g, x.shape, raw, False)
        norm = _restore(norm, x.shape, raw, False)
    if order == 0:
        return None
    if order == 1:
        return _sgn(x) * g
    if order == 2:
        return g * _zero_where(x / norm, norm._data == 0)
    xp = _xp(x)
    if math.isinf(order):
        a = xp.abs(x._data)
        mask = (a == norm._data) | xp.isnan(a)
        count = mask.sum(axis=_dims(dim, x.ndim), keepdims=True)
        return _sgn(x) * ((g / _const(count, g.dtype)) * _const(mask, bool_))
    if order < 1:
        scaled = _sgn(x) * _zero_where(_ext("abs", x).pow(order - 1), x._data == 0)
        return scaled * g * norm.pow(1 - order)
    scaled = _sgn(x) * _ext("abs", x).pow(order - 1) if order < 2 else x * _ext("abs", x).pow(order - 2)
    return scaled * _zero_where(g / norm.pow(order - 1), norm._data == 0)


defop(
    name="norm", forward=_norm, method="norm", saves="both", shape=_norm_shape, dtype=_norm_dtype,
    vjp=(_norm_grad,), grad_fn="LinalgVectorNormBackward0",
    doc="The vector p-norm over dim (all when None): p = 'fro'/2, 1, inf, -inf, 0 or any float "
    "(torch.norm as linalg.vector_norm; matrix norms such as 'nuc' are not carried).",
    flops=_reads,
)


# -- cumsum -----------------------------------------------------------------------------------

def _cumsum(xp: Any, input: Any, dim: Any, *, dtype: Any = None) -> Any:
    _int_dim("cumsum", dim)
    d = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return input.copy()
    return xp.cumsum(input, axis=d, dtype=_acc(input))


def _cumsum_shape(s: Shape, dim: Any, *, dtype: Any = None) -> Shape:
    _int_dim("cumsum", dim)
    normalize_dim(dim, len(s))
    return tuple(s)


def _cumsum_grad(g: Any, out: Any, x: Any, dim: Any, dtype: Any) -> Any:
    # PyTorch: cumsum_backward(grad.to(self.scalar_type()), dim): a reversed cumsum
    if g.dtype is not x.dtype:
        g = g.to(x.dtype)
    if x.ndim == 0:
        return g
    d = normalize_dim(dim, x.ndim)
    if numel(g.shape) <= 1 or g.shape[d] == 1:
        return g
    return call(REGISTRY["_reverse_cumsum"], (g, d), {})


defop(
    name="cumsum", forward=_cumsum, method="cumsum", saves="none", shape=_cumsum_shape, dtype=_acc_dtype,
    vjp=(_cumsum_grad,), grad_fn="CumsumBackward0",
    doc="Cumulative sum along dim; integers and bools sum in int64.", flops=_reads,
)

