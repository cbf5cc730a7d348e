"""Elementwise unary ops: exp/log family, trigonometry, sigmoid/tanh/relu, rounding, abs, sign, clamp.

Floating functions turn integer and bool inputs into the default float (``exp(int)``
is float32); ``abs``, ``sign``, ``relu``, ``floor``/``ceil``/``round``/``trunc`` and
``square`` keep integer dtypes. The derivatives are PyTorch's (``derivatives.yaml``),
written with engine ops: ``sigmoid``/``tanh``/``exp``/``sqrt``/... read their output;
the subgradients at kinks are PyTorch's: ``abs`` at 0 and ``relu`` at 0 give 0,
``clamp`` passes the whole gradient at its bounds, and ``sign`` and the rounding ops
have zero gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..dtypes import bool_, float16, float32, float_result, result_type
from ..errors import ArgumentError, ArgumentRuntimeError, DTypeError, DTypeNotImplementedError, type_name
from ._helpers import as_index, broadcast_shapes, promote, same_shape
from .creation import check_scalar_fits
from .registry import REGISTRY, call, defop

LN2 = math.log(2.0)
LN10 = math.log(10.0)


def _where(cond: Any, a: Any, b: Any) -> Any:
    return call(REGISTRY["where"], (cond, a, b), {})


def _zeros(g: Any, out: Any, *_: Any, **__: Any) -> Any:
    """The derivative of a piecewise-constant op (sign, floor, ...): zeros, as PyTorch's."""
    from ..creation import zeros_like

    return zeros_like(g)


def _ufunc(fn: str) -> Callable[..., Any]:
    """A forward ``xp.<fn>(input)`` (``apply`` silences NumPy's domain warnings: PyTorch gives NaN/inf quietly)."""

    def forward(xp: Any, input: Any) -> Any:
        return getattr(xp, fn)(input)

    forward.__name__ = fn
    return forward


def _not_for(kernel: str, *shorts: str) -> Callable[..., Any]:
    """A dtype rule keeping the input's dtype, refusing the listed ones with PyTorch's words."""

    def rule(x: Any, *_: Any, **__: Any) -> tuple[None, Any]:
        if x.dtype._short in shorts:
            raise DTypeNotImplementedError(f'"{kernel}" not implemented for \'{x.dtype._short}\'')
        return None, x.dtype

    return rule


def _float_dtype(x: Any, *_: Any, **__: Any) -> tuple[Any, Any]:
    """Integers and bools give the default float; half computes in float32 and rounds once, as PyTorch's."""
    d = float_result(x.dtype)
    return (float32 if d is float16 else d), d


def _float_fn(name: str, fn: str | Callable[..., Any], vjp: Callable[..., Any], saves: str, grad_fn: str,
              doc: str, domain: str = "real", also_functional: Any = False,
              fast: Callable[..., Any] | None = None) -> None:
    defop(
        name=name, forward=_ufunc(fn) if isinstance(fn, str) else fn, method=name, shape=same_shape,
        dtype=_float_dtype, dtype_memo=True, vjp=(vjp,), fast_vjp=None if fast is None else (fast,),
        saves=saves, grad_fn=grad_fn, doc=doc, domain=domain, also_functional=also_functional,
    )


# -- exponentials and logarithms --------------------------------------------------------

_float_fn("exp", "exp", lambda g, out, x: g * out, "output", "ExpBackward0", "e ** input.",
          fast=lambda g, out, ins, p: g * out)  # mul's forward
_float_fn("exp2", "exp2", lambda g, out, x: g * (out * LN2), "output", "Exp2Backward0", "2 ** input.")
_float_fn("expm1", "expm1", lambda g, out, x: g * (out + 1), "output", "Expm1Backward0",
          "exp(input) - 1, accurate near 0.")
_float_fn("log", "log", lambda g, out, x: g / x, "inputs", "LogBackward0",
          "Natural logarithm (NaN below 0, -inf at 0).", "positive")
_float_fn("log2", "log2", lambda g, out, x: g / (x * LN2), "inputs", "Log2Backward0",
          "Base-2 logarithm.", "positive")
_float_fn("log10", "log10", lambda g, out, x: g / (x * LN10), "inputs", "Log10Backward0",
          "Base-10 logarithm.", "positive")
