"""In-place ops and item assignment on views while autograd records a graph, against PyTorch.

Writing into a view (``y[0] += 1``, ``y.t().add_(1)``, ``v = y[1:]; v.exp_()``, ``y[0][1] = w``)
changes its base too, so PyTorch rewrites the base's history: the base takes a ``CopySlices`` node
that runs the in-place op's derivative on the written part and passes the rest through, and every
view of that base, whenever it was taken, regenerates its ``grad_fn`` (``AsStridedBackward0``) to
read the new values. This table pins that behaviour: values, ``grad_fn`` names, ``requires_grad``,
first and second derivatives, and PyTorch's words where it refuses (pieces of ``split``/``chunk``/
``unbind``, views of leaves, views made under ``no_grad``, saved tensors changed through a view,
expanded views, a second backward). Each snippet runs under ``torch`` and under ``engine`` (as
``torch``); what it prints and the error it ends with must match.

Values are small and exactly representable (integers, halves, powers of two as weights; the one
``exp_`` runs in float64), so printed tensors compare exactly.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine.ops.strided import strided_index

from .oracle import run_snippet

# Every snippet starts with ``node(t)``: the name of ``t.grad_fn``, or None (printed, so that a missing
# node is a difference in the output rather than an AttributeError).
PRELUDE = """\
def node(t):
    return None if t.grad_fn is None else t.grad_fn.name()
