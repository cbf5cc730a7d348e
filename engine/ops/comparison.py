"""Comparisons, selection and logic: where, eq/ne/lt/le/gt/ge, logical_*, bitwise_*.

``where`` is the one differentiable op here (``WhereBackward0``): the gradient goes to
``input`` where the condition holds and to ``other`` elsewhere, zeros in the rest, so
that ``where(x > 0, f(x), 0)`` with ``f'`` NaN at the masked places gives NaN exactly as
PyTorch does (the "where-NaN trap"). The other ops return bool (or integer, for the
bitwise ones) tensors and are not differentiable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import bool_, from_numpy_dtype, result_type
from ..dtypes import dtype as DType
from ..errors import ArgumentError, DTypeError, DTypeNotImplementedError, NoOverloadError, type_name
from ._helpers import broadcast_shapes, same_shape
from .creation import check_scalar_fits
from .registry import REGISTRY, call, defop

BINARY = ("input", "other")
_NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def _type_name(x: Any) -> str:
    return "Tensor" if _is_tensor(x) else type_name(x)


# -- comparisons -------------------------------------------------------------------------

def _compare_dtype(opname: str) -> Any:
    """Comparisons: ``input`` a tensor, ``other`` a tensor or a number; compute promoted, return bool."""

    def rule(input: Any, other: Any, **_: Any) -> tuple[Any, Any]:
        if not _is_tensor(input) or not (_is_tensor(other) or isinstance(other, _NUMBER)):
            raise ArgumentError(
                f"{opname}() received an invalid combination of arguments - got "
                f"({_type_name(input)}, {_type_name(other)}), but expected one of:\n"
                " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                " * (Tensor input, Number other, *, Tensor out = None)\n"
            )
        return result_type(input, other), bool_

    return rule


def _binary(fn: str) -> Any:
    """A forward ``(xp, input, other) -> xp.<fn>(input, other)``."""

    def forward(xp: Any, input: Any, other: Any) -> Any:
        return getattr(xp, fn)(input, other)

    return forward


def _unary(fn: str) -> Any:
    def forward(xp: Any, input: Any) -> Any:
        return getattr(xp, fn)(input)

    return forward


_COMPARISONS = {
    "eq": ("equal", "input == other", ()),
    "ne": ("not_equal", "input != other", ("not_equal",)),
    "lt": ("less", "input < other", ("less",)),
    "le": ("less_equal", "input <= other", ("less_equal",)),
    "gt": ("greater", "input > other", ("greater",)),
    "ge": ("greater_equal", "input >= other", ("greater_equal",)),
}

for _name, (_fn, _what, _aliases) in _COMPARISONS.items():
    defop(
        name=_name, forward=_binary(_fn), inputs=BINARY, scalars=True, method=_name,
        shape=broadcast_shapes, dtype=_compare_dtype(_name), vjp=None, grad_fn="", saves="none",
        doc=f"{_what}, elementwise and broadcasting, as a bool tensor (compared in the promoted dtype).",
        aliases=_aliases,
    )


# -- where -------------------------------------------------------------------------------

class _Like:
    """Dtype and rank of an array, as ``result_type`` reads them."""

    __slots__ = ("dtype", "ndim")

    def __init__(self, array: Any) -> None:
        self.dtype = from_numpy_dtype(array.dtype)
        self.ndim = array.ndim


def _operand(x: Any) -> Any:
    return _Like(x) if hasattr(x, "dtype") and hasattr(x, "ndim") else x


def _where(xp: Any, condition: Any, input: Any, other: Any) -> Any:
    # cast both branches to the promoted dtype first (never through a wider NumPy type)
    d = result_type(_operand(input), _operand(other)).np
    a = input.astype(d) if hasattr(input, "dtype") and input.dtype != d else input
    b = other.astype(d) if hasattr(other, "dtype") and other.dtype != d else other
    return xp.where(condition, a, b)


_WHERE_OVERLOADS = (
    "(Tensor condition)",
    "(Tensor condition, Tensor input, Tensor other, *, Tensor out = None)",
    "(Tensor condition, Number self, Tensor other)",
    "(Tensor condition, Tensor input, Number other)",
    "(Tensor condition, Number self, Number other)",
)


def _where_dtype(condition: Any, input: Any, other: Any, **_: Any) -> tuple[Any, Any]:
    bad = [x for x in (input, other) if not (_is_tensor(x) or isinstance(x, _NUMBER))]
    if not _is_tensor(condition) or bad:  # (``call`` words it from the overloads, as PyTorch's parser)
        raise NoOverloadError("where() received an invalid combination of arguments")
    if condition.dtype is not bool_:
        raise DTypeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition.dtype._short}"
        )
    d = result_type(input, other)
    for x in (input, other):
        check_scalar_fits(x, d)
    return None, d


def _where_grad_input(g: Any, out: Any, condition: Any, input: Any, other: Any) -> Any:
    return call(REGISTRY["where"], (condition, g, 0), {})


def _where_grad_other(g: Any, out: Any, condition: Any, input: Any, other: Any) -> Any:
    return call(REGISTRY["where"], (condition, 0, g), {})


def _where_route(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
    """``where(condition)``, PyTorch's ``nonzero(condition, as_tuple=True)`` (a tuple, not the entry's one
    tensor); None: the entry's call (three arguments, or PyTorch's words for a call of two)."""
    if len(args) + len(kwargs) != 1 or not (args or "condition" in kwargs):
        return None
    condition = args[0] if args else kwargs["condition"]
    if not isinstance(getattr(condition, "dtype", None), DType):
        position = " (position 1)" if args else ""
        raise ArgumentError(f"where(): argument 'condition'{position} must be Tensor, not {type_name(condition)}")
    from .sorting import nonzero_tuple

    return nonzero_tuple(condition)


defop(
    name="where", forward=_where, inputs=("condition", "input", "other"), scalars=True, reads=((), (0,), (0,)),
    shape=broadcast_shapes, dtype=_where_dtype, overloads=_WHERE_OVERLOADS, route=_where_route,
    vjp=(None, _where_grad_input, _where_grad_other), saves="inputs", grad_fn="WhereBackward0",
    doc="input where condition else other (tensors or numbers), broadcasting all three; "
    "the gradient flows to input where condition and to other elsewhere. "
    "engine.where(condition) is nonzero(condition, as_tuple=True).",
)


# -- logical -----------------------------------------------------------------------------

def _bool_out(*_: Any, **__: Any) -> tuple[None, Any]:
    return None, bool_


for _name, _fn, _what in (
    ("logical_and", "logical_and", "input and other"),
    ("logical_or", "logical_or", "input or other"),
    ("logical_xor", "logical_xor", "input xor other"),
):
    defop(
        name=_name, forward=_binary(_fn), inputs=BINARY, method=_name, shape=broadcast_shapes,
        dtype=_bool_out, vjp=None, grad_fn="", saves="none",
        doc=f"{_what} elementwise on truth values (nonzero is True), broadcasting; bool result.",
    )

defop(
    name="logical_not", forward=_unary("logical_not"), method="logical_not",
    shape=same_shape, dtype=_bool_out, vjp=None, grad_fn="", saves="none",
    doc="not input, elementwise on truth values (zero is False); bool result.",
)


# -- bitwise (what the &, |, ^, ~ operators run) ------------------------------------------

def _bitwise_dtype(opname: str) -> Any:
    def rule(*ins: Any, **_: Any) -> tuple[Any, Any]:
        for x in ins:
            if not (_is_tensor(x) or isinstance(x, _NUMBER)):
                raise ArgumentError(f"{opname}(): argument must be Tensor or Number, not {type_name(x)}")
        d = result_type(*ins)
        if d.is_floating_point:
            raise DTypeNotImplementedError(f'"{opname}_cpu" not implemented for \'{d._short}\'')
        return d, d

    return rule


for _name, _fn, _op in (
    ("bitwise_and", "bitwise_and", "&"),
    ("bitwise_or", "bitwise_or", "|"),
    ("bitwise_xor", "bitwise_xor", "^"),
):
    defop(
        name=_name, forward=_binary(_fn), inputs=BINARY, scalars=True, method=_name,
        shape=broadcast_shapes, dtype=_bitwise_dtype(_name),
        vjp=None, grad_fn="", saves="none",
        doc=f"input {_op} other on integer or bool tensors (logical for bool), broadcasting; the `{_op}` operator.",
    )

defop(
    name="bitwise_not", forward=_unary("invert"), method="bitwise_not",
    shape=same_shape, dtype=_bitwise_dtype("bitwise_not"), vjp=None, grad_fn="", saves="none",
    doc="~input on integer or bool tensors (logical not for bool); the `~` operator.",
)
