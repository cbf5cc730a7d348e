"""Indexing: ``x[key]`` as one op, ``index``, decomposed as PyTorch decomposes it.

PyTorch runs a key in two phases. The basic phase walks the key left to right:
an int selects (``SelectBackward0``), a slice slices (``SliceBackward0``; inside a
tuple a slice that keeps the whole dim is skipped), ``None`` and ``True``/``False``
insert a dim (``UnsqueezeBackward0``), ``...`` skips the dims nothing names. The
index tensors met on the way (integer tensors and lists, boolean masks, and the
index ``[0]`` or ``[]`` a bool stands for) are recorded at the dims they index in
the basic result, and the advanced phase then runs ``at::index`` on that result
(``IndexBackward0``), with NumPy's rule for where the indexed dims land. The
op's ``grad_fn`` is the name of the last step that ran (``AliasBackward0`` when
none did).

The key is a parameter, not a tensor input: index tensors in it are engine
tensors read inside ``forward``. The gradient scatters ``g`` into zeros of the
input's shape, adding where an index repeats; that scatter is itself an op
(``_index_backward``) whose derivative indexes again, so second derivatives work.

The shape rule gives the output shape from the input's shape and the key. A
boolean mask's result size depends on its values: the rule counts them where the
mask carries data (an engine tensor, a NumPy array or a list) and, for a mask
known only by shape and dtype (a planner's meta), takes the mask's size, an upper
bound.
"""

from __future__ import annotations

import operator
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._warnings import warn as _warn
from ..dtypes import bool_, int32, int64
from ..errors import ArgumentError, IndexError_, ValueError_, type_name
from . import registry
from ._helpers import normalize_dim, same_dtype, sum_to
from .registry import REGISTRY, call, defop

Shape = tuple[int, ...]
INDEX_MAX = sys.maxsize

_INDEX_DTYPES = "tensors used as indices must be long, int, byte or bool tensors"
_SEQUENCE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
    "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as "
    "tensor index, x[torch.tensor(seq)], which will result either in an error or a different result"
)


@dataclass
class _Tensorish:
    """An index tensor of the key: its data where known, its shape and kind."""

    data: Any  # an array (NumPy/CuPy), or None for a meta known by shape only
    shape: Shape
    kind: str  # "bool", "int" or "other" (a dtype indexing refuses)


@dataclass
class Plan:
    """What a key does to a tensor of a given shape."""

    basic: tuple[Any, ...]  # a NumPy basic key (ints, slices, None) over the input's dims
    shape: Shape  # the shape after the basic phase
    adv: list[tuple[int, Any]] = field(default_factory=list)  # (dim of the basic result, _Tensorish | bool)
    step: str | None = None  # grad_fn of the last basic step that ran


# -- reading a key ----------------------------------------------------------------

def _is_tensor(x: Any) -> bool:
    return registry._Tensor is not None and isinstance(x, registry._Tensor)


def _is_int(x: Any) -> bool:
    return (isinstance(x, int) and not isinstance(x, bool)) or isinstance(x, np.integer)


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool)


def _is_tensorlike(x: Any) -> bool:
    """An engine tensor, or a meta of one (shape and dtype, no data)."""
    if _is_tensor(x):
        return True
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (np.ndarray, np.generic))


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple, range, str, np.ndarray))


def _treat_as_tuple(key: Any) -> bool:
    """NumPy's old heuristic, kept by PyTorch: a short list holding slices, lists, ... is a tuple."""
    if isinstance(key, tuple):
        return True
    if _is_tensor(key) or isinstance(key, np.ndarray) or not _is_sequence(key):
        return False
    if len(key) >= 32:
        return False
    for obj in key:
        if _is_tensor(obj) or _is_sequence(obj) or isinstance(obj, slice) or obj is Ellipsis or obj is None:
            return True
    return False


def _from_sequence(obj: Any) -> _Tensorish:
    """A list (or array) in a key as PyTorch reads it: bools stay a mask, anything else becomes int64."""
    if isinstance(obj, np.ndarray):
        a = obj.astype(np.bool_) if obj.dtype == np.uint8 else obj  # a byte array is a mask, as in PyTorch
        kind = "bool" if a.dtype == np.bool_ else "int" if a.dtype.kind in "iu" else "other"
        if kind == "int" and a.dtype != np.int64:
            a = a.astype(np.int64)
        return _Tensorish(a, tuple(a.shape), kind)
    _reject_str(obj)
    try:
        a = np.asarray(obj)
    except ValueError as exc:
        raise ValueError_(str(exc)) from None
    if a.dtype.kind == "U":
        raise ArgumentError("new(): invalid data type 'str'")
    if a.dtype.kind == "O":
        raise ArgumentError(f"Could not infer dtype of {type(_first_leaf(obj)).__name__}")
    if a.dtype == np.bool_:
        return _Tensorish(a, tuple(a.shape), "bool")
    return _Tensorish(a.astype(np.int64), tuple(a.shape), "int")


