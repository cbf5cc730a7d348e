"""isnan/isinf/isfinite, masked_fill, argmax/argmin, any/all and equal against PyTorch.

Values, dtypes, shapes, requires_grad and grad_fn names through the oracle's ``check``; calls
written out as strings (``same``) run in both libraries for the argument forms and the
refusals, whose words must be PyTorch's; masked_fill's derivatives also by gradcheck and
gradgradcheck.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine.autograd import gradcheck, gradgradcheck
from engine.ops.registry import REGISTRY, call

from .oracle import FLOATS, UNARY_SHAPES, T, assert_close, check, run_snippet

SPECIALS = [0.0, -0.0, 1.5, -2.0, math.nan, math.inf, -math.inf, 3.0, math.nan, 1.5]
ALL_DTYPES = ["float64", "float32", "float16", "int64", "int32", "bool"]


def _data(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    """Values with NaN, infinities, zeros and ties (for floats), cycled over ``shape``."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return (np.arange(n) % 3 == 1).reshape(shape)
    if dtype.startswith("int"):
        return (np.array([0, 3, -2, 3, 5, -2, 0, 1])[(np.arange(n) + seed) % 8]).reshape(shape).astype(dtype)
    return np.array(SPECIALS)[(np.arange(n) + seed) % len(SPECIALS)].reshape(shape).astype(dtype)


def env(**arrays: Any) -> dict[str, Any]:
    """Names for ``same``: each a NumPy array (a tensor in either library, its dtype kept) or a ``lib -> value``."""
    return arrays


