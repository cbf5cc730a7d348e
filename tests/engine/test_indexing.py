"""Indexing (``x[key]``, the ``index`` op) against PyTorch: values, grad_fn, derivatives, errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine.ops.registry import REGISTRY

from .oracle import FLOATS, T, _build, assert_close, to_np

# -- helpers shared with test_shape -----------------------------------------------------------


def _grad_fn(t: Any) -> str | None:
    return t.grad_fn.name() if t.grad_fn is not None else None


def _zero_or_none(a: Any) -> bool:
    return a is None or not np.any(to_np(a))


def compare(fn: Callable[..., Any], *specs: Any, grad_fn: bool = True, order: int = 2, salt: int = 0) -> None:
    """``fn(lib, *inputs)`` in the engine and in PyTorch: value, dtype, grad_fn name, requires_grad,
    first derivatives, and second derivatives (through the inputs and through the incoming
    gradient, so that a linear op's backward is differentiated too)."""
    built = [_build(s, salt * 101 + i) for i, s in enumerate(specs)]
    e_in = [b[0] for b in built]
    t_in = [b[1] for b in built]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_out = fn(engine, *e_in)
        t_out = fn(torch, *t_in)
    assert_close(e_out, t_out, "forward")
    assert e_out.requires_grad == t_out.requires_grad, "requires_grad"
    assert e_out.is_leaf == t_out.is_leaf, "is_leaf"
    if grad_fn:
        assert _grad_fn(e_out) == _grad_fn(t_out), f"grad_fn {_grad_fn(e_out)} vs {_grad_fn(t_out)}"
    if order < 1 or not t_out.requires_grad:
        return
    e_leaves = [x for x in e_in if isinstance(x, engine.Tensor) and x.requires_grad]
    t_leaves = [x for x in t_in if isinstance(x, torch.Tensor) and x.requires_grad]
    rng = np.random.default_rng(11 + salt)
    v = rng.standard_normal(tuple(t_out.shape)).astype(to_np(t_out).dtype)
    ev = engine.tensor(v, requires_grad=True)
    tv = torch.tensor(v, requires_grad=True)
    e_g = engine.autograd.grad(e_out, e_leaves, ev, create_graph=order > 1, allow_unused=True)
    t_g = torch.autograd.grad(t_out, t_leaves, tv, create_graph=order > 1, allow_unused=True)
    for i, (eg, tg) in enumerate(zip(e_g, t_g, strict=True)):
        assert_close(eg, tg, f"grad of input {i}")
    if order < 2:
        return
    pairs = [(eg, tg) for eg, tg in zip(e_g, t_g, strict=True) if tg is not None]
    ws = [rng.standard_normal(tuple(tg.shape)).astype(to_np(tg).dtype) for _, tg in pairs]
    e_s = engine.zeros((), dtype=ev.dtype)
    t_s = torch.zeros((), dtype=tv.dtype)
    for (eg, tg), w in zip(pairs, ws, strict=True):
        e_s = e_s + (eg * engine.tensor(w)).sum()
        t_s = t_s + (tg * torch.tensor(w)).sum()
    if not t_s.requires_grad:  # nothing to differentiate (empty results)
        return
    e_gg = engine.autograd.grad(e_s, [*e_leaves, ev], allow_unused=True) if e_s.requires_grad else None
    t_gg = torch.autograd.grad(t_s, [*t_leaves, tv], allow_unused=True)
    e_gg = e_gg or [None] * len(t_gg)
    for i, (eg, tg) in enumerate(zip(e_gg, t_gg, strict=True)):
        if eg is None or tg is None:
            assert _zero_or_none(eg) and _zero_or_none(tg), f"second derivative {i}: {eg} vs {tg}"
            continue
        assert_close(eg, tg, f"second derivative of input {i}")


def check_error(fn: Callable[..., Any], *specs: Any) -> None:
    """Both libraries refuse ``fn(lib, *inputs)`` with the same words and a compatible exception type."""
    built = [_build(s, i) for i, s in enumerate(specs)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t_err:
            fn(torch, *[b[1] for b in built])
        with pytest.raises(Exception) as e_err:
            fn(engine, *[b[0] for b in built])
    t_exc, e_exc = t_err.value, e_err.value
    assert str(e_exc) == str(t_exc), f"engine: {e_exc!r}\ntorch:  {t_exc!r}"
    assert isinstance(e_exc, type(t_exc)), f"engine raised {type(e_exc).__name__}, torch {type(t_exc).__name__}"


def idx(shape: tuple[int, ...], high: int, seed: int = 0) -> T:
    """An int64 index tensor spec with values in [0, high)."""
    return T(shape, "int64", f"index:{high}", seed=seed)


def mask(shape: tuple[int, ...], seed: int = 0) -> T:
    """A boolean mask spec."""
    return T(shape, "bool", "bool", seed=seed)


# -- basic indexing -----------------------------------------------------------------------------

BASIC_KEYS: list[Any] = [
    0, -1, 1, slice(None), slice(1, None), slice(None, None, 2), slice(-2, None), slice(0, 100), slice(5, 10),
    None, Ellipsis, (), (0,), (0, 1), (-1, -2), (0, slice(None)), (slice(None), 0), (slice(None), slice(None)),
    (slice(None), slice(0, 3)), (slice(None), slice(1, 1)), (0, slice(None), None), (Ellipsis, 1), (None, 1),
    (Ellipsis, None), (None, Ellipsis, None), (0, 0, None, None), (Ellipsis, 0, Ellipsis), (1, Ellipsis),
    (slice(None, None, 2), slice(1, None, 2)), (slice(-100, 1), None, slice(None)), (None, slice(None), 2),
    True, False, (True, 0), (0, False), (slice(None), True),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic(key: Any, dtype: str) -> None:
    compare(lambda lib, x: x[key], T((2, 3, 4), dtype))


@pytest.mark.parametrize(
    "key", [Ellipsis, None, (None, None), (Ellipsis, None), (), True, False, (None, True)], ids=repr
)
def test_zero_dim(key: Any) -> None:
    compare(lambda lib, x: x[key], T((), "float64"))


@pytest.mark.parametrize(
    "key", [0, slice(None), slice(0, 0), (slice(None), 0), (Ellipsis, 1, slice(None)), [0, 0], (slice(None), [1])],
    ids=repr,
)
def test_empty_dims(key: Any) -> None:
    compare(lambda lib, x: x[key], T((3, 2, 0), "float64"))


def test_size_one_and_empty_results() -> None:
    compare(lambda lib, x: x[0], T((1,), "float64"))
    compare(lambda lib, x: x[:, 0:0], T((2, 3), "float64"))
    compare(lambda lib, x: x[:, [0]], T((0, 3), "float64"))
    compare(lambda lib, x: x[[True]], T((1,), "float64"))


def test_numpy_and_tensor_scalars() -> None:
    compare(lambda lib, x: x[np.int64(1)], T((3, 2), "float64"))
    compare(lambda lib, x: x[np.int32(-1), np.int8(0)], T((3, 2), "float64"))
    compare(lambda lib, x: x[lib.tensor(1)], T((3, 2), "float64"))
    compare(lambda lib, x: x[lib.tensor(-1, dtype=lib.int32), 1], T((3, 2), "float64"))
    compare(lambda lib, x: x[lib.tensor(True)], T((3, 2), "float64"))
    compare(lambda lib, x: x[0, lib.tensor(False)], T((3, 2), "float64"))


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")
def test_byte_mask() -> None:
    compare(lambda lib, x: x[np.array([1, 0], dtype=np.uint8)], T((2, 2), "float64"))


# -- advanced indexing --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "key_fn",
    [
        lambda i, j: i,
        lambda i, j: (slice(None), i),
        lambda i, j: (Ellipsis, i),
        lambda i, j: (i, j),
        lambda i, j: (i, slice(None), j),  # not adjacent: the indexed dims go first
        lambda i, j: (slice(None), i, j),
        lambda i, j: (0, slice(None), i),  # PyTorch selects first, so i stays in place
        lambda i, j: (i, 1),
        lambda i, j: (None, i),
        lambda i, j: (i, None, j),
        lambda i, j: (slice(1, None), i, None),
        lambda i, j: (i, Ellipsis, None),
    ],
)
def test_index_tensors(key_fn: Callable[..., Any], dtype: str) -> None:
    compare(lambda lib, x, i, j: x[key_fn(i, j)], T((2, 3, 4), dtype), idx((5,), 2, 1), idx((5,), 3, 2))


@pytest.mark.parametrize(
    "key",
    [[0, 1], [1, 1, 1, 0], [-1, -2], [[0, 1], [1, 0]], [], (slice(None), [2, 0, 2]), ([0, 1], [2, 0]),
     ([[0], [1]], [0, 2]), [0.5, 1.9], [True, False], (0, [True, False, True]), range(2), np.array([1, 0]),
     ([0, 1], slice(None), [3, 3]), [[0, 1], [1, 2]], [0, slice(None)], [0, None]],
    ids=repr,
)
def test_lists(key: Any) -> None:
    compare(lambda lib, x: x[key], T((2, 3, 4), "float64"))


def test_repeated_indices_accumulate() -> None:
    compare(lambda lib, x, i: x[i], T((3, 2), "float64"), idx((9,), 3, 5))
    compare(lambda lib, x: x[[0, 0, 0, 2]], T((3,), "float64"))
    compare(lambda lib, x: x[[[1, 1], [1, 0]], [0, 0]], T((2, 3), "float64"))
    e = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    e[[0, 0, 2, 0]].sum().backward()
    assert e.grad.tolist() == [3.0, 0.0, 1.0]


@pytest.mark.parametrize("dtype", FLOATS)
def test_int32_index(dtype: str) -> None:
    compare(lambda lib, x, i: x[i.to(lib.int32)], T((4, 2), dtype), idx((2, 3), 4))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "key_fn",
    [
        lambda x, m2, m3: x > 0,
        lambda x, m2, m3: m2,
        lambda x, m2, m3: (m2, slice(None), slice(None)),
        lambda x, m2, m3: (slice(None), m3),
        lambda x, m2, m3: (m2, 0),
        lambda x, m2, m3: (0, m3, None),
    ],
)
def test_masks(key_fn: Callable[..., Any], dtype: str) -> None:
    compare(lambda lib, x, m2, m3: x[key_fn(x, m2, m3)], T((2, 3, 2), dtype), mask((2,), 3), mask((3,), 4))


def test_mask_with_index() -> None:
    compare(lambda lib, x: x[lib.tensor([False, True]), :, [0, 1]], T((2, 3, 2), "float64"))
    compare(lambda lib, x: x[[[1], [0]], lib.tensor([True, False, True])], T((2, 3, 2), "float64"))


def test_mask_all_false_and_full() -> None:
    compare(lambda lib, x: x[x > 100], T((2, 3), "float64"))
    compare(lambda lib, x: x[x == x], T((2, 3), "float64"))
    compare(lambda lib, x: x[lib.ones(2, 3, dtype=lib.bool)], T((2, 3), "float64"))


def test_second_derivatives_nonlinear() -> None:
    compare(lambda lib, x, i: x[i] ** 3, T((4, 3), "float64"), idx((6,), 4))
    compare(lambda lib, x: x[x > 0] ** 2, T((3, 3), "float64"))
    compare(lambda lib, x: x[1:, None, 0] * x[0:2, None, 1], T((3, 2), "float64"))
    compare(lambda lib, x: (x[..., 1] ** 2)[[0, 0]], T((2, 3), "float32"))


def test_int_and_bool_inputs() -> None:
    compare(lambda lib, x: x[1:, [0, 0]], T((3, 2), "int64", "int"))
    compare(lambda lib, x: x[0], T((3, 2), "bool", "bool"))
    compare(lambda lib, x: x[x], T((4,), "bool", "bool"))


def test_grad_fn_and_no_grad() -> None:
    x = engine.ones(2, 3, requires_grad=True)
    with engine.no_grad():
        assert x[0].grad_fn is None and x[0].requires_grad  # (a view made under no_grad: as its base, as PyTorch's)
    assert x[...].grad_fn.name() == "AliasBackward0"
    assert x[...] is not x
    assert [r.tolist() for r in engine.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_noncontiguous_input() -> None:
    compare(lambda lib, x: x[:, ::2][[1, 0], 1:], T((3, 4), "float64"))
    compare(lambda lib, x: x.expand(2, 3, 3)[:, 0, [0, 2]], T((3, 1), "float64"))


# -- errors -------------------------------------------------------------------------------------

ERROR_KEYS: list[Any] = [
    5, -3, (0, 5), (slice(None), 5), (None, 5), (None, 0, 7), (0, 0, 0), (slice(None),) * 3,
    slice(None, None, -1), slice(None, None, 0), (0, slice(None, None, -2)), 1.5, (0, 1.5), "a", object(),
    [0, 5], [0, -3], ([0, 1], [0, 1, 2]), ([0, 1], [0, 1], [0]), [True, False, True], (slice(None), [True, True]),
    (0, [0, 3]), ([[1, 7], [5, 0]],), (Ellipsis, Ellipsis, 0), np.True_, (0, np.float64(1.0)),
]
ERROR_KEYS_3D: list[Any] = [
    (slice(None), slice(None), [0, 4]), ([0, 1], slice(None), [0, 9]), (slice(None), [[0], [9]], [0, 1]),
    (slice(None), [[True, False, True, True]]), (Ellipsis, 5), (None, Ellipsis, 5),
]


@pytest.mark.parametrize("key", ERROR_KEYS, ids=lambda k: "object()" if type(k) is object else repr(k))
def test_errors(key: Any) -> None:
    check_error(lambda lib, x: x[key], T((2, 3), "float64"))


@pytest.mark.parametrize("key", ERROR_KEYS_3D, ids=repr)
def test_errors_3d(key: Any) -> None:
    check_error(lambda lib, x: x[key], T((2, 3, 4), "float64"))


def test_errors_tensors() -> None:
    x = T((2, 3), "float64")
    check_error(lambda lib, x: x[lib.tensor([0.0, 1.0])], x)
    check_error(lambda lib, x: x[lib.tensor(1.0), 0], x)
    check_error(lambda lib, x: x[lib.tensor([0, 1]), lib.tensor([1, 2, 0])], x)
    check_error(lambda lib, x: x[lib.ones(2, 2, dtype=lib.bool)], x)
    check_error(lambda lib, x: x[lib.tensor(5)], x)
    check_error(lambda lib, x: x[lib.tensor([-3])], x)
    check_error(lambda lib, x: x[[5]], T((0, 3), "float64"))
    s = T((), "float64")
    for key in (0, 1, -1, slice(None), (0,), [0], (None, 0)):
        check_error(lambda lib, x, key=key: x[key], s)
    check_error(lambda lib, x: x[lib.tensor(0)], s)


# -- the shape rule (what the service plans with) ----------------------------------------------


SHAPE_KEYS = [[0, 1], ([0, 1], slice(None), [3, 3]), (slice(None), [[0], [2]], [0, 3]), (0, [True, False, True])]


@pytest.mark.parametrize("key", BASIC_KEYS + SHAPE_KEYS, ids=repr)
def test_shape_rule(key: Any) -> None:
    x = engine.zeros(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert REGISTRY["index"].shape(tuple(x.shape), key) == tuple(x[key].shape)


def test_shape_rule_masks() -> None:
    x = engine.tensor(np.arange(6.0).reshape(2, 3))
    mask = x > 2
    rule = REGISTRY["index"].shape
    assert rule((2, 3), mask) == (3,)  # with data, counted
    assert rule((2, 3), (engine.tensor([True, False]), slice(None))) == (1, 3)
    from engine.autograd.node import TensorMeta

    meta = TensorMeta.of((2, 3), engine.bool)
    assert rule((2, 3), meta) == (6,)  # known by shape only: an upper bound
    assert rule((2, 3), (TensorMeta.of((4, 1), engine.int64), 0)) == (4, 1)
    with pytest.raises(IndexError, match="does not match the shape"):
        rule((2, 3), TensorMeta.of((3,), engine.bool))
