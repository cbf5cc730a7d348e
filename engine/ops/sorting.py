"""Sorting and selecting: sort, argsort, topk, nonzero, and ``torch.where(condition)``.

``sort`` and ``topk`` return ``return_types.sort``/``topk(values, indices)``, so they are functions of the
engine and methods of tensors (``TUPLE_FUNCTIONS``, ``TUPLE_METHODS``), not registry entries: their indices
are the registry ops ``argsort`` and ``_topk_indices``, their values ``_take_along`` (named ``SortBackward0``,
``SortBackward1`` or ``TopkBackward0``), whose gradient is PyTorch's ``value_selecting_reduction_backward``:
scattered to the indices (``ScatterBackward0``), and that again gathered (``GatherBackward0``). ``nonzero`` is
a registry op (the ``(n, ndim)`` tensor); ``as_tuple=True`` and ``where(condition)`` are routes to its columns.

The order is that of PyTorch's CPU kernels. NaN is the largest value (last ascending, first descending,
kept by topk's ``largest``); ``-0.0`` ties with ``0.0``. Where values tie, the order depends on the
algorithm: ``stable=True`` keeps ties in their order (``std::stable_sort``), and so does ``stable=False``
for a dim of at most 16 (``std::sort`` insertion-sorts those) or a 1-d integer tensor of 32768 elements or
more sorted ascending (fbgemm's radix sort); an expanded dim (stride 0) is left as it is. Otherwise
``stable=False`` runs ``std::sort`` and topk ``std::nth_element``/``std::partial_sort``, which leave ties
in an order of their own: rows with such ties are ordered by ``_Introsort``, libstdc++'s algorithms step
for step (PyTorch's Linux builds are GCC's; a build on libc++ or with x86-simd-sort would order ties
otherwise), every other row by NumPy; so are all rows of a call whose tied rows hold more than
``_EMULATED_MAX`` elements (the emulation is Python: its cost is bounded, the order of ties then NumPy's).
On CuPy arrays the order is found on the host, as on the CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np

from .. import backend
from ..dtypes import bool_, int64
from ..dtypes import dtype as DType
from ..errors import ArgumentError, DTypeError, NoOverloadError, ShapeError, UnsupportedError, type_name
from ._helpers import as_index, is_tensor_like, normalize_dim, numel, same_dtype
from .overloads import invalid_combination
from .reductions import _SCATTER_BACK, _gather
from .registry import REGISTRY, Op, call, defop, reword_for_call
from .shape import unbind

Shape = tuple[int, ...]

_SMALL = 16  # libstdc++'s _S_threshold: std::sort insertion-sorts (stably) what is no longer than this
_RADIX_MIN = 32768  # at::internal::GRAIN_SIZE: from this size PyTorch radix-sorts a 1-d integer tensor (stably)
_PARTIAL = 64  # topk takes std::partial_sort (always sorted) where k * 64 <= the dim's size
# at most this many elements (tied rows times their length) are ordered by _Introsort in one call (~0.2 s of
# Python); a call with more keeps NumPy's stable order for its ties (PyTorch leaves the order of ties unspecified
# where stable=False): its cost stays NumPy's, whatever the input (a service request can ask for 1e7 elements)
_EMULATED_MAX = 1 << 16


def _reads(s: Shape, *_: Any, **__: Any) -> float:
    """Cost estimate: the elements read."""
    return float(numel(s))


# -- the order of ties: GCC's algorithms, step for step ---------------------------------------

class _Introsort:
    """libstdc++'s ``std::sort``, ``std::nth_element`` and ``std::partial_sort`` (GCC's, which PyTorch's Linux
    builds run) on ``(key, index)`` pairs compared by key with ``<``: where keys tie, the order they leave
    is theirs alone, so it is reproduced move for move. Used only for rows with ties."""

    def __init__(self, keys: list[Any]) -> None:
        self.a = [(key, i) for i, key in enumerate(keys)]

    def sort(self) -> list[int]:
        """``std::sort``: introsort to runs of 16, then one insertion sort."""
        n = len(self.a)
        if n:
            self._introsort(0, n, 2 * (n.bit_length() - 1))
            if n > _SMALL:
                self._insertion_sort(0, _SMALL)
                for i in range(_SMALL, n):
                    self._linear_insert(i)
            else:
                self._insertion_sort(0, n)
        return [i for _, i in self.a]

    def topk(self, k: int, sorted: bool) -> list[int]:  # noqa: A002 - PyTorch's name
        """PyTorch's ``topk_impl_loop``: ``partial_sort`` where ``k * 64 <= n``, else ``nth_element`` at
        ``k - 1`` and (when sorted) ``sort`` of the ``k - 1`` before it."""
        n = len(self.a)
        if k * _PARTIAL <= n:
            self._heap_select(0, k, n)
            self._sort_heap(0, k)
        else:
            self._nth_element(0, k - 1, n)
            if sorted:
                self._sort_range(0, k - 1)
        return [i for _, i in self.a[:k]]

    def _sort_range(self, first: int, last: int) -> None:
        if last - first:
            self._introsort(first, last, 2 * ((last - first).bit_length() - 1))
            if last - first > _SMALL:
                self._insertion_sort(first, first + _SMALL)
                for i in range(first + _SMALL, last):
                    self._linear_insert(i)
            else:
                self._insertion_sort(first, last)

    def _introsort(self, first: int, last: int, depth: int) -> None:
        while last - first > _SMALL:
            if depth == 0:  # (too many bad pivots: heapsort the rest)
                self._heap_select(first, last, last)
                self._sort_heap(first, last)
                return
            depth -= 1
            cut = self._partition_pivot(first, last)
            self._introsort(cut, last, depth)
            last = cut

    def _nth_element(self, first: int, nth: int, last: int) -> None:
        if first == last or nth == last:
            return
        depth = 2 * ((last - first).bit_length() - 1)
        while last - first > 3:
            if depth == 0:
                self._heap_select(first, nth + 1, last)
                a = self.a
                a[first], a[nth] = a[nth], a[first]
                return
            depth -= 1
            cut = self._partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self._insertion_sort(first, last)

    def _partition_pivot(self, first: int, last: int) -> int:
        """The median of the second, middle and last element moved to first, then Hoare's partition."""
        a = self.a
        x, y, z = first + 1, first + (last - first) // 2, last - 1
        if a[x][0] < a[y][0]:
            m = y if a[y][0] < a[z][0] else z if a[x][0] < a[z][0] else x
        else:
            m = x if a[x][0] < a[z][0] else z if a[y][0] < a[z][0] else y
        a[first], a[m] = a[m], a[first]
        pivot = a[first][0]
        lo, hi = first + 1, last
        while True:
            while a[lo][0] < pivot:
                lo += 1
            hi -= 1
            while pivot < a[hi][0]:
                hi -= 1
            if not lo < hi:
                return lo
            a[lo], a[hi] = a[hi], a[lo]
            lo += 1

    def _insertion_sort(self, first: int, last: int) -> None:
        a = self.a
        for i in range(first + 1, last):
            if a[i][0] < a[first][0]:
                a[first : i + 1] = [a[i], *a[first:i]]
            else:
                self._linear_insert(i)

    def _linear_insert(self, i: int) -> None:
        a = self.a
        value = a[i]
        while value[0] < a[i - 1][0]:
            a[i] = a[i - 1]
            i -= 1
        a[i] = value

    def _adjust_heap(self, first: int, hole: int, length: int, value: tuple[Any, int]) -> None:
        a = self.a
        top = child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if a[first + child][0] < a[first + child - 1][0]:
                child -= 1
            a[first + hole] = a[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and a[first + parent][0] < value[0]:
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[first + hole] = value

    def _heap_select(self, first: int, middle: int, last: int) -> None:
        a = self.a
        length = middle - first
        if length >= 2:
            for parent in range((length - 2) // 2, -1, -1):
                self._adjust_heap(first, parent, length, a[first + parent])
        for i in range(middle, last):
            if a[i][0] < a[first][0]:
                self._pop_heap(first, middle, i)

    def _sort_heap(self, first: int, last: int) -> None:
        while last - first > 1:
            last -= 1
            self._pop_heap(first, last, last)

    def _pop_heap(self, first: int, last: int, result: int) -> None:
        a = self.a
        value = a[result]
        a[result] = a[first]
        self._adjust_heap(first, 0, last - first, value)


def _stable_order(b: np.ndarray, descending: bool) -> np.ndarray:
    """The indices that sort ``b`` along its last dim with ties in their order: NaN last ascending, first
    descending (NumPy sorts NaN last; descending is the reversed ascending sort of the reversed row)."""
    if not descending:
        return np.argsort(b, axis=-1, kind="stable")
    n = b.shape[-1]
    return np.ascontiguousarray((n - 1 - np.argsort(b[..., ::-1], axis=-1, kind="stable"))[..., ::-1])


def _ties(b: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Whether each neighbour pair of ``b`` in ``order`` ties under PyTorch's comparators (NaNs tie)."""
    s = np.take_along_axis(b, order, axis=-1)
    tied = s[..., 1:] == s[..., :-1]
    if s.dtype.kind == "f":
        tied |= np.isnan(s[..., 1:]) & np.isnan(s[..., :-1])
    return tied


def _keys(order: np.ndarray, tied: np.ndarray) -> list[int]:
    """One row's elements as ranks in the comparator's order (tied ones equal), for ``_Introsort``."""
    keys = np.empty(order.shape, dtype=np.int64)
    keys[order] = np.concatenate(([0], np.cumsum(~tied)))
    return cast("list[int]", keys.tolist())  # (Python ints: the comparisons run in Python)


def _rows(a: np.ndarray, dim: int) -> np.ndarray:
    """``a`` with ``dim`` last, as a stack of rows (a copy where the layout needs one)."""
    b = np.moveaxis(a, dim, -1)
    return b.reshape(-1, b.shape[-1])


def _unrows(rows: np.ndarray, shape: Shape, dim: int) -> np.ndarray:
    """The inverse of ``_rows`` for a result of ``shape`` (``dim`` in place), contiguous."""
    moved = (*shape[:dim], *shape[dim + 1 :], shape[dim])
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved), -1, dim))