def _make(lib: Any, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        dtype = getattr(lib, "bool" if value.dtype == np.bool_ else str(value.dtype))
        return lib.tensor(value, dtype=dtype)
    return value(lib) if callable(value) else value


def both(code: str, names: dict[str, Any]) -> tuple[Any, Any]:
    """``code`` evaluated with ``torch`` as the engine and as PyTorch: each result, or the exception raised."""
    out = []
    for lib in (engine, torch):
        scope = {"torch": lib, "nan": math.nan, "inf": math.inf, **{k: _make(lib, v) for k, v in names.items()}}
        try:
            out.append(eval(code, scope))  # noqa: S307 - the test's own literal calls
        except Exception as exc:  # noqa: BLE001 - compared below
            out.append(exc)
    return out[0], out[1]


def same(code: str, names: dict[str, Any] | None = None, *, first_line: bool = False) -> Any:
    """The engine does what PyTorch does for ``code``: the same result, or the same error and words."""
    e, t = both(code, names or {})
    if isinstance(t, Exception):
        assert isinstance(e, Exception), f"{code}: torch raised {t!r}, engine returned {e!r}"
        assert isinstance(e, engine.EngineError), f"{code}: untyped engine error {e!r}"
        assert isinstance(e, type(t)) or isinstance(e, RuntimeError) and isinstance(t, RuntimeError), (code, e, t)
        es, ts = str(e), str(t)
        if first_line:
            es, ts = es.split("\n")[0], ts.split("\n")[0]
        assert es == ts, f"{code}\nengine: {es}\ntorch:  {ts}"
        return e
    assert not isinstance(e, Exception), f"{code}: engine raised {e!r}, torch returned {t!r}"
    if isinstance(t, torch.Tensor):
        assert isinstance(e, engine.Tensor), f"{code}: engine {e!r}"
        assert_close(e, t, code)
        assert e.requires_grad == t.requires_grad, f"{code}: requires_grad"
        en = e.grad_fn.name() if e.grad_fn is not None else None
        tn = t.grad_fn.name() if t.grad_fn is not None else None
        assert en == tn, f"{code}: grad_fn {en} vs {tn}"
    else:
        assert type(e) is type(t) and e == t, f"{code}: engine {e!r} vs torch {t!r}"
    return e


# -- isnan, isinf, isfinite ----------------------------------------------------------------

TESTS = ["isnan", "isinf", "isfinite"]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", UNARY_SHAPES + [(2, 5), (0, 3)])
@pytest.mark.parametrize("name", TESTS)
def test_value_tests(name: str, shape: tuple[int, ...], dtype: str) -> None:
    names = env(x=_data(shape, dtype))
    out = same(f"torch.{name}(x)", names)
    assert out.dtype is engine.bool and tuple(out.shape) == shape
    same(f"x.{name}()", names)


@pytest.mark.parametrize("name", TESTS)
def test_value_tests_see_every_special(name: str) -> None:
    x = engine.tensor([0.0, math.nan, math.inf, -math.inf, -1.0])
    expect = {"isnan": [False, True, False, False, False], "isinf": [False, False, True, True, False],
              "isfinite": [True, False, False, False, True]}[name]
    assert getattr(engine, name)(x).tolist() == expect
    assert getattr(x, name)().tolist() == expect


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", TESTS)
def test_value_tests_never_require_grad(name: str, dtype: str) -> None:
    check(name, T((2, 3), dtype))  # (requires_grad False, no grad_fn, as PyTorch's)
    check(name, T((2, 3), dtype), method=True)
    out = getattr(engine, name)(engine.ones(3, requires_grad=True) * 2)
    assert not out.requires_grad and out.grad_fn is None and not REGISTRY[name].differentiable


@pytest.mark.parametrize("name", TESTS)
@pytest.mark.parametrize("code", ["torch.{n}(1.0)", "torch.{n}(x, 1)", "torch.{n}(x, foo=1)", "torch.{n}(True)"])
def test_value_tests_refuse(name: str, code: str) -> None:
    same(code.format(n=name), env(x=np.ones(3)))


# -- masked_fill ------------------------------------------------------------------------------

# (input shape, mask shape): equal, mask broadcast to the input, 0-d, empty, and a mask with more
# dims than the input (PyTorch's out-of-place masked_fill broadcasts the input to it)
FILL_SHAPES = [
    ((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 3), ()), ((1,), (1,)), ((2, 1, 3), (4, 1)),
    ((0,), (0,)), ((0, 3), (3,)), ((3,), (2, 3)), ((1, 3), (2, 3)), ((), (2,)), ((2, 1), (1, 4)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", FILL_SHAPES)
@pytest.mark.parametrize("value", [0.0, -2.5, 3, True, math.inf, math.nan])
def test_masked_fill_number(shapes: tuple, dtype: str, value: Any) -> None:
    s, m = shapes
    check("masked_fill", T(s, dtype), T(m, "bool", "bool"), value)
    check("masked_fill", T(s, dtype), T(m, "bool", "bool", seed=1), value, method=True)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", FILL_SHAPES)
def test_masked_fill_tensor_value(shapes: tuple, dtype: str) -> None:
    """A 0-d value that requires grad gets the gradient summed where the mask holds (MaskedFillBackward1)."""
    s, m = shapes
    check("masked_fill", T(s, dtype), T(m, "bool", "bool"), T((), dtype))
    check("masked_fill", T(s, dtype), T(m, "bool", "bool", seed=2), T((), dtype), method=True)
    check("masked_fill", T(s, dtype, grad=False), T(m, "bool", "bool"), T((), dtype))
    check("masked_fill", T(s, dtype), T(m, "bool", "bool"), T((), dtype, grad=False))


@pytest.mark.parametrize(
    "x,value",
    [
        (T((2, 3), "float32"), T((), "float64")),  # the value's gradient in its own dtype
        (T((2, 3), "float64"), T((), "float32")),
        (T((2, 3), "float32"), T((), "int64", "int")),
        (T((2, 3), "float64"), T((), "bool", "bool")),
        (T((2, 3), "float16", grad=False), T((), "float32", grad=False)),
        (T((2, 3), "int64", "int"), T((), "float64", grad=False)),  # 2.7 -> 2, truncated
        (T((2, 3), "int32", "int"), T((), "int64", "int")),
        (T((2, 3), "bool", "bool"), T((), "float32", grad=False)),
    ],
)
def test_masked_fill_value_dtype_is_converted_to_the_input_dtype(x: T, value: T) -> None:
    check("masked_fill", x, T((3,), "bool", "bool"), value)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float16"])
@pytest.mark.parametrize("value", [0, 2, -7, 2.7, -2.7, True, False, 0.5, 1e4, 2.0**63, 1 + 0j, 2 - 0j])
def test_masked_fill_number_into_other_dtypes(dtype: str, value: Any) -> None:
    """Numbers convert as PyTorch's fill does: floats truncate into integers, nonzero is True, or overflow."""
    names = env(x=_data((2, 4), dtype), m=np.array([True, False, True, True]))
    same(f"x.masked_fill(m, {value!r})", names)
    same(f"torch.masked_fill(x, m, {value!r})", names)


@pytest.mark.parametrize(
    "code",
    [
        "torch.ones(3, dtype=torch.int32).masked_fill(m, 2**40)",
        "torch.ones(3, dtype=torch.int64).masked_fill(m, nan)",
        "torch.ones(3, dtype=torch.int64).masked_fill(m, inf)",
        "torch.ones(3, dtype=torch.int64).masked_fill(m, 2**63)",
        "torch.ones(3).masked_fill(m, 1e300)",
        "torch.ones(3, dtype=torch.float16).masked_fill(m, 1e5)",
        "torch.ones(3).masked_fill(m, 1j)",
        "torch.ones(3, dtype=torch.int64).masked_fill(m, 1 + 1j)",
        "torch.ones(3, dtype=torch.bool).masked_fill(m, 1j)",
        "torch.ones(3, dtype=torch.bool).masked_fill(m, nan)",
        "torch.ones(3).masked_fill(m, inf)",
        "torch.ones(3, dtype=torch.int32).masked_fill(m, torch.tensor(2**40))",
        "torch.ones(3).masked_fill(m, torch.tensor(1e300, dtype=torch.float64))",
        "torch.ones(3, dtype=torch.int64).masked_fill(m, torch.tensor(nan))",
        "torch.ones(3, dtype=torch.int32).masked_fill(m, torch.tensor(-3.9))",
        "torch.ones(3).masked_fill(m, torch.tensor(nan))",
    ],
)
def test_masked_fill_overflow(code: str) -> None:
    same(code, env(m=np.array([True, False, True])))


@pytest.mark.parametrize(
    "code",
    [
        # the mask must be bool, in PyTorch's C++ names of the other dtypes
        "x.masked_fill(m.float(), 1.0)", "x.masked_fill(m.double(), 1.0)", "x.masked_fill(m.half(), 1.0)",
        "x.masked_fill(m.int(), 1.0)", "x.masked_fill(m.long(), 1.0)", "torch.masked_fill(x, m.long(), 0)",
        # the value a 0-d tensor
        "x.masked_fill(m, torch.tensor([2.0]))", "x.masked_fill(m, torch.ones(2, 3))",
        "torch.masked_fill(x, m, torch.tensor([[2.0]]))",
        # shapes: the mask broadcasts with the input (named as tensor a)
        "x.masked_fill(torch.ones(2, dtype=torch.bool), 1.0)", "x.masked_fill(torch.ones(4, 1, dtype=torch.bool), 1.0)",
        "torch.ones(3).masked_fill(torch.ones(2, dtype=torch.bool), 1.0)",
        # PyTorch's order: shapes, then the value's dims, then the mask's dtype
        "x.masked_fill(m.float(), torch.ones(3))", "x.masked_fill(torch.ones(2), 1.0)",
        "x.masked_fill(torch.ones(2, dtype=torch.bool), torch.ones(2))",
        "x.masked_fill(m.float(), 1e300)",
        # no gradient into an integer or bool result
        "torch.ones(3, dtype=torch.int64).masked_fill(m, torch.tensor(2.5, requires_grad=True))",
        "torch.ones(3, dtype=torch.bool).masked_fill(m, torch.tensor(1.0, requires_grad=True))",
        # arguments left out, or too many
        "x.masked_fill(m)", "torch.masked_fill(x, m)",
    ],
)
def test_masked_fill_refusals(code: str) -> None:
    same(code, env(x=np.ones((2, 3)), m=np.array([True, False, True])))


@pytest.mark.parametrize(
    "code",
    ["x.masked_fill(m, 'a')", "x.masked_fill(m, None)", "x.masked_fill(True, 1.0)", "x.masked_fill(None, 1)",
     "x.masked_fill([True, False, True], 1)", "x.masked_fill(m, [1])", "torch.masked_fill(1.0, m, 1.0)",
     "torch.masked_fill(x, m, 'a')"],
)
def test_masked_fill_argument_types(code: str) -> None:
    """PyTorch's parser: no overload fits (its reasons per overload are not all mirrored: the first line is)."""
    e = same(code, env(x=np.ones((2, 3)), m=np.array([True, False, True])), first_line=True)
    assert "(Tensor mask, Number value)" in str(e) or "(Tensor input, Tensor mask, Number value)" in str(e)


def test_masked_fill_values_and_gradients_by_hand() -> None:
    x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    m = engine.tensor([True, False, True])
    v = engine.tensor(-1.0, requires_grad=True)
    out = x.masked_fill(m, v)
    assert out.tolist() == [[-1.0, 2.0, -1.0], [-1.0, 5.0, -1.0]]
    assert out.grad_fn.name() == "MaskedFillBackward1"
    (out * engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 0.0], [0.0, 5.0, 0.0]]
    assert v.grad.item() == 1.0 + 3.0 + 4.0 + 6.0
    assert engine.masked_fill(x, m, 0.5).grad_fn.name() == "MaskedFillBackward0"


def test_masked_fill_mask_with_more_dims_widens_and_sums_back() -> None:
    def run(lib: Any) -> Any:
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
        m = lib.tensor([[True, False, False], [False, False, True]])
        out = x.masked_fill(m, v)
        out.backward(lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64))
        return out, x.grad, v.grad

    (eo, ex, ev), (to, tx, tv) = run(engine), run(torch)
    assert tuple(eo.shape) == (2, 3)
    for e, t, what in ((eo, to, "value"), (ex, tx, "x.grad"), (ev, tv, "v.grad")):
        assert_close(e, t, what)
    assert ex.tolist() == [0.0 + 4.0, 2.0 + 5.0, 3.0 + 0.0] and ev.item() == 1.0 + 6.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_masked_fill_second_derivatives(dtype: str) -> None:
    """Through a nonlinear input and value: d2/dx2 and the mixed d2/dv dx as PyTorch's."""

    def run(lib: Any) -> Any:
        d = getattr(lib, dtype)
        x = lib.tensor([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]], dtype=d, requires_grad=True)
        v = lib.tensor(1.25, dtype=d, requires_grad=True)
        m = lib.tensor([[True, False, False], [False, True, True]])
        out = (x * x * x).masked_fill(m, v * v) * x
        gx, gv = lib.autograd.grad(out.sum(), (x, v), create_graph=True)
        assert gx.requires_grad and gv.requires_grad
        ggx, ggv = lib.autograd.grad((gx * gx).sum() + gv * gv, (x, v))
        return gx, gv, ggx, ggv

    for e, t, what in zip(run(engine), run(torch), ("gx", "gv", "ggx", "ggv"), strict=True):
        assert_close(e, t, what)


