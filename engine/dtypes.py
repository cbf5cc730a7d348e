"""PyTorch's dtypes and its type-promotion rules, over NumPy dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np


class dtype:  # noqa: N801 - named as torch.dtype
    """A tensor element type; prints as PyTorch prints it (``torch.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank", "_short")

    def __init__(self, name: str, np_dtype: Any, rank: int, short: str) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._rank = rank
        self._short = short  # PyTorch's C++ scalar-type name, used in some messages

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    @property
    def category(self) -> int:
        """0 bool, 1 integral, 2 floating: the order PyTorch promotes across."""
        return 0 if self is bool_ else 2 if self.is_floating_point else 1


bool_ = dtype("bool", np.bool_, 0, "Bool")
int32 = dtype("int32", np.int32, 1, "Int")
int64 = dtype("int64", np.int64, 2, "Long")
float16 = dtype("float16", np.float16, 3, "Half")
float32 = dtype("float32", np.float32, 4, "Float")
float64 = dtype("float64", np.float64, 5, "Double")

ALL: tuple[dtype, ...] = (bool_, int32, int64, float16, float32, float64)
BY_NAME: dict[str, dtype] = {d.name: d for d in ALL}
BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32, "long": int64})
_BY_NP: dict[np.dtype[Any], dtype] = {d.np: d for d in ALL}

# the default float dtype, in a box: modules that key memos by it read DEFAULT_FLOAT[0] (a module global
# of theirs and an index: cheaper per op than an attribute of this module)
DEFAULT_FLOAT: list[dtype] = [float32]


def get_default_dtype() -> dtype:
    """The dtype Python floats and float factories become (float32 unless changed)."""
    return DEFAULT_FLOAT[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype, as ``torch.set_default_dtype``."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    DEFAULT_FLOAT[0] = d


def legacy_type(d: dtype, cuda: bool = False) -> str:
    """PyTorch's legacy tensor type name (``torch.FloatTensor``, ``torch.cuda.LongTensor``), which its
    messages and ``Tensor.type()`` use."""
    return f"torch.{'cuda.' if cuda else ''}{d._short}Tensor"


def from_numpy_dtype(np_dtype: Any) -> dtype:
    """Our dtype for a NumPy dtype; raises TypeError for unsupported ones."""
    d = _BY_NP.get(np.dtype(np_dtype))
    if d is None:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported types "
            "are: float64, float32, float16, int64, int32, and bool."
        )
    return d


def to_dtype(d: Any) -> dtype:
    """Accept an engine dtype, its name (``"float32"``), a NumPy dtype, or Python's ``bool``, ``int``
    and ``float`` (bool, int64 and float64, as PyTorch reads them)."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, str) and d in BY_NAME:
        return BY_NAME[d]
    if d is bool:
        return bool_
    if d is int:
        return int64
    if d is float:
        return float64
    return from_numpy_dtype(d)


def promote_types(a: dtype, b: dtype) -> dtype:
    """``torch.promote_types`` for the dtypes we carry."""
    if a is b:
        return a
    ca, cb = a.category, b.category
    if ca != cb:
        return a if ca > cb else b
    return a if a._rank > b._rank else b


def scalar_dtype(value: object) -> dtype:
    """The dtype a Python (or NumPy) scalar takes as a wrapped number (bool, int64 or the default float)."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (complex, np.complexfloating)):
        from .errors import UnsupportedError

        raise UnsupportedError(
            "complex numbers are not supported: the engine's dtypes are real (float and integer) and bool"
        )
    return DEFAULT_FLOAT[0]


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10's combine_categories: a higher-priority group wins unless the lower one
    # is of a higher category (then they promote).
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


_result_cache: dict[tuple[Any, ...], dtype] = {}


def result_type(*operands: Any) -> dtype:
    """``torch.result_type`` over tensors and Python scalars.

    Operands are engine tensors (anything with ``dtype`` and ``ndim``) or Python
    numbers (NumPy scalars count as those, as in PyTorch). Dimensioned tensors outrank 0-d
    tensors, which outrank Python numbers, unless a lower group is of a higher category
    (integral < floating).
    """
    key = tuple(
        (op.dtype, op.ndim == 0) if hasattr(op, "dtype") and not isinstance(op, np.generic) else type(op)
        for op in operands
    )
    hit = _result_cache.get(key)
    if hit is not None:
        return hit
    dim: dtype | None = None
    zero: dtype | None = None
    wrapped: dtype | None = None
    for op in operands:
        if hasattr(op, "dtype") and not isinstance(op, np.generic):
            d = op.dtype
            if op.ndim == 0:
                zero = d if zero is None else promote_types(zero, d)
            else:
                dim = d if dim is None else promote_types(dim, d)
        else:
            d = scalar_dtype(op)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    out = _combine(dim, _combine(zero, wrapped))
    assert out is not None, "result_type needs at least one operand"
    if DEFAULT_FLOAT[0] is float32:
        _result_cache[key] = out
    return out


def float_result(d: dtype) -> dtype:
    """The dtype of a floating op (``exp``, ``div``) on ``d``: integers become the default float."""
    return d if d.is_floating_point else DEFAULT_FLOAT[0]
