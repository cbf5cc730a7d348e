"""``split``, ``chunk`` and ``unbind`` (functions and methods) against PyTorch: the pieces' shapes, values,
``grad_fn`` names and views, gradients through them (to second order), and PyTorch's words for bad calls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import engine

CALLS = [
    "x.split(2)", "x.split([1, 4])", "lib.split(x, 1, dim=1)", "x.chunk(2)", "x.chunk(3)", "x.chunk(5)", "x.chunk(6)",
    "x.unbind()", "x.unbind(1)", "lib.chunk(x, 2, -1)", "lib.unbind(x, -1)", "x.split((1, 4))", "x.split(7)",
    "lib.split(x, split_size_or_sections=3)", "lib.ones(0, 2).split(2)", "lib.ones(0, 2).chunk(2)",
    "lib.ones(4).split([0, 4])", "lib.ones(0, 3).unbind()", "lib.ones(2, 0).split(0, 1)",
    # refused, in PyTorch's words
    "x.split(0)", "x.split([2, 2])", "x.chunk(0)", "lib.ones(()).split(1)", "lib.ones(()).unbind()",
    "lib.ones(()).chunk(1)", "x.split(2, 2)", "x.split(2.5)", "lib.split(x, 2.5)", "x.split(-1)", "x.split([-1, 6])",
    "x.unbind(2)", "x.chunk(2.0)", "lib.chunk(x, 2.0)", "x.unbind(1.5)", "x.split([1, 2.5, 1.5])",
]


@pytest.mark.parametrize("call", CALLS)
def test_pieces_as_pytorch(call: str) -> None:
    seen = []
    for lib in (torch, engine):
        x = lib.arange(10.0).reshape(5, 2).requires_grad_()
        try:
            pieces = eval(call, {"lib": lib, "x": x})  # noqa: S307
        except (RuntimeError, TypeError, IndexError) as exc:
            seen.append(("raised", str(exc)))
            continue
        seen.append((type(pieces).__name__, [(p.tolist(), p.grad_fn.name() if p.grad_fn else None) for p in pieces]))
    assert seen[1] == seen[0]


def test_pieces_are_views_and_their_gradients_add_up() -> None:
    grads = []
    for lib in (torch, engine):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_()
        y = x * 1
        a, b = y.split([1, 3], dim=1)
        c, d = y.chunk(2)
        rows = y.unbind(0)
        assert a._base is y and rows[2]._base is y
        (a.sum() * 2 + (b * b).sum() + (c * d[:1]).sum() + (rows[1] ** 3).sum()).backward()
        grads.append(x.grad.numpy())
        with lib.no_grad():
            y.add_(1)
        assert a._version == y._version == 1
    np.testing.assert_allclose(grads[1], grads[0])


def test_pieces_are_differentiable_twice() -> None:
    x = engine.tensor(np.random.default_rng(1).uniform(-1, 1, (4, 3)), requires_grad=True)

    def f(t: Any) -> Any:
        a, b = t.split([1, 2], dim=1)
        c, d = t.chunk(2)
        return (a * b).sum() + (c.exp() * d).sum() + (t.unbind(1)[2] ** 3).sum()

    assert engine.autograd.gradcheck(f, (x,))
    assert engine.autograd.gradgradcheck(f, (x,))
