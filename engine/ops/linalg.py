"""Linear algebra: matmul (and the mm / bmm / mv / dot it dispatches to), outer, t,
transpose, permute, trace and einsum.

``matmul`` is one entry whose forward is one ``xp.matmul`` call. PyTorch computes it by
decomposing into dot / mv / mm / bmm plus views (``_matmul_impl``), so its errors and the
``grad_fn`` name of its result depend on the ranks, the shapes and which inputs require
grad; ``_matmul_plan`` walks that same decision tree on shapes alone. Where PyTorch also
looks at strides, inputs are taken to be contiguous (as PyTorch's tensors of the same
data are); the few checks whose words depend on which CPU kernel runs follow that too.

``einsum`` follows PyTorch's parser (its errors, implicit output, ellipsis, repeated
labels for diagonals, broadcasting of size-1 dims) and its left-to-right pairwise
reduction for the output dtype, dtype errors and the ``grad_fn`` name; the forward is one
``xp.einsum`` call, and each operand's derivative is again an einsum.
"""

from __future__ import annotations

import string
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..autograd.grad_mode import STATE
from ..dtypes import bool_, float16, float32, float64, int64, promote_types
from ..dtypes import dtype as DType
from ..errors import (
    ArgumentError,
    DTypeError,
    DTypeNotImplementedError,
    ShapeError,
    UnsupportedError,
    ValueError_,
    type_name,
)
from ._helpers import broadcast_shapes, normalize_dim, numel, promote
from .registry import Op, call, defop, register
from .shape import int_argument, ints_argument

Shape = tuple[int, ...]


# C++ type names PyTorch prints in mm's dtype error ("float != double").
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "bool": "bool"}


def _not_for_bool(kernel: str) -> DTypeNotImplementedError:
    return DTypeNotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _compute(d: DType) -> DType | None:
    """Half products accumulate in float32, as PyTorch's CPU kernels do."""
    return float32 if d is float16 else None


# -- the kernels matmul decomposes into: their checks, in PyTorch's order ----------------

def _check_dot(s1: Shape, s2: Shape, d1: DType | None, d2: DType | None) -> None:
    if len(s1) != 1 or len(s2) != 1:
        raise ShapeError(f"1D tensors expected, but got {len(s1)}D and {len(s2)}D tensors")
    if d1 is not None and d2 is not None and d1 is not d2:
        raise DTypeError(f"dot : expected both vectors to have same dtype, but found {d1._short} and {d2._short}")
    if s1[0] != s2[0]:
        raise ShapeError(
            f"inconsistent tensor size, expected tensor [{s1[0]}] and src [{s2[0]}] to have the same number "
            f"of elements, but got {s1[0]} and {s2[0]} elements respectively"
        )
    if d1 is bool_:
        raise _not_for_bool("dot")


def _check_mv(sm: Shape, sv: Shape, dm: DType | None, dv: DType | None) -> None:
    if len(sm) != 2 or len(sv) != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got 1, {len(sm)}, {len(sv)}")
    if sm[1] != sv[0]:
        raise ShapeError(f"size mismatch, got input ({sm[0]}), mat ({sm[0]}x{sm[1]}), vec ({sv[0]})")
    if dm is not None and dv is not None and dm is not dv:
        raise DTypeError(
            f"addmv input tensors must have the same dtype, but got {dv._short}, {dm._short}, and {dv._short}"
        )
    if dm is bool_ and sm[0] and sm[1]:  # an empty product never reaches the kernel
        raise _not_for_bool("addmv_impl_cpu")


def _check_mm(s1: Shape, s2: Shape, d1: DType | None, d2: DType | None) -> None:
    if len(s1) != 2:
        raise ShapeError("self must be a matrix")
    if len(s2) != 2:
        raise ShapeError("mat2 must be a matrix")
    if s1[1] != s2[0]:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({s1[0]}x{s1[1]} and {s2[0]}x{s2[1]})")
    if d1 is not None and d2 is not None and d1 is not d2:
        raise DTypeError(
            f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[d1.name]} != {_CPP_NAMES[d2.name]}"
        )
    if d1 is bool_ and s1[0] and s1[1] and s2[1]:  # an empty product never reaches the kernel
        raise _not_for_bool("addmm_impl_cpu_")


def _check_bmm(s1: Shape, s2: Shape, d1: DType | None, d2: DType | None) -> None:
    if len(s1) != 3:
        raise ShapeError("batch1 must be a 3D tensor")
    if len(s2) != 3:
        raise ShapeError("batch2 must be a 3D tensor")
    if s2[0] != s1[0] or s2[1] != s1[2]:
        raise ShapeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{s1[0]}, {s1[2]}] "
            f"but got: [{s2[0]}, {s2[1]}]."
        )
    if not (s1[0] and s1[1] and s1[2] and s2[2]) or d1 is None or d2 is None:
        return  # an empty product never reaches a kernel: no dtype checks (the result takes batch2's)
    # Which kernel runs, and so which words a dtype mismatch gets, depends on the matrix size.
    if s1[1] * s1[2] * s2[2] < 400:  # the small-matrix kernel, dispatched on batch1's dtype
        if d1 is bool_:
            raise _not_for_bool("bmm")
        if d1 is not d2:
            raise DTypeError(f"expected scalar type {d1._short} but found {d2._short}")
    elif d2 is float32 or d2 is float64:  # the BLAS batch path, typed by the result (batch2's dtype)
        if d1 is not d2:
            raise DTypeError(f"expected scalar type {d2._short} but found {d1._short}")
    else:  # one addmm per batch
        _check_mm(s1[1:], s2[1:], d1, d2)