def _reject_str(obj: Any) -> None:
    if isinstance(obj, str):
        raise ArgumentError("new(): invalid data type 'str'")
    if isinstance(obj, (list, tuple)):
        for o in obj:
            _reject_str(o)


def _first_leaf(obj: Any) -> Any:
    while isinstance(obj, (list, tuple)) and obj:
        obj = obj[0]
    return obj


def _from_tensor(t: Any) -> _Tensorish:
    d = t.dtype
    kind = "bool" if d is bool_ else "int" if d in (int32, int64) else "other"
    data = getattr(t, "_data", None)
    return _Tensorish(data, tuple(t.shape), kind)


def _classify(obj: Any) -> tuple[str, Any]:
    """One element of a key: ("int", i), ("slice", s), ("none", None), ("ellipsis", None),
    ("bool", b) or ("tensor", _Tensorish)."""
    if obj is None:
        return "none", None
    if obj is Ellipsis:
        return "ellipsis", None
    if _is_bool(obj):
        return "bool", bool(obj)
    if _is_int(obj):
        return "int", int(obj)
    if isinstance(obj, slice):
        return "slice", obj
    if _is_tensorlike(obj):
        t = _from_tensor(obj)
    elif _is_sequence(obj):
        t = _from_sequence(obj)
    else:
        try:
            return "int", operator.index(obj)
        except TypeError:
            raise IndexError_(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                f"valid indices (got {type_name(obj)})"
            ) from None
    if not t.shape:  # a 0-d index tensor: an int selects, a bool inserts a dim (values unknown: 0, True)
        if t.kind == "int":
            return "int", 0 if t.data is None else int(t.data.item())
        if t.kind == "bool":
            return "bool", True if t.data is None else bool(t.data.item())
    return "tensor", t


def _specified(obj: Any) -> int:
    """How many of the input's dims one element of a key names (PyTorch's count)."""
    if obj is None or obj is Ellipsis or _is_bool(obj):
        return 0
    if _is_tensorlike(obj):
        return len(obj.shape) if obj.dtype is bool_ else 1
    return 1


def _slice_bounds(s: slice) -> tuple[int, int, int]:
    step = 1 if s.step is None else operator.index(s.step)
    if step == 0:
        raise ValueError_("slice step cannot be zero")
    start = 0 if s.start is None else operator.index(s.start)
    stop = INDEX_MAX if s.stop is None else operator.index(s.stop)
    if step < 0:
        raise ValueError_("step must be greater than zero")
    return start, stop, step


def plan(shape: Shape, key: Any, warn: bool = False) -> Plan:
    """Walk ``key`` over a tensor of ``shape`` as PyTorch does (raises PyTorch's errors)."""
    shape = tuple(shape)
    ndim = len(shape)
    # PyTorch's fast paths for a key that is not a tuple
    if key is None:
        return Plan((None,), (1, *shape), step="UnsqueezeBackward0")
    if key is Ellipsis:
        return Plan((), shape, step="AliasBackward0")
    if _is_int(key):
        i = int(key)
        if ndim == 0:
            if i == 0:
                raise IndexError_(
                    "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                    "in C++ to convert a 0-dim tensor to a number"
                )
            raise IndexError_(f"index {i} is out of bounds for dimension 0 with size 0")
        return _walk(shape, (key,), top=True)
    if isinstance(key, slice):
        if ndim == 0:
            raise IndexError_("slice() cannot be applied to a 0-dim tensor.")
        return _walk(shape, (key,), top=True)
    if _treat_as_tuple(key):
        if warn and not isinstance(key, tuple):
            _warn(_SEQUENCE_WARNING)
        items = tuple(key)
    else:
        items = (key,)
    return _walk(shape, items, top=False)


