"""where, comparisons, logical and bitwise ops (and their operators) against PyTorch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import BINARY_SHAPES, FLOATS, T, assert_close, check

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]
WHERE_SHAPES = [
    ((), (), ()),
    ((3,), (3,), (3,)),
    ((2, 3), (3,), ()),
    ((2, 1), (1, 3), (2, 3)),
    ((3,), (2, 1), (1,)),
    ((1,), (), (4, 1)),
    ((2, 1, 3), (4, 1), (3,)),
    ((0,), (1,), ()),
    ((0, 2), (2,), (1, 2)),
]


def both(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Run ``fn(lib)`` with lib = engine and lib = torch; return (result or exception) of each."""
    out = []
    for lib in (engine, torch):
        try:
            out.append(fn(lib))
        except Exception as exc:  # noqa: BLE001 - compared below
            out.append(exc)
    return out[0], out[1]


def same_error(fn: Callable[[Any], Any], *, message: bool = True, first_line: bool = False) -> None:
    e, t = both(fn)
    assert isinstance(t, Exception), f"torch did not raise: {t!r}"
    assert isinstance(e, Exception), f"engine did not raise: {e!r} (torch: {t!r})"
    assert isinstance(e, type(t)) or isinstance(e, RuntimeError) and isinstance(t, RuntimeError), (e, t)
    assert isinstance(e, engine.EngineError), f"untyped engine error {type(e)}"
    if message:
        es, ts = str(e), str(t)
        if first_line:
            es, ts = es.split("\n")[0], ts.split("\n")[0]
        assert es == ts, f"\nengine: {es}\ntorch:  {ts}"


def same_value(fn: Callable[[Any], Any]) -> None:
    e, t = both(fn)
    assert not isinstance(t, Exception), t
    assert not isinstance(e, Exception), e
    assert_close(e, t, "value")
    assert e.requires_grad == t.requires_grad
    assert (e.grad_fn is None) == (t.grad_fn is None)


# -- where ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", WHERE_SHAPES)
def test_where_tensors(shapes: tuple, dtype: str) -> None:
    c, a, b = shapes
    check("where", T(c, "bool", "bool"), T(a, dtype), T(b, dtype))


@pytest.mark.parametrize("shapes", WHERE_SHAPES[:6])
def test_where_one_branch_requires_grad(shapes: tuple) -> None:
    c, a, b = shapes
    check("where", T(c, "bool", "bool"), T(a, "float64"), T(b, "float64", grad=False))
    check("where", T(c, "bool", "bool", seed=1), T(a, "float64", grad=False), T(b, "float64"))


@pytest.mark.parametrize("other", [0.0, 0, -2.5, True, 7])
@pytest.mark.parametrize("dtype", FLOATS)
def test_where_scalar_other(other: Any, dtype: str) -> None:
    check("where", T((2, 3), "bool", "bool"), T((2, 3), dtype), other)
    check("where", T((2, 3), "bool", "bool"), T((3,), dtype), other)


@pytest.mark.parametrize("value", [0.0, 1, -3.5])
def test_where_scalar_input(value: Any) -> None:
    check("where", T((4,), "bool", "bool"), value, T((4,), "float64"))
    check("where", T((2, 4), "bool", "bool"), value, T((1, 4), "float32"))


@pytest.mark.parametrize("pair", [(1.0, 0.0), (1, 0), (True, False), (2, 0.5), (True, 3)])
def test_where_two_scalars(pair: tuple) -> None:
    check("where", T((2, 3), "bool", "bool"), *pair)


