"""The views select, diagonal, swapaxes/swapdims, movedim, unflatten and ``Tensor.copy_`` against PyTorch.

Each view is checked through the oracle (values, dtypes, grad_fn names, first and second derivatives,
the entry's shape and dtype rules) over 0-d (where valid), 1-d, rank-3 and size-1 shapes, negative dims,
float32 and float64; its errors word for word; and that it is a real view: writes through it reach
its base, and an in-place op on it while recording gives PyTorch's values and gradients (``CopySlices``).
``copy_`` is checked for PyTorch's broadcasting, dtype conversion, recording (``CopyBackwards``), leaf
refusal, argument words and second derivatives.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine.autograd import gradcheck, gradgradcheck

from .oracle import FLOATS, T, check, run_snippet
from .test_indexing import check_error, compare

Shape = tuple[int, ...]

# -- select -------------------------------------------------------------------------------------

SELECTS: list[tuple[Shape, int, int]] = [
    ((3,), 0, 1), ((3,), -1, -1), ((2, 3, 4), 1, 0), ((2, 3, 4), -1, -2), ((2, 3, 4), 0, -2), ((2, 1, 3), 1, 0),
    ((2, 1, 3), -3, 1), ((0, 3), 1, 2),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "index"), SELECTS)
def test_select(shape: Shape, dim: int, index: int, dtype: str) -> None:
    check("select", T(shape, dtype), dim, index)
    check("select", T(shape, dtype), dim, index, method=True)
    check("select", T(shape, dtype), dim=dim, index=index)


def test_select_tensor_index_and_compositions() -> None:
    compare(lambda lib, x: x.select(1, lib.tensor(2)), T((2, 3, 4)))
    compare(lambda lib, x: x.select(0, 1).select(-1, 0) ** 2, T((2, 3, 4)))
    compare(lambda lib, x: x.t().select(0, 2), T((2, 3)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.select(1, 3), lambda lib, x: x.select(-2, -4), lambda lib, x: x.select(3, 0),
        lambda lib, x: x.select(1, 1.5), lambda lib, x: lib.select(x, 1.0, 0), lambda lib, x: x.select(1, True),
        lambda lib, x: x.select(0), lambda lib, x: lib.select(x, 1),
        lambda lib, x: x.select(1, lib.tensor(1.0)), lambda lib, x: x[0, 0, 0].select(0, 0),
        lambda lib, x: lib.zeros(0, 3).select(0, 0),
    ],
)
def test_select_errors(fn: Any) -> None:
    check_error(fn, T((2, 3, 4)))


# -- diagonal -----------------------------------------------------------------------------------

DIAGONALS: list[tuple[Shape, int, int, int]] = [
    ((3, 3), 0, 0, 1), ((3, 3), 1, 0, 1), ((3, 3), -2, 0, 1), ((3, 3), 10, 0, 1), ((3, 3), -3, 1, 0),
    ((2, 3, 4), 0, 0, 1), ((2, 3, 4), 1, -1, 0), ((2, 3, 4), -1, 2, 1), ((2, 3, 4), 2, 0, -1), ((2, 3, 4), 5, 1, 2),
    ((2, 1, 3), 0, 2, 0), ((0, 3), 0, 0, 1), ((2, 0, 3), 1, 0, 2),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "offset", "dim1", "dim2"), DIAGONALS)
def test_diagonal(shape: Shape, offset: int, dim1: int, dim2: int, dtype: str) -> None:
    check("diagonal", T(shape, dtype), offset, dim1, dim2)
    check("diagonal", T(shape, dtype), offset=offset, dim1=dim1, dim2=dim2, method=True)


def test_diagonal_defaults_and_compositions() -> None:
    check("diagonal", T((3, 4)))
    check("diagonal", T((3, 4)), method=True)
    compare(lambda lib, x: x.diagonal(dim1=1, dim2=2), T((2, 3, 4)))
    compare(lambda lib, x: (x * x).diagonal(-1) ** 3, T((4, 4)))
    compare(lambda lib, x: x.t().diagonal(1), T((3, 4)))
    compare(lambda lib, x: x.diagonal().diagonal(), T((3, 3, 3)))


def test_diagonal_backward_is_a_node_whose_derivative_is_a_diagonal() -> None:
    code = """
    x = torch.arange(12., requires_grad=True).reshape(3, 4)
    v = torch.tensor([1., 2., 3.], requires_grad=True)
    g, = torch.autograd.grad(x.diagonal(1), x, v, create_graph=True)
    print(g, g.grad_fn.name())
    w = torch.arange(12.).reshape(3, 4)
    gg, = torch.autograd.grad((g * w).sum(), v, create_graph=True)
    print(gg)
    h, = torch.autograd.grad(g, v, w.requires_grad_(), create_graph=True)
    print(h, h.grad_fn.name())
    """
    code = textwrap.dedent(code)
    assert run_snippet(engine, code) == run_snippet(torch, code)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.diagonal(0, 0, 0), lambda lib, x: x.diagonal(0, 1, -2), lambda lib, x: x.diagonal(0, 0, 3),
        lambda lib, x: x.diagonal(0, -4, 0), lambda lib, x: x.diagonal(1.0), lambda lib, x: lib.diagonal(x, 0, 0, 1.0),
        lambda lib, x: x.diagonal(outdim=1), lambda lib, x: x[0, 0].diagonal(),
        lambda lib, x: x[0, 0, 0].diagonal(),
    ],
)
def test_diagonal_errors(fn: Any) -> None:
    check_error(fn, T((2, 3, 4)))


# -- swapaxes, swapdims -------------------------------------------------------------------------

SWAPS: list[tuple[Shape, int, int]] = [
    ((), 0, -1), ((3,), 0, 0), ((2, 3, 4), 0, 2), ((2, 3, 4), -1, 0), ((2, 3, 4), 1, 1), ((2, 1, 3), -2, -1),
    ((0, 3), 1, 0),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim0", "dim1"), SWAPS)
def test_swapaxes_swapdims(shape: Shape, dim0: int, dim1: int, dtype: str) -> None:
    check("swapaxes", T(shape, dtype), dim0, dim1)
    check("swapaxes", T(shape, dtype), axis0=dim0, axis1=dim1, method=True)
    check("swapdims", T(shape, dtype), dim0, dim1)
    check("swapdims", T(shape, dtype), dim0=dim0, dim1=dim1, method=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.swapaxes(0, 3), lambda lib, x: lib.swapdims(x, -4, 0), lambda lib, x: x.swapaxes(0, 1.0),
        lambda lib, x: lib.swapaxes(x, 0.5, 1), lambda lib, x: x.swapdims(0, 1.0), lambda lib, x: x.swapaxes(0),
        lambda lib, x: x.swapdims(0),
    ],
)
def test_swap_errors(fn: Any) -> None:
    check_error(fn, T((2, 3, 4)))


# -- movedim ------------------------------------------------------------------------------------

MOVES: list[tuple[Shape, Any, Any]] = [
    ((), 0, 0), ((), -1, 0), ((), (), ()), ((3,), 0, -1), ((2, 3, 4), 0, 2), ((2, 3, 4), -1, 0), ((2, 3, 4), 1, 1),
    ((2, 3, 4), (0, 1), (2, 0)), ((2, 3, 4), [0], [-1]), ((2, 3, 4), (0, 1, 2), (2, 1, 0)), ((2, 3, 4), (), ()),
    ((2, 1, 3), (-1, 0), (0, 1)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "source", "destination"), MOVES)
def test_movedim(shape: Shape, source: Any, destination: Any, dtype: str) -> None:
    check("movedim", T(shape, dtype), source, destination)
    check("movedim", T(shape, dtype), source=source, destination=destination, method=True)
    check("moveaxis", T(shape, dtype), source, destination)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.movedim((0, 0), (1, 2)), lambda lib, x: x.movedim((0, 1), (1, 1)),
        lambda lib, x: x.movedim((0, -3), (1, 2)), lambda lib, x: x.movedim((0, 1), (1,)),
        lambda lib, x: x.movedim(3, 0), lambda lib, x: x.movedim((0, 5), (1, 2)), lambda lib, x: x.movedim(0, -4),
        lambda lib, x: x.movedim(0), lambda lib, x: x.movedim(0, 1.0), lambda lib, x: lib.movedim(x, 0, 1.0),
        lambda lib, x: x.movedim((0,), 1), lambda lib, x: x.movedim((0, 1), 1), lambda lib, x: lib.movedim(x, [0], 1),
        lambda lib, x: x.movedim(0, [1]), lambda lib, x: x.movedim([0, 1.0], [1, 2]),
        lambda lib, x: x[0, 0, 0].movedim(1, 0),
    ],
)
def test_movedim_errors(fn: Any) -> None:
    check_error(fn, T((2, 3, 4)))


# -- unflatten ----------------------------------------------------------------------------------

UNFLATTENS: list[tuple[Shape, int, Any]] = [
    ((6,), 0, (2, 3)), ((6,), -1, (-1, 3)), ((6,), 0, [6]), ((2, 6, 1), 1, (3, 1, 2)), ((2, 6, 1), -2, (2, -1)),
    ((2, 6, 1), 2, (1, 1)), ((2, 6, 1), 0, (1, 2, 1)), ((0, 3), 1, (3, 1)), ((0, 3), 0, (0, 5)), ((2, 0), 1, (0, 5)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "sizes"), UNFLATTENS)
def test_unflatten(shape: Shape, dim: int, sizes: Any, dtype: str) -> None:
    check("unflatten", T(shape, dtype), dim, sizes)
    check("unflatten", T(shape, dtype), dim=dim, sizes=sizes, method=True)


def test_unflatten_of_strided_inputs_is_a_view() -> None:
    compare(lambda lib, x: x.transpose(0, 2).unflatten(0, (2, 2)), T((2, 3, 4)))
    compare(lambda lib, x: x[:, :, ::2].unflatten(2, (2, 1)) ** 2, T((2, 3, 4)))
    compare(lambda lib, x: x.unflatten(1, lib.Size([3, 1])), T((2, 3, 4)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.unflatten(1, (2, 2)), lambda lib, x: x.unflatten(-2, (2, 2)),
        lambda lib, x: x.unflatten(1, ()), lambda lib, x: lib.unflatten(x, 1, ()),
        lambda lib, x: lib.unflatten(x, 5, ()), lambda lib, x: x.unflatten(5, ()),
        lambda lib, x: x.unflatten(1, (3, 0)), lambda lib, x: x.unflatten(3, (1,)),
        lambda lib, x: x.unflatten(-4, (1,)),
        lambda lib, x: x.unflatten(1, [3.0]), lambda lib, x: lib.unflatten(x, 1, [3.0]),
        lambda lib, x: lib.unflatten(x, 1, None), lambda lib, x: x.unflatten(1, None),
        lambda lib, x: x.unflatten(1.0, (3,)), lambda lib, x: lib.unflatten(x, 1.0, (3,)),
    ],
)
def test_unflatten_errors(fn: Any) -> None:
    check_error(fn, T((2, 3, 4)))


@pytest.mark.parametrize(
    ("shape", "dim", "sizes"), [((2, 3, 4), 1, (-1, -1)), ((2, 3, 4), 1, (-2, 1)), ((2, 0), 1, (-1, 0)), ((), 0, (1,))]
)
def test_unflatten_unexpected_errors(shape: Shape, dim: int, sizes: Any) -> None:
    """PyTorch wraps these in "unflatten got an unexpected error:" and the C++ error's words, which end with
    a C++ stack trace (frames, addresses): the engine's words are those lines without the trace."""
    with pytest.raises(RuntimeError) as t_err:
        torch.zeros(shape).unflatten(dim, sizes)
    with pytest.raises(RuntimeError) as e_err:
        engine.zeros(shape).unflatten(dim, sizes)
    t_lines = str(t_err.value).split("\n")
    e_lines = str(e_err.value).split("\n")
    assert e_lines == t_lines[: len(e_lines)] and len(e_lines) == 2
    assert t_lines[2].startswith("Exception raised from")


