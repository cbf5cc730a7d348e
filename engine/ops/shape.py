"""Shape ops: reshape, view, flatten, squeeze, unsqueeze, expand, cat, stack, flip, repeat, narrow, and the
views select, diagonal, swapaxes/swapdims, movedim and unflatten.

Their gradients move ``g`` back into the input's shape with engine ops (reshape,
narrow, flip, sum, and the scatter of ``engine.ops.indexing``), so they are
differentiable again.

The engine's arrays have strides as PyTorch's tensors do (NumPy views for views), so
``reshape`` names its node as PyTorch does: ``ViewBackward0`` on a contiguous input,
``ReshapeAliasBackward0`` where the new shape is still a view of a non-contiguous
one, ``UnsafeViewBackward0`` where it has to copy; ``view`` refuses that last case
with PyTorch's error.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from ..dtypes import result_type
from ..errors import (
    ArgumentError,
    IndexError_,
    NoOverloadError,
    ShapeError,
    ValueError_,
    type_name,
    unpack_failure,
)
from ._helpers import as_index, normalize_dim, normalize_dims, numel, same_dtype
from .indexing import scatter_back
from .registry import REGISTRY, SAME, call, defop

Shape = tuple[int, ...]

_VIEW_ERROR = (
    "view size is not compatible with input tensor's size and stride (at least one dimension spans "
    "across two contiguous subspaces). Use .reshape(...) instead."
)
_TENSOR_TYPES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "bool": "BoolTensor",
}


# -- arguments ----------------------------------------------------------------------

def _fmt(shape: Sequence[int]) -> str:
    return f"[{', '.join(map(str, shape))}]"


def int_argument(value: Any, op: str, arg: str, position: int | None = None) -> int:
    """An int argument (``as_index``: a NumPy integer, a 0-d integer tensor), else PyTorch's TypeError."""
    index = as_index(value)
    if index is None:
        where = f" (position {position})" if position else ""
        raise ArgumentError(f"{op}(): argument '{arg}'{where} must be int, not {type_name(value)}")
    return index


def ints_argument(value: Any, op: str, arg: str, allow_int: bool = False) -> Shape:
    """A tuple of ints (PyTorch's ``int[]``) with its TypeErrors; ``allow_int`` takes a lone int too."""
    if isinstance(value, (list, tuple)):
        out = []
        for i, v in enumerate(value):
            index = as_index(v)
            if index is None:
                raise ArgumentError(f"{op}(): {unpack_failure(arg, i + 1, type_name(v))}")
            out.append(index)
        return tuple(out)
    index = as_index(value) if allow_int else None
    if index is not None:
        return (index,)
    raise ArgumentError(f"{op}(): argument '{arg}' (position 2) must be tuple of ints, not {type_name(value)}")


# -- reshape, view --------------------------------------------------------------------

def infer_shape(shape: Any, size: int) -> Shape:
    """Resolve one -1 in a requested shape, with PyTorch's errors (in its order)."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(shape)
    infer: int | None = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise ShapeError("only one dimension can be inferred")
            infer = i
        elif s >= 0:
            known *= s
        else:
            raise ShapeError(f"invalid shape dimension {s} at index {i} of shape {_fmt(shape)}")
    if size == known or (infer is not None and known > 0 and size % known == 0):
        if infer is None:
            return shape
        if known == 0:
            raise ShapeError(
                f"cannot reshape tensor of 0 elements into shape {_fmt(shape)} because the unspecified "
                "dimension size -1 can be any value and is ambiguous"
            )
        return (*shape[:infer], size // known, *shape[infer + 1 :])
    raise ShapeError(f"shape '{_fmt(shape)}' is invalid for input of size {size}")


def _strides(a: Any) -> Shape:
    return tuple(s // a.itemsize for s in a.strides)


def is_contiguous(shape: Shape, strides: Shape) -> bool:
    """PyTorch's ``is_contiguous``: row-major, ignoring dims of size 1; empty tensors are."""
    if numel(shape) == 0:
        return True
    expected = 1
    for n, s in zip(reversed(shape), reversed(strides), strict=True):
        if n != 1:
            if s != expected:
                return False
            expected *= n
    return True