# -- matmul ----------------------------------------------------------------------------

def _contiguous_strides(shape: Shape) -> list[int]:
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * max(shape[i + 1], 1)
    return strides


def _should_fold(s1: Shape, s2: Shape, rg1: bool, rg2: bool) -> bool:
    """PyTorch's ``should_fold``: fold the larger operand's batch into mm/mv rows."""
    n1, n2 = len(s1), len(s2)
    larger1 = n1 >= n2
    dim_t1, dim_t2 = (n1, n2) if larger1 else (n2, n1)
    if not (dim_t1 >= 3 and dim_t2 <= 2):
        return False
    if rg2 if larger1 else rg1:
        return True
    if n1 == 2:
        return False
    if larger1:
        t1, strides = s1, _contiguous_strides(s1)
    else:  # tensor2.mT of a contiguous tensor2
        st = _contiguous_strides(s2)
        t1 = (*s2[:-2], s2[-1], s2[-2])
        strides = [*st[:-2], st[-1], st[-2]]
    if numel(t1) == 0:
        return True
    return all(strides[i] == strides[i + 1] * t1[i + 1] for i in range(dim_t1 - 2))


@lru_cache(maxsize=4096)
def _matmul_plan(s1: Shape, s2: Shape, rg1: bool, rg2: bool,
                 d1: DType | None, d2: DType | None) -> tuple[Shape, str, bool]:
    """Output shape, grad_fn name and whether bmm computes it; raises PyTorch's error for its path.

    Dtypes of None skip the dtype checks (the planner's shape-only call). Only bmm lets
    differing dtypes through (when the product is empty); its result has the second's.
    """
    n1, n2 = len(s1), len(s2)
    if n1 == 0 or n2 == 0:
        raise ShapeError(f"both arguments to matmul need to be at least 1D, but they are {n1}D and {n2}D")
    if n1 == 1 and n2 == 1:
        _check_dot(s1, s2, d1, d2)
        return (), "DotBackward0", False
    if n1 == 2 and n2 == 1:
        _check_mv(s1, s2, d1, d2)
        return (s1[0],), "MvBackward0", False
    if n1 == 1 and n2 == 2:
        _check_mm((1, s1[0]), s2, d1, d2)
        return (s2[1],), "SqueezeBackward4", False
    if n1 == 2 and n2 == 2:
        _check_mm(s1, s2, d1, d2)
        return (s1[0], s2[1]), "MmBackward0", False
    if _should_fold(s1, s2, rg1, rg2):
        transpose = n2 > n1
        if transpose:
            t1, t1d = (*s2[:-2], s2[-1], s2[-2]), d2
            t2, t2d = ((s1[1], s1[0]) if n1 == 2 else s1), d1
        else:
            t1, t1d, t2, t2d = s1, d1, s2, d2
        out = t1[:-1]
        folded = (numel(out), t1[-1])
        if len(t2) == 1:
            _check_mv(folded, t2, t1d, t2d)
            return out, "UnsafeViewBackward0", False
        _check_mm(folded, t2, t1d, t2d)
        if not transpose:
            return (*out, t2[1]), "UnsafeViewBackward0", False
        # output.mT().contiguous(): a copy unless the transposed result is contiguous already
        k, m = out[-1], t2[1]
        contiguous = numel(out) * m == 0 or k == 1 or m == 1
        return (*out[:-1], m, k), "TransposeBackward0" if contiguous else "CloneBackward0", False
    if n1 == 3 and n2 == 3 and s1[0] != s2[0]:
        # PyTorch squeezes a batch of one that requires grad, to take the folding path
        if s1[0] == 1 and rg1:
            return _matmul_plan(s1[1:], s2, rg1, rg2, d1, d2)
        if s2[0] == 1 and rg2:
            return _matmul_plan(s1, s2[1:], rg1, rg2, d1, d2)
    n = s1[-2] if n1 > 1 else 1
    m1 = s1[-1]
    m2 = s2[-2] if n2 > 1 else s2[0]
    p = s2[-1] if n2 > 1 else 1
    batch = broadcast_shapes(s1[: max(n1 - 2, 0)], s2[: max(n2 - 2, 0)])
    b = numel(batch)
    _check_bmm((b, n, m1), (b, m2, p), d1, d2)
    return (*batch, *((n,) if n1 > 1 else ()), *((p,) if n2 > 1 else ())), "UnsafeViewBackward0", True


def _rg(x: Any) -> bool:
    return bool(getattr(x, "requires_grad", False))


def _product_dtype(a: Any, b: Any, out: DType) -> tuple[DType | None, DType]:
    _check_differentiable(out, a, b)
    return (_compute(out) if a.dtype is b.dtype else None), out


def _check_differentiable(out: DType, *ins: Any) -> None:
    """An empty bmm of mixed dtypes can give an integer result of inputs that require grad."""
    if not out.is_floating_point and STATE.grad_enabled and any(_rg(x) for x in ins):
        raise DTypeError(f"Autograd not support dtype: {out._short}")


def _same_dtype_rule(check: Any, second: bool = False) -> Any:
    """A dtype rule that runs the op's checks (shapes first, as PyTorch) and keeps the dtype."""

    def rule(a: Any, b: Any, *_: Any, **__: Any) -> tuple[DType | None, DType]:
        check(tuple(a.shape), tuple(b.shape), a.dtype, b.dtype)
        return _product_dtype(a, b, b.dtype if second else a.dtype)

    return rule