@pytest.mark.parametrize(
    "a,b",
    [
        (T((3,), "float32"), T((3,), "float64")),
        (T((3,), "float64"), T((), "float32")),
        (T((), "float64"), T((3,), "float32")),
        (T((3,), "float16", grad=False), T((3,), "float32")),
        (T((3,), "int64", "int"), T((3,), "float32")),
        (T((3,), "int64", "int"), 2.5),
        (T((3,), "int32", "int"), T((3,), "int64", "int")),
        (T((3,), "int32", "int"), 7),
        (T((3,), "bool", "bool"), T((3,), "int64", "int")),
        (T((3,), "bool", "bool"), 2),
        (T((3,), "bool", "bool"), T((3,), "bool", "bool")),
        (T((3,), "float16", grad=False), 2.5),
        (T((), "int64", "int"), T((3,), "int32", "int")),
    ],
)
def test_where_dtype_promotion(a: Any, b: Any) -> None:
    check("where", T((3,), "bool", "bool"), a, b)
    check("where", T((3,), "bool", "bool"), b, a)


def test_where_grad_to_both_branches() -> None:
    for lib in (engine, torch):
        x = lib.tensor([1.0, -2.0, 3.0, -4.0], requires_grad=True)
        y = lib.tensor([10.0, 20.0, 30.0, 40.0], requires_grad=True)
        out = lib.where(x > 0, x * y, y * 2)
        out.sum().backward()
        assert out.grad_fn.name() == "WhereBackward0"
        if lib is engine:
            ex, ey = x.grad.tolist(), y.grad.tolist()
        else:
            assert x.grad.tolist() == ex and y.grad.tolist() == ey
    assert ex == [10.0, 0.0, 30.0, 0.0]
    assert ey == [1.0, 2.0, 3.0, 2.0]


def test_where_broadcast_grad_sums() -> None:
    def f(lib: Any) -> Any:
        x = lib.tensor([[1.0], [2.0]], dtype=lib.float64, requires_grad=True)  # (2, 1)
        y = lib.tensor([5.0, 6.0, 7.0], dtype=lib.float64, requires_grad=True)  # (3,)
        c = lib.tensor([[True, False, True], [False, False, True]])
        lib.where(c, x, y).sum().backward()
        return x.grad, y.grad

    (egx, egy), (tgx, tgy) = both(f)
    assert_close(egx, tgx, "x.grad")
    assert_close(egy, tgy, "y.grad")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", FLOATS)