def compute_stride(old: Shape, stride: Shape, new: Shape) -> Shape | None:
    """PyTorch's ``computeStride``: the strides of ``new`` as a view of ``old``, or None when it must copy."""
    if not old:
        return tuple(1 for _ in new)
    n = numel(old)
    if n == 0 and tuple(old) == tuple(new):
        return tuple(stride)
    out = [0] * len(new)
    if n == 0:
        for d in range(len(new) - 1, -1, -1):
            out[d] = 1 if d == len(new) - 1 else max(new[d + 1], 1) * out[d + 1]
        return tuple(out)
    view_d = len(new) - 1
    chunk_base = stride[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old) - 1, -1, -1):
        tensor_numel *= old[tensor_d]
        if tensor_d == 0 or (old[tensor_d - 1] != 1 and stride[tensor_d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                out[view_d] = view_numel * chunk_base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base = stride[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(out)


def _viewable(a: Any, new: Shape) -> bool:
    return compute_stride(tuple(a.shape), _strides(a), new) is not None


def _reshape_name(x: Any, new: Shape) -> str:
    """The node PyTorch's ``reshape`` leaves: a view, an alias of strided memory, or a copy."""
    a = getattr(x, "_data", None)
    if a is None or is_contiguous(tuple(a.shape), _strides(a)):
        return "ViewBackward0"
    return "ReshapeAliasBackward0" if _viewable(a, new) else "UnsafeViewBackward0"


def _reshape_to(g: Any, x: Any) -> Any:
    return g.reshape(tuple(x.shape))


def _reshape_to_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    return g.reshape(tuple(ins[0].shape))  # ``_reshape_to`` on arrays (reshape's forward)


def _same_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    return SAME


def _reshape_shape(s: Shape, shape: Any) -> Shape:
    return infer_shape(ints_argument(shape, "reshape", "shape"), numel(s))


def _reshape(xp: Any, input: Any, shape: Any) -> Any:
    return input.reshape(infer_shape(ints_argument(shape, "reshape", "shape"), input.size))


defop(
    name="reshape", view=True, forward=_reshape, method="reshape", varargs="shape", saves="none",
    shape=_reshape_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, shape: _reshape_to(g, x),), fast_vjp=(_reshape_to_fast,),
    grad_fn=lambda x, shape: _reshape_name(x, _reshape_shape(tuple(x.shape), shape)),
    doc="The same data in a new shape (one dim may be -1): a view where strides allow, else a copy.",
)


def _view_shape(s: Shape, size: Any) -> Shape:
    return infer_shape(ints_argument(size, "view", "size", allow_int=True), numel(s))


def _view(xp: Any, input: Any, size: Any) -> Any:
    new = _view_shape(tuple(input.shape), size)
    if not _viewable(input, new):
        raise ShapeError(_VIEW_ERROR)
    return input.reshape(new)


defop(
    name="view", view=True, forward=_view, method="view", varargs="size", namespace="tensor", saves="none",
    shape=_view_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, size: _reshape_to(g, x),), fast_vjp=(_reshape_to_fast,), grad_fn="ViewBackward0",
    doc="The same data in a new shape (one dim may be -1), as a view; refuses strides that need a copy.",
)


# -- flatten ------------------------------------------------------------------------

def _flatten_dims(ndim: int, start_dim: Any, end_dim: Any) -> tuple[int, int]:
    s = normalize_dim(int_argument(start_dim, "flatten", "start_dim"), ndim)
    e = normalize_dim(int_argument(end_dim, "flatten", "end_dim"), ndim)
    if s > e:
        raise ShapeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return s, e


def flatten_shape(shape: Shape, start_dim: Any = 0, end_dim: Any = -1) -> Shape:
    shape = tuple(shape)
    s, e = _flatten_dims(len(shape), start_dim, end_dim)
    if not shape:
        return (1,)
    return (*shape[:s], numel(shape[s : e + 1]), *shape[e + 1 :])


def _flatten(xp: Any, input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    return input.reshape(flatten_shape(input.shape, start_dim, end_dim))


def _flatten_identity(x: Any, start_dim: Any = 0, end_dim: Any = -1) -> bool:
    s, e = _flatten_dims(x.ndim, start_dim, end_dim)
    return x.ndim > 0 and s == e


defop(
    name="flatten", view=True, forward=_flatten, method="flatten", saves="none",
    shape=flatten_shape, dtype=same_dtype, identity=_flatten_identity,
    vjp=(lambda g, out, x, start_dim, end_dim: _reshape_to(g, x),), fast_vjp=(_reshape_to_fast,),
    grad_fn=lambda x, start_dim=0, end_dim=-1: _reshape_name(x, flatten_shape(x.shape, start_dim, end_dim)),
    doc="Dims start_dim..end_dim merged into one (the input itself when that changes nothing).",
)


# -- squeeze, unsqueeze ---------------------------------------------------------------

def _squeeze_dims(shape: Shape, dim: Any) -> tuple[int, ...]:
    ndim = len(shape)
    if dim is None:
        return tuple(i for i, n in enumerate(shape) if n == 1)
    if isinstance(dim, (list, tuple)):
        dims = normalize_dims(ints_argument(dim, "squeeze", "dim"), ndim)
    else:
        if isinstance(dim, (bool, float)) or not hasattr(dim, "__index__"):
            t = type(dim).__name__
            why = f"      didn't match because some of the arguments have invalid types: (Tensor, !{t}!)\n"
            raise ArgumentError(
                f"squeeze() received an invalid combination of arguments - got (Tensor, {t}), but expected one "
                f"of:\n * (Tensor input)\n * (Tensor input, int dim)\n{why} * (Tensor input, tuple of ints dim)\n{why}"
            )
        dims = (normalize_dim(operator.index(dim), ndim),)
    return tuple(d for d in dims if ndim and shape[d] == 1)


def squeeze_shape(shape: Shape, dim: Any = None) -> Shape:
    dims = _squeeze_dims(tuple(shape), dim)
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _squeeze(xp: Any, input: Any, dim: Any = None) -> Any:
    return xp.squeeze(input, axis=_squeeze_dims(tuple(input.shape), dim))


def _squeeze_name(x: Any, dim: Any = None) -> str:
    if dim is None:
        return "SqueezeBackward0"
    return "SqueezeBackward2" if isinstance(dim, (list, tuple)) else "SqueezeBackward1"


defop(
    name="squeeze", view=True, forward=_squeeze, method="squeeze", varargs="dim", pack_single=False, saves="none",
    shape=squeeze_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, dim: _reshape_to(g, x),), fast_vjp=(_reshape_to_fast,), grad_fn=_squeeze_name,
    doc="Dims of size 1 removed: all of them, or those of dim (an int or a tuple) that have size 1.",
)


def _unsqueeze_dim(ndim: int, dim: Any) -> int:
    return normalize_dim(int_argument(dim, "unsqueeze", "dim", 2), ndim + 1)


def unsqueeze_shape(shape: Shape, dim: Any) -> Shape:
    d = _unsqueeze_dim(len(shape), dim)
    return (*shape[:d], 1, *shape[d:])


def _unsqueeze(xp: Any, input: Any, dim: int) -> Any:
    return xp.expand_dims(input, _unsqueeze_dim(input.ndim, dim))


defop(
    name="unsqueeze", view=True, forward=_unsqueeze, method="unsqueeze", saves="none",
    shape=unsqueeze_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, dim: _reshape_to(g, x),), fast_vjp=(_reshape_to_fast,), grad_fn="UnsqueezeBackward0",
    doc="A dim of size 1 inserted at dim (in [-ndim-1, ndim]).",
)


