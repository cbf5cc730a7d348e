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

from ..dtypes import bool_, float16, float32, result_type
from ..errors import ArgumentError, AutogradError, DTypeError, DTypeNotImplementedError
from ._helpers import broadcast_shapes, number_array, promote, promote_float
from .registry import NOT_GIVEN, REGISTRY, SAME, call, defop

BINARY = ("input", "other")
NOT_IMPLEMENTED = "torch::autograd::NotImplemented"


def _is_scalar(x: Any) -> bool:
    """A Python number (not a tensor, an array or a NumPy scalar: those have a dtype)."""
    return type(x) in _PLAIN_SCALARS or not hasattr(x, "dtype")


def _is_bool(x: Any) -> bool:
    return x.dtype is bool_ if hasattr(x, "dtype") else isinstance(x, (bool, np.bool_))


def _zeros(g: Any) -> Any:
    from ..creation import zeros_like

    return zeros_like(g)


def _where(cond: Any, a: Any, b: Any) -> Any:
    return call(REGISTRY["where"], (cond, a, b), {})


def _no_derivative(opname: str) -> Any:
    """The rule of a ``NotImplemented`` node: backward through it raises PyTorch's error."""

    def rule(g: Any, out: Any, *_: Any, **__: Any) -> Any:
        raise AutogradError(f"derivative for aten::{opname} is not implemented")

    return rule


def _kind(input: Any, other: Any) -> str:
    """The NumPy kind of the first array among the two (one of them is an array)."""
    a = input if hasattr(input, "dtype") else other
    return str(a.dtype.kind)


def _check_int_divisor(input: Any, other: Any) -> None:
    """Integer division by zero: PyTorch raises where NumPy would warn (not when nothing is divided:
    an empty result)."""
    if any(getattr(x, "size", 1) == 0 for x in (input, other)):
        return
    if hasattr(other, "dtype"):
        if other.dtype.kind in "iub" and bool((other == 0).any()):
            raise DTypeError("ZeroDivisionError")
    elif not isinstance(other, float) and other == 0:
        raise DTypeError("ZeroDivisionError")


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
    # float16 ``a + alpha * b``: PyTorch computes it in float32 (with alpha rounded to float16 first,
    # which the forward cannot see: exact where alpha is a float16 number, 2 or -1.5, else close)
    return (float32 if d is float16 and alpha != 1 else d), d


def _sub_dtype(input: Any, other: Any, *, alpha: Any = 1) -> tuple[Any, Any]:
    _sub_check(input, other)
    return _add_dtype(input, other, alpha=alpha)


# Forwards run inside ``apply``, which silences NumPy's float warnings (inf - inf, overflow,
# 0 / 0 give NaN/inf quietly, as PyTorch), and so do the backward pass's array rules.