def sort_order(a: np.ndarray, dim: int, descending: bool, stable: bool) -> np.ndarray:
    """The int64 indices that sort ``a`` along ``dim``, ties ordered as PyTorch's CPU ``sort`` leaves them."""
    if a.ndim == 0:
        return np.zeros((), dtype=np.int64)
    n = a.shape[dim]
    if a.size == 0:
        return np.zeros(a.shape, dtype=np.int64)
    if a.strides[dim] == 0:  # (an expanded dim: PyTorch's kernel returns before sorting, its values all equal)
        return _unrows(np.broadcast_to(np.arange(n, dtype=np.int64), (numel(a.shape) // n, n)), a.shape, dim)
    b = _rows(a, dim)
    order = _stable_order(b, descending)
    radix = a.ndim == 1 and not descending and a.dtype.kind in "iu" and a.size >= _RADIX_MIN
    if not stable and n > _SMALL and not radix:
        tied = _ties(b, order)
        rows = np.flatnonzero(tied.any(axis=1))
        if len(rows) * n <= _EMULATED_MAX:
            for row in rows:
                order[row] = _Introsort(_keys(order[row], tied[row])).sort()
    return _unrows(order, a.shape, dim)


def topk_order(a: np.ndarray, k: int, dim: int, largest: bool, sorted: bool) -> np.ndarray:  # noqa: A002
    """The int64 indices of ``topk(a, k, dim, largest, sorted)`` in PyTorch's CPU kernel's order."""
    if a.ndim == 0:
        return np.zeros((), dtype=np.int64)
    shape = (*a.shape[:dim], k, *a.shape[dim + 1 :])
    n = a.shape[dim]
    if k == 0 or a.size == 0:
        return np.zeros(shape, dtype=np.int64)
    b = _rows(a, dim)
    order = _stable_order(b, largest)
    tied = _ties(b, order)
    # a row's top k is settled where no tie reaches into it and its order is sorted (partial_sort sorts)
    if sorted or k * _PARTIAL <= n or k == 1:
        unsettled = tied[:, :k].any(axis=1)
    else:
        unsettled = np.ones(len(b), dtype=bool)
    top = np.ascontiguousarray(order[:, :k])
    rows = np.flatnonzero(unsettled)
    if len(rows) * n <= _EMULATED_MAX:
        for row in rows:
            top[row] = _Introsort(_keys(order[row], tied[row])).topk(k, sorted)
    return _unrows(top, shape, dim)


# -- the ops: argsort, the indices of topk, the values of both -----------------------------------

def _take_along(xp: Any, input: Any, dim: int, index: Any, node: str) -> Any:
    return _gather(xp, input, dim, index._data)


def _take_along_grad(g: Any, out: Any, x: Any, dim: int, index: Any, node: str) -> Any:
    # PyTorch's value_selecting_reduction_backward (keepdim): the gradient scattered to the indices
    return call(_SCATTER_BACK, (g,), {"dim": dim, "index": index._data, "shape": x.shape})


# (the indices come as a tensor param: the node keeps them, and, as PyTorch's, backward refuses them once
# written in place)
_TAKE_ALONG = defop(
    name="_take_along", forward=_take_along, inputs=("input",), namespace="tensor", saves="none",
    shape=lambda s, dim, index, node: tuple(index.shape), dtype=same_dtype, vjp=(_take_along_grad,),
    grad_fn=lambda x, dim, index, node: node,
    doc="input read at the index tensor along dim: the values of sort and topk (the gradient goes back to the "
    "index).",
)


_ARGSORT_OVERLOADS = (
    "(Tensor input, *, bool stable, int dim = -1, bool descending = False, Tensor out = None)",
    "(Tensor input, int dim = -1, bool descending = False)",
)
_SORT_OVERLOADS = (
    "(Tensor input, *, bool stable, int dim = -1, bool descending = False, tuple of Tensors out = None)",
    "(Tensor input, int dim = -1, bool descending = False, *, tuple of Tensors out = None)",
)


def _no_out(opname: str, kwargs: dict[str, Any], method: bool) -> None:
    if "out" in kwargs and not method:
        raise UnsupportedError(f"{opname}(out=...): out= tensors are not carried by the engine")


def _order_args(spec: Op, args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> tuple[Any, int, bool, bool]:
    """A call of sort or argsort bound as PyTorch's parser binds it to their two overloads: ``(input, *,
    stable, dim=-1, descending=False)`` where stable is given (then dim and descending by keyword only),
    else ``(input, dim=-1, descending=False)``; a call that fits neither gets the parser's words."""
    _no_out(spec.name, kwargs, method)
    slots = ("input",) if "stable" in kwargs else ("input", "dim", "descending")
    bound = dict(zip(slots, args, strict=False))
    fits = len(args) <= len(slots) and all(
        k in ("input", "dim", "descending", "stable") and k not in bound for k in kwargs
    )
    bound.update(kwargs)
    x, dim = bound.get("input"), bound.get("dim", -1)
    descending, stable = bound.get("descending", False), bound.get("stable", False)
    if stable is None and spec.name == "sort":  # (sort's is ``bool? stable``, argsort's ``bool stable``)
        stable = False
    if not (fits and is_tensor_like(x) and as_index(dim) is not None and isinstance(descending, bool)
            and isinstance(stable, bool)):
        raise NoOverloadError(invalid_combination(spec, args, kwargs, method))
    return x, as_index(dim), descending, stable  # type: ignore[return-value]  # (dim checked above)


def _argsort_checks(dim: Any, descending: Any, stable: Any) -> None:
    """The types PyTorch's parser takes (for calls that come without the route: the service's)."""
    if as_index(dim) is None or not isinstance(descending, bool) or not isinstance(stable, bool):
        raise NoOverloadError("argsort() received an invalid combination of arguments")


def _argsort(xp: Any, input: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    _argsort_checks(dim, descending, stable)
    d = normalize_dim(as_index(dim), input.ndim)  # type: ignore[arg-type]  # (checked above)
    return xp.asarray(sort_order(backend.to_numpy(input), d, descending, stable))


def _argsort_shape(s: Shape, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Shape:
    _argsort_checks(dim, descending, stable)
    normalize_dim(as_index(dim), len(s))  # type: ignore[arg-type]
    return tuple(s)


def _argsort_dtype(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> tuple[None, DType]:
    _argsort_checks(dim, descending, stable)
    return None, int64


def _argsort_route(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
    """PyTorch's parser's refusals that the entry's one signature would take (``argsort(x, 0, stable=True)``)."""
    _order_args(_ARGSORT, args, kwargs, method)
    return None


_ARGSORT = defop(
    name="argsort", forward=_argsort, method="argsort", shape=_argsort_shape, dtype=_argsort_dtype, vjp=None,
    grad_fn="", saves="none", overloads=_ARGSORT_OVERLOADS, route=_argsort_route,
    doc="The int64 indices that sort input along dim (the indices of sort): NaN is the largest value; "
    "ties in their order when stable, else in the order PyTorch's CPU std::sort leaves them.",
    flops=_reads,
)


def _topk_indices(xp: Any, input: Any, k: int, dim: int, largest: bool, sorted: bool) -> Any:  # noqa: A002
    return xp.asarray(topk_order(backend.to_numpy(input), k, dim, largest, sorted))


_TOPK_INDICES = defop(
    name="_topk_indices", forward=_topk_indices, namespace="tensor", saves="none", vjp=None, grad_fn="",
    shape=lambda s, k, dim, **_: (*s[:dim], k, *s[dim + 1 :]) if s else (), dtype=lambda x, **_: (None, int64),
    doc="The int64 indices of topk(input, k, dim, largest, sorted) (dim normalized, arguments checked).",
    flops=_reads,
)


# -- sort, topk: functions that return (values, indices) -----------------------------------------

def _signature(name: str, params: Callable[..., Any], overloads: tuple[str, ...] = ()) -> Op:
    """A function's parameters (and PyTorch's overloads of it) as an Op that is never registered, so that the
    registry's binder and its words for a bad call (``reword_for_call``, ``invalid_combination``) serve it."""
    return Op(name=name, forward=params, shape=lambda *_, **__: (), dtype=lambda *_, **__: (None, int64),
              vjp=None, grad_fn="", doc="", overloads=overloads)


def _sort_params(xp: Any, input: Any, dim: int = -1, descending: bool = False, *, stable: Any = None) -> Any:
    raise NotImplementedError  # (a signature only)


def _topk_params(xp: Any, input: Any, k: int, dim: int = -1, largest: bool = True,
                 sorted: bool = True) -> Any:  # noqa: A002 - PyTorch's name
    raise NotImplementedError  # (a signature only)


_SORT = _signature("sort", _sort_params, _SORT_OVERLOADS)
_TOPK = _signature("topk", _topk_params)


def _sort(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
    from .. import return_types

    x, dim, descending, stable = _order_args(_SORT, args, kwargs, method)
    indices = call(_ARGSORT, (x,), {"dim": dim, "descending": descending, "stable": stable})
    d = normalize_dim(dim, x.ndim)
    node = "SortBackward1" if "stable" in kwargs else "SortBackward0"  # (PyTorch's sort.stable overload)
    values = call(_TAKE_ALONG, (x,), {"dim": d, "index": indices, "node": node})
    return return_types.sort(values, indices)


def sort(*args: Any, **kwargs: Any) -> Any:
    """``torch.sort(input, dim=-1, descending=False, *, stable=False)``: ``return_types.sort(values, indices)``;
    the values' gradient goes back to the indices (``SortBackward0``, ``SortBackward1`` where stable is given)."""
    return _sort(args, kwargs, False)


def _sort_method(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``Tensor.sort(dim=-1, descending=False, *, stable=False)``: see ``engine.sort``."""
    return _sort((self, *args), kwargs, True)


def _topk_args(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> tuple[Any, int, int, bool, bool]:
    """A call of topk bound, its arguments' types checked, with PyTorch's words for the call as written."""
    _no_out("topk", kwargs, method)
    try:
        (x,), p = _TOPK.bind(args, kwargs)
        if not is_tensor_like(x):
            raise ArgumentError(f"topk(): argument 'input' (position 1) must be Tensor, not {type_name(x)}")
        for position, name, kind in ((2, "k", "int"), (3, "dim", "int"), (4, "largest", "bool"),
                                     (5, "sorted", "bool")):
            value = p[name]
            if as_index(value) is None if kind == "int" else not isinstance(value, bool):
                raise ArgumentError(
                    f"topk(): argument '{name}' (position {position}) must be {kind}, not {type_name(value)}"
                )
    except ArgumentError as exc:
        reword_for_call(exc, _TOPK, args, kwargs, method)
        raise
    return x, as_index(p["k"]), as_index(p["dim"]), p["largest"], p["sorted"]  # type: ignore[return-value]


def _topk(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
    from .. import return_types

    x, k, dim, largest, sorted_ = _topk_args(args, kwargs, method)
    d = normalize_dim(dim, x.ndim)
    if not 0 <= k <= (x.shape[d] if x.ndim else 1):
        raise ShapeError("selected index k out of range")
    if x.dtype is bool_:
        raise DTypeError("topk does not support bool dtypes on CPU")
    params = {"k": k, "dim": d, "largest": largest, "sorted": sorted_}
    indices = call(_TOPK_INDICES, (x,), params)
    values = call(_TAKE_ALONG, (x,), {"dim": d, "index": indices, "node": "TopkBackward0"})
    return return_types.topk(values, indices)


def topk(*args: Any, **kwargs: Any) -> Any:
    """``torch.topk(input, k, dim=-1, largest=True, sorted=True)``: ``return_types.topk(values, indices)``, the
    k largest (smallest) along dim, NaN the largest; the values' gradient goes back to the indices
    (``TopkBackward0``)."""
    return _topk(args, kwargs, False)


def _topk_method(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``Tensor.topk(k, dim=-1, largest=True, sorted=True)``: see ``engine.topk``."""
    return _topk((self, *args), kwargs, True)


# -- nonzero, where(condition) -------------------------------------------------------------------

def _nonzero(xp: Any, input: Any) -> Any:
    if input.ndim == 0:  # (one row of no coordinates, or none)
        return xp.zeros((int(bool(input)), 0), dtype=np.int64)
    # (ndim, n) transposed: each coordinate's column contiguous, as PyTorch lays the result out
    return xp.stack(xp.nonzero(input)).astype(np.int64, copy=False).T


def nonzero_tuple(input: Any) -> tuple[Any, ...]:
    """``nonzero(input, as_tuple=True)``: one 1-d int64 tensor per dim, as PyTorch's ``nonzero_numpy``
    (``nonzero().unbind(1)``, a 0-d input taken as 1-d)."""
    x = call(REGISTRY["unsqueeze"], (input, 0), {}) if input.ndim == 0 else input
    return unbind(call(_NONZERO, (x,), {}), 1)


def _nonzero_route(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
    """``as_tuple`` (not the entry's: a tuple is no one tensor); None: the entry's call."""
    if method and len(args) > 1:  # (PyTorch's method parser words it so)
        raise ArgumentError(f"nonzero() takes from 1 to 0 positional arguments but {len(args) - 1} were given")
    if "as_tuple" not in kwargs:
        _no_out("nonzero", kwargs, method)
        return None
    rest = dict(kwargs)
    as_tuple = rest.pop("as_tuple")
    _no_out("nonzero", rest, method)
    if not isinstance(as_tuple, bool):
        raise ArgumentError(f"nonzero(): argument 'as_tuple' must be bool, not {type_name(as_tuple)}")
    result = call(_NONZERO, args, rest, method)  # (the entry binds and words a bad call)
    if not as_tuple:
        return result
    x = args[0] if args else rest["input"]
    return unbind(result, 1) if x.ndim else nonzero_tuple(x)


_NONZERO = defop(
    name="nonzero", forward=_nonzero, method="nonzero", vjp=None, grad_fn="", saves="none", route=_nonzero_route,
    shape=lambda s: (numel(s), len(s)), dtype=lambda x: (None, int64),
    doc="The int64 coordinates (n, ndim) of the nonzero elements (NaN is nonzero), in row-major order. "
    "n depends on the values: a plan counts every element (an upper bound). engine.nonzero and the method "
    "take as_tuple=True (one index tensor per dim).",
    flops=lambda s: float(numel(s)),
)


# engine.<name> and Tensor.<name>, returning tuples (the methods word their errors as PyTorch's methods)
TUPLE_FUNCTIONS: dict[str, Callable[..., Any]] = {"sort": sort, "topk": topk}
TUPLE_METHODS: dict[str, Callable[..., Any]] = {"sort": _sort_method, "topk": _topk_method}