def test_masked_fill_grad_graph_names() -> None:
    """The first derivatives are built of PyTorch's nodes: masked_fill for the input, a sum for the value."""
    for lib in (engine, torch):
        x = lib.randn(2, 3, dtype=lib.float64, requires_grad=True)
        v = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        m = lib.tensor([True, False, True])
        g = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
        gx, gv = lib.autograd.grad(x.masked_fill(m, v), (x, v), g, create_graph=True)
        assert gx.grad_fn.name() == "MaskedFillBackward0", lib
        assert gv.grad_fn.name() == "SumBackward0", lib
        (ggx,) = lib.autograd.grad(gx.sum() + gv, g)
        assert ggx.tolist() == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], lib  # (zeros where masked, plus ones there)


@pytest.mark.parametrize(
    "shapes", [((2, 3), (3,)), ((3,), (2, 3)), ((), ()), ((2, 1), (1, 4)), ((0, 3), (3,))]
)
def test_masked_fill_gradcheck(shapes: tuple) -> None:
    s, ms = shapes
    rng = np.random.default_rng(3)
    x = engine.tensor(rng.standard_normal(s), dtype=engine.float64, requires_grad=True)
    v = engine.tensor(0.75, dtype=engine.float64, requires_grad=True)
    m = engine.tensor(rng.integers(0, 2, ms).astype(bool))
    assert gradcheck(lambda a, b: a.masked_fill(m, b), (x, v))
    assert gradgradcheck(lambda a, b: a.masked_fill(m, b), (x, v))
    assert gradcheck(lambda a: engine.masked_fill(a * a, m, -1.0), (x,))
    assert gradgradcheck(lambda a, b: engine.masked_fill(a * a * a, m, b * b), (x, v))