# -- dtypes that do not require grad ------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_non_float(dtype: str) -> None:
    spec = T((2, 3, 4), dtype, "bool" if dtype == "bool" else "int")
    for fn in (
        lambda lib, x: x.select(1, -1), lambda lib, x: x.diagonal(1, 2, 0), lambda lib, x: x.swapaxes(0, 2),
        lambda lib, x: lib.swapdims(x, 1, 2), lambda lib, x: x.movedim((0, 2), (1, 0)),
        lambda lib, x: x.unflatten(2, (2, -1)),
    ):
        compare(fn, spec)


# -- real views: writes through them, in place while recording -----------------------------------

PRELUDE = """\
def node(t):
    return None if t.grad_fn is None else t.grad_fn.name()
x = torch.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]], requires_grad=True)
k = torch.tensor([[1., 2., 4.], [8., 16., 32.], [64., 128., 256.]])
"""


def case(name: str, code: str) -> Any:
    return pytest.param(PRELUDE + textwrap.dedent(code).strip() + "\n", id=name)


VIEW_SNIPPETS = [
    case("writes_reach_the_base", """
        b = torch.zeros(3, 3)
        d = b.diagonal(); d.fill_(1.); b.select(1, 2).add_(10.); b.swapaxes(0, 1)[0].sub_(2.)
        b.movedim(1, 0)[1, 0] = 7.; b.unflatten(1, (3, 1))[2].mul_(3.); b.swapdims(-1, 0).diagonal(-1).add_(5.)
        print(b, d._base is b, b.select(0, 0)._base is b, b.movedim(0, 1)._base is b, b.unflatten(0, (1, 3))._base is b)
        print(b._version, b.diagonal()._version)
    """),
    case("diagonal_mul_", """
        y = x * 1
        y.diagonal().mul_(2)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("offset_diagonal_mul_by_grad_tensor", """
        w = torch.tensor([2., 3.], requires_grad=True)
        y = x * 2
        d = y.diagonal(-1)
        d.mul_(w)
        print(y, node(y), node(d)); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("select_add_", """
        y = x * 1
        y.select(1, 0).add_(1)
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("movedim_row_zero_", """
        y = x * 3
        y.movedim(0, 1)[0].zero_()
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("swapaxes_swapdims_pow_", """
        y = x * 1
        y.swapaxes(0, 1)[2].pow_(2); y.swapdims(1, 0)[0, 1:].neg_()
        print(y, node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("unflatten_setitem", """
        w = torch.tensor(5., requires_grad=True)
        y = x * 1
        y.unflatten(1, (1, 3))[1, 0, 2] = w * 2
        print(y, node(y)); (y * k).sum().backward(); print(x.grad, w.grad)
    """),
    case("view_taken_before_the_write_reads_new_values", """
        y = x * 1
        d = y.diagonal(); r = y.select(0, 2)
        y.mul_(2)
        print(node(d), node(r)); (d.sum() + (r * r).sum()).backward(); print(x.grad)
    """),
    case("views_of_a_leaf_refuse_in_place", """
        x.diagonal().mul_(2)
    """),
    case("select_of_leaf_refuses", """
        x.select(0, 1).zero_()
    """),
    case("views_of_a_leaf_under_no_grad", """
        with torch.no_grad():
            x.diagonal().mul_(2); x.select(1, 0).add_(1)
        print(x, x.requires_grad, node(x))
    """),
]


@pytest.mark.parametrize("code", VIEW_SNIPPETS)
def test_view_writes_as_pytorch(code: str) -> None:
    assert run_snippet(engine, code) == run_snippet(torch, code)


# -- copy_ --------------------------------------------------------------------------------------

COPY_SNIPPETS = [
    case("broadcast_and_refusals", """
        print(torch.zeros(2, 3).copy_(torch.tensor([1., 2., 3.])), torch.zeros(2, 3).copy_(torch.tensor(5.)))
        print(torch.zeros(2, 3).copy_(torch.ones(1, 3)), torch.zeros(0).copy_(torch.ones(1)))
        print(torch.zeros(()).copy_(torch.ones(())))
        for dst, src in [((3,), (1, 1, 3)), ((3,), (2, 3)), ((3,), (4,)), ((), (1,)), ((1,), (0,))]:
            try:
                torch.zeros(dst).copy_(torch.ones(src))
            except RuntimeError as e:
                print(e)
    """),
    case("dtypes_convert", """
        print(torch.zeros(2, 3, dtype=torch.long).copy_(torch.tensor([1.7, -2.7, 3.])))
        print(torch.zeros(3, dtype=torch.bool).copy_(torch.tensor([1.5, 0., -0.])))
        print(torch.zeros(3).copy_(torch.tensor([True, False, True])))
        print(torch.zeros(3, dtype=torch.int32).copy_(torch.tensor([2**40, 3, -4])))
        print(torch.zeros(3, dtype=torch.float64).copy_(torch.tensor([0.1, 0.2, 0.3])))
        print(torch.zeros(3, dtype=torch.float16).copy_(torch.tensor([1e6, 1., 2.])))
        print(torch.zeros(3).copy_(3), torch.zeros(2, dtype=torch.long).copy_(2.7))
        print(torch.zeros(2, dtype=torch.bool).copy_(2))
    """),
    case("returns_self_and_counts_a_version", """
        z = torch.zeros(3); a = z.view(3)
        r = z.copy_(torch.ones(3))
        print(r is z, z._version, a, a._version)
        z.copy_(torch.tensor(2.), non_blocking=True); z.copy_(other=torch.tensor([1., 2., 3.])); print(z)
    """),
    case("leaf_refused_in_grad_mode", """
        w = torch.zeros(3, requires_grad=True)
        w.copy_(torch.ones(3))
    """),
    case("leaf_number_refused_in_grad_mode", """
        x.copy_(3.5)
    """),
    case("leaf_under_no_grad", """
        w = torch.zeros(3, requires_grad=True)
        with torch.no_grad():
            r = w.copy_(torch.tensor([1., 2., 3.]))
        print(r is w, w, w.requires_grad, w.is_leaf, node(w), w._version)
    """),
    case("recorded_gradient_to_src_summed_and_cast", """
        s = torch.tensor([1., 2., 3.], dtype=torch.float64, requires_grad=True)
        y = x * 2
        y.copy_(s)
        print(y, y.dtype, node(y), y.requires_grad, y.is_leaf)
        (y * k).sum().backward(); print(x.grad, s.grad, s.grad.dtype)
    """),
    case("into_a_tensor_without_grad", """
        s = torch.tensor(1.5, requires_grad=True)
        a = torch.zeros(2, 3)
        a.copy_(s)
        print(a, node(a), a.requires_grad, a.is_leaf)
        (a * k[:2]).sum().backward(); print(s.grad)
    """),
    case("constant_into_graph_tensor_zeroes_old_gradient", """
        y = x * 1
        y.copy_(torch.tensor([4, 5, 6]))
        print(y, node(y), y.requires_grad); (y * k).sum().backward(); print(x.grad)
        y = x * 1
        y.copy_(0.5); print(y, node(y))
    """),
    case("integer_tensor_from_grad_src_is_untracked", """
        a = torch.zeros(2, 3, dtype=torch.long)
        print(a.copy_(x[:2] * 2), a.requires_grad, node(a))
        b = torch.zeros(3, dtype=torch.bool)
        print(b.copy_(x[0]), b.requires_grad)
    """),
    case("half_from_float_graph", """
        s = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)
        h = torch.zeros(3, dtype=torch.float16)
        h.copy_(s * 2)
        print(h, node(h)); (h * 2).sum().backward(); print(s.grad, s.grad.dtype)
    """),
    case("through_views_copy_slices", """
        s = torch.tensor([5., 6., 7.], requires_grad=True)
        y = x * 1
        y[0].copy_(s * 2); y.diagonal(1).copy_(torch.tensor(-1.)); y.select(1, 0)[2:].copy_(s[:1])
        print(y, node(y)); (y * k).sum().backward(); print(x.grad, s.grad)
    """),
    case("view_of_constant_base", """
        b = torch.zeros(2, 3)
        v = b[0].copy_(x[1])
        print(b, node(b), v, node(v)); (b * k[:2]).sum().backward(); print(x.grad)
    """),
    case("second_backward_through_copy_runs", """
        s = torch.tensor([1., 2., 3.], requires_grad=True)
        y = x + 0
        y.copy_(s)
        y.sum().backward(); y.sum().backward(); print(s.grad)
    """),
    case("copy_of_itself", """
        y = x * 1
        y.copy_(y); print(node(y)); (y * k).sum().backward(); print(x.grad)
    """),
    case("expanded_refused", """
        torch.ones(1).expand(3).copy_(torch.ones(3))
    """),
    case("no_grad_view_of_graph_tensor", """
        y = x * 1
        with torch.no_grad():
            v = y[0]
        v.copy_(torch.ones(3))
    """),
]


@pytest.mark.parametrize("code", COPY_SNIPPETS)
def test_copy_as_pytorch(code: str) -> None:
    assert run_snippet(engine, code) == run_snippet(torch, code)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, z: z.copy_(), lambda lib, z: z.copy_([1.0, 2.0, 3.0]), lambda lib, z: z.copy_(None),
        lambda lib, z: z.copy_(np.ones(3)), lambda lib, z: z.copy_(other=None), lambda lib, z: z.copy_(z, 1),
        lambda lib, z: z.copy_(z, None), lambda lib, z: z.copy_(z, non_blocking=1),
        lambda lib, z: z.copy_(z, False, 1), lambda lib, z: z.copy_(z, other=z), lambda lib, z: z.copy_(z, foo=1),
        lambda lib, z: z.copy_(src=z), lambda lib, z: z.copy_(non_blocking=True), lambda lib, z: z.copy_(lib.ones(4)),
        lambda lib, z: z.copy_(lib.ones(1, 3)),
    ],
)
def test_copy_errors(fn: Any) -> None:
    check_error(fn, T((3,), grad=False))


@pytest.mark.parametrize(
    ("dst", "src"),
    [(((2, 3), "float64"), ((3,), "float64")), (((2, 3), "float32"), ((), "float64")),
     (((3,), "float64"), ((3,), "float32")), (((2, 1, 3), "float32"), ((1, 3), "float32"))],
)
def test_copy_derivatives(dst: tuple[Shape, str], src: tuple[Shape, str]) -> None:
    # (mixed dtypes: a float64 src's second derivative runs through float32 math, summed in another order)
    order = 2 if dst[1] == src[1] else 1
    compare(lambda lib, x, s: (x * 2).copy_(s), T(*dst), T(*src))
    compare(lambda lib, x, s: (x * 1).copy_(s * s) * x, T(*dst), T(*src), order=order)
    compare(lambda lib, x, s: (x * 1).unsqueeze(0)[0].copy_(s.exp()), T(*dst), T(*src), order=order)


def _f64(*shape: int, seed: int = 0) -> engine.Tensor:
    rng = np.random.default_rng(seed)
    return engine.tensor(rng.standard_normal(shape), dtype=engine.float64, requires_grad=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, s: (x * 1).copy_(s * s) * x,  # broadcast src, squared: second derivatives through CopyBackwards
        lambda x, s: (x * 2).select(0, 1).copy_(s.sin()) * x[0],  # through a view: CopySlices
        lambda x, s: ((x * x).diagonal().copy_(s[:2] ** 3)) * s[1:],
    ],
)
def test_copy_gradgradcheck(fn: Any) -> None:
    x, s = _f64(2, 3), _f64(3, seed=1)
    assert gradcheck(fn, (x, s))
    assert gradgradcheck(fn, (x, s))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.select(1, -1) ** 2, lambda x: x.diagonal(1, 0, 2) ** 2, lambda x: x.swapaxes(0, 2).sin(),
        lambda x: x.movedim((0, 2), (1, 0)) ** 3, lambda x: x.unflatten(2, (2, -1)).exp(),
    ],
)
def test_views_gradgradcheck(fn: Any) -> None:
    x = _f64(2, 3, 4)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_is_view_as_pytorch() -> None:
    code = ("x = torch.arange(6.).reshape(2, 3); b = torch.arange(6.)\n"
            "print(b._is_view(), x._is_view(), x[0]._is_view(), x.t()._is_view(), (x + 1)._is_view(), "
            "x.detach()._is_view(), x.clone()._is_view(), x.diagonal()._is_view())")
    assert run_snippet(engine, code) == run_snippet(torch, code)


# the in-place view ops: shape and strides change over the same memory, the version moves on, and in a
# graph the node is the view op's with PyTorch's in-place name
INPLACE_VIEW_SNIPPETS = [
    "x = torch.ones(2, 3, requires_grad=True); y = x * 2\n"
    "y.unsqueeze_(0); a = (y.shape, y.grad_fn.name(), y._version)\n"
    "y.squeeze_(0); b = (y.shape, y.grad_fn.name(), y._version); y.t_(); c = (y.shape, y.grad_fn.name(), "
    "y.is_contiguous())\ny.transpose_(0, 1); d = y.grad_fn.name(); y.swapaxes_(0, 1)\n"
    "(y * torch.arange(6.).reshape(3, 2)).sum().backward(); print(a, b, c, d, y.grad_fn.name(), x.grad)",
    "x = torch.ones(2, 3, requires_grad=True); x.unsqueeze_(0)",
    "x = torch.ones(2, 3, requires_grad=True)\nwith torch.no_grad():\n    x.unsqueeze_(0)\n"
    "print(x.shape, x.is_leaf, x.requires_grad)",
    "z = torch.arange(6.).reshape(2, 3); v = z[0]; z.t_(); print(z, v, z._is_view(), z.stride())",
    "w = torch.ones(3); w.squeeze_(); w.unsqueeze_(1); print(w.shape, w.squeeze_(1).shape, w.swapdims_(0, 0).shape)",
    "y = torch.ones(1, 3, 1, requires_grad=True) * 1; a = y.clone(); a.squeeze_(); b = y.clone(); b.squeeze_(0)\n"
    "c = y.clone(); c.squeeze_((0, 2)); print(a.grad_fn.name(), b.grad_fn.name(), c.grad_fn.name(), a.shape, c.shape)",
    "x = torch.ones(2, 3, requires_grad=True); y = x * 1; z = y * y; y.t_(); z.sum().backward()",
    "b = torch.arange(6.); v = b.view(2, 3); v.t_(); v[0, 1] = 100; print(b, v)",
    "x = torch.ones(2, 3); x.swapdims_(0, 1); x.unsqueeze_(5)",
    "x = torch.ones(2, 3, requires_grad=True); y = x * 1; y.retain_grad(); y.unsqueeze_(0)\n"
    "(y * 3).sum().backward(); print(y.grad, y.retains_grad, x.grad)",
    "x = torch.ones(2, 3, requires_grad=True); y = x * 1; y.retain_grad(); y.t_(); y.retain_grad()\n"
    "(y * torch.arange(6.).reshape(3, 2)).sum().backward(); print(y.grad)",
]


@pytest.mark.parametrize("code", INPLACE_VIEW_SNIPPETS)
def test_in_place_view_ops_as_pytorch(code: str) -> None:
    assert run_snippet(engine, code) == run_snippet(torch, code)
