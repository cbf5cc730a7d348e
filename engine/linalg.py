"""``torch.linalg``'s norms: ``vector_norm``, ``matrix_norm`` and ``norm``, as PyTorch composes them.

A vector norm is the registry's ``norm`` (``LinalgVectorNormBackward0``); the matrix 1- and
inf-norms are a vector 1-norm over one dim and ``amax``/``amin`` over the other, and the
Frobenius norm a vector 2-norm over both, as PyTorch's ``linalg_matrix_norm`` computes them (so
their graphs and gradients are PyTorch's). The norms of singular values (``ord='nuc'``, 2, -2)
are not carried: the engine has no SVD.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ArgumentError, DTypeError, ShapeError, UnsupportedError, type_name
from .ops._helpers import as_index, normalize_dim
from .ops.registry import REGISTRY, call

__all__ = ["matrix_norm", "norm", "vector_norm"]


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """The vector ``ord``-norm over ``dim`` (every element when None)."""
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise ArgumentError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type_name(ord)}")
    try:
        return call(REGISTRY["norm"], (x,), {"p": ord, "dim": dim, "keepdim": keepdim, "dtype": dtype})
    except ArgumentError as exc:  # (the registry's norm words its arguments as torch.norm; this is vector_norm)
        if str(exc).startswith("norm(): "):
            exc.args = ("linalg_vector_norm(): " + str(exc).removeprefix("norm(): "),)
        raise


def matrix_norm(a: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Any:
    """The matrix norm over the two dims ``dim``: ``'fro'``, or ``ord`` 1, -1, inf, -inf (column / row sums)."""
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise ShapeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif abs(ord) not in (1, 2, math.inf):
        raise ShapeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if a.ndim < 2:
        raise ShapeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise ShapeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = (normalize_dim(as_index(d), a.ndim) for d in dims)  # type: ignore[arg-type]
    if d0 == d1:
        raise ShapeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if not a.dtype.is_floating_point:
        raise DTypeError(
            f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got {a.dtype._short}"
        )
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim, dtype=dtype)
    if ord == "nuc" or abs(ord) == 2:
        raise UnsupportedError(
            f"linalg.matrix_norm: ord={ord!r} is a norm of singular values, which the engine does not carry (no SVD)"
        )
    if math.isinf(ord):  # (the row sums: summed over the columns first)
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:  # (the first reduction removes a dim before the second)
        d1 -= 1
    sums = vector_norm(a, 1, d0, keepdim, dtype=dtype)
    return call(REGISTRY["amax" if ord > 0 else "amin"], (sums, d1, keepdim), {})


def norm(a: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """``torch.linalg.norm``: a matrix norm where ``ord`` is given with two dims (or a 2-D input), else a
    vector norm (the 2-norm of every element when ``ord`` and ``dim`` are None)."""
    dims = None if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if dims is not None and len(dims) not in (1, 2):
        raise ShapeError(
            "linalg.norm: If dim is specified, it must be of length 1 or 2. "
            f"Got [{', '.join(map(str, dims))}]"
        )
    if dims is None and ord is not None and a.ndim not in (1, 2):
        raise ShapeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {a.ndim}D.")
    if isinstance(ord, str) or (ord is not None and (len(dims) == 2 if dims is not None else a.ndim == 2)):
        return matrix_norm(a, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