def test_masked_fill_saves_only_the_mask() -> None:
    """As PyTorch, the input is not read by the derivative: changing it in place afterwards is allowed."""

    def run(lib: Any) -> Any:
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        out = y.masked_fill(lib.tensor([True, False, False]), 0.0)
        y.mul_(2)
        out.sum().backward()
        return x.grad

    e, t = run(engine), run(torch)
    assert_close(e, t, "x.grad")


def test_masked_fill_no_grad_and_flags() -> None:
    x = engine.ones(3, requires_grad=True)
    m = engine.tensor([True, False, True])
    with engine.no_grad():
        assert not x.masked_fill(m, 0.0).requires_grad
    assert x.masked_fill(m, 0.0).requires_grad and not x.masked_fill(m, 0.0).is_leaf
    assert not x.detach().masked_fill(m, 0.0).requires_grad
    assert REGISTRY["masked_fill"].differentiable
    assert [p.name for p in REGISTRY["masked_fill"].params] == ["input", "mask", "value"]
    same("torch.masked_fill(input=x, mask=m, value=1.0)", env(x=np.ones(3), m=np.array([True, False, True])))
    same("x.masked_fill(mask=m, value=torch.tensor(2))", env(x=np.ones(3), m=np.array([True, False, True])))


# -- argmax, argmin --------------------------------------------------------------------------

