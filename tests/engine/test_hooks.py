"""Tensor hooks (``t.register_hook(fn)``) against PyTorch: what they see, what they change, their order
with retain_grad, autograd.grad and in-place ops, their handles and PyTorch's words for misuse."""

from __future__ import annotations

import pytest
import torch

import engine

from .oracle import run_snippet

SNIPPETS = {
    "leaf_and_non_leaf": "x = torch.ones(2, requires_grad=True)\n"
                         "x.register_hook(lambda g: print('leaf', g) or g * 2)\n"
                         "y = x * 3; y.register_hook(lambda g: print('y', g) or g + 1); y.retain_grad()\n"
                         "(y * y).sum().backward(); print(x.grad, y.grad)",
    "returns_none_keeps_it": "x = torch.ones(2, requires_grad=True); seen = []\n"
                             "x.register_hook(lambda g: seen.append(g.tolist())); (x * 2).sum().backward()\n"
                             "print(seen, x.grad)",
    "order_and_remove": "z = torch.ones(2, requires_grad=True)\n"
                        "h1 = z.register_hook(lambda g: g * 10); h2 = z.register_hook(lambda g: g + 1)\n"
                        "(z * 2).sum().backward(); print(z.grad); h1.remove(); h1.remove(); z.grad = None\n"
                        "(z * 2).sum().backward(); print(z.grad, h2.id - h1.id)",
    "handle_as_context": "z = torch.ones(2, requires_grad=True)\n"
                         "with z.register_hook(lambda g: g * 0):\n    (z * 2).sum().backward()\n"
                         "print(z.grad); (z * 2).sum().backward(); print(z.grad)",
    "zeroing_non_leaf": "w = torch.ones(2, requires_grad=True); v = w * 2; v.register_hook(lambda g: g * 0)\n"
                        "(v * 3).sum().backward(); print(w.grad)",
    "on_the_root": "w = torch.ones(2, requires_grad=True); v = (w * 2).sum(); v.register_hook(lambda g: g * 7)\n"
                   "v.backward(); print(w.grad)",
    "create_graph_sees_a_graph": "w = torch.ones(2, requires_grad=True); seen = []\n"
                                 "w.register_hook(lambda g: seen.append(g.requires_grad))\n"
                                 "(w ** 2).sum().backward(create_graph=True); print(seen, w.grad.requires_grad)",
    "called_once_with_the_sum": "w = torch.ones(2, requires_grad=True); c = []; v = w * 1\n"
                                "v.register_hook(lambda g: c.append(g.clone())); (v * 2 + v * 3).sum().backward()\n"
                                "print(c, w.grad)",
    "in_place_in_the_hook": "w = torch.ones(2, requires_grad=True); w.register_hook(lambda g: g.mul_(3))\n"
                            "(w * 2).sum().backward(); print(w.grad)",
    "backward_inputs": "w = torch.ones(2, requires_grad=True); w.register_hook(lambda g: g * 5)\n"
                       "(w * 2).sum().backward(inputs=[w]); print(w.grad)",
    "autograd_grad_leaf_and_non_leaf": "x = torch.ones(2, requires_grad=True); x.register_hook(lambda g: g * 2)\n"
                                       "y = x * 3; y.register_hook(lambda g: g + 1); y.retain_grad()\n"
                                       "print(torch.autograd.grad(y.sum(), x), x.grad, y.grad)\n"
                                       "print(torch.autograd.grad((y * 2).sum(), y))",
    "hooks_stay_with_the_old_node": "x = torch.ones(2, requires_grad=True); y = x * 2; seen = []\n"
                                    "y.register_hook(lambda g: seen.append(g.tolist()) or g * 10); y.retain_grad()\n"
                                    "y.mul_(3); (y * 3).sum().backward(); print(seen, x.grad, y.grad)",
    "hook_after_in_place": "x = torch.ones(2, requires_grad=True); y = x * 2; y.add_(1)\n"
                           "y.register_hook(lambda g: g * 10); (y * 3).sum().backward(); print(x.grad)",
    "retain_graph_twice": "x = torch.ones(2, requires_grad=True); n = []\n"
                          "y = x * 2; y.register_hook(lambda g: n.append(1)); z = (y * y).sum()\n"
                          "z.backward(retain_graph=True); z.backward(); print(len(n), x.grad)",
    "float64_through_mixed_graph": "x = torch.ones(2, dtype=torch.float64, requires_grad=True)\n"
                                   "x.register_hook(lambda g: g * 2); (x.float() * 3).sum().backward()\n"
                                   "print(x.grad)",
    # misuse, in PyTorch's words
    "no_grad_tensor": "torch.ones(2).register_hook(lambda g: g)",
    "changed_size": "def shrink(g):\n    return g[:1]\n"
                    "z = torch.ones(2, requires_grad=True); z.register_hook(shrink); (z * 2).sum().backward()",
    "changed_type": "z = torch.ones(2, requires_grad=True); z.register_hook(lambda g: g.double())\n"
                    "(z * 2).sum().backward()",
    "not_a_tensor": "z = torch.ones(2, requires_grad=True); z.register_hook(lambda g: 5); (z * 2).sum().backward()",
    "a_failing_hook_writes_no_grad": "z = torch.ones(2, requires_grad=True); w = torch.ones(2, requires_grad=True)\n"
                                     "z.register_hook(lambda g: g[:1])\n"
                                     "try:\n    (z * w).sum().backward()\nexcept RuntimeError:\n    pass\n"
                                     "print(z.grad, w.grad is None or w.grad)",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_hooks_as_pytorch(name: str) -> None:
    assert run_snippet(engine, SNIPPETS[name]) == run_snippet(torch, SNIPPETS[name])
