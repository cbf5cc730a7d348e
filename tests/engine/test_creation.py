"""Factories against PyTorch: tensor, zeros/ones/full/eye, arange, linspace, rand(n), *_like, from_numpy."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine.ops.registry import REGISTRY, call

from .oracle import T, check


def both(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    out = []
    for lib in (engine, torch):
        try:
            out.append(fn(lib))
        except Exception as exc:  # noqa: BLE001 - compared by the caller
            out.append(exc)
    return out[0], out[1]


def same(fn: Callable[[Any], Any], exact: bool = True) -> engine.Tensor:
    """``fn(engine)`` and ``fn(torch)`` agree in shape, dtype, flags and (exactly) values."""
    e, t = both(fn)
    assert not isinstance(t, Exception), f"torch raised {t!r}"
    assert not isinstance(e, Exception), f"engine raised {e!r}"
    assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
    assert str(e.dtype) == str(t.dtype), (e.dtype, t.dtype)
    assert e.requires_grad == t.requires_grad and e.is_leaf == t.is_leaf
    ev, tv = e.detach().numpy(), t.detach().numpy()
    if exact:
        np.testing.assert_array_equal(ev, tv)
    elif ev.dtype.kind == "f":
        # to float rounding: PyTorch's vectorised kernels round differently from element to element
        eps = float(np.finfo(tv.dtype).eps)
        scale = float(np.abs(tv).max()) if tv.size else 0.0
        np.testing.assert_allclose(ev, tv, rtol=4 * eps, atol=4 * eps * scale)
    else:
        np.testing.assert_array_equal(ev, tv)
    return e


def same_error(fn: Callable[[Any], Any], message: bool = True) -> None:
    e, t = both(fn)
    assert isinstance(t, Exception), f"torch did not raise: {t!r}"
    assert isinstance(e, Exception), f"engine did not raise: {e!r} (torch raised {t!r})"
    assert isinstance(e, engine.EngineError), f"untyped engine error {type(e).__name__}: {e}"
    assert isinstance(e, type(t)) or (isinstance(e, RuntimeError) and isinstance(t, RuntimeError)), (e, t)
    if message:
        assert str(e) == str(t), f"\nengine: {e}\ntorch:  {t}"


# -- engine.tensor ------------------------------------------------------------------------

TENSOR_DATA: list[Any] = [
    [1, 2, 3],
    [1.0, 2.0],
    [1, 2.5],
    [True, False],
    [True, 2],
    [True, 2.5],
    [],
    [[]],
    [[1, 2], [3, 4]],
    [[1.5], [2.0]],
    3,
    3.5,
    True,
    -0.0,
    [math.nan, math.inf],
    [[[1]], [[2]]],
    (1, 2),
    [(1.0, 2.0), (3.0, 4.0)],
    np.float64(2.0),
    [np.float64(2.0), np.float64(3.0)],
    np.array([1, 2], dtype=np.int32),
    np.array([1, 2], dtype=np.int64),
    np.array([1.5], dtype=np.float16),
    np.array([1.5], dtype=np.float32),
    np.array([1.5], dtype=np.float64),
    np.array([True]),
    np.zeros((2, 0)),
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=[repr(d)[:30] for d in TENSOR_DATA])
def test_tensor_dtype_inference(data: Any) -> None:
    same(lambda lib: lib.tensor(data))
    same(lambda lib: lib.tensor(data, dtype=lib.float64))


def test_tensor_of_tensors_and_copies() -> None:
    same(lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]))
    same(lambda lib: lib.tensor([lib.tensor(1), lib.tensor(2)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about copy construction
        same(lambda lib: lib.tensor(lib.tensor([1.0, 2.0], dtype=lib.float64)))
    src = np.array([1.0, 2.0])
    e = engine.tensor(src)
    src[0] = 100.0
    assert e.tolist() == [1.0, 2.0]  # engine.tensor copies


def test_tensor_default_dtype_float64() -> None:
    try:
        engine.set_default_dtype(engine.float64)
        torch.set_default_dtype(torch.float64)
        for data in ([1.5], [1, 2.5], 2.0, [1, 2], [True]):
            same(lambda lib, data=data: lib.tensor(data))
        same(lambda lib: lib.zeros(2))
        same(lambda lib: lib.arange(0.0, 1.0, 0.25))
        same(lambda lib: lib.linspace(0, 1, 5), exact=False)
        same(lambda lib: lib.full((2,), 1.5))
        assert engine.rand(2).dtype is engine.float64
    finally:
        engine.set_default_dtype(engine.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_requires_grad_needs_floating(dtype: str) -> None:
    same_error(lambda lib: lib.tensor([1, 0], dtype=getattr(lib, dtype), requires_grad=True))
    same_error(lambda lib: lib.zeros(2, dtype=getattr(lib, dtype), requires_grad=True))
    same_error(lambda lib: lib.ones(2, dtype=getattr(lib, dtype), requires_grad=True))
    same_error(lambda lib: lib.full((2,), 1, dtype=getattr(lib, dtype), requires_grad=True))
    same_error(lambda lib: lib.arange(3, dtype=getattr(lib, dtype), requires_grad=True))
    same_error(lambda lib: lib.eye(2, dtype=getattr(lib, dtype), requires_grad=True))
    same_error(lambda lib: lib.zeros_like(lib.ones(2), dtype=getattr(lib, dtype), requires_grad=True))
    same_error(lambda lib: lib.ones_like(lib.ones(2, dtype=getattr(lib, dtype)), requires_grad=True))
    same_error(lambda lib: lib.full_like(lib.ones(2, dtype=getattr(lib, dtype)), 1, requires_grad=True))


def test_tensor_bad_data() -> None:
    e, t = both(lambda lib: lib.tensor([[1, 2], [3]]))
    assert isinstance(e, ValueError) and isinstance(t, ValueError)
    e, t = both(lambda lib: lib.tensor("a"))
    assert isinstance(e, TypeError) and isinstance(t, TypeError)


# -- zeros / ones / empty / full / eye ------------------------------------------------------

SIZES: list[tuple[Any, ...]] = [
    (2, 3), ((2, 3),), ([2, 3],), ((),), ([],), (0,), (3, 0, 2), (1,), (torch.Size([4, 1]),),
]


@pytest.mark.parametrize("size", SIZES, ids=repr)
@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_zeros_ones(name: str, size: tuple) -> None:
    same(lambda lib: getattr(lib, name)(*size))
    same(lambda lib: getattr(lib, name)(*size, dtype=lib.int64))
    same(lambda lib: getattr(lib, name)(*size, dtype=lib.bool))
    same(lambda lib: getattr(lib, name)(*size, dtype=lib.float16))
    same(lambda lib: getattr(lib, name)(*size, requires_grad=True))
    same(lambda lib: getattr(lib, name)(*size, dtype=lib.float64, device="cpu"))


def test_empty_shape_and_dtype() -> None:
    for size in SIZES:
        e, t = engine.empty(*size), torch.empty(*size)
        assert tuple(e.shape) == tuple(t.shape) and str(e.dtype) == str(t.dtype)
    assert engine.empty(2, dtype=engine.int32).dtype is engine.int32


@pytest.mark.parametrize(
    "fill", [1, 1.5, True, False, -7, 0.0, math.inf, -math.inf, math.nan, 2**40, np.float64(2.5), np.int64(3)],
    ids=repr,
)
def test_full_dtype_from_fill_value(fill: Any) -> None:
    same(lambda lib: lib.full((2, 3), fill))
    same(lambda lib: lib.full([2], fill))
    same(lambda lib: lib.full((), fill))
    same(lambda lib: lib.full((2,), fill, dtype=lib.float64))


@pytest.mark.parametrize(
    "fill,dtype",
    [(2.7, "int64"), (-2.7, "int64"), (2.5, "int32"), (-1, "bool"), (0.0, "bool"), (math.nan, "bool"), (3, "float16"),
     (65504.0, "float16"), (math.inf, "float16"), (1e38, "float32"), (2**31 - 1, "int32"), (-(2**63), "int64"),
     (True, "float32"), (True, "int32")],
    ids=repr,
)
def test_full_converts_fill_value(fill: Any, dtype: str) -> None:
    same(lambda lib: lib.full((3,), fill, dtype=getattr(lib, dtype)))
    same(lambda lib: lib.full_like(lib.ones(3, dtype=getattr(lib, dtype)), fill))


@pytest.mark.parametrize(
    "fill,dtype",
    [(math.nan, "int64"), (1e300, "int64"), (2**63, "int64"), (2**31, "int32"), (-(2**31) - 1, "int32"),
     (65520.0, "float16"), (65519.0, "float16"), (1e39, "float32"), (3.4028235e38, "float32"), (-1e39, "float32"),
     (math.inf, "int32")],
    ids=repr,
)
def test_full_fill_value_overflow(fill: Any, dtype: str) -> None:
    same_error(lambda lib: lib.full((2,), fill, dtype=getattr(lib, dtype)))
    same_error(lambda lib: lib.full_like(lib.ones(2, dtype=getattr(lib, dtype)), fill))


def test_full_errors() -> None:
    same_error(lambda lib: lib.full(3, 1.0))
    same_error(lambda lib: lib.full_like(lib.ones(2), "a"))
    same_error(lambda lib: lib.full_like(lib.ones(2), None))
    same(lambda lib: lib.full_like(lib.ones(2), lib.tensor(3.0)))
    same(lambda lib: lib.full((2,), lib.tensor(3)))


@pytest.mark.parametrize("args", [(3,), (2, 3), (3, 2), (0,), (1,), (0, 4), (4, 0)], ids=repr)
def test_eye(args: tuple) -> None:
    same(lambda lib: lib.eye(*args))
    same(lambda lib: lib.eye(*args, dtype=lib.int64))
    same(lambda lib: lib.eye(*args, dtype=lib.bool))
    same(lambda lib: lib.eye(*args, dtype=lib.float64, requires_grad=True))


def test_eye_errors() -> None:
    same_error(lambda lib: lib.eye(-1))
    same_error(lambda lib: lib.eye(2, -1))
    same_error(lambda lib: lib.eye(2.5), message=False)


# -- negative and bad sizes ---------------------------------------------------------------

NEGATIVE: list[Callable[[Any], Any]] = [
    lambda lib: lib.zeros(-1),
    lambda lib: lib.zeros(2, -3),
    lambda lib: lib.zeros((2, -3)),
    lambda lib: lib.zeros([-1]),
    lambda lib: lib.ones(-1),
    lambda lib: lib.ones(2, -3),
    lambda lib: lib.ones((2, -3, -4)),
    lambda lib: lib.empty(-2),
    lambda lib: lib.empty((2, -3)),
    lambda lib: lib.full((-1,), 2.0),
    lambda lib: lib.full((2, -1), 1),
    lambda lib: lib.rand(-1),
    lambda lib: lib.rand(2, -1),
    lambda lib: lib.randn(-1),
    lambda lib: lib.randn((3, -2)),
]


@pytest.mark.parametrize("i", range(len(NEGATIVE)))
def test_negative_sizes(i: int) -> None:
    same_error(NEGATIVE[i])


def test_bad_size_types() -> None:
    for fn in (lambda lib: lib.zeros(2.5), lambda lib: lib.ones((2, 1.5)), lambda lib: lib.rand(2, None)):
        e, t = both(fn)
        assert isinstance(e, TypeError) and isinstance(e, engine.EngineError) and isinstance(t, TypeError)


# -- arange ---------------------------------------------------------------------------------

ARANGE: list[tuple[Any, ...]] = [
    (5,), (0,), (1,), (5.0,), (2.5,), (True,),
    (1, 5), (1, 1), (-3, 3), (5, 1, -1), (10, 0, -3), (0, 10, 3), (-10, -1, 4),
    (0, 1, 0.1), (1, 0, -0.1), (0, 1, 0.3), (0.5, 3), (0, 2.5, 0.5), (-1.0, 1.0, 0.25),
    (0, 1, 1 / 3), (0.1, 0.9, 0.2), (1e-3, 1e-2, 1e-3), (0, 100, 0.7), (3.0, -3.0, -0.6),
    (0, 10, 2.5), (0.0, 1.0, 0.0625), (-5, 5, 0.01), (1, 2, 0.1),
]


@pytest.mark.parametrize("args", ARANGE, ids=repr)
def test_arange(args: tuple) -> None:
    # the length is PyTorch's exactly; float values to rounding (start + i * step)
    same(lambda lib: lib.arange(*args), exact=False)
    same(lambda lib: lib.arange(*args, dtype=lib.float64), exact=False)


@pytest.mark.parametrize("args", [(5,), (1, 5), (0, 1, 0.1), (0, 5, 1.5), (-2.5, 2.5), (0.5, 3.7, 0.9), (5, -3, -2)],
                         ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "float16", "int64", "int32"])
def test_arange_dtypes(args: tuple, dtype: str) -> None:
    e, t = both(lambda lib: lib.arange(*args, dtype=getattr(lib, dtype)))
    if isinstance(t, Exception):  # int64 refuses a step that truncates to 0; int32 fills start
        same_error(lambda lib: lib.arange(*args, dtype=getattr(lib, dtype)))
    else:
        same(lambda lib: lib.arange(*args, dtype=getattr(lib, dtype)), exact=False)


def test_arange_keywords_and_grad() -> None:
    same(lambda lib: lib.arange(start=1, end=7, step=2))
    same(lambda lib: lib.arange(0, 3, requires_grad=True, dtype=lib.float64))
    same(lambda lib: lib.arange(3.0, requires_grad=True))


@pytest.mark.parametrize(
    "args",
    [(0, 10, 0), (10, 0, 1), (0, 10, -1), (-3.7,), (0, math.inf), (0, math.nan), (math.inf, 1), (0.0, 1.0, 0.0),
     (-math.inf, 1.5)],
    ids=repr,
)
def test_arange_errors(args: tuple) -> None:
    same_error(lambda lib: lib.arange(*args))
    same_error(lambda lib: lib.arange(*args, dtype=lib.float64))


def test_arange_integer_dtype_truncates() -> None:
    same(lambda lib: lib.arange(-2.5, 2.5, dtype=lib.int64))
    same(lambda lib: lib.arange(-2.5, 2.5, dtype=lib.int32))
    same(lambda lib: lib.arange(0.5, 7.9, 2.7, dtype=lib.int64))
    same(lambda lib: lib.arange(9.9, 0, -2.5, dtype=lib.int64))
    same_error(lambda lib: lib.arange(0, 1, 0.1, dtype=lib.int64))
    same_error(lambda lib: lib.arange(3, dtype=lib.bool))


# -- linspace -------------------------------------------------------------------------------

LINSPACE: list[tuple[Any, ...]] = [
    (0, 1, 5), (0, 1, 1), (0, 1, 0), (0, 1, 2), (-1, 1, 7), (1, 0, 11), (0, 10, 100), (0.1, 0.7, 13),
    (-3.3, 8.9, 1000), (5, 5, 4), (1e-3, 1e3, 37), (0, 1, 1001), (2.5, -2.5, 6),
]


@pytest.mark.parametrize("args", LINSPACE, ids=repr)
@pytest.mark.parametrize("dtype", [None, "float64", "float16"])
def test_linspace(args: tuple, dtype: str | None) -> None:
    kw = {} if dtype is None else {"dtype": dtype}

    def make(lib: Any) -> Any:
        return lib.linspace(*args, **{k: getattr(lib, v) for k, v in kw.items()})

    e = same(make, exact=False)
    start, end, steps = args
    if steps > 1:
        # the ends are exact, the length is steps
        assert e.tolist()[0] == pytest.approx(start, rel=1e-3) and e.tolist()[-1] == pytest.approx(end, rel=1e-3)


@pytest.mark.parametrize("args", [(0, 10, 5), (0, 10, 4), (-1, 1, 7), (10, -10, 9), (0, 3, 10)], ids=repr)
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_linspace_integer(args: tuple, dtype: str) -> None:
    same(lambda lib: lib.linspace(*args, dtype=getattr(lib, dtype)))


def test_linspace_grad_and_errors() -> None:
    same(lambda lib: lib.linspace(0, 1, 5, requires_grad=True), exact=False)
    same_error(lambda lib: lib.linspace(0, 1, -1))
    same_error(lambda lib: lib.linspace(0, 10, 3, dtype=lib.bool))
    for steps in (2.5, True, None):
        e, t = both(lambda lib, steps=steps: lib.linspace(0, 1, steps))
        assert isinstance(e, TypeError) and isinstance(e, engine.EngineError) and isinstance(t, TypeError)


# -- random -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rand", "randn"])
def test_random_reproducible(name: str) -> None:
    fn = getattr(engine, name)
    engine.manual_seed(123)
    a = fn(3, 4)
    b = fn(3, 4)
    engine.manual_seed(123)
    c = fn(3, 4)
    assert a.tolist() == c.tolist() and a.tolist() != b.tolist()
    assert engine.initial_seed() == 123
    assert fn(2, 3, seed=7).tolist() == fn(2, 3, seed=7).tolist() != fn(2, 3, seed=8).tolist()
    # seed= leaves the default generator alone
    engine.manual_seed(5)
    fn(2, seed=1)
    after = fn(4)
    engine.manual_seed(5)
    assert fn(4).tolist() == after.tolist()
    g1, g2 = engine.Generator().manual_seed(42), engine.Generator().manual_seed(42)
    assert fn(5, generator=g1).tolist() == fn(5, generator=g2).tolist()
    assert fn(5, generator=g1).tolist() != fn(5, generator=engine.Generator().manual_seed(43)).tolist()
    assert g1.initial_seed() == 42
    x = fn((2, 3), dtype=engine.float64, requires_grad=True)
    assert x.shape == (2, 3) and x.dtype is engine.float64 and x.requires_grad and x.is_leaf
    assert fn(()).shape == () and fn(0, 3).shape == (0, 3)
    assert fn(2).dtype is engine.float32


def test_random_distributions() -> None:
    u = engine.rand(20000, seed=0).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    n = engine.randn(20000, seed=0).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03
    h = engine.rand(1000, dtype=engine.float16, seed=1).numpy()
    assert h.dtype == np.float16 and h.min() >= 0 and h.max() <= 1


def test_random_like_and_errors() -> None:
    x = engine.ones(2, 3, dtype=engine.float64)
    for fn in (engine.rand_like, engine.randn_like):
        out = fn(x)
        assert out.shape == x.shape and out.dtype is engine.float64 and not out.requires_grad
    same_error(lambda lib: lib.rand(2, dtype=lib.int64))
    same_error(lambda lib: lib.randn(2, dtype=lib.int64))
    same_error(lambda lib: lib.randn(2, dtype=lib.bool))


def test_threads_have_own_default_generator() -> None:
    import threading

    engine.manual_seed(11)
    expected = engine.rand(3).tolist()
    seen: list[Any] = []

    def worker() -> None:
        engine.manual_seed(11)
        seen.append(engine.rand(3).tolist())

    th = threading.Thread(target=worker)
    th.start()
    th.join()
    assert seen == [expected]


# -- *_like ---------------------------------------------------------------------------------

LIKE_INPUTS = [T((2, 3), "float32"), T((), "float64"), T((0, 2), "float32"), T((4,), "int64", "int"),
               T((2, 1), "int32", "int"), T((3,), "bool", "bool"), T((2, 2), "float16", grad=False)]


@pytest.mark.parametrize("spec", LIKE_INPUTS)
def test_like_ops_against_torch(spec: T) -> None:
    check("zeros_like", spec)
    check("ones_like", spec)
    check("full_like", spec, 3)
    check("full_like", spec, 2.5)
    check("full_like", spec, True)
    for dtype in ("float64", "int32", "bool", "float16"):
        same(lambda lib, d=dtype: lib.zeros_like(_make(lib, spec), dtype=getattr(lib, d)))
        same(lambda lib, d=dtype: lib.ones_like(_make(lib, spec), dtype=getattr(lib, d)))
        same(lambda lib, d=dtype: lib.full_like(_make(lib, spec), -1.5, dtype=getattr(lib, d)))


def _make(lib: Any, spec: T) -> Any:
    a = spec.array(0)
    return lib.tensor(a, dtype=getattr(lib, spec.dtype), requires_grad=spec.requires_grad)


def test_like_keywords() -> None:
    same(lambda lib: lib.zeros_like(lib.ones(2, 3), requires_grad=True))
    same(lambda lib: lib.ones_like(lib.ones(2, dtype=lib.int64), dtype=lib.float64, requires_grad=True))
    same(lambda lib: lib.full_like(lib.ones(2), 7, requires_grad=True))
    same(lambda lib: lib.full_like(lib.ones(2), fill_value=3))
    same(lambda lib: lib.zeros_like(lib.ones(2), device="cpu"))
    same(lambda lib: lib.ones_like(lib.ones(2), device=lib.device("cpu"), dtype=lib.float64))
    same(lambda lib: lib.zeros_like(input=lib.ones(2, 2)))
    e = engine.zeros_like(engine.ones(2), requires_grad=True)
    assert e.is_leaf and e.grad_fn is None
    (e * 2).sum().backward()
    assert e.grad.tolist() == [2.0, 2.0]
    x = engine.ones(2, requires_grad=True)
    out = engine.ones_like(x * 3)
    assert not out.requires_grad and out.grad_fn is None
    assert engine.empty_like(x).shape == (2,) and not engine.empty_like(x).requires_grad


def test_like_errors() -> None:
    for fn in (lambda lib: lib.ones_like([1, 2]), lambda lib: lib.zeros_like(3.0)):
        e, t = both(fn)
        assert isinstance(e, TypeError) and isinstance(e, engine.EngineError) and isinstance(t, TypeError)
    e, t = both(lambda lib: lib.full_like(lib.ones(2)))
    assert isinstance(e, TypeError) and isinstance(t, TypeError)


def test_like_ops_in_registry() -> None:
    for name in ("zeros_like", "ones_like", "full_like"):
        op = REGISTRY[name]
        assert not op.differentiable and op.namespace == "torch"
        assert op.inputs == ("input",)
    assert REGISTRY["full_like"].signature() == "full_like(input, fill_value, *, dtype=None)"
    assert REGISTRY["zeros_like"].signature() == "zeros_like(input, *, dtype=None)"
    x = engine.ones(2, 3, requires_grad=True)
    out = call(REGISTRY["full_like"], (x, 2.5), {"dtype": engine.float64})
    assert out.tolist() == [[2.5] * 3] * 2 and out.dtype is engine.float64 and not out.requires_grad
    out = call(REGISTRY["zeros_like"], (x,), {})
    assert out.dtype is engine.float32 and not out.requires_grad
    # engine.zeros_like is the factory (with requires_grad= and device=) over the same entry
    assert engine.zeros_like(x, requires_grad=True).requires_grad


# -- from_numpy -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "bool"])
def test_from_numpy_shares_memory(dtype: str) -> None:
    a = np.zeros((2, 3), dtype=dtype)
    e = engine.from_numpy(a)
    t = torch.from_numpy(a.copy())
    assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
    assert not e.requires_grad and e.is_leaf
    a[0, 1] = 1
    assert e.tolist()[0][1] == (True if dtype == "bool" else 1)
    assert np.shares_memory(e.numpy(), a)


def test_from_numpy_errors() -> None:
    e, t = both(lambda lib: lib.from_numpy([1, 2]))
    assert isinstance(e, TypeError) and isinstance(t, TypeError)
    with pytest.raises(TypeError):
        engine.from_numpy(np.array([1, 2], dtype=np.uint16))


# data that torch.tensor refuses, or takes where NumPy alone would not: PyTorch's words, its order
# (the dtype is inferred before the shape is checked) and its acceptance of any Python sequence
TENSOR_DATA = [
    "[[1, 2], [3]]", "[[1, 2], 3]", "[1, [2]]", "[[1], [2, 3]]", "[[[1, 2]], [[3]]]", "[1, None]", "[[1, 'a']]",
    "'abc'", "None", "[[1, 2], (3, 4)]", "range(3)", "[range(2), range(2)]", "([1, 2], [3, 4, 5])", "[{}]",
    "{1: 2}", "[1.5, [2]]", "2**63", "[2**63]", "-2**63-1", "[1, 2**64]", "[[1.5, 2], [3]]", "[[]]",
]


@pytest.mark.parametrize("data", TENSOR_DATA)
def test_tensor_from_odd_data_as_pytorch(data: str) -> None:
    outcomes = []
    for lib in (torch, engine):
        try:
            outcomes.append(repr(lib.tensor(eval(data))))  # noqa: S307 - the test's own literals
        except (TypeError, ValueError, RuntimeError) as exc:
            outcomes.append(f"raised: {exc}")
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("call", [
    "T.tensor(float('nan'), dtype=T.int64)", "T.tensor([1.5, float('inf')], dtype=T.int32)",
    "T.tensor([3.7, -2.5], dtype=T.int64)", "T.tensor(1e19, dtype=T.int64)", "T.tensor(3e9, dtype=T.int32)",
])
def test_floats_into_an_integer_dtype_as_pytorch(call: str) -> None:
    outcomes = []
    for lib in (torch, engine):
        try:
            outcomes.append(repr(eval(call, {"T": lib})))  # noqa: S307
        except RuntimeError as exc:
            outcomes.append(f"raised: {exc}")
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("call", [
    "lib.tensor([1., 2**64])", "lib.tensor([2**64], dtype=lib.float32)", "lib.tensor(2**64, dtype=lib.float64)",
    "lib.tensor([2**63], dtype=lib.float64)", "lib.as_tensor([1., 2**64])", "lib.tensor([[1., 2.], [2**70, 3]])",
    "lib.tensor([2**64, 1])", "lib.tensor([2**70], dtype=lib.int64)", "lib.tensor([1., 'a'])",
])
def test_python_ints_past_int64_in_float_data(call: str) -> None:
    """PyTorch reads them as floats where the tensor is floating (a float among the data, or a float dtype), and
    refuses them where it is an integer tensor."""
    seen = []
    for lib in (torch, engine):
        try:
            r = eval(call, {"lib": lib})  # noqa: S307
            seen.append((r.tolist(), str(r.dtype).split(".")[1]))
        except (ValueError, TypeError, RuntimeError) as exc:
            seen.append(("raised", str(exc)))
    assert seen[1] == seen[0]