ARG_SHAPES = [(), (1,), (6,), (2, 5), (3, 1), (2, 1, 4), (0, 3), (3, 0)]
ARG_DTYPES = ["float64", "float32", "float16", "int64", "int32"]


def _dims_of(shape: tuple[int, ...]) -> list[Any]:
    n = len(shape)
    return [None, *range(-max(n, 1), max(n, 1))]


@pytest.mark.parametrize("dtype", ARG_DTYPES)
@pytest.mark.parametrize("shape", ARG_SHAPES)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name: str, shape: tuple[int, ...], dtype: str) -> None:
    """Every dim (None, each one, negative), keepdim or not; ties and NaNs pick the first (NaN wins)."""
    for seed in (0, 3):
        names = env(x=_data(shape, dtype, seed))
        for dim in _dims_of(shape):
            for keepdim in (False, True):
                same(f"torch.{name}(x, {dim}, {keepdim})", names)
                same(f"x.{name}(dim={dim}, keepdim={keepdim})", names)
        same(f"torch.{name}(x)", names)
        same(f"x.{name}()", names)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_ties_nan_and_infinities(name: str) -> None:
    cases = {
        "[1.0, 3.0, 3.0, -1.0, -1.0]": {"argmax": 1, "argmin": 3},
        "[1.0, nan, 5.0, nan]": {"argmax": 1, "argmin": 1},
        "[-inf, inf, 0.0, inf, -inf]": {"argmax": 1, "argmin": 0},
        "[0.0, -0.0]": {"argmax": 0, "argmin": 0},
        "[-0.0, 0.0]": {"argmax": 0, "argmin": 0},
    }
    for values, expect in cases.items():
        e = same(f"torch.{name}(torch.tensor({values}))")
        assert e.item() == expect[name] and e.dtype is engine.int64
    e = same(f"torch.{name}(torch.tensor([[1.0, nan, 2.0], [4.0, 4.0, -4.0]]), 1)")
    assert e.tolist() == {"argmax": [1, 0], "argmin": [1, 2]}[name]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_never_require_grad(name: str, dtype: str) -> None:
    check(name, T((2, 3), dtype))
    check(name, T((2, 3), dtype), 1, True)
    check(name, T((4,), dtype), method=True)
    assert not REGISTRY[name].differentiable


ARG_REFUSALS = [
    "torch.{n}(b)", "torch.{n}(b, 0)", "torch.{n}(b, 5)", "torch.{n}(torch.ones(0, 3, dtype=torch.bool))",
    "torch.{n}(b, 'a')",
    "torch.{n}(torch.ones(0))", "torch.{n}(torch.ones(0, 3))", "torch.{n}(torch.ones(0, 3), keepdim=True)",
    "torch.{n}(torch.ones(0, 3), 0)", "torch.{n}(torch.ones(0, 3), -2, True)", "torch.{n}(torch.ones(3, 0), -1)",
    "torch.{n}(torch.ones(0, 3), 5)",
    "torch.{n}(x, 2)", "torch.{n}(x, -3)", "torch.{n}(torch.tensor(1.0), 1)", "torch.{n}(torch.tensor(1.0), -2)",
    "torch.{n}(x, (0, 1))", "torch.{n}(x, 1.0)", "torch.{n}(x, True)", "torch.{n}(x, 'a')", "torch.{n}(x, [0])",
    "x.{n}('a')", "x.{n}(dim='a')", "torch.{n}(x, dim=1.5)", "torch.{n}(input=x, dim=(0,))",
    "torch.{n}(x, 1, None)", "torch.{n}(x, 0, 1)", "x.{n}(0, 1)", "torch.{n}(x, dim=0, keepdim=1)",
    "torch.{n}(x, 0, 1, 2)", "torch.{n}(x, foo=1)", "torch.{n}(1.0)",
]


