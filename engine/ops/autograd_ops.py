"""Ops about the graph itself: detach, clone, and the dtype/device cast ``_to_copy``."""

from __future__ import annotations

from typing import Any

from .. import backend, dtypes
from ._helpers import same_dtype, same_shape
from .registry import defop


def _detach(xp: Any, input: Any) -> Any:
    return input


def _clone(xp: Any, input: Any) -> Any:
    return input.copy()


defop(
    name="detach", forward=_detach, method="detach", shape=same_shape,
    dtype=same_dtype, vjp=None, grad_fn="", saves="none",
    doc="The same values, cut from the graph (requires_grad=False).",
)

def _contiguous(xp: Any, input: Any) -> Any:
    return xp.ascontiguousarray(input)


defop(
    name="contiguous", forward=_contiguous, method="contiguous",
    namespace="tensor", shape=same_shape, dtype=same_dtype, identity=lambda x: x._data.flags.c_contiguous,
    vjp=(lambda g, out, x: g,), grad_fn="CloneBackward0", saves="none",
    doc="The tensor itself when its elements lie in row-major order, else such a copy (in the graph).",
)

defop(
    name="clone", forward=_clone, method="clone", shape=same_shape,
    dtype=same_dtype, vjp=(lambda g, out, x: g,), grad_fn="CloneBackward0", saves="none",
    doc="A copy that stays in the graph (its gradient passes straight through).",
)


def _to_copy(xp: Any, input: Any, *, dtype: Any = None, device: Any = None) -> Any:
    if device is not None:
        return backend.to_device(input, backend.device(device))
    return input


def _to_copy_dtype(x: Any, *, dtype: Any = None, device: Any = None) -> tuple[Any, Any]:
    d = x.dtype if dtype is None else dtypes.to_dtype(dtype)
    return d, d


def _to_copy_grad(g: Any, out: Any, x: Any, dtype: Any, device: Any) -> Any:
    # the engine casts the gradient back to x's dtype; only the device is ours to undo
    return g if device is None else g.to(x.device)


defop(
    name="_to_copy", forward=_to_copy, namespace="tensor", shape=same_shape, dtype=_to_copy_dtype,
    untracked_integers=True,
    vjp=(_to_copy_grad,), grad_fn="ToCopyBackward0", saves="none",
    doc="A copy in another dtype or on another device (``Tensor.to``).",
)
