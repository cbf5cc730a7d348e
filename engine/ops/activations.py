"""Activations: softmax, log_softmax, softplus, leaky_relu, elu, silu, gelu.

Forwards are vectorised calls on ``xp``; derivatives are written with engine ops
(``exp``, ``where``, ``sigmoid``, ``tanh``, ``erf``, comparisons), so they are
differentiable again, with PyTorch's conventions at the kinks (``derivatives.yaml``):
``leaky_relu`` takes the slope at 0 and ``elu`` takes ``alpha`` at 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes
from .._warnings import warn as _warn
from ..errors import ArgumentError, ArgumentRuntimeError, AutogradError, DTypeNotImplementedError, type_name
from ._helpers import as_index, floating_only, normalize_dim, same_shape
from .registry import REGISTRY, call, defop

SQRT1_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
GELU_BETA = math.sqrt(2.0 / math.pi)  # PyTorch's kBeta = M_SQRT2 * M_2_SQRTPI * 0.5
GELU_KAPPA = 0.044715


def _op(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call an engine op by registry name (derivative rules are written with these)."""
    return call(REGISTRY[name], args, kwargs)


def _in_place(name: str, position: int) -> Any:
    """``F.<name>(input, ..., inplace=True)`` (``inplace`` the argument at ``position``): the op's result
    written into input as PyTorch's in-place variant does (``inplace.run_inplace``, with PyTorch's
    refusals); any other call is the op as it is (``Op.route``)."""

    def route(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
        inplace = kwargs.get("inplace", args[position] if len(args) > position else False)
        if inplace is not True or not args:
            return None
        from ..inplace import run_inplace

        params = {k: v for k, v in kwargs.items() if k != "inplace"}
        return run_inplace(args[0], REGISTRY[name], args[1:position], {**params, "inplace": True})

    return route


# -- softmax / log_softmax -------------------------------------------------------------

def _check_dim(name: str, dim: Any) -> None:
    if type(dim) is not int and as_index(dim) is None:
        raise ArgumentError(f"{name}(): argument 'dim' (position 2) must be int, not {type_name(dim)}")


def _softmax_shape(name: str) -> Callable[..., tuple[int, ...]]:
    def rule(s: tuple[int, ...], dim: Any, dtype: Any = None) -> tuple[int, ...]:
        _check_dim(name, dim)
        normalize_dim(int(dim), len(s))
        return tuple(s)

    return rule


def _softmax_dtype(name: str) -> Callable[..., tuple[Any, Any]]:
    def rule(x: Any, dim: Any, dtype: Any = None) -> tuple[Any, Any]:
        _check_dim(name, dim)
        d = x.dtype if dtype is None else dtypes.to_dtype(dtype)
        if not d.is_floating_point and math.prod(x.shape) != 0:
            nd = len(x.shape)
            last = nd == 0 or normalize_dim(int(dim), nd) == nd - 1
            kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
            raise DTypeNotImplementedError(f'"{kernel}" not implemented for \'{d._short}\'')
        return d, d

    return rule


def _shifted(xp: Any, input: Any, dim: Any) -> tuple[Any, int]:
    """``input`` as at least 1-d, less its max along ``dim`` (and the axis)."""
    axis = normalize_dim(int(dim), input.ndim)
    x = input.reshape(1) if input.ndim == 0 else input
    if x.size == 0:
        return x, axis
    if xp is np:  # what np.max runs, without its Python wrapper (a third of a small softmax)
        return x - np.maximum.reduce(x, axis=axis, keepdims=True), axis
    return x - xp.max(x, axis=axis, keepdims=True), axis


def _sum_kept(xp: Any, x: Any, axis: int) -> Any:
    if xp is np:  # np.sum's reduction, without its Python wrapper
        return np.add.reduce(x, axis=axis, keepdims=True)
    return xp.sum(x, axis=axis, keepdims=True)


def _softmax(xp: Any, input: Any, dim: Any, dtype: Any = None) -> Any:
    z, axis = _shifted(xp, input, dim)
    e = xp.exp(z)
    return (e / _sum_kept(xp, e, axis)).reshape(input.shape)


def _log_softmax(xp: Any, input: Any, dim: Any, dtype: Any = None) -> Any:
    z, axis = _shifted(xp, input, dim)
    return (z - xp.log(_sum_kept(xp, xp.exp(z), axis))).reshape(input.shape)


def _sum_dim(t: Any, dim: int) -> Any:
    # a 0-d tensor is its own sum over its one dim
    return t if t.ndim == 0 else t.sum(dim, keepdim=True)


def _softmax_grad(g: Any, out: Any, x: Any, dim: Any, dtype: Any) -> Any:
    return out * (g - _sum_dim(g * out, dim))


def _log_softmax_grad(g: Any, out: Any, x: Any, dim: Any, dtype: Any) -> Any:
    return g - _op("exp", out) * _sum_dim(g, dim)


def _implicit_dim_front(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``torch.nn.functional.<name>``: ``dim=None`` picks a dim (with PyTorch's warning)."""

    def front(fn: Callable[..., Any]) -> Callable[..., Any]:
        def functional(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
            if dim is None:
                _warn(
                    f"Implicit dimension choice for {name} has been deprecated. "
                    "Change the call to include dim=X as an argument.",
                )
                dim = 0 if input.dim() in (0, 1, 3) else 1
            # PyTorch's calls the method (``input.softmax(dim)``): its errors count positions so
            method = getattr(input, name)
            return method(dim) if dtype is None else method(dim, dtype=dtype)

        functional.__name__ = functional.__qualname__ = name
        functional.__doc__ = fn.__doc__
        return functional

    return front


defop(
    name="softmax", forward=_softmax, method="softmax", namespace="torch",
    also_functional=_implicit_dim_front("softmax"),
    shape=_softmax_shape("softmax"), dtype=_softmax_dtype("softmax"), saves="output",
    vjp=(_softmax_grad,), grad_fn="SoftmaxBackward0",
    doc="exp(input) / sum(exp(input)) along dim (computed in dtype when given).",
)
defop(
    name="log_softmax", forward=_log_softmax, method="log_softmax", namespace="torch",
    also_functional=_implicit_dim_front("log_softmax"),
    shape=_softmax_shape("log_softmax"), dtype=_softmax_dtype("log_softmax"), saves="output",
    vjp=(_log_softmax_grad,), grad_fn="LogSoftmaxBackward0",
    doc="log(softmax(input, dim)), computed stably (in dtype when given).",
)


# -- softplus -----------------------------------------------------------------------------

def _softplus(xp: Any, input: Any, beta: Any = 1, threshold: Any = 20) -> Any:
    z = input * beta
    return xp.where(z > threshold, input, xp.log1p(xp.exp(z)) / beta)


def _softplus_backward(xp: Any, grad_output: Any, self: Any, beta: Any = 1, threshold: Any = 20) -> Any:
    # PyTorch: z = exp(x * beta); x * beta > threshold ? grad : grad * z / (z + 1)
    z = self * beta
    linear = z > threshold
    e = xp.exp(xp.where(linear, 0.0, z))  # exp never sees the linear region's z
    return xp.where(linear, grad_output, grad_output * (e / (e + 1.0)))


def _softplus_double_backward(h: Any, out: Any, g: Any, x: Any, beta: Any, threshold: Any) -> Any:
    # PyTorch's softplus_double_backward: sigmoid's derivative at beta * x, where beta * x < threshold
    z = x * beta
    return _op("_sigmoid_backward", h * g, _op("sigmoid", z)) * (z < threshold) * beta


# softplus's derivative is an op of its own (PyTorch's softplus_backward), differentiable again
# with PyTorch's own second derivative
def _softplus_backward_grad_output(h: Any, out: Any, g: Any, x: Any, beta: Any, threshold: Any) -> Any:
    return call(_SOFTPLUS_BACKWARD, (h, x), {"beta": beta, "threshold": threshold})


_SOFTPLUS_BACKWARD = defop(
    name="_softplus_backward", forward=_softplus_backward, inputs=("grad_output", "self"), namespace="tensor",
    shape=lambda g, s, **_: g, dtype=lambda g, s, **_: (None, g.dtype),
    vjp=(_softplus_backward_grad_output, _softplus_double_backward),
    grad_fn="SoftplusBackwardBackward0", doc="softplus's derivative: grad_output * sigmoid(beta * self), "
    "grad_output itself where beta * self > threshold.",
)


def _softplus_grad(g: Any, out: Any, x: Any, beta: Any, threshold: Any) -> Any:
    return call(_SOFTPLUS_BACKWARD, (g, x), {"beta": beta, "threshold": threshold})


defop(
    name="softplus", forward=_softplus, namespace="functional",
    shape=same_shape, dtype=floating_only("softplus_cpu"),
    vjp=(_softplus_grad,), grad_fn="SoftplusBackward0",
    doc="log(1 + exp(beta * input)) / beta; input itself where beta * input > threshold.",
)


# -- leaky_relu / elu ----------------------------------------------------------------------

def _leaky_relu(xp: Any, input: Any, negative_slope: Any = 0.01, inplace: bool = False) -> Any:
    return xp.where(input > 0, input, input * negative_slope)


def _leaky_relu_backward(xp: Any, grad_output: Any, self: Any, negative_slope: Any = 0.01) -> Any:
    # PyTorch: x > 0 ? grad : grad * negative_slope (the slope at 0)
    return xp.where(self > 0, grad_output, grad_output * negative_slope).astype(grad_output.dtype, copy=False)


# leaky_relu's derivative is an op of its own (PyTorch's leaky_relu_backward), connected to the input:
# its derivative there is zero, so a second derivative is zeros rather than an error
def _leaky_relu_backward_grad_output(h: Any, out: Any, g: Any, y: Any, negative_slope: Any) -> Any:
    return call(_LEAKY_RELU_BACKWARD, (h, y), {"negative_slope": negative_slope})


_LEAKY_RELU_BACKWARD = defop(
    name="_leaky_relu_backward", forward=_leaky_relu_backward, inputs=("grad_output", "self"), namespace="tensor",
    shape=lambda g, s, **_: g, dtype=lambda g, s, **_: (None, g.dtype),
    vjp=(_leaky_relu_backward_grad_output, lambda h, out, *_, **__: _op("zeros_like", h)),
    grad_fn="LeakyReluBackwardBackward0", doc="grad_output where self > 0, else negative_slope * grad_output.",
)


def _leaky_relu_grad(g: Any, out: Any, x: Any, negative_slope: Any, inplace: bool) -> Any:
    if inplace and negative_slope < 0:  # (PyTorch's in-place variant reads the output's sign)
        raise AutogradError(
            "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
            "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
            "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
            "in-place leakRelu backward calculation with negative slope"
        )
    return call(_LEAKY_RELU_BACKWARD, (g, x), {"negative_slope": negative_slope})


defop(
    name="leaky_relu", python_function=True, forward=_leaky_relu, namespace="functional",
    shape=same_shape, dtype=floating_only("leaky_relu_cpu"), route=_in_place("leaky_relu", 2),
    vjp=(_leaky_relu_grad,), grad_fn=lambda x, negative_slope=0.01, inplace=False: f"LeakyReluBackward{int(inplace)}",
    doc="input where input > 0, else negative_slope * input.",
)


def _elu(xp: Any, input: Any, alpha: Any = 1.0, inplace: bool = False) -> Any:
    return xp.where(input > 0, input, xp.expm1(xp.minimum(input, 0)) * alpha)


def _elu_backward(xp: Any, grad_output: Any, self: Any, alpha: Any = 1.0) -> Any:
    # PyTorch: x <= 0 ? grad * alpha * exp(x) : grad (alpha at 0; exp never sees x > 0)
    e = xp.exp(xp.where(self < 0, self, 0))
    return xp.where(self <= 0, grad_output * (e * alpha), grad_output).astype(grad_output.dtype, copy=False)


def _elu_double_backward(h: Any, out: Any, g: Any, x: Any, alpha: Any) -> Any:
    # PyTorch's elu_double_backward, masked with x < 0 (a constant at 0)
    negative = x < 0
    e = _op("exp", _op("where", negative, x, _op("zeros_like", x)))
    return _op("where", negative, h * g * (e * alpha), _op("zeros_like", h))


# elu's derivative is an op of its own (PyTorch's elu_backward), differentiable again
def _elu_backward_grad_output(h: Any, out: Any, g: Any, x: Any, alpha: Any) -> Any:
    return call(_ELU_BACKWARD, (h, x), {"alpha": alpha})


_ELU_BACKWARD = defop(
    name="_elu_backward", forward=_elu_backward, inputs=("grad_output", "self"), namespace="tensor",
    shape=lambda g, s, **_: g, dtype=lambda g, s, **_: (None, g.dtype),
    vjp=(_elu_backward_grad_output, _elu_double_backward),
    grad_fn="EluBackwardBackward0", doc="elu's derivative: grad_output * alpha * exp(self) where self <= 0.",
)


def _elu_grad(g: Any, out: Any, x: Any, alpha: Any, inplace: bool) -> Any:
    if inplace and alpha < 0:  # (PyTorch's in-place variant reads the output, which alpha < 0 makes ambiguous)
        raise AutogradError(
            "In-place elu backward calculation is triggered with a negative slope which is not supported. This is "
            "caused by calling in-place forward function with a negative slope, please call out-of-place version "
            "instead."
        )
    return call(_ELU_BACKWARD, (g, x), {"alpha": alpha})


defop(
    name="elu", python_function=True, forward=_elu, namespace="functional",
    shape=same_shape, dtype=floating_only("elu_cpu"), route=_in_place("elu", 2),
    vjp=(_elu_grad,), grad_fn=lambda x, alpha=1.0, inplace=False: f"EluBackward{int(inplace)}",
    doc="input where input > 0, else alpha * (exp(input) - 1).",
)


# -- silu / gelu ------------------------------------------------------------------------------

def _silu(xp: Any, input: Any, inplace: bool = False) -> Any:
    return input / (1 + xp.exp(-input))


def _silu_grad(g: Any, out: Any, x: Any, inplace: bool) -> Any:
    s = _op("sigmoid", x)
    return g * s * (1.0 + x * (1.0 - s))


defop(
    name="silu", python_function=True, forward=_silu, namespace="functional",
    shape=same_shape, dtype=floating_only("silu_cpu"), route=_in_place("silu", 1),
    vjp=(_silu_grad,), grad_fn="SiluBackward0",
    doc="input * sigmoid(input) (swish).",
)


def erf_array(xp: Any, input: Any) -> Any:
    """erf on an array, vectorised, to double precision (NumPy has no erf).

    |x| < 3: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)), every term
    of x's sign, so nothing cancels. |x| >= 3: +-(1 - erfc(|x|)), erfc by Laplace's continued
    fraction (the series' sum there is too large to keep its last digits): exactly +-1 from
    |x| ~ 5.9 on, as libm's erf, so that ``1 + erf(x)`` is 0 there (gelu's -0 for large negative x).
    """
    x = input
    a = xp.asarray(x, dtype=np.float64)
    nan = xp.isnan(a)
    a = xp.where(nan, 0.0, xp.clip(a, -6.0, 6.0))
    far = xp.abs(a) >= 3.0
    s = xp.where(far, 0.0, a)
    s2 = s * s
    term = s.copy()
    total = s.copy()
    for n in range(58):  # enough for |x| < 3
        term = term * (2.0 * s2 / (2 * n + 3))
        total = total + term
    near = (2.0 / math.sqrt(math.pi)) * xp.exp(-s2) * total
    b = xp.where(far, xp.abs(a), 3.0)
    t = b
    for k in range(60, 0, -1):  # erfc(b) = exp(-b^2) / sqrt(pi) / (b + (1/2) / (b + 1 / (b + (3/2) / ...)))
        t = b + (k / 2.0) / t
    erfc = xp.exp(-b * b) / (math.sqrt(math.pi) * t)
    out = xp.where(far, xp.sign(a) * (1.0 - erfc), near)
    out = xp.where(nan, xp.nan, out)
    return out.astype(x.dtype) if hasattr(x, "dtype") else out


defop(
    name="_erf", forward=erf_array, namespace="tensor",
    shape=same_shape, dtype=floating_only("erf"),
    vjp=(lambda g, out, x: g * (_op("exp", -(x * x)) * (2.0 / math.sqrt(math.pi))),), grad_fn="ErfBackward0",
    doc="erf(input), elementwise (the gelu pieces' own; private).",
)


def _gelu_check(approximate: Any) -> None:
    if not isinstance(approximate, str):
        raise ArgumentError(f"gelu(): argument 'approximate' must be str, not {type_name(approximate)}")
    if approximate not in ("none", "tanh"):
        raise ArgumentRuntimeError("approximate argument must be either none or tanh.")


def _gelu(xp: Any, input: Any, *, approximate: str = "none") -> Any:
    _gelu_check(approximate)
    if approximate == "tanh":
        inner = GELU_BETA * (input + GELU_KAPPA * input * input * input)
        return 0.5 * input * (1 + xp.tanh(inner))
    return input * 0.5 * (1 + erf_array(xp, input * SQRT1_2))


def _gelu_grad(g: Any, out: Any, x: Any, approximate: str) -> Any:
    if approximate == "tanh":
        x_sq = x * x
        t = _op("tanh", GELU_BETA * (x + GELU_KAPPA * x_sq * x))
        left_derivative = 0.5 * (1.0 + t)
        right_derivative = (0.5 * x) * (1.0 - t * t) * (GELU_BETA * (1.0 + (3 * GELU_KAPPA) * x_sq))
        return g * (left_derivative + right_derivative)
    cdf = 0.5 * (1.0 + _op("_erf", x * SQRT1_2))
    pdf = _op("exp", -0.5 * x * x) * INV_SQRT_2PI
    return g * (cdf + x * pdf)


def _gelu_dtype(x: Any, *, approximate: Any = "none") -> Any:
    _gelu_check(approximate)
    return floating_only("GeluKernelImpl")(x)


defop(
    name="gelu", forward=_gelu, namespace="functional",
    shape=same_shape, dtype=_gelu_dtype,
    vjp=(_gelu_grad,), grad_fn="GeluBackward0",
    doc="input * Phi(input) (approximate='none'), or its tanh approximation (approximate='tanh').",
)