_float_fn("log1p", "log1p", lambda g, out, x: g / (x + 1), "inputs", "Log1PBackward0",
          "log(1 + input), accurate near 0.", "positive")
_float_fn("sqrt", "sqrt", lambda g, out, x: g / (2 * out), "output", "SqrtBackward0",
          "Square root (NaN below 0).", "positive")


def _rsqrt(xp: Any, input: Any) -> Any:
    return 1 / xp.sqrt(input)


_float_fn("rsqrt", _rsqrt, lambda g, out, x: g * out.pow(3) * -0.5, "output", "RsqrtBackward0",
          "1 / sqrt(input).", "positive")


def _reciprocal(xp: Any, input: Any) -> Any:
    return 1 / input


_float_fn("reciprocal", _reciprocal, lambda g, out, x: -g * (out * out), "output", "ReciprocalBackward0",
          "1 / input.", "nonzero")


# -- trigonometric and hyperbolic -----------------------------------------------------------

_float_fn("sin", "sin", lambda g, out, x: g * x.cos(), "inputs", "SinBackward0", "Sine (radians).")
_float_fn("cos", "cos", lambda g, out, x: g * -x.sin(), "inputs", "CosBackward0", "Cosine (radians).")
_float_fn("tan", "tan", lambda g, out, x: g * (1 + out.pow(2)), "output", "TanBackward0",
          "Tangent (radians).", "unit")
_float_fn("asin", "arcsin", lambda g, out, x: g * (-x * x + 1).rsqrt(), "inputs", "AsinBackward0",
          "Arcsine (NaN outside [-1, 1]).", "unit")
_float_fn("acos", "arccos", lambda g, out, x: g * -((-x * x + 1).rsqrt()), "inputs", "AcosBackward0",
          "Arccosine (NaN outside [-1, 1]).", "unit")
_float_fn("atan", "arctan", lambda g, out, x: g / (x * x + 1), "inputs", "AtanBackward0", "Arctangent.")
_float_fn("sinh", "sinh", lambda g, out, x: g * x.cosh(), "inputs", "SinhBackward0", "Hyperbolic sine.")
_float_fn("cosh", "cosh", lambda g, out, x: g * x.sinh(), "inputs", "CoshBackward0", "Hyperbolic cosine.")
# tanh's and sigmoid's derivatives are ops of their own (PyTorch's tanh_backward and
# sigmoid_backward): one array expression instead of three engine ops, differentiable again.

def _in_place_ok(t: Any, other: Any) -> bool:
    """Whether ``t`` (a fresh array) can take ``t * other``'s result in place: same shape and dtype."""
    return type(t) is np.ndarray and t.shape == other.shape and t.dtype == other.dtype


def _tanh_backward(xp: Any, grad_output: Any, output: Any) -> Any:
    if output.dtype == np.float32 or output.dtype == np.float16:
        # PyTorch's kernel computes 1 - y*y as one fused multiply-add, in float32 (float16 too):
        # rounded once, which is what rounding its exact float64 value gives
        t = xp.empty(output.shape, xp.float64)  # (an out array: a 0-d result stays an array)
        xp.square(output, out=t, dtype=xp.float64)  # (the float64 loop: exact for these inputs)
        xp.subtract(1.0, t, out=t)
        r = t.astype(xp.float32)
        if grad_output.dtype == np.float32 and grad_output.shape == r.shape:
            xp.multiply(grad_output, r, out=r)
            return r
        return (grad_output.astype(xp.float32) * r).astype(xp.result_type(grad_output, output))
    # grad_output * (1 - output * output), step for step, in one fresh array where it can
    t = output * output
    if _in_place_ok(t, grad_output):
        np.subtract(1, t, out=t)
        np.multiply(grad_output, t, out=t)
        return t
    return grad_output * (1 - t)


def _tanh_backward_grad_output(h: Any, out: Any, g: Any, y: Any) -> Any:
    return call(_TANH_BACKWARD, (h, y), {})


def _tanh_backward_grad_y(h: Any, out: Any, g: Any, y: Any) -> Any:
    return h * ((y * -2) * g)  # PyTorch's: grad * (-2 * output * grad_output)