"""
# and, unless it says otherwise, with a 2x3 leaf that requires grad and weights whose sums tell
# positions apart (powers of two), for ``(y * k).sum().backward()``
SETUP = """\
x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
k = torch.tensor([[1., 2., 4.], [8., 16., 32.]])
"""


def case(name: str, code: str, setup: bool = True) -> Any:
    """A snippet: the prelude, the shared ``x``/``k`` lines unless ``setup`` is false, then ``code`` dedented."""
    return pytest.param(PRELUDE + (SETUP if setup else "") + textwrap.dedent(code).strip() + "\n", id=name)


SNIPPETS = [
    # 1. an in-place op on a view of a tensor in the graph: the base takes CopySlices
    case("iadd_row", """
        y = x * 2
        y[0] += 1
        print(y, node(y))
        (y * k).sum().backward(); print(x.grad)
    """),
    case("iadd_element_of_vector", """
        a = torch.tensor([1., 2., 3.], requires_grad=True); y = a * a
        y[1] += 5
        print(y, node(y)); y.sum().backward(); print(a.grad)
    """, setup=False),
    case("column_mul_", """
        y = x * 1
        y[:, 0].mul_(3)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("transpose_add_", """
        y = x * 1
        r = y.t().add_(1)
        print(r.shape, y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("slice_exp_reads_its_output", """
        y = x.double() - 4
        v = y[1:]
        v.exp_()
        print(y, node(v), node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("view_then_slice_zero_", """
        y = x * 3
        y.view(6)[2:4].zero_()
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("reshape_row_fill_", """
        y = x * 3
        y.reshape(3, 2)[1].fill_(-1.)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("unsqueeze_select_neg_", """
        y = x * 1
        y.unsqueeze(0)[0].neg_()
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("narrow_mul_by_grad_tensor", """
        w = torch.tensor([2., 0.5], requires_grad=True)
        y = x * 1
        y.narrow(1, 1, 2).mul_(w)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("row_mul_by_grad_tensor_reads_old_row", """
        w = torch.tensor([2., -1., 0.5], requires_grad=True)
        y = x * 2
        y[1].mul_(w)
        print(y); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("row_pow_", """
        y = x * 1
        y[0].pow_(2)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("column_sigmoid_", """
        y = x - x.detach()
        y[:, 1].sigmoid_()
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("row_div_by_grad_tensor", """
        d = torch.tensor([1., 2., 4.], requires_grad=True)
        y = x * 4
        y[1].div_(d)
        print(y); (y * k).sum().backward(); print(x.grad, d.grad)
    """),
    case("strided_flatten_slice", """
        y = x * 1
        y.flatten()[::2].mul_(-2)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("views_of_a_view_permute_squeeze_view_as", """
        y = (x * 1).unsqueeze(0)
        y.permute(2, 0, 1)[1].add_(10); y.squeeze(0)[1].mul_(2); y.view_as(y)[0, 0, 0].sub_(1)
        print(y, node(y)); (y[0] * k).sum().backward(); print(x.grad)
    """),
    case("chained_slices", """
        y = x * 1
        y[1:][0][1:].mul_(4)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("two_rows_two_ops_then_base", """
        w = torch.tensor(3., requires_grad=True)
        y = x * 1
        y[0].mul_(w); y[1].add_(w); y.mul_(2)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("the_view_after_its_inplace", """
        y = x * 1
        v = y[0]
        r = v.add_(1)
        print(r is v, v, node(v), v.is_leaf, v._base is y)
        (v * v).sum().backward(); print(x.grad)
    """),
    case("view_squared_in_place_reads_itself", """
        y = x * 2
        v = y[0]
        v.mul_(v)
        print(y, node(y), node(v)); y.sum().backward()
    """),
    case("relu_functional_inplace_on_view", """
        y = x - 3
        torch.nn.functional.relu(y[:, 1:], inplace=True)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("clamp_masked_fill_on_views", """
        y = x * 1
        y[0].clamp_(min=2.5); y[1].masked_fill_(torch.tensor([True, False, True]), 0.)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("expanded_view_refused", """
        a = torch.tensor([1., 2., 3.], requires_grad=True); y = a * 1
        y.expand(2, 3).add_(1)
    """, setup=False),
    case("retain_grad_on_base_follows_it", """
        y = x * 1
        y.retain_grad()
        y[0].mul_(3)
        (y * k).sum().backward(); print(y.grad, x.grad)
    """),
    # 2. item assignment into a view
    case("setitem_into_row_view", """
        y = x * 1
        v = y[0]
        v[1] = 5.0
        print(y, node(y), node(v)); (y * k).sum().backward(); print(x.grad)
    """),
    case("setitem_into_row_grad_value", """
        w = torch.tensor(7., requires_grad=True)
        y = x * 1
        y[0][1] = w * 2
        print(y, node(y)); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("setitem_into_column_view", """
        y = x * 1
        y[:, 1][0] = -2
        print(y); (y * k).sum().backward(); print(x.grad)
    """),
    case("setitem_into_transpose", """
        w = torch.tensor([0.5, 1.5], requires_grad=True)
        y = x * 1
        y.t()[2] = w
        print(y); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("setitem_slice_of_flat_view", """
        w = torch.tensor([-1., -2.], requires_grad=True)
        y = x * 1
        y.view(6)[2:4] = w * w
        print(y, node(y)); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("setitem_advanced_key_into_view", """
        w = torch.tensor([-1., -2.], requires_grad=True)
        y = x * 1
        v = y[1]
        v[[0, 2]] = w
        print(y, node(y)); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("setitem_mask_into_view", """
        y = x * 1
        v = y[1]
        v[v > 4.5] = 0.
        print(y); (y * k).sum().backward(); print(x.grad)
    """),
    case("setitem_into_view_of_plain_tensor", """
        y = torch.zeros(2, 3)
        y[0][1:] = x[1, :2] * 2
        print(y, y.requires_grad, y.is_leaf, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    # 3. a view taken before its base changes, used after: its grad_fn is regenerated from the base
    case("view_before_base_mul_", """
        y = x * 1
        v = y[0]
        y.mul_(3)
        print(v, node(v), v.requires_grad)
        (v * k[0]).sum().backward(); print(x.grad)
    """),
    case("view_before_base_setitem", """
        w = torch.tensor([7., 8., 9.], requires_grad=True)
        y = x * 1
        v = y[0]
        y[1] = w
        print(v, node(v)); (v * k[0]).sum().backward(); print(x.grad, w.grad)
    """),
    case("view_before_overlapping_sibling_inplace", """
        w = torch.tensor([2., 3.], requires_grad=True)
        y = x * 1
        a = y[0]; b = y[:, 0]
        b.mul_(w)
        print(a, node(a)); (a * k[0]).sum().backward(); print(x.grad, w.grad)
    """),
    case("view_before_disjoint_sibling_inplace", """
        y = x * 1
        a = y[0]; b = y[1]
        b.zero_()
        print(a, node(a)); (a * k[0]).sum().backward(); print(x.grad)
    """),
    case("view_of_view_before_base_add_", """
        y = x * 1
        v = y[1][1:]
        y.add_(x)
        print(v, node(v)); (v * v).sum().backward(); print(x.grad)
    """),
    case("view_before_base_changed_twice", """
        y = x * 1
        v = y.t()
        y[0].add_(1); y.mul_(x)
        print(v, node(v)); (v * k.t()).sum().backward(); print(x.grad)
    """),
    case("view_used_before_and_after", """
        y = x * 1
        v = y[0]
        z1 = v * 2
        y.mul_(3)
        z2 = v * 2
        print(z1, z2); (z1 + z2).sum().backward(); print(x.grad)
    """),
    case("view_before_base_changed_through_detach", """
        y = x * 1
        v = y[0]
        y.detach().mul_(3)
        print(v, node(v)); v.sum().backward(); print(x.grad)
    """),
    case("view_before_base_changed_under_no_grad", """
        y = x * 1
        v = y[0]
        with torch.no_grad():
            y.mul_(3)
        print(v, node(v)); v.sum().backward(); print(x.grad)
    """),
    # 4. a base outside the graph, written through a view with a tensor in the graph
    case("plain_base_view_add_", """
        a = torch.tensor([1., 2.], requires_grad=True)
        y = torch.zeros(3)
        v = y[:2]
        v.add_(a)
        print(y, y.requires_grad, y.is_leaf, node(y), v.requires_grad)
        (y * torch.tensor([1., 2., 4.])).sum().backward(); print(a.grad)
    """, setup=False),
    case("plain_base_earlier_view_sees_graph", """
        a = torch.tensor([1., 2., 3.], requires_grad=True)
        y = torch.zeros(3)
        v = y[1:]
        y.add_(a)
        print(v, v.requires_grad, node(v)); (v * v).sum().backward(); print(a.grad)
    """, setup=False),
    case("plain_base_mul_by_grad_tensor", """
        a = torch.tensor([1., 2.], requires_grad=True)
        y = torch.ones(2, 2) * 3
        y.t()[1].mul_(a)
        print(y, node(y)); (y * torch.tensor([[1., 2.], [4., 8.]])).sum().backward(); print(a.grad)
    """, setup=False),
    case("plain_base_view_of_view", """
        a = torch.tensor([1., 2.], requires_grad=True)
        y = torch.zeros(4)
        b = y[1:]
        b[0:2].add_(a)
        print(node(y), node(b), b._base is y, b)
        (b * torch.tensor([1., 2., 4.])).sum().backward(); print(a.grad)
    """, setup=False),
    # 5. second order through CopySlices
    case("second_order_imul_by_element", """
        a = torch.tensor([1., 2.], requires_grad=True)
        y = a ** 2
        y[0] *= a[1]
        g, = torch.autograd.grad(y.sum(), a, create_graph=True)
        print(g); g.sum().backward(); print(a.grad)
    """, setup=False),
    case("second_order_setitem_grad_value", """
        y = x * x
        y[0][0] = x[1, 1] ** 3
        g, = torch.autograd.grad((y * k).sum(), x, create_graph=True)
        print(g); (g * g).sum().backward(); print(x.grad)
    """),
    case("second_order_view_taken_before", """
        y = x * 1
        v = y[1:]
        y.mul_(x)
        g, = torch.autograd.grad((v * v).sum(), x, create_graph=True)
        print(g); g.sum().backward(); print(x.grad)
    """),
    case("second_order_div_on_view", """
        d = torch.tensor([1., 2., 4.], requires_grad=True)
        y = x * 1
        y[0].div_(d)
        gx, gd = torch.autograd.grad((y * k).sum(), (x, d), create_graph=True)
        print(gx, gd); gd.sum().backward(); print(x.grad, d.grad)
    """),
    # 6. refused, in PyTorch's words
    case("split_piece_inplace_refused", """
        a, b = (x * 1).split(1)
        b.add_(1)
    """),
    case("chunk_piece_inplace_refused", """
        a, b = (x * 1).chunk(2, dim=1)
        a.mul_(2)
    """),
    case("unbind_piece_inplace_refused", """
        rows = (x * 1).unbind()
        rows[1].zero_()
    """),
    case("split_sizes_piece_inplace_refused", """
        a, b = (x * 1).split([1, 2], dim=1)
        b.exp_()
    """),
    case("view_of_piece_inplace_refused", """
        a, b = (x * 1).split(1)
        b[0].add_(1)
    """),
    case("slice_of_piece_inplace_refused", """
        a, b = (x * 1).split(1)
        b[:, 1:].add_(1)
    """),
    case("setitem_into_piece_refused", """
        rows = (x * 1).unbind(1)
        rows[0][0] = 3
    """),
    case("piece_changed_under_no_grad_then_used", """
        a, b = (x * 1).split(1)
        with torch.no_grad():
            b.mul_(2)
        print(b); (b * k[1]).sum().backward(); print(x.grad)
    """),
    case("view_of_leaf_inplace_refused", """
        x[0].add_(1)
    """),
    case("setitem_into_view_of_leaf_refused", """
        x.t()[0][1] = 1
    """),
    case("no_grad_view_modified_in_grad_mode_refused", """
        y = x * 1
        with torch.no_grad():
            v = y[0]
        v.mul_(2)
    """),
    case("saved_input_changed_through_view", """
        y = x * 1
        z = y * y
        y[0].add_(1)
        z.sum().backward()
    """),
    case("saved_output_changed_through_view", """
        y = x.exp()
        y[1:].mul_(2)
        y.sum().backward()
    """),
    case("view_sigmoid_then_base_changed", """
        y = x * 1
        y[0].sigmoid_()
        y.mul_(2)
        y.sum().backward()
    """),
    case("second_backward_through_copyslices_refused", """
        y = x * 2
        y[0].mul_(3)
        y.sum().backward(); print(x.grad)
        y.sum().backward()
    """),
    case("second_backward_with_retain_graph", """
        y = x * 2
        y[0].mul_(3)
        y.sum().backward(retain_graph=True); y.sum().backward(); print(x.grad)
    """),
    # 7. what keeps working: nothing requires grad, no_grad, detached aliases
    case("views_outside_any_graph", """
        y = torch.arange(6.).reshape(2, 3)
        y[0].add_(1); y.t()[2].mul_(2); y.view(6)[1:3] = -1.; y[1][0] = 9
        print(y, y.requires_grad, node(y))
    """, setup=False),
    case("plain_base_plain_value", """
        y = torch.zeros(3); v = y[1:]
        v.add_(torch.ones(2)); v[0] = 4
        print(y, y.requires_grad, v.requires_grad, node(y), node(v))
    """, setup=False),
    case("no_grad_write_into_view_of_graph_tensor", """
        y = x * 2
        with torch.no_grad():
            y[0].mul_(2); y[1][1] = 0.
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("no_grad_write_into_view_of_leaf", """
        with torch.no_grad():
            x[0].add_(1); x.t()[2] = 0.
        print(x, x.is_leaf, node(x)); (x * x).sum().backward(); print(x.grad)
    """),
    case("detached_leaf_setitem", """
        x.detach()[0] = 1
        print(x, x.requires_grad, x.is_leaf, node(x)); (x * k).sum().backward(); print(x.grad)
    """),
    case("data_view_inplace", """
        y = x * 1
        y.data[0].zero_()
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
]


@pytest.mark.parametrize("code", SNIPPETS)
def test_view_inplace_as_pytorch(code: str) -> None:
    assert run_snippet(engine, code) == run_snippet(torch, code)


# where a view reads in its base: the rule every write through a view is recorded with
_BASE = np.arange(24.0).reshape(4, 6)
_NOT_CONTIGUOUS = np.arange(24.0).reshape(6, 4).T
VIEWS = [
    pytest.param(_BASE, lambda b: b[1], id="row"), pytest.param(_BASE, lambda b: b[:, 2], id="column"),
    pytest.param(_BASE, lambda b: b.T, id="transpose"), pytest.param(_BASE, lambda b: b[::-1, ::2], id="steps"),
    pytest.param(_BASE, lambda b: b.reshape(24)[3:9].reshape(2, 3), id="reshaped"),
    pytest.param(_BASE, np.diagonal, id="diagonal"), pytest.param(_BASE, lambda b: b[2:2], id="empty"),
    pytest.param(_BASE, lambda b: b[1, 2, ...], id="0-d"),
    pytest.param(_BASE, lambda b: b[None, 1:, None], id="unsqueezed"),
    pytest.param(_NOT_CONTIGUOUS, lambda b: b[1], id="of-a-transposed-base"),
    pytest.param(_NOT_CONTIGUOUS, lambda b: b[:, ::-1], id="reversed-of-a-transposed-base"),
    pytest.param(_NOT_CONTIGUOUS[::2], lambda b: b.T[1:], id="of-a-base-with-gaps"),
]


@pytest.mark.parametrize(("base", "view"), VIEWS)
def test_strided_index_reads_where_the_view_reads(base: np.ndarray, view: Any) -> None:
    v = view(base)
    index = strided_index(base, v)
    assert index is not None and index.shape == v.shape and index.dtype == np.int64
    np.testing.assert_array_equal(base.reshape(-1)[index], v)  # (C-order positions, whatever the layout)


def test_strided_index_of_memory_elsewhere_is_none() -> None:
    assert strided_index(_BASE, np.arange(3.0)) is None
    assert strided_index(_BASE, _BASE.reshape(-1).view(np.int64)) is None  # (another dtype)


# what an audit against PyTorch found after CopySlices landed: overlapping operands, float16 writes,
# detach_ on views, hooks on a view's old node, views made under no_grad
AUDIT_SNIPPETS = [
    "a = torch.arange(6.); a[1:].add_(a[:5])",
    "a = torch.arange(6.); a[::2].add_(a[1::2]); a[:3].add_(a[3:]); a.add_(a); print(a)",
    "a = torch.arange(6.); a[1:] = a[:5]",
    "a = torch.arange(6.); a[:3] = a[3:]; print(a)",
    "a = torch.arange(6.); a[[1, 2]] = a[:2]",
    "a = torch.arange(4.); a.view(2, 2).copy_(a.view(2, 2).t())",
    "a = torch.arange(6.); a[1:].clamp_(min=a[:5])",
    "a = torch.arange(6.); a[1:].mul_(a[:5].clone()); print(a)",
    "y = x * 1; y.view(-1)[1:].add_(y.view(-1)[:5])",
    "h = torch.tensor([1., 2.], dtype=torch.float16); h[0] = 1e40; h[1] = -70000; print(h)",
    "h = torch.tensor([1., 2.], dtype=torch.float16); h[0] = torch.tensor(1e6); print(h)",
    "f = torch.tensor([1., 2.]); f[0] = 1e300",
    "y = x * 1; y[0].detach_()",
    "torch.arange(4.)[1:].detach_()",
    "y = x * 2; v = y[1]; h = []; v.register_hook(lambda g: h.append(g.clone()))\n"
    "v.mul_(3); (y * k).sum().backward(); print(h, x.grad)",
    "with torch.no_grad():\n    v = x[1]; w = x.view(6); u = x.unsqueeze(0)\n"
    "print(v.requires_grad, v.is_leaf, node(v), w.requires_grad, u.requires_grad, (v * 2).requires_grad)",
    "with torch.no_grad():\n    v = x.view(3, 2)\n(v * 2).sum().backward(); print(x.grad, v.grad, node(v * 2))",
    "y = x * 1\nwith torch.no_grad():\n    w = y[1:]\nprint(w.requires_grad, w.is_leaf); w.mul_(2)",
    "with torch.no_grad():\n    v = x[1:]\nv[0] = 2.",
    "p = torch.arange(4.)\nwith torch.no_grad():\n    q = p[1:]\nprint(q.requires_grad)",
]


@pytest.mark.parametrize("code", [case(f"audit-{i}", code) for i, code in enumerate(AUDIT_SNIPPETS)])
def test_audit_findings_as_pytorch(code: str) -> None:
    assert run_snippet(engine, code) == run_snippet(torch, code)


# writes through an expanded tensor: where the written elements are distinct (a row of it), as PyTorch;
# fill_/zero_/masked_fill_ anyway; the rest refused in PyTorch's words; recorded through CopySlices
EXPAND_SNIPPETS = [
    *("a = torch.zeros(3); e = a.expand(2, 3)\n" + c + "\nprint(a)" for c in (
        "e.copy_(torch.ones(2, 3))", "e.add_(1)", "e.zero_()", "e.fill_(2.)",
        "e.masked_fill_(torch.ones(2, 3, dtype=torch.bool), 3.)", "e.clamp_(0, 1)", "e[0] = 5", "e[:, 1] = 5",
        "e[[0]] = 6", "e[0].add_(1)", "e.t()[1].mul_(2)", "e[0].copy_(torch.arange(3.))")),
    "y = x[0] * 1; v = y.expand(2, 3); v[1].mul_(2); (v * k).sum().backward(); print(node(v), y, x.grad)",
    "y = x[0] * 1; e = y.expand(2, 3); e[0].add_(1); (e * k).sum().backward(); print(node(e), y, x.grad)",
    "y = x[:, 0] * 1; e = y.unsqueeze(1).expand(2, 3); e[:, 0] = 0; (e * k).sum().backward(); print(y, x.grad)",
    "y = x[:, 0] * 1; e = y.unsqueeze(1).expand(2, 3); e[:, 1:] = 0",
    "y = x[0] * 1; e = y.expand(3, 3); e.zero_(); print(y, node(y))",
    "e = x.expand(3, 2, 3); e[0] = 1",
    "z = torch.zeros(3); e = z.expand(2, 3); w = x[1] * 1; e[1] = w\n"
    "(e * k).sum().backward(); print(z, x.grad, node(e))",
]


@pytest.mark.parametrize("code", [case(f"expand-{i}", code) for i, code in enumerate(EXPAND_SNIPPETS)])
def test_writes_through_expanded_views_as_pytorch(code: str) -> None:
    assert run_snippet(engine, code) == run_snippet(torch, code)