def _matmul_dtype(a: Any, b: Any) -> tuple[DType | None, DType]:
    _, _, bmm = _matmul_plan(tuple(a.shape), tuple(b.shape), _rg(a), _rg(b), a.dtype, b.dtype)
    return _product_dtype(a, b, b.dtype if bmm else a.dtype)


def _like(x: Any, g: Any) -> Any:
    """``x`` in ``g``'s dtype (they differ only for empty products of mixed dtypes)."""
    return x if x.dtype is g.dtype else x.to(g.dtype)


def _matmul_grad_input(g: Any, out: Any, a: Any, b: Any) -> Any:
    na, nb = a.ndim, b.ndim
    b = _like(b, g)
    if nb == 1:  # (..., n) from (..., n, k) @ (k,): the gradient is g ⊗ b
        return g * b if na == 1 else g.reshape((*g.shape, 1)) * b
    if na == 1:  # (..., p) from (k,) @ (..., k, p)
        ga = g.reshape((*g.shape[:-1], 1, g.shape[-1])) @ b.transpose(-2, -1)
        return ga.reshape((*ga.shape[:-2], ga.shape[-1]))
    return g @ b.transpose(-2, -1)  # (..., n, k); the engine sums broadcast batch dims


def _matmul_grad_other(g: Any, out: Any, a: Any, b: Any) -> Any:
    na, nb = a.ndim, b.ndim
    a = _like(a, g)
    if na == 1:
        if nb == 1:
            return g * a
        return a.reshape((a.shape[0], 1)) * g.reshape((*g.shape[:-1], 1, g.shape[-1]))
    k = a.shape[-1]
    if nb == 1:  # fold every row of a: (rows, k).T @ (rows,)
        rows = numel(a.shape[:-1])
        return a.reshape((rows, k)).transpose(0, 1) @ g.reshape((rows,))
    if na >= 3 and nb == 2:  # one weight for the whole batch: fold instead of a batch of grads
        rows = numel(a.shape[:-1])
        return a.reshape((rows, k)).transpose(0, 1) @ g.reshape((rows, g.shape[-1]))
    return a.transpose(-2, -1) @ g


def _matmul_flops(s1: Shape, s2: Shape) -> float:
    out = _matmul_plan(tuple(s1), tuple(s2), False, False, None, None)[0]
    return 2.0 * numel(out) * s1[-1]


def _blas(xp: Any, a: Any) -> Any:
    """``a`` in a layout BLAS takes: broadcast gradients (zero strides) would send NumPy's
    matmul to its slow loops."""
    flags = a.flags
    return a if flags.c_contiguous or flags.f_contiguous else xp.ascontiguousarray(a)


def _zero_stride(x: Any, axis: int) -> bool:
    return x.strides[axis] == 0 and x.shape[axis] > 1


def _broadcast_product(xp: Any, a: Any, b: Any) -> Any:
    """``a @ b`` without the full product when a float matrix is a broadcast (a zero stride in
    its last two dims), else None. Such operands come from a sum's or mean's gradient: the
    products of ``out.sum().backward()`` through ``x @ w`` are each a reduction or one
    matrix-vector product. Taken only where it gives the full product's numbers up to
    rounding: finite sums and operands (``inf * 0`` terms would differ) and no ``-0``.
    """
    if a.ndim < 2 or b.ndim < 2 or a.dtype != b.dtype or a.dtype.type not in (np.float32, np.float64):
        return None
    if _zero_stride(b, -2):  # every row of b alike: out[i, j] = (sum_k a[i, k]) * b[0, j]
        return _finite_outer(xp, a.sum(-1, keepdims=True), b[..., :1, :])
    if _zero_stride(a, -1):  # every column of a alike: out[i, j] = a[i, 0] * sum_k b[k, j]
        return _finite_outer(xp, a[..., :1], b.sum(-2, keepdims=True))
    shape = (*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1])
    if _zero_stride(b, -1):  # every column of b alike: one matrix-vector product, repeated
        return xp.ascontiguousarray(xp.broadcast_to(xp.matmul(_blas(xp, a), _blas(xp, b[..., :1])), shape))
    if _zero_stride(a, -2):  # every row of a alike: one vector-matrix product, repeated
        return xp.ascontiguousarray(xp.broadcast_to(xp.matmul(_blas(xp, a[..., :1, :]), _blas(xp, b)), shape))
    return None


def _finite_outer(xp: Any, column: Any, row: Any) -> Any:
    if not (bool(xp.isfinite(column).all()) and bool(xp.isfinite(row).all())):
        return None
    out = column * row
    out += 0  # BLAS sums products from +0, so a zero result is never -0 there
    return out


def _matmul(xp: Any, input: Any, other: Any) -> Any:
    out = _broadcast_product(xp, input, other)
    return xp.matmul(_blas(xp, input), _blas(xp, other)) if out is None else out


def _matmul_grad_input_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    a, b = ins  # matrices: g @ b.transpose(-2, -1), as transpose's and matmul's forwards (half: the rule)
    return _matmul(np, g, np.swapaxes(b, 0, 1)) if a.ndim == b.ndim == 2 and g.dtype != np.float16 else None


def _matmul_grad_other_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    a, b = ins  # matrices: a.transpose(-2, -1) @ g
    return _matmul(np, np.swapaxes(a, 0, 1), g) if a.ndim == b.ndim == 2 and g.dtype != np.float16 else None