_TANH_BACKWARD = defop(
    name="_tanh_backward", forward=_tanh_backward, inputs=("grad_output", "output"), namespace="tensor",
    shape=broadcast_shapes, dtype=promote, vjp=(_tanh_backward_grad_output, _tanh_backward_grad_y),
    grad_fn="TanhBackwardBackward0", doc="grad_output * (1 - output ** 2): tanh's derivative from its output.",
)

_float_fn("tanh", "tanh", lambda g, out, x: call(_TANH_BACKWARD, (g, out), {}), "output", "TanhBackward0",
          "Hyperbolic tangent; the derivative 1 - tanh(x)**2 is read from the output.", also_functional=True,
          fast=lambda g, out, ins, p: _tanh_backward(np, g, out))


def _sigmoid(xp: Any, input: Any) -> Any:
    return 1 / (1 + xp.exp(-input))


def _sigmoid_backward(xp: Any, grad_output: Any, output: Any) -> Any:
    # grad_output * ((1 - output) * output), step for step, in one fresh array where it can
    t = 1 - output
    if _in_place_ok(t, grad_output) and t.shape == output.shape:
        np.multiply(t, output, out=t)
        np.multiply(grad_output, t, out=t)
        return t
    return grad_output * (t * output)


def _sigmoid_backward_grad_output(h: Any, out: Any, g: Any, y: Any) -> Any:
    return call(_SIGMOID_BACKWARD, (h, y), {})


def _sigmoid_backward_grad_y(h: Any, out: Any, g: Any, y: Any) -> Any:
    return (h * g) * (y * -2 + 1)  # PyTorch's: grad * grad_output * (-2 * output + 1)


_SIGMOID_BACKWARD = defop(
    name="_sigmoid_backward", forward=_sigmoid_backward, inputs=("grad_output", "output"), namespace="tensor",
    shape=broadcast_shapes, dtype=promote, vjp=(_sigmoid_backward_grad_output, _sigmoid_backward_grad_y),
    grad_fn="SigmoidBackwardBackward0",
    doc="grad_output * (1 - output) * output: sigmoid's derivative from its output.",
)

_float_fn("sigmoid", _sigmoid, lambda g, out, x: call(_SIGMOID_BACKWARD, (g, out), {}), "output",
          "SigmoidBackward0", "1 / (1 + exp(-input)); the derivative s * (1 - s) is read from the output.",
          also_functional=True, fast=lambda g, out, ins, p: _sigmoid_backward(np, g, out))


# -- abs, sign, relu, square ---------------------------------------------------------------

defop(
    name="abs", forward=_ufunc("abs"), method="abs", shape=same_shape,
    dtype=_not_for("abs_cpu", "Bool"), dtype_memo=True, vjp=(lambda g, out, x: g * x.sign(),), grad_fn="AbsBackward0",
    doc="|input|; the gradient at 0 is 0 (g * sign(x)).", aliases=("absolute",),
)


def _sign(xp: Any, input: Any) -> Any:
    if input.dtype == np.bool_:
        return input.copy()
    # (x > 0) - (x < 0): 0 at NaN, as PyTorch's (NumPy's sign gives NaN)
    return (input > 0).astype(input.dtype) - (input < 0).astype(input.dtype)


defop(
    name="sign", forward=_sign, method="sign", shape=same_shape, dtype=lambda x: (None, x.dtype), dtype_memo=True,
    vjp=(_zeros,), saves="none", grad_fn="SignBackward0",
    doc="-1, 0 or 1 by the sign of input (0 for NaN); zero gradient.",
)


def _relu_dtype(x: Any) -> tuple[None, Any]:
    if x.dtype is bool_:
        raise DTypeError("Boolean inputs not supported for relu")
    return None, x.dtype


def _relu(xp: Any, input: Any) -> Any:
    return xp.where(input < 0, 0, input)  # (-0 and NaN stay as they are, as PyTorch's)


def _functional_relu(relu: Callable[..., Any]) -> Callable[..., Any]:
    """``F.relu(input, inplace=False)``; ``inplace=True`` is ``input.relu_()``."""

    def fn(input: Any, inplace: bool = False) -> Any:
        if inplace:
            return input.relu_()
        return relu(input)

    fn.__name__ = fn.__qualname__ = "relu"
    fn.__doc__ = relu.__doc__
    return fn


