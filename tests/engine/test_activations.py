"""Activations against PyTorch: softmax, log_softmax, softplus, leaky_relu, elu, silu, gelu.

Values, dtypes, grad_fn names, first and second derivatives (``check``), the kinks
pinned on exact zeros, ``torch.nn.functional``'s implicit softmax dim, and error words.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import engine
import engine.nn.functional as EF

from .oracle import FLOATS, UNARY_SHAPES, T, assert_same_kind, check, run_snippet


@dataclass(frozen=True)
class V(T):
    """A tensor spec with fixed values (to hit kinks and thresholds exactly)."""

    values: tuple[float, ...] = ()

    def array(self, salt: int) -> np.ndarray:
        return np.asarray(self.values, dtype=self.dtype).reshape(self.shape)


def same_error(engine_call: Any, torch_call: Any, kind: type = Exception) -> None:
    """Both calls raise, with the same message; the engine's error is a ``kind``."""
    with pytest.raises(Exception) as t_exc:  # noqa: B017 - compared below
        torch_call()
    with pytest.raises(kind) as e_exc:
        engine_call()
    assert str(e_exc.value) == str(t_exc.value)
    assert_same_kind(e_exc.value, t_exc.value)


SOFTMAX_CASES = [
    ((), 0), ((), -1), ((1,), 0), ((5,), 0), ((5,), -1), ((0,), 0),
    ((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((2, 1, 3), 1), ((2, 1, 3), 2), ((2, 0, 3), 2), ((2, 0, 3), 1),
    ((2, 3, 4), 0),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim"), SOFTMAX_CASES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(name: str, shape: tuple, dim: int, dtype: str) -> None:
    check(name, T(shape, dtype), dim)


def pair_check(e_fn: Any, t_fn: Any, *arrays: np.ndarray, tol: float = 1e-6) -> None:
    """``e_fn(*engine tensors)`` against ``t_fn(*torch tensors)``: value, dtype, grad_fn, 1st and 2nd derivatives."""
    e_in = [engine.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e, t = e_fn(*e_in), t_fn(*t_in)
    assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
    assert e.grad_fn.name() == t.grad_fn.name()
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    v = np.random.default_rng(5).standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
    e_g = engine.autograd.grad(e, e_in, engine.tensor(v), create_graph=True)
    t_g = torch.autograd.grad(t, t_in, torch.tensor(v), create_graph=True)
    for eg, tg in zip(e_g, t_g, strict=True):
        assert str(eg.dtype) == str(tg.dtype)
        np.testing.assert_allclose(eg.detach().numpy(), tg.detach().numpy(), rtol=tol, atol=tol)
    e_s = sum((g * g).sum() for g in e_g)
    t_s = sum((g * g).sum() for g in t_g)
    for eg, tg in zip(engine.autograd.grad(e_s, e_in), torch.autograd.grad(t_s, t_in), strict=True):
        np.testing.assert_allclose(eg.numpy(), tg.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_argument(name: str) -> None:
    x = np.random.default_rng(4).standard_normal((2, 3))
    pair_check(lambda a: getattr(engine, name)(a, 1, dtype=engine.float64),
               lambda a: getattr(torch, name)(a, 1, dtype=torch.float64), x.astype(np.float32))
    pair_check(lambda a: getattr(engine, name)(a, 0, dtype=engine.float32),
               lambda a: getattr(torch, name)(a, 0, dtype=torch.float32), x)


def test_softmax_dtype_argument_torch_spelling() -> None:
    # torch.softmax(x, dim, dtype) also takes dtype positionally; the engine's dtype is engine's
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    e = engine.softmax(engine.tensor(x), 1, engine.float64)
    t = torch.softmax(torch.tensor(x), 1, torch.float64)
    assert e.dtype is engine.float64
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    # integer input with a floating dtype: cast first, as PyTorch
    xi = np.array([[1, -2, 0]])
    np.testing.assert_allclose(
        engine.softmax(engine.tensor(xi), 1, dtype=engine.float64).numpy(),
        torch.softmax(torch.tensor(xi), 1, dtype=torch.float64).numpy(),
    )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_method(name: str) -> None:
    check(name, T((2, 3), "float64"), 1, method=True)
    check(name, T((3,), "float32"), -1, method=True)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_functional_implicit_dim(name: str, shape: tuple) -> None:
    x = np.random.default_rng(1).standard_normal(shape)
    et = engine.tensor(x, requires_grad=True)
    tt = torch.tensor(x, requires_grad=True)
    with pytest.warns(UserWarning) as e_warn:
        e = getattr(EF, name)(et)
    with warnings.catch_warnings(record=True) as t_warn:
        warnings.simplefilter("always")
        t = getattr(TF, name)(tt)
    assert str(e_warn[0].message) == str(t_warn[0].message)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert e.grad_fn.name() == t.grad_fn.name()
    v = np.random.default_rng(2).standard_normal(shape)
    (eg,) = engine.autograd.grad(e, [et], engine.tensor(v))
    (tg,) = torch.autograd.grad(t, [tt], torch.tensor(v))
    np.testing.assert_allclose(eg.numpy(), tg.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_functional_explicit_dim_and_dtype(name: str) -> None:
    x = np.random.default_rng(3).standard_normal((2, 3)).astype(np.float32)
    e = getattr(EF, name)(engine.tensor(x), 0, dtype=engine.float64)
    t = getattr(TF, name)(torch.tensor(x), 0, dtype=torch.float64)
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_softmax_extremes() -> None:
    for values in ([1000.0, 0.0], [-1000.0, 0.0, 1000.0], [float("-inf"), 0.0], [float("-inf"), float("-inf")]):
        for name in ("softmax", "log_softmax"):
            e = getattr(engine, name)(engine.tensor(values), 0)
            t = getattr(torch, name)(torch.tensor(values), 0)
            np.testing.assert_allclose(e.numpy(), t.numpy(), equal_nan=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_errors(name: str) -> None:
    xi = [[1, -2, 0]]
    for dim in (0, 1):
        same_error(lambda d=dim: getattr(engine, name)(engine.tensor(xi), d),
                   lambda d=dim: getattr(torch, name)(torch.tensor(xi), d), RuntimeError)
    same_error(lambda: getattr(engine, name)(engine.tensor([[True]]), 1),
               lambda: getattr(torch, name)(torch.tensor([[True]]), 1), RuntimeError)
    same_error(lambda: getattr(engine, name)(engine.zeros(2, 3), 2),
               lambda: getattr(torch, name)(torch.zeros(2, 3), 2), IndexError)
    same_error(lambda: getattr(engine, name)(engine.zeros(2, 3), 1.0),
               lambda: getattr(torch, name)(torch.zeros(2, 3), 1.0), TypeError)
    same_error(lambda: getattr(engine, name)(engine.zeros(2, 3), None),
               lambda: getattr(torch, name)(torch.zeros(2, 3), None), TypeError)
    # an empty integer tensor is returned as it is, as PyTorch does
    assert getattr(engine, name)(engine.zeros(0, 3, dtype=engine.int64), 1).dtype is engine.int64


# -- elementwise ---------------------------------------------------------------------------

ELEMENTWISE = [
    ("softplus", {}), ("softplus", {"beta": 2.0}), ("softplus", {"beta": 0.5, "threshold": 1.0}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("leaky_relu", {"negative_slope": -0.5}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("silu", {}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("gelu", {"approximate": "none"}),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [*UNARY_SHAPES, (2, 0, 3)])
@pytest.mark.parametrize(("name", "kwargs"), ELEMENTWISE)
def test_elementwise(name: str, kwargs: dict, shape: tuple, dtype: str) -> None:
    check(name, T(shape, dtype), **kwargs)


def test_positional_params() -> None:
    check("softplus", T((5,), "float64"), 2, 10)  # PyTorch's defaults are the ints 1 and 20
    check("leaky_relu", T((5,), "float64"), 0.3)
    check("elu", T((5,), "float64"), 2.0)


KINKS = (-2.0, -0.5, 0.0, 0.0, 0.5, 2.0)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "kwargs"), [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("elu", {}), ("elu", {"alpha": 0.7}),
    ("silu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("softplus", {}),
])
def test_kinks_at_zero(name: str, kwargs: dict, dtype: str) -> None:
    check(name, V((len(KINKS),), dtype, values=KINKS), **kwargs)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softplus_threshold_region(dtype: str) -> None:
    # beta * x on both sides of the threshold, and far past it
    values = (-30.0, -3.0, 0.0, 4.9, 5.1, 9.0, 11.0, 50.0)
    check("softplus", V((len(values),), dtype, values=values), beta=2.0, threshold=10.0)
    check("softplus", V((len(values),), dtype, values=values), beta=0.5, threshold=2.0)
    check("softplus", V((len(values),), dtype, values=values))


def test_softplus_large_and_negative_beta() -> None:
    values = (-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0)
    check("softplus", V((len(values),), "float64", values=values), beta=-1.0)
    check("softplus", V((len(values),), "float64", values=values), threshold=1000.0, order=1)


def test_gelu_tails() -> None:
    values = (-12.0, -6.0, -3.0, -1e-3, 1e-3, 3.0, 6.0, 12.0)
    for mode in ("none", "tanh"):
        check("gelu", V((len(values),), "float64", values=values), approximate=mode)
        check("gelu", V((len(values),), "float32", values=values), approximate=mode)


def test_gelu_approximate_is_keyword_only_and_checked() -> None:
    x = [1.0, -1.0]
    same_error(lambda: EF.gelu(engine.tensor(x), approximate="foo"),
               lambda: TF.gelu(torch.tensor(x), approximate="foo"), RuntimeError)
    same_error(lambda: EF.gelu(engine.tensor(x), approximate=None),
               lambda: TF.gelu(torch.tensor(x), approximate=None), TypeError)
    with pytest.raises(TypeError):
        EF.gelu(engine.tensor(x), "tanh")
    with pytest.raises(TypeError):
        TF.gelu(torch.tensor(x), "tanh")


@pytest.mark.parametrize("name", ["softplus", "leaky_relu", "elu", "silu", "gelu"])
def test_elementwise_dtype_errors(name: str) -> None:
    for data in ([[1, -2, 0]], [[True, False]]):
        same_error(lambda d=data: getattr(EF, name)(engine.tensor(d)),
                   lambda d=data: getattr(TF, name)(torch.tensor(d)), RuntimeError)


@pytest.mark.parametrize("name", ["softplus", "leaky_relu", "elu", "silu", "gelu"])
def test_float16(name: str) -> None:
    x = np.array([1.5, -2.0, 0.0, 0.25], dtype=np.float16)
    e = getattr(EF, name)(engine.tensor(x))
    t = getattr(TF, name)(torch.tensor(x))
    assert e.dtype is engine.float16
    np.testing.assert_allclose(e.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=2e-3, atol=1e-3)


def test_namespaces() -> None:
    # softmax/log_softmax are torch.X, Tensor.X and torch.nn.functional.X; the rest only F.X
    for name in ("softmax", "log_softmax"):
        assert callable(getattr(engine, name)) and callable(getattr(EF, name))
        assert hasattr(engine.Tensor, name)
    for name in ("softplus", "leaky_relu", "elu", "silu", "gelu"):
        assert callable(getattr(EF, name))
        assert not hasattr(torch, name) and name not in engine.__dict__


def test_no_grad_and_leaf() -> None:
    x = engine.randn(3, requires_grad=True)
    with engine.no_grad():
        y = EF.gelu(x)
    assert not y.requires_grad and y.grad_fn is None
    y = EF.silu(engine.randn(3))
    assert not y.requires_grad and y.is_leaf


INPLACE_ACTIVATIONS = {
    # F.<op>(x, inplace=True): the result written into x, recorded as PyTorch's in-place variant
    "recorded": "F = torch.nn.functional\n"
                "for fn, kw in [(F.leaky_relu, {'negative_slope': 0.1}), (F.elu, {'alpha': 1.5}), (F.silu, {})]:\n"
                "    x = torch.tensor([-1., 2.], requires_grad=True); y = x * 1\n"
                "    r = fn(y, inplace=True, **kw); print(fn.__name__, r is y, r.grad_fn.name(), r, y._version)\n"
                "    r.sum().backward(); print(x.grad)\n"
                "    w = torch.tensor([-1., 2.]); print(fn(w, inplace=True, **kw) is w, w)",
    "positional": "print(torch.nn.functional.leaky_relu(torch.tensor([-1., 2.]), 0.2, True))",
    "leaf_refused": "torch.nn.functional.elu(torch.ones(2, requires_grad=True), inplace=True)",
    "negative_slope_backward_refused": "x = torch.tensor([-1., 2.], requires_grad=True); y = x * 1\n"
                                      "torch.nn.functional.leaky_relu(y, -0.5, inplace=True).sum().backward()",
    "elu_negative_alpha_backward_refused": "x = torch.tensor([-2., 1.], requires_grad=True); y = x * 1\n"
                                           "torch.nn.functional.elu(y, alpha=-0.5, inplace=True); y.sum().backward()",
    "saved_output_changed": "x = torch.tensor([-1., 2.], requires_grad=True); y = x.exp()\n"
                            "torch.nn.functional.silu(y, inplace=True); y.sum().backward()",
}


@pytest.mark.parametrize("name", sorted(INPLACE_ACTIVATIONS))
def test_inplace_activations_as_pytorch(name: str) -> None:
    assert run_snippet(engine, INPLACE_ACTIVATIONS[name]) == run_snippet(torch, INPLACE_ACTIVATIONS[name])


def test_inplace_elu_is_differentiable_twice() -> None:
    x = engine.tensor([-1.0, 0.5, 2.0], dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(lambda t: EF.elu(t * 1, 1.5, True), (x,))
    assert engine.autograd.gradgradcheck(lambda t: EF.elu(t * 1, 1.5, True), (x,))


def test_gelu_tails_in_float64_as_pytorchs() -> None:
    """erf is exactly -1 far out (as libm's), so gelu is -0 there and NaN at -inf, with PyTorch's tiny gradients;
    in between it agrees to double precision."""
    values = [-float("inf"), -40.0, -20.0, -10.0, -8.0, -5.0, -4.2, -3.0, -2.9, 2.9, 3.0, 4.2, 8.0, float("inf")]
    out = []
    for lib, fn in ((torch, TF.gelu), (engine, EF.gelu)):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        y = fn(x)
        y.sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-13, atol=1e-15, equal_nan=True)  # (1 + erf cancels)
    np.testing.assert_array_equal(np.signbit(out[1][0]), np.signbit(out[0][0]))
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-12, atol=1e-15, equal_nan=True)
