"""``sort``, ``argsort``, ``topk``, ``nonzero`` and ``where(condition)`` against PyTorch: values, indices (the
order of ties and NaNs as PyTorch's CPU kernels leave it), dtypes, ``return_types``, ``grad_fn`` names,
gradients to second order, and PyTorch's words for calls it refuses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine.ops import sorting

from .oracle import T, check, run_snippet

NAN = "float('nan')"
SNIPPETS = {
    "sort_values_indices_and_gradient": (
        "x = torch.tensor([[3., 1., 2.], [0., 5., 4.]], requires_grad=True); r = torch.sort(x)\n"
        "print(r, type(r).__name__, len(r), r[0] is r.values, r.indices.dtype, r.indices.requires_grad)\n"
        "print(r.values.grad_fn.name(), r.values.is_leaf, x.sort(0, True), x.sort(dim=0, stable=True))\n"
        "(r.values * torch.tensor([1., 2., 3.])).sum().backward(); print(x.grad)"
    ),
    "nan_inf_and_signed_zeros": (
        f"x = torch.tensor([3., {NAN}, 1., 1., -0., 0., {NAN}, float('inf'), -float('inf')])\n"
        "print(torch.sort(x), torch.sort(x, descending=True), torch.sort(x, stable=True, descending=True))\n"
        "print(torch.argsort(x), x.argsort(descending=True), torch.topk(x, 3), x.topk(3, largest=False))"
    ),
    # longer than 16: PyTorch's unstable sort (std::sort) leaves ties in an order of its own
    "ties_in_long_rows": (
        "x = torch.tensor([[float(i * 7 % 3) for i in range(40)], [float(i % 5 == 0) for i in range(40)]])\n"
        "for d in (False, True):\n"
        "    print(torch.sort(x, descending=d).indices, torch.sort(x, descending=d, stable=True).indices)\n"
        "    print(torch.argsort(x, descending=d), x.topk(7, largest=not d).indices, x.topk(7, sorted=False).indices)\n"
        "print(torch.sort(x[:, :16]).indices, torch.sort(x.t(), 0).indices.t())"
    ),
    "rank_3_and_negative_dims": (
        "x = torch.tensor([[[2., 1., 2., 0.], [1., 1., 3., 3.], [0., 2., 2., 1.]],"
        " [[5., 4., 4., 4.], [0., 0., 1., 0.], [2., 2., 2., 2.]]])\n"
        "print(torch.sort(x, -2), torch.sort(x, 0, True), x.argsort(-3), torch.argsort(x, 1, True))\n"
        "print(torch.topk(x, 2, -2), x.topk(1, 0, False), torch.topk(x, 3, dim=-1, sorted=False))"
    ),
    "zero_dim": (
        "z = torch.tensor(2., requires_grad=True)\n"
        "print(torch.sort(z), z.sort(-1, True), torch.argsort(z), torch.topk(z, 1), torch.topk(z, 0), z.topk(1, 0))\n"
        "v = torch.sort(z).values; (g,) = torch.autograd.grad(v * v, z, create_graph=True)\n"
        "print(g, g.grad_fn.name()); g.backward(); print(z.grad)\n"
        "t = torch.topk(z, 0).values; print(t, t.grad_fn.name()); t.backward(); print(z.grad)"
    ),
    "empty_and_size_one": (
        "e = torch.ones(0, 3, requires_grad=True)\n"
        "print(torch.sort(e), torch.sort(e, 0), e.argsort(0), torch.topk(e, 2), torch.topk(e, 0, 0))\n"
        "print(torch.ones(2, 0).sort(1), torch.ones(2, 0).topk(0))\n"
        "print(torch.ones(3, 1).sort(1), torch.ones(3, 1).topk(1))\n"
        "print(torch.tensor([5.]).sort(), torch.tensor([5.]).topk(1))\n"
        "v = torch.topk(e, 2).values; v.sum().backward(); print(e.grad)\n"
        "y = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); v = y.topk(0).values\n"
        "print(v, v.grad_fn.name()); v.sum().backward(); print(y.grad)"
    ),
    "integers_and_bools": (
        "i = torch.tensor([[3, -1, 2, -1], [0, 7, 7, 1]]); b = torch.tensor([True, False, True, False])\n"
        "print(torch.sort(i), i.sort(0, True), torch.argsort(i, stable=True))\n"
        "print(torch.topk(i, 2), i.topk(3, largest=False))\n"
        "print(torch.sort(b), b.sort(descending=True), torch.argsort(b), torch.sort(i.int()), torch.topk(i.int(), 1))"
    ),
    "expanded_dim_is_left_unsorted": (
        "print(torch.zeros(1).expand(20).sort().indices, torch.zeros(20).sort().indices)\n"
        "print(torch.zeros(20, 1).expand(20, 3).sort(0).indices[:, 0])\n"
        "print(torch.zeros(1, 20).expand(3, 20).sort(1).indices[0])\n"
        "print(torch.zeros(1, 20).expand(20, 20).sort(0).indices[:, 0])"
    ),
    "gradients_with_ties": (
        "x = torch.tensor([1., 2., 1., 1., 0., 2.] * 4, requires_grad=True); w = torch.arange(24.)\n"
        "(torch.sort(x).values * w).sum().backward(); print(x.grad); x.grad = None\n"
        "(torch.sort(x, descending=True, stable=True).values * w).sum().backward(); print(x.grad); x.grad = None\n"
        "(torch.topk(x, 5).values * w[:5]).sum().backward(); print(x.grad); x.grad = None\n"
        "(torch.topk(x, 9, largest=False, sorted=False).values * w[:9]).sum().backward(); print(x.grad)"
    ),
    "second_order": (
        "x = torch.tensor([[1., 5., -2.], [7., 2., 3.]], requires_grad=True)\n"
        "for f in (lambda t: t.sort(0).values, lambda t: t.sort(1, True).values, lambda t: t.topk(2).values,\n"
        "          lambda t: torch.topk(t, 1, 0, largest=False).values):\n"
        "    (g,) = torch.autograd.grad((f(x) ** 3).sum(), x, create_graph=True)\n"
        "    print(g, g.grad_fn.name())\n"
        "    (gg,) = torch.autograd.grad((g * g).sum(), x); print(gg)"
    ),
    # the values' node saves the indices, not the input: writing the input is fine, writing the indices is not
    "saved_indices_written_in_place": (
        "x = torch.tensor([3., 1., 2.], requires_grad=True); v, i = x.sort(); t = x.topk(2)\n"
        "x.detach().mul_(2); (v * torch.tensor([1., 2., 3.])).sum().backward(retain_graph=True); print(x.grad)\n"
        "i.add_(1); t.indices.zero_()\n"
        "for out in (v, t.values):\n"
        "    try:\n"
        "        out.sum().backward()\n"
        "    except RuntimeError as e:\n"
        "        print(e)"
    ),
    "return_types": (
        "x = torch.tensor([2., 0., 1.]); r = torch.sort(x); v, i = r; t = x.topk(2)\n"
        "print(type(r) is torch.return_types.sort, type(t) is torch.return_types.topk, isinstance(t, tuple))\n"
        "print(v, i, t.values, t.indices, t[1], len(t), repr(t))"
    ),
    "nonzero": (
        f"x = torch.tensor([[0., 1.5, {NAN}], [-0., 0., 2.]], requires_grad=True)\n"
        "print(torch.nonzero(x), x.nonzero(), torch.nonzero(x, as_tuple=True), x.nonzero(as_tuple=True))\n"
        "print(torch.nonzero(x, as_tuple=False), torch.nonzero(input=x, as_tuple=True), torch.nonzero(input=x))\n"
        "n = x.nonzero(); print(n.dtype, n.requires_grad, n.grad_fn, x.nonzero(as_tuple=True)[1]._base is not None)\n"
        "i = torch.tensor([[[0, 1], [2, 0]], [[0, 0], [3, 4]]]); print(i.nonzero(), torch.nonzero(i, as_tuple=True))\n"
        "b = torch.tensor([True, False, True]); print(b.nonzero(), b.nonzero(as_tuple=True))\n"
        "print(torch.nonzero(torch.tensor(2.)), torch.nonzero(torch.tensor(0)))\n"
        "print(torch.tensor(2.).nonzero(as_tuple=True))\n"
        "print(torch.nonzero(torch.tensor(False), as_tuple=True), torch.nonzero(torch.ones(0, 3)))\n"
        "print(torch.nonzero(torch.ones(0, 3), as_tuple=True), torch.nonzero(torch.zeros(2, 3, 1)))"
    ),
    "where_of_one_argument": (
        "x = torch.tensor([[3., 0., 2.], [0., 5., 4.]], requires_grad=True)\n"
        "print(torch.where(x > 1), torch.where(x), torch.where(condition=x < 4), torch.where(torch.tensor(3.)))\n"
        "print(torch.where(torch.tensor([1, 0, 2])), torch.where(torch.zeros(0, 2) > 0))\n"
        "y = torch.where(x > 1, x, 0.); print(y, y.grad_fn.name()); y.sum().backward(); print(x.grad)\n"
        "print(torch.where(condition=x > 1, input=x, other=-x))"
    ),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_as_pytorch(name: str) -> None:
    assert run_snippet(engine, SNIPPETS[name]) == run_snippet(torch, SNIPPETS[name])


# calls PyTorch refuses (and a few it takes that look alike), as functions and as methods
CALLS = [
    # sort and argsort: two overloads, stable (keyword) or not; dim and descending by keyword with stable
    "torch.sort(x, 1.5)", "torch.sort(x, dim=1.5)", "torch.sort(x, descending=1)", "torch.sort(x, 0, 1)",
    "torch.sort(x, stable=1)", "torch.sort(x, foo=1)", "torch.sort(3)", "torch.sort()", "torch.sort(x, 0, True, True)",
    "torch.sort(x, dim=None)", "torch.sort(x, descending=None)", "torch.sort(x, 0, True, stable=True)",
    "torch.sort(x, 0, stable=False)", "torch.sort(x, -1, False, stable=None)", "torch.sort(x, stable=None)",
    "torch.sort(x, dim=0, input=x)", "torch.sort(input=x)", "torch.sort(x, torch.tensor(0))", "torch.sort(x, 2)",
    "torch.sort(x, -3)", "torch.sort(z, 1)", "torch.sort(x, 1.5, True)", "torch.sort(x, dim=0, foo=1)",
    "x.sort(1.5)", "x.sort(0, 1)", "x.sort(0, True, True)", "x.sort(stable=1)", "x.sort(foo=1)", "x.sort(0, None)",
    "x.sort(dim=0, input=x)", "x.sort(descending=1, dim=0)", "x.sort(1.5, True)", "x.sort(dim=0, foo=1)",
    "torch.argsort(x, 0, True, True)", "torch.argsort(x, stable=None)", "torch.argsort(x, foo=1)", "torch.argsort(3)",
    "torch.argsort()", "torch.argsort(x, 1.5)", "torch.argsort(x, descending=1)", "torch.argsort(x, dim=None)",
    "torch.argsort(x, 0, descending=True, stable=True)", "torch.argsort(x, 0, True, stable=True)",
    "torch.argsort(x, 0, stable=False)", "torch.argsort(x, 0, 1)", "torch.argsort(x, foo=1, dim=0)",
    "torch.argsort(x, dim=0, descending=True, foo=1)", "torch.argsort(z, 1)", "torch.argsort(input=x, dim=0)",
    "x.argsort(0, True, True)", "x.argsort(1.5)", "x.argsort(0, 1)", "x.argsort(stable=True, dim=0)",
    # topk: one signature
    "torch.topk(x, 4)", "torch.topk(x, -1)", "torch.topk(z, 2)", "torch.topk(z, 1, 1)", "torch.topk(x, 1, 2)",
    "torch.topk(b, 1)", "torch.topk(b, 5)", "torch.topk(b, 1, 3)", "torch.topk(x, 5, 3)", "torch.topk(x, 1.5)",
    "torch.topk(x, True)", "torch.topk(x)", "torch.topk()", "x.topk()", "x.topk(1.5)", "x.topk(2, 1.5)",
    "x.topk(2, 0, 1)", "x.topk(2, 0, True, 1)", "torch.topk(x, 2, 0, True, 1)", "torch.topk(x, 2, largest=1)",
    "torch.topk(x, 2, dim=1.5)", "torch.topk(x, 2, 1, True, True, 5)", "torch.topk(x, 2, foo=1)", "torch.topk(3, 1)",
    "torch.topk(x, k=2, input=x)", "torch.topk(x, 1, dim=None)", "torch.topk(x, torch.tensor(2))",
    "torch.topk(x, 2, torch.tensor(0))", "torch.topk(torch.ones(0, 3), 1, 0)", "x.topk(k=2, dim=0, sorted=False)",
    # nonzero, where(condition)
    "torch.nonzero(x, True)", "torch.nonzero(x, as_tuple=1)", "torch.nonzero(x, as_tuple=None)", "torch.nonzero(3)",
    "torch.nonzero(x, foo=1)", "torch.nonzero(x, as_tuple=True, foo=1)", "torch.nonzero()", "x.nonzero(True)",
    "x.nonzero(as_tuple=1)", "torch.where(3)", "torch.where(condition=3)", "torch.where(x > 1, x)",
    "torch.where(x > 1, input=x)", "torch.where(x > 1, other=x)", "torch.where(x > 1, 2)", "torch.where(3, x)",
    "torch.where(x > 1, x, 0., 1)", "torch.where(x, x, 0.)", "torch.where(x > 1, x, foo=2)", "torch.where()",
]


@pytest.mark.parametrize("call", CALLS)
def test_calls_as_pytorch(call: str) -> None:
    code = (f"x = torch.tensor([[3., 1., 2.], [0., 5., 4.]]); z = torch.tensor(2.); b = torch.tensor([True, False])\n"
            f"print(repr({call}))")
    assert run_snippet(engine, code) == run_snippet(torch, code)


# -- the order of ties, against PyTorch over many shapes and values ------------------------------

def _values(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """Few distinct values (so that ties abound); NaNs and signed zeros in floats."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3 + seed % 4, shape).astype(dtype)
    if dtype.startswith("float") and a.size > 4:
        a.flat[rng.choice(a.size, 3, replace=False)] = np.nan
        a.flat[rng.choice(a.size, 2, replace=False)] = -0.0
    return a


