"""Products with a broadcast operand (a zero stride in the last two dims) are computed as a
reduction or one matrix-vector product (``engine/ops/linalg.py``, ``_broadcast_product``):
their numbers against PyTorch's full products, the cases where that shortcut must not be
taken (non-finite terms, overflowing sums), the sign of zero, and the gradients of
``(a @ w).sum()`` / ``.mean()``, whose broadcast gradient is what takes it in practice."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

import engine
from engine.ops.linalg import _broadcast_product

# (shape of a, shape of b, which operand is expanded, from what shape): each of the four
# structures, batched with a broadcast batch dim, and an operand alike along both dims
CASES = [
    ((5, 7), (7, 6), "b", (1, 6)),  # every row of b alike
    ((5, 7), (7, 6), "b", (7, 1)),  # every column of b alike
    ((5, 7), (7, 6), "a", (5, 1)),  # every column of a alike
    ((5, 7), (7, 6), "a", (1, 7)),  # every row of a alike
    ((5, 7), (7, 6), "b", (1, 1)),
    ((5, 7), (7, 6), "a", ()),
    ((3, 5, 7), (7, 6), "b", (1, 6)),
    ((2, 5, 7), (1, 7, 6), "a", (2, 5, 1)),
    ((4, 1, 5, 7), (3, 7, 6), "a", (1, 7)),
    ((5, 7), (2, 7, 6), "b", (2, 7, 1)),
]


def _operands(case: tuple, dtype: torch.dtype, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    sa, sb, which, small = case
    gen = torch.Generator().manual_seed(seed)
    full = sa if which == "a" else sb
    a, b = torch.randn(sa, generator=gen, dtype=dtype), torch.randn(sb, generator=gen, dtype=dtype)
    expanded = torch.randn(small, generator=gen, dtype=dtype).expand(full)
    return (expanded, b) if which == "a" else (a, expanded)


def _engine(t: torch.Tensor) -> engine.Tensor:
    """The same values with the same zero strides (expand of the engine's own tensor)."""
    if 0 in t.stride() and t.numel() > 1:
        base = t[tuple(slice(0, 1) if s == 0 else slice(None) for s in t.stride())].contiguous()
        return engine.tensor(base.numpy()).expand(*t.shape)
    return engine.tensor(t.numpy())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_the_full_product(case: tuple, dtype: torch.dtype) -> None:
    ta, tb = _operands(case, dtype)
    ea, eb = _engine(ta), _engine(tb)
    assert 0 in (ea if case[2] == "a" else eb).numpy().strides  # the shortcut's input, really
    assert _broadcast_product(np, ea.numpy(), eb.numpy()) is not None  # ... and it is taken
    out, expected = ea @ eb, ta @ tb
    assert tuple(out.shape) == tuple(expected.shape) and out.dtype.is_floating_point
    rtol = 1e-5 if dtype is torch.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=rtol, atol=rtol)
    out.add_(1)  # a tensor of its own: writable, not a view of the operands
    np.testing.assert_allclose(out.numpy(), expected.numpy() + 1, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("poison", [float("inf"), float("-inf"), float("nan")])
@pytest.mark.parametrize("case", CASES[:4], ids=str)
def test_non_finite_terms_give_the_full_products_nans(case: tuple, poison: float) -> None:
    """inf * 0 terms make NaN in a full product but not in (sum) * 0: not taken there."""
    ta, tb = _operands(case, torch.float32)
    ta, tb = ta.contiguous(), tb.contiguous()
    ta[0, 0] = poison  # one non-finite term, and zeros against it
    tb[0] = 0
    tb[:, 0] = 0
    if case[2] == "a":  # put the structure back: the expanded operand is rebuilt from one row/column
        ta = (ta[:1] if case[3][0] == 1 else ta[:, :1]).expand(ta.shape)
    else:
        tb = (tb[:1] if case[3][0] == 1 else tb[:, :1]).expand(tb.shape)
    out, expected = _engine(ta) @ _engine(tb), ta @ tb
    np.testing.assert_array_equal(np.isnan(out.numpy()), torch.isnan(expected).numpy())
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_an_overflowing_sum_times_zero_is_zero() -> None:
    big = torch.full((4, 3), 3e38)  # each row sums past float32's range; every term is 0
    zero = torch.zeros(1, 5).expand(3, 5)
    out = _engine(big) @ _engine(zero)
    np.testing.assert_array_equal(out.numpy(), (big @ zero).numpy())
    with np.errstate(over="ignore"):  # (the engine's ops run quiet, as PyTorch's)
        assert _broadcast_product(np, big.numpy(), np.broadcast_to(np.float32(0), (3, 5))) is None


def test_zero_results_are_positive_zeros() -> None:
    """BLAS sums products from +0; a (negative sum) * 0 would be -0 and print as such."""
    a = -torch.rand(4, 3) - 1
    zero = torch.zeros(()).expand(3, 5)
    out = _engine(a) @ _engine(zero)
    assert not np.signbit(out.numpy()).any()
    assert str(out) == str(a @ zero)


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.bool_])
def test_other_dtypes_take_the_full_product(dtype: type) -> None:
    ones = np.broadcast_to(np.ones((), dtype), (3, 4))
    assert _broadcast_product(np, np.ones((2, 3), dtype), ones) is None


@pytest.mark.parametrize("reduce", [lambda t: t.sum(), lambda t: t.mean(), lambda t: 3 * t.sum()],
                         ids=["sum", "mean", "scaled-sum"])
@pytest.mark.parametrize("shapes", [((300, 200), (200, 150)), ((4, 90, 60), (60, 70))], ids=str)
def test_gradients_through_a_reduced_product(shapes: tuple, reduce: Callable) -> None:
    """Large enough that the sum's gradient is a broadcast view, as in a real request."""
    gen = torch.Generator().manual_seed(1)
    ta = torch.randn(shapes[0], generator=gen, requires_grad=True)
    tw = torch.randn(shapes[1], generator=gen, requires_grad=True)
    ea = engine.tensor(ta.detach().numpy(), requires_grad=True)
    ew = engine.tensor(tw.detach().numpy(), requires_grad=True)
    reduce(ta @ tw).backward()
    reduce(ea @ ew).backward()
    for e, t in ((ea, ta), (ew, tw)):
        assert t.grad is not None and e.grad is not None
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-4)
        e.grad.add_(1)  # .grad is a tensor of its own
