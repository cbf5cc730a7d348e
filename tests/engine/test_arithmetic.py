"""Arithmetic ops against PyTorch: values, first and second derivatives, grad_fn, dtypes, errors.

``expr(fn, *inputs)`` runs ``fn(module, *tensors)`` with ``module`` = engine and torch
(so operators and scalar forms are checked as written) and compares the value, dtype,
``grad_fn``, first and second derivatives, or, where PyTorch raises, the message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import BINARY_SHAPES, FLOATS, T, _build, assert_close, assert_same_kind, check, run_snippet, to_np

INTS = ["int32", "int64"]
ALL_DTYPES = ["bool", "int32", "int64", "float32", "float64"]


# -- helpers (test_unary.py uses them too) -----------------------------------------------------

def _inputs(specs: tuple[Any, ...], salt: int) -> tuple[list[Any], list[Any]]:
    """Engine and torch twins of each spec: a ``T``, a NumPy array (floats require grad) or a value."""
    e_args, t_args = [], []
    for i, s in enumerate(specs):
        if isinstance(s, np.ndarray):
            rg = s.dtype.kind == "f"
            e_args.append(engine.tensor(s, requires_grad=rg))
            t_args.append(torch.tensor(s, requires_grad=rg))
        else:
            e, t = _build(s, salt * 101 + i)
            e_args.append(e)
            t_args.append(t)
    return e_args, t_args


def _attempt(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return fn(), None
    except Exception as exc:  # noqa: BLE001 - compared with the other library's outcome
        return None, exc


def same_error(e_fn: Callable[[], Any], t_fn: Callable[[], Any]) -> str:
    """Both raise, with the same message; the engine's error is one of its typed errors."""
    _, t_err = _attempt(t_fn)
    _, e_err = _attempt(e_fn)
    assert t_err is not None, "torch did not raise"
    assert e_err is not None, f"engine did not raise; torch raised {t_err!r}"
    assert isinstance(e_err, engine.EngineError), f"engine raised an untyped {e_err!r}"
    assert str(e_err) == str(t_err), f"message: engine {str(e_err)!r} vs torch {str(t_err)!r}"
    assert_same_kind(e_err, t_err)
    return str(e_err)


def expr(fn: Callable[..., Any], *specs: Any, order: int = 2, salt: int = 0) -> Any:
    """Compare ``fn(engine, *inputs)`` with ``fn(torch, *inputs)``: outcome, derivatives to ``order``."""
    e_args, t_args = _inputs(specs, salt)
    label = f"{getattr(fn, '__name__', fn)}{specs}"
    t_out, t_err = _attempt(lambda: fn(torch, *t_args))
    e_out, e_err = _attempt(lambda: fn(engine, *e_args))
    if t_err is not None:
        assert e_err is not None, f"{label}: engine gave {e_out!r}; torch raised {t_err!r}"
        assert isinstance(e_err, engine.EngineError), f"{label}: engine raised an untyped {e_err!r}"
        assert str(e_err) == str(t_err), f"{label}: message {str(e_err)!r} vs torch {str(t_err)!r}"
        return None
    if e_err is not None:
        raise AssertionError(f"{label}: engine raised {e_err!r}; torch gave {t_out!r}") from e_err
    assert_close(e_out, t_out, f"{label} forward")
    assert e_out.requires_grad == t_out.requires_grad, f"{label}: requires_grad"
    tn = t_out.grad_fn.name() if t_out.grad_fn is not None else None
    en = e_out.grad_fn.name() if e_out.grad_fn is not None else None
    assert en == tn, f"{label}: grad_fn {en} vs {tn}"
    if order < 1 or not t_out.requires_grad:
        return e_out
    e_in = [a for a in e_args if isinstance(a, engine.Tensor) and a.requires_grad]
    t_in = [a for a in t_args if isinstance(a, torch.Tensor) and a.requires_grad]
    rng = np.random.default_rng(11 + salt)
    v = rng.standard_normal(tuple(t_out.shape)).astype(to_np(t_out).dtype)
    t_g, t_err = _attempt(
        lambda: torch.autograd.grad(t_out, t_in, torch.tensor(v), create_graph=order > 1, allow_unused=True)
    )
    if t_err is not None:  # PyTorch's backward refuses (e.g. bool - 1 inside a derivative): so must ours
        same_error(
            lambda: engine.autograd.grad(e_out, e_in, engine.tensor(v), create_graph=order > 1, allow_unused=True),
            lambda: (_ for _ in ()).throw(t_err),
        )
        return e_out
    e_g = engine.autograd.grad(e_out, e_in, engine.tensor(v), create_graph=order > 1, allow_unused=True)
    for i, (eg, tg) in enumerate(zip(e_g, t_g, strict=True)):
        assert_close(eg, tg, f"{label} grad of input {i}")
    pairs = [(eg, tg) for eg, tg in zip(e_g, t_g, strict=True) if eg is not None and tg is not None]
    pairs = [(eg, tg) for eg, tg in pairs if tg.requires_grad]
    if order < 2 or not pairs:
        return e_out
    ws = [rng.standard_normal(tuple(tg.shape)).astype(to_np(tg).dtype) for _, tg in pairs]
    t_s = torch.zeros((), dtype=torch.float64)
    e_s = engine.zeros((), dtype=engine.float64)
    for (eg, tg), w in zip(pairs, ws, strict=True):
        t_s = t_s + (tg * torch.tensor(w)).sum()
        e_s = e_s + (eg * engine.tensor(w)).sum()
    t_gg = torch.autograd.grad(t_s, t_in, allow_unused=True)
    e_gg = engine.autograd.grad(e_s, e_in, allow_unused=True) if e_s.requires_grad else [None] * len(e_in)
    for i, (eg, tg) in enumerate(zip(e_gg, t_gg, strict=True)):
        if eg is None or tg is None:
            other = tg if eg is None else eg
            assert other is None or np.all(to_np(other) == 0), f"{label} second derivative {i}: {eg} vs {tg}"
            continue
        assert_close(eg, tg, f"{label} second derivative of input {i}")
    return e_out