def _same(e: Any, t: Any) -> None:
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


SHAPES = [((5,), 0), ((16,), -1), ((17,), 0), ((40,), -1), ((3, 33), 1), ((33, 3), 0), ((2, 20, 3), -2),
          ((4, 5, 70), 2), ((130, 2), 0)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "float16"])
@pytest.mark.parametrize(("shape", "dim"), SHAPES)
def test_sort_orders_ties_as_pytorch(dtype: str, shape: tuple[int, ...], dim: int) -> None:
    a = _values(shape, dtype, len(shape) + shape[dim])
    for descending in (False, True):
        for stable in (False, True):
            t = torch.sort(torch.from_numpy(a), dim=dim, descending=descending, stable=stable)
            e = engine.sort(engine.tensor(a), dim=dim, descending=descending, stable=stable)
            _same(e.values, t.values)
            _same(e.indices, t.indices)
            _same(engine.argsort(engine.tensor(a), dim, descending),
                  torch.argsort(torch.from_numpy(a), dim, descending))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "float16"])
@pytest.mark.parametrize(("shape", "dim"), SHAPES)
def test_topk_orders_ties_as_pytorch(dtype: str, shape: tuple[int, ...], dim: int) -> None:
    """k * 64 <= n takes std::partial_sort, else std::nth_element (then std::sort of the first k - 1 when sorted)."""
    a = _values(shape, dtype, 7 * len(shape) + shape[dim])
    n = shape[dim]
    for k in sorted({0, 1, 2, n // 2, n - 1, n}):
        for largest in (True, False):
            for sorted_ in (True, False):
                t = torch.topk(torch.from_numpy(a), k, dim, largest, sorted_)
                e = engine.topk(engine.tensor(a), k, dim, largest, sorted_)
                _same(e.values, t.values)
                _same(e.indices, t.indices)


def test_distinct_values_take_numpy_s_order_as_pytorch() -> None:
    a = np.random.default_rng(3).permutation(600).reshape(3, 200).astype(np.float64) / 7
    for k, sorted_ in ((5, True), (150, True), (150, False), (1, False)):
        _same(engine.topk(engine.tensor(a), k, sorted=sorted_).indices,
              torch.topk(torch.from_numpy(a), k, sorted=sorted_).indices)
    _same(engine.sort(engine.tensor(a), 1, True).indices, torch.sort(torch.from_numpy(a), 1, True).indices)


def _adversary(n: int) -> list[int]:
    """McIlroy's adversary for quicksort: values fixed as the comparisons ask for them, so that every pivot is
    bad; the input it leaves drives std::sort past its depth limit into heapsort."""
    gas, value, state = n, [n] * n, {"solid": 0, "candidate": -1}

    class Key:
        def __init__(self, i: int) -> None:
            self.i = i

        def __lt__(self, other: Key) -> bool:
            x, y = self.i, other.i
            if value[x] == gas and value[y] == gas:
                frozen = x if x == state["candidate"] else y
                value[frozen] = state["solid"]
                state["solid"] += 1
            if value[x] == gas:
                state["candidate"] = x
            elif value[y] == gas:
                state["candidate"] = y
            return value[x] < value[y]

    sorting._Introsort([Key(i) for i in range(n)]).sort()
    return value


def test_heapsort_fallback_orders_ties_as_pytorch(monkeypatch: pytest.MonkeyPatch) -> None:
    a = np.array(_adversary(64)) // 2  # ties, and still past the depth limit (checked below)
    heaps = []
    select = sorting._Introsort._heap_select

    def counted(self: Any, *args: Any) -> None:
        heaps.append(args)
        select(self, *args)

    monkeypatch.setattr(sorting._Introsort, "_heap_select", counted)
    e = engine.sort(engine.tensor(a))
    assert heaps
    _same(e.indices, torch.sort(torch.from_numpy(a)).indices)


def test_long_integer_vectors_sort_stably_as_pytorch() -> None:
    """From 32768 elements PyTorch radix-sorts a 1-d integer tensor ascending (stable); 2-d or descending not."""
    a = np.random.default_rng(0).integers(0, 4, 40_000)
    for x, descending in ((a, False), (a, True), (a.astype(np.int32), False), (a.reshape(2, -1), False)):
        _same(engine.sort(engine.tensor(x), descending=descending).indices,
              torch.sort(torch.from_numpy(x), descending=descending).indices)


# -- gradients -----------------------------------------------------------------------------------

FORMS = {
    "sort": lambda lib, x: lib.sort(x).values,
    "sort_dim0_descending": lambda lib, x: x.sort(0, descending=True).values,
    "sort_stable": lambda lib, x: lib.sort(x, dim=-2, stable=True).values,
    "topk": lambda lib, x: lib.topk(x, 2).values,
    "topk_smallest_unsorted": lambda lib, x: x.topk(3, 0, largest=False, sorted=False).values,
    "topk_all": lambda lib, x: x.topk(4, dim=1).values,
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("ties", [False, True])
def test_gradients_to_second_order_as_pytorch(form: str, ties: bool) -> None:
    a = np.random.default_rng(5).permutation(12).reshape(3, 4) / 3.0
    if ties:
        a = np.round(a) / 2
    grads = []
    for lib in (torch, engine):
        x = lib.tensor(a, requires_grad=True)
        v = FORMS[form](lib, x)
        w = lib.tensor(np.arange(1.0, 1.0 + v.numel()).reshape(tuple(v.shape)))
        (g,) = lib.autograd.grad((v * v * v * w).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        grads.append((v.grad_fn.name(), g.grad_fn.name(), g.detach().numpy(), gg.numpy()))
    assert grads[1][:2] == grads[0][:2]
    np.testing.assert_allclose(grads[1][2], grads[0][2], rtol=1e-12)
    np.testing.assert_allclose(grads[1][3], grads[0][3], rtol=1e-12)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_gradcheck(form: str) -> None:
    x = engine.tensor(np.random.default_rng(2).permutation(12).reshape(3, 4) / 7.0, requires_grad=True)

    def f(t: Any) -> Any:
        v = FORMS[form](engine, t)
        return (v * v).sum() + v.exp().sum()

    assert engine.autograd.gradcheck(f, (x,))
    assert engine.autograd.gradgradcheck(f, (x,))


def test_gradcheck_zero_dim_and_rank_3() -> None:
    z = engine.tensor(0.3, dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradgradcheck(lambda t: engine.sort(t).values ** 3 + t.topk(1).values ** 2, (z,))
    x = engine.tensor(np.random.default_rng(4).permutation(24).reshape(2, 3, 4) / 5.0, requires_grad=True)
    assert engine.autograd.gradgradcheck(lambda t: (t.sort(-3).values * t.topk(2, dim=-2).values.sum()).sum(), (x,))


@pytest.mark.parametrize("shape", [(), (1,), (5,), (0,), (2, 3), (2, 1, 3)])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_argsort_entry_as_pytorch(shape: tuple[int, ...], dtype: str) -> None:
    """The registry entry (what the service runs): value, dtype, shape and dtype rules, no gradient."""
    for dim in range(-len(shape), len(shape)) if shape else (0, -1):
        check("argsort", T(shape, dtype), dim=dim, descending=dim % 2 == 1)
        check("argsort", T(shape, dtype), method=True, stable=True, dim=dim)


def test_many_ties_cost_what_numpy_costs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``_EMULATED_MAX`` tied elements the order of ties is NumPy's stable one (PyTorch leaves it unspecified
    with stable=False) and the Python emulation does not run (a request may ask for 1e7 elements): the values
    are PyTorch's, the indices a permutation that sorts."""
    from engine.ops import sorting

    def not_run(*_: Any) -> None:
        raise AssertionError("the Python emulation ran")

    monkeypatch.setattr(sorting, "_Introsort", not_run)
    a = np.round(np.random.default_rng(0).standard_normal(4 * sorting._EMULATED_MAX), 1).astype(np.float32)
    values, indices = engine.sort(engine.tensor(a))
    np.testing.assert_array_equal(values.numpy(), torch.sort(torch.tensor(a)).values.numpy())
    np.testing.assert_array_equal(np.sort(indices.numpy()), np.arange(a.size))
    np.testing.assert_array_equal(a[indices.numpy()], values.numpy())
    top = engine.topk(engine.tensor(a), 1000, sorted=False).values.numpy()
    np.testing.assert_array_equal(np.sort(top), np.sort(torch.topk(torch.tensor(a), 1000).values.numpy()))
