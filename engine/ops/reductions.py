"""Reductions over ``dim`` (an int, a tuple, or None for all) with ``keepdim``."""

from __future__ import annotations

from typing import Any

from ._helpers import normalize_dims, reduced_shape, sum_dtype
from .registry import defop


def _expand_back(g: Any, shape: tuple[int, ...], dim: Any, keepdim: bool) -> Any:
    """Put a reduced gradient back in the input's shape (unsqueeze, then expand)."""
    dims = normalize_dims(dim, len(shape))
    if not keepdim and dims:
        g = g.reshape(reduced_shape(shape, dims, True))
    return g.expand(shape)


def _sum(xp: Any, input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    return xp.sum(input, axis=normalize_dims(dim, input.ndim), keepdims=keepdim)


defop(
    name="sum", forward=_sum, method="sum", saves="none",
    shape=lambda s, dim=None, keepdim=False, dtype=None: reduced_shape(s, normalize_dims(dim, len(s)), keepdim),
    dtype=sum_dtype,
    vjp=(lambda g, out, x, dim, keepdim, dtype: _expand_back(g, x.shape, dim, keepdim),),
    grad_fn=lambda x, dim=None, keepdim=False, dtype=None: "SumBackward0" if dim is None else "SumBackward1",
    doc="Sum of the elements over dim (all when dim is None).",
)
