"""A first derivative taken with ``create_graph=True`` is connected to the graph as PyTorch's is.

PyTorch writes the derivatives of piecewise ops as ops of their own (``threshold_backward``,
``leaky_relu_backward``, ``nll_loss_backward``) whose own derivative is zero: the first
derivative then requires grad even where its value does not depend on the input, and a second
derivative is zeros rather than "element 0 of tensors does not require grad". Checked against
PyTorch: whether the first derivative requires grad, its ``grad_fn`` name, and the second
derivative (or PyTorch's error, word for word).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import engine

CASES: dict[str, Callable[[Any, Any], Any]] = {
    "relu": lambda m, x: m.relu(x).sum(),
    "relu_squared": lambda m, x: (m.relu(x) ** 2).sum(),
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x, 0.1).sum(),
    "leaky_relu_squared": lambda m, x: (m.nn.functional.leaky_relu(x, 0.1) ** 2).sum(),
    "elu": lambda m, x: m.nn.functional.elu(x).sum(),
    "abs": lambda m, x: x.abs().sum(),
    "clamp": lambda m, x: x.clamp(-0.5, 0.5).sum(),
    "sign": lambda m, x: (x.sign() * x).sum(),
    "maximum": lambda m, x: m.maximum(x, m.zeros_like(x)).sum(),
    "nll_loss": lambda m, x: m.nn.functional.nll_loss(x.reshape(2, 3), m.tensor([0, 2])),
    "nll_loss_sum_weighted": lambda m, x: m.nn.functional.nll_loss(
        x.reshape(2, 3), m.tensor([1, -100]), weight=m.tensor([1.0, 2.0, 3.0], dtype=m.float64), reduction="sum"),
    "nll_loss_none": lambda m, x: (
        m.nn.functional.nll_loss(x.reshape(2, 3), m.tensor([0, 1]), reduction="none") ** 2).sum(),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(x.reshape(2, 3), m.tensor([0, 2])),
    "softplus": lambda m, x: m.nn.functional.softplus(x).sum(),
    "softplus_at_threshold": lambda m, x: m.nn.functional.softplus(x, beta=2, threshold=3).sum(),  # 2 * 1.5 = 3
    "elu_squared": lambda m, x: (m.nn.functional.elu(x, 0.5) ** 2).sum(),
}
VALUES = [1.5, -2.0, 0.0, 0.25, -0.75, 3.0]


def _second(lib: Any, case: str) -> tuple[Any, ...]:
    x = lib.tensor(VALUES, dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(CASES[case](lib, x), x, create_graph=True)
    name = g.grad_fn.name() if g.grad_fn is not None else None
    weights = lib.tensor([1.0, -2.0, 0.5, 3.0, 1.0, -1.0], dtype=lib.float64)
    try:
        (h,) = lib.autograd.grad((g * weights).sum(), x, allow_unused=True)
        second: Any = None if h is None else h.detach().numpy(force=True)  # (PyTorch's ZeroTensor)
    except RuntimeError as exc:
        second = str(exc)
    return g.requires_grad, name, g.detach().numpy(), second


@pytest.mark.parametrize("case", sorted(CASES))
def test_first_derivative_is_differentiable_again_as_pytorchs(case: str) -> None:
    rg, name, first, second = _second(engine, case)
    t_rg, t_name, t_first, t_second = _second(torch, case)
    assert (rg, name) == (t_rg, t_name)
    np.testing.assert_allclose(first, t_first, rtol=1e-12)
    if isinstance(t_second, np.ndarray):
        assert isinstance(second, np.ndarray), second
        np.testing.assert_allclose(second, t_second, rtol=1e-10, atol=1e-12)
    else:
        assert second == t_second


@pytest.mark.parametrize("weight", [[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
@pytest.mark.parametrize("target", [[0], [-100], [1]])
@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_mean_over_a_zero_total_weight_is_nan_where_pytorchs_is(loss: str, target: list[int],
                                                                 weight: list[float]) -> None:
    """'mean' divides by the total weight of the targets that count: 0 gives PyTorch's NaNs (none when all
    are ignored)."""
    grads = []
    for lib in (torch, engine):
        x = lib.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
        fn = getattr(lib.nn.functional, loss)
        (g,) = lib.autograd.grad(fn(x, lib.tensor(target), weight=lib.tensor(weight)), x)
        grads.append(g.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("probs", "targets"), [
    ([1 - 1e-13, 0.3], [0.3, 0.5]),  # past the gradient's clamp of x * (1 - x)
    ([0.999999, 0.2], [0.2, 0.7]),  # PyTorch's second derivative adds its eps: 2e-6 from the exact one here
    ([0.5, 0.25, 0.9], [0.1, 0.8, 1.0]),
])
def test_binary_cross_entropy_second_derivatives_are_pytorchs(probs: list[float], targets: list[float],
                                                               weighted: bool, reduction: str) -> None:
    outs = []
    for lib in (torch, engine):
        x = lib.tensor(probs, dtype=lib.float64, requires_grad=True)
        t = lib.tensor(targets, dtype=lib.float64, requires_grad=True)
        w = lib.tensor([2.0] * len(probs), dtype=lib.float64) if weighted else None
        loss = lib.nn.functional.binary_cross_entropy(x, t, weight=w, reduction=reduction)
        gx, gt = lib.autograd.grad(loss.sum(), (x, t), create_graph=True)
        v = lib.tensor(np.linspace(0.5, 1.5, len(probs)), dtype=lib.float64)
        hx, ht = lib.autograd.grad((gx * v).sum() + 0.3 * (gt * v).sum(), (x, t))
        outs.append((gx.grad_fn.name(), gx.detach().numpy(), hx.numpy(), ht.numpy()))
    assert outs[1][0] == outs[0][0]
    for mine, theirs in zip(outs[1][1:], outs[0][1:], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