defop(
    name="matmul", forward=_matmul, inputs=("input", "other"), reads=((1,), (0,)),
    method="matmul", shape=lambda s1, s2: _matmul_plan(tuple(s1), tuple(s2), False, False, None, None)[0],
    dtype=_matmul_dtype, vjp=(_matmul_grad_input, _matmul_grad_other),
    fast_vjp=(_matmul_grad_input_fast, _matmul_grad_other_fast),
    grad_fn=lambda a, b: _matmul_plan(tuple(a.shape), tuple(b.shape), _rg(a), _rg(b), a.dtype, b.dtype)[1],
    doc="Matrix product with PyTorch's rank rules: dot, mv, mm, and batched with broadcast batch dims.",
    flops=_matmul_flops,
)


def _mm_shape(s1: Shape, s2: Shape) -> Shape:
    _check_mm(tuple(s1), tuple(s2), None, None)
    return (s1[0], s2[1])


def _mm(xp: Any, input: Any, mat2: Any) -> Any:
    return _matmul(xp, input, mat2)


defop(
    name="mm", forward=_mm, inputs=("input", "mat2"), method="mm", reads=((1,), (0,)),
    shape=_mm_shape, dtype=_same_dtype_rule(_check_mm),
    vjp=(lambda g, out, a, b: g @ b.transpose(0, 1), lambda g, out, a, b: a.transpose(0, 1) @ g),
    grad_fn="MmBackward0", doc="Matrix product of two 2-D tensors (no broadcasting).",
    flops=lambda s1, s2: 2.0 * s1[0] * s1[1] * s2[1],
)


def _bmm_shape(s1: Shape, s2: Shape) -> Shape:
    _check_bmm(tuple(s1), tuple(s2), None, None)
    return (s1[0], s1[1], s2[2])


defop(
    name="bmm", forward=_mm, inputs=("input", "mat2"), method="bmm", reads=((1,), (0,)),
    shape=_bmm_shape, dtype=_same_dtype_rule(_check_bmm, second=True),
    vjp=(lambda g, out, a, b: g @ _like(b, g).transpose(1, 2), lambda g, out, a, b: _like(a, g).transpose(1, 2) @ g),
    grad_fn="BmmBackward0", doc="Batched matrix product of two 3-D tensors with equal batch sizes.",
    flops=lambda s1, s2: 2.0 * s1[0] * s1[1] * s1[2] * s2[2],
)


def _mv_shape(s1: Shape, s2: Shape) -> Shape:
    _check_mv(tuple(s1), tuple(s2), None, None)
    return (s1[0],)


def _mv(xp: Any, input: Any, vec: Any) -> Any:
    return xp.matmul(_blas(xp, input), _blas(xp, vec))


defop(
    name="mv", forward=_mv, inputs=("input", "vec"), method="mv", reads=((1,), (0,)),
    shape=_mv_shape, dtype=_same_dtype_rule(_check_mv),
    vjp=(lambda g, out, a, v: g.reshape((g.shape[0], 1)) * v, lambda g, out, a, v: a.transpose(0, 1) @ g),
    grad_fn="MvBackward0", doc="Matrix-vector product.",
    flops=lambda s1, s2: 2.0 * s1[0] * s1[1],
)


def _dot_shape(s1: Shape, s2: Shape) -> Shape:
    _check_dot(tuple(s1), tuple(s2), None, None)
    return ()


def _dot(xp: Any, input: Any, tensor: Any) -> Any:
    return xp.matmul(input, tensor)


defop(
    name="dot", forward=_dot, inputs=("input", "tensor"), reads=((1,), (0,)),
    method="dot", shape=_dot_shape, dtype=_same_dtype_rule(_check_dot),
    vjp=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    grad_fn="DotBackward0", doc="Inner product of two 1-D tensors of the same dtype.",
    flops=lambda s1, s2: 2.0 * s1[0],
)


# -- outer, trace ------------------------------------------------------------------------

def _check_outer(s1: Shape, s2: Shape) -> Shape:
    for name, s in (("self", s1), ("vec2", s2)):
        if len(s) != 1:
            raise ShapeError(f"outer: Expected 1-D argument {name}, but got {len(s)}-D")
    return (s1[0], s2[0])


def _outer_dtype(a: Any, b: Any) -> tuple[DType, DType]:
    _check_outer(tuple(a.shape), tuple(b.shape))
    return promote(a, b)


def _outer(xp: Any, input: Any, vec2: Any) -> Any:
    return input[:, None] * vec2[None, :]


# PyTorch computes outer as input.reshape(-1, 1) * vec2, so its node is MulBackward0.
defop(
    name="outer", forward=_outer, inputs=("input", "vec2"), reads=((1,), (0,)),
    method="outer", shape=_check_outer, dtype=_outer_dtype,
    vjp=(lambda g, out, a, b: (g * b).sum(1), lambda g, out, a, b: (g * a.reshape((a.shape[0], 1))).sum(0)),
    grad_fn="MulBackward0", doc="Outer product of two 1-D tensors (dtypes promote, as mul).",
    flops=lambda s1, s2: float(s1[0] * s2[0]),
)


def _check_trace(s: Shape) -> Shape:
    if len(s) != 2:
        raise ShapeError(f"trace: expected a matrix, but got tensor with dim {len(s)}")
    return ()


def _trace_dtype(x: Any) -> tuple[DType, DType]:
    if x.dtype is bool_:  # the kernel dispatches before checking the rank
        raise _not_for_bool("trace")
    _check_trace(tuple(x.shape))
    if x.dtype.is_floating_point:
        return (_compute(x.dtype) or x.dtype), x.dtype
    return int64, int64


