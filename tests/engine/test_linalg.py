"""Linear algebra ops against PyTorch: values, dtypes, grad_fn names, first and second
derivatives, errors (type and words), flops and the planner's shape rules."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import FLOATS, T, check

# -- matmul ------------------------------------------------------------------------------

# Every rank combination PyTorch allows: dot, mv, vector-matrix, mm, folded batches (both
# ways), bmm with broadcast batch dims, size-1 and empty dims.
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)),
    ((5, 2, 3), (3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (4, 5, 3, 4)), ((3,), (2, 2, 3, 4)), ((2, 2, 2, 3), (3,)), ((4, 1, 3), (3,)),
    ((1, 3), (3, 1)), ((7, 1, 3), (3, 4)), ((1, 3), (5, 3, 4)), ((2, 3), (5, 3, 1)),
    ((1,), (2, 1, 5)), ((2,), (3, 2, 5)), ((2, 1, 1, 3), (1, 4, 3, 2)),
    # empty dims: (2,0)@(0,3) is zeros
    ((2, 0), (0, 3)), ((0, 3), (3,)), ((0,), (0,)), ((3, 0), (0,)), ((2, 3), (0, 3, 4)),
    ((2, 0, 3), (3, 4)), ((0, 2, 3), (0, 3, 4)), ((0,), (2, 0, 3)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes: tuple, dtype: str) -> None:
    check("matmul", T(shapes[0], dtype), T(shapes[1], dtype))


# grad_fn of a composite matmul depends on which input requires grad (PyTorch's should_fold)
@pytest.mark.parametrize("grads", [(True, False), (False, True)], ids=str)
@pytest.mark.parametrize("shapes", [
    ((2, 3), (5, 3, 4)), ((1, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)),
    ((3,), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)), ((2,), (3, 2, 1)),
], ids=str)
def test_matmul_requires_grad_paths(shapes: tuple, grads: tuple) -> None:
    check("matmul", T(shapes[0], grad=grads[0]), T(shapes[1], grad=grads[1]))


def test_matmul_operator_and_method() -> None:
    check("__matmul__", T((2, 3)), T((3, 4)), method=True)
    check("__rmatmul__", T((3, 4)), T((2, 3)), method=True)
    check("matmul", T((5, 2, 3)), T((3,)), method=True)


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)),
                                    ((5, 2, 3), (5, 3, 4)), ((2, 2, 3), (3, 4)), ((2, 0), (0, 3))], ids=str)
def test_matmul_integers(shapes: tuple, dtype: str) -> None:
    check("matmul", T(shapes[0], dtype, "int"), T(shapes[1], dtype, "int"))


def test_matmul_float16() -> None:
    for a, b in [((2, 3), (3, 4)), ((3,), (3,)), ((4, 2, 3), (3,))]:
        check("matmul", T(a, "float16", grad=False), T(b, "float16", grad=False))


def test_matmul_does_not_promote() -> None:
    # PyTorch refuses mixed float32/float64 (and int/float) instead of promoting
    for a, b in [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 2, 3), (2, 3, 4))]:
        same_error("matmul", T(a, "float32"), T(b, "float64"))
        same_error("matmul", T(a, "float64"), T(b, "float32"))
        same_error("matmul", T(a, "int64", "int"), T(b, "float32"))


def test_matmul_no_grad_and_leaf_flags() -> None:
    a = engine.randn(2, 3, requires_grad=True)
    with engine.no_grad():
        out = a @ engine.randn(3, 4)
    assert out.grad_fn is None and not out.requires_grad
    assert (engine.randn(2, 3) @ engine.randn(3)).grad_fn is None


# -- mm, bmm, mv, dot, outer --------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,shapes", [
    ("mm", ((2, 3), (3, 4))), ("mm", ((1, 1), (1, 1))), ("mm", ((2, 0), (0, 3))), ("mm", ((0, 3), (3, 2))),
    ("bmm", ((4, 2, 3), (4, 3, 5))), ("bmm", ((1, 1, 3), (1, 3, 1))), ("bmm", ((0, 2, 3), (0, 3, 4))),
    ("bmm", ((2, 2, 0), (2, 0, 3))),
    ("mv", ((2, 3), (3,))), ("mv", ((1, 1), (1,))), ("mv", ((0, 3), (3,))), ("mv", ((2, 0), (0,))),
    ("dot", ((3,), (3,))), ("dot", ((1,), (1,))), ("dot", ((0,), (0,))),
    ("outer", ((3,), (4,))), ("outer", ((1,), (1,))), ("outer", ((0,), (3,))),
], ids=str)
def test_products(name: str, shapes: tuple, dtype: str) -> None:
    check(name, T(shapes[0], dtype), T(shapes[1], dtype))
    check(name, T(shapes[0], dtype), T(shapes[1], dtype), method=True)


@pytest.mark.parametrize("name,shapes", [
    ("mm", ((2, 3), (3, 4))), ("bmm", ((4, 2, 3), (4, 3, 5))), ("mv", ((2, 3), (3,))), ("dot", ((3,), (3,))),
    ("outer", ((3,), (4,))),
])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_products_integers(name: str, shapes: tuple, dtype: str) -> None:
    check(name, T(shapes[0], dtype, "int"), T(shapes[1], dtype, "int"))


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("int64", "float32"), ("bool", "bool"),
                                    ("bool", "int64"), ("float64", "int32")], ids=str)
def test_outer_promotes(dtypes: tuple) -> None:
    # outer is input.reshape(-1, 1) * vec2 in PyTorch: dtypes promote as mul's
    doms = ["bool" if d == "bool" else "int" if d.startswith("int") else "real" for d in dtypes]
    check("outer", T((3,), dtypes[0], doms[0]), T((2,), dtypes[1], doms[1]))


# -- t, transpose, permute, .T, .mT ---------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (1, 4), (0, 2)], ids=str)
def test_t(shape: tuple, dtype: str) -> None:
    check("t", T(shape, dtype))
    check("t", T(shape, dtype), method=True)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dims", [
    ((2, 3), (0, 1)), ((2, 3), (1, 0)), ((2, 3), (-1, -2)), ((2, 3, 4), (0, 2)), ((2, 3, 4), (1, 1)),
    ((3,), (0, 0)), ((), (0, -1)), ((2, 0, 3), (1, 2)),
], ids=str)
def test_transpose(shape: tuple, dims: tuple, dtype: str) -> None:
    check("transpose", T(shape, dtype), *dims)
    check("transpose", T(shape, dtype), dim0=dims[0], dim1=dims[1])
    check("transpose", T(shape, dtype), *dims, method=True)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dims", [
    ((2, 3), (1, 0)), ((2, 3), (0, 1)), ((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (-1, 0, -2)), ((), ()),
    ((4,), (0,)), ((2, 0, 3), (2, 1, 0)), ((1, 2, 1, 3), (3, 1, 2, 0)),
], ids=str)
def test_permute(shape: tuple, dims: tuple, dtype: str) -> None:
    check("permute", T(shape, dtype), dims)
    check("permute", T(shape, dtype), list(dims))
    check("permute", T(shape, dtype), dims=dims)
    if dims:  # x.permute() with no ints is left to _bind's varargs packing
        check("permute", T(shape, dtype), *dims, method=True)  # x.permute(1, 0)
    check("permute", T(shape, dtype), dims, method=True)


def test_integer_views() -> None:
    check("t", T((2, 3), "int64", "int"))
    check("transpose", T((2, 3, 4), "int32", "int"), 0, 2)
    check("permute", T((2, 3), "bool", "bool"), (1, 0))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (1, 0, 2)], ids=str)
def test_t_attribute(shape: tuple) -> None:
    a = np.random.default_rng(0).standard_normal(shape)
    e = engine.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns that .T of non-2-D tensors is deprecated
        eo, to = e.T, t.T
    assert tuple(eo.shape) == tuple(to.shape)
    np.testing.assert_array_equal(eo.detach().numpy(), to.detach().numpy())
    assert eo.grad_fn.name() == to.grad_fn.name() == "PermuteBackward0"
    g = np.random.default_rng(1).standard_normal(tuple(to.shape))
    eo.backward(engine.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("shape", [(2, 3), (4, 2, 3), (1, 0, 3)], ids=str)
def test_mt_attribute(shape: tuple) -> None:
    a = np.random.default_rng(0).standard_normal(shape)
    e = engine.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    assert tuple(e.mT.shape) == tuple(t.mT.shape)
    np.testing.assert_array_equal(e.mT.detach().numpy(), t.mT.detach().numpy())
    assert e.mT.grad_fn.name() == t.mT.grad_fn.name() == "TransposeBackward0"


def test_mt_of_vector_error() -> None:
    with pytest.raises(RuntimeError, match="tensor.mT is only supported on matrices or batches of matrices"):
        engine.ones(3).mT  # noqa: B018


# -- trace -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (1, 1), (0, 3)], ids=str)
def test_trace(shape: tuple, dtype: str) -> None:
    check("trace", T(shape, dtype))
    check("trace", T(shape, dtype), method=True)


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_trace_integers(dtype: str) -> None:
    check("trace", T((3, 4), dtype, "int"))  # int32 sums in int64


# -- einsum ------------------------------------------------------------------------------

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("i,i->", [(3,), (3,)]), ("i,i", [(3,), (3,)]), ("i,j->ij", [(3,), (4,)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,j->i", [(2, 3), (3,)]), ("ij,jk->ki", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ii->", [(3, 3)]), ("iij->j", [(3, 3, 2)]), ("iji->ij", [(3, 2, 3)]),
    ("iii->i", [(2, 2, 2)]), ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]), ("ij->j", [(3, 4)]), ("ij", [(3, 4)]),
    ("ji", [(3, 4)]), ("ij->ij", [(3, 4)]), ("->", [()]), (",i->i", [(), (3,)]), ("i,->i", [(3,), ()]),
    ("...ij->...ji", [(2, 3, 4)]), ("...ij,...jk", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 5)]), ("i...j->j...i", [(2, 3, 4, 5)]),
    ("b...,b...", [(2, 3), (2, 3)]), ("...->", [(2, 3)]), ("...", [(2, 3)]), ("...ij->ij", [(5, 2, 3)]),
    ("ij->...ij", [(2, 3)]),
    ("i,i,i->", [(3,), (3,), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("i,j,k->ijk", [(2,), (3,), (4,)]),
    # size-1 dims broadcast
    ("ij,jk->ik", [(2, 1), (3, 4)]), ("ij,ij->ij", [(2, 1), (2, 4)]), ("ij,jk->ik", [(2, 1), (1, 4)]),
    ("ij->j", [(1, 3)]), ("ij,ij->i", [(2, 3), (2, 1)]), ("ii,i->i", [(1, 1), (3,)]),
    ("bij,bjk->bik", [(1, 2, 3), (5, 3, 4)]),
    # empty dims, spaces, upper case
    ("ij,jk->ik", [(2, 0), (0, 3)]), ("ij->i", [(0, 3)]), ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("iJ,Jk->ik", [(2, 3), (3, 4)]), ("Ii", [(2, 3)]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=str)
def test_einsum(equation: str, shapes: list, dtype: str) -> None:
    check("einsum", equation, *(T(s, dtype) for s in shapes))


def test_einsum_forms() -> None:
    check("einsum", "ij,jk->ik", [T((2, 3)), T((3, 4))])  # operands as one list
    check("einsum", T((2, 3)), [0, 1], T((3, 4)), [1, 2])  # PyTorch's sublist form
    check("einsum", T((2, 3)), [0, 1], T((3, 4)), [1, 2], [2, 0])
    check("einsum", T((2, 3, 4)), [Ellipsis, 0], [Ellipsis])


def test_einsum_equation_keyword() -> None:
    # The service passes the equation by keyword. PyTorch's einsum refuses that keyword;
    # the engine accepts it and computes what the positional form computes.
    a, b = np.ones((2, 3)), np.arange(12.0).reshape(3, 4)
    with pytest.raises(TypeError):
        torch.einsum(torch.tensor(a), torch.tensor(b), equation="ij,jk->ik")
    ea, eb = engine.tensor(a, requires_grad=True), engine.tensor(b)
    out = engine.einsum(ea, eb, equation="ij,jk->ik")
    ref = torch.einsum("ij,jk->ik", torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy())
    assert out.grad_fn.name() == "ViewBackward0"
    assert engine.einsum(ea, equation="ij->j").shape == (3,)
    assert engine.einsum([ea, eb], equation="ij,jk").shape == (2, 4)
    assert engine.einsum(equation="ij->i", operands=[ea]).shape == (2,)


@pytest.mark.parametrize("equation,specs", [
    ("ij,jk->ik", [T((2, 3), "int64", "int"), T((3, 4), "int64", "int")]),
    ("ij,jk->ik", [T((2, 3), "int32", "int"), T((3, 4), "int32", "int")]),
    ("ij->i", [T((2, 3), "int32", "int")]),  # sums in int64
    ("ij->i", [T((2, 3), "bool", "bool")]),
    ("ij->ji", [T((2, 3), "bool", "bool")]),
    ("i,j->ij", [T((2,), "bool", "bool"), T((3,), "bool", "bool")]),
    ("i,j->ij", [T((2,), "float64"), T((3,), "float32")]),  # no contraction: mul, dtypes promote
    ("i,j->ij", [T((2,), "int64", "int"), T((3,), "float32")]),
    ("ij,jk->ik", [T((2, 3), "float16", grad=False), T((3, 4), "float16", grad=False)]),
], ids=str)
def test_einsum_dtypes(equation: str, specs: list) -> None:
    check("einsum", equation, *specs)


# -- errors: PyTorch's exception type and words ------------------------------------------

def _pair(spec: Any, salt: int) -> tuple[Any, Any]:
    if not isinstance(spec, T):
        return spec, spec
    a = spec.array(salt)
    e = engine.tensor(a, dtype=getattr(engine, spec.dtype), requires_grad=spec.requires_grad)
    t = torch.tensor(a, dtype=getattr(torch, spec.dtype), requires_grad=spec.requires_grad)
    return e, t


def same_error(name: str, *args: Any, method: bool = False, **kwargs: Any) -> None:
    """``name(*args)`` fails in PyTorch and in the engine with the same words; the engine's
    error is an instance of the exception class PyTorch raised."""
    pairs = [_pair(a, i) for i, a in enumerate(args)]
    e_args, t_args = [p[0] for p in pairs], [p[1] for p in pairs]

    def run(lib: Any, xs: list[Any]) -> Callable[[], Any]:
        if method:
            return lambda: getattr(xs[0], name)(*xs[1:], **kwargs)
        return lambda: getattr(lib, name)(*xs, **kwargs)

    with pytest.raises(Exception) as t_err:
        run(torch, t_args)()
    with pytest.raises(Exception) as e_err:
        run(engine, e_args)()
    assert str(e_err.value) == str(t_err.value), f"{name}{args}: {e_err.value!r} vs {t_err.value!r}"
    assert isinstance(e_err.value, type(t_err.value)), f"{name}{args}: {type(e_err.value)} vs {type(t_err.value)}"
    assert isinstance(e_err.value, engine.EngineError)


F, D = "float32", "float64"
MATMUL_ERRORS = [
    (T((2, 3)), T((2, 3))), (T((3,)), T((2,))), (T((2, 3)), T((2,))), (T((3,)), T((2, 3))),
    (T(()), T((3,))), (T((3,)), T(())), (T(()), T(())), (T((2, 2, 3)), T((3, 3, 4))),
    (T((2, 2, 2, 3)), T((3, 3, 4))), (T((2, 2, 3)), T((2, 2, 4))), (T((2, 2, 3)), T((2, 4))),
    (T((2, 2, 3)), T((2,))), (T((2,)), T((2, 3, 4))), (T((5, 2), grad=False), T((2, 3, 4))),
    (T((5, 2)), T((2, 3, 4))), (T((1, 5, 2)), T((2, 3, 4))), (T((2, 1, 5, 2)), T((3, 3, 4))),
    (T((2, 3), F), T((3, 4), D)), (T((2, 3), D), T((3, 4), F)), (T((3,), F), T((3,), D)),
    (T((2, 3), F), T((3,), D)), (T((3,), F), T((3, 4), D)), (T((2, 2, 3), F), T((2, 3, 4), D)),
    (T((2, 2, 3), D), T((2, 3, 4), F)), (T((2, 2, 3), F), T((3, 4), D)), (T((2, 2, 3), F), T((3,), D)),
    (T((5, 2), F), T((2, 2, 5), D)), (T((2,), F, grad=False), T((2, 2, 5), D)), (T((1,), F), T((2, 1, 5), D)),
    (T((2, 3), "int64", "int"), T((3, 4), F)), (T((2, 3), "int32", "int"), T((3, 4), "int64", "int")),
    (T((2, 3), F), T((3, 4), "float16", grad=False)),
    (T((2, 3), "bool", "bool"), T((3, 4), "bool", "bool")), (T((3,), "bool", "bool"), T((3,), "bool", "bool")),
    (T((2, 3), "bool", "bool"), T((3,), "bool", "bool")), (T((3,), "bool", "bool"), T((3, 2), "bool", "bool")),
    (T((2, 2, 3), "bool", "bool"), T((2, 3, 4), "bool", "bool")),
    (T((2, 2, 3), "bool", "bool"), T((3, 4), "bool", "bool")),
    (T((2, 3), "bool", "bool"), T((3, 4), "int64", "int")),
    (T((2, 3), F), T((2, 4), D)),  # the shape error comes first
]


@pytest.mark.parametrize("args", MATMUL_ERRORS, ids=str)
def test_matmul_errors(args: tuple) -> None:
    same_error("matmul", *args)


@pytest.mark.parametrize("name,args", [
    ("mm", (T((3,)), T((3, 4)))), ("mm", (T((2, 2, 3)), T((3, 4)))), ("mm", (T((2, 3)), T((3,)))),
    ("mm", (T((2, 3)), T((4, 4)))), ("mm", (T((2, 3), F), T((3, 4), D)))
    , ("mm", (T((2, 0), F), T((0, 3), D))), ("mm", (T((3,)), T((3, 4), D))),
    ("mm", (T((2, 3)), T((2, 4), D))), ("mm", (T((2, 3), "bool", "bool"), T((3, 4), "bool", "bool"))),
    ("mm", (T((2, 3), "int32", "int"), T((3, 4), "bool", "bool"))),
    ("mm", (T((2, 3), "float16", grad=False), T((3, 4)))),
    ("bmm", (T((2, 3)), T((3, 4)))), ("bmm", (T((2, 2, 3)), T((3, 4)))), ("bmm", (T((2, 2, 3)), T((3, 3, 4)))),
    ("bmm", (T((2, 2, 3)), T((2, 2, 4)))), ("bmm", (T((2, 2, 3), F), T((2, 3, 4), D))),
    ("bmm", (T((2, 2, 3), D), T((2, 3, 4), F))), ("bmm", (T((2, 2, 3)), T((3, 3, 4), D))),
    ("bmm", (T((2, 2, 3), "bool", "bool"), T((2, 3, 4), "bool", "bool"))),
    ("bmm", (T((2, 2, 3), "bool", "bool"), T((2, 3, 4)))), ("bmm", (T((2, 2, 3)), T((2, 3, 4), "bool", "bool"))),
    ("bmm", (T((2, 2, 3), "int32", "int"), T((2, 3, 4), "int64", "int"))),
    ("mv", (T((2, 3)), T((2,)))), ("mv", (T((3,)), T((3,)))), ("mv", (T((2, 3)), T((3, 1)))),
    ("mv", (T((2, 3), F), T((3,), D))), ("mv", (T((2, 3), D), T((3,), F))), ("mv", (T((2, 3)), T((2,), D))),
    ("mv", (T((2, 3), "bool", "bool"), T((3,), "bool", "bool"))),
    ("mv", (T((2, 3), "bool", "bool"), T((3,), "int64", "int"))),
    ("dot", (T((2, 3)), T((3,)))), ("dot", (T((3,)), T((3, 1)))), ("dot", (T(()), T((3,)))),
    ("dot", (T((3,)), T((2,)))), ("dot", (T((3,), F), T((3,), D))), ("dot", (T((2,), F), T((3,), D))),
    ("dot", (T((3,), "bool", "bool"), T((3,), "bool", "bool"))),
    ("dot", (T((3,), "int32", "int"), T((3,), "int64", "int"))),
    ("outer", (T((3, 1)), T((2,)))), ("outer", (T((3,)), T((2, 2)))), ("outer", (T(()), T((2,)))),
    ("t", (T((2, 2, 2)),)),
    ("trace", (T((3,)),)), ("trace", (T((2, 2, 2)),)), ("trace", (T(()),)),
    ("trace", (T((2, 2), "bool", "bool"),)), ("trace", (T((3,), "bool", "bool"),)),
    ("transpose", (T((2, 3)), 0, 2)), ("transpose", (T(()), 0, 1)), ("transpose", (T((2, 3)), -3, 0)),
    ("permute", (T((2, 3)), (0,))), ("permute", (T((2, 3)), (0, 0))), ("permute", (T((2, 3)), (0, 2))),
    ("permute", (T((2, 3)), (0, 1, 2))), ("permute", (T((2, 3)), (2, 2))), ("permute", (T((2, 3)), (-1, 1))),
    ("permute", (T(()), (0,))),
], ids=str)
def test_errors(name: str, args: tuple) -> None:
    same_error(name, *args)
    if name not in ("t",) and isinstance(args[0], T) and args[0].shape:
        same_error(name, *args, method=True)


@pytest.mark.parametrize("equation,specs", [
    ("ij,jk->ik", [T((2, 3)), T((2, 4))]), ("ij,jk->ik", [T((2, 3))]), ("ij->i", [T((2, 3)), T((2, 3))]),
    ("ij->ik", [T((2, 3))]), ("ij->ii", [T((2, 3))]), ("i1->i", [T((2, 3))]), ("ijk->i", [T((2, 3))]),
    ("i->i", [T((2, 3))]), ("ii->i", [T((3, 2))]), ("ij->j->i", [T((2, 3))]), ("......ij->ij", [T((2, 3))]),
    ("..ij->ij", [T((2, 3))]), ("...i->......i", [T((2,))]), ("...i->..i", [T((2,))]), ("i->1", [T((2,))]),
    ("...ijk->i", [T((2, 3))]), ("...,...", [T((2, 3)), T((4, 3))]), ("i...j,i...j->ij", [T((2, 3, 4)), T((2, 5, 4))]),
    ("ii...,i->i", [T((2, 2, 3)), T((3,))]),
    ("ij,jk->ik", [T((2, 3), F), T((3, 4), D)]), ("ij,jk->ik", [T((2, 3), D), T((3, 4), F)]),
    ("ij,jk->ik", [T((2, 3), "int64", "int"), T((3, 4), D)]),
    ("ij,jk->ik", [T((2, 3), "bool", "bool"), T((3, 4), "bool", "bool")]),
    ("ij,jk->ik", [T((2, 3), "bool", "bool"), T((3, 4))]), ("ij,jk->ik", [T((2, 3)), T((3, 4), "bool", "bool")]),
    ("ij,j->", [T((2, 3), "int32", "int"), T((3,), "int32", "int")]),  # int32 pre-sum makes int64
    ("i->i", []),
], ids=str)
def test_einsum_errors(equation: str, specs: list) -> None:
    same_error("einsum", equation, *specs)


def test_einsum_argument_errors() -> None:
    for args in [("ij->i",), ("ij->i", []), (3, T((2, 3)))]:
        with pytest.raises((ValueError, TypeError)) as t_err:
            torch.einsum(*[_pair(a, 0)[1] for a in args])
        with pytest.raises((ValueError, TypeError)) as e_err:
            engine.einsum(*[_pair(a, 0)[0] for a in args])
        assert type(t_err.value) in type(e_err.value).__mro__
    same_error("einsum", T((2, 3)), [0, 52])


# -- flops and the planner's shape rules ------------------------------------------------------

def test_flops() -> None:
    reg = engine.REGISTRY
    assert reg["matmul"].flops((2, 3), (3, 4)) == 2 * 2 * 3 * 4
    assert reg["matmul"].flops((3,), (3,)) == 2 * 3
    assert reg["matmul"].flops((5, 2, 3), (3,)) == 2 * 5 * 2 * 3
    assert reg["matmul"].flops((7, 1, 2, 3), (5, 3, 4)) == 2 * 7 * 5 * 2 * 3 * 4
    assert reg["matmul"].flops((2, 0), (0, 3)) == 0
    assert reg["mm"].flops((2, 3), (3, 4)) == 48
    assert reg["bmm"].flops((5, 2, 3), (5, 3, 4)) == 5 * 48
    assert reg["mv"].flops((2, 3), (3,)) == 12
    assert reg["dot"].flops((3,), (3,)) == 6
    assert reg["outer"].flops((3,), (4,)) == 12
    assert reg["trace"].flops((3, 4)) == 3
    assert reg["t"].flops((2, 3)) == reg["transpose"].flops((2, 3), 0, 1) == reg["permute"].flops((2, 3), (1, 0)) == 0
    assert reg["einsum"].flops([(2, 3), (3, 4)], equation="ij,jk->ik") == 2 * 2 * 3 * 4
    assert reg["einsum"].flops([(3, 4)], equation="ij->") == 12
    # left to right, as PyTorch reduces: (2x3)(3x4) then (2x4)(4x5)
    assert reg["einsum"].flops([(2, 3), (3, 4), (4, 5)], equation="ij,jk,kl->il") == 2 * 24 + 2 * 40


@pytest.mark.parametrize("name,shapes,params", [
    ("matmul", [(5, 2, 3), (3, 4)], {}), ("matmul", [(3,), (2, 3, 4)], {}), ("matmul", [(2, 1, 2, 3), (5, 3, 4)], {}),
    ("matmul", [(3,), (3,)], {}), ("mm", [(2, 3), (3, 4)], {}), ("bmm", [(5, 2, 3), (5, 3, 4)], {}),
    ("mv", [(2, 3), (3,)], {}), ("dot", [(3,), (3,)], {}), ("outer", [(3,), (4,)], {}), ("t", [(2, 3)], {}),
    ("t", [(3,)], {}), ("transpose", [(2, 3, 4)], {"dim0": 0, "dim1": -1}), ("trace", [(2, 3)], {}),
    ("permute", [(2, 3, 4)], {"dims": (2, 0, 1)}),
], ids=str)
def test_shape_rules(name: str, shapes: list, params: dict) -> None:
    op = engine.REGISTRY[name]
    ins = [engine.zeros(s) for s in shapes]
    assert op.shape(*shapes, **params) == tuple(getattr(engine, name)(*ins, **params).shape)


def test_shape_rules_raise_pytorch_words() -> None:
    reg = engine.REGISTRY
    with pytest.raises(engine.ShapeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        reg["matmul"].shape((2, 3), (2, 3))
    with pytest.raises(engine.ShapeError, match="inconsistent tensor size"):
        reg["matmul"].shape((3,), (2,))
    with pytest.raises(engine.ShapeError, match="must match the size of tensor b"):
        reg["matmul"].shape((2, 2, 3), (3, 3, 4))
    with pytest.raises(engine.ShapeError, match="subscript j has size 2"):
        reg["einsum"].shape([(2, 3), (2, 4)], equation="ij,jk->ik")
    assert reg["einsum"].shape([(2, 3), (3, 4)], equation="ij,jk") == (2, 4)


def test_einsum_signature() -> None:
    assert engine.REGISTRY["einsum"].signature() == "einsum(equation, *operands)"
    assert engine.REGISTRY["matmul"].signature() == "matmul(input, other)"


def test_matmul_backward_of_shared_weight_is_folded() -> None:
    # (B, n, k) @ (k, p): the weight's gradient is one (k, p) matmul, equal to the batch sum
    a = engine.randn(4, 3, 5, dtype=engine.float64, requires_grad=True)
    w = engine.randn(5, 2, dtype=engine.float64, requires_grad=True)
    (a @ w).sum().backward()
    ref = np.einsum("bnk,bnp->kp", a.detach().numpy(), np.ones((4, 3, 2)))
    np.testing.assert_allclose(w.grad.numpy(), ref)


# -- empty products and which kernel's words a dtype mismatch gets -----------------------------

@pytest.mark.parametrize("name,specs", [
    # an empty product never reaches a kernel: no dtype checks, the result has the second's dtype
    ("bmm", (T((2, 2, 0), F), T((2, 0, 3), D))), ("bmm", (T((0, 2, 3), D), T((0, 3, 4), F))),
    ("bmm", (T((2, 2, 0), "bool", "bool"), T((2, 0, 3), "bool", "bool"))),
    ("matmul", (T((2, 2, 0), F), T((2, 0, 3), D))), ("matmul", (T((2, 3), F, grad=False), T((0, 3, 4), D))),
    ("mm", (T((2, 0), "bool", "bool"), T((0, 3), "bool", "bool"))),
    ("mv", (T((0, 2), "bool", "bool"), T((2,), "bool", "bool"))),
    ("einsum", ("ij,jk->ik", T((2, 0), F), T((0, 3), D))),
], ids=str)
def test_empty_products(name: str, specs: tuple) -> None:
    check(name, *specs)


@pytest.mark.parametrize("name,args", [
    # bmm's small-matrix kernel (k*n*p < 400) and its BLAS / per-batch addmm paths word it differently
    ("bmm", (T((1, 8, 8), F), T((1, 8, 8), D))), ("bmm", (T((3, 20, 20), D), T((3, 20, 20), F))),
    ("bmm", (T((1, 8, 8), F), T((1, 8, 8), "bool", "bool"))),
    ("bmm", (T((1, 8, 8), "bool", "bool"), T((1, 8, 8), "bool", "bool"))),
    ("bmm", (T((1, 8, 8), "bool", "bool"), T((1, 8, 8), F))),
    ("bmm", (T((1, 8, 8), "int32", "int"), T((1, 8, 8), "int64", "int"))),
    ("bmm", (T((1, 7, 8), F), T((1, 8, 7), D))),
    ("matmul", (T((2, 8, 8), F), T((2, 8, 8), D))),
    # mm and mv check dtypes even when empty (a folded empty batch goes to mv)
    ("matmul", (T((2,), F, grad=False), T((3, 2, 0), D))), ("mm", (T((2, 0), D), T((0, 3), F))),
    ("mv", (T((0, 2), D), T((2,), F))),
    # an integer result of inputs that require grad
    ("matmul", (T((2, 2, 0)), T((2, 0, 3), "bool", "bool"))), ("bmm", (T((2, 0, 3)), T((2, 3, 3), "int32", "int"))),
    ("einsum", ("ij,jk->ik", T((2, 0)), T((0, 3), "int64", "int"))),
    # einsum hands bmm the right operand first when the right-only dims all precede the left-only ones
    ("einsum", ("ij,jk->ki", T((2, 3), F), T((3, 4), D))),
    ("einsum", ("li,ji->jl", T((3, 2), D), T((1, 2), "bool", "bool"))),
    ("einsum", ("bik,bkj->jbi", T((2, 2, 2), F), T((2, 2, 2), D))),
    ("einsum", ("ij,jk->ik", T((20, 30), F), T((30, 40), D))),
], ids=str)
def test_kernel_dtype_errors(name: str, args: tuple) -> None:
    same_error(name, *args)


def test_integer_result_without_grad_mode() -> None:
    a = engine.ones(2, 2, 0, requires_grad=True)
    with engine.no_grad():
        out = a @ engine.ones(2, 0, 3, dtype=engine.bool)
    assert out.dtype == engine.bool and out.shape == (2, 2, 3) and not out.requires_grad