# -- expand, broadcast_to -------------------------------------------------------------

def expand_shape(s: Shape, size: Any, tensor_type: str = "torch.FloatTensor") -> Shape:
    """The shape ``expand(size)`` gives (-1 keeps a dim), with PyTorch's errors (last dim first)."""
    size = ints_argument(size, "expand", "size", allow_int=True)
    s = tuple(s)
    if len(size) < len(s):
        raise ShapeError(
            f"expand({tensor_type}{{{_fmt(s)}}}, size={_fmt(size)}): the number of sizes provided "
            f"({len(size)}) must be greater or equal to the number of dimensions in the tensor ({len(s)})"
        )
    lead = len(size) - len(s)
    out = list(size)
    for i in range(len(size) - 1, -1, -1):
        n = size[i]
        have = s[i - lead] if i >= lead else 1
        if n == -1:
            if i < lead and s:
                raise ShapeError(
                    f"The expanded size of the tensor ({n}) isn't allowed in a leading, non-existing dimension {i}"
                )
            n = have if i >= lead else n
        if n != have and have != 1:
            raise ShapeError(
                f"The expanded size of the tensor ({n}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {_fmt(size)}.  Tensor sizes: {_fmt(s)}"
            )
        out[i] = n
    if any(n < 0 for n in out):
        raise ShapeError("numel: integer multiplication overflow")
    return tuple(out)


def _expand(xp: Any, input: Any, size: Any) -> Any:
    name = _TENSOR_TYPES.get(input.dtype.name, "FloatTensor")
    out = xp.broadcast_to(input, expand_shape(tuple(input.shape), size, f"torch.{name}"))
    if not getattr(out.flags, "writeable", True) and input.flags.writeable:
        # NumPy's broadcast is read-only; PyTorch's expand is a view to write through where the written
        # elements are distinct (``e[0] = v``; engine.inplace refuses the rest as PyTorch does)
        out.flags.writeable = True
    return out


# The gradient of a broadcast is the incoming one: the engine's sum_to sums it back.
defop(
    name="expand", view=True, forward=_expand, method="expand", varargs="size", namespace="tensor", saves="none",
    shape=expand_shape, dtype=same_dtype, vjp=(lambda g, out, x, size: g,), fast_vjp=(_same_fast,),
    grad_fn="ExpandBackward0",
    doc="A broadcast view with dims of size 1 repeated to ``size`` (-1 keeps a dim).",
)


def _broadcast_to(xp: Any, input: Any, size: Any) -> Any:
    return _expand(xp, input, ints_argument(size, "broadcast_to", "size"))


defop(
    name="broadcast_to", view=True, forward=_broadcast_to, method="broadcast_to", varargs="size",
    saves="none", shape=lambda s, size: expand_shape(s, ints_argument(size, "broadcast_to", "size")),
    dtype=same_dtype, vjp=(lambda g, out, x, size: g,), fast_vjp=(_same_fast,), grad_fn="ExpandBackward0",
    doc="``input`` broadcast to ``size``, as ``expand``.",
)


# -- cat, stack ----------------------------------------------------------------------

def _skipped(shape: Shape) -> bool:
    """PyTorch's legacy rule: a 1-d empty tensor is left out of ``cat`` whatever its shape."""
    return len(shape) == 1 and shape[0] == 0


