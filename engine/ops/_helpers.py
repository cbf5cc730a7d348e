"""Shared pieces of op entries: shape rules, dtype rules, dims, and the one ``sum_to``."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..dtypes import bool_, dtype, float_result, int64, result_type
from ..errors import DTypeNotImplementedError, IndexError_, ShapeError, type_name

if TYPE_CHECKING:
    from ..tensor import Tensor

Shape = tuple[int, ...]


# -- dims -------------------------------------------------------------------------

def as_index(value: Any) -> int | None:
    """``value`` as the int PyTorch's argument parser reads it as (an ``int`` argument, a dim), else
    None: a Python int, a NumPy integer, a one-element integer tensor, anything with ``__index__``,
    but never a bool (nor a float, though NumPy's and others' may have ``__index__``)."""
    if type(value) is int:
        return value
    if isinstance(value, (bool, float, complex, str, np.bool_, np.floating)) or value is None:
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def normalize_dim(dim: int, ndim: int) -> int:
    """A dim in ``[-ndim, ndim)`` as a non-negative index (0-d tensors accept -1 and 0)."""
    if type(dim) is not int:
        index = as_index(dim)
        if index is None:
            raise IndexError_(f"dim must be an int, got {type_name(dim)}")
        dim = index
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= dim <= hi:
        raise IndexError_(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        )
    return dim % ndim if ndim else 0


def normalize_dims(dims: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """Dims of a reduction: None means all; duplicates are an error, as in PyTorch."""
    if dims is None:
        return tuple(range(ndim))
    listed: Sequence[Any] = dims if isinstance(dims, (tuple, list)) else (dims,)
    out = tuple(normalize_dim(d, ndim) for d in listed)
    seen: set[int] = set()
    for d in out:
        if d in seen:
            raise ShapeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return out


def reduced_shape(shape: Shape, dims: tuple[int, ...], keepdim: bool) -> Shape:
    """The shape left after reducing ``dims``."""
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


# -- Python numbers as 0-d arrays --------------------------------------------------

_NUMBER_TYPES = (float, int, bool)
_NUMBER_ARRAYS: dict[Any, dict[Any, Any]] = {}  # NumPy float dtype -> {number: read-only 0-d array}
_NUMBER_ARRAYS_PER_DTYPE = 256


def number_array(value: Any, dt: Any) -> Any:
    """A Python number as a read-only 0-d array of NumPy float dtype ``dt`` (memoised), else ``value``.

    A NumPy ufunc converts a Python number that meets a float array to the array's dtype
    (NEP 50): given that 0-d array instead it computes the same, bit for bit, and skips the
    conversion, which costs more than the arithmetic on a small array. Anything but a plain
    Python number, a non-float ``dt``, zeros (``0.0`` and ``-0.0`` are one key), NaN (never
    equal to itself), a number the dtype cannot take, and new numbers once the dtype's memo is
    full come back as they are.
    """
    kind = type(value)
    if kind is float or kind is int or kind is bool:  # (not NumPy scalars: equal keys, other promotion)
        try:  # (subscripts: cheaper than .get once compiled)
            return _NUMBER_ARRAYS[dt][value]
        except KeyError:
            pass
    memo = _NUMBER_ARRAYS.get(dt)
    if (type(value) not in _NUMBER_TYPES or value == 0 or value != value
            or getattr(dt, "kind", None) != "f"):
        return value
    if memo is None:
        memo = _NUMBER_ARRAYS.setdefault(dt, {})
    if len(memo) >= _NUMBER_ARRAYS_PER_DTYPE:
        return value
    with np.errstate(all="ignore"):  # (1e300 in float32 is inf, as NumPy's own conversion gives)
        try:
            arr = np.array(value, dt)
        except (OverflowError, ValueError, TypeError):  # (an int beyond float64)
            return value
    arr.flags.writeable = False
    memo[value] = arr
    return arr


# -- shape rules ------------------------------------------------------------------

def broadcast_shapes(*shapes: Shape | None, **_: Any) -> Shape:
    """PyTorch's broadcasting, with its error words for shapes that do not fit."""
    real = [s for s in shapes if s is not None]
    if len(real) == 1:
        return tuple(real[0])
    out: list[int] = list(real[0]) if real else []
    for s in real[1:]:
        # PyTorch folds operands pairwise (the shape so far is a, the next operand b) and
        # checks each pair from the last dim, naming the dim within that pair
        ndim = max(len(out), len(s))
        a = [1] * (ndim - len(out)) + out
        b = [1] * (ndim - len(s)) + list(s)
        for j in range(ndim - 1, -1, -1):
            if a[j] == b[j] or b[j] == 1:
                continue
            if a[j] == 1:
                a[j] = b[j]
                continue
            raise ShapeError(
                f"The size of tensor a ({a[j]}) must match the size of tensor b ({b[j]}) "
                f"at non-singleton dimension {j}"
            )
        out = a
    return tuple(out)