# relu's derivative is an op of its own (PyTorch's threshold_backward), so that it is connected to
# relu's output: its own derivative there is zero, and a second derivative is zeros, not an error.

def _threshold_backward(xp: Any, grad_output: Any, self: Any, threshold: Any = 0) -> Any:
    return xp.where(self <= threshold, 0, grad_output).astype(grad_output.dtype, copy=False)


def _threshold_backward_grad_output(h: Any, out: Any, g: Any, y: Any, threshold: Any) -> Any:
    return call(_THRESHOLD_BACKWARD, (h, y), {"threshold": threshold})


_THRESHOLD_BACKWARD = defop(
    name="_threshold_backward", forward=_threshold_backward, inputs=("grad_output", "self"), namespace="tensor",
    shape=broadcast_shapes, dtype=promote, vjp=(_threshold_backward_grad_output, _zeros),
    grad_fn="ThresholdBackwardBackward0", doc="grad_output where self > threshold, else 0: relu's derivative.",
)

defop(
    name="relu", forward=_relu, method="relu", shape=same_shape,
    dtype=_relu_dtype, dtype_memo=True, vjp=(lambda g, out, x: call(_THRESHOLD_BACKWARD, (g, out), {}),),
    saves="output",
    fast_vjp=(lambda g, out, ins, p: _threshold_backward(np, g, out),),
    grad_fn="ReluBackward0", doc="max(input, 0) (NaN stays NaN); the gradient at 0 is 0.",
    also_functional=_functional_relu,
)


def _square_dtype(x: Any) -> tuple[Any, Any]:
    d = result_type(x, 2)
    return d, d


def _square(xp: Any, input: Any) -> Any:
    return input * input


defop(
    name="square", forward=_square, method="square", shape=same_shape,
    dtype=_square_dtype, dtype_memo=True, vjp=(lambda g, out, x: g * (2 * x),), grad_fn="PowBackward0",
    doc="input * input (PyTorch runs pow(input, 2): integers stay integral, bool becomes int64).",
)


# -- rounding: zero gradient -----------------------------------------------------------------

def _rounding(fn: str) -> Callable[..., Any]:
    def forward(xp: Any, input: Any) -> Any:
        return getattr(xp, fn)(input) if input.dtype.kind == "f" else input.copy()

    forward.__name__ = fn
    return forward


for _name, _fn in (("floor", "floor"), ("ceil", "ceil"), ("trunc", "trunc")):
    defop(
        name=_name, forward=_rounding(_fn), method=_name, shape=same_shape,
        dtype=_not_for(f"{_name}_vml_cpu", "Bool"), dtype_memo=True, vjp=(_zeros,), saves="none",
        grad_fn=f"{_name.capitalize()}Backward0",
        doc=f"{_name} of each element (integers unchanged); zero gradient.",
        aliases=("fix",) if _name == "trunc" else (),
    )


def _round(xp: Any, input: Any, *, decimals: int | None = None) -> Any:
    if input.dtype.kind != "f":
        return input.copy()
    if not decimals:
        return xp.rint(input)  # half to even, as PyTorch's nearbyint
    if decimals > 0:
        scale = input.dtype.type(10.0**decimals)
        return xp.rint(input * scale) / scale
    scale = input.dtype.type(10.0**-decimals)
    return xp.rint(input / scale) * scale


def _round_dtype(x: Any, *, decimals: int | None = None) -> tuple[None, Any]:
    if decimals is not None and type(decimals) is not int and as_index(decimals) is None:
        raise ArgumentError(f"round(): argument 'decimals' must be int, not {type_name(decimals)}")
    if not x.dtype.is_floating_point and (x.dtype is bool_ or decimals is not None):
        kernel = "round_cpu" if decimals else "round_vml_cpu"
        raise DTypeNotImplementedError(f'"{kernel}" not implemented for \'{x.dtype._short}\'')
    return None, x.dtype


defop(
    name="round", forward=_round, method="round", shape=same_shape, dtype=_round_dtype, dtype_memo=True,
    vjp=(_zeros,), saves="none",
    grad_fn=lambda x, decimals=None: "RoundBackward0" if decimals is None else "RoundBackward1",
    doc="Round half to even, to `decimals` decimal places (0 when omitted); zero gradient.",
)