def _walk(shape: Shape, items: tuple[Any, ...], top: bool) -> Plan:
    ndim = len(shape)
    specified = sum(_specified(o) for o in items)
    if specified > ndim:
        raise IndexError_(f"too many indices for tensor of dimension {ndim}")
    cur = list(shape)
    basic: list[Any] = []
    adv: list[tuple[int, Any]] = []
    step: str | None = None
    dim = past = 0
    for real_dim, obj in enumerate(items):
        kind, v = _classify(obj)
        if kind == "int":
            size = cur[dim] if dim < len(cur) else 0
            if not -size <= v < size:
                raise IndexError_(f"index {v} is out of bounds for dimension {real_dim} with size {size}")
            basic.append(v + size if v < 0 else v)
            del cur[dim]
            step = "SelectBackward0"
        elif kind == "slice":
            start, stop, stride = _slice_bounds(v)
            if dim >= len(cur):  # past the end (two ellipses): PyTorch reads no size there
                if start == 0 and stride == 1:
                    dim += 1
                    continue
                normalize_dim(dim, len(cur))
            size = cur[dim]
            if not top and start == 0 and stop >= size and stride == 1:
                basic.append(slice(None))  # PyTorch skips a slice that keeps the whole dim
            else:
                a, b, c = slice(start, stop, stride).indices(size)
                basic.append(slice(a, b, c))
                cur[dim] = len(range(a, b, c))
                step = "SliceBackward0"
            dim += 1
        elif kind == "none":
            _unsqueezable(dim, cur)
            basic.append(None)
            cur.insert(dim, 1)
            dim += 1
            step = "UnsqueezeBackward0"
        elif kind == "ellipsis":
            n = ndim - specified
            basic.extend([slice(None)] * n)
            dim += n
        elif kind == "bool":
            _unsqueezable(dim, cur)
            basic.append(None)
            cur.insert(dim, 1)
            adv.append((dim, v))
            dim += 1
        else:
            k = len(v.shape) if v.kind == "bool" else 1
            if dim + k > len(cur):  # past the end (two ellipses): at::index refuses it
                past = max(past, dim + k)
            else:
                basic.extend([slice(None)] * k)
            adv.append((dim, v))
            dim += k
    if past:
        raise IndexError_(f"too many indices for tensor of dimension {len(cur)} (got {past})")
    while basic and isinstance(basic[-1], slice) and basic[-1] == slice(None):
        basic.pop()  # trailing full slices change nothing
    if not adv and step is None:
        step = "AliasBackward0"
    return Plan(tuple(basic), tuple(cur), adv, step)


def _unsqueezable(dim: int, cur: list[int]) -> None:
    if dim > len(cur):  # past the end (two ellipses): PyTorch's unsqueeze refuses the dim
        normalize_dim(dim, len(cur) + 1)


# -- the advanced phase -------------------------------------------------------------

def _broadcast(shapes: list[Shape]) -> Shape:
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s):
            j = ndim - len(s) + i
            if n == out[j] or n == 1:
                continue
            if out[j] != 1:
                raise IndexError_(
                    "shape mismatch: indexing tensors could not be broadcast together with shapes "
                    + ", ".join(f"[{', '.join(map(str, t))}]" for t in shapes)
                )
            out[j] = n
    return tuple(out)


def _mask_check(shape: Shape, d: int, mask_shape: Shape) -> None:
    for j, n in enumerate(mask_shape):
        if d + j >= len(shape) or n != shape[d + j]:
            raise IndexError_(
                f"The shape of the mask [{', '.join(map(str, mask_shape))}] at index {j} does not match the "
                f"shape of the indexed tensor [{', '.join(map(str, shape))}] at index {d + j}"
            )


def _expand(p: Plan, xp: Any | None) -> list[tuple[int, Any, Shape]]:
    """The index tensors as (dim, array or None, shape), masks turned into their nonzero columns."""
    for _, v in p.adv:
        if not isinstance(v, bool) and v.kind == "other":
            raise IndexError_(_INDEX_DTYPES)
    out: list[tuple[int, Any, Shape]] = []
    for d, v in p.adv:
        if isinstance(v, bool):
            a = None if xp is None else xp.zeros((1 if v else 0,), dtype=np.int64)
            out.append((d, a, (1 if v else 0,)))
        elif v.kind == "bool":
            _mask_check(p.shape, d, v.shape)
            if v.data is None:  # known by shape only: its size bounds the count
                n = int(np.prod(v.shape, dtype=np.int64))
                out.extend((d + j, None, (n,)) for j in range(len(v.shape)))
                continue
            cols = (v.data if xp is None else xp.asarray(v.data)).nonzero()
            out.extend((d + j, c, (int(c.shape[0]),)) for j, c in enumerate(cols))
        else:
            a = v.data if xp is None or v.data is None else xp.asarray(v.data)
            out.append((d, a, v.shape))
    return out


