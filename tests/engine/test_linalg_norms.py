"""``torch.linalg.vector_norm``, ``matrix_norm`` and ``norm`` against PyTorch: values, ``grad_fn`` names,
gradients (and second derivatives against finite differences), and PyTorch's words for what it refuses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import engine

CALLS = [
    "L.vector_norm(x)", "L.vector_norm(x, 1, dim=1)", "L.vector_norm(x, float('inf'))", "L.vector_norm(x, 0)",
    "L.vector_norm(x, 3, (0, 1), True)", "L.vector_norm(x, dtype=lib.float64)", "L.vector_norm(y, -2, dim=(0, 2))",
    "L.norm(x)", "L.norm(v, 1)", "L.norm(x, 'fro')", "L.norm(x, float('inf'))", "L.norm(x, 1)", "L.norm(x, -1)",
    "L.norm(x, -float('inf'))", "L.norm(x, dim=1)", "L.norm(x, 1, dim=0)", "L.norm(x, dim=(0, 1))",
    "L.norm(x, 1, dim=(0, 1))", "L.norm(x, keepdim=True)", "L.norm(y)", "L.norm(y, dim=2)",
    "L.norm(x, float('inf'), dim=(1, 0))", "L.matrix_norm(y)", "L.matrix_norm(y, 1)",
    "L.matrix_norm(y, float('inf'), keepdim=True)", "L.matrix_norm(y, -1, dim=(0, 2))",
    "L.matrix_norm(y, float('inf'), dim=(2, 0))",
    # refused, in PyTorch's words
    "L.vector_norm(x, 'fro')", "L.norm(y, 1)", "L.norm(v, 'fro')", "L.matrix_norm(y, 3)", "L.matrix_norm(y, 'abc')",
    "L.matrix_norm(v)", "L.matrix_norm(y, 1, dim=(1, 1))", "L.matrix_norm(y, 1, dim=(0, 1, 2))",
    "L.norm(y, dim=(0, 1, 2))", "L.norm(y, 'fro', dim=(0, 1, 2))",
    "L.vector_norm(lib.ones(2, dtype=lib.int64))", "L.matrix_norm(lib.ones(2, 3, dtype=lib.int64))",
    "L.matrix_norm(lib.ones(2, 3, dtype=lib.int64), 1)", "L.vector_norm(x, dim='a')",
]


def _outcome(lib: Any, call: str) -> Any:
    x = lib.tensor([[3.0, -4.0], [1.0, 2.0]], requires_grad=True)
    v = lib.tensor([3.0, -4.0], requires_grad=True)
    y = lib.arange(24.0).reshape(2, 3, 4).requires_grad_()
    try:
        r = eval(call, {"L": lib.linalg, "lib": lib, "x": x, "v": v, "y": y})  # noqa: S307
    except (RuntimeError, TypeError) as exc:
        return "raised", isinstance(exc, TypeError), str(exc)
    (r * r).sum().backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, v, y)]
    return r.detach().numpy(), r.grad_fn.name(), r.dtype, grads


@pytest.mark.parametrize("call", CALLS)
def test_norms_as_pytorch(call: str) -> None:
    e, t = _outcome(engine, call), _outcome(torch, call)
    if isinstance(t[0], str):  # (raised)
        assert e == t
        return
    np.testing.assert_allclose(e[0], t[0], rtol=1e-6)
    assert e[1:3] == (t[1], getattr(engine, str(t[2]).split(".")[1]))
    for ge, gt in zip(e[3], t[3], strict=True):
        assert (ge is None) == (gt is None)
        if gt is not None:
            np.testing.assert_allclose(ge, gt, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call", ["L.norm(x, 1)", "L.norm(x, float('inf'))", "L.matrix_norm(x)", "L.vector_norm(x, 3)"])
def test_norms_are_differentiable_twice(call: str) -> None:
    x = engine.tensor(np.random.default_rng(3).permutation(12).reshape(3, 4) / 5.0 - 1.1, requires_grad=True)
    f = eval(f"lambda x: {call}", {"L": engine.linalg})  # noqa: S307
    assert engine.autograd.gradcheck(f, (x,))
    assert engine.autograd.gradgradcheck(f, (x,))


def test_singular_value_norms_are_not_carried() -> None:
    for order in ("nuc", 2, -2):
        with pytest.raises(engine.UnsupportedError, match="singular values"):
            engine.linalg.norm(engine.ones(2, 2), order)