def grads(fn: Callable[..., Any], *values: Any) -> list[list[float]]:
    """Engine gradients of ``fn(*x).sum()`` at float64 ``values`` (for pinning conventions)."""
    xs = [engine.tensor(v, dtype=engine.float64, requires_grad=True) for v in values]
    return [g.tolist() for g in engine.autograd.grad(fn(*xs).sum(), xs)]


def torch_grads(fn: Callable[..., Any], *values: Any) -> list[list[float]]:
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    return [g.tolist() for g in torch.autograd.grad(fn(*xs).sum(), xs)]


# -- every binary op over the broadcasting shapes, both float dtypes --------------------------

DIFFERENTIABLE_BINARY = ["add", "sub", "rsub", "mul", "div", "maximum", "minimum", "fmax", "fmin", "atan2",
                         "remainder"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BINARY_SHAPES)
@pytest.mark.parametrize("name", DIFFERENTIABLE_BINARY)
def test_binary(name: str, shapes: tuple, dtype: str) -> None:
    a, b = shapes
    other = "nonzero" if name in ("div", "remainder") else "real"
    check(name, T(a, dtype), T(b, dtype, domain=other))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BINARY_SHAPES)
def test_floor_divide(shapes: tuple, dtype: str) -> None:
    # PyTorch records a NotImplemented node: requires_grad, but backward raises
    check("floor_divide", T(shapes[0], dtype), T(shapes[1], dtype, "nonzero"), order=0)


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin", "atan2", "remainder", "floor_divide", "rsub"])
def test_methods(name: str) -> None:
    if name == "rsub":
        return  # no Tensor.rsub method in PyTorch
    check(name, T((2, 3)), T((3,), domain="nonzero"), method=True, order=0 if name == "floor_divide" else 2)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BINARY_SHAPES)
def test_pow_tensor_tensor(shapes: tuple, dtype: str) -> None:
    check("pow", T(shapes[0], dtype, "positive"), T(shapes[1], dtype))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 0, 1, -2, True])
def test_pow_scalar_exponent(exponent: float) -> None:
    check("pow", T((2, 3), "float64", "positive"), exponent)
    check("pow", T((2, 3), "float32", "positive"), exponent)


@pytest.mark.parametrize("base", [2.0, 0.5, 0.0, -2.0, 1])  # pow(True, x) backward: PyTorch asserts
def test_pow_scalar_base(base: float) -> None:
    check("pow", base, T((3,), "float64"))
    check("pow", base, T((3,), "float32"))