def _cat_dim(shapes: Sequence[Shape], dim: Any) -> int | None:
    """``cat``'s checks, in PyTorch's order; the wrapped dim (None when every tensor is skipped)."""
    if not shapes:
        raise ValueError_("torch.cat(): expected a non-empty list of Tensors")
    dim = int_argument(dim, "cat", "dim", 2)
    for i, s in enumerate(shapes):
        if not s:
            raise ShapeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    valid = [i for i, s in enumerate(shapes) if not _skipped(s)]
    if not valid:
        return None
    first = tuple(shapes[valid[0]])
    d = normalize_dim(dim, len(first))
    for i in valid:
        s = tuple(shapes[i])
        if len(s) != len(first):
            raise ShapeError(f"Tensors must have same number of dimensions: got {len(first)} and {len(s)}")
        for j, (a, b) in enumerate(zip(first, s, strict=True)):
            if j != d and a != b:
                raise ShapeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} but got size {b} "
                    f"for tensor number {i} in the list."
                )
    return d


def cat_shape(shapes: Sequence[Shape], dim: Any = 0) -> Shape:
    d = _cat_dim(shapes, dim)
    if d is None:
        return (0,)
    kept = [tuple(s) for s in shapes if not _skipped(s)]
    first = kept[0]
    return (*first[:d], sum(s[d] for s in kept), *first[d + 1 :])


def _cat(xp: Any, tensors: list[Any], dim: int = 0) -> Any:
    d = _cat_dim([tuple(a.shape) for a in tensors], dim)
    kept = [a for a in tensors if not _skipped(a.shape)]
    if d is None:
        return xp.zeros((0,), dtype=tensors[0].dtype)
    return xp.concatenate(kept, axis=d)


def _list_dtype(tensors: Sequence[Any], *_: Any, **__: Any) -> tuple[Any, Any]:
    d = result_type(*tensors) if tensors else None
    return d, d


def _cat_grad(g: Any, out: Any, tensors: Sequence[Any], dim: Any) -> tuple[Any, ...]:
    shapes = [tuple(t.shape) for t in tensors]
    d = _cat_dim(shapes, dim)
    grads = []
    offset = 0
    for s in shapes:
        if d is None or _skipped(s):
            grads.append(g.reshape(-1).narrow(0, 0, 0))
            continue
        grads.append(g.narrow(d, offset, s[d]))
        offset += s[d]
    return tuple(grads)


defop(
    name="cat", forward=_cat, inputs=("tensors",), list_input=True, saves="none",
    shape=cat_shape, dtype=_list_dtype, vjp=(_cat_grad,), grad_fn="CatBackward0",
    doc="The tensors joined along dim (promoting dtypes; 1-d empty tensors are left out, as PyTorch does).",
    aliases=("concat", "concatenate"),
)


def stack_shape(shapes: Sequence[Shape], dim: Any = 0) -> Shape:
    if not shapes:
        raise ShapeError("stack expects a non-empty TensorList")
    first = tuple(shapes[0])
    d = normalize_dim(int_argument(dim, "stack", "dim", 2), len(first) + 1)
    for i, s in enumerate(shapes[1:], 1):
        if tuple(s) != first:
            raise ShapeError(
                f"stack expects each tensor to be equal size, but got {_fmt(first)} at entry 0 and "
                f"{_fmt(s)} at entry {i}"
            )
    return (*first[:d], len(shapes), *first[d:])


def _stack(xp: Any, tensors: list[Any], dim: int = 0) -> Any:
    shapes = [tuple(a.shape) for a in tensors]
    stack_shape(shapes, dim)
    return xp.stack(tensors, axis=normalize_dim(dim, len(shapes[0]) + 1))


def _stack_grad(g: Any, out: Any, tensors: Sequence[Any], dim: Any) -> tuple[Any, ...]:
    d = normalize_dim(dim, len(tensors[0].shape) + 1)
    return tuple(g.narrow(d, i, 1).reshape(tuple(t.shape)) for i, t in enumerate(tensors))


defop(
    name="stack", forward=_stack, inputs=("tensors",), list_input=True, saves="none",
    shape=stack_shape, dtype=_list_dtype, vjp=(_stack_grad,), grad_fn="StackBackward0",
    doc="Tensors of one shape joined along a new dim (promoting dtypes).",
)


# -- flip, repeat, narrow ------------------------------------------------------------

def _flip_dims(ndim: int, dims: Any) -> tuple[int, ...]:
    return normalize_dims(ints_argument(dims, "flip", "dims"), ndim)


def _flip(xp: Any, input: Any, dims: Any) -> Any:
    # a copy in the input's memory order, as PyTorch's (empty_like preserves strides)
    dims = _flip_dims(input.ndim, dims)
    return (xp.flip(input, axis=dims) if input.ndim else input).copy(order="K")


def flip_shape(shape: Shape, dims: Any) -> Shape:
    _flip_dims(len(shape), dims)
    return tuple(shape)


defop(
    name="flip", forward=_flip, method="flip", varargs="dims", saves="none",
    shape=flip_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, dims: g.flip(tuple(dims)),), grad_fn="FlipBackward0",
    doc="The elements in reverse order along each of dims (a copy).",
)


def repeat_shape(shape: Shape, repeats: Any) -> Shape:
    reps = ints_argument(repeats, "repeat", "repeats", allow_int=True)
    shape = tuple(shape)
    if len(reps) < len(shape):
        raise ShapeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    padded = (1,) * (len(reps) - len(shape)) + shape
    target = [p * r for p, r in zip(padded, reps, strict=True)]
    for n in target:
        if n < 0:
            raise ShapeError(f"Trying to create tensor with negative dimension {n}: {_fmt(target)}")
    return tuple(target)


