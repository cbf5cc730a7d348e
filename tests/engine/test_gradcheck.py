"""``gradcheck`` / ``gradgradcheck`` / ``gradient_report``: catalogue ops pass, broken derivatives fail.

The broken ops are registered for this module only (names starting ``_test_``) and
removed from the registry on teardown, so the op catalogue (``/v1/ops``) never sees them.
"""

from __future__ import annotations

import json
import warnings
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine.autograd import gradcheck, gradgradcheck
from engine.autograd.gradcheck import GradcheckError, gradient_report
from engine.ops._helpers import promote_float, same_shape
from engine.ops.registry import REGISTRY, Op, call, register

F = engine.nn.functional


def T(*shape: int, domain: str = "real", seed: int = 0) -> engine.Tensor:  # noqa: N802 - a spec, as oracle.T
    """A float64 input requiring grad, in a domain where the op is smooth."""
    rng = np.random.default_rng(zlib.crc32(repr((shape, domain, seed)).encode()))
    if domain == "positive":
        a = rng.uniform(0.5, 2.0, shape)
    elif domain == "unit":
        a = rng.uniform(-0.8, 0.8, shape)
    elif domain == "prob":
        a = rng.uniform(0.1, 0.9, shape)
    elif domain == "nonzero":
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    elif domain == "distinct":  # well-separated values: no ties for max / sort-like ops
        a = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 1.0 + rng.uniform(-0.05, 0.05, shape)
    else:
        a = rng.standard_normal(shape)
    return engine.tensor(a, dtype=engine.float64, requires_grad=True)


def C(a: Any, dtype: Any = None) -> engine.Tensor:  # noqa: N802 - a constant
    return engine.tensor(a, dtype=dtype)