# -- clamp ------------------------------------------------------------------------------------

_CLAMP_SIGNATURES = (
    " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
    " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n"
)


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def _clamp_scalar_form(min: Any, max: Any) -> bool:
    """Whether this is PyTorch's ``clamp(Tensor, Number?, Number?)`` (ClampBackward1)."""
    return not (_is_tensor(min) or _is_tensor(max)) or any(
        b is not None and not _is_tensor(b) for b in (min, max)
    )


def _as_number(b: Any) -> Any:
    """A bound of the number form, for dtype promotion: a 0-d tensor counts as a number of its kind."""
    if not _is_tensor(b):
        return b
    return 0.0 if b.dtype.is_floating_point else False if b.dtype is bool_ else 0


def _clamp_dtype(input: Any, min: Any = None, max: Any = None) -> tuple[Any, Any]:
    if min is None and max is None:
        raise ArgumentRuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    scalar_form = _clamp_scalar_form(min, max)
    bounds = [b for b in (min, max) if b is not None]
    if scalar_form and any(_is_tensor(b) for b in bounds):
        # a number and a tensor: PyTorch takes a 0-d tensor without grad as a number, refuses the rest
        if any(_is_tensor(b) and (b.ndim != 0 or b.requires_grad) for b in bounds):
            got = ", ".join(
                "NoneType" if b is None else "Tensor" if _is_tensor(b) else type_name(b) for b in (min, max)
            )
            raise ArgumentError(
                f"clamp() received an invalid combination of arguments - got (Tensor, {got}), "
                f"but expected one of:\n{_CLAMP_SIGNATURES}"
            )
        bounds = [_as_number(b) for b in bounds]
    d = result_type(input, *bounds)
    for b in bounds:
        check_scalar_fits(b, d)
    if d is bool_:
        if scalar_form:
            kernel = "clamp_scalar_cpu" if len(bounds) == 2 else "clamp_min_scalar_cpu" if min is not None \
                else "clamp_max_scalar_cpu"
            raise DTypeNotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
        if len(bounds) == 2:
            raise DTypeNotImplementedError('"clamp_cpu" not implemented for \'Bool\'')
    return d, d


def _clamp(xp: Any, input: Any, min: Any = None, max: Any = None) -> Any:
    out = input
    if min is not None:  # (the bound first: on a tie NumPy returns its second argument, the input, as PyTorch)
        out = xp.maximum(min, out)
    if max is not None:
        out = xp.minimum(max, out)
    return out if out is not input else input.copy()


def _clamp_grad_input(g: Any, out: Any, x: Any, min: Any, max: Any) -> Any:
    # the bounds themselves pass the gradient (subgradient 1), as PyTorch's clamp_backward
    if min is not None and max is not None:
        return _where((x >= min) & (x <= max), g, 0)
    if min is not None:
        return _where(x >= min, g, 0)
    return _where(x <= max, g, 0)


def _clamp_grad_min(g: Any, out: Any, x: Any, min: Any, max: Any) -> Any:
    if max is None:
        return _where(x < min, g, 0)
    return _where((x < min) & (min < max), g, 0)


def _clamp_grad_max(g: Any, out: Any, x: Any, min: Any, max: Any) -> Any:
    if min is None:
        return _where(x > max, g, 0)
    return _where((x > max) | (max < min), g, 0)


def _clamp_name(x: Any, min: Any = None, max: Any = None) -> str:
    return "ClampBackward1" if _clamp_scalar_form(min, max) else "ClampBackward0"


def _clamp_shape(s: Any, min: Any = None, max: Any = None) -> Any:
    return broadcast_shapes(s, min, max)


defop(
    name="clamp", forward=_clamp, inputs=("input", "min", "max"), scalars=True, method="clamp",
    shape=_clamp_shape, dtype=_clamp_dtype, vjp=(_clamp_grad_input, _clamp_grad_min, _clamp_grad_max),
    grad_fn=_clamp_name,
    doc="min(max(input, min), max) with numbers or tensors as bounds (either may be None; max wins when "
    "min > max); the gradient passes where min <= input <= max, bounds included.",
    aliases=("clip",),
)