def _repeat(xp: Any, input: Any, repeats: Any) -> Any:
    repeat_shape(tuple(input.shape), repeats)
    reps = ints_argument(repeats, "repeat", "repeats", allow_int=True)
    out = xp.tile(input, reps)
    return out if out.flags.c_contiguous else out.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)


def _repeat_grad(g: Any, out: Any, x: Any, repeats: Any) -> Any:
    reps = ints_argument(repeats, "repeat", "repeats", allow_int=True)
    if not reps:
        return g
    padded = (1,) * (len(reps) - len(x.shape)) + tuple(x.shape)
    split: list[int] = []
    for r, n in zip(reps, padded, strict=True):
        split += [r, n]
    summed = g.reshape(tuple(split)).sum(tuple(range(0, 2 * len(reps), 2)))
    return summed.reshape(tuple(x.shape))


defop(
    name="repeat", forward=_repeat, method="repeat", varargs="repeats", namespace="tensor", saves="none",
    shape=repeat_shape, dtype=same_dtype, vjp=(_repeat_grad,), grad_fn="RepeatBackward0",
    doc="The tensor tiled repeats[i] times along each dim (leading repeats add dims).",
)


def _narrow_args(shape: Shape, dim: Any, start: Any, length: Any) -> tuple[int, int, int]:
    if not shape:
        raise ShapeError("narrow() cannot be applied to a 0-dim tensor.")
    start = int_argument(start, "narrow", "start")
    length = int_argument(length, "narrow", "length")
    if length < 0:
        raise ShapeError("narrow(): length must be non-negative.")
    d = normalize_dim(int_argument(dim, "narrow", "dim"), len(shape))
    size = shape[d]
    if not -size <= start <= size:
        raise IndexError_(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start > size - length:
        raise ShapeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return d, start, length


def _narrow_key(shape: Shape, dim: Any, start: Any, length: Any) -> tuple[slice, ...]:
    d, s, n = _narrow_args(tuple(shape), dim, start, length)
    return (*(slice(None),) * d, slice(s, s + n))


def narrow_shape(shape: Shape, dim: Any, start: Any, length: Any) -> Shape:
    d, _, n = _narrow_args(tuple(shape), dim, start, length)
    return (*shape[:d], n, *shape[d + 1 :])


def _narrow(xp: Any, input: Any, dim: int, start: Any, length: int) -> Any:
    return input[_narrow_key(tuple(input.shape), dim, start, length)]


defop(
    name="narrow", view=True, forward=_narrow, method="narrow", saves="none",
    overloads=("(Tensor input, int dim, Tensor start, int length)", "(Tensor input, int dim, int start, int length)"),
    shape=narrow_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, dim, start, length: scatter_back(g, _narrow_key(x.shape, dim, start, length), x.shape),),
    grad_fn="SliceBackward0",
    doc="A view of length elements of dim from start (start may be negative, or a 0-d tensor).",
)


# -- select, diagonal, swapaxes/swapdims, movedim, unflatten: views -----------------------------

def _select_args(shape: Shape, dim: Any, index: Any) -> tuple[int, int]:
    """``select``'s (dim, index), checked (in PyTorch's order, with its words) and wrapped."""
    dim = int_argument(dim, "select", "dim", 2)
    index = int_argument(index, "select", "index", 3)
    if not shape:
        raise IndexError_("select() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, len(shape))
    n = shape[d]
    if not -n <= index < n:  # (PyTorch names the index as given, the dim wrapped)
        raise IndexError_(f"select(): index {index} out of range for tensor of size {_fmt(shape)} at dimension {d}")
    return d, index % n


def _select_key(shape: Shape, dim: Any, index: Any) -> tuple[Any, ...]:
    d, i = _select_args(tuple(shape), dim, index)
    # (the trailing ``...``: selecting from a 1-d tensor gives a 0-d view, where NumPy would give a scalar copy)
    return (*(slice(None),) * d, i, Ellipsis)


def _select(xp: Any, input: Any, dim: Any, index: Any) -> Any:
    return input[_select_key(input.shape, dim, index)]


def _select_shape(s: Shape, dim: Any, index: Any) -> Shape:
    d, _ = _select_args(tuple(s), dim, index)
    return (*s[:d], *s[d + 1 :])


defop(
    # the gradient goes back through the indexing scatter, whose node is PyTorch's SelectBackwardBackward0
    name="select", view=True, forward=_select, method="select", saves="none",
    shape=_select_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, dim, index: scatter_back(g, _select_key(x.shape, dim, index), x.shape),),
    grad_fn="SelectBackward0",
    doc="A view of the slice at index along dim, without that dim (index and dim may be negative).",
)


def _diagonal_dims(ndim: int, offset: Any, dim1: Any, dim2: Any) -> tuple[int, int, int]:
    """``diagonal``'s (offset, dim1, dim2), checked and wrapped, with PyTorch's words."""
    offset = int_argument(offset, "diagonal", "offset", 2)
    dim1 = int_argument(dim1, "diagonal", "dim1", 3)
    dim2 = int_argument(dim2, "diagonal", "dim2", 4)
    d1, d2 = normalize_dim(dim1, ndim), normalize_dim(dim2, ndim)
    if d1 == d2:
        raise ShapeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return offset, d1, d2