# (name, function, inputs): one line per op, float64 inputs where the op is differentiable
OPS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("exp", engine.exp, (T(2, 3),)),
    ("exp2", engine.exp2, (T(4),)),
    ("expm1", engine.expm1, (T(4),)),
    ("log", engine.log, (T(2, 3, domain="positive"),)),
    ("log2", engine.log2, (T(3, domain="positive"),)),
    ("log10", engine.log10, (T(3, domain="positive"),)),
    ("log1p", engine.log1p, (T(3, domain="positive"),)),
    ("sqrt", engine.sqrt, (T(3, domain="positive"),)),
    ("rsqrt", engine.rsqrt, (T(3, domain="positive"),)),
    ("reciprocal", engine.reciprocal, (T(3, domain="nonzero"),)),
    ("sin", engine.sin, (T(2, 2),)),
    ("cos", engine.cos, (T(2, 2),)),
    ("tan", engine.tan, (T(3, domain="unit"),)),
    ("asin", engine.asin, (T(3, domain="unit"),)),
    ("acos", engine.acos, (T(3, domain="unit"),)),
    ("atan", engine.atan, (T(3),)),
    ("sinh", engine.sinh, (T(3),)),
    ("cosh", engine.cosh, (T(3),)),
    ("tanh", engine.tanh, (T(2, 3),)),
    ("sigmoid", engine.sigmoid, (T(2, 3),)),
    ("abs", engine.abs, (T(4, domain="nonzero"),)),
    ("neg", engine.neg, (T(3),)),
    ("square", engine.square, (T(3),)),
    ("relu", F.relu, (T(5, domain="nonzero"),)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), (T(5, domain="nonzero"),)),
    ("elu", F.elu, (T(5, domain="nonzero"),)),
    ("gelu", F.gelu, (T(5),)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), (T(5),)),
    ("silu", F.silu, (T(5),)),
    ("softplus", F.softplus, (T(5),)),
    ("clamp", lambda x: engine.clamp(x, -0.5, 0.5), (T(6, domain="distinct"),)),
    ("add", engine.add, (T(2, 3), T(3, seed=1))),
    ("sub", engine.sub, (T(2, 1), T(1, 3, seed=1))),
    ("mul", engine.mul, (T(2, 3), T(2, 3, seed=1))),
    ("div", engine.div, (T(2, 3), T(3, domain="nonzero", seed=1))),
    ("pow", engine.pow, (T(3, domain="positive"), T(3, seed=1))),
    ("pow_scalar", lambda x: x**2.5, (T(3, domain="positive"),)),
    ("atan2", engine.atan2, (T(3, domain="nonzero"), T(3, domain="nonzero", seed=1))),
    ("maximum", engine.maximum, (T(4, domain="distinct"), T(4, domain="distinct", seed=1))),
    ("where", lambda x, y: engine.where(C([True, False, True]), x, y), (T(3), T(3, seed=1))),
    ("matmul", engine.matmul, (T(2, 3), T(3, 2, seed=1))),
    ("matmul_batched", engine.matmul, (T(2, 2, 3), T(3, 2, seed=1))),
    ("mm", engine.mm, (T(2, 3), T(3, 2, seed=1))),
    ("bmm", engine.bmm, (T(2, 2, 3), T(2, 3, 2, seed=1))),
    ("mv", engine.mv, (T(2, 3), T(3, seed=1))),
    ("dot", engine.dot, (T(3), T(3, seed=1))),
    ("outer", engine.outer, (T(2), T(3, seed=1))),
    ("einsum", lambda a, b: engine.einsum("ij,jk->ik", a, b), (T(2, 3), T(3, 2, seed=1))),
    ("linear", F.linear, (T(2, 3), T(4, 3, seed=1), T(4, seed=2))),
    ("trace", engine.trace, (T(3, 3),)),
    ("sum", lambda x: engine.sum(x, 1), (T(2, 3),)),
    ("mean", lambda x: engine.mean(x, 0, keepdim=True), (T(2, 3),)),
    ("prod", lambda x: engine.prod(x, 1), (T(2, 3, domain="nonzero"),)),
    ("cumsum", lambda x: engine.cumsum(x, 1), (T(2, 3),)),
    ("var", lambda x: engine.var(x, 1), (T(2, 4),)),
    ("std", engine.std, (T(5),)),
    ("norm", engine.norm, (T(2, 3),)),
    ("norm_p1", lambda x: engine.norm(x, p=1, dim=1), (T(2, 3, domain="nonzero"),)),
    ("amax", lambda x: engine.amax(x, 1), (T(2, 3, domain="distinct"),)),
    ("logsumexp", lambda x: engine.logsumexp(x, 1), (T(2, 3),)),
    ("softmax", lambda x: F.softmax(x, dim=-1), (T(2, 3),)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=0), (T(2, 3),)),
    ("cross_entropy", lambda x: F.cross_entropy(x, C([1, 0, 3])), (T(3, 4),)),
    ("nll_loss", lambda x: F.nll_loss(x, C([2, 0])), (T(2, 3),)),
    ("mse_loss", F.mse_loss, (T(2, 3), T(2, 3, seed=1))),
    ("l1_loss", F.l1_loss, (T(2, 3), T(2, 3, seed=1))),
    ("binary_cross_entropy", F.binary_cross_entropy, (T(4, domain="prob"), T(4, domain="prob", seed=1))),
    ("reshape", lambda x: x.reshape(3, 2), (T(2, 3),)),
    ("transpose", lambda x: x.transpose(0, 1), (T(2, 3),)),
    ("permute", lambda x: x.permute(2, 0, 1), (T(2, 3, 2),)),
    ("flatten", lambda x: x.flatten(), (T(2, 3),)),
    ("squeeze_unsqueeze", lambda x: x.unsqueeze(0).squeeze(1), (T(1, 3),)),
    ("expand", lambda x: x.expand(3, 2), (T(1, 2),)),
    ("repeat", lambda x: x.repeat(2, 1), (T(2, 2),)),
    ("flip", lambda x: engine.flip(x, (0,)), (T(3, 2),)),
    ("narrow", lambda x: x.narrow(1, 1, 2), (T(2, 3),)),
    ("index", lambda x: x[1:, ::2], (T(3, 3),)),
    ("cat", lambda x, y: engine.cat([x, y], dim=0), (T(2, 2), T(1, 2, seed=1))),
    ("stack", lambda x, y: engine.stack([x, y], dim=1), (T(2, 2), T(2, 2, seed=1))),
    ("multi_output", lambda x, y: (x * y, (x.exp() + y).sum()), (T(3), T(3, seed=1))),
    ("zero_d", lambda x: x.sin() * x, (T(),)),
]