@pytest.mark.parametrize("code", ARG_REFUSALS)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_refusals(name: str, code: str) -> None:
    e = same(code.format(n=name), env(x=np.ones((2, 3)), b=np.ones((2, 3), dtype=bool)))
    assert isinstance(e, Exception), f"torch took {code}"


@pytest.mark.parametrize(
    "code",
    ["torch.{n}(x, np.int64(1))", "torch.{n}(x, torch.tensor(1))", "torch.{n}(x, None, False)",
     "torch.{n}(x, dim=None, keepdim=True)", "torch.{n}(input=x, dim=-1)", "x.{n}(1, True)",
     "torch.{n}(torch.ones(0, 3), 1)", "torch.{n}(torch.ones(0, 3), 1, True)", "torch.{n}(torch.ones(2, 0, 3), 2)",
     "torch.{n}(torch.tensor(2.0), 0)", "torch.{n}(torch.tensor(2.0), -1, True)", "torch.{n}(torch.tensor(2.0))"],
)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_argument_forms(name: str, code: str) -> None:
    names = env(x=_data((2, 3), "float64", 2), np=lambda lib: np)
    same(code.format(n=name), names)


# -- any, all --------------------------------------------------------------------------------

LOGIC_SHAPES = [(), (1,), (5,), (2, 3), (3, 1), (2, 1, 4), (0,), (0, 3), (2, 0)]


def _logic_dims(shape: tuple[int, ...]) -> list[Any]:
    n = len(shape)
    ints = list(range(-max(n, 1), max(n, 1)))
    tuples: list[Any] = [(), []] + [(d,) for d in range(n)] + ([(0, -1), [n - 1, 0]] if n >= 2 else [])
    tuples += [tuple(range(n))] if n >= 3 else []
    return [None, *ints, *tuples]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", LOGIC_SHAPES)
@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all(name: str, shape: tuple[int, ...], dtype: str) -> None:
    """dim None, an int, a tuple or list (empty: no dim reduced), keepdim; NaN counts as True."""
    for seed in (0, 1, 4):
        names = env(x=_data(shape, dtype, seed))
        same(f"torch.{name}(x)", names)
        same(f"x.{name}()", names)
        same(f"torch.{name}(x, keepdim=True)", names)
        for dim in _logic_dims(shape):
            for keepdim in (False, True):
                out = same(f"torch.{name}(x, {dim!r}, {keepdim})", names)
                assert out.dtype is engine.bool
                same(f"x.{name}(dim={dim!r}, keepdim={keepdim})", names)


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all_values(name: str) -> None:
    x = np.array([[0.0, 1.0, 0.0], [0.0, math.nan, 2.0]])
    e = same(f"torch.{name}(x, 1)", env(x=x))
    assert e.tolist() == {"any": [True, True], "all": [False, False]}[name]
    e = same(f"torch.{name}(x, 0)", env(x=x))
    assert e.tolist() == {"any": [False, True, True], "all": [False, True, False]}[name]
    e = same(f"torch.{name}(torch.ones(0, 3))", {})
    assert e.item() is (name == "all")  # over no elements: any is False, all is True
    e = same(f"torch.{name}(torch.ones(0, 3), 0)", {})
    assert e.tolist() == [name == "all"] * 3
    e = same(f"torch.{name}(x, ())", env(x=x))
    assert e.tolist() == [[False, True, False], [False, True, True]]  # no dim: elementwise truth
    assert same(f"torch.{name}(torch.tensor([nan]))", {}).item() is True
    assert same(f"torch.{name}(torch.tensor([-0.0]))", {}).item() is False


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all_never_require_grad(name: str, dtype: str) -> None:
    check(name, T((2, 3), dtype))
    check(name, T((2, 3), dtype), (0, 1), True)
    check(name, T((2, 3), dtype), 1, method=True)
    assert not REGISTRY[name].differentiable