def same_shape(shape: Shape, *_: Any, **__: Any) -> Shape:
    """The output has its (first) input's shape."""
    return tuple(shape)


# -- dtype rules ------------------------------------------------------------------

def promote(*ins: Any, **_: Any) -> tuple[dtype, dtype]:
    """Arithmetic: compute in and return the promoted dtype."""
    d = result_type(*(x for x in ins if x is not None))
    return d, d


def promote_float(*ins: Any, **_: Any) -> tuple[dtype, dtype]:
    """True division and friends: integers promote to the default float."""
    d = float_result(result_type(*(x for x in ins if x is not None)))
    return d, d


def compare(*ins: Any, **_: Any) -> tuple[dtype, dtype]:
    """Comparisons: compute in the promoted dtype, return bool."""
    return result_type(*ins), bool_


def unary_float(x: Any, *_: Any, **__: Any) -> tuple[dtype, dtype]:
    """``exp``-like ops: integers and bools compute in the default float."""
    d = float_result(x.dtype)
    return d, d


def is_tensor_like(x: Any) -> bool:
    """An engine tensor or the planner's meta of one (NumPy arrays and scalars have NumPy dtypes)."""
    return isinstance(getattr(x, "dtype", None), dtype)


def same_dtype(x: Any, *_: Any, **__: Any) -> tuple[None, dtype]:
    """The output keeps the input's dtype; no cast."""
    return None, x.dtype


def floating_only(opname: str) -> Any:
    """A dtype rule that refuses non-floating inputs with PyTorch's words."""

    def rule(x: Any, *_: Any, **__: Any) -> tuple[None, dtype]:
        if not x.dtype.is_floating_point:
            raise DTypeNotImplementedError(f'"{opname}" not implemented for \'{x.dtype._short}\'')
        return None, x.dtype

    return rule


def sum_dtype(x: Any, *_: Any, dtype: dtype | None = None, **__: Any) -> tuple[dtype | None, dtype]:
    """Sum-like reductions: integers and bools accumulate in int64."""
    if dtype is not None:
        return dtype, dtype
    d = x.dtype
    return (None, d) if d.is_floating_point else (int64, int64)


# -- gradients --------------------------------------------------------------------

def sum_to(g: Tensor, shape: Shape) -> Tensor:
    """Sum ``g`` over the dims broadcasting added, back to ``shape`` (differentiable)."""
    lead = g.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if dims:
        g = g.sum(dims, keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


_F16 = np.dtype(np.float16)


def sum_to_array(a: Any, shape: Shape) -> Any:
    """``sum_to`` on a NumPy array, as its engine ops compute it (``sum`` accumulates float16 in
    float32 and rounds once; the result keeps ``a``'s dtype), for a pass that records no graph."""
    lead = a.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1
    )
    if dims:
        s = np.add.reduce(a, axis=dims, dtype=np.float32 if a.dtype == _F16 else None, keepdims=True)
        if type(s) is not np.ndarray:
            s = np.asarray(s)
        a = s if s.dtype == a.dtype else s.astype(a.dtype)
    if lead:
        a = a.reshape(shape)
    return a


def numel(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