def _trace_grad(g: Any, out: Any, x: Any) -> Any:
    from ..creation import eye

    return g * eye(x.shape[0], x.shape[1], dtype=g.dtype, device=g.device)


def _trace(xp: Any, input: Any) -> Any:
    return xp.trace(input)


defop(
    name="trace", forward=_trace, method="trace", saves="none",
    shape=_check_trace, dtype=_trace_dtype, vjp=(_trace_grad,), grad_fn="TraceBackward0",
    doc="Sum of the main diagonal of a 2-D tensor (integers sum in int64).",
    flops=lambda s: float(min(s) if len(s) == 2 else 0),
)


# -- t, transpose, permute (views: no arithmetic) -------------------------------------------

def _same(x: Any, *_: Any, **__: Any) -> tuple[None, DType]:
    return None, x.dtype


def _check_t(s: Shape) -> Shape:
    if len(s) > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {len(s)}D")
    return tuple(reversed(s))


def _t(xp: Any, input: Any) -> Any:
    _check_t(input.shape)
    return input.T


defop(
    name="t", view=True, forward=_t, method="t", saves="none", shape=_check_t, dtype=_same,
    vjp=(lambda g, out, x: g.t(),), grad_fn="TBackward0",
    doc="Transpose of a tensor of at most 2 dims (0-D and 1-D come back as they are).",
    flops=lambda s: 0.0,
)


def _transpose_dims(dim0: Any, dim1: Any, ndim: int) -> tuple[int, int]:
    return (normalize_dim(int_argument(dim0, "transpose", "dim0", 2), ndim),
            normalize_dim(int_argument(dim1, "transpose", "dim1", 3), ndim))


def _transpose_shape(s: Shape, dim0: int, dim1: int) -> Shape:
    d0, d1 = _transpose_dims(dim0, dim1, len(s))
    out = list(s)
    if out:
        out[d0], out[d1] = out[d1], out[d0]
    return tuple(out)


def _transpose(xp: Any, input: Any, dim0: int, dim1: int) -> Any:
    d0, d1 = _transpose_dims(dim0, dim1, input.ndim)
    return xp.swapaxes(input, d0, d1) if input.ndim else input


defop(
    name="transpose", view=True, forward=_transpose, method="transpose", saves="none",
    shape=_transpose_shape, dtype=_same,
    vjp=(lambda g, out, x, dim0, dim1: g.transpose(dim0, dim1),), grad_fn="TransposeBackward0",
    fast_vjp=(lambda g, out, ins, p: _transpose(np, g, p["dim0"], p["dim1"]),),
    doc="A view with dims ``dim0`` and ``dim1`` swapped.", flops=lambda s, dim0, dim1: 0.0,
)


def _permutation(ndim: int, dims: Any) -> tuple[int, ...]:
    dims = ints_argument(dims, "permute", "dims", allow_int=True)
    if len(dims) != ndim:
        raise ShapeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
            f"the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {len(dims)}"
        )
    perm = tuple(normalize_dim(d, ndim) for d in dims)
    if len(set(perm)) != len(perm):
        raise ShapeError("permute(): duplicate dims are not allowed.")
    return perm


def _permute_grad(g: Any, out: Any, x: Any, dims: Any) -> Any:
    perm = _permutation(x.ndim, dims)
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return g.permute(tuple(inverse))


def _permute(xp: Any, input: Any, dims: Any) -> Any:
    return xp.transpose(input, _permutation(input.ndim, dims))


defop(
    name="permute", view=True, forward=_permute,
    method="permute", varargs="dims", saves="none",
    shape=lambda s, dims: tuple(s[p] for p in _permutation(len(s), dims)), dtype=_same,
    vjp=(_permute_grad,), grad_fn="PermuteBackward0",
    doc="A view with the dims reordered as ``dims`` (``x.permute(1, 0)`` also works).",
    flops=lambda s, dims: 0.0,
)


# -- einsum --------------------------------------------------------------------------------

_LABELS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's subscript order
_ELLIPSIS = "."


@dataclass(frozen=True)
class _EinsumPlan:
    subs: tuple[str, ...]  # per operand: one letter per dim (ellipsis dims get fresh letters)
    out: str  # the output's letters
    sizes: tuple[tuple[str, int], ...]  # each letter's broadcast size
    squeeze: tuple[Shape | None, ...]  # per operand: its shape without broadcast size-1 dims
    np_subs: tuple[str, ...]  # per operand: its letters after that squeeze
    np_equation: str  # what xp.einsum runs
    out_shape: Shape
    contraction: bool  # some label (or ellipsis dim) is summed out
    aligned: tuple[Shape, ...]  # per operand: its sizes on PyTorch's permuted dims
    dim_counts: tuple[int, ...]  # per permuted dim: how many operands have it with size != 1
    out_num_dim: int
    flops: float


def _err(msg: str) -> ShapeError:
    return ShapeError(f"einsum(): {msg}")