def test_pow_at_zero() -> None:
    # 0 ** e: the exponent's gradient is 0 for e >= 0 and -inf * out below (PyTorch's where)
    expr(lambda m, a, e: a ** e, np.array([0.0, 0.0, 0.0, 2.0]), np.array([2.0, 0.0, -1.0, 1.0]))
    expr(lambda m, e: 0.0 ** e, np.array([2.0, 0.0, -1.0]))
    expr(lambda m, a: a ** 0, np.array([0.0, np.inf, 1.0]))


# -- alpha, rounding modes ------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [2, -0.5, 1])
@pytest.mark.parametrize("name", ["add", "sub", "rsub"])
def test_alpha(name: str, alpha: float) -> None:
    check(name, T((2, 3)), T((3,)), alpha=alpha)
    check(name, T((3,), "float32"), 1.5, alpha=alpha)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_div_rounding_mode(mode: str, dtype: str) -> None:
    check("div", T((2, 3), dtype), T((3,), dtype, "nonzero"), rounding_mode=mode)  # DivBackward2, zero grads
    check("div", T((4,), dtype), 0.7, rounding_mode=mode)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_mode_integers(mode: str) -> None:
    a = np.array([7, -7, 7, -7, 0, 5, -1], dtype=np.int64)
    b = np.array([2, 2, -2, -2, 3, 5, 3], dtype=np.int64)
    expr(lambda m, x, y: m.div(x, y, rounding_mode=mode), a, b)
    expr(lambda m, x: m.div(x, 3, rounding_mode=mode), a.astype(np.int32))
    # exact for large int64 (no float round trip)
    big = np.array([2**62 + 1, -(2**62) - 1], dtype=np.int64)
    expr(lambda m, x: m.div(x, 3, rounding_mode=mode), big)


# -- dtype promotion, integer and bool inputs (values, dtype or PyTorch's error) ---------------

_BINARY_FNS: dict[str, Callable[..., Any]] = {
    "add": lambda m, a, b: m.add(a, b),
    "sub": lambda m, a, b: m.sub(a, b),
    "rsub": lambda m, a, b: m.rsub(a, b),
    "mul": lambda m, a, b: m.mul(a, b),
    "div": lambda m, a, b: m.div(a, b),
    "div_floor": lambda m, a, b: m.div(a, b, rounding_mode="floor"),
    "pow": lambda m, a, b: m.pow(a, b),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "fmax": lambda m, a, b: m.fmax(a, b),
    "fmin": lambda m, a, b: m.fmin(a, b),
    "atan2": lambda m, a, b: m.atan2(a, b),
    "remainder": lambda m, a, b: m.remainder(a, b),
    "floor_divide": lambda m, a, b: m.floor_divide(a, b),
}


def _domain(dtype: str) -> str:
    return "bool" if dtype == "bool" else "int" if dtype.startswith("int") else "real"


@pytest.mark.parametrize("name", list(_BINARY_FNS))
def test_dtype_promotion(name: str) -> None:
    fn = _BINARY_FNS[name]
    for da in ALL_DTYPES:
        for db in ALL_DTYPES:
            for sa, sb in (((4,), (4,)), ((), (4,))):
                order = 0 if name in ("floor_divide", "div_floor") else 1
                expr(fn, T(sa, da, _domain(da)), T(sb, db, _domain(db), seed=1), order=order)


def test_integer_division_by_zero() -> None:
    x = T((4,), "int64", "int")
    zero = np.array([1, 0, 2, 3], dtype=np.int64)
    for fn in (_BINARY_FNS["remainder"], _BINARY_FNS["floor_divide"], _BINARY_FNS["div_floor"]):
        expr(fn, x, zero)
        expr(lambda m, a, f=fn: f(m, a, 0), x)
    expr(lambda m, a, b: m.div(a, b, rounding_mode="trunc"), x, zero)
    expr(lambda m, a, b: m.div(a, b), x, zero)  # true division: inf/nan, no error


def test_integer_negative_powers() -> None:
    base = np.array([1, -1, -1, 2, 0, -2, 3], dtype=np.int64)
    exp = np.array([-1, -1, -2, -1, -1, -3, 2], dtype=np.int64)
    expr(lambda m, a, e: a ** e, base, exp)  # tensor exponents: 1, +-1 or 0, no error
    expr(lambda m, a, e: a ** e, base.astype(np.int32), exp.astype(np.int32))
    expr(lambda m, e: 2 ** e, exp)
    expr(lambda m, e: (-1) ** e, exp)
    expr(lambda m, a: a ** -1, base)  # a scalar negative exponent: PyTorch's error
    expr(lambda m, a: m.pow(a, -2), np.array([True, False]))
    expr(lambda m, a: a ** True, np.array([True, False]))
    expr(lambda m, a: a ** False, np.array([True, False]))
    expr(lambda m, a, e: a ** e, np.array([True, False]), np.array([True, True]))
    expr(lambda m, e: True ** e, np.array([True, False]))
    expr(lambda m, a: a ** 2, np.array([True, False]))


