"""Creation ops in the registry: zeros_like, ones_like, full_like (not differentiable).

These entries are the one implementation (values, dtype, shape, errors). ``engine.zeros_like``
and friends (``engine/creation.py``) call them and add the factory-only keywords
``device=`` and ``requires_grad=``; through the registry (``/v1/ops``, the service) the
output never requires grad, as in PyTorch without ``requires_grad=True``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes
from ..dtypes import dtype as DType
from ..errors import ArgumentError, DTypeError, ShapeError, scalar_overflow, type_name
from ._helpers import broadcast_shapes, same_shape
from .registry import defop

_NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)

# the C++ type names PyTorch's overflow message uses
_CPP_NAME = {"int32": "int", "int64": "int64_t", "float16": "c10::Half", "float32": "float", "float64": "double"}


def fill_scalar(value: Any, dt: DType, opname: str = "full_like", position: int = 2) -> Any:
    """``value`` converted to a Python number of ``dt``, refusing overflow with PyTorch's words."""
    if hasattr(value, "item") and hasattr(value, "shape") and not isinstance(value, np.generic):
        value = value.item()  # a one-element tensor, as PyTorch accepts
    if not isinstance(value, _NUMBER):
        raise ArgumentError(
            f"{opname}(): argument 'fill_value' (position {position}) must be Number, not {type_name(value)}"
        )
    if isinstance(value, np.generic):
        value = value.item()
    too_big = scalar_overflow(value)
    if too_big is not None:
        raise too_big
    if dt is dtypes.bool_:
        return bool(value)
    overflow = DTypeError(f"value cannot be converted to type {_CPP_NAME[dt.name]} without overflow")
    if dt.is_floating_point:
        v = float(value)
        if math.isfinite(v) and abs(v) > float(np.finfo(dt.np).max):
            raise overflow
        return v
    info = np.iinfo(dt.np)
    if isinstance(value, float):
        # PyTorch compares in double: NaN and values beyond the range overflow
        if math.isnan(value) or value < float(info.min) or value > float(info.max):
            raise overflow
        v = int(value)  # truncation toward zero, as a C++ cast
        return info.min if v > info.max else v  # 2.0**63 is "in range" in double; x86 gives INT64_MIN
    v = int(value)
    if not info.min <= v <= info.max:
        raise overflow
    return v


def check_scalar_fits(value: Any, dt: DType) -> None:
    """PyTorch's error for a Python number an op converts to ``dt`` that does not fit it
    (``clamp(x, max=1e40)`` on float32: "value cannot be converted to type float without overflow")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        fill_scalar(value, dt)


def _target(input: Any, dtype: Any) -> DType:
    return dtypes.from_numpy_dtype(input.dtype) if dtype is None else dtypes.to_dtype(dtype)


def _like_dtype(input: Any, *_: Any, dtype: Any = None, **__: Any) -> tuple[None, DType]:
    return None, input.dtype if dtype is None else dtypes.to_dtype(dtype)


def _zeros_like(xp: Any, input: Any, *, dtype: Any = None) -> Any:
    return xp.zeros(input.shape, dtype=_target(input, dtype).np)


def _ones_like(xp: Any, input: Any, *, dtype: Any = None) -> Any:
    return xp.ones(input.shape, dtype=_target(input, dtype).np)


def _full_like(xp: Any, input: Any, fill_value: Any, *, dtype: Any = None) -> Any:
    dt = _target(input, dtype)
    return xp.full(input.shape, fill_scalar(fill_value, dt), dtype=dt.np)


defop(
    name="zeros_like", forward=_zeros_like, method=None, shape=same_shape, dtype=_like_dtype,
    vjp=None, grad_fn="", saves="none",
    doc="Zeros with input's shape, in input's dtype unless dtype is given; no gradient.",
)
defop(
    name="ones_like", forward=_ones_like, method=None, shape=same_shape, dtype=_like_dtype,
    vjp=None, grad_fn="", saves="none",
    doc="Ones with input's shape, in input's dtype unless dtype is given; no gradient.",
)
defop(
    name="full_like", forward=_full_like, method=None, shape=same_shape, dtype=_like_dtype,
    vjp=None, grad_fn="", saves="none",
    doc="fill_value (converted to the dtype, which is input's unless given) with input's shape; no gradient.",
)


# -- fill_, zero_ and copy_ while the graph is recorded -------------------------------------------
# (``engine.inplace`` writes the result into the tensor; outside a recorded graph it fills directly)

def _fill(xp: Any, input: Any, value: Any, *, zero: bool = False) -> Any:
    dt = dtypes.from_numpy_dtype(input.dtype)
    return xp.full(input.shape, fill_scalar(value, dt, "fill_", 1), dtype=input.dtype)


def _fill_dtype(input: Any, value: Any, *, zero: bool = False) -> tuple[None, DType]:
    if getattr(value, "ndim", 0):
        raise ShapeError(  # (a RuntimeError, as PyTorch's)
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions."
        )
    return None, input.dtype


def _fill_name(input: Any, value: Any, *, zero: bool = False) -> str:
    return "ZeroBackward0" if zero else "FillBackward3" if hasattr(value, "dtype") else "FillBackward2"


def _fill_grad_input(g: Any, out: Any, *_: Any, **__: Any) -> Any:
    from ..creation import zeros_like

    return zeros_like(g)  # what was there before is overwritten


def _fill_grad_value(g: Any, out: Any, input: Any, value: Any, *, zero: bool = False) -> Any:
    return g.sum()


defop(
    name="_fill", forward=_fill, inputs=("input", "value"), scalars=True, namespace="tensor",
    shape=lambda s, v=(), **_: tuple(s), dtype=_fill_dtype, saves="none",
    vjp=(_fill_grad_input, _fill_grad_value), grad_fn=_fill_name,
    doc="Private: input's shape and dtype, filled with value (what fill_ and zero_ record).",
)


def copy_shape(shape: Any, src: Any = ()) -> tuple[int, ...]:
    """``copy_``'s rule: src broadcasts to the tensor's own shape, which does not change (PyTorch's words)."""
    out = broadcast_shapes(tuple(shape), tuple(src))
    if out != tuple(shape):
        raise ShapeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(out)}")
    return out


def _copy(xp: Any, input: Any, src: Any) -> Any:
    src = xp.asarray(src)  # (a Python number: PyTorch reads it as a 0-d tensor)
    copy_shape(input.shape, src.shape)
    return xp.broadcast_to(src, input.shape).astype(input.dtype)  # (any dtype converts, as a C++ cast)


defop(
    # PyTorch's CopyBackwards: the old values get zeros, src the gradient (the engine sums it back to src's
    # shape and casts it to src's dtype); it saves nothing, so a second backward through it runs
    name="_copy", forward=_copy, inputs=("input", "src"), scalars=True, namespace="tensor", saves="none",
    untracked_integers=True, shape=copy_shape, dtype=lambda x, src: (None, x.dtype),
    vjp=(_fill_grad_input, lambda g, out, x, src: g), grad_fn="torch::autograd::CopyBackwards",
    doc="Private: src broadcast to input's shape, in input's dtype (what copy_ records).",
)