def _adv_shape(shape: Shape, dims: list[int], bshape: Shape) -> Shape:
    first, last = min(dims), max(dims)
    if last - first + 1 == len(dims):  # adjacent: the indexed dims are replaced in place
        return (*shape[:first], *bshape, *shape[last + 1 :])
    return (*bshape, *(n for i, n in enumerate(shape) if i not in dims))


def _advanced_key(p: Plan, xp: Any, view_shape: Shape) -> tuple[Any, Shape]:
    """The NumPy key of the advanced phase and its output shape, after PyTorch's checks."""
    entries = _expand(p, xp)
    shapes = [s for _, _, s in entries]
    bshape = _broadcast(shapes)
    dims = [d for d, _, _ in entries]
    out_shape = _adv_shape(view_shape, dims, bshape)
    sizes = [view_shape[d] for d in dims]
    if 0 in sizes and 0 not in bshape:
        raise IndexError_("index is out of bounds for dimension with size 0")
    arrays = [a for _, a, _ in entries]
    if int(np.prod(out_shape, dtype=np.int64)):
        _bounds(xp, arrays, sizes, bshape)
    else:  # nothing is read: PyTorch checks no value, NumPy would
        arrays = [xp.zeros(a.shape, dtype=np.int64) for a in arrays]
    key: list[Any] = [slice(None)] * (max(dims) + 1)
    for d, a in zip(dims, arrays, strict=True):
        key[d] = a
    return tuple(key), out_shape


def _bounds(xp: Any, arrays: list[Any], sizes: list[int], bshape: Shape) -> None:
    bad = None
    for a, n in zip(arrays, sizes, strict=True):
        b = xp.broadcast_to((a >= n) | (a < -n), bshape)
        bad = b if bad is None else bad | b
    if bad is None or not bool(bad.any()):
        return
    flat = int(xp.argmax(bad.reshape(-1)))
    for j, (a, n) in enumerate(zip(arrays, sizes, strict=True)):
        v = int(xp.broadcast_to(a, bshape).reshape(-1)[flat])
        if v >= n or v < -n:
            raise IndexError_(f"index {v} is out of bounds for dimension {j} with size {n}")


# -- the ops ----------------------------------------------------------------------

def _index(xp: Any, input: Any, indices: Any) -> Any:
    p = plan(input.shape, indices, warn=True)
    view = input[(*p.basic, Ellipsis)]
    if not p.adv:
        return view
    key, _ = _advanced_key(p, xp, tuple(view.shape))
    out = view[key]
    return out if out.flags.c_contiguous else out.copy(order="C")  # PyTorch's result is contiguous


def assignment(xp: Any, array: Any, indices: Any) -> tuple[Any, Any, Shape]:
    """For ``x[indices] = v``: the view of ``array`` the basic phase selects, the key of the advanced
    phase into it (None without one), and the shape ``x[indices]`` has, after PyTorch's checks."""
    p = plan(array.shape, indices, warn=True)
    view = array[(*p.basic, Ellipsis)]
    if not p.adv:
        return view, None, tuple(view.shape)
    key, shape = _advanced_key(p, xp, tuple(view.shape))
    return view, key, shape


def index_shape(shape: Shape, indices: Any) -> Shape:
    """The shape of ``x[indices]`` for ``x`` of ``shape`` (a mask without data counts as all true)."""
    p = plan(shape, indices)
    if not p.adv:
        return p.shape
    entries = _expand(p, None)
    bshape = _broadcast([s for _, _, s in entries])
    return _adv_shape(p.shape, [d for d, _, _ in entries], bshape)


def _index_name(x: Any, indices: Any) -> str:
    p = plan(x.shape, indices)
    return "IndexBackward0" if p.adv else p.step or "AliasBackward0"


def _as_tuple(key: Any) -> Any:
    # a list read as a tuple, made one (the derivatives index again without the warning)
    return tuple(key) if not isinstance(key, tuple) and _treat_as_tuple(key) else key


def scatter_back(g: Any, indices: Any, shape: Shape) -> Any:
    """The gradient of ``x[indices]`` for ``x`` of ``shape``: ``g`` added into zeros (differentiable)."""
    return call(REGISTRY["_index_backward"], (g,), {"indices": indices, "shape": tuple(shape)})


defop(
    name="index", view=True, forward=_index, inputs=("input",), namespace="tensor", saves="none",
    shape=index_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, indices: scatter_back(g, _as_tuple(indices), x.shape),),
    grad_fn=_index_name,
    doc="input[indices]: ints, slices, None, ..., bools, integer index tensors/lists, boolean masks.",
)


