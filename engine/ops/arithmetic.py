"""Broadcasting arithmetic: add, sub, mul, div, pow, neg, ... (one entry each)."""

from __future__ import annotations

from typing import Any

from ..dtypes import result_type
from ..errors import ArgumentError, DTypeError
from ._helpers import broadcast_shapes, promote, promote_float
from .registry import defop

BINARY = ("input", "other")


def _is_scalar(x: Any) -> bool:
    return not hasattr(x, "shape")


def _add(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    return input + other if alpha == 1 else input + other * alpha


defop(
    name="add", forward=_add, inputs=BINARY, scalars=True, method="add",
    shape=broadcast_shapes, dtype=promote, saves="none",
    vjp=(lambda g, out, a, b, alpha: g, lambda g, out, a, b, alpha: g if alpha == 1 else g * alpha),
    grad_fn="AddBackward0", doc="input + alpha * other, broadcasting.",
)


def _sub(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    if getattr(input, "dtype", None) == bool and getattr(other, "dtype", None) == bool:
        raise DTypeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    return input - other if alpha == 1 else input - other * alpha


defop(
    name="sub", forward=_sub, inputs=BINARY, scalars=True, method="sub",
    shape=broadcast_shapes, dtype=promote, saves="none",
    vjp=(lambda g, out, a, b, alpha: g, lambda g, out, a, b, alpha: -g if alpha == 1 else g * -alpha),
    grad_fn="SubBackward0", doc="input - alpha * other, broadcasting.",
)


def _rsub(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    return _sub(xp, other, input, alpha=alpha)


defop(
    name="rsub", forward=_rsub, inputs=BINARY, scalars=True,
    shape=broadcast_shapes, dtype=promote, saves="none",
    vjp=(lambda g, out, a, b, alpha: -g if alpha == 1 else g * -alpha, lambda g, out, a, b, alpha: g),
    grad_fn=lambda a, b, **_: "RsubBackward1" if _is_scalar(b) else "RsubBackward0",
    doc="other - alpha * input (what `2 - x` runs).",
)


defop(
    name="mul", forward=lambda xp, input, other: input * other, inputs=BINARY, scalars=True,
    method="mul", shape=broadcast_shapes, dtype=promote,
    vjp=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    grad_fn="MulBackward0", doc="input * other, broadcasting.", aliases=("multiply",),
)


def _div(xp: Any, input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
    if rounding_mode is None:
        return xp.true_divide(input, other)
    if rounding_mode == "trunc":
        q = xp.true_divide(input, other)
        return xp.trunc(q) if q.dtype.kind == "f" else q
    if rounding_mode == "floor":
        return xp.floor_divide(input, other)
    raise ArgumentError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
    )


def _div_dtype(input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
    return promote_float(input, other) if rounding_mode is None else promote(input, other)


def _div_grad_other(g: Any, out: Any, a: Any, b: Any, rounding_mode: str | None) -> Any:
    if rounding_mode is not None:
        return g * 0
    return -g * a / (b * b)


defop(
    name="div", forward=_div, inputs=BINARY, scalars=True, method="div",
    shape=broadcast_shapes, dtype=_div_dtype,
    vjp=(
        lambda g, out, a, b, rounding_mode: g / b if rounding_mode is None else g * 0,
        _div_grad_other,
    ),
    grad_fn="DivBackward0", doc="input / other (true division unless rounding_mode), broadcasting.",
    domain="nonzero_other", aliases=("divide", "true_divide"),
)


# -- pow: three grad_fn names, as PyTorch's three overloads ---------------------------

def _pow(xp: Any, input: Any, exponent: Any) -> Any:
    if _int_like(input) and _int_like(exponent):
        e = exponent
        negative = (e < 0).any() if hasattr(e, "shape") else e < 0
        if negative:
            raise DTypeError("Integers to negative integer powers are not allowed.")
    return xp.power(input, exponent)


def _int_like(x: Any) -> bool:
    if hasattr(x, "dtype"):
        return x.dtype.kind in "iub"
    return isinstance(x, int)


def _pow_grad_input(g: Any, out: Any, a: Any, e: Any) -> Any:
    if _is_scalar(e):
        if e == 0:
            return g * 0
        return g * (e * a.pow(e - 1))
    from .. import where, zeros_like

    return where(e == 0, zeros_like(g), g * (e * a.pow(e - 1)))


def _pow_grad_exponent(g: Any, out: Any, a: Any, e: Any) -> Any:
    from .. import log, where, zeros_like

    if _is_scalar(a):
        import math

        if a == 0:
            return g * where(e >= 0, zeros_like(out), out * float("-inf"))
        return g * (out * math.log(a))
    base = a if a.dtype is out.dtype else a.to(out.dtype)
    return g * where((a == 0) & (e >= 0), zeros_like(out), out * log(base))


def _pow_name(a: Any, e: Any) -> str:
    if _is_scalar(a):
        return "PowBackward2"
    return "PowBackward0" if _is_scalar(e) else "PowBackward1"


defop(
    name="pow", forward=_pow, inputs=("input", "exponent"), scalars=True, method="pow",
    shape=broadcast_shapes, dtype=promote, saves="both",
    vjp=(_pow_grad_input, _pow_grad_exponent), grad_fn=_pow_name,
    doc="input ** exponent (tensor or scalar in either place), broadcasting.", domain="positive",
)


def _neg(xp: Any, input: Any) -> Any:
    if input.dtype == bool:
        raise DTypeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return -input


defop(
    name="neg", forward=_neg, method="neg", shape=lambda s: s,
    dtype=lambda x: (None, x.dtype), saves="none",
    vjp=(lambda g, out, a: -g,), grad_fn="NegBackward0", doc="-input.", aliases=("negative",),
)

__all__ = ["result_type"]