def diagonal_shape(shape: Shape, offset: Any = 0, dim1: Any = 0, dim2: Any = 1) -> Shape:
    k, d1, d2 = _diagonal_dims(len(shape), offset, dim1, dim2)
    n = max(0, min(shape[d1], shape[d2] - k) if k >= 0 else min(shape[d1] + k, shape[d2]))
    return (*(s for i, s in enumerate(shape) if i not in (d1, d2)), n)


def _diagonal_view(xp: Any, a: Any, offset: int, d1: int, d2: int) -> Any:
    out = xp.diagonal(a, offset, d1, d2)
    if not getattr(out.flags, "writeable", True) and a.flags.writeable:
        # NumPy's diagonal is a read-only view of writable memory; PyTorch's is a view to write through
        out.flags.writeable = True
    return out


def _diagonal(xp: Any, input: Any, offset: Any = 0, dim1: Any = 0, dim2: Any = 1) -> Any:
    return _diagonal_view(xp, input, *_diagonal_dims(input.ndim, offset, dim1, dim2))


def _diagonal_grad(g: Any, out: Any, x: Any, offset: Any, dim1: Any, dim2: Any) -> Any:
    k, d1, d2 = _diagonal_dims(len(x.shape), offset, dim1, dim2)
    return call(REGISTRY["_diagonal_backward"], (g,), {"shape": tuple(x.shape), "offset": k, "dim1": d1, "dim2": d2})


defop(
    name="diagonal", view=True, forward=_diagonal, method="diagonal", saves="none",
    shape=diagonal_shape, dtype=same_dtype, vjp=(_diagonal_grad,), grad_fn="DiagonalBackward0",
    doc="A view of the diagonal of dims dim1, dim2 (above it for offset > 0, below for < 0), as the last dim.",
)


def _diagonal_backward(xp: Any, grad: Any, shape: Shape, offset: int, dim1: int, dim2: int) -> Any:
    out = xp.zeros(tuple(shape), dtype=grad.dtype)
    _diagonal_view(xp, out, offset, dim1, dim2)[...] = grad
    return out


defop(
    # PyTorch's diagonal_backward: its own node, whose derivative is a diagonal again
    name="_diagonal_backward", forward=_diagonal_backward, inputs=("grad",), namespace="tensor", saves="none",
    shape=lambda g, shape, offset, dim1, dim2: tuple(shape), dtype=same_dtype,
    vjp=(lambda gg, out, g, shape, offset, dim1, dim2: gg.diagonal(offset, dim1, dim2),),
    grad_fn="DiagonalBackwardBackward0",
    doc="The gradient of diagonal: grad written on that diagonal of zeros of the input's shape.",
)


def _swap_dims(opname: str, names: tuple[str, str], ndim: int, dim0: Any, dim1: Any) -> tuple[int, int]:
    return (normalize_dim(int_argument(dim0, opname, names[0], 2), ndim),
            normalize_dim(int_argument(dim1, opname, names[1], 3), ndim))


def _swapped(shape: Shape, d0: int, d1: int) -> Shape:
    out = list(shape)
    if out:
        out[d0], out[d1] = out[d1], out[d0]
    return tuple(out)


def _swapaxes(xp: Any, input: Any, axis0: Any, axis1: Any) -> Any:
    d0, d1 = _swap_dims("swapaxes", ("axis0", "axis1"), input.ndim, axis0, axis1)
    return xp.swapaxes(input, d0, d1) if input.ndim else input


def _swapdims(xp: Any, input: Any, dim0: Any, dim1: Any) -> Any:
    d0, d1 = _swap_dims("swapdims", ("dim0", "dim1"), input.ndim, dim0, dim1)
    return xp.swapaxes(input, d0, d1) if input.ndim else input


# PyTorch's swapaxes and swapdims are transpose under NumPy's and its own parameter names
defop(
    name="swapaxes", view=True, forward=_swapaxes, method="swapaxes", saves="none", dtype=same_dtype,
    shape=lambda s, axis0, axis1: _swapped(tuple(s), *_swap_dims("swapaxes", ("axis0", "axis1"), len(s), axis0,
                                                                 axis1)),
    vjp=(lambda g, out, x, axis0, axis1: g.transpose(axis0, axis1),), grad_fn="TransposeBackward0",
    doc="A view with dims axis0 and axis1 swapped (transpose).",
)
defop(
    name="swapdims", view=True, forward=_swapdims, method="swapdims", saves="none", dtype=same_dtype,
    shape=lambda s, dim0, dim1: _swapped(tuple(s), *_swap_dims("swapdims", ("dim0", "dim1"), len(s), dim0, dim1)),
    vjp=(lambda g, out, x, dim0, dim1: g.transpose(dim0, dim1),), grad_fn="TransposeBackward0",
    doc="A view with dims dim0 and dim1 swapped (transpose).",
)