LOGIC_REFUSALS = [
    "torch.{n}(x, 2)", "torch.{n}(x, -3)", "torch.{n}(x, (0, 2))", "torch.{n}(x, (1, -1))", "torch.{n}(x, [0, 0])",
    "torch.{n}(torch.tensor(1.0), 1)", "torch.{n}(torch.tensor(1.0), (0, 0))", "torch.{n}(torch.ones(0, 3), 5)",
    "torch.{n}(x, (0, 'a'))", "torch.{n}(x, [0, 0.5])", "torch.{n}(x, dim=(0, 'a'))", "x.{n}((0, 'a'))",
    "x.{n}([1, None])",
]
# PyTorch's parser lists every overload; its reasons for each are not all mirrored (the first line is)
LOGIC_TYPE_REFUSALS = [
    "torch.{n}(x, 1.0)", "torch.{n}(x, True)", "torch.{n}(x, 'a')", "torch.{n}(x, ('a',))", "x.{n}(1.5)",
    "x.{n}(dim=1.5)", "torch.{n}(x, dim=1.5)", "torch.{n}(x, 'a', keepdim=True)", "x.{n}('a', True)",
    "torch.{n}(x, None, 1)", "torch.{n}(x, 0, 1)", "torch.{n}(x, 0, keepdim=None)",
]


@pytest.mark.parametrize("code", LOGIC_REFUSALS + LOGIC_TYPE_REFUSALS)
@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all_refusals(name: str, code: str) -> None:
    e = same(code.format(n=name), env(x=np.ones((2, 3))), first_line=code in LOGIC_TYPE_REFUSALS)
    if code in LOGIC_TYPE_REFUSALS:
        assert "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)" in str(e) or (
            "(int dim, bool keepdim = False)" in str(e))


@pytest.mark.parametrize(
    "code",
    ["torch.{n}(x, np.int64(1))", "torch.{n}(x, (np.int64(1),))", "torch.{n}(x, torch.tensor(1))",
     "torch.{n}(input=x, dim=1)", "torch.{n}(x, dim=None, keepdim=True)", "x.{n}(1, True)", "x.{n}((0, 1))",
     "torch.{n}(torch.tensor(0.0), 0)", "torch.{n}(torch.tensor(2.0), -1, True)", "torch.{n}(torch.tensor(0.0), (0,))",
     "torch.{n}(torch.tensor(2.0), ())", "torch.{n}(torch.ones(0, 3), (0,), True)", "torch.{n}(torch.ones(0, 3), ())"],
)
@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all_argument_forms(name: str, code: str) -> None:
    same(code.format(n=name), env(x=_data((2, 3), "float64", 1), np=lambda lib: np))


# -- equal ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "a,b",
    [
        ("torch.ones(3)", "torch.ones(3)"), ("torch.ones(3)", "torch.zeros(3)"), ("torch.ones(3)", "torch.ones(2)"),
        ("torch.ones(3)", "torch.ones(1, 3)"), ("torch.ones(1)", "torch.ones(())"), ("torch.ones(3)", "torch.ones(1)"),
        ("torch.tensor(1.5)", "torch.tensor(1.5)"), ("torch.ones(0)", "torch.ones(0)"),
        ("torch.ones(0, 3)", "torch.ones(0, 2)"), ("torch.ones(0)", "torch.ones(0, dtype=torch.int64)"),
        ("torch.tensor([nan, 1.0])", "torch.tensor([nan, 1.0])"), ("torch.tensor([0.0])", "torch.tensor([-0.0])"),
        ("torch.tensor([inf, -inf])", "torch.tensor([inf, -inf])"),
        # other dtypes: compared in the promoted dtype
        ("torch.ones(3)", "torch.ones(3, dtype=torch.float64)"), ("torch.ones(3)", "torch.ones(3, dtype=torch.int64)"),
        ("torch.ones(3, dtype=torch.int32)", "torch.ones(3, dtype=torch.int64)"),
        ("torch.ones(3, dtype=torch.bool)", "torch.ones(3, dtype=torch.int64)"),
        ("torch.tensor([0.1])", "torch.tensor([0.1], dtype=torch.float64)"),
        ("torch.tensor([0.1])", "torch.tensor([0.1], dtype=torch.float16)"),
        ("torch.tensor([1.5, 2.0], dtype=torch.float16)", "torch.tensor([1.5, 2.0])"),
        ("torch.tensor([1, 2])", "torch.tensor([1.0, 2.5])"),
        ("torch.tensor([True, False])", "torch.tensor([1.0, 0.0])"),
        ("torch.tensor([True, False])", "torch.tensor([2.0, 0.0])"),
        ("torch.tensor([2**32 + 1])", "torch.tensor([1], dtype=torch.int32)"),
        ("torch.tensor([[1, 2], [3, 4]])", "torch.tensor([[1, 2], [3, 5]])"),
        ("torch.tensor([[1, 2], [3, 4]])", "torch.tensor([[1, 2], [3, 4]]).t().t()"),
    ],
)
def test_equal(a: str, b: str) -> None:
    """A Python bool: same shape and same values (in the promoted dtype); NaN is never equal."""
    for code in (f"torch.equal({a}, {b})", f"torch.equal({b}, {a})", f"{a}.equal({b})"):
        out = same(code)
        assert type(out) is bool