def _scatter_add(xp: Any, a: Any, key: Any, v: Any) -> None:
    at = getattr(xp.add, "at", None)
    if at is not None:
        at(a, key, v)
    else:  # CuPy without ufunc.at
        import cupyx  # type: ignore[import-not-found]

        cupyx.scatter_add(a, key, v)


def _index_backward(xp: Any, grad: Any, indices: Any, shape: Any) -> Any:
    out = xp.zeros(tuple(shape), dtype=grad.dtype)
    p = plan(tuple(shape), indices)
    view = out[(*p.basic, Ellipsis)]
    if not p.adv:
        view[...] = grad
        return out
    key, _ = _advanced_key(p, xp, tuple(view.shape))
    _scatter_add(xp, view, key, grad)
    return out


_BACKWARD_NAMES = {
    "SelectBackward0": "SelectBackwardBackward0",
    "SliceBackward0": "SliceBackwardBackward0",
    "UnsqueezeBackward0": "SqueezeBackward1",
    "IndexBackward0": "IndexPutImplBackward0",
}


def _index_backward_name(g: Any, indices: Any, shape: Any) -> str:
    name = _index_name(_Shaped(tuple(shape)), indices)
    return _BACKWARD_NAMES.get(name, name)


class _Shaped:
    __slots__ = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape


defop(
    name="_index_backward", forward=_index_backward, inputs=("grad",), namespace="tensor", saves="none",
    shape=lambda g, indices, shape: tuple(shape), dtype=same_dtype,
    vjp=(lambda gg, out, g, indices, shape: call(REGISTRY["index"], (gg, indices), {}),),
    grad_fn=_index_backward_name,
    doc="The gradient of input[indices]: grad added into zeros of the input's shape (repeats accumulate).",
)


# -- x[key] = value while a graph is recorded -------------------------------------------

def _stripped(shape: Shape) -> Shape:
    """A value's shape as ``x[key] = value`` broadcasts it: PyTorch drops its leading 1s first."""
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def _index_put(xp: Any, input: Any, values: Any, indices: Any) -> Any:
    """A copy of ``input`` with ``values`` written where ``input[indices]`` reads (the checks ran before:
    ``inplace.setitem``)."""
    out = input.copy()
    p = plan(tuple(out.shape), indices)
    view = out[(*p.basic, Ellipsis)]
    if hasattr(values, "shape"):
        values = values.reshape(_stripped(values.shape))
    if p.adv:
        key, _ = _advanced_key(p, xp, tuple(view.shape))
        view[key] = values
    else:
        view[...] = values
    return out


def _index_put_grad_values(g: Any, out: Any, x: Any, values: Any, indices: Any) -> Any:
    # what was written: g where input[indices] reads (every repeat of an index gets it, as PyTorch's)
    r = call(REGISTRY["index"], (g, _as_tuple(indices)), {})
    r = sum_to(r, _stripped(values.shape))
    return r if tuple(r.shape) == tuple(values.shape) else r.reshape(tuple(values.shape))


def _index_put_name(x: Any, values: Any, indices: Any) -> str:
    """PyTorch's node for ``x[key] = value``: a write into a view of x is ``CopySlices``; into x itself, an
    index_put (advanced key), a fill (a 0-d value) or a copy."""
    p = plan(tuple(x.shape), indices)
    if tuple(p.shape) != tuple(x.shape) or not all(type(b) is slice for b in p.basic):  # (whole: full slices)
        return "torch::autograd::CopySlices"
    if p.adv:
        return "IndexPutBackward0"
    # (a number or 0-d value fills; into a 0-d tensor, or a value with dims, it is copied)
    return "FillBackward3" if x.shape and not getattr(values, "shape", ()) else "torch::autograd::CopyBackwards"


defop(
    # (it keeps its inputs though no rule reads them, reads=((), ()): a second backward through it is refused
    # once they are freed, as through PyTorch's CopySlices)
    name="_index_put", forward=_index_put, inputs=("input", "values"), namespace="tensor", saves="inputs",
    untracked_integers=True,
    reads=((), ()),
    scalars=True, shape=lambda s, v, indices: tuple(s), dtype=lambda x, v, indices: (None, x.dtype),
    vjp=(lambda g, out, x, values, indices: call(REGISTRY["_index_put"], (g, 0), {"indices": indices}),
         _index_put_grad_values),
    grad_fn=_index_put_name,
    doc="input with values written where input[indices] reads (x[key] = value, recorded).",
)