# second derivatives, where PyTorch has them
GRADGRAD = ["exp", "log", "sqrt", "tanh", "sigmoid", "div", "pow", "matmul", "softmax", "log_softmax",
            "logsumexp", "cross_entropy", "norm", "var", "prod", "gelu", "softplus", "atan2", "multi_output"]
BY_NAME = {name: (fn, ins) for name, fn, ins in OPS}


@pytest.mark.parametrize("name", [o[0] for o in OPS])
def test_gradcheck_passes(name: str) -> None:
    fn, ins = BY_NAME[name]
    assert gradcheck(fn, ins)


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck_passes(name: str) -> None:
    fn, ins = BY_NAME[name]
    assert gradgradcheck(fn, ins)


@pytest.mark.parametrize("name", ["exp", "matmul", "softmax", "cross_entropy", "multi_output"])
def test_fast_mode_passes(name: str) -> None:
    fn, ins = BY_NAME[name]
    assert gradcheck(fn, ins, fast_mode=True)
    assert gradgradcheck(fn, ins, fast_mode=True)


@pytest.mark.parametrize("name", ["exp", "div", "cross_entropy", "multi_output", "zero_d"])
def test_gradient_report_passes(name: str) -> None:
    fn, ins = BY_NAME[name]
    for order in (1, 2):
        report = gradient_report(fn, ins, order=order)
        assert report["passed"] is True and report["order"] == order
        assert [r["index"] for r in report["inputs"]] == list(range(len(ins)))
        for r in report["inputs"]:
            assert r["passed"] is True
            assert type(r["max_abs_error"]) is float and r["max_abs_error"] < 1e-6
            assert type(r["max_rel_error"]) is float
        json.dumps(report, allow_nan=False)  # plain data


# -- broken derivatives -----------------------------------------------------------------------


def _bad_exp_vjp(g: Any, out: Any, x: Any) -> Any:
    return g * out * 1.1  # 10% off


def _exp_forward(xp: Any, input: Any) -> Any:
    return xp.exp(input)


def _cos_forward(xp: Any, input: Any) -> Any:
    return xp.cos(input)


def _sin_forward(xp: Any, input: Any) -> Any:
    return xp.sin(input)


@pytest.fixture
def broken_ops() -> Iterator[dict[str, Op]]:
    """Test-only ops with wrong derivatives, removed from the registry afterwards."""
    bad_cos = Op(  # right value, wrong derivative (+sin instead of -sin)
        name="_test_bad_cos", forward=_cos_forward, shape=same_shape, dtype=promote_float,
        vjp=(lambda g, out, x: g * engine.sin(x),), grad_fn="CosBackward0", doc="test only: cos, d/dx wrong",
    )
    bad_exp = Op(
        name="_test_bad_exp", forward=_exp_forward, shape=same_shape, dtype=promote_float,
        vjp=(_bad_exp_vjp,), saves="output", grad_fn="ExpBackward0", doc="test only: exp, derivative 10% off",
    )
    bad_sin2 = Op(  # first derivative right (cos), second wrong (through _test_bad_cos)
        name="_test_bad_sin2", forward=_sin_forward, shape=same_shape, dtype=promote_float,
        vjp=(lambda g, out, x: g * call(bad_cos, (x,), {}),), grad_fn="SinBackward0",
        doc="test only: sin, second derivative wrong",
    )
    ops = {op.name: op for op in (bad_cos, bad_exp, bad_sin2)}
    for op in ops.values():
        register(op)
    try:
        yield ops
    finally:
        for name in ops:
            REGISTRY.pop(name, None)
        assert not any(name.startswith("_test_") for name in REGISTRY)