def test_equal_values_and_grad() -> None:
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    assert engine.equal(x, x * 1) is True
    assert engine.equal(x, x + 1) is False
    nan = engine.tensor([math.nan])
    assert engine.equal(nan, nan) is False  # (not even the tensor itself)
    assert x.equal(x.detach()) is True
    assert not REGISTRY["equal"].differentiable


def test_equal_through_the_registry_is_a_tensor() -> None:
    """``call`` (what the service runs) keeps a 0-d bool tensor; the public function and method convert it."""
    x = engine.ones(3)
    out = call(REGISTRY["equal"], (x, x), {})
    assert isinstance(out, engine.Tensor) and out.dtype is engine.bool and tuple(out.shape) == ()
    assert out.item() is True and not out.requires_grad


@pytest.mark.parametrize(
    "code",
    ["torch.equal(x, 1.0)", "torch.equal(1.0, x)", "torch.equal(x, None)", "x.equal(1.0)", "torch.equal(x)",
     "torch.equal(x, other=[1.0])", "torch.equal(x, x, foo=1)"],
)
def test_equal_refusals(code: str) -> None:
    same(code, env(x=np.ones(3)))


def test_equal_keywords() -> None:
    same("torch.equal(input=x, other=y)", env(x=np.ones(3), y=np.ones(3)))
    same("x.equal(other=y)", env(x=np.ones(3), y=np.zeros(3)))


# -- the catalogue --------------------------------------------------------------------------

@pytest.mark.parametrize("name", [*TESTS, "masked_fill", "argmax", "argmin", "any", "all", "equal"])
def test_public_surface(name: str) -> None:
    op = REGISTRY[name]
    assert op.namespace == "torch" and op.method == name
    assert callable(getattr(engine, name)) and callable(getattr(engine.Tensor, name))
    assert op.differentiable == (name == "masked_fill")
    assert getattr(engine, name).__doc__.startswith(op.signature())


ISCLOSE_SNIPPETS = [
    "print(torch.isclose(a, b), torch.isclose(a, b, equal_nan=True), a.isclose(b, 0.1), torch.isclose(a, b, 0, 0))",
    "print(torch.allclose(a, b), a.allclose(b, rtol=0.1), a.allclose(b, 0.1, 0, True), type(torch.allclose(a, a)))",
    "print(torch.isclose(a.double(), b.double(), atol=1e-3), torch.isclose(a.half(), b.half()))",
    "print(torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])), torch.isclose(torch.tensor([1, 2]), "
    "torch.tensor([1, 3]), atol=1))",
    "print(torch.isclose(torch.tensor([True, False]), torch.tensor([True, True])))",
    "print(torch.isclose(torch.tensor(1.), torch.tensor([1., 2.])), torch.allclose(torch.ones(2, 3), torch.ones(3)))",
    "print(torch.isclose(a.requires_grad_(), b))",
    "torch.isclose(a, b.double())",
    "torch.isclose(torch.tensor([1, 2]), torch.tensor([1., 3.]))",
    "torch.isclose(a, torch.ones(3))",
    "torch.isclose(a, 1.0)",
    "torch.allclose(a, 3)",
]


@pytest.mark.parametrize("code", ISCLOSE_SNIPPETS)
def test_isclose_and_allclose_as_pytorch(code: str) -> None:
    """PyTorch's formula (|a - b| <= atol + |rtol * b|, finite; equal infinities close; NaN by equal_nan)
    in the inputs' dtype, its refusals of mixed dtypes and non-tensors."""
    code = ("a = torch.tensor([1., float('nan'), float('inf'), 2., -float('inf'), 0.])\n"
            "b = torch.tensor([1.00001, float('nan'), float('inf'), 2.1, float('inf'), 1e-9])\n" + code)
    assert run_snippet(engine, code) == run_snippet(torch, code)


def test_isclose_refuses_a_negative_tolerance_as_a_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got -1"):
        engine.isclose(engine.ones(2), engine.ones(2), rtol=-1)