def _movedim_perm(ndim: int, source: Any, destination: Any) -> tuple[int, ...]:
    """The permutation ``movedim`` makes: each source dim at its destination, the others in order."""
    src, dst = as_index(source), as_index(destination)
    sources: Shape
    destinations: Shape
    if src is not None and dst is not None:  # PyTorch's (int source, int destination) overload
        sources, destinations = (src,), (dst,)
    elif isinstance(source, (list, tuple)) and isinstance(destination, (list, tuple)):
        sources = ints_argument(source, "movedim", "source")
        destinations = ints_argument(destination, "movedim", "destination")
    else:  # (``call`` words it from the entry's overloads, as PyTorch's parser)
        raise NoOverloadError("movedim() received an invalid combination of arguments")
    if len(sources) != len(destinations):
        raise ShapeError(
            f"movedim: Invalid source or destination dims: source ({_fmt(sources)} dims) should contain the same "
            f"number of dims as destination ({_fmt(destinations)} dims)"
        )
    wrapped_src = [normalize_dim(d, ndim) for d in sources]
    wrapped_dst = [normalize_dim(d, ndim) for d in destinations]
    for name, given, wrapped in (("source", sources, wrapped_src), ("destination", destinations, wrapped_dst)):
        if len(set(wrapped)) != len(wrapped):
            raise ShapeError(f"movedim: repeated dim in `{name}` ({_fmt(given)})")
    if not ndim:
        return ()
    order: list[int | None] = [None] * ndim
    for s, d in zip(wrapped_src, wrapped_dst, strict=True):
        order[d] = s
    rest = iter([i for i in range(ndim) if i not in wrapped_src])
    return tuple(next(rest) if o is None else o for o in order)


def _movedim(xp: Any, input: Any, source: Any, destination: Any) -> Any:
    perm = _movedim_perm(input.ndim, source, destination)
    return xp.transpose(input, perm) if input.ndim else input[...]


def _movedim_grad(g: Any, out: Any, x: Any, source: Any, destination: Any) -> Any:
    perm = _movedim_perm(len(x.shape), source, destination)
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return g.permute(tuple(inverse)) if perm else g


defop(
    # a permute (PermuteBackward0); of a 0-d tensor, an alias (AliasBackward0), as PyTorch's
    name="movedim", view=True, forward=_movedim, method="movedim", saves="none", aliases=("moveaxis",),
    overloads=("(Tensor input, int source, int destination)",
               "(Tensor input, tuple of ints source, tuple of ints destination)"),
    shape=lambda s, source, destination: tuple(s[p] for p in _movedim_perm(len(s), source, destination)),
    dtype=same_dtype, vjp=(_movedim_grad,),
    grad_fn=lambda x, source, destination: "PermuteBackward0" if len(x.shape) else "AliasBackward0",
    doc="A view with the dims of source moved to destination (ints or tuples), the others kept in order.",
)


def _unflatten_sizes(sizes: Any) -> Shape:
    """``sizes`` as PyTorch's parser reads a ``SymInt[]`` (its words for an element that is no int)."""
    if not isinstance(sizes, (list, tuple)):
        raise ArgumentError(f"unflatten(): argument 'sizes' (position 3) must be tuple of ints, not {type_name(sizes)}")
    out = []
    for i, v in enumerate(sizes):
        index = as_index(v)
        if index is None:
            raise ArgumentError(f"unflatten(): argument 'sizes' (position 3) must be tuple of ints, but found element "
                                f"of type {type_name(v)} at pos {i}")
        out.append(index)
    return tuple(out)


def unflatten_shape(shape: Shape, dim: Any, sizes: Any) -> Shape:
    shape = tuple(shape)
    dim = int_argument(dim, "unflatten", "dim", 2)
    sizes = _unflatten_sizes(sizes)
    d = normalize_dim(dim, len(shape))
    if not sizes:
        raise ShapeError("unflatten: sizes must be non-empty")
    if not shape:  # (PyTorch wraps its C++ error, whose words end with a C++ stack trace, not repeated here)
        raise ShapeError("unflatten got an unexpected error:\nDimension specified as 0 but tensor has no dimensions")
    try:
        inferred = infer_shape(sizes, shape[d])
    except ShapeError as exc:
        if "is invalid for input of size" in str(exc):
            raise ShapeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the size of dim {d} "
                             f"({shape[d]}) in the input tensor") from None
        raise ShapeError(f"unflatten got an unexpected error:\n{exc}") from None
    return (*shape[:d], *inferred, *shape[d + 1 :])


def _unflatten(xp: Any, input: Any, dim: Any, sizes: Any) -> Any:
    return input.reshape(unflatten_shape(tuple(input.shape), dim, sizes))  # (splitting one dim: always a view)


def _unflatten_route(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> None:
    """PyTorch's ``Tensor.unflatten`` is a Python method that refuses empty sizes before anything else."""
    sizes = args[2] if len(args) > 2 else kwargs.get("sizes", 1)
    if method and not sizes:
        raise ShapeError("unflatten: sizes must be non-empty")


defop(
    name="unflatten", view=True, forward=_unflatten, method="unflatten", saves="none", route=_unflatten_route,
    shape=unflatten_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, dim, sizes: _reshape_to(g, x),), fast_vjp=(_reshape_to_fast,), grad_fn="ViewBackward0",
    doc="A view with dim split into sizes (one of them may be -1).",
)


