"""Unary ops and clamp against PyTorch: values, dtypes, grad_fn, first and second derivatives,
integer/bool inputs, special values, the subgradient conventions at kinks, and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import engine

from .oracle import FLOATS, UNARY_SHAPES, T, check
from .test_arithmetic import expr, grads, same_error, torch_grads

# name -> sample domain for the float checks
UNARY = {
    "abs": "real", "exp": "real", "exp2": "real", "log": "positive", "log2": "positive",
    "log10": "positive", "log1p": "positive", "expm1": "real", "sqrt": "positive", "rsqrt": "positive",
    "square": "real", "reciprocal": "nonzero", "sin": "real", "cos": "real", "tan": "unit",
    "asin": "unit", "acos": "unit", "atan": "real", "sinh": "real", "cosh": "real", "tanh": "real",
    "sigmoid": "real", "relu": "real", "sign": "real", "floor": "real", "ceil": "real", "round": "real",
    "trunc": "real",
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", UNARY_SHAPES)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name: str, shape: tuple, dtype: str) -> None:
    check(name, T(shape, dtype, UNARY[name]))


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_method(name: str) -> None:
    check(name, T((2, 3), "float64", UNARY[name]), method=True)


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_integer_and_bool_inputs(name: str) -> None:
    # floating functions give float32; abs/sign/relu/rounding/square keep integers; errors as PyTorch's
    for dtype, domain in (("int32", "int"), ("int64", "int"), ("bool", "bool")):
        expr(lambda m, x, n=name: getattr(m, n)(x), T((2, 3), dtype, domain))
        expr(lambda m, x, n=name: getattr(m, n)(x), T((), dtype, domain))


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_float16(name: str) -> None:
    # PyTorch computes half in float32 and rounds once: the engine too, to the last bit
    x = T((64,), "float16", UNARY[name])
    out = expr(lambda m, a, n=name: getattr(m, n)(a), x, order=0)
    ref = getattr(torch, name)(torch.tensor(x.array(0), dtype=torch.float16))
    assert np.array_equal(out.detach().numpy(), ref.numpy(), equal_nan=True)


def test_aliases() -> None:
    x = T((2, 3), "float64", "unit")
    for alias, name in (("absolute", "abs"), ("clip", "clamp"), ("fix", "trunc"), ("arctan2", "atan2")):
        assert engine.REGISTRY[alias] is engine.REGISTRY[name]
    expr(lambda m, a: m.absolute(a), x)
    expr(lambda m, a: m.fix(a), x)
    expr(lambda m, a: m.clip(a, -0.5, 0.5), x)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_functional(name: str) -> None:
    # torch.relu and F.relu (F.sigmoid, F.tanh) are the same op
    expr(lambda m, a: getattr(m.nn.functional, name)(a), T((2, 3)))
    if name == "relu":
        expr(lambda m, a: m.nn.functional.relu(a, inplace=False), T((4,)))
        expr(lambda m, a: m.nn.functional.relu(a, False), T((4,)))


def test_outputs_saved() -> None:
    # sigmoid/tanh (and exp, sqrt, ...) read their output in backward, as PyTorch's
    for name in ("sigmoid", "tanh", "exp", "sqrt", "rsqrt", "reciprocal", "relu", "expm1", "exp2", "tan"):
        assert engine.REGISTRY[name].saves == "output", name


# -- special values ---------------------------------------------------------------------------

SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, np.inf, -np.inf, np.nan, 1e-30, 100.0, -100.0])


@pytest.mark.parametrize("name", list(UNARY))
def test_special_values(name: str) -> None:
    for dtype in (np.float64, np.float32):
        expr(lambda m, x, n=name: getattr(m, n)(x), SPECIAL.astype(dtype), order=1)


def test_sign_nan_and_zero() -> None:
    x = engine.tensor([np.nan, -0.0, 0.0, -3.0, 2.0])
    assert engine.sign(x).tolist() == [0.0, 0.0, 0.0, -1.0, 1.0]  # NaN -> 0, as PyTorch's (not NumPy's NaN)


def test_sigmoid_extremes() -> None:
    for dtype in (np.float64, np.float32):
        expr(lambda m, x: m.sigmoid(x), np.array([-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0], dtype=dtype))


# -- round ----------------------------------------------------------------------------------

@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3])
@pytest.mark.parametrize("dtype", FLOATS)
def test_round_decimals(decimals: int, dtype: str) -> None:
    check("round", T((2, 3), dtype), decimals=decimals)  # RoundBackward1
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 1.25, 1234.5678, -0.05, 0.15, 250.0, 350.0])
    expr(lambda m, x: m.round(x, decimals=decimals), values.astype(dtype))
    expr(lambda m, x: x.round(decimals=decimals), values.astype(dtype))


def test_round_half_to_even() -> None:
    x = engine.tensor([0.5, 1.5, 2.5, -0.5, -1.5])
    assert engine.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]


def test_round_integer_errors() -> None:
    for dtype in ("int32", "int64", "bool"):
        for decimals in (0, 1, -1):
            expr(lambda m, x, d=decimals: m.round(x, decimals=d), T((3,), dtype, "int" if dtype != "bool" else "bool"))


# -- kinks and zero-gradient ops, pinned --------------------------------------------------------

def test_abs_at_zero() -> None:
    assert grads(engine.abs, [0.0, -0.0, 2.0, -3.0]) == [[0.0, 0.0, 1.0, -1.0]]
    assert grads(engine.abs, [0.0, 2.0]) == torch_grads(torch.abs, [0.0, 2.0])
    check("abs", T((4, 3), "float64", "int"))  # integer values: exact zeros, to second order
    check("abs", T((7,), "float32", "int"))


def test_relu_at_zero() -> None:
    assert grads(engine.relu, [0.0, -0.0, 1.0, -1.0]) == [[0.0, 0.0, 1.0, 0.0]]
    assert grads(engine.relu, [0.0, 1.0, -1.0]) == torch_grads(torch.relu, [0.0, 1.0, -1.0])
    check("relu", T((4, 3), "float64", "int"))
    check("relu", T((7,), "float32", "int"))
    expr(lambda m, x: m.relu(x), np.array([np.nan, -np.nan, 0.0]))  # NaN: PyTorch's threshold passes it


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_zero_gradient(name: str) -> None:
    fn = getattr(engine, name)
    assert grads(fn, [0.0, 0.5, -1.5, 2.0]) == [[0.0, 0.0, 0.0, 0.0]]
    y = fn(engine.tensor([0.5], requires_grad=True))
    assert y.requires_grad and y.grad_fn.name() == f"{name.capitalize()}Backward0"
    check(name, T((5,), "float64", "int"))


def test_sqrt_log_at_zero() -> None:
    # infinite derivatives at 0, as PyTorch's
    for name in ("sqrt", "log", "rsqrt", "reciprocal", "log2", "log10"):
        expr(lambda m, x, n=name: getattr(m, n)(x), np.array([0.0, 1.0, 4.0]))


# -- clamp ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", UNARY_SHAPES)
def test_clamp_scalars(shape: tuple, dtype: str) -> None:
    check("clamp", T(shape, dtype), -0.5, 0.5)  # ClampBackward1
    check("clamp", T(shape, dtype), min=0.1)
    check("clamp", T(shape, dtype), max=-0.1)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "shapes", [((), (), ()), ((5,), (5,), (5,)), ((2, 3), (3,), (2, 1)), ((2, 1, 3), (1, 3), ()), ((0,), (1,), (0,))]
)
def test_clamp_tensors(shapes: tuple, dtype: str) -> None:
    # bounds broadcast against input, never beyond it: PyTorch's own backward fails there
    # (an in-place logical_or_ into a smaller mask), where the engine's gives the gradient
    s, lo, hi = shapes
    # min and max drawn independently: sometimes min > max (then max wins and min gets no gradient)
    check("clamp", T(s, dtype), T(lo, dtype, seed=1), T(hi, dtype, seed=2))  # ClampBackward0
    check("clamp", T(s, dtype), min=T(lo, dtype, seed=1))
    check("clamp", T(s, dtype), max=T(hi, dtype, seed=2))
    check("clamp", T(s, dtype), T(lo, dtype, seed=1), T(hi, dtype, seed=2), method=True)


def test_clamp_at_the_bounds() -> None:
    # the bounds pass the whole gradient (subgradient 1), as PyTorch's clamp_backward
    x = [-1.0, 0.0, 0.5, 1.0, 2.0]
    assert grads(lambda t: engine.clamp(t, 0.0, 1.0), x) == [[0.0, 1.0, 1.0, 1.0, 0.0]]
    assert grads(lambda t: engine.clamp(t, min=0.0), x) == [[0.0, 1.0, 1.0, 1.0, 1.0]]
    assert grads(lambda t: engine.clamp(t, max=1.0), x) == [[1.0, 1.0, 1.0, 1.0, 0.0]]
    assert grads(lambda t: engine.clamp(t, 1.0, 0.0), x) == [[0.0, 0.0, 0.0, 0.0, 0.0]]  # min > max
    lo, hi = [0.0, 0.0, 0.5, 1.0, 3.0], [1.0, 0.0, 0.5, 1.0, 2.0]
    for fn_e, fn_t in (
        (lambda t, a, b: engine.clamp(t, a, b), lambda t, a, b: torch.clamp(t, a, b)),
        (lambda t, a, b: engine.clamp(t, min=a) + 0 * b, lambda t, a, b: torch.clamp(t, min=a) + 0 * b),
        (lambda t, a, b: engine.clamp(t, max=b) + 0 * a, lambda t, a, b: torch.clamp(t, max=b) + 0 * a),
    ):
        assert grads(fn_e, x, lo, hi) == torch_grads(fn_t, x, lo, hi)
    check("clamp", T((12,), "float64", "int"), -1, 2)
    check("clamp", T((12,), "float64", "int"), T((12,), "float64", "int", seed=1), T((12,), "float64", "int", seed=2))


def test_clamp_dtypes_and_forms() -> None:
    i = T((5,), "int64", "int")
    b = T((4,), "bool", "bool")
    x = T((5,), "float32")
    expr(lambda m, a: m.clamp(a, 0.5), i)  # int with a float bound: float32
    expr(lambda m, a: m.clamp(a, -1, 2), i)
    expr(lambda m, a: m.clamp(a, 0), b)  # bool with an int bound: int64
    expr(lambda m, a: m.clamp(a, 0.5), b)
    expr(lambda m, a: m.clamp(a, m.tensor(False)), b)  # one bool tensor bound: bool
    expr(lambda m, a: m.clamp(a, max=m.tensor([True])), b)
    expr(lambda m, a: m.clamp(a, m.tensor(0.5, dtype=m.float64), 3), i)  # a 0-d tensor beside a number
    expr(lambda m, a: m.clamp(a, 0, m.tensor(0.5, dtype=m.float64)), i)
    expr(lambda m, a: m.clamp(a, m.tensor([0.0], dtype=m.float64)), x)  # a dimensioned bound promotes
    expr(lambda m, a: m.clamp(a, m.tensor(0, dtype=m.int64)), x)
    expr(lambda m, a: m.clamp(a, m.tensor(-0.5, dtype=m.float64), 0.5), x)
    expr(lambda m, a: m.clamp(a, float("nan")), x)
    expr(lambda m, a: m.clamp(a, 2, 1), x)
    expr(lambda m, a: m.clamp(m.zeros(3), a), T((2, 1)))  # broadcasting against the bound
    expr(lambda m, a: a.clip(min=-0.2), x)


def test_clamp_errors() -> None:
    b = T((4,), "bool", "bool")
    x = T((5,), "float32")
    expr(lambda m, a: m.clamp(a), x)
    expr(lambda m, a: m.clamp(a, None, None), x)
    expr(lambda m, a: m.clamp(a, False, True), b)
    expr(lambda m, a: m.clamp(a, min=True), b)
    expr(lambda m, a: m.clamp(a, max=True), b)
    expr(lambda m, a: m.clamp(a, m.tensor([False]), m.tensor([True])), b)
    expr(lambda m, a: m.clamp(a, 0, m.tensor([1.0, 2.0, 3.0, 4.0, 5.0])), x)  # number beside a 1-d tensor
    expr(lambda m, a: m.clamp(a, 0, m.tensor(1.0, requires_grad=True)), x)  # beside a tensor needing grad


# -- errors -----------------------------------------------------------------------------------

def test_errors() -> None:
    b = engine.tensor([True, False]), torch.tensor([True, False])
    for name in ("abs", "relu", "floor", "ceil", "trunc", "round"):
        same_error(lambda n=name: getattr(engine, n)(b[0]), lambda n=name: getattr(torch, n)(b[1]))
    same_error(lambda: abs(b[0]), lambda: abs(b[1]))
    same_error(lambda: engine.round(engine.tensor([1, 2]), decimals=2),
               lambda: torch.round(torch.tensor([1, 2]), decimals=2))


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_tanh_derivative_rounds_as_pytorchs_kernel(dtype: str) -> None:
    """PyTorch computes 1 - y*y with one rounding (a fused multiply-add): given the same output and
    gradient, the engine's derivative is the same bits (it used to round y*y first: 1e-4 off near |y| = 1)."""
    from engine.ops.registry import REGISTRY, call

    rng = np.random.default_rng(0)
    y = np.tanh(rng.uniform(-6, 6, 2000)).astype(dtype)
    g = rng.standard_normal(2000).astype(dtype)
    mine = call(REGISTRY["_tanh_backward"], (engine.tensor(g), engine.tensor(y)), {}).numpy()
    theirs = torch.ops.aten.tanh_backward(torch.tensor(g), torch.tensor(y)).numpy()
    np.testing.assert_array_equal(mine, theirs)


def test_clamp_without_bounds_is_a_runtime_error() -> None:
    """PyTorch raises RuntimeError here (the engine's error is also an ArgumentError, for the service)."""
    with pytest.raises(RuntimeError, match="torch.clamp: At least one of 'min' or 'max' must not be None"):
        engine.clamp(engine.ones(2))
    with pytest.raises(RuntimeError, match="At least one of"):
        torch.clamp(torch.ones(2))
