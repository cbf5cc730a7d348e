"""Tensor conveniences PyTorch code uses all the time, against PyTorch: ``contiguous``/``is_contiguous``,
the ``new_*`` factories, and ``view_as``/``reshape_as``/``expand_as``/``type_as``."""

from __future__ import annotations

import pytest
import torch

import engine

from .oracle import run_snippet

SNIPPETS = {
    "contiguous_is_itself": "x = torch.ones(2, 3, requires_grad=True); y = x * 1\n"
                            "print(y.contiguous() is y, x.contiguous() is x, y[0].contiguous() is not None)",
    "contiguous_copies_a_transpose": "x = torch.arange(6.).reshape(2, 3).requires_grad_(); t = x.t()\n"
                                     "c = t.contiguous(); print(c, c.is_contiguous(), t.is_contiguous())\n"
                                     "(c * torch.arange(6.).reshape(3, 2)).sum().backward(); print(x.grad)",
    "contiguous_second_order": "x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)\n"
                               "y = (x.t().contiguous() ** 3).sum()\n"
                               "(g,) = torch.autograd.grad(y, x, create_graph=True); g.sum().backward()\n"
                               "print(g, x.grad)",
    "is_contiguous_cases": "print(torch.ones(2, 1).expand(2, 3).is_contiguous(), torch.ones(0, 3).t().is_contiguous(), "
                           "torch.ones(3, 1).t().is_contiguous(), torch.ones(4)[::2].is_contiguous(), "
                           "torch.ones(()).is_contiguous(), torch.ones(2, 3)[:, 1:].is_contiguous())",
    "new_factories": "x = torch.ones(2, 3, dtype=torch.float64)\n"
                     "print(x.new_zeros(2), x.new_zeros((2, 1)), x.new_ones(2, 2), x.new_full((2,), 3), "
                     "x.new_empty(0).shape, x.new_zeros(2, dtype=torch.int64), x.new_ones(1, requires_grad=True))",
    "new_full_keeps_dtype": "i = torch.ones(2, dtype=torch.int64); print(i.new_full((2,), 3.7), i.new_ones(2).dtype)",
    "new_factories_refuse": "x = torch.ones(2); x.new_zeros(-1)",
    "as_other": "x = torch.arange(6.).reshape(2, 3).requires_grad_()\n"
                "a = x.view_as(torch.ones(6)); b = x.reshape_as(torch.ones(3, 2)); c = x[0].expand_as(x)\n"
                "d = x.type_as(torch.ones(1, dtype=torch.float64))\n"
                "print(a.grad_fn.name(), b.grad_fn.name(), c.grad_fn.name(), d.grad_fn.name(), d.dtype)\n"
                "(a.sum() + b.sum() + c.sum() + d.sum()).backward(); print(x.grad)",
    "where_method": "x = torch.tensor([1., -2., 3.]); print(x.where(x > 0, 0.), x.where(x > 0, other=torch.zeros(3)), "
                    "x.where(condition=x > 0, other=1))",
    "where_method_one_argument": "x = torch.tensor([1., -2., 3.]); x.where(x > 0)",
    "where_method_three_arguments": "x = torch.tensor([1., -2., 3.]); x.where(x > 0, 0., 1.)",
    "where_method_unknown_keyword": "x = torch.tensor([1., -2., 3.]); x.where(x > 0, foo=1)",
    "as_other_refuses_non_tensors": "x = torch.ones(2, 3)\n"
                                    "for m, o in (('view_as', 'a'), ('reshape_as', None), ('expand_as', 1.5), "
                                    "('type_as', None)):\n"
                                    "    try:\n        getattr(x, m)(o)\n"
                                    "    except TypeError as e:\n        print(e)",
    "non_numbers_refused": "x = torch.ones(2, 3)\n"
                           "for c in ('x.atan2(None)', 'x.logical_xor(None)', 'x.matmul(None)', 'x.mm(None)', "
                           "'torch.where(x > 0, x, None)', 'x.add(None)', 'x.masked_fill(x > 0, None)'):\n"
                           "    try:\n        eval(c)\n"
                           "    except TypeError as e:\n        print(e)",
    "view_as_refuses": "x = torch.ones(2, 3); x.t().view_as(torch.ones(6))",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_tensor_methods_as_pytorch(name: str) -> None:
    assert run_snippet(engine, SNIPPETS[name]) == run_snippet(torch, SNIPPETS[name])