# -- scalar forms and operators ---------------------------------------------------------------

_SCALAR_EXPRS: dict[str, Callable[..., Any]] = {
    "x + s": lambda m, x, s: x + s,
    "s + x": lambda m, x, s: s + x,
    "x - s": lambda m, x, s: x - s,
    "s - x": lambda m, x, s: s - x,
    "x * s": lambda m, x, s: x * s,
    "s * x": lambda m, x, s: s * x,
    "x / s": lambda m, x, s: x / s,
    "s / x": lambda m, x, s: s / x,
    "x ** s": lambda m, x, s: x ** s,
    "s ** x": lambda m, x, s: s ** x,
    "x // s": lambda m, x, s: x // s,
    "s // x": lambda m, x, s: s // x,
    "x % s": lambda m, x, s: x % s,
    "s % x": lambda m, x, s: s % x,
    "add(x, s)": lambda m, x, s: m.add(x, s),
    "sub(x, s)": lambda m, x, s: m.sub(x, s),
    "rsub(x, s)": lambda m, x, s: m.rsub(x, s),
    "mul(x, s)": lambda m, x, s: m.mul(x, s),
    "div(x, s)": lambda m, x, s: m.div(x, s),
    "remainder(x, s)": lambda m, x, s: m.remainder(x, s),
    "remainder(s, x)": lambda m, x, s: m.remainder(s, x),
    "floor_divide(x, s)": lambda m, x, s: m.floor_divide(x, s),
    "floor_divide(s, x)": lambda m, x, s: m.floor_divide(s, x),
    "pow(s, x)": lambda m, x, s: m.pow(s, x),
}


@pytest.mark.parametrize("form", list(_SCALAR_EXPRS))
def test_scalar_forms(form: str) -> None:
    fn = _SCALAR_EXPRS[form]
    order = 0 if "//" in form or "floor_divide" in form or form in ("s % x", "remainder(s, x)") else 2
    for dtype, domain in (("float64", "nonzero"), ("float32", "nonzero"), ("int64", "int"), ("int32", "int"),
                          ("bool", "bool")):
        for s in (2, -3, 2.5, True, 0):
            if s is True and dtype.startswith("float") and form in ("s ** x", "pow(s, x)"):
                continue  # pow(True, x).backward(): PyTorch fails an internal assert
            expr(lambda m, x, s=s: fn(m, x, s), T((2, 3), dtype, domain), order=order)


def test_rsub_grad_fn_names() -> None:
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    assert (1 - x).grad_fn.name() == "RsubBackward1"
    assert engine.rsub(x, x).grad_fn.name() == "RsubBackward0"
    assert (2 / x).grad_fn.name() == "MulBackward0"  # PyTorch: x.reciprocal() * 2
    assert (2 ** x).grad_fn.name() == "PowBackward2"
    assert (x ** 2).grad_fn.name() == "PowBackward0"
    assert (x ** x).grad_fn.name() == "PowBackward1"
    assert (x % 2).grad_fn.name() == "RemainderBackward0"
    assert (x % x).grad_fn.name() == "RemainderBackward1"


_TENSOR_EXPRS: dict[str, Callable[..., Any]] = {
    "x + y": lambda m, x, y: x + y,
    "x - y": lambda m, x, y: x - y,
    "x * y": lambda m, x, y: x * y,
    "x / y": lambda m, x, y: x / y,
    "x ** y": lambda m, x, y: x.abs() ** y,
    "-x": lambda m, x, y: -x,
    "abs(x)": lambda m, x, y: abs(x),
    "x // y": lambda m, x, y: x // y,
    "x % y": lambda m, x, y: x % y,
    "x.add(y, alpha=2)": lambda m, x, y: x.add(y, alpha=2),
    "x.sub(y)": lambda m, x, y: x.sub(y),
    "x.mul(y)": lambda m, x, y: x.mul(y),
    "x.div(y)": lambda m, x, y: x.div(y),
    "x.pow(2)": lambda m, x, y: x.pow(2),
    "x.neg()": lambda m, x, y: x.neg(),
}


