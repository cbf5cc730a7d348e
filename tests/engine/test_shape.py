"""Shape ops against PyTorch: reshape, view, flatten, squeeze, unsqueeze, expand, cat, stack,
flip, repeat, narrow (values, dtypes, grad_fn names, derivatives, errors)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

import engine
from engine.ops.registry import REGISTRY

from .oracle import FLOATS, T, check
from .test_indexing import check_error, compare

# -- reshape, view ------------------------------------------------------------------------------

RESHAPES: list[tuple[tuple[int, ...], Any]] = [
    ((2, 3), (3, 2)), ((2, 3), (-1,)), ((2, 3), (2, 3)), ((2, 3), (1, -1, 1)), ((), ()), ((), (1,)),
    ((), (-1,)), ((1,), ()), ((0,), (0, 3)), ((0, 3), (-1,)), ((0, 3), (-1, 3)), ((2, 1, 3), (6,)), ((5,), [5, 1]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "new"), RESHAPES)
def test_reshape(shape: tuple[int, ...], new: Any, dtype: str) -> None:
    check("reshape", T(shape, dtype), new)
    check("view", T(shape, dtype), new, method=True)


def test_reshape_varargs_and_kwargs() -> None:
    compare(lambda lib, x: x.reshape(3, 2), T((2, 3)))
    compare(lambda lib, x: x.reshape(-1), T((2, 3)))
    compare(lambda lib, x: x.view(6), T((2, 3)))
    compare(lambda lib, x: x.view(size=(3, 2)), T((2, 3)))
    compare(lambda lib, x: x.reshape(shape=(1, 6)), T((2, 3)))
    compare(lambda lib, x: x.view(x.shape), T((2, 3)))
    compare(lambda lib, x: x.reshape(6) ** 2, T((2, 3)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.t().reshape(6),  # copies: UnsafeViewBackward0
        lambda x: x.t().reshape(3, 2),  # same shape, strided: ReshapeAliasBackward0
        lambda x: x.t().reshape(-1, 1, 2),
        lambda x: x[:, ::2].reshape(4),
        lambda x: x[:, ::2].reshape(2, 2),
        lambda x: x[:, 0:1].reshape(2),
        lambda x: x[:, 0:1].reshape(1, 2),
        lambda x: x[:, 0:1].view(2, 1),
        lambda x: x.t().view(3, 2),
        lambda x: x.expand(4, 2, 3).reshape(8, 3),
        lambda x: x[:1].expand(4, 3).reshape(12),
        lambda x: x[0:1].flatten(),
        lambda x: x.t().flatten(),
        lambda x: x.t().flatten(0, 0),  # the input itself: TBackward0
        lambda x: x.t().squeeze().reshape(6),
        lambda x: x.t().unsqueeze(0).reshape(3, 2),
        lambda x: x.t().flip(0).reshape(6),  # flip keeps the input's memory order
    ],
)
def test_reshape_grad_fn_follows_strides(fn: Any) -> None:
    compare(lambda lib, x: fn(x), T((2, 4) if "::2" in repr(fn) else (2, 3)))


def test_reshape_strided_values() -> None:
    compare(lambda lib, x: x[:, ::2].reshape(4), T((2, 4)))
    compare(lambda lib, x: x.transpose(0, 1).reshape(2, 3) ** 2, T((2, 3)))


RESHAPE_ERRORS = [(4,), (-1, -1), (-2, 3), (-1, -1, -2), (-2, -1, -1), (-1, 0), (2, 3.0)]


@pytest.mark.parametrize("new", RESHAPE_ERRORS)
def test_reshape_errors(new: Any) -> None:
    check_error(lambda lib, x: x.reshape(new), T((2, 3)))
    check_error(lambda lib, x: x.view(*new), T((2, 3)))


def test_view_errors() -> None:
    check_error(lambda lib, x: x.t().view(6), T((2, 3)))
    check_error(lambda lib, x: x.expand(4, 2, 3).view(8, 3), T((2, 3)))
    check_error(lambda lib, x: x[:, 0:2].view(4), T((2, 3)))
    check_error(lambda lib, x: x.view(0, -1), T((0, 3)))
    check_error(lambda lib, x: x.reshape(-1, 0), T((0, 3)))
    check_error(lambda lib, x: lib.reshape(x, 6), T((2, 3)))


# -- flatten ------------------------------------------------------------------------------------

FLATTENS = [
    ((2, 3, 4), 0, -1), ((2, 3, 4), 1, -1), ((2, 3, 4), 0, 1), ((2, 3, 4), -2, -1), ((), 0, -1), ((), 0, 0),
    ((), -1, 0), ((0, 3), 0, -1), ((1, 3, 1), 0, 1), ((2, 0, 3), 1, 2), ((5,), 0, 0),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "start", "end"), FLATTENS)
def test_flatten(shape: tuple[int, ...], start: int, end: int, dtype: str) -> None:
    check("flatten", T(shape, dtype), start, end)
    check("flatten", T(shape, dtype), start_dim=start, end_dim=end)


@pytest.mark.parametrize(
    ("shape", "args"), [((3,), ()), ((2, 3), (1,)), ((2, 3), (1, 1)), ((2, 3, 4), (-2, 1)), ((2,), (0, -1))]
)
def test_flatten_returns_input(shape: tuple[int, ...], args: tuple[int, ...]) -> None:
    for lib in (engine, torch):
        x = lib.ones(shape, requires_grad=True)
        assert x.flatten(*args) is x
        assert lib.flatten(x, *args) is x
        y = x * 2
        assert y.flatten(*args) is y and y.flatten(*args).grad_fn.name() == "MulBackward0"
    i = engine.tensor([1, 2, 3])
    assert i.flatten() is i


@pytest.mark.parametrize(
    ("shape", "args"), [((2, 3), (2,)), ((2, 3), (1, 0)), ((2, 3), (-1, -2)), ((), (1,)), ((), (0, -2))]
)
def test_flatten_errors(shape: tuple[int, ...], args: tuple[int, ...]) -> None:
    check_error(lambda lib, x: x.flatten(*args), T(shape))


# -- squeeze, unsqueeze -------------------------------------------------------------------------

SQUEEZES: list[tuple[tuple[int, ...], Any]] = [
    ((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), 1), ((1, 3, 1), -1), ((1, 3, 1), (0, 2)), ((1, 3, 1), [0, 1]),
    ((1, 3, 1), ()), ((), None), ((), 0), ((), -1), ((), (0,)), ((2, 3), None), ((1, 0, 1), None), ((1,), 0),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim"), SQUEEZES)
def test_squeeze(shape: tuple[int, ...], dim: Any, dtype: str) -> None:
    if dim is None:
        check("squeeze", T(shape, dtype))
    else:
        check("squeeze", T(shape, dtype), dim)
        check("squeeze", T(shape, dtype), dim=dim)


def test_squeeze_method_overloads() -> None:
    compare(lambda lib, x: x.squeeze(), T((1, 3, 1)))  # SqueezeBackward0
    compare(lambda lib, x: x.squeeze(0), T((1, 3, 1)))  # SqueezeBackward1
    compare(lambda lib, x: x.squeeze(0, 2), T((1, 3, 1)))  # SqueezeBackward2
    compare(lambda lib, x: x.squeeze((0,)), T((1, 3, 1)))
    compare(lambda lib, x: x.squeeze(dim=2), T((1, 3, 1)))
    compare(lambda lib, x: x.squeeze(-1) ** 2, T((1, 3, 1)))


@pytest.mark.parametrize(
    ("shape", "dim"), [((2, 3), 2), ((1, 3, 1), (0, 0)), ((1, 3, 1), (0, -3)), ((), 1), ((2,), 1.0)]
)
def test_squeeze_errors(shape: tuple[int, ...], dim: Any) -> None:
    check_error(lambda lib, x: lib.squeeze(x, dim), T(shape))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    ("shape", "dim"), [((2, 3), 0), ((2, 3), 2), ((2, 3), -1), ((2, 3), -3), ((), 0), ((), -1), ((0,), 1)]
)
def test_unsqueeze(shape: tuple[int, ...], dim: int, dtype: str) -> None:
    check("unsqueeze", T(shape, dtype), dim)
    compare(lambda lib, x: x.unsqueeze(dim) ** 2, T(shape, dtype))


@pytest.mark.parametrize(("shape", "dim"), [((2, 3), 3), ((2, 3), -4), ((), 1), ((), -2), ((2,), 1.0)])
def test_unsqueeze_errors(shape: tuple[int, ...], dim: Any) -> None:
    check_error(lambda lib, x: x.unsqueeze(dim), T(shape))
    check_error(lambda lib, x: lib.unsqueeze(x, 0, 1), T(shape))


# -- expand, broadcast_to -----------------------------------------------------------------------

EXPANDS = [
    ((1, 3), (2, 3)), ((1, 3), (-1, 3)), ((3,), (2, 2, 3)), ((), (4,)), ((), ()), ((2, 1), (2, 0)), ((1, 3), (0, 3)),
    ((2, 3), (2, 3)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "size"), EXPANDS)
def test_expand(shape: tuple[int, ...], size: tuple[int, ...], dtype: str) -> None:
    check("expand", T(shape, dtype), size, method=True)
    check("broadcast_to", T(shape, dtype), size)
    compare(lambda lib, x: x.expand(size) ** 2, T(shape, dtype))
    if size:
        compare(lambda lib, x: x.expand(*size), T(shape, dtype))


@pytest.mark.parametrize(
    ("shape", "size"),
    [
        ((2, 3), (3, 3)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((2, 3), (-1, 2, 3)), ((1, 3), (-2, 3)), ((1, 3), (2, -2)),
        ((), (-1,)),
    ],
)
def test_expand_errors(shape: tuple[int, ...], size: tuple[int, ...]) -> None:
    check_error(lambda lib, x: x.expand(*size), T(shape))
    check_error(lambda lib, x: x.expand(*size), T(shape, "float32"))
    check_error(lambda lib, x: lib.broadcast_to(x, size), T(shape, "int64", "int"))


# -- cat, stack ---------------------------------------------------------------------------------

CATS: list[tuple[list[tuple[int, ...]], int]] = [
    ([(2, 3), (1, 3)], 0), ([(2, 3), (2, 1)], 1), ([(2, 3), (2, 2), (2, 1)], -1), ([(2, 3)], 0), ([(0,), (2, 3)], 1),
    ([(2, 3), (0,)], 0), ([(0,), (0,)], 0), ([(0, 3), (2, 3)], 0), ([(2, 0), (2, 3)], 1), ([(3,), (1,)], 0),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shapes", "dim"), CATS)
def test_cat(shapes: list[tuple[int, ...]], dim: int, dtype: str) -> None:
    check("cat", [T(s, dtype) for s in shapes], dim)
    check("cat", tuple(T(s, dtype) for s in shapes), dim=dim)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    ("shape", "n", "dim"), [((2, 3), 2, 0), ((2, 3), 3, 2), ((2, 3), 2, -1), ((), 3, 0), ((0,), 2, 1), ((1,), 1, 0)]
)
def test_stack(shape: tuple[int, ...], n: int, dim: int, dtype: str) -> None:
    check("stack", [T(shape, dtype, seed=i) for i in range(n)], dim)


def test_cat_stack_promote_dtypes() -> None:
    check("cat", [T((2, 3), "float32"), T((1, 3), "float64")], 0)
    check("cat", [T((2, 3), "int64", "int"), T((1, 3), "float32")], 0)
    check("cat", [T((2,), "bool", "bool"), T((2,), "int32", "int")], 0)
    check("cat", [T((0,), "float64"), T((2,), "float32")], 0)
    check("stack", [T((2,), "int64", "int"), T((2,), "float32")], 0)
    check("stack", [T((2,), "float64"), T((2,), "float32")], 1)
    check("concat", [T((2,), "float64"), T((2,), "float64")])
    check("concatenate", [T((2,), "float64"), T((2,), "float64")])


def test_cat_stack_second_derivatives() -> None:
    compare(lambda lib, a, b: lib.cat([a * b, b], 1) ** 2, T((2, 3)), T((2, 3)))
    compare(lambda lib, a, b: lib.stack([a, a * b], 0) ** 3, T((2,), "float32"), T((2,), "float32"))
    compare(lambda lib, a, b: lib.cat([a, b]), T((0,)), T((2, 2)))
    compare(lambda lib, a, b: lib.cat([a, b.detach(), a]), T((2, 2)), T((1, 2)))


def test_cat_stack_errors() -> None:
    check_error(lambda lib, a, b: lib.cat([a, b], 1), T((2, 3)), T((3, 3)))
    check_error(lambda lib, a, b: lib.cat([a, b]), T((2, 3)), T((3, 2)))
    check_error(lambda lib, a, b, c: lib.cat([a, b, c]), T((2, 3)), T((4, 3)), T((2, 2)))
    check_error(lambda lib, a, b: lib.cat([a, b], 2), T((2, 3)), T((2, 3)))
    check_error(lambda lib, a, b: lib.cat([a, b], -3), T((2, 3)), T((2, 3)))
    check_error(lambda lib, a, b: lib.cat([a, b]), T((2, 3)), T((3,)))
    check_error(lambda lib, a, b: lib.cat([a, b]), T((2, 3)), T(()))
    check_error(lambda lib, a, b: lib.cat([a, b]), T(()), T((0,)))
    check_error(lambda lib, a, b: lib.cat([a, b], 5), T((0,)), T((2, 3)))
    check_error(lambda lib, a, b: lib.cat([a, b], dim=1.0), T((2, 3)), T((2, 3)))
    check_error(lambda lib: lib.cat([]))
    check_error(lambda lib, a: lib.cat([a, 1]), T((2,)))
    check_error(lambda lib, a: lib.cat(a), T((2,)))
    check_error(lambda lib, a, b: lib.stack([a, b]), T((2, 3)), T((3, 3)))
    check_error(lambda lib, a, b, c: lib.stack([a, b, c], -1), T((2, 3)), T((2, 3)), T((2, 2)))
    check_error(lambda lib, a, b: lib.stack([a, b], 1), T((2,)), T((2, 1)))
    check_error(lambda lib, a, b: lib.stack([a, b], 3), T((2, 3)), T((2, 3)))
    check_error(lambda lib: lib.stack([]))
    check_error(lambda lib, a: lib.stack(a), T((2,)))


# -- flip, repeat, narrow -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    ("shape", "dims"),
    [((2, 3), (0,)), ((2, 3), (0, 1)), ((2, 3), [-1]), ((2, 3), ()), ((), (0,)), ((0, 2), (0,)), ((1, 3, 2), (2, 0))],
)
def test_flip(shape: tuple[int, ...], dims: Any, dtype: str) -> None:
    check("flip", T(shape, dtype), dims)
    compare(lambda lib, x: x.flip(*dims) ** 2 if dims and isinstance(dims, tuple) else x.flip(dims), T(shape, dtype))


def test_flip_errors() -> None:
    for dims in ((0, 0), (0, -2), (2,), 0, (0, 1.0), 0.5):
        check_error(lambda lib, x, dims=dims: lib.flip(x, dims), T((2, 3)))
    check_error(lambda lib, x: x.flip(0, 1.5), T((2, 3)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    ("shape", "reps"),
    [
        ((2, 3), (2, 2)), ((2, 3), (1, 1)), ((2, 3), (2, 1, 2)), ((2, 3), (0, 2)), ((), ()), ((), (3,)), ((), (2, 3)),
        ((0, 2), (2, 1)), ((3,), (2,)),
    ],
)
def test_repeat(shape: tuple[int, ...], reps: tuple[int, ...], dtype: str) -> None:
    compare(lambda lib, x: x.repeat(*reps) if reps else x.repeat(()), T(shape, dtype))
    compare(lambda lib, x: x.repeat(reps) ** 2, T(shape, dtype))
    assert REGISTRY["repeat"].shape(shape, reps) == tuple(torch.ones(shape).repeat(reps).shape)


def test_repeat_errors() -> None:
    for reps in ((2,), (), (-1, 1), (0, -1), (2, 1.5)):
        check_error(lambda lib, x, reps=reps: x.repeat(*reps) if reps else x.repeat(()), T((2, 3)))


NARROWS = [
    ((2, 3), 0, 0, 1), ((2, 3), 1, 1, 2), ((2, 3), 1, -2, 2), ((2, 3), -1, 0, 3), ((2, 3), 1, 3, 0), ((2, 3), 0, 2, 0),
    ((4,), 0, 1, 2), ((0, 3), 1, 0, 2),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "start", "length"), NARROWS)
def test_narrow(shape: tuple[int, ...], dim: int, start: int, length: int, dtype: str) -> None:
    check("narrow", T(shape, dtype), dim, start, length)
    compare(lambda lib, x: x.narrow(dim, start, length) ** 2, T(shape, dtype))


def test_narrow_tensor_start_and_kwargs() -> None:
    compare(lambda lib, x: x.narrow(1, lib.tensor(1), 2), T((2, 3)))
    compare(lambda lib, x: lib.narrow(x, dim=0, start=0, length=1), T((2, 3)))


@pytest.mark.parametrize(
    ("shape", "args"),
    [
        ((2, 3), (0, 1, 5)), ((2, 3), (1, 4, 0)), ((2, 3), (1, -4, 1)), ((2, 3), (1, 0, -1)), ((), (0, 0, 1)),
        ((2, 3), (2, 0, 1)),
    ],
)
def test_narrow_errors(shape: tuple[int, ...], args: tuple[int, ...]) -> None:
    check_error(lambda lib, x: x.narrow(*args), T(shape))


# -- dtypes that do not require grad ------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_non_float(dtype: str) -> None:
    spec = T((1, 2, 3), dtype, "bool" if dtype == "bool" else "int")
    for fn in (
        lambda lib, x: x.reshape(3, 2), lambda lib, x: x.flatten(), lambda lib, x: x.squeeze(),
        lambda lib, x: x.unsqueeze(1),
        lambda lib, x: lib.cat([x, x], 2), lambda lib, x: lib.stack([x, x]), lambda lib, x: x.flip(1),
        lambda lib, x: x.repeat(1, 2, 1), lambda lib, x: x.narrow(2, 1, 2), lambda lib, x: x.expand(2, 2, 3),
    ):
        compare(fn, spec)
