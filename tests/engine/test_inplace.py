"""In-place ops (``x.add_(y)``, ``x += y``, ``zero_``, ``fill_``, ...) and version counters, against PyTorch.

Each snippet runs under ``torch`` and under ``engine`` (as ``torch``): what it prints and the
message of what it raises must match (the exception classes are the engine's own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import run_snippet

SNIPPETS = {
    # a parameter update, and the rules on leaves
    "sgd_update": "w = torch.tensor([1., 2.], requires_grad=True)\nwith torch.no_grad(): w -= 0.1\n"
                  "print(w, w.requires_grad, w.is_leaf, w._version)",
    "training_loop": "x = torch.tensor([1., 2.], requires_grad=True)\nfor _ in range(3):\n"
                     "    l = (x * x).sum(); l.backward()\n    with torch.no_grad():\n        x -= 0.1 * x.grad\n"
                     "    x.grad.zero_()\nprint(x, x.grad)",
    "leaf_refused": "x = torch.tensor([1., 2.], requires_grad=True); x += 1",
    "leaf_zero_refused": "x = torch.ones(2, requires_grad=True); x.zero_()",
    "view_of_leaf_refused": "x = torch.ones(3, requires_grad=True); y = x.reshape(3); y.add_(1)",
    "same_object": "a = torch.tensor([1., 2.]); b = a; a += 1; print(b, a is b)",
    "detach_shares": "x = torch.ones(2); y = x.detach(); x += 1; print(y, x._version, y._version)",
    "slice_writes_base": "x = torch.ones(2, requires_grad=True); v = x[0:1]\nwith torch.no_grad(): v += 1\nprint(x)",
    "numpy_sees_it": "x = torch.ones(2); n = x.numpy(); x.mul_(3); print(n)",
    # dtypes and shapes
    "int_plus_float_refused": "i = torch.tensor([1, 2]); i += 1.5",
    "bool_plus_int_refused": "b = torch.ones(2, dtype=torch.bool); b += 1",
    "bool_plus_bool": "b = torch.ones(2, dtype=torch.bool); b += True; print(b)",
    "int_times_float_tensor_refused": "i = torch.ones(2, dtype=torch.int64); i *= torch.ones(2)",
    "exp_of_int_refused": "x = torch.tensor([1, 2]); x.exp_()",
    "float64_into_float32": "x = torch.ones(2); x.add_(torch.full((2,), 1 / 3, dtype=torch.float64))\n"
                            "print(x, x.dtype)",
    "float64_into_float16": "x = torch.ones(2, dtype=torch.float16); x += torch.ones(2, dtype=torch.float64); print(x)",
    "no_self_broadcast": "x = torch.ones(2); x += torch.ones(2, 2)",
    "other_broadcasts": "x = torch.zeros(2, 3); x += torch.arange(3.); print(x)",
    "expanded_refused": "x = torch.ones(2).expand(3, 2); x += 1",
    "mismatch": "x = torch.ones(2); x += torch.ones(3)",
    # methods and their arguments
    "alpha": "x = torch.ones(2); x.add_(1, alpha=2); x.sub_(torch.ones(2), alpha=0.5); print(x)",
    "rounding_mode": "x = torch.tensor([3., -3.]); x.div_(2, rounding_mode='floor'); print(x)",
    "floor_mod": "x = torch.tensor([5., -5.]); x //= 2; x %= 2; print(x)",
    "pow_and_version": "x = torch.tensor([2., 3.]); x.pow_(2); x **= 0.5; print(x, x._version)",
    "unary_chain": "x = torch.tensor([1., 2.]); x.clamp_(min=1.5); x.exp_(); x.neg_(); x.abs_(); x.log_(); print(x)",
    "more_unary": "x = torch.tensor([0.25, 0.5]); x.sqrt_().reciprocal_().sigmoid_().tanh_(); print(x)",
    "relu_functional": "x = torch.tensor([-1., 2.]); torch.nn.functional.relu(x, inplace=True); print(x)",
    "fill_number": "x = torch.ones(2, dtype=torch.int64); x.fill_(2.7); print(x)",
    "fill_tensor": "x = torch.ones(2); x.fill_(torch.tensor(4.)); print(x)",
    "fill_1d_refused": "x = torch.ones(2); x.fill_(torch.ones(2))",
    "returns_self": "x = torch.ones(2); print(x.add_(1) is x, x.zero_() is x)",
    # recorded in the graph
    "recorded_add": "w = torch.ones(2, requires_grad=True); a = torch.zeros(2); a += w\n"
                    "print(a, a.is_leaf, a.grad_fn.name()); a.sum().backward(); print(w.grad)",
    "recorded_mul_reads_old_values": "w = torch.tensor([1., 2.], requires_grad=True); y = w * 2; y.mul_(w)\n"
                                     "print(y, y.grad_fn.name()); y.sum().backward(); print(w.grad)",
    "recorded_chain": "x = torch.tensor([0.5, -1.], requires_grad=True); y = x * 3; y += 1; y.mul_(y.detach()); "
                      "y.exp_(); y.sum().backward(); print(y, x.grad)",
    "recorded_zero": "w = torch.ones(2, requires_grad=True); y = w * 2; y.zero_(); print(y, y.grad_fn.name())\n"
                     "y.sum().backward(); print(w.grad)",
    "recorded_fill": "w = torch.ones(2, requires_grad=True); y = w * 2; y.fill_(3.); print(y, y.grad_fn.name())",
    "recorded_fill_tensor": "w = torch.ones(2, requires_grad=True); v = torch.tensor(2., requires_grad=True)\n"
                            "y = w * 2\n"
                            "y.fill_(v); print(y.grad_fn.name()); y.sum().backward(); print(w.grad, v.grad)",
    "retained_grad_moves": "w = torch.ones(2, requires_grad=True); y = w * 2; y.retain_grad(); y += 1\n"
                           "(y * y).sum().backward(); print(y.grad, w.grad)",
    "relu_recorded": "x = torch.tensor([-1., 2.], requires_grad=True); y = x * 1; y.relu_(); y.sum().backward()\n"
                     "print(x.grad, y)",
    "no_grad_on_non_leaf": "x = torch.ones(2, requires_grad=True); y = x * 2\nwith torch.no_grad(): y.add_(1)\n"
                           "print(y, y.grad_fn.name()); y.sum().backward(); print(x.grad)",
    # version counters: what backward reads may not have changed
    "saved_input_changed": "y = torch.ones(2, requires_grad=True) * 2; z = y * y; y += 1; z.sum().backward()",
    "saved_leaf_changed": "x = torch.ones(2, requires_grad=True); z = x * x\nwith torch.no_grad(): x += 1\n"
                          "z.sum().backward()",
    "saved_output_changed": "x = torch.ones(2, requires_grad=True); y = x.exp(); y += 1; y.sum().backward()",
    "saved_output_changed_0d": "x = torch.ones((), requires_grad=True); y = x.exp()\nwith torch.no_grad(): y.add_(1)\n"
                               "y.backward()",
    "changed_through_detach": "x = torch.ones(2, requires_grad=True); y = x * 2; z = y * y; y.detach().add_(1)\n"
                              "z.sum().backward()",
    "float64_type_in_message": "x = torch.ones(2, 3, dtype=torch.float64, requires_grad=True); y = x.exp(); z = y * 2\n"
                               "y.mul_(2); z.sum().backward()",
    "unsaved_change_is_fine": "x = torch.ones(2, requires_grad=True); w = torch.ones(2, requires_grad=True)\n"
                              "y = x * 2\n"
                              "z = y.sigmoid(); y.add_(w); z.sum().backward(); print(x.grad, w.grad)",
    "retain_graph_then_change": "x = torch.ones(2, requires_grad=True); y = x * 2; z = y * y\n"
                                "z.sum().backward(retain_graph=True); y.add_(1); z.sum().backward()",
    "unread_saved_input_is_fine": "x = torch.ones(2, requires_grad=True); y = x * 2; z = y * 3; y.add_(1)\n"
                                  "z.sum().backward(); print(x.grad)",
    "weight_updated_before_backward": "x = torch.ones(2, 2); W = torch.ones(2, 2, requires_grad=True)\n"
                                      "out = (x @ W).sum()\nwith torch.no_grad(): W -= 0.1\n"
                                      "out.backward(); print(W.grad)",
    "read_saved_input_is_not": "x = torch.ones(2, 2, requires_grad=True); W = torch.ones(2, 2, requires_grad=True)\n"
                               "out = (x @ W).sum()\nwith torch.no_grad(): W -= 0.1\nout.backward()",
    # an in-place op's own saved output, a detached alias, derivatives that do not read what changed
    "inplace_output_then_inplace": "x = torch.tensor([1., 2.], requires_grad=True); y = x * 1; y.sigmoid_()\n"
                                   "y.mul_(2); y.sum().backward()",
    "detached_alias_writes_output": "x = torch.tensor([1., 2.], requires_grad=True); y = x.sigmoid()\n"
                                    "y.detach().zero_(); y.sum().backward()",
    "pow_by_number_reads_no_output": "x = torch.tensor([1., 2.], requires_grad=True); y = x ** 2; y.add_(1)\n"
                                     "y.sum().backward(); print(x.grad)",
    "pow_by_tensor_reads_output": "x = torch.tensor([1., 2.], requires_grad=True); e = torch.tensor([2., 3.], "
                                  "requires_grad=True)\ny = x ** e; y.add_(1); y.sum().backward()",
    "remainder_reads_no_divisor": "x = torch.tensor([1.5, 2.5], requires_grad=True); c = torch.tensor([.7, .9])\n"
                                  "y = x % c; c.add_(1); y.sum().backward(); print(x.grad)",
    "where_reads_no_branch": "x = torch.tensor([1.5, 2.5], requires_grad=True); c = torch.tensor([.7, .9])\n"
                             "y = torch.where(c > .8, x, c); c.add_(1); y.sum().backward(); print(x.grad)",
    "linear_input_unread": "x = torch.tensor([[1.5, 2.5]], requires_grad=True); w = torch.ones(3, 2)\n"
                           "y = torch.nn.functional.linear(x, w)\nwith torch.no_grad(): x.add_(1)\n"
                           "y.sum().backward(); print(x.grad)",
    "mixed_dtypes_recorded_as_the_op": "x = torch.ones(2, requires_grad=True); y = x * 3\n"
                                       "w = torch.tensor([0.1, 0.2], dtype=torch.float64, requires_grad=True)\n"
                                       "y += w; print(y.grad_fn.name(), y.dtype); y.div_(w); y.pow_(w)\n"
                                       "print(y, y.grad_fn.name()); (y * y).sum().backward(); print(x.grad, w.grad)",
    "no_grad_view_written_in_grad_mode": "x = torch.arange(4., requires_grad=True); y = x * 1\n"
                                         "with torch.no_grad(): v = y[:2]\n"
                                         "for c in ('v[0] = 5.', 'v[0:1] = 5.', 'v[...] = 5.', 'v[[0]] = 5.', "
                                         "'v.add_(1)', 'v.zero_()'):\n"
                                         "    try:\n        exec(c)\n    except RuntimeError as e:\n"
                                         "        print(e)\n"
                                         "a = torch.zeros(3)\nwith torch.no_grad(): b = a[:2]\n"
                                         "b.add_(1); b[0] = 3.; print(a); (y * y).sum().backward(); print(x.grad)",
    "unbind_pieces_of_a_vector_are_views": "x = torch.arange(4.); u = x.unbind(); u[1].mul_(5)\n"
                                           "print(x, u[1]._base is x, x._version)",
    "bool_mask_changed": "x = torch.tensor([1., 2.], requires_grad=True); m = torch.tensor([True, False])\n"
                         "z = x.masked_fill(m, 0.); m.zero_(); z.sum().backward()",
    "setitem_recorded_second_backward_refused": "x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(3)\n"
                                                "y[1:] = x; y.sum().backward(retain_graph=True); y.sum().backward()\n"
                                                "print(x.grad); y.sum().backward()",
    "grad_accumulation_is_a_new_version": "x = torch.ones(2, requires_grad=True); (x * 2).sum().backward()\n"
                                          "g = x.grad\n"
                                          "s = torch.ones(2, requires_grad=True); z = (s * g).sum()\n"
                                          "(x * 2).sum().backward(); print(g._version, g is x.grad); z.backward()",
    "data_has_its_own_counter": "w = torch.tensor([1., 2.], requires_grad=True); loss = (w * w).sum()\n"
                                "w.data.sub_(0.5); loss.backward(); print(w.grad)",
    "data_setter": "w = torch.tensor([1., 2.], requires_grad=True); w.data -= 0.5; w.data = w.data * 2\n"
                   "print(w, w.requires_grad, w.is_leaf)",
    "overload_number_in_message": "x = torch.ones(3, requires_grad=True); y = x.sum(0); z = y.abs()\n"
                                  "with torch.no_grad(): y.add_(1)\nz.backward()",
    "method_named_in_errors": "x = torch.ones(2); x.atan2_(2.0)",
    "masked_fill_recorded": "x = torch.tensor([1., 2., 3.], requires_grad=True); y = x * 1\n"
                            "y.masked_fill_(y > 1.5, -1.); print(y, y.grad_fn.name())\n"
                            "y.sum().backward(); print(x.grad)\n"
                            "s = torch.zeros(2, 3); s.masked_fill_(torch.tensor([True, False, True]), float('-inf'))\n"
                            "print(s); torch.zeros(3).masked_fill_(torch.ones(2, 3) > 0, 1.)",
    "softmax_result_is_no_view": "x = torch.ones(2, 3, requires_grad=True); y = x.softmax(1).mul_(2)\n"
                                 "print(y.grad_fn.name())",
    # x[key] = value, outside a recorded graph
    "setitem_number": "x = torch.zeros(3); x[0] = 1.5; i = torch.zeros(3, dtype=torch.long); i[0] = 1.7\n"
                      "b = torch.zeros(3, dtype=torch.bool); b[0] = 2; print(x, i, b)",
    "setitem_basic_tensor": "x = torch.zeros(2, 3); x[0] = torch.arange(3.); x[1, 1:] = torch.tensor([[5., 6.]])\n"
                            "x[0][0] = 9; x[...] = x * 2; print(x)",
    "setitem_mask": "x = torch.arange(6.).reshape(2, 3); x[x > 2] = torch.tensor([9., 8., 7.]); x[x < 1] = -1\n"
                    "print(x)",
    "setitem_advanced": "x = torch.zeros(2, 3); x[:, [0, 2]] = torch.tensor([[1.], [2.]]); x[torch.tensor([1])] = 4.\n"
                        "print(x)",
    "setitem_view_sees_it": "x = torch.zeros(2, 2); v = x[0]; x[0, 1] = 3; print(v)",
    "setitem_basic_mismatch": "x = torch.zeros(3); x[0:2] = torch.ones(3)",
    "setitem_advanced_mismatch": "x = torch.zeros(3); x[[0, 1]] = torch.ones(3)",
    "setitem_too_many_dims": "x = torch.zeros(3); x[0] = torch.ones(2)",
    "setitem_out_of_range": "x = torch.zeros(3); x[5] = 1",
    "setitem_str": "x = torch.zeros(3); x[0] = 'a'",
    "setitem_list": "x = torch.zeros(3); x[1:] = [7, 8]",
    "setitem_leaf_refused": "x = torch.zeros(3, requires_grad=True); x[0] = 1",
    "setitem_leaf_no_grad": "x = torch.zeros(3, requires_grad=True)\nwith torch.no_grad(): x[0] = 1\nprint(x)",
    "setitem_saved_output": "x = torch.ones(3, requires_grad=True); y = x.exp()\nwith torch.no_grad(): y[0] = 0\n"
                            "y.sum().backward()",
    # tensors saved inside a list input (einsum, cat) or in the params (an index key's index tensor)
    "einsum_operand_changed": "w = torch.tensor([1.0, 1.0], requires_grad=True); x = torch.tensor([1.0, 2.0])\n"
                              "y = torch.einsum('i,j->ij', w, x).sum(); x.mul_(10)\n"
                              "try:\n    y.backward()\nexcept RuntimeError:\n    print('refused')\nprint(w.grad)",
    "index_tensor_changed": "w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True); idx = torch.tensor([0, 2])\n"
                            "y = w[idx].sum(); idx.zero_(); y.backward()",
    "stack_operand_changed": "a = torch.ones(2, requires_grad=True); b = torch.ones(2); c = torch.stack([a * b, b])\n"
                             "b.add_(1); c.sum().backward()",
    # a gradient left by create_graph=True keeps its graph when a plain backward adds to it
    "grad_with_graph_accumulates": "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                                   "(x * x).sum().backward(create_graph=True); (x * x).sum().backward()\n"
                                   "print(x.grad.detach(), x.grad.requires_grad); x.grad.sum().backward()\n"
                                   "print(x.grad.detach())",
    "unary_plus": "t = torch.tensor([1., 2.], requires_grad=True); print(+t is t, t.positive() is t)\n"
                  "+torch.tensor([True])",
    # backward's implicit gradient is shared between calls: writing into a .grad must not change it
    "seed_not_shared_with_grad": "x = torch.tensor(2., requires_grad=True); x.backward(); x.grad.zero_()\n"
                                 "x.backward()\n"
                                 "x.grad += 1; y = torch.tensor([3.], requires_grad=True); z = y * 1; z.retain_grad()\n"
                                 "z.backward(); z.grad.mul_(5); (y * 1).backward(); print(x.grad, z.grad, y.grad)",
    # x[key] = value: PyTorch's order of checks, index_put's dtype rule, number conversions
    "setitem_index_put_dtypes": "x = torch.zeros(3, dtype=torch.float64); x[[0, 1]] = torch.tensor(7.5)",
    "setitem_mask_fill_any_dtype": "x = torch.zeros(3); x[x == 0] = torch.tensor(2.5, dtype=torch.float64); print(x)",
    "setitem_expand_names_value": "x = torch.zeros(6, dtype=torch.int64); x[0] = torch.tensor([True, False])",
    "setitem_nan_into_int": "x = torch.zeros(3, dtype=torch.int64); x[0] = float('nan')",
    "setitem_overflow_float": "x = torch.zeros(3); x[0] = 1e40",
    "setitem_big_int": "x = torch.zeros(3); x[0] = 2**63",
    "setitem_leaf_shape_first": "x = torch.arange(12.).reshape(3, 4).requires_grad_()\n"
                                "x[0] = torch.tensor([1., 2., 3.])",
    "setitem_leaf_advanced": "x = torch.arange(12.).reshape(3, 4).requires_grad_()\n"
                             "x[[0]] = torch.tensor([1., 2., 3.])",
    "setitem_graph_value_shape_first": "x = torch.zeros(3); x[0:2] = torch.ones(3, requires_grad=True)",
    "type_refuses_python_types": "x = torch.ones(2); x.type(float)",
    "positive_function": "x = torch.ones(2); print(torch.positive(x) is x)",
    "version_saved_after_change": "x = torch.ones(2, requires_grad=True); y = x * 2; y.add_(1); z = y * y\n"
                                  "z.sum().backward(); print(x.grad)",
    # views (a slice, a reshape, ...: Tensor._base) share their base's version counter
    "view_write_changes_saved_output": "x = torch.ones(3, requires_grad=True); y = x.exp()\n"
                                       "with torch.no_grad(): y[0:2].mul_(2)\n"
                                       "y.sum().backward()",
    "view_write_changes_saved_input": "x = torch.ones(2, 3, requires_grad=True); y = x * 2; z = y * y\n"
                                      "with torch.no_grad(): y.reshape(6).add_(1)\n"
                                      "z.sum().backward()",
    "base_write_changes_saved_view": "x = torch.ones(3, requires_grad=True); y = x * 1; v = y[1:]; z = v * v\n"
                                     "with torch.no_grad(): y.add_(1)\n"
                                     "z.sum().backward()",
    "transposed_view_saved": "x = torch.ones(2, 3, requires_grad=True); y = x * 1; v = y.t(); z = v * v\n"
                             "with torch.no_grad(): y.mul_(3)\n"
                             "z.sum().backward()",
    "expanded_view_saved": "x = torch.ones(2, requires_grad=True); y = x * 1; e = y.expand(3, 2); z = e * e\n"
                           "with torch.no_grad(): y.add_(1)\n"
                           "z.sum().backward()",
    "view_of_view_shares": "x = torch.ones(4); v = x.reshape(2, 2)[0]; w = v.unsqueeze(0); w.add_(1)\n"
                           "print(x._version, v._version, w._version, x, w._base is x, v._base is x)",
    "setitem_through_view": "x = torch.ones(3, requires_grad=True); y = x.exp()\n"
                            "with torch.no_grad(): v = y[1:]; v[0] = 5.0\n"
                            "print(y._version); y.sum().backward()",
    "detached_view_shares": "x = torch.ones(3); v = x[1:].detach(); v.add_(1); print(x, x._version, v._version)",
    "copying_reshape_is_no_view": "x = torch.ones(2, 3, requires_grad=True); y = x * 1; c = y.t().reshape(6)\n"
                                  "z = c * c\n"
                                  "with torch.no_grad(): y.add_(1)\n"
                                  "z.sum().backward(); print(x.grad, c._base is None)",
    "advanced_index_is_no_view": "x = torch.ones(3, requires_grad=True); y = x * 1; c = y[[0, 2]]; z = c * c\n"
                                 "with torch.no_grad(): y.add_(1)\n"
                                 "z.sum().backward(); print(x.grad, c._base)",
    "base_of_a_view": "x = torch.ones(2, 3); print(x[0]._base is x, x.t()._base is x, x.view(6)._base is x, x._base, "
                      "x.clone()._base, x.flatten()._base is x, x.narrow(1, 0, 2)._base is x)",
    "views_under_no_grad_share_too": "x = torch.ones(2, requires_grad=True); y = x.sigmoid()\n"
                                     "with torch.no_grad(): v = y.view(2, 1); v.zero_()\n"
                                     "y.sum().backward()",
    "no_grad_view_of_leaf_recorded_refused": "w = torch.ones(2, requires_grad=True)\n"
                                             "x = torch.ones(3, requires_grad=True)\n"
                                             "with torch.no_grad(): v = x[0:2]\n"
                                             "v.add_(w)",
    "no_grad_view_recorded_refused": "w = torch.ones(2, requires_grad=True); x = torch.ones(3)\n"
                                     "with torch.no_grad(): v = x.view(3)[0:2]\n"
                                     "v.mul_(w)",
    "no_grad_view_written_in_no_grad": "x = torch.ones(3, requires_grad=True)\n"
                                       "with torch.no_grad(): x[0:2].zero_()\n"
                                       "(x * x).sum().backward(); print(x, x.grad, x._version)",
    "data_view_writes_unseen": "x = torch.ones(3, requires_grad=True); y = x.exp(); y.data[0:1].add_(1)\n"
                               "y.sum().backward(); print(x.grad, y._version)",
    "broadcast_to_method_takes_ints": "x = torch.ones(2); print(x.broadcast_to(3, 2).shape, "
                                      "x.broadcast_to([3, 2]).shape)",
    "views_of_every_kind": "x = torch.ones(2, 3); vs = [x.view(6), x.flatten(), x.squeeze(), x.unsqueeze(0), "
                           "x.transpose(0, 1), x.t(), x.permute(1, 0), x.expand(2, 2, 3), x.narrow(1, 1, 2), x[1], "
                           "x.broadcast_to(2, 2, 3), x.reshape(3, 2), x[:, ::2]]\n"
                           "x.add_(1)\n"
                           "print([v._version for v in vs], [v._base is x for v in vs])\n"
                           "y = torch.arange(6.).reshape(2, 3); print(y[0]._base is y._base, y._base.shape)",
    # x[key] = value while a graph is recorded: the tensor takes the write's node (CopySlices, ...)
    "setitem_recorded_slice": "x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(3); "
                              "y[0:2] = x * 2\n"
                              "print(y, y.grad_fn.name(), [None if f is None else f.name() for f, _ in "
                              "y.grad_fn.next_functions]); "
                              "y.sum().backward(); print(x.grad)",
    "setitem_recorded_repeat_adv": "x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(3); "
                                   "y[[0, 0]] = x * 2\n"
                                   "print(y, y.grad_fn.name()); (y * torch.tensor([1., 2, 3])).sum().backward(); "
                                   "print(x.grad)",
    "setitem_recorded_both_graph": "x = torch.tensor([1., 2.], requires_grad=True); z = x * 1; "
                                   "w = torch.ones(3, requires_grad=True) * 1; w[1:] = z\n"
                                   "print(w.grad_fn.name()); (w * w).sum().backward(); print(x.grad)",
    "setitem_recorded_number_into_graph": "a = torch.ones(3, requires_grad=True); b = a * 2; b[0] = 5; "
                                          "print(b.grad_fn.name(), b); b.sum().backward(); print(a.grad)",
    "setitem_recorded_leading_ones_value": "s = torch.tensor([[3., 4, 5]], requires_grad=True); y = torch.zeros(3); "
                                           "y[:] = s; print(y.grad_fn.name()); "
                                           "(y * torch.arange(3.)).sum().backward(); "
                                           "print(s.grad)",
    "setitem_recorded_fill_0d": "s = torch.tensor(2., requires_grad=True); y = torch.zeros(2, 3); "
                                "y[...] = s * 1; print(y.grad_fn.name()); y.sum().backward(); print(s.grad)",
    "setitem_recorded_column_0d": "s = torch.tensor(3., requires_grad=True); y = torch.zeros(2, 3); y[:, 1] = s; "
                                  "print(y.grad_fn.name()); y.sum().backward(); print(s.grad)",
    "setitem_recorded_row_broadcast": "s = torch.tensor([3.], requires_grad=True); y = torch.zeros(2, 3); y[0] = s; "
                                      "print(y.grad_fn.name()); (y * torch.arange(6.).reshape(2, 3)).sum().backward(); "
                                      "print(s.grad)",
    "setitem_recorded_mask": "x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(3); "
                             "y[torch.tensor([True, False, True])] = x\n"
                             "print(y.grad_fn.name()); (y * torch.arange(3.)).sum().backward(); print(x.grad)",
    "setitem_recorded_mask_scalar_value": "x = torch.tensor(2., requires_grad=True); y = torch.zeros(3); "
                                          "y[torch.tensor([True, False, True])] = x\n"
                                          "print(y.grad_fn.name()); (y * torch.arange(3.)).sum().backward(); "
                                          "print(x.grad)",
    "setitem_recorded_mixed_key": "x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(2, 3); "
                                  "y[0, [0, 2]] = x; print(y.grad_fn.name()); "
                                  "(y * torch.arange(6.).reshape(2, 3)).sum().backward(); print(x.grad)",
    "setitem_recorded_adv_columns": "x = torch.ones(2, 1, requires_grad=True); y = torch.zeros(2, 3); "
                                    "y[:, [0, 2]] = x; print(y.grad_fn.name()); "
                                    "(y * torch.arange(6.).reshape(2, 3)).sum().backward(); print(x.grad)",
    "setitem_recorded_unsqueeze_key": "x = torch.ones(3, requires_grad=True); y = torch.zeros(3); y[None] = x * 2; "
                                      "print(y.grad_fn.name()); y.sum().backward(); print(x.grad)",
    "setitem_recorded_dtype_mix": "x = torch.tensor([1., 2.], requires_grad=True); "
                                  "y = torch.zeros(3, dtype=torch.float64); y[0:2] = x; "
                                  "print(y.grad_fn.name(), y.dtype); (y * 3).sum().backward(); "
                                  "print(x.grad, x.grad.dtype)",
    "setitem_recorded_float64_value": "x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True); "
                                      "y = torch.zeros(3); y[1:] = x; print(y.dtype); y.sum().backward(); "
                                      "print(x.grad.dtype)",
    "setitem_recorded_int_target": "x = torch.tensor([1., 2.], requires_grad=True); "
                                   "y = torch.zeros(3, dtype=torch.int64); y[0:2] = x; print(y, y.requires_grad)",
    "setitem_recorded_second_order": "x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(3); "
                                     "y[1:] = x * x\n"
                                     "(g,) = torch.autograd.grad((y * y).sum(), x, create_graph=True); print(g); "
                                     "g.sum().backward(); print(x.grad)",
    "setitem_recorded_chain_of_writes": "x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(2, 2); "
                                        "y[0] = x; y[1] = x * 3; y[:, 0] = 7\n"
                                        "print(y.grad_fn.name()); "
                                        "(y * torch.tensor([[1., 2], [3, 4]])).sum().backward(); print(x.grad)",
    "setitem_recorded_retain_grad_moves": "x = torch.tensor([1., 2.], requires_grad=True); y = x * 1; y.retain_grad(); "
                                          "y[0] = 5\n"
                                          "(y * y).sum().backward(); print(y.grad, x.grad)",
    "setitem_recorded_saved_then_written": "x = torch.tensor([1., 2.], requires_grad=True); y = x * 1; z = y * y; "
                                           "y[0] = 5; "
                                           "z.sum().backward()",
    "setitem_recorded_leaf_refused": "x = torch.ones(2, requires_grad=True); x[0] = 3",
    "setitem_recorded_value_shape_error": "x = torch.ones(3, requires_grad=True); y = torch.zeros(2); y[0:2] = x",
    "setitem_recorded_version": "x = torch.ones(2, requires_grad=True); y = torch.zeros(3); y[1:] = x; "
                                "print(y._version, y.is_leaf, y.requires_grad)",
    "setitem_recorded_copy_whole_name": "x = torch.ones(3, requires_grad=True); y = torch.zeros(3); y[0:3] = x; "
                                        "print(y.grad_fn.name()); y[...] = x; print(y.grad_fn.name()); y[()] = x; "
                                        "print(y.grad_fn.name())",
    "setitem_recorded_number_whole_name": "x = torch.ones(3, requires_grad=True); y = x * 1; y[...] = 5; "
                                          "print(y.grad_fn.name()); y.sum().backward(); print(x.grad)",
    "setitem_recorded_list_key_warns_once": "import warnings\n"
                                            "x = torch.ones(2, requires_grad=True); y = torch.zeros(2, 3)\n"
                                            "with warnings.catch_warnings(record=True) as w:\n"
                                            "    warnings.simplefilter('always'); "
                                            "y[[0, slice(None)]] = x[0] * torch.ones(3); print(len(w))\n"
                                            "y.sum().backward(); print(x.grad)",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_inplace_as_pytorch(name: str) -> None:
    assert run_snippet(engine, SNIPPETS[name]) == run_snippet(torch, SNIPPETS[name])


UNARY = ["neg_", "abs_", "exp_", "exp2_", "log_", "log2_", "log10_", "log1p_", "expm1_", "sqrt_", "rsqrt_", "square_",
         "reciprocal_", "sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "sinh_", "cosh_", "tanh_", "sigmoid_",
         "relu_", "sign_", "floor_", "ceil_", "round_", "trunc_"]


@pytest.mark.parametrize("method", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_inplace_is_the_op_written_back(method: str, dtype: str) -> None:
    values = np.array([0.3, -0.6, 0.9, 0.0], dtype=dtype)
    results = []
    for lib in (torch, engine):
        x = lib.tensor(values.copy())
        y = getattr(x, method)()
        assert y is x
        results.append(x.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6 if dtype == "float32" else 1e-12, equal_nan=True)


def test_recorded_setitem_is_differentiable_twice() -> None:
    """Writes into a tensor in a graph (a slice, an advanced key, a mask, a number), in
    float64: first and second derivatives against finite differences."""
    mask = engine.tensor([[True, False, True], [False, False, True]])

    def f(x: Any, v: Any) -> Any:
        y = x * x
        y[0, [0, 2]] = v[1:] * v[:2]
        y[1:, 1] = v[0].exp()
        y[mask] = -y[mask] * v[1]
        y[0, 1] = 3.0
        return (y * y.sin()).sum()

    x = engine.tensor(np.random.default_rng(0).uniform(-1, 1, (2, 3)), requires_grad=True)
    v = engine.tensor([0.3, -0.7, 0.5], dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(f, (x, v))
    assert engine.autograd.gradgradcheck(f, (x, v))


def test_writes_through_views_match_finite_differences() -> None:
    """In-place ops and x[key] = v through views (CopySlices on the base, AsStrided for its views, one
    taken before the writes): first and second derivatives by gradcheck and gradgradcheck, float64."""

    def f(x: Any, v: Any) -> Any:
        y = x * 2
        early = y[1]  # taken before the writes: reads their result afterwards
        y[0].mul_(v)
        y[:, 1] += v[:2].exp()
        row = y[1]
        row[0] = v[2] * v[0]
        y.view(6)[1:4].pow_(2)
        y.t()[2].sigmoid_()  # (last: it saves its output, which a later write would make backward refuse)
        zeros = engine.zeros(3, dtype=engine.float64)
        zeros[1:].add_(v[1:] * early[1:])  # a base that required no grad takes v's history
        return (y * y.cos()).sum() + (early * v).sum() + (zeros ** 2).sum()

    x = engine.tensor(np.random.default_rng(0).uniform(-1, 1, (2, 3)), requires_grad=True)
    v = engine.tensor([0.3, -0.7, 0.5], dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(f, (x, v))
    assert engine.autograd.gradgradcheck(f, (x, v))


def test_recorded_inplace_gradients_match_finite_differences() -> None:
    """x -> y = x * 3; y += x; y.mul_(x); y.sigmoid_(): the recorded in-place chain's gradient, in float64."""

    def f(v: np.ndarray) -> float:
        x = engine.tensor(v)
        y = x * 3
        y += x
        y.mul_(x)
        y.sigmoid_()
        return float(y.sum().item())

    v = np.array([0.2, -0.4, 0.7])
    x = engine.tensor(v, requires_grad=True)
    y = x * 3
    y += x
    y.mul_(x)
    y.sigmoid_()
    y.sum().backward()
    eps = 1e-6
    numeric = [(f(v + eps * e) - f(v - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-7)


# x[key] = v over the whole tensor is a copy or a fill, whose nodes keep nothing (a second backward
# runs, as PyTorch's); over a part, CopySlices / IndexPutBackward0, which refuse it
@pytest.mark.parametrize("code", [
    "y[...] = torch.ones(3); y.sum().backward(); y.sum().backward(); print(y.grad_fn.name(), x.grad)",
    "y[:] = 2.0; y.sum().backward(); y.sum().backward(); print(y.grad_fn.name(), x.grad)",
    "v = torch.ones(1, 3, requires_grad=True); y[:] = v * 2; y.sum().backward(); print(y.grad_fn.name(), v.grad)",
    "v = torch.tensor(3., requires_grad=True); y[...] = v; (y * x).sum().backward(); print(y.grad_fn.name(), v.grad)",
    "y[[0, 1]] = 2.0; y.sum().backward(); y.sum().backward()",
    "y[0:2] = 2.0; y.sum().backward(); y.sum().backward()",
    "z = x[0].clone(); z[...] = torch.tensor(2.); print(z.grad_fn.name()); z[...] = 5.0; print(z.grad_fn.name())",
])
def test_assignment_nodes_as_pytorch(code: str) -> None:
    code = "x = torch.ones(3, requires_grad=True); y = x.clone()\n" + code
    assert run_snippet(engine, code) == run_snippet(torch, code)


def test_a_cast_to_the_ops_dtype_overflows_quietly() -> None:
    """1e5 in float16 is inf, as PyTorch gives it, with no NumPy warning about the cast."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = engine.ones(3, dtype=engine.float16) * 70000
    assert np.isinf(out.numpy()).all()