@pytest.mark.parametrize("form", list(_TENSOR_EXPRS))
def test_operators(form: str) -> None:
    order = 0 if "//" in form else 2
    for dtype in FLOATS:
        for sa, sb in (((2, 3), (3,)), ((), (2, 1))):
            expr(_TENSOR_EXPRS[form], T(sa, dtype), T(sb, dtype, "nonzero"), order=order)


def test_no_derivative_backward_raises() -> None:
    # floor_divide and remainder(number, tensor): PyTorch records NotImplemented; backward raises
    msg = same_error(
        lambda: (engine.ones(2, requires_grad=True) // 2).sum().backward(),
        lambda: (torch.ones(2, requires_grad=True) // 2).sum().backward(),
    )
    assert msg == "derivative for aten::floor_divide is not implemented"
    msg = same_error(
        lambda: (3 % engine.ones(2, requires_grad=True)).sum().backward(),
        lambda: (3 % torch.ones(2, requires_grad=True)).sum().backward(),
    )
    assert msg == "derivative for aten::remainder is not implemented"


# -- conventions at ties and special values, pinned ----------------------------------------------

def test_maximum_minimum_ties_split_half() -> None:
    a, b = [1.0, 2.0, 3.0, -1.0], [1.0, 1.0, 4.0, -1.0]
    assert grads(engine.maximum, a, b) == [[0.5, 1.0, 0.0, 0.5], [0.5, 0.0, 1.0, 0.5]]
    assert grads(engine.minimum, a, b) == [[0.5, 0.0, 1.0, 0.5], [0.5, 1.0, 0.0, 0.5]]
    for name in ("maximum", "minimum"):
        assert grads(getattr(engine, name), a, b) == torch_grads(getattr(torch, name), a, b)
        # many ties, broadcasting, to second order
        check(name, T((3, 4), "float64", "int"), T((4,), "float64", "int", seed=1))
        check(name, T((6,), "float32", "int"), T((), "float32", "int", seed=2))


def test_fmax_fmin_ties_and_nans() -> None:
    """A NaN loses to a number (both NaN: NaN); a tie sends the whole gradient to input, as PyTorch's."""
    nan = float("nan")
    a, b = [1.0, 2.0, 3.0, -1.0, nan, 5.0, nan], [1.0, 1.0, 4.0, -1.0, 2.0, nan, nan]
    for name in ("fmax", "fmin"):
        expr(lambda m, x, y, n=name: getattr(m, n)(x, y), np.array(a), np.array(b))
        check(name, T((3, 4), "float64", "int"), T((4,), "float64", "int", seed=1))


def test_maximum_minimum_nan() -> None:
    nan = float("nan")
    for name in ("maximum", "minimum"):
        expr(lambda m, a, b, n=name: getattr(m, n)(a, b), np.array([nan, 1.0, nan]), np.array([1.0, nan, nan]))


@pytest.mark.parametrize("name", ["remainder", "floor_divide", "div_floor", "div"])
def test_division_special_values(name: str) -> None:
    inf, nan = float("inf"), float("nan")
    a = np.array([5.0, -5.0, 1.0, 0.0, 5.0, -5.0, inf, 7.5, -7.5, nan, 0.0])
    b = np.array([0.0, 0.0, -0.0, 0.0, inf, inf, 2.0, -2.0, 2.0, 1.0, -3.0])
    fn = _BINARY_FNS[name]
    order = 0 if name in ("floor_divide", "div_floor") else 1
    expr(fn, a, b, order=order)
    expr(fn, a.astype(np.float32), b.astype(np.float32), order=order)


def test_atan2_special_values() -> None:
    expr(lambda m, a, b: m.atan2(a, b), np.array([0.0, -0.0, 0.0, 1.0, -1.0, 2.0]),
         np.array([0.0, 0.0, -0.0, 0.0, 0.0, -3.0]), order=1)
    assert math.isclose(engine.atan2(engine.tensor(1.0), engine.tensor(-1.0)).item(), 3 * math.pi / 4, rel_tol=1e-6)


# -- errors, worded as PyTorch's ---------------------------------------------------------------

def test_errors() -> None:
    b = np.array([True, False])
    i = np.array([1, 2])
    x = np.array([1.0, 2.0])
    expr(lambda m, a: -a, b)
    expr(lambda m, a: a - a, b)
    expr(lambda m, a: a - 1, b)
    expr(lambda m, a: 1 - a, b)
    expr(lambda m, a: True - a, b)
    expr(lambda m, a: m.sub(a, True), x)
    expr(lambda m, a: m.rsub(a, True), b)
    expr(lambda m, a: m.add(a, a, alpha=0.5), i)
    expr(lambda m, a: m.add(a, a, alpha=True), i)
    expr(lambda m, a: m.add(a, a, alpha=True), x)
    expr(lambda m, a: m.add(a, a, alpha=2), b)
    expr(lambda m, a: m.sub(a, a, alpha=1.0), i)
    expr(lambda m, a: m.div(a, a, rounding_mode="bad"), x)
    expr(lambda m, a: m.div(a, a, rounding_mode="floor"), b)
    expr(lambda m, a: m.div(a, a, rounding_mode="trunc"), b)
    expr(lambda m, a: m.remainder(a, a), b)
    expr(lambda m, a: m.floor_divide(a, a), b)
    expr(lambda m, a: m.pow(a, a), b)
    expr(lambda m, a: a ** -1, i)
    expr(lambda m, a: m.maximum(a, other=2), x)
    expr(lambda m, a: m.minimum(a, other=2.0), x)
    # PyTorch names "(position 2)" for a positional argument, as the engine does
    for fn in (lambda m, a: m.maximum(a, 2), lambda m, a: m.atan2(a, 2)):
        e_err = _attempt(lambda fn=fn: fn(engine, engine.tensor(x)))[1]
        t_err = _attempt(lambda fn=fn: fn(torch, torch.tensor(x)))[1]
        assert isinstance(e_err, engine.ArgumentError) and isinstance(t_err, TypeError)
        assert str(e_err) == str(t_err)


def test_alias_methods() -> None:
    x, y = T((2, 3)), T((3,), domain="nonzero")
    expr(lambda m, a, b: a.multiply(b), x, y)
    expr(lambda m, a, b: a.divide(b), x, y)
    expr(lambda m, a, b: a.true_divide(b), x, y)
    expr(lambda m, a, b: a.subtract(b), x, y)
    expr(lambda m, a, b: a.arctan2(b), x, y)
    expr(lambda m, a, b: a.negative(), x, y)
    expr(lambda m, a, b: m.subtract(a, b, alpha=2), x, y)


# -- Python numbers as 0-d arrays (``number_array``) ---------------------------------------------

_NUMBERS = [0.5, 0.1, 1, 2, -3, True, 1e300, -1e300, 1e-300, 2**60 + 1, 10**400, 70000, math.inf, -math.inf,
            0.0, -0.0, math.nan, 1 / 3]
_NUMBER_FORMS: dict[str, Callable[[Any, Any], Any]] = {
    "x + v": lambda x, v: x + v, "x - v": lambda x, v: x - v, "v - x": lambda x, v: v - x,
    "x * v": lambda x, v: x * v, "x / v": lambda x, v: x / v, "x ** v": lambda x, v: x ** v,
}


def _bits(a: Any) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _value_and_grad(fn: Callable[[Any, Any], Any], data: np.ndarray, v: Any) -> tuple[bytes, bytes] | str:
    x = engine.tensor(data, requires_grad=True)
    try:
        y = fn(x, v)
    except (OverflowError, engine.EngineError) as exc:
        return type(exc).__name__
    y.sum().backward()
    return _bits(y.detach().numpy()), _bits(x.grad.numpy())


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("form", list(_NUMBER_FORMS))
def test_python_numbers_as_arrays_change_nothing(form: str, dtype: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python number meets a float tensor as a memoised 0-d array (forward and the backward's array rules):
    values and gradients are bit for bit those computed with the number itself (signed zeros, NaN, overflow
    to inf, ints beyond float64 included), on the first call (filling the memo) and the next (reading it)."""
    from engine.ops import arithmetic, registry

    fn = _NUMBER_FORMS[form]
    data = np.array([1.5, -2.25, 0.0, -0.0, 3e4, np.inf, np.nan], dtype)
    with np.errstate(all="ignore"):
        fast = [[_value_and_grad(fn, data, v) for _ in range(2)] for v in _NUMBERS]
        with monkeypatch.context() as m:
            for module in (registry, arithmetic):
                m.setattr(module, "number_array", lambda value, dt: value)
            plain = [_value_and_grad(fn, data, v) for v in _NUMBERS]
    for v, got, want in zip(_NUMBERS, fast, plain, strict=True):
        assert got == [want, want], f"{form} with {v!r}"


def test_number_array_memo() -> None:
    from engine.ops._helpers import _NUMBER_ARRAYS_PER_DTYPE, number_array

    a = number_array(0.25, np.dtype(np.float32))
    assert a is number_array(0.25, np.dtype(np.float32)) and a.shape == () and a.dtype == np.float32
    assert not a.flags.writeable  # shared: nobody may write into it
    for v in (0.0, -0.0, math.nan, 7, "7", np.float32(2)):  # zeros share a key, NaN never hits, others pass
        if not isinstance(v, int):
            assert number_array(v, np.dtype(np.float32)) is v
    assert number_array(7, np.dtype(np.int64)) == 7 and type(number_array(7, np.dtype(np.int64))) is int
    for i in range(2 * _NUMBER_ARRAYS_PER_DTYPE):  # bounded: new numbers past the bound stay numbers
        number_array(1000.5 + i, np.dtype(np.float64))
    from engine.ops._helpers import _NUMBER_ARRAYS

    assert len(_NUMBER_ARRAYS[np.dtype(np.float64)]) <= _NUMBER_ARRAYS_PER_DTYPE


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_square_gradient_skips_the_power_bit_for_bit(dtype: str) -> None:
    """``pow_backward`` for exponent 2 computes ``grad * (2 * input)``: ``input ** 1`` is ``input``, bit for bit."""
    from engine.ops.arithmetic import _pow_backward

    x = np.array([1.5, -2.25, 0.0, -0.0, 3e4, np.inf, -np.inf, np.nan, 1e-7], dtype)
    for g in (np.full(x.shape, 0.5, dtype), np.array(-3.0, dtype)):
        with np.errstate(all="ignore"):
            want = g * (np.power(x, np.array(1, dtype)) * np.array(2, dtype))
            got = _pow_backward(np, g, x, 2)
        assert got.dtype == want.dtype and _bits(got) == _bits(want)
    with np.errstate(all="ignore"):  # a 0-d input (NumPy gives scalars there)
        got0 = _pow_backward(np, np.array(2.0, dtype), np.array(-1.5, dtype), 2)
    assert float(got0) == -6.0


# -- float16 by a scalar: PyTorch's float32 opmath, bit for bit ----------------------------------------

_HALF_FORMS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "x * v": lambda lib, x, v: x * v, "v * x": lambda lib, x, v: v * x,
    "x / v": lambda lib, x, v: x / v, "v / x": lambda lib, x, v: v / x,
    "x * 0-d float32": lambda lib, x, v: x * lib.tensor(v, dtype=lib.float32),
    "0-d float32 * x": lambda lib, x, v: lib.mul(lib.tensor(v, dtype=lib.float32), x),
    "x / 0-d float64": lambda lib, x, v: x / lib.tensor(v, dtype=lib.float64),
    "x + v": lambda lib, x, v: x + v, "v - x": lambda lib, x, v: v - x,
    "(|x| + 0.5) ** v": lambda lib, x, v: (x.abs() + 0.5) ** v,
}


@pytest.mark.parametrize("v", [0.1, 1 / 3, 2.7, 3.0, -1.5, 1e-3])
@pytest.mark.parametrize("form", list(_HALF_FORMS))
def test_float16_by_a_scalar_is_pytorchs_bit_for_bit(form: str, v: float) -> None:
    """A float16 tensor times (or over) a number or a 0-d tensor computes in float32 with the scalar's
    float32 value, then rounds (PyTorch's opmath); values and gradients equal PyTorch's bits."""
    data = (np.random.default_rng(7).standard_normal(4000) * 3).astype(np.float16)
    outs = []
    for lib in (torch, engine):
        x = lib.tensor(data, requires_grad=True)
        with np.errstate(all="ignore"):
            y = _HALF_FORMS[form](lib, x, v)
            y.sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy()))
    for got, want in zip(outs[1], outs[0], strict=True):
        assert got.dtype == want.dtype == np.float16
        same = (got.view(np.uint16) == want.view(np.uint16)) | (np.isnan(got) & np.isnan(want))
        assert same.all(), f"{form} with {v}: {int((~same).sum())} elements differ"


@pytest.mark.parametrize("alpha", [2, -1.5, 0.5, 3.0])
def test_float16_add_with_alpha_computes_in_float32(alpha: float) -> None:
    data = (np.random.default_rng(3).standard_normal(4000) * 3).astype(np.float16)
    got = engine.add(engine.tensor(data), engine.tensor(data * np.float16(0.5)), alpha=alpha).numpy()
    want = torch.add(torch.tensor(data), torch.tensor(data * np.float16(0.5)), alpha=alpha).numpy()
    assert (got.view(np.uint16) != want.view(np.uint16)).sum() <= len(data) // 200  # (see _add_dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", [2, 3, 3.0, -2, -1, -0.5, 2.0])
def test_pow_by_special_numbers_is_pytorchs_kernel(exponent: float, dtype: str) -> None:
    """PyTorch computes these powers as x*x, x*x*x, 1/(x*x), 1/x, 1/sqrt(x): the engine too, bit for bit.
    (0.5 is sqrt in both; other exponents go to each library's pow, which may differ in the last bit.)"""
    data = (np.abs(np.random.default_rng(5).standard_normal(20000)) * 3 + 0.01).astype(dtype)
    got = (engine.tensor(data) ** exponent).numpy()
    want = (torch.tensor(data) ** exponent).numpy()
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    assert (engine.tensor(data) ** 0.5).numpy().tobytes() == np.sqrt(data).tobytes()


@pytest.mark.parametrize("call", [
    "torch.div(x, 2.0)", "torch.div(x, 2.0, rounding_mode=None)", "x.div(y, rounding_mode=None)", "torch.div(x, y)",
    "x / y", "torch.true_divide(x, y)", "x.divide(y, rounding_mode=None)", "torch.div(x, y, rounding_mode='floor')",
])
def test_div_node_names_follow_pytorchs_overloads(call: str) -> None:
    """Any rounding_mode given, None too, is PyTorch's div.Tensor_mode overload: DivBackward2."""
    names = []
    for lib in (torch, engine):
        x = lib.tensor([1.0], requires_grad=True)
        y = lib.tensor([2.0], requires_grad=True)
        names.append(eval(call, {"torch": lib, "x": x, "y": y}).grad_fn.name())  # noqa: S307
    assert names[1] == names[0]


def test_div_of_a_number_by_a_tiny_tensor_has_pytorchs_gradient() -> None:
    """div(0, x) for x whose reciprocal overflows float32: PyTorch's -g * ((a / b) / b) is -0, not NaN."""
    grads = []
    for lib in (torch, engine):
        x = lib.tensor([1e-40, 2.0, 1e-30], requires_grad=True)
        lib.div(0, x).backward(lib.ones(3))
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])
    assert np.signbit(grads[1]).all()


def test_signed_zeros_of_remainder_and_relu_as_pytorchs() -> None:
    """PyTorch's remainder is fmod moved by the divisor: a zero keeps the dividend's sign (NumPy's the
    divisor's); relu keeps -0 (NumPy's maximum gives +0)."""
    a = [-1.0, 0.0, 3.0, -0.0, 4.0, 0.0, 5.0, -5.0, 7.5, -7.5, float("nan"), float("inf")]
    b = [1.0, 1.0, 1.0, 2.0, -2.0, -float("inf"), float("inf"), float("inf"), -2.0, 2.0, 1.0, 1.0]
    outs = []
    for lib in (torch, engine):
        r = (lib.tensor(a) % lib.tensor(b)).numpy()
        s = lib.relu(lib.tensor([-0.0, -1.0, 2.0, float("nan"), 0.0])).numpy()
        outs.append((r, s))
    for mine, theirs in zip(outs[1], outs[0], strict=True):
        np.testing.assert_array_equal(mine, theirs)
        np.testing.assert_array_equal(np.signbit(mine), np.signbit(theirs))


def test_ties_of_signed_zeros_keep_the_first_argument() -> None:
    """maximum/minimum/clamp return their first argument (the input) on a tie, as PyTorch's kernels:
    NumPy's return the second, which shows where -0 meets +0."""
    code = """
a = torch.tensor([0.0, -0.0, 0.0, -0.0]); b = torch.tensor([-0.0, 0.0, 0.0, -0.0])
print(torch.maximum(a, b).tolist(), torch.minimum(a, b).tolist(), a.maximum(b).tolist(), b.minimum(a).tolist())
print(torch.clamp(b, min=0.0).tolist(), torch.clamp(a, max=-0.0).tolist(), b.clamp(min=a, max=a).tolist())
"""
    assert run_snippet(engine, code) == run_snippet(torch, code)