def _add(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    return input + other if alpha == 1 else input + other * alpha


def _neg(xp: Any, input: Any) -> Any:
    return -input


def _mul(xp: Any, input: Any, other: Any) -> Any:
    return input * other


_PLAIN_SCALARS = (int, float, bool)


_F16 = np.dtype(np.float16)  # (the one object NumPy gives every native float16 array: compared with `is`)
_F32 = np.dtype(np.float32)


def _times_alpha_fast(g: Any, alpha: Any) -> Any:
    """``g * alpha`` on arrays, as the rule's engine op computes it (a plain Python number alpha;
    float16 takes the rule: mul computes it in float32, see ``_opmath``)."""
    if type(alpha) not in _PLAIN_SCALARS or g.dtype is _F16:
        return None
    return _mul(np, g, number_array(alpha, g.dtype))


def _times_fast(g: Any, other: Any) -> Any:
    """``g * other`` on arrays, ``other`` an array or a Python number (``number_array``: the same product);
    a float16 gradient times a number takes the rule (``_opmath``)."""
    if type(other) in _PLAIN_SCALARS and g.dtype is _F16:
        return None
    return g * number_array(other, g.dtype)


def _add_other_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    alpha = p["alpha"]
    return SAME if alpha == 1 else _times_alpha_fast(g, alpha)


def _neg_times_alpha_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    alpha = p["alpha"]
    if alpha == 1:
        return _neg(np, g)
    return _times_alpha_fast(g, -alpha) if type(alpha) in _PLAIN_SCALARS and type(alpha) is not bool else None


def _same_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    return SAME


defop(
    name="add", forward=_add, inputs=BINARY, scalars=True, number_arrays=True, method="add",
    shape=broadcast_shapes, dtype=_add_dtype, saves="none", dtype_memo=True,
    vjp=(lambda g, out, a, b, alpha: g, lambda g, out, a, b, alpha: g if alpha == 1 else g * alpha),
    fast_vjp=(_same_fast, _add_other_fast),
    grad_fn="AddBackward0", doc="input + alpha * other, broadcasting.",
)


def _sub(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    return input - other if alpha == 1 else input - other * alpha


defop(
    name="sub", forward=_sub, inputs=BINARY, scalars=True, number_arrays=True, method="sub",
    shape=broadcast_shapes, dtype=_sub_dtype, saves="none", dtype_memo=True,
    vjp=(lambda g, out, a, b, alpha: g, lambda g, out, a, b, alpha: -g if alpha == 1 else g * -alpha),
    fast_vjp=(_same_fast, _neg_times_alpha_fast),
    grad_fn="SubBackward0", doc="input - alpha * other, broadcasting.", aliases=("subtract",),
)


def _rsub(xp: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    return other - input if alpha == 1 else other - input * alpha


defop(
    name="rsub", forward=_rsub, inputs=BINARY, scalars=True, number_arrays=True,
    shape=broadcast_shapes, dtype=_sub_dtype, saves="none", dtype_memo=True,
    vjp=(lambda g, out, a, b, alpha: -g if alpha == 1 else g * -alpha, lambda g, out, a, b, alpha: g),
    fast_vjp=(_neg_times_alpha_fast, _same_fast),
    grad_fn=lambda a, b, **_: "RsubBackward1" if _is_scalar(b) else "RsubBackward0",
    doc="other - alpha * input (what `2 - x` runs).",
)


# -- mul / div ----------------------------------------------------------------------------

def _cpu_scalar(x: Any) -> bool:
    """A Python number or a 0-d tensor: what PyTorch's CPU kernels read as a scalar operand."""
    return not hasattr(x, "dtype") or x.ndim == 0


def _opmath(d: Any, other: Any) -> Any:
    """The dtype ``mul`` and true ``div`` compute in: float16 results by a scalar ``other`` are computed
    in float32 with the scalar's float32 value (PyTorch's ``opmath``, its ``original_scalar_value``),
    then rounded; NumPy would round the scalar to float16 first. (Two float16 tensors: the same either way.)"""
    return float32 if d is float16 and _cpu_scalar(other) else d


def _mul_dtype(input: Any, other: Any) -> tuple[Any, Any]:
    d = result_type(input, other)
    return _opmath(d, other), d


defop(
    name="mul", forward=_mul, inputs=BINARY, scalars=True, reads=((1,), (0,)),
    method="mul", shape=broadcast_shapes, dtype=_mul_dtype, dtype_memo=True,
    vjp=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    fast_vjp=(lambda g, out, ins, p: _times_fast(g, ins[1]), lambda g, out, ins, p: _times_fast(g, ins[0])),
    number_arrays=True,
    grad_fn="MulBackward0", doc="input * other, broadcasting.", aliases=("multiply",),
)

_ROUNDING_MODES = (None, "trunc", "floor")


def _trunc_divide_int(xp: Any, a: Any, b: Any) -> Any:
    """Integer division rounded toward zero (exact: never through floats)."""
    q = xp.floor_divide(a, b)
    inexact = (xp.remainder(a, b) != 0) & ((xp.asarray(a) < 0) != (xp.asarray(b) < 0))
    return q + inexact


def _div(xp: Any, input: Any, other: Any, *, rounding_mode: Any = NOT_GIVEN) -> Any:
    # (rounding_mode: NOT_GIVEN when left out, which PyTorch's overloads tell from an explicit None)
    if rounding_mode is None or rounding_mode is NOT_GIVEN:
        return xp.true_divide(input, other)
    integral = _kind(input, other) in "iu"
    if integral:
        _check_int_divisor(input, other)
        if rounding_mode == "trunc":
            return _trunc_divide_int(xp, input, other)
        return xp.floor_divide(input, other)
    if rounding_mode == "trunc":
        return xp.trunc(xp.true_divide(input, other))
    return xp.floor_divide(input, other)


def _div_dtype(input: Any, other: Any, *, rounding_mode: Any = NOT_GIVEN) -> Any:
    if rounding_mode is NOT_GIVEN:
        rounding_mode = None
    if rounding_mode not in _ROUNDING_MODES:
        raise ArgumentError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    if rounding_mode is None:
        _, d = promote_float(input, other)
        return _opmath(d, other), d
    d = result_type(input, other)
    if d is bool_:
        raise DTypeNotImplementedError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
    return d, d


def _div_grad_input(g: Any, out: Any, a: Any, b: Any, rounding_mode: Any) -> Any:
    return g / b if rounding_mode is None or rounding_mode is NOT_GIVEN else _zeros(g)


def _div_grad_other(g: Any, out: Any, a: Any, b: Any, rounding_mode: Any) -> Any:
    if rounding_mode is not None and rounding_mode is not NOT_GIVEN:
        return _zeros(g)
    div = REGISTRY["div"]  # (not a / b: a Python number's / is reciprocal(b) * a, as PyTorch's __rtruediv__)
    return -g * call(div, (call(div, (a, b), {}), b), {})


def _div_grad_input_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    other = ins[1]
    if p["rounding_mode"] not in (None, NOT_GIVEN) or (type(other) in _PLAIN_SCALARS and g.dtype is _F16):
        return None  # (float16 by a number: the rule, see ``_opmath``)
    return _div(np, g, number_array(other, g.dtype))


defop(
    name="div", forward=_div, inputs=BINARY, scalars=True, number_arrays=True, method="div", reads=((1,), (0, 1)),
    shape=broadcast_shapes, dtype=_div_dtype, dtype_memo=True,
    vjp=(_div_grad_input, _div_grad_other), fast_vjp=(_div_grad_input_fast, None),
    # PyTorch's div.Tensor_mode overload (any rounding_mode given, None too) is DivBackward2
    grad_fn=lambda a, b, rounding_mode=NOT_GIVEN: "DivBackward0" if rounding_mode is NOT_GIVEN else "DivBackward2",
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
            raise DTypeNotImplementedError('"pow" not implemented for \'Bool\'')
    return d, d


def _pow(xp: Any, input: Any, exponent: Any) -> Any:
    if type(input) is np.ndarray and input.dtype.kind == "f":  # floats: no special case below applies
        if type(exponent) in _PLAIN_SCALARS and input.dtype is not _F16:
            special = _pow_by_number(input, exponent)
            if special is not None:
                return special
        return xp.power(input, exponent)
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
    return xp.power(input, exponent)


def _pow_by_number(x: Any, e: Any) -> Any:
    """PyTorch's float and double kernels for these exponents, operation for operation (so the bits
    agree): ``x*x``, ``x*x*x``, ``1/(x*x)``, ``sqrt``, ``1/sqrt``, ``1/x``; None for other exponents."""
    if e == 2:
        return x * x
    if e == 3:
        return x * x * x
    if e == -2:
        return np.reciprocal(x * x)
    if e == 0.5:
        return np.sqrt(x)
    if e == -0.5:
        return np.reciprocal(np.sqrt(x))
    if e == -1:
        return np.reciprocal(x)
    return None


def _pow_backward(xp: Any, grad: Any, input: Any, exponent: Any) -> Any:
    """``grad * (exponent * input ** (exponent - 1))`` (PyTorch's ``pow_backward``), one op, as
    the engine ops would compute it: ``input.pow(exponent - 1)``, times ``exponent``, times ``grad``
    (in the one fresh array where shapes and dtypes allow). For a square, ``input ** 1`` is
    ``input`` itself, bit for bit (NaN payloads included): the power is skipped."""
    if exponent == 2 and type(input) is np.ndarray and input.dtype.kind == "f":
        t = np.multiply(input, number_array(exponent, input.dtype))
    else:
        t = _pow(xp, input, exponent - 1)  # (the number itself: _pow's kernels by exponent see it)
        if type(t) is not np.ndarray:  # (CuPy, or a 0-d result: a NumPy scalar)
            return grad * (t * exponent)
        if t.dtype is _F16:  # exponent * t: mul's float32 opmath (``_opmath``)
            t = np.multiply(t, number_array(exponent, _F32), dtype=np.float32).astype(np.float16)
        else:  # (t's dtype already holds the exponent's: t * exponent keeps it)
            np.multiply(t, number_array(exponent, t.dtype), out=t)
    if type(t) is np.ndarray and t.shape == grad.shape and t.dtype == grad.dtype:  # (0-d: a NumPy scalar)
        return np.multiply(grad, t, out=t)
    return grad * t


def _pow_by_number_grad(g: Any, a: Any, e: Any) -> Any:
    """The gradient of ``a ** e`` for a number ``e``, given the output's ``g``."""
    if e == 0:
        return _zeros(g)
    return call(_POW_BACKWARD, (g, a), {"exponent": e})


def _pow_backward_grad_input(h: Any, out: Any, g: Any, a: Any, exponent: Any) -> Any:
    return call(_POW_BACKWARD, (h, a), {"exponent": exponent})  # exponent != 0 here


def _pow_backward_grad_base(h: Any, out: Any, g: Any, a: Any, exponent: Any) -> Any:
    # d/da g * e * a**(e-1) = (h * g * e) * (e - 1) * a**(e-2): pow's own rule, one power down
    return _pow_by_number_grad(h * g * exponent, a, exponent - 1)


_POW_BACKWARD = defop(
    name="_pow_backward", forward=_pow_backward, inputs=("grad", "input"), namespace="tensor",
    shape=broadcast_shapes, dtype=promote, vjp=(_pow_backward_grad_input, _pow_backward_grad_base),
    grad_fn="MulBackward0",  # PyTorch's pow_backward ends in a mul
    doc="grad * exponent * input ** (exponent - 1): pow's derivative by a number, fused.",
)


def _pow_grad_input(g: Any, out: Any, a: Any, e: Any) -> Any:
    if _is_scalar(e):
        return _pow_by_number_grad(g, a, e)
    return _where(e == 0, 0, g * (e * a.pow(e - 1)))


def _pow_grad_input_fast(g: Any, out: Any, ins: Any, p: Any) -> Any:
    e = ins[1]
    if type(e) not in _PLAIN_SCALARS or e == 0:  # a tensor exponent (an array here), or zeros
        return None
    return _pow_backward(np, g, ins[0], e)


def _pow_grad_exponent(g: Any, out: Any, a: Any, e: Any) -> Any:
    if _is_scalar(a):
        if a == 0:
            return g * _where(e >= 0, 0, out * float("-inf"))
        return g * (out * (math.log(a) if a > 0 else float("nan")))
    base = a if a.dtype is out.dtype else a.to(out.dtype)
    return g * _where((a == 0) & (e >= 0), 0, out * call(REGISTRY["log"], (base,), {}))


def _pow_name(a: Any, e: Any) -> str:
    if _is_scalar(a):
        return "PowBackward2"
    return "PowBackward0" if _is_scalar(e) else "PowBackward1"


defop(
    name="pow", forward=_pow, inputs=("input", "exponent"), scalars=True, method="pow",
    shape=broadcast_shapes, dtype=_pow_dtype, saves="both", reads=((0, 1), (-1, 0)),  # (-1: the output)
    dtype_memo=lambda hit: hit[1].is_floating_point,  # an integer power checks the exponent's sign
    vjp=(_pow_grad_input, _pow_grad_exponent), fast_vjp=(_pow_grad_input_fast, None), grad_fn=_pow_name,
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


defop(
    name="neg", forward=_neg, method="neg", shape=lambda s: s,
    dtype=_neg_dtype, saves="none", dtype_memo=True,
    vjp=(lambda g, out, a: -g,), fast_vjp=(lambda g, out, ins, p: _neg(np, g),),
    grad_fn="NegBackward0", doc="-input.", aliases=("negative",),
)


# -- maximum / minimum: ties split the gradient in halves ------------------------------------

def _maximum_grad(sign: int) -> Any:
    """``where(a == b, g / 2, g)`` with the losing side zeroed (``a < b`` for maximum's input)."""

    def input_rule(g: Any, out: Any, a: Any, b: Any) -> Any:
        return _where((a < b) if sign > 0 else (a > b), 0, _where(a == b, g / 2, g))

    def other_rule(g: Any, out: Any, a: Any, b: Any) -> Any:
        return _where((a > b) if sign > 0 else (a < b), 0, _where(a == b, g / 2, g))

    return (input_rule, other_rule)


# (other first: on a tie NumPy returns its second argument, PyTorch its first, which tells -0 from +0)
def _maximum(xp: Any, input: Any, other: Any) -> Any:
    return xp.maximum(other, input)


def _minimum(xp: Any, input: Any, other: Any) -> Any:
    return xp.minimum(other, input)


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


# -- fmax / fmin: NaN loses; a tie sends the whole gradient to input (PyTorch's derivatives.yaml) -----

def _fmax_grad(sign: int) -> Any:
    def input_wins(a: Any, b: Any) -> Any:
        return ((a >= b) if sign > 0 else (a <= b)).logical_or(b.isnan())

    def input_rule(g: Any, out: Any, a: Any, b: Any) -> Any:
        return _where(input_wins(a, b), g, 0)

    def other_rule(g: Any, out: Any, a: Any, b: Any) -> Any:
        return _where(input_wins(a, b), 0, g)

    return (input_rule, other_rule)


defop(
    name="fmax", forward=lambda xp, input, other: xp.fmax(input, other), inputs=BINARY,  # noqa: A006
    method="fmax", shape=broadcast_shapes, dtype=promote, vjp=_fmax_grad(1), grad_fn="FmaxBackward0",
    doc="Elementwise maximum of two tensors where a NaN loses to a number (NaN only where both are).",
)
defop(
    name="fmin", forward=lambda xp, input, other: xp.fmin(input, other), inputs=BINARY,  # noqa: A006
    method="fmin", shape=broadcast_shapes, dtype=promote, vjp=_fmax_grad(-1), grad_fn="FminBackward0",
    doc="Elementwise minimum of two tensors where a NaN loses to a number (NaN only where both are).",
)


# -- remainder / floor_divide (what % and // run) ------------------------------------------

def _integral_division_dtype(kernel: str) -> Any:
    def rule(input: Any, other: Any) -> tuple[Any, Any]:
        d = result_type(input, other)
        if d is bool_:
            raise DTypeNotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
        return d, d

    return rule


def _remainder(xp: Any, input: Any, other: Any) -> Any:
    if _kind(input, other) in "iub":
        if _kind(input, other) != "b":
            _check_int_divisor(input, other)
        return xp.remainder(input, other)
    # PyTorch's kernel: fmod, moved by the divisor where the signs differ; a zero keeps fmod's sign
    # (the dividend's), where NumPy's remainder gives the divisor's
    mod = xp.fmod(input, other)
    moved = (mod != 0) & ((mod < 0) != (xp.asarray(other) < 0))
    return xp.where(moved, mod + other, mod)


def _remainder_grad_other(g: Any, out: Any, a: Any, b: Any) -> Any:
    if _is_scalar(a):
        raise AutogradError("derivative for aten::remainder is not implemented")
    return -g * call(REGISTRY["div"], (a, b), {"rounding_mode": "floor"})


def _remainder_name(a: Any, b: Any) -> str:
    if _is_scalar(a):
        return NOT_IMPLEMENTED
    return "RemainderBackward0" if _is_scalar(b) else "RemainderBackward1"


defop(
    name="remainder", forward=_remainder, inputs=BINARY, scalars=True, method="remainder", reads=((), (0, 1)),
    shape=broadcast_shapes, dtype=_integral_division_dtype("remainder_cpu"),
    vjp=(lambda g, out, a, b: g, _remainder_grad_other), grad_fn=_remainder_name,
    doc="Python's modulus: input - floor(input / other) * other, with the sign of other (the `%` operator).",
    domain="nonzero_other",
)


def _floor_divide(xp: Any, input: Any, other: Any) -> Any:
    if _kind(input, other) in "iu":
        _check_int_divisor(input, other)
    return xp.floor_divide(input, other)


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
    return xp.arctan2(input, other)


defop(
    name="atan2", forward=_atan2, inputs=BINARY,
    method="atan2", shape=broadcast_shapes, dtype=promote_float, vjp=(_atan2_grad(0), _atan2_grad(1)),
    grad_fn="Atan2Backward0", doc="The angle of the point (other, input), in (-pi, pi], broadcasting.",
    aliases=("arctan2",),
)

__all__ = ["result_type"]
