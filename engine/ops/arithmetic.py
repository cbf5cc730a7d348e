"""Broadcasting arithmetic: add, sub, mul, div, pow, neg, maximum, remainder, ... (one entry each).

Dtype rules raise PyTorch's errors before any array is touched (bool subtraction,
float ``alpha`` on integers, integer division by zero is the one check on values).
Derivatives follow ``derivatives.yaml``: ties of ``maximum``/``minimum`` split the
gradient in halves; ``floor_divide`` and ``remainder(number, tensor)`` record a
``torch::autograd::NotImplemented`` node whose backward raises, as PyTorch's do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dtypes import bool_, result_type
from ..errors import ArgumentError, AutogradError, DTypeError
from ._helpers import broadcast_shapes, promote, promote_float
from .registry import defop

BINARY = ("input", "other")
NOT_IMPLEMENTED = "torch::autograd::NotImplemented"


def _is_scalar(x: Any) -> bool:
    return not hasattr(x, "shape")


def _is_bool(x: Any) -> bool:
    return x.dtype is bool_ if hasattr(x, "dtype") else isinstance(x, (bool, np.bool_))


def _zeros(g: Any) -> Any:
    from ..creation import zeros_like

    return zeros_like(g)


def _where(cond: Any, a: Any, b: Any) -> Any:
    from .. import where

    return where(cond, a, b)


def _no_derivative(opname: str) -> Any:
    """The rule of a ``NotImplemented`` node: backward through it raises PyTorch's error."""

    def rule(g: Any, out: Any, *_: Any, **__: Any) -> Any:
        raise AutogradError(f"derivative for aten::{opname} is not implemented")

    return rule


def _check_int_divisor(other: Any) -> None:
    """Integer division by zero: PyTorch raises where NumPy would warn."""
    if hasattr(other, "dtype"):
        if other.dtype.kind in "iub" and bool((other == 0).any()):
            raise DTypeError("ZeroDivisionError")
    elif not isinstance(other, float) and other == 0:
        raise DTypeError("ZeroDivisionError")


def _quiet(fn: Any, *args: Any) -> Any:
    with np.errstate(all="ignore"):
        return fn(*args)


# -- add / sub / rsub -----------------------------------------------------------------

def _alpha_check(d: Any, alpha: Any) -> None:
    if isinstance(alpha, (bool, np.bool_)) and d is not bool_:
        raise DTypeError("Boolean alpha only supported for Boolean results.")
    if not d.is_floating_point and isinstance(alpha, (float, np.floating)):
        raise DTypeError("For integral input tensors, argument alpha must not be a floating point number.")


def _sub_check(input: Any, other: Any) -> None:
    a, b = _is_bool(input), _is_bool(other)
    if a and b:
        raise DTypeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if a or b:
        raise DTypeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def _add_dtype(input: Any, other: Any, *, alpha: Any = 1) -> tuple[Any, Any]:
    d = result_type(input, other)
    _alpha_check(d, alpha)
    return d, d


def _sub_dtype(input: Any, other: Any, *, alpha: Any = 1) -> tuple[Any, Any]:
    _sub_check(input, other)
    return _add_dtype(input, other, alpha=alpha)


