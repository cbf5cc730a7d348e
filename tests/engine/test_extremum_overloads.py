"""``torch.max``/``torch.min`` and their methods in all of PyTorch's overloads: the whole tensor, against
another tensor (``maximum``), and along a dim (``return_types.max(values, indices)``, differentiable in the
values), with PyTorch's words for calls that fit no overload."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import run_snippet

SNIPPETS = {
    "along_a_dim": "x = torch.tensor([[1., 3., 3.], [float('nan'), 0., 2.]], requires_grad=True); r = torch.max(x, 1)\n"
                   "print(r, type(r).__name__, r[0], len(r), r.values.grad_fn.name(), r.indices.dtype)\n"
                   "(r.values * torch.tensor([1., 2.])).sum().backward(); print(x.grad)",
    "min_keepdim_unpacked": "x = torch.tensor([[1., 3., 3.], [4., 0., 2.]], requires_grad=True)\n"
                            "v, i = x.min(dim=0, keepdim=True); print(v, i, v.grad_fn.name())\n"
                            "v.sum().backward(); print(x.grad)",
    "against_another_tensor": "x = torch.tensor([1., 3.], requires_grad=True)\n"
                              "print(torch.max(x, x * 2).grad_fn.name(), x.max(x * 0.5), torch.min(x, other=x + 1))",
    "bools_and_ints": "b = torch.tensor([[True, False], [False, False]]); print(torch.max(b, 1), b.min(0))\n"
                      "i = torch.tensor([[1, 5], [7, 2]]); print(i.max(1), i.min(0).indices.dtype)",
    "zero_dim": "z = torch.tensor(3., requires_grad=True); print(torch.max(z, 0), torch.max(z, -1, True))\n"
                "torch.max(z, 0).values.backward(); print(z.grad)\n"
                "v = z.min(-1).values; (g,) = torch.autograd.grad(v * v, z, create_graph=True); print(g)",
    "keywords": "x = torch.ones(2, 3)\n"
                "print(torch.max(x, dim=1, keepdim=True).values.shape, torch.max(input=x, dim=0).indices)",
    "whole_tensor_still": "x = torch.arange(6.).reshape(2, 3); print(x.max(), x.min(), torch.max(x), x.max(dim=-1))",
    "second_order_names": "x = torch.tensor([[1., 5.], [7., 2.]], requires_grad=True); v = x.max(1).values\n"
                          "(g,) = torch.autograd.grad((v ** 2).sum(), x, create_graph=True)\n"
                          "print(g)\n"
                          "g.sum().backward(); print(x.grad)",
    "empty": "print(torch.max(torch.ones(0, 3), 1)); torch.max(torch.ones(0, 3), 0)",
    "dim_out_of_range": "torch.max(torch.ones(2, 3), 2)",
    "float_dim": "torch.max(torch.ones(2, 3), 1.5)",
    "int_keepdim": "torch.ones(2, 3).max(1, 1)",
    "dim_none_fits_no_overload": "x = torch.ones(2, 3)\n"
                                 "for c in ('x.max(dim=None)', 'x.max(None)', 'torch.max(x, None)', "
                                 "'torch.min(x, dim=None)', 'x.max(None, True)'):\n"
                                 "    try:\n        eval(c)\n    except TypeError as e:\n        print(e)",
    "input_written_after": "x = torch.tensor([[1., 5.], [3., 2.]], requires_grad=True); y = x * 1\n"
                           "v, i = y.max(1); y.add_(1); v.sum().backward(); print(x.grad)\n"
                           "x = torch.tensor([[1., 5.], [3., 2.]], requires_grad=True); v, i = x.min(0); i.zero_()\n"
                           "v.sum().backward()",
    "keepdim_alone": "torch.ones(2, 3).max(keepdim=True)",
    "keepdim_alone_function": "torch.min(torch.ones(2, 3), keepdim=True)",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_max_and_min_as_pytorch(name: str) -> None:
    assert run_snippet(engine, SNIPPETS[name]) == run_snippet(torch, SNIPPETS[name])


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_values_along_a_dim_against_finite_differences(name: str, dim: int, keepdim: bool) -> None:
    x = engine.tensor(np.random.default_rng(dim + 2).permutation(12).reshape(3, 4) / 7.0, requires_grad=True)

    def f(t: Any) -> Any:
        v = getattr(t, name)(dim, keepdim).values
        return (v * v).sum()

    assert engine.autograd.gradcheck(f, (x,))
    assert engine.autograd.gradgradcheck(f, (x,))