def test_where_nan_trap(dtype: str) -> None:
    """The masked branch's NaN derivative leaks through (0 * inf = NaN), exactly as PyTorch."""

    def trap(lib: Any) -> Any:
        x = lib.tensor([-1.0, 0.0, 4.0], dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.where(x > 0, x.pow(0.5), 0.0)
        out.sum().backward()
        return out, x.grad

    (eo, eg), (to, tg) = both(trap)
    assert_close(eo, to, "value")
    assert_close(eg, tg, "grad")
    assert math.isnan(eg.tolist()[0]) and math.isnan(eg.tolist()[1])
    assert eg.tolist()[2] == pytest.approx(0.25)

    def div_trap(lib: Any) -> Any:
        x = lib.tensor([0.0, 2.0], dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.where(x != 0, lib.div(lib.ones_like(x), x), x * 0)
        out.sum().backward()
        return x.grad

    eg, tg = both(div_trap)
    assert_close(eg, tg, "grad")
    assert math.isnan(eg.tolist()[0])

    def safe(lib: Any) -> Any:
        x = lib.tensor([-1.0, 0.0, 4.0], dtype=getattr(lib, dtype), requires_grad=True)
        pos = x > 0
        out = lib.where(pos, lib.where(pos, x, 1.0).pow(0.5), 0.0)
        out.sum().backward()
        return x.grad

    eg, tg = both(safe)
    assert_close(eg, tg, "grad")
    assert eg.tolist()[:2] == [0.0, 0.0]


def test_where_second_derivative_through_branches() -> None:
    def f(lib: Any) -> Any:
        x = lib.tensor([-1.5, 0.5, 2.0], dtype=lib.float64, requires_grad=True)
        out = lib.where(x > 0, x * x * x, x * x)
        (g,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return g, gg

    (eg, egg), (tg, tgg) = both(f)
    assert_close(eg, tg, "grad")
    assert_close(egg, tgg, "second derivative")


def test_where_errors() -> None:
    c = np.array([True, False, True])
    same_error(lambda lib: lib.where(lib.tensor(c).float(), lib.ones(3), 0.0))
    same_error(lambda lib: lib.where(lib.tensor(c).int(), lib.ones(3), 0.0))
    same_error(lambda lib: lib.where(lib.tensor(c).long(), lib.ones(3), lib.zeros(3)))
    same_error(lambda lib: lib.where(lib.ones(2, dtype=lib.bool), lib.ones(3), 0.0))
    same_error(lambda lib: lib.where(lib.tensor(c), lib.ones(2), lib.ones(3)))
    same_error(lambda lib: lib.where(lib.tensor(c), lib.ones(3), lib.ones(2, 1, 2)))
    same_error(lambda lib: lib.where(True, lib.ones(3), 0.0), first_line=True)
    same_error(lambda lib: lib.where(lib.tensor(c), lib.ones(3), None), first_line=True)
    same_error(lambda lib: lib.where(lib.tensor(c), "a", lib.ones(3)), first_line=True)


def test_where_result_flags() -> None:
    c = engine.tensor([True, False])
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    out = engine.where(c, x, 0.0)
    assert out.requires_grad and not out.is_leaf and out.grad_fn.name() == "WhereBackward0"
    with engine.no_grad():
        assert not engine.where(c, x, 0.0).requires_grad
    assert not engine.where(c, x.detach(), 1.0).requires_grad
    assert engine.where(c, 1.0, 0.0).dtype is engine.float32
    assert engine.REGISTRY["where"].differentiable
    assert [p.name for p in engine.REGISTRY["where"].params] == ["condition", "input", "other"]


# -- comparisons -----------------------------------------------------------------------

@pytest.mark.parametrize("shapes", BINARY_SHAPES)
@pytest.mark.parametrize("name", COMPARISONS)
def test_compare_shapes(name: str, shapes: tuple) -> None:
    a, b = shapes
    check(name, T(a, "float64", "int"), T(b, "float64", "int"))  # ints as floats: many ties
    check(name, T(a, "float32"), T(b, "float32"), salt=1)


@pytest.mark.parametrize(
    "a,b",
    [
        (T((4,), "int64", "int"), T((4,), "float32", "int")),
        (T((4,), "int32", "int"), T((4,), "int64", "int")),
        (T((4,), "bool", "bool"), T((4,), "bool", "bool")),
        (T((4,), "bool", "bool"), T((4,), "int64", "int")),
        (T((4,), "float16", "int"), T((4,), "float64", "int")),
        (T((4,), "int64", "int"), 2),
        (T((4,), "int64", "int"), 1.5),
        (T((4,), "int64", "int"), True),
        (T((4,), "bool", "bool"), 0.5),
        (T((4,), "bool", "bool"), True),
        (T((4,), "float32", "int"), 0),
        (T((4,), "float32"), -0.25),
        (T((), "int64", "int"), T((4,), "int32", "int")),
    ],
)
@pytest.mark.parametrize("name", COMPARISONS)
def test_compare_dtypes_and_scalars(name: str, a: Any, b: Any) -> None:
    check(name, a, b)


@pytest.mark.parametrize("name", COMPARISONS)
def test_compare_method_and_aliases(name: str) -> None:
    check(name, T((2, 3), "float64", "int"), T((3,), "float64", "int"), method=True)
    check(name, T((2, 3), "int64", "int"), 1, method=True)
    alias = {"ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}.get(name)
    if alias:
        check(alias, T((2, 3), "float64", "int"), T((3,), "float64", "int"))


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_compare_operators(op: str) -> None:
    fn = OPERATORS[op]
    x = np.array([[-1.0, 0.0, 2.0], [math.nan, math.inf, -0.0]])
    y = np.array([0.0, 0.0, math.nan])
    for other in (lambda lib: lib.tensor(y), lambda lib: 0.0, lambda lib: 2, lambda lib: lib.tensor(0.0)):
        same_value(lambda lib, other=other: fn(lib.tensor(x), other(lib)))
        same_value(lambda lib, other=other: fn(other(lib), lib.tensor(x)))  # reflected
    same_value(lambda lib: fn(lib.tensor([1, 2, 3]), lib.tensor([3, 2, 1], dtype=lib.int32)))
    same_value(lambda lib: fn(lib.tensor([True, False]), lib.tensor([True, True])))
    same_value(lambda lib: fn(lib.tensor([1.0, 2.0], requires_grad=True), 1.5))


def test_compare_nan_and_precision() -> None:
    nan = math.nan
    for name in COMPARISONS:
        same_value(lambda lib, n=name: getattr(lib, n)(lib.tensor([nan, 1.0, nan]), lib.tensor([nan, nan, 1.0])))
        same_value(lambda lib, n=name: getattr(lib, n)(lib.tensor([nan, 1.0]), nan))
    # an int64 compared with a float compares in float32, as PyTorch
    same_value(lambda lib: lib.tensor([16777217]) == 16777216.0)
    same_value(lambda lib: lib.tensor(16777217) == lib.tensor(16777216.0))
    # a float32 tensor against a Python float: the number is rounded to float32 first
    same_value(lambda lib: lib.tensor([0.1]) == 0.1)
    same_value(lambda lib: lib.tensor([0.1], dtype=lib.float64) == 0.1)


def test_compare_results_not_differentiable() -> None:
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    for name in COMPARISONS:
        out = getattr(engine, name)(x, 1.5)
        assert out.dtype is engine.bool and not out.requires_grad and out.grad_fn is None and out.is_leaf
        assert not engine.REGISTRY[name].differentiable


def test_compare_errors() -> None:
    same_error(lambda lib: lib.eq(2, lib.ones(3)), first_line=True)
    same_error(lambda lib: lib.lt(lib.ones(3), "a"), first_line=True)
    same_error(lambda lib: lib.ge(lib.ones(3), None), first_line=True)
    same_error(lambda lib: lib.eq(lib.ones(3), lib.ones(2)))
    same_error(lambda lib: lib.ones(2, 3) < lib.ones(2))


# -- logical ---------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", BINARY_SHAPES)
@pytest.mark.parametrize("name", LOGICAL)
def test_logical_shapes(name: str, shapes: tuple) -> None:
    a, b = shapes
    check(name, T(a, "bool", "bool"), T(b, "bool", "bool"))
    check(name, T(a, "float64", "int"), T(b, "int64", "int"))


@pytest.mark.parametrize(
    "a,b",
    [
        (T((5,), "float32"), T((5,), "bool", "bool")),
        (T((5,), "int32", "int"), T((5,), "float16", "int")),
        (T((5,), "float64", "int"), T((5,), "float64", "int")),
    ],
)
@pytest.mark.parametrize("name", LOGICAL)
def test_logical_dtypes(name: str, a: Any, b: Any) -> None:
    check(name, a, b)
    check(name, a, b, method=True)


@pytest.mark.parametrize("spec", [T((5,), "bool", "bool"), T((2, 3), "float64", "int"), T((), "int64", "int"),
                                  T((0,), "float32"), T((4,), "int32", "int")])
def test_logical_not(spec: T) -> None:
    check("logical_not", spec)
    check("logical_not", spec, method=True)


def test_logical_nan_inf_and_flags() -> None:
    data = [0.0, -0.0, math.nan, math.inf, 1e-30]
    same_value(lambda lib: lib.logical_not(lib.tensor(data)))
    same_value(lambda lib: lib.logical_and(lib.tensor(data), lib.tensor(data[::-1])))
    same_value(lambda lib: lib.logical_xor(lib.tensor(data), lib.tensor([1, 0, 1, 0, 1])))
    x = engine.tensor([1.0, 0.0], requires_grad=True)
    for name in LOGICAL:
        out = getattr(engine, name)(x, x)
        assert out.dtype is engine.bool and not out.requires_grad and not engine.REGISTRY[name].differentiable
    assert not engine.logical_not(x).requires_grad


def test_logical_errors() -> None:
    # PyTorch names the position of a positional argument (the function form counts input as 1)
    same_error(lambda lib: lib.logical_and(lib.tensor([True, False]), True))
    same_error(lambda lib: lib.tensor([True, False]).logical_and(True))
    same_error(lambda lib: lib.logical_and(lib.tensor([True, False]), other=True))
    same_error(lambda lib: lib.logical_or(lib.ones(3), lib.ones(2)))
    same_error(lambda lib: lib.logical_xor(lib.ones(2, 3), lib.ones(3, 2)))


# -- the &, |, ^, ~ operators (bitwise; logical on bool) ------------------------------------

BITWISE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
}


@pytest.mark.parametrize("op", sorted(BITWISE_OPS))
def test_bitwise_operators(op: str) -> None:
    fn = BITWISE_OPS[op]
    ints = [5, -3, 0, 12]
    bools = [True, False, True, False]
    cases: list[Callable[[Any], Any]] = [
        lambda lib: fn(lib.tensor(bools), lib.tensor([True, True, False, False])),
        lambda lib: fn(lib.tensor(ints), lib.tensor([3, 3, -1, 4])),
        lambda lib: fn(lib.tensor(ints), lib.tensor([3, 3, -1, 4], dtype=lib.int32)),
        lambda lib: fn(lib.tensor(ints, dtype=lib.int32), 6),
        lambda lib: fn(lib.tensor(ints), True),
        lambda lib: fn(lib.tensor(bools), True),
        lambda lib: fn(lib.tensor(bools), 1),
        lambda lib: fn(lib.tensor(bools), lib.tensor(ints)),
        lambda lib: fn(6, lib.tensor(ints)),
        lambda lib: fn(False, lib.tensor(bools)),
        lambda lib: fn(lib.tensor([[True], [False]]), lib.tensor(bools)),
        lambda lib: fn(lib.tensor(3), lib.tensor(ints, dtype=lib.int32)),
    ]
    for case in cases:
        same_value(case)
    same_error(lambda lib: fn(lib.ones(3), 1))
    same_error(lambda lib: fn(lib.tensor(ints), 1.5))
    same_error(lambda lib: fn(lib.ones(3), lib.tensor([True, False, True])))
    same_error(lambda lib: fn(lib.tensor(ints), lib.tensor([1, 2])))


def test_bitwise_functions() -> None:
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        check(name, T((2, 3), "int64", "int"), T((3,), "int64", "int"))
        check(name, T((4,), "bool", "bool"), T((4,), "bool", "bool"))
        check(name, T((4,), "int32", "int"), 3)
        check(name, 3, T((4,), "int64", "int"))
    check("bitwise_not", T((2, 3), "int64", "int"))
    check("bitwise_not", T((4,), "bool", "bool"))


def test_invert_operator() -> None:
    same_value(lambda lib: ~lib.tensor([True, False]))
    same_value(lambda lib: ~lib.tensor([0, 5, -7]))
    same_value(lambda lib: ~lib.tensor([0, 5, -7], dtype=lib.int32))
    same_value(lambda lib: ~(lib.tensor([1.0, -1.0]) > 0))
    # PyTorch raises TypeError from the operator; the engine's DTypeError (a RuntimeError) says why
    with pytest.raises(engine.DTypeError, match="bitwise_not_cpu"):
        ~engine.ones(2)  # noqa: B018
    with pytest.raises(TypeError, match="only implemented on integer and Boolean"):
        ~torch.ones(2)  # noqa: B018


def test_masks_compose() -> None:
    def f(lib: Any) -> Any:
        x = lib.tensor([-2.0, -0.5, 0.0, 0.5, 2.0, math.nan], requires_grad=True)
        mask = ((x > -1) & (x < 1)) | ~(x == x)
        out = lib.where(mask, x * 3, x * x)
        out.sum().backward()
        return out, mask, x.grad

    (eo, em, eg), (to, tm, tg) = both(f)
    assert_close(eo, to, "out")
    assert_close(em, tm, "mask")
    assert_close(eg, tg, "grad")