def _add(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    with np.errstate(all="ignore"):  # inf - inf and overflow: NaN/inf quietly, as PyTorch
        return input + other if alpha == 1 else input + other * alpha


defop(
    name="add", forward=_add, inputs=BINARY, scalars=True, method="add",
    shape=broadcast_shapes, dtype=_add_dtype, saves="none",
    vjp=(lambda g, out, a, b, alpha: g, lambda g, out, a, b, alpha: g if alpha == 1 else g * alpha),
    grad_fn="AddBackward0", doc="input + alpha * other, broadcasting.",
)


def _sub(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    with np.errstate(all="ignore"):
        return input - other if alpha == 1 else input - other * alpha


defop(
    name="sub", forward=_sub, inputs=BINARY, scalars=True, method="sub",
    shape=broadcast_shapes, dtype=_sub_dtype, saves="none",
    vjp=(lambda g, out, a, b, alpha: g, lambda g, out, a, b, alpha: -g if alpha == 1 else g * -alpha),
    grad_fn="SubBackward0", doc="input - alpha * other, broadcasting.", aliases=("subtract",),
)


def _rsub(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    with np.errstate(all="ignore"):
        return other - input if alpha == 1 else other - input * alpha


defop(
    name="rsub", forward=_rsub, inputs=BINARY, scalars=True,
    shape=broadcast_shapes, dtype=_sub_dtype, saves="none",
    vjp=(lambda g, out, a, b, alpha: -g if alpha == 1 else g * -alpha, lambda g, out, a, b, alpha: g),
    grad_fn=lambda a, b, **_: "RsubBackward1" if _is_scalar(b) else "RsubBackward0",
    doc="other - alpha * input (what `2 - x` runs).",
)


# -- mul / div ----------------------------------------------------------------------------

def _mul(xp: Any, input: Any, other: Any) -> Any:
    with np.errstate(all="ignore"):  # inf * 0 and overflow: NaN/inf quietly, as PyTorch
        return input * other


defop(
    name="mul", forward=_mul, inputs=BINARY, scalars=True,
    method="mul", shape=broadcast_shapes, dtype=promote,
    vjp=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    grad_fn="MulBackward0", doc="input * other, broadcasting.", aliases=("multiply",),
)

_ROUNDING_MODES = (None, "trunc", "floor")


def _trunc_divide_int(xp: Any, a: Any, b: Any) -> Any:
    """Integer division rounded toward zero (exact: never through floats)."""
    q = xp.floor_divide(a, b)
    inexact = (xp.remainder(a, b) != 0) & ((xp.asarray(a) < 0) != (xp.asarray(b) < 0))
    return q + inexact


def _div(xp: Any, input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
    if rounding_mode is None:
        return _quiet(xp.true_divide, input, other)
    integral = getattr(input, "dtype", getattr(other, "dtype", None)).kind in "iu"
    if integral:
        _check_int_divisor(other)
        if rounding_mode == "trunc":
            return _trunc_divide_int(xp, input, other)
        return xp.floor_divide(input, other)
    if rounding_mode == "trunc":
        return xp.trunc(_quiet(xp.true_divide, input, other))
    return _quiet(xp.floor_divide, input, other)


def _div_dtype(input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
    if rounding_mode not in _ROUNDING_MODES:
        raise ArgumentError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    if rounding_mode is None:
        return promote_float(input, other)
    d = result_type(input, other)
    if d is bool_:
        raise DTypeError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
    return d, d


def _div_grad_input(g: Any, out: Any, a: Any, b: Any, rounding_mode: str | None) -> Any:
    return g / b if rounding_mode is None else _zeros(g)


def _div_grad_other(g: Any, out: Any, a: Any, b: Any, rounding_mode: str | None) -> Any:
    if rounding_mode is not None:
        return _zeros(g)
    return -g * ((a / b) / b)


defop(
    name="div", forward=_div, inputs=BINARY, scalars=True, method="div",
    shape=broadcast_shapes, dtype=_div_dtype,
    vjp=(_div_grad_input, _div_grad_other),
    grad_fn=lambda a, b, rounding_mode=None: "DivBackward0" if rounding_mode is None else "DivBackward2",
    doc="input / other (true division unless rounding_mode), broadcasting.",
    domain="nonzero_other", aliases=("divide", "true_divide"),
)


# -- pow: three grad_fn names, as PyTorch's three overloads ---------------------------

def _int_like(x: Any) -> bool:
    if hasattr(x, "dtype"):
        return x.dtype.kind in "iub"
    return isinstance(x, (int, np.integer, np.bool_))


def _pow_dtype(input: Any, exponent: Any) -> tuple[Any, Any]:
    d = result_type(input, exponent)
    if not d.is_floating_point:
        if not hasattr(exponent, "dtype"):
            if not isinstance(exponent, (bool, np.bool_)) and exponent < 0:
                raise DTypeError("Integers to negative integer powers are not allowed.")
        elif d is bool_:
            raise DTypeError('"pow" not implemented for \'Bool\'')
    return d, d


def _pow(xp: Any, input: Any, exponent: Any) -> Any:
    if getattr(input, "dtype", None) == np.bool_ and isinstance(exponent, (bool, np.bool_)):
        return input | (not exponent)  # bool ** bool: x ** True is x, x ** False is True
    if _int_like(input) and hasattr(exponent, "dtype") and exponent.dtype.kind in "iu":
        negative = exponent < 0
        if bool(negative.any()):
            # integer powers with negative exponents: 1 and -1 keep a value, the rest truncate to 0
            base = xp.asarray(input)
            pos = xp.power(base, xp.where(negative, 0, exponent))
            odd = xp.remainder(exponent, 2) == 1
            neg = xp.where(base == 1, 1, xp.where(base == -1, xp.where(odd, -1, 1), 0))
            return xp.where(negative, neg, pos)
    return _quiet(xp.power, input, exponent)


def _pow_grad_input(g: Any, out: Any, a: Any, e: Any) -> Any:
    if _is_scalar(e):
        if e == 0:
            return _zeros(g)
        return g * (e * a.pow(e - 1))
    return _where(e == 0, 0, g * (e * a.pow(e - 1)))


def _pow_grad_exponent(g: Any, out: Any, a: Any, e: Any) -> Any:
    from .. import log

    if _is_scalar(a):
        if a == 0:
            return g * _where(e >= 0, 0, out * float("-inf"))
        return g * (out * (math.log(a) if a > 0 else float("nan")))
    base = a if a.dtype is out.dtype else a.to(out.dtype)
    return g * _where((a == 0) & (e >= 0), 0, out * log(base))


def _pow_name(a: Any, e: Any) -> str:
    if _is_scalar(a):
        return "PowBackward2"
    return "PowBackward0" if _is_scalar(e) else "PowBackward1"


defop(
    name="pow", forward=_pow, inputs=("input", "exponent"), scalars=True, method="pow",
    shape=broadcast_shapes, dtype=_pow_dtype, saves="both",
    vjp=(_pow_grad_input, _pow_grad_exponent), grad_fn=_pow_name,
    doc="input ** exponent (tensor or scalar in either place), broadcasting.", domain="positive",
)


# -- neg ----------------------------------------------------------------------------------

def _neg_dtype(input: Any) -> tuple[None, Any]:
    if input.dtype is bool_:
        raise DTypeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return None, input.dtype


def _neg(xp: Any, input: Any) -> Any:
    return -input


defop(
    name="neg", forward=_neg, method="neg", shape=lambda s: s,
    dtype=_neg_dtype, saves="none",
    vjp=(lambda g, out, a: -g,), grad_fn="NegBackward0", doc="-input.", aliases=("negative",),
)


# -- maximum / minimum: ties split the gradient in halves ------------------------------------

def _maximum_grad(sign: int) -> Any:
    """``where(a == b, g / 2, g)`` with the losing side zeroed (``a < b`` for maximum's input)."""

    def input_rule(g: Any, out: Any, a: Any, b: Any) -> Any:
        return _where((a < b) if sign > 0 else (a > b), 0, _where(a == b, g / 2, g))

    def other_rule(g: Any, out: Any, a: Any, b: Any) -> Any:
        return _where((a > b) if sign > 0 else (a < b), 0, _where(a == b, g / 2, g))

    return (input_rule, other_rule)


def _maximum(xp: Any, input: Any, other: Any) -> Any:
    return xp.maximum(input, other)


def _minimum(xp: Any, input: Any, other: Any) -> Any:
    return xp.minimum(input, other)


defop(
    name="maximum", forward=_maximum, inputs=BINARY,
    method="maximum", shape=broadcast_shapes, dtype=promote, vjp=_maximum_grad(1),
    grad_fn="MaximumBackward0",
    doc="Elementwise maximum of two tensors (NaN propagates); a tie sends half the gradient to each.",
)
defop(
    name="minimum", forward=_minimum, inputs=BINARY,
    method="minimum", shape=broadcast_shapes, dtype=promote, vjp=_maximum_grad(-1),
    grad_fn="MinimumBackward0",
    doc="Elementwise minimum of two tensors (NaN propagates); a tie sends half the gradient to each.",
)


# -- remainder / floor_divide (what % and // run) ------------------------------------------

def _integral_division_dtype(kernel: str) -> Any:
    def rule(input: Any, other: Any) -> tuple[Any, Any]:
        d = result_type(input, other)
        if d is bool_:
            raise DTypeError(f'"{kernel}" not implemented for \'Bool\'')
        return d, d

    return rule


def _remainder(xp: Any, input: Any, other: Any) -> Any:
    if getattr(input, "dtype", getattr(other, "dtype", None)).kind in "iu":
        _check_int_divisor(other)
        return xp.remainder(input, other)
    return _quiet(xp.remainder, input, other)


def _remainder_grad_other(g: Any, out: Any, a: Any, b: Any) -> Any:
    if _is_scalar(a):
        raise AutogradError("derivative for aten::remainder is not implemented")
    from .. import div

    return -g * div(a, b, rounding_mode="floor")


def _remainder_name(a: Any, b: Any) -> str:
    if _is_scalar(a):
        return NOT_IMPLEMENTED
    return "RemainderBackward0" if _is_scalar(b) else "RemainderBackward1"


defop(
    name="remainder", forward=_remainder, inputs=BINARY, scalars=True, method="remainder",
    shape=broadcast_shapes, dtype=_integral_division_dtype("remainder_cpu"),
    vjp=(lambda g, out, a, b: g, _remainder_grad_other), grad_fn=_remainder_name,
    doc="Python's modulus: input - floor(input / other) * other, with the sign of other (the `%` operator).",
    domain="nonzero_other",
)


def _floor_divide(xp: Any, input: Any, other: Any) -> Any:
    if getattr(input, "dtype", getattr(other, "dtype", None)).kind in "iu":
        _check_int_divisor(other)
        return xp.floor_divide(input, other)
    return _quiet(xp.floor_divide, input, other)


defop(
    name="floor_divide", forward=_floor_divide, inputs=BINARY, scalars=True, method="floor_divide",
    shape=broadcast_shapes, dtype=_integral_division_dtype("div_floor_cpu"), saves="none",
    vjp=(_no_derivative("floor_divide"), _no_derivative("floor_divide")), grad_fn=NOT_IMPLEMENTED,
    doc="floor(input / other) (the `//` operator); PyTorch has no derivative: backward through it raises.",
    domain="nonzero_other",
)


# -- atan2 --------------------------------------------------------------------------------

def _atan2_grad(which: int) -> Any:
    def rule(g: Any, out: Any, a: Any, b: Any) -> Any:
        denom = a * a + b * b
        recip = _where(denom == 0, 0, denom.reciprocal())  # 0 at the origin, as PyTorch's masked_fill
        return g * b * recip if which == 0 else g * -a * recip

    return rule


def _atan2(xp: Any, input: Any, other: Any) -> Any:
    return _quiet(xp.arctan2, input, other)


defop(
    name="atan2", forward=_atan2, inputs=BINARY,
    method="atan2", shape=broadcast_shapes, dtype=promote_float, vjp=(_atan2_grad(0), _atan2_grad(1)),
    grad_fn="Atan2Backward0", doc="The angle of the point (other, input), in (-pi, pi], broadcasting.",
    aliases=("arctan2",),
)

__all__ = ["result_type"]
