"""Writes through views while a graph is recorded: PyTorch's ``CopySlices`` and ``AsStridedBackward0``.

An in-place op on a view ``v`` of ``b`` (``v = y[0]; v.mul_(3)``, ``y[:, 0] += 1``) changes ``b``'s
values, so ``b``'s history must say so: ``b`` takes a ``CopySlices`` node (``_copy_slices``: ``b``'s
old values with the view's new ones written where the view reads), and ``v`` and every other live
view of ``b`` read ``b``'s new values through an ``AsStridedBackward0`` node (``_as_strided``).
``engine.inplace`` does the bookkeeping; the ops here are the math.

Where a view reads is its elements' flat positions in its base (``strided_index``): found from the
two arrays' addresses and strides, for any view NumPy can make (slices, steps, transposes,
reshapes, diagonals, negative strides), so one rule serves every view op. The index is a
parameter, an int64 array of the view's shape; the three ops are each other's derivatives (read
there, scatter there, zero there), so second derivatives work. A piece of split/unbind cannot be
remade so (PyTorch's one node makes them all): it takes an ``_invalid_view`` node, which refuses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import AutogradError
from ._helpers import same_dtype
from .indexing import _scatter_add
from .registry import REGISTRY, call, defop

Shape = tuple[int, ...]


def address(a: Any) -> int:
    """The address of an array's first element (NumPy's, or CuPy's)."""
    interface = getattr(a, "__array_interface__", None)
    return int(interface["data"][0]) if interface is not None else int(a.data.ptr)  # (CuPy: a.data.ptr)


def _extent(shape: Shape, strides: tuple[int, ...]) -> tuple[int, int]:
    """The lowest and highest offsets (in elements) an array of ``shape`` and element ``strides`` reaches."""
    if 0 in shape:
        return 0, 0
    low = sum((n - 1) * s for n, s in zip(shape, strides, strict=True) if s < 0)
    high = sum((n - 1) * s for n, s in zip(shape, strides, strict=True) if s > 0)
    return low, high


def strided_index(base: Any, view: Any) -> np.ndarray | None:
    """The flat (C-order) positions in ``base`` of ``view``'s elements, an int64 array of the view's
    shape; None where the view's elements do not all lie on the base's elements."""
    size = base.dtype.itemsize
    offset = address(view) - address(base)
    if view.dtype != base.dtype or offset % size or any(s % size for s in (*base.strides, *view.strides)):
        return None
    b_strides = tuple(s // size for s in base.strides)
    v_strides = tuple(s // size for s in view.strides)
    low, high = _extent(base.shape, b_strides)
    v_low, v_high = _extent(view.shape, v_strides)
    if view.size and (offset // size + v_low < low or offset // size + v_high > high):
        return None
    if base.flags.c_contiguous:  # (the usual base: a position is an offset, no scratch of the base's size)
        index = np.full(view.shape, offset // size, np.int64)
        for axis, (n, s) in enumerate(zip(view.shape, v_strides, strict=True)):
            index += (np.arange(n, dtype=np.int64) * s).reshape((1,) * axis + (n,) + (1,) * (view.ndim - axis - 1))
        return index
    # the base's C-order positions laid out in a scratch buffer with the base's own geometry, read back
    # through the view's geometry (a gap the base does not cover reads -1)
    scratch = np.full(high - low + 1, -1, np.int64)
    item = scratch.itemsize
    laid = np.lib.stride_tricks.as_strided(scratch[-low:], base.shape, tuple(s * item for s in b_strides))
    laid[...] = np.arange(base.size, dtype=np.int64).reshape(base.shape)
    if not view.size:
        return np.zeros(view.shape, np.int64)
    read = np.lib.stride_tricks.as_strided(scratch[offset // size - low:], view.shape,
                                           tuple(s * item for s in v_strides))
    index = read.copy()
    return None if int(index.min()) < 0 else index


def _index_for(xp: Any, index: np.ndarray) -> Any:
    return index if xp is np else xp.asarray(index)


def _as_strided(xp: Any, input: Any, index: np.ndarray, repeats: bool = False) -> Any:
    return xp.ascontiguousarray(input).reshape(-1)[_index_for(xp, index)]


def _as_strided_grad(g: Any, out: Any, x: Any, index: np.ndarray, repeats: bool = False) -> Any:
    return call(REGISTRY["_as_strided_scatter"], (g,), {"index": index, "shape": tuple(x.shape), "repeats": repeats})


defop(
    # (repeats: the view reads some positions more than once, an expanded one: its gradient sums there)
    name="_as_strided", forward=_as_strided, inputs=("input",), namespace="tensor", saves="none",
    shape=lambda s, index, repeats=False: tuple(index.shape), dtype=same_dtype,
    vjp=(_as_strided_grad,), grad_fn="AsStridedBackward0",
    doc="input's elements at flat positions index (a view's values read from its base, after a write).",
)


def _as_strided_scatter(xp: Any, grad: Any, index: np.ndarray, shape: Shape, repeats: bool = False) -> Any:
    out = xp.zeros(shape, grad.dtype)
    if repeats:
        _scatter_add(xp, out.reshape(-1), _index_for(xp, index), grad)
    else:
        out.reshape(-1)[_index_for(xp, index)] = grad
    return out


defop(
    name="_as_strided_scatter", forward=_as_strided_scatter, inputs=("grad",), namespace="tensor", saves="none",
    shape=lambda s, index, shape, repeats=False: tuple(shape), dtype=same_dtype,
    vjp=(lambda gg, out, g, index, shape, repeats=False: call(REGISTRY["_as_strided"], (gg,), {"index": index}),),
    grad_fn="AsStridedScatterBackward0",
    doc="grad written at flat positions index of zeros of shape (the derivative of _as_strided).",
)


def _copy_slices(xp: Any, input: Any, values: Any, index: np.ndarray) -> Any:
    out = xp.array(input, order="C")
    out.reshape(-1)[_index_for(xp, index)] = values
    return out


defop(
    # (it keeps its inputs though no rule reads them: a second backward through it is refused once they
    # are freed, as through PyTorch's CopySlices)
    name="_copy_slices", forward=_copy_slices, inputs=("input", "values"), namespace="tensor", saves="inputs",
    reads=((), ()), scalars=True,
    shape=lambda s, v, index: tuple(s), dtype=lambda x, v, index: (None, x.dtype),
    vjp=(lambda g, out, x, values, index: call(REGISTRY["_copy_slices"], (g, 0), {"index": index}),
         lambda g, out, x, values, index: call(REGISTRY["_as_strided"], (g,), {"index": index})),
    grad_fn="torch::autograd::CopySlices",
    doc="input with values written at flat positions index (an in-place op on a view, recorded on its base).",
)


def _invalid_view(xp: Any, input: Any, index: np.ndarray, message: str) -> Any:
    return _as_strided(xp, input, index)


def _invalid_vjp(g: Any, out: Any, x: Any, index: np.ndarray, message: str) -> Any:
    raise AutogradError(message)


defop(
    # PyTorch cannot remake the node of a piece of split/unbind (one node makes them all): once its base
    # was written, the piece's history is an error, raised when a gradient reaches it
    name="_invalid_view", forward=_invalid_view,
    inputs=("input",), namespace="tensor", saves="none",
    shape=lambda s, index, message: tuple(index.shape), dtype=same_dtype,
    vjp=(_invalid_vjp,), grad_fn="Invalid",
    doc="A view whose history cannot be remade after its base was written: backward through it raises.",
)