def test_gradcheck_fails_for_a_wrong_derivative(broken_ops: dict[str, Op]) -> None:
    x = T(3)
    before = x.detach().numpy().copy()
    f = lambda a: call(broken_ops["_test_bad_exp"], (a,), {})  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (x,))
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor([[")
    assert "\nanalytical:tensor([[" in msg and msg.endswith("dtype=torch.float64)\n")
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(f, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="computed \nin fast mode"):
        gradcheck(f, (x,), fast_mode=True)
    assert x.grad is None and x.is_leaf  # the inputs are left as they were
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_gradcheck_message_is_pytorchs(broken_ops: dict[str, Op]) -> None:
    """The same broken derivative in PyTorch (a custom Function) fails with the same text."""

    class BadExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
            (out,) = ctx.saved_tensors
            return g * out * 1.1

    a = np.array([[0.25, -0.5], [1.0, 0.125]])
    with pytest.raises(GradcheckError) as e_info:
        gradcheck(lambda x: call(broken_ops["_test_bad_exp"], (x,), {}),
                  engine.tensor(a, dtype=engine.float64, requires_grad=True))
    with pytest.raises(RuntimeError) as t_info:
        torch.autograd.gradcheck(BadExp.apply, torch.tensor(a, dtype=torch.float64, requires_grad=True))
    assert str(e_info.value) == str(t_info.value)


def test_gradient_report_flags_a_wrong_derivative(broken_ops: dict[str, Op]) -> None:
    x, y = T(3), T(3, seed=1)
    f = lambda a, b: call(broken_ops["_test_bad_exp"], (a,), {}) * b.sin()  # noqa: E731
    report = gradient_report(f, (x, y))
    assert report["passed"] is False
    bad, good = report["inputs"]
    assert bad["index"] == 0 and bad["passed"] is False
    assert 0.09 < bad["max_rel_error"] < 0.11  # derivative 10% off
    assert good["index"] == 1 and good["passed"] is True and good["max_abs_error"] < 1e-6
    json.dumps(report, allow_nan=False)


def test_second_derivative_errors_are_caught_only_at_second_order(broken_ops: dict[str, Op]) -> None:
    x = T(4)
    f = lambda a: call(broken_ops["_test_bad_sin2"], (a,), {})  # noqa: E731
    assert gradcheck(f, x)
    assert gradient_report(f, x)["passed"] is True
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0,"):
        gradgradcheck(f, x)
    assert gradgradcheck(f, x, raise_exception=False) is False
    report = gradient_report(f, x, order=2)
    assert report["passed"] is False and report["inputs"][0]["passed"] is False


def test_registry_is_clean_outside_the_fixture() -> None:
    assert not any(name.startswith("_test_") for name in REGISTRY)


# -- PyTorch's other outcomes -------------------------------------------------------------------


def test_no_differentiable_output() -> None:
    x = T(3, domain="nonzero")
    assert gradcheck(lambda a: (a > 0).to(engine.float64), x)
    with pytest.raises(GradcheckError, match="^Numerical gradient for function expected to be zero$"):
        gradcheck(lambda a: a.detach() * 2, x)


def test_no_input_requiring_grad() -> None:
    msg = ("gradcheck expects at least one input tensor to require gradient, but none of them have "
           "requires_grad=True.")
    with pytest.raises(ValueError) as info:
        gradcheck(lambda a: a * 2, engine.ones(3, dtype=engine.float64))
    assert str(info.value) == msg
    with pytest.raises(ValueError):
        gradient_report(lambda a: a * 2, engine.ones(3, dtype=engine.float64))


def test_float32_input_warns_as_pytorch() -> None:
    x = engine.tensor([0.5, 1.5], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert gradcheck(lambda a: a * 2, x, eps=1e-3, atol=1e-2)
    assert [str(w.message) for w in caught] == [
        "Input #0 requires gradient and is not a double precision floating point or complex. This check will "
        "likely fail if all the inputs are not of double precision floating point or complex. "
    ]


def test_non_tensor_inputs_pass_through() -> None:
    assert gradcheck(lambda a, k: a * k, (T(3), 2.5))
    report = gradient_report(lambda a, k, b: a * k + b, (T(3), 2.5, T(3, seed=1)))
    assert [r["index"] for r in report["inputs"]] == [0, 2]


def test_unsupported_modes() -> None:
    with pytest.raises(NotImplementedError):
        gradcheck(engine.exp, T(2), check_forward_ad=True)
    with pytest.raises(NotImplementedError):
        gradcheck(engine.exp, T(2), check_batched_grad=True)
    with pytest.raises(AssertionError):
        gradcheck(engine.exp, T(2), check_backward_ad=False)
    with pytest.raises(ValueError):
        gradient_report(engine.exp, T(2), order=3)