@lru_cache(maxsize=2048)
def _einsum_plan(equation: str, shapes: tuple[Shape, ...]) -> _EinsumPlan:
    """Parse and check an equation against the operands' shapes, as PyTorch's einsum does."""
    num_ops = len(shapes)
    if num_ops == 0:
        raise _err("must provide at least one operand")
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels: list[list[str]] = [[] for _ in range(num_ops)]
    ell_in_input = False
    curr = 0
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if ell_in_input:
                raise _err(f"found '.' for operand {curr} for which an ellipsis was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise _err(f"found '.' for operand {curr} that is not part of any ellipsis")
            i += 2
            op_labels[curr].append(_ELLIPSIS)
            ell_in_input = True
        elif c == ",":
            curr += 1
            if curr >= num_ops:
                raise _err("fewer operands were provided than specified in the equation")
            ell_in_input = False
        elif c in _LABELS:
            op_labels[curr].append(c)
        else:
            raise _err(f"invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]")
        i += 1
    if curr != num_ops - 1:
        raise _err("more operands were provided than specified in the equation")

    label_count: Counter[str] = Counter()
    ell_num_dim = 0
    for k, (labels, shape) in enumerate(zip(op_labels, shapes, strict=True)):
        nlabels = len(labels)
        has_ell = _ELLIPSIS in labels
        if has_ell:
            nlabels -= 1
            ell_num_dim = max(ell_num_dim, len(shape) - nlabels)
        label_count.update(lab for lab in labels if lab != _ELLIPSIS)
        if (nlabels > len(shape)) if has_ell else (nlabels != len(shape)):
            raise _err(
                f"the number of subscripts in the equation ({nlabels}) "
                + ("is more than" if has_ell else "does not match")
                + f" the number of dimensions ({len(shape)}) for operand {k}"
                + ("" if has_ell else " and no ellipsis was given")
            )

    perm_of: dict[str, int] = {}
    perm_index = 0
    ell_index = 0
    ell_in_output = False
    if arrow < 0:
        perm_index = ell_num_dim
        ell_in_output = True
        for lab in sorted(label_count):
            if label_count[lab] == 1:
                perm_of[lab] = perm_index
                perm_index += 1
    else:
        rhs = equation[arrow + 2:]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ell_in_output:
                    raise _err("found '.' for output but an ellipsis (...) was already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise _err("found '.' for output that is not part of any ellipsis (...)")
                i += 2
                ell_index = perm_index
                perm_index += ell_num_dim
                ell_in_output = True
            elif c in _LABELS:
                if label_count[c] == 0 or c in perm_of:
                    raise _err(
                        f"output subscript {c}"
                        + (" appears more than once in the output" if c in perm_of
                           else " does not appear in the equation for any input operand")
                    )
                perm_of[c] = perm_index
                perm_index += 1
            else:
                raise _err(
                    f"invalid subscript given at index {len(lhs) + 2 + i} in the equation string, "
                    "subscripts must be in [a-zA-Z]"
                )
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index = perm_index
        perm_index += ell_num_dim
    for lab in sorted(label_count):
        if lab not in perm_of:
            perm_of[lab] = perm_index
            perm_index += 1

    # sizes: broadcasting of size-1 dims, diagonals of repeated labels
    label_size: dict[str, int] = dict.fromkeys(label_count, 1)
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * perm_index
    aligned: list[Shape] = []
    free = iter(c for c in _LABELS if c not in label_count)
    ell_letters = []
    for _ in range(ell_num_dim):
        letter = next(free, None)
        if letter is None:
            raise UnsupportedError("einsum(): too many dimensions under the ellipsis for the letters left")
        ell_letters.append(letter)
    subs: list[str] = []
    for k, (labels, shape) in enumerate(zip(op_labels, shapes, strict=True)):
        seen: dict[str, int] = {}  # label -> original dim of its first occurrence
        row = [1] * perm_index
        sub: list[str] = []
        dim = 0  # the dim index in PyTorch's operand after taking diagonals
        orig = 0  # the dim index in the operand as given
        for lab in labels:
            if lab == _ELLIPSIS:
                covered = len(shape) - (len(labels) - 1)
                for j in range(ell_num_dim - covered, ell_num_dim):
                    size = shape[orig]
                    if size != 1:
                        if ell_sizes[j] not in (1, size):
                            raise _err(
                                f"dimension {dim} covered by ellipsis in operand {k}has size {size} which does "
                                f"not broadcast with previously seen ellipsis with size {ell_sizes[j]} for the "
                                "respective dimension"
                            )
                        ell_sizes[j] = size
                        dim_counts[ell_index + j] += 1
                    row[ell_index + j] = size
                    sub.append(ell_letters[j])
                    dim += 1
                    orig += 1
            elif lab not in seen:
                size = shape[orig]
                if size != 1:
                    if label_size[lab] not in (1, size):
                        raise _err(
                            f"subscript {lab} has size {size} for operand {k} which does not broadcast with "
                            f"previously seen size {label_size[lab]}"
                        )
                    label_size[lab] = size
                    dim_counts[perm_of[lab]] += 1
                row[perm_of[lab]] = size
                seen[lab] = orig
                sub.append(lab)
                dim += 1
                orig += 1
            else:
                if shape[orig] != shape[seen[lab]]:
                    raise _err(
                        f"subscript {lab} is repeated for operand {k} but the sizes don't match, "
                        f"{shape[orig]} != {shape[seen[lab]]}"
                    )
                sub.append(lab)
                orig += 1
        aligned.append(tuple(row))
        subs.append("".join(sub))

    sizes = dict(label_size)
    sizes.update(zip(ell_letters, ell_sizes, strict=True))
    out_letters = [""] * out_num_dim
    for lab, idx in perm_of.items():
        if idx < out_num_dim:
            out_letters[idx] = lab
    if ell_in_output:
        out_letters[ell_index: ell_index + ell_num_dim] = ell_letters
    out = "".join(out_letters)

    squeeze: list[Shape | None] = []
    np_subs: list[str] = []
    for letters, shape in zip(subs, shapes, strict=True):
        keep = [p for p, c in enumerate(letters) if not (shape[p] == 1 and sizes[c] != 1)]
        if len(keep) == len(letters):
            squeeze.append(None)
            np_subs.append(letters)
        else:
            squeeze.append(tuple(shape[p] for p in keep))
            np_subs.append("".join(letters[p] for p in keep))

    # cost of PyTorch's left-to-right pairwise reduction
    if num_ops == 1:
        flops = float(numel(shapes[0]))
    else:
        flops = 0.0
        have = set(np_subs[0])
        for j in range(1, num_ops):
            both = have | set(np_subs[j])
            flops += 2.0 * numel([sizes[c] for c in both])
            later = set(out).union(*np_subs[j + 1:])
            have = both & later
    return _EinsumPlan(
        subs=tuple(subs), out=out, sizes=tuple(sizes.items()), squeeze=tuple(squeeze),
        np_subs=tuple(np_subs), np_equation=",".join(np_subs) + "->" + out,
        out_shape=tuple(sizes[c] for c in out), contraction=perm_index > out_num_dim,
        aligned=tuple(aligned), dim_counts=tuple(dim_counts), out_num_dim=out_num_dim, flops=flops,
    )


def _sum_dt(d: DType) -> DType:
    return d if d.is_floating_point else int64


@lru_cache(maxsize=2048)
def _einsum_out_dtype(plan: _EinsumPlan, dtypes: tuple[DType, ...]) -> DType:
    """Run PyTorch's pairwise reduction on (sizes, dtype) pairs: the result's dtype, or its error."""
    if len(dtypes) == 1:
        return _sum_dt(dtypes[0]) if plan.contraction else dtypes[0]
    counts = list(plan.dim_counts)
    ops: deque[tuple[list[int], DType]] = deque((list(a), d) for a, d in zip(plan.aligned, dtypes, strict=True))
    while len(ops) > 1:
        (sa, da), (sb, db) = ops.popleft(), ops.popleft()
        sum_dims: list[int] = []
        a_sum: list[int] = []
        b_sum: list[int] = []
        for d in range(plan.out_num_dim, len(counts)):
            if sa[d] != 1 and sb[d] != 1:
                counts[d] -= 1
                if counts[d] == 1:
                    sum_dims.append(d)
                    counts[d] = 0
            elif counts[d] == 1:
                if sa[d] != 1:
                    a_sum.append(d)
                    counts[d] = 0
                elif sb[d] != 1:
                    b_sum.append(d)
                    counts[d] = 0
        for d in a_sum:
            sa[d] = 1
        for d in b_sum:
            sb[d] = 1
        if a_sum:
            da = _sum_dt(da)
        if b_sum:
            db = _sum_dt(db)
        shape = [x if y == 1 else y for x, y in zip(sa, sb, strict=True)]  # broadcast (0 beats 1)
        if not sum_dims:  # at::mul: dtypes promote
            ops.appendleft((shape, promote_types(da, db)))
            continue
        # sumproduct_pair: bmm(left, right), or bmm(right, left) when every kept dim where the
        # left operand has size 1 comes before every one only the left spans (PyTorch 2.13, observed)
        lro: list[int] = []
        lo: list[int] = []
        ro: list[int] = []
        for d in range(len(shape)):
            if d in sum_dims:
                continue
            (lro if sa[d] != 1 and sb[d] != 1 else lo if sa[d] != 1 else ro).append(d)
        if lo and ro and max(ro) < min(lo):
            (sa, da), (sb, db), lo, ro = (sb, db), (sa, da), ro, lo
        k = numel([sa[d] for d in sum_dims])
        batch = numel([sa[d] for d in lro])
        rows, cols = numel([sa[d] for d in lo]), numel([sb[d] for d in ro])
        _check_bmm((batch, rows, k), (batch, k, cols), da, db)
        for d in sum_dims:
            shape[d] = 1
        ops.appendleft((shape, db))
    return ops[0][1]


def _einsum_dtype(operands: Sequence[Any], equation: str) -> tuple[DType | None, DType]:
    plan = _einsum_plan(equation, tuple(tuple(t.shape) for t in operands))
    out = _einsum_out_dtype(plan, tuple(t.dtype for t in operands))
    _check_differentiable(out, *operands)
    return (float32 if out is float16 else out), out


_PATHS: dict[tuple[str, tuple[Shape, ...]], Any] = {}


def _einsum(xp: Any, operands: list[Any], equation: str) -> Any:
    plan = _einsum_plan(equation, tuple(a.shape for a in operands))
    arrays = [a if s is None else a.reshape(s) for a, s in zip(operands, plan.squeeze, strict=True)]
    if xp is not np or len(arrays) < 2:
        return xp.einsum(plan.np_equation, *arrays)
    key = (plan.np_equation, tuple(a.shape for a in arrays))
    path = _PATHS.get(key)
    if path is None:
        dummies = [np.broadcast_to(np.empty((), a.dtype), a.shape) for a in arrays]
        path = np.einsum_path(plan.np_equation, *dummies, optimize="greedy")[0]
        if len(_PATHS) > 4096:
            _PATHS.clear()
        _PATHS[key] = path
    return np.einsum(plan.np_equation, *arrays, optimize=path)


@lru_cache(maxsize=2048)
def _einsum_grad_spec(
    plan: _EinsumPlan, shape: Shape, i: int
) -> tuple[str, tuple[int, ...], tuple[int, ...], Shape, bool]:
    """The einsum giving operand i's gradient: (equation, other operands, eye sizes, view, expand)."""
    sizes = dict(plan.sizes)
    used = set(plan.out).union(*plan.subs)
    free = iter(c for c in _LABELS if c not in used)
    others = tuple(j for j in range(len(plan.subs)) if j != i)
    in_subs = [plan.out, *(plan.np_subs[j] for j in others)]
    target: list[str | None] = []
    deltas: list[tuple[str, int]] = []
    first: set[str] = set()
    for p, c in enumerate(plan.subs[i]):
        if shape[p] == 1 and sizes[c] != 1:  # broadcast: the gradient sums over it
            target.append(None)
        elif c in first:  # a repeated label: its gradient lies on a diagonal
            c2 = next(free, None)
            if c2 is None:
                raise UnsupportedError("einsum(): no letters left to differentiate this equation")
            deltas.append((c + c2, shape[p]))
            target.append(c2)
        else:
            first.add(c)
            target.append(c)
    present = set("".join(in_subs)) | set("".join(d for d, _ in deltas))
    result = "".join(t for t in target if t is not None and t in present)
    equation = ",".join([*in_subs, *(d for d, _ in deltas)]) + "->" + result
    view = tuple(shape[p] if t is not None and t in present else 1 for p, t in enumerate(target))
    expand = any(t is not None and t not in present for t in target)
    return equation, others, tuple(n for _, n in deltas), view, expand


def _einsum_grads(g: Any, out: Any, operands: Sequence[Any], equation: str) -> tuple[Any, ...]:
    from ..creation import eye

    plan = _einsum_plan(equation, tuple(tuple(t.shape) for t in operands))
    grads: list[Any] = []
    for i, x in enumerate(operands):
        if not x.requires_grad:
            grads.append(None)
            continue
        eq, others, eyes, view, expand = _einsum_grad_spec(plan, tuple(x.shape), i)
        ins = [g]
        for j in others:
            t = operands[j]
            if t.dtype is not g.dtype:
                t = t.to(g.dtype)
            squeeze = plan.squeeze[j]
            ins.append(t if squeeze is None else t.reshape(squeeze))
        ins.extend(eye(n, dtype=g.dtype, device=g.device) for n in eyes)
        r: Any = call(EINSUM, (eq, *ins), {})
        if tuple(r.shape) != view:
            r = r.reshape(view)
        if expand:
            r = r.expand(tuple(x.shape))
        grads.append(r)
    return tuple(grads)


def _einsum_grad_fn(operands: Sequence[Any], equation: str) -> str:
    plan = _einsum_plan(equation, tuple(tuple(t.shape) for t in operands))
    if len(operands) == 1:
        return "SumBackward1" if plan.contraction else "PermuteBackward0"
    return "ViewBackward0" if plan.contraction else "MulBackward0"


def _sublist_equation(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``: the equation the sublists spell."""

    def letters(sub: Any) -> str:
        parts = []
        for s in sub:
            if s is Ellipsis:
                parts.append("...")
            elif isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 52:
                parts.append(_LABELS[s])
            else:
                raise ValueError_("einsum(): subscript in subscript list is not within the valid range [0, 52)")
        return "".join(parts)

    operands = list(args[0::2][: len(args) // 2])
    lhs = ",".join(letters(s) for s in args[1::2][: len(args) // 2])
    equation = lhs + ("->" + letters(args[-1]) if len(args) % 2 else "")
    return equation, operands


class _EinsumOp(Op):
    """``einsum(equation, *operands)``: the equation leads, unlike other ops' tensor inputs.

    Also accepted: the operands as one list, ``equation=`` as a keyword with the operands
    positional (how the service calls it; PyTorch itself refuses that keyword), and
    PyTorch's sublist form ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``.
    """

    def bind(self, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        kwargs = dict(kwargs)
        equation = kwargs.pop("equation", None)
        operands: Any = kwargs.pop("operands", None)
        if kwargs:
            raise ArgumentError(f"einsum() got an unexpected keyword argument '{next(iter(kwargs))}'")
        rest = list(args)
        if equation is None and rest and not isinstance(rest[0], str) and len(rest) >= 2 \
                and isinstance(rest[1], (list, tuple)) and hasattr(rest[0], "shape"):
            equation, rest = _sublist_equation(rest)
        elif equation is None and rest:
            equation = rest.pop(0)
        if operands is None:
            operands = rest
        elif rest:
            raise ArgumentError("einsum() got multiple values for argument 'operands'")
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
        if equation is None or not operands:
            raise ValueError_(
                "einsum(): must specify the equation string and at least one operand, "
                "or at least one operand and its subscripts list"
            )
        if not isinstance(equation, str):
            raise ArgumentError(
                f"einsum(): argument 'equation' (position 1) must be str, not {type_name(equation)}"
            )
        return (tuple(operands),), {"equation": equation}

    def signature(self) -> str:
        return "einsum(equation, *operands)"


EINSUM = register(_EinsumOp(
    name="einsum", forward=_einsum, inputs=("operands",), list_input=True, method=None,
    shape=lambda shapes, equation: _einsum_plan(equation, tuple(map(tuple, shapes))).out_shape,
    dtype=_einsum_dtype, vjp=(_einsum_grads,), grad_fn=_einsum_grad_fn,
    doc="Einstein summation: ``einsum('ij,jk->ik', a, b)``; implicit output, ``...`` and repeated "
        "labels (diagonals) as in PyTorch. The equation may also be passed as ``equation=``.",
    flops=lambda shapes, equation: _einsum_plan(equation, tuple(map(tuple, shapes))).flops,
))