# -- split, chunk, unbind: tuples of views --------------------------------------------------------
# PyTorch's pieces share one multi-output node; here each piece is a ``_piece`` of its own, with that
# node's name (``SplitBackward0``, ``SplitWithSizesBackward0``, ``UnbindBackward0``): the same values,
# views and gradients. They return tuples, so they are functions of the engine and methods of tensors
# (``TUPLE_FUNCTIONS``), not registry entries (the service's ops return one tensor).

def _piece_key(dim: int, start: int, length: int | None) -> tuple[Any, ...]:
    """The key of one piece: ``length`` elements of ``dim`` from ``start``, or (None) the one at ``start``."""
    # (the trailing ``...``: one element of a 1-d tensor is a 0-d view, where NumPy would give a scalar copy)
    return (*(slice(None),) * dim, start if length is None else slice(start, start + length), Ellipsis)


def _piece(xp: Any, input: Any, dim: int, start: int, length: int | None, node: str) -> Any:
    return input[_piece_key(dim, start, length)]


def _piece_shape(s: Shape, dim: int, start: int, length: int | None, node: str) -> Shape:
    return (*s[:dim], *(() if length is None else (length,)), *s[dim + 1 :])


defop(
    name="_piece", view=True, forward=_piece, inputs=("input",), namespace="tensor", saves="none",
    shape=_piece_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, dim, start, length, node: scatter_back(g, _piece_key(dim, start, length), x.shape),),
    grad_fn=lambda x, dim, start, length, node: node,
    doc="One piece of split, chunk or unbind (a view): length elements of dim from start, or the one at start.",
)


def _pieces(x: Any, dim: int, sizes: Sequence[int], node: str) -> tuple[Any, ...]:
    from .registry import REGISTRY, call

    out = []
    start = 0
    for n in sizes:
        out.append(call(REGISTRY["_piece"], (x,), {"dim": dim, "start": start, "length": n, "node": node}))
        start += n
    return _labelled(out, node)


def _labelled(pieces: Sequence[Any], node: str) -> tuple[Any, ...]:
    """The pieces, each a view labelled as PyTorch's refusal of an in-place op on it names it."""
    for i, p in enumerate(pieces):
        if p._base is not None:
            p._multi_output = f"Output {i} of {node.removesuffix('Backward0')}"
    return tuple(pieces)


def _split_dim(opname: str, x: Any, dim: Any) -> int:
    if x.ndim == 0:
        raise ShapeError(f"{opname} expects at least a 1-dimensional tensor")
    return normalize_dim(int_argument(dim, opname, "dim", 3), x.ndim)


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
    """``torch.split``: pieces of ``split_size`` along dim (the last may be smaller), or of the listed sizes."""
    size = as_index(split_size_or_sections) if not isinstance(split_size_or_sections, bool) else None
    if size is None:  # (PyTorch's split_with_sizes)
        sections = ints_argument(split_size_or_sections, "split_with_sizes", "split_sizes")
        d = _split_dim("split_with_sizes", tensor, dim)
        n = tensor.shape[d]
        if any(s < 0 for s in sections):
            raise ShapeError(
                "split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={list(sections)}"
            )
        if sum(sections) != n:
            raise ShapeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), "
                f"but got split_sizes={list(sections)}"
            )
        return _pieces(tensor, d, sections, "SplitWithSizesBackward0")
    d = _split_dim("split", tensor, dim)
    n = tensor.shape[d]
    if size < 0:
        raise ShapeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise ShapeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    count = max((n + size - 1) // size, 1) if size else 1
    return _pieces(tensor, d, [size] * (count - 1) + [n - size * (count - 1)], "SplitBackward0")


def chunk(input: Any, chunks: Any, dim: int = 0) -> tuple[Any, ...]:
    """``torch.chunk``: ``chunks`` pieces of ceil(size / chunks) along dim (fewer where they run out)."""
    chunks = int_argument(chunks, "chunk", "chunks", 2)
    d = _split_dim("chunk", input, dim)
    if chunks <= 0:
        raise ShapeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[d]
    size = (n + chunks - 1) // chunks
    if size == 0 and n == 0:  # (as PyTorch: that many empty pieces)
        return _pieces(input, d, [0] * chunks, "SplitWithSizesBackward0")
    return split(input, size, d)


def unbind(input: Any, dim: int = 0) -> tuple[Any, ...]:
    """``torch.unbind``: the slices along dim, each without that dim."""
    from .registry import REGISTRY, call

    if input.ndim == 0:
        raise IndexError_("Dimension specified as 0 but tensor has no dimensions")
    d = normalize_dim(int_argument(dim, "unbind", "dim", 2), input.ndim)
    piece = REGISTRY["_piece"]
    return _labelled([call(piece, (input,), {"dim": d, "start": i, "length": None, "node": "UnbindBackward0"})
                      for i in range(input.shape[d])], "UnbindBackward0")


# engine.<name> and Tensor.<name> (the tensor first), returning tuples
TUPLE_FUNCTIONS: dict[str, Callable[..., tuple[Any, ...]]] = {"split": split, "chunk": chunk, "unbind": unbind}
