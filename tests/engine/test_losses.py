"""Losses and linear against PyTorch: mse_loss, l1_loss, binary_cross_entropy, nll_loss,
cross_entropy, linear.

Values, dtypes, grad_fn names (PyTorch's composites end in different nodes), first and
second derivatives (``check``) over shapes, dtypes, reductions, weights, ignore_index and
label smoothing; warnings and error words compared with PyTorch's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import engine
import engine.nn.functional as EF

from .oracle import FLOATS, T, assert_same_kind, check

pytestmark = pytest.mark.filterwarnings("ignore:Using a target size")

REDUCTIONS = ["mean", "sum", "none"]


@dataclass(frozen=True)
class V(T):
    """A tensor spec with fixed values (boundaries, ignored targets)."""

    values: tuple[float, ...] = ()

    def array(self, salt: int) -> np.ndarray:
        return np.asarray(self.values, dtype=self.dtype).reshape(self.shape)


def same_error(engine_call: Any, torch_call: Any, kind: type = Exception) -> None:
    """Both calls raise, with the same message; the engine's error is a ``kind``."""
    with pytest.raises(Exception) as t_exc:  # noqa: B017 - compared below
        torch_call()
    with pytest.raises(kind) as e_exc:
        engine_call()
    assert str(e_exc.value) == str(t_exc.value)
    assert_same_kind(e_exc.value, t_exc.value)


def both(fn: str, *arrays: Any, **kwargs: Any) -> tuple[Any, Any]:
    """Lambdas calling F.<fn> on the same data in the engine and in PyTorch (for same_error)."""

    def conv(lib: Any, a: Any) -> Any:
        if isinstance(a, (np.ndarray, np.generic)):
            return lib.tensor(np.asarray(a))
        if isinstance(a, tuple) and a and a[0] == "rg":
            return lib.tensor(a[1], requires_grad=True)
        return a

    e = lambda: getattr(EF, fn)(*(conv(engine, a) for a in arrays), **{k: conv(engine, v) for k, v in kwargs.items()})
    t = lambda: getattr(TF, fn)(*(conv(torch, a) for a in arrays), **{k: conv(torch, v) for k, v in kwargs.items()})
    return e, t


def rnd(*shape: int, dtype: Any = np.float32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.1, 0.9, shape).astype(dtype)


# -- mse_loss / l1_loss ----------------------------------------------------------------------

POINTWISE_SHAPES = [((), ()), ((5,), (5,)), ((2, 3), (2, 3)), ((2, 1, 3), (2, 1, 3)), ((0,), (0,)),
                    ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), ())]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", POINTWISE_SHAPES)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_pointwise(name: str, shapes: tuple, reduction: str, dtype: str) -> None:
    check(name, T(shapes[0], dtype), T(shapes[1], dtype), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((3,), (2, 3)), ((), ()), ((0, 2), (0, 2))])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_pointwise_weighted(name: str, shapes: tuple, reduction: str) -> None:
    for dtype in FLOATS:
        w = T(shapes[0], dtype, "positive")
        check(name, T(shapes[0], dtype), T(shapes[1], dtype), weight=w, reduction=reduction)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_pointwise_dtypes(name: str) -> None:
    check(name, T((2, 3), "float32"), T((2, 3), "float64"))
    check(name, T((2, 3), "float64"), T((2, 3), "int64", "int"))
    check(name, T((2, 3), "float32"), T((2, 3), "float32"), weight=T((2, 3), "float64", "positive"))
    check(name, T((2, 3), "float32"), T((2, 3), "float32"), weight=T((2, 3), "int64", "index:3"))
    # PyTorch broadcasts input and target first: a 0-d operand then promotes as a dimensioned one
    check(name, T((2, 3), "float32"), T((), "float64"))
    check(name, T((), "float64"), T((3,), "float32"))
    check(name, T((), "float32"), T((), "float64"))
    check(name, T((3,), "float32"), T((), "int64", "int"))


def test_l1_integer() -> None:
    check("l1_loss", T((2, 3), "int64", "int"), T((2, 3), "int64", "int"), reduction="sum")
    check("l1_loss", T((2, 3), "int64", "int"), T((2, 3), "int64", "int"), reduction="none")


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_pointwise_kink(name: str) -> None:
    # equal input and target: l1's derivative is sign(0) = 0
    vals = (0.5, -1.0, 2.0, 0.0)
    check(name, V((4,), "float64", values=vals), V((4,), "float64", values=vals, grad=False), reduction="sum")


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy", "nll_loss", "cross_entropy"])
def test_legacy_reduction_args(name: str) -> None:
    x = rnd(3, 4)
    t = np.array([0, 3, 1]) if name in ("nll_loss", "cross_entropy") else rnd(3, 4, seed=1)
    for size_average, reduce in ((False, None), (None, False), (True, True), (False, True)):
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            tout = getattr(TF, name)(torch.tensor(x), torch.tensor(t), size_average=size_average, reduce=reduce)
        with warnings.catch_warnings(record=True) as ew:
            warnings.simplefilter("always")
            eout = getattr(EF, name)(engine.tensor(x), engine.tensor(t), size_average=size_average, reduce=reduce)
        assert [str(w.message) for w in ew][:1] == [str(w.message) for w in tw][:1]
        np.testing.assert_allclose(eout.numpy(), tout.numpy(), rtol=1e-6)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        tout = getattr(TF, name)(torch.tensor(x), torch.tensor(t), reduction="elementwise_mean")
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        eout = getattr(EF, name)(engine.tensor(x), engine.tensor(t), reduction="elementwise_mean")
    assert [str(w.message) for w in ew][:1] == [str(w.message) for w in tw][:1]
    np.testing.assert_allclose(eout.numpy(), tout.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_pointwise_broadcast_warning(name: str) -> None:
    x, t = rnd(3, 4), rnd(4)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        getattr(TF, name)(torch.tensor(x), torch.tensor(t))
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        getattr(EF, name)(engine.tensor(x), engine.tensor(t))
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_pointwise_errors(name: str) -> None:
    x, t = rnd(3, 4), rnd(3, 4, seed=1)
    same_error(*both(name, x, t, reduction="foo"), ValueError)
    same_error(*both(name, x, t, weight=rnd(4), reduction="mean"), ValueError)
    same_error(*both(name, x, t, weight=rnd(3, 4), reduction="foo"), ValueError)
    same_error(*both(name, x, t, weight=rnd(3, 4), reduction="elementwise_mean"), ValueError)
    same_error(*both(name, x, rnd(3, 2)), RuntimeError)
    xi = np.ones((3, 4), dtype=np.int64)
    if name == "mse_loss":
        same_error(*both(name, xi, xi), RuntimeError)
    else:
        same_error(*both(name, xi, xi), RuntimeError)


# -- binary_cross_entropy -----------------------------------------------------------------------

BCE_SHAPES = [(), (5,), (2, 3), (2, 1, 3), (0,), (2, 0)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", BCE_SHAPES)
def test_bce(shape: tuple, reduction: str, dtype: str) -> None:
    check("binary_cross_entropy", T(shape, dtype, "prob"), T(shape, dtype, "prob"), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("shape", "wshape"), [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 3), ()),
                                                ((4,), (4,)), ((), ())])
def test_bce_weight(shape: tuple, wshape: tuple, reduction: str) -> None:
    for dtype in FLOATS:
        check("binary_cross_entropy", T(shape, dtype, "prob"), T(shape, dtype, "prob"),
              weight=T(wshape, dtype, "positive", grad=False), reduction=reduction)
    # a weight of another floating dtype is used in the input's
    check("binary_cross_entropy", T(shape, "float32", "prob"), T(shape, "float32", "prob"),
          weight=T(wshape, "float64", "positive", grad=False), reduction=reduction)


@pytest.mark.parametrize("dtype", FLOATS)
def test_bce_boundaries(dtype: str) -> None:
    # log clamped to >= -100; the input's gradient divides by max(x (1 - x), 1e-12)
    x = (0.0, 1.0, 0.0, 1.0, 1e-7, 0.5, 0.999)
    t = (0.0, 1.0, 1.0, 0.0, 0.3, 0.2, 1.0)
    for reduction in REDUCTIONS:
        check("binary_cross_entropy", V((7,), dtype, values=x), V((7,), dtype, values=t, grad=False),
              reduction=reduction, order=1)
    check("binary_cross_entropy", V((7,), dtype, values=x), V((7,), dtype, values=t), reduction="sum", order=1)


def test_bce_input_without_grad() -> None:
    check("binary_cross_entropy", T((2, 3), "float64", "prob", grad=False), T((2, 3), "float64", "prob"))


def test_bce_errors() -> None:
    x, t = rnd(3, 4), rnd(3, 4, seed=1)
    same_error(*both("binary_cross_entropy", x, t[0]), ValueError)
    same_error(*both("binary_cross_entropy", x, t, reduction="foo"), ValueError)
    same_error(*both("binary_cross_entropy", x * 2, t), RuntimeError)
    same_error(*both("binary_cross_entropy", x - 2, t), RuntimeError)
    same_error(*both("binary_cross_entropy", np.array([np.nan], np.float32), t[0, :1]), RuntimeError)
    same_error(*both("binary_cross_entropy", x, t + 2), RuntimeError)
    same_error(*both("binary_cross_entropy", x, t.astype(np.float64)), RuntimeError)
    same_error(*both("binary_cross_entropy", x, t.astype(np.int64)), RuntimeError)
    same_error(*both("binary_cross_entropy", x.astype(np.int64), t.astype(np.int64)), RuntimeError)
    same_error(*both("binary_cross_entropy", x, t, weight=rnd(3)), RuntimeError)
    same_error(*both("binary_cross_entropy", x, t, weight=rnd(2, 1)), RuntimeError)
    same_error(*both("binary_cross_entropy", x, t, weight=rnd(2, 3, 4)), RuntimeError)
    same_error(*both("binary_cross_entropy", x, t, weight=("rg", rnd(4))), RuntimeError)
    with engine.no_grad():  # outside grad mode a weight that requires grad is only data
        EF.binary_cross_entropy(engine.tensor(x), engine.tensor(t), weight=engine.tensor(rnd(4), requires_grad=True))


# -- nll_loss / cross_entropy with class indices --------------------------------------------------

# (input shape, target shape): no batch, batch, K-dimensional (3-d, 4-d use nll_loss2d, 5-d), empty
INDEX_SHAPES = [((4,), ()), ((4,), (1,)), ((3, 4), (3,)), ((1, 1), (1,)), ((2, 4, 3), (2, 3)),
                ((2, 3, 2, 2), (2, 2, 2)), ((2, 3, 1, 2, 2), (2, 1, 2, 2)), ((0, 4), (0,)), ((2, 4, 0), (2, 0))]


def _index(shape: tuple, n: int, salt: int = 0) -> T:
    return T(shape, "int64", f"index:{n}", seed=salt)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", INDEX_SHAPES)
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_class_indices(name: str, shapes: tuple, reduction: str, dtype: str) -> None:
    s, t = shapes
    c = s[0] if len(s) == 1 else s[1]
    # a (C,) input with a (1,) target: PyTorch's forward takes it, its backward refuses it
    check(name, T(s, dtype), _index(t, c), reduction=reduction, order=0 if t == (1,) else 2)


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_no_batch_input_with_one_element_target(name: str) -> None:
    x = np.random.default_rng(0).standard_normal(4)
    t = np.array([2])
    for reduction in REDUCTIONS:
        et = engine.tensor(x, requires_grad=True)
        tt = torch.tensor(x, requires_grad=True)
        e = getattr(EF, name)(et, engine.tensor(t), reduction=reduction)
        r = getattr(TF, name)(tt, torch.tensor(t), reduction=reduction)
        same_error(lambda e=e: e.backward(), lambda r=r: r.backward(), RuntimeError)
    same_error(*both("cross_entropy", x, t, label_smoothing=0.1), RuntimeError)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [INDEX_SHAPES[0], *INDEX_SHAPES[2:7]])
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_class_indices_weight_ignore(name: str, shapes: tuple, reduction: str) -> None:
    s, t = shapes
    c = s[0] if len(s) == 1 else s[1]
    w = T((c,), "float64", "positive", grad=False)
    check(name, T(s, "float64"), _index(t, c), weight=w, reduction=reduction)
    check(name, T(s, "float64"), _index(t, c, 1), weight=w, ignore_index=0, reduction=reduction)
    check(name, T(s, "float32"), _index(t, c, 2), weight=T((c,), "float32", "positive", grad=False),
          ignore_index=c - 1, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_ignored_targets(name: str, reduction: str) -> None:
    # -100 (the default ignore_index) is out of range but ignored; all ignored: mean is nan
    check(name, T((4, 3), "float64"), V((4,), "int64", values=(2, -100, 0, -100)), reduction=reduction)
    check(name, T((4, 3), "float64"), V((4,), "int64", values=(2, 7, 0, 7)), ignore_index=7, reduction=reduction)
    check(name, T((3, 3), "float64"), V((3,), "int64", values=(-100, -100, -100)), reduction=reduction)
    check(name, T((3, 3), "float64"), V((3,), "int64", values=(1, 1, 1)), ignore_index=1,
          weight=T((3,), "float64", "positive", grad=False), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.1, 0.5, 1.0, -0.2])
@pytest.mark.parametrize("shapes", [INDEX_SHAPES[0], INDEX_SHAPES[2], INDEX_SHAPES[4], INDEX_SHAPES[5]])
def test_cross_entropy_label_smoothing(shapes: tuple, smoothing: float, reduction: str) -> None:
    s, t = shapes
    c = s[0] if len(s) == 1 else s[1]
    check("cross_entropy", T(s, "float64"), _index(t, c), label_smoothing=smoothing, reduction=reduction)
    check("cross_entropy", T(s, "float32"), _index(t, c, 1), label_smoothing=smoothing, reduction=reduction,
          weight=T((c,), "float32", "positive", grad=False), ignore_index=0)


def test_cross_entropy_label_smoothing_ignored() -> None:
    for reduction in REDUCTIONS:
        check("cross_entropy", T((4, 3), "float64"), V((4,), "int64", values=(2, -100, 0, 1)),
              label_smoothing=0.3, reduction=reduction)
        check("cross_entropy", T((3, 3), "float64"), V((3,), "int64", values=(-100, -100, -100)),
              label_smoothing=0.3, reduction=reduction, weight=T((3,), "float64", "positive", grad=False))


def test_cross_entropy_extreme_logits() -> None:
    x = (1000.0, 0.0, -1000.0, 0.0, 5.0, 5.0)
    check("cross_entropy", V((2, 3), "float64", values=x), V((2,), "int64", values=(2, 0)))
    check("cross_entropy", V((2, 3), "float32", values=x), V((2,), "int64", values=(0, 1)), label_smoothing=0.1)


# -- cross_entropy with class probabilities ---------------------------------------------------------

PROB_SHAPES = [(4,), (3, 4), (1, 1), (2, 4, 3), (2, 3, 2, 2), (0, 4), (2, 4, 0)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", PROB_SHAPES)
def test_cross_entropy_probabilities(shape: tuple, reduction: str, dtype: str) -> None:
    check("cross_entropy", T(shape, dtype), T(shape, dtype, "prob"), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 4, 3)])
def test_cross_entropy_probabilities_weight_smoothing(shape: tuple, reduction: str) -> None:
    c = shape[0] if len(shape) == 1 else shape[1]
    # the weight is differentiable here (PyTorch's composite), and so is the target
    check("cross_entropy", T(shape, "float64"), T(shape, "float64", "prob"),
          weight=T((c,), "float64", "positive"), reduction=reduction)
    check("cross_entropy", T(shape, "float64"), T(shape, "float64", "prob"), label_smoothing=0.25,
          reduction=reduction)
    check("cross_entropy", T(shape, "float32"), T(shape, "float32", "prob"), label_smoothing=0.25,
          weight=T((c,), "float32", "positive"), reduction=reduction)


def test_cross_entropy_probabilities_dtypes() -> None:
    check("cross_entropy", T((3, 4), "float32"), T((3, 4), "float64", "prob"))
    check("cross_entropy", T((3, 4), "float32"), T((3, 4), "float32", "prob"), weight=T((4,), "float64", "positive"))


def test_nll_loss_of_log_softmax_is_cross_entropy() -> None:
    x = np.random.default_rng(0).standard_normal((5, 4))
    t = np.array([0, 3, 1, 2, 3])
    a = EF.nll_loss(EF.log_softmax(engine.tensor(x), 1), engine.tensor(t))
    b = EF.cross_entropy(engine.tensor(x), engine.tensor(t))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_nll_loss_errors() -> None:
    x = rnd(3, 4)
    t = np.array([0, 3, 1])
    same_error(*both("nll_loss", x, t.astype(np.float32)), RuntimeError)
    same_error(*both("nll_loss", x, t.astype(np.int32)), RuntimeError)
    same_error(*both("nll_loss", x, np.array([True, False, True])), RuntimeError)
    same_error(*both("nll_loss", x, np.array([0, 4, 1])), IndexError)
    same_error(*both("nll_loss", x, np.array([0, -1, 1])), IndexError)
    same_error(*both("nll_loss", x, np.array([0, -1, 1]), reduction="sum"), IndexError)
    same_error(*both("nll_loss", x, np.array([0, 1])), ValueError)
    same_error(*both("nll_loss", x, np.array(1)), ValueError)
    same_error(*both("nll_loss", x[0, 0], np.array(0)), ValueError)
    same_error(*both("nll_loss", x[0], np.array([1, 2])), ValueError)
    same_error(*both("nll_loss", x[0], np.array([[1]])), RuntimeError)
    same_error(*both("nll_loss", x, np.array([[0], [1], [2]])), RuntimeError)
    same_error(*both("nll_loss", x, t, weight=rnd(3)), RuntimeError)
    same_error(*both("nll_loss", x, t, weight=rnd(2, 2)), RuntimeError)
    same_error(*both("nll_loss", x, t, weight=rnd(4).astype(np.float64)), RuntimeError)
    same_error(*both("nll_loss", x, t, reduction="foo"), ValueError)
    same_error(*both("nll_loss", x.astype(np.int64), t), RuntimeError)
    same_error(*both("nll_loss", x, t, weight=("rg", rnd(4))), RuntimeError)
    x3, t3 = rnd(2, 4, 5), np.random.default_rng(0).integers(0, 4, (2, 5))
    same_error(*both("nll_loss", x3, t3[:, :4]), RuntimeError)
    same_error(*both("nll_loss", x3, t3[:1]), ValueError)
    same_error(*both("nll_loss", x3, t3 + 4), IndexError)
    same_error(*both("nll_loss", x3, t3, weight=rnd(3)), RuntimeError)
    same_error(*both("nll_loss", x3.astype(np.int64), t3), RuntimeError)
    same_error(*both("nll_loss", x3, t3, weight=("rg", rnd(4))), RuntimeError)
    x4, t4 = rnd(2, 4, 3, 2), np.random.default_rng(0).integers(0, 4, (2, 3, 2))
    same_error(*both("nll_loss", x4, t4[:, :2]), RuntimeError)
    same_error(*both("nll_loss", x4, t4[:, 0]), RuntimeError)
    same_error(*both("nll_loss", x4, t4 + 4), IndexError)
    same_error(*both("nll_loss", rnd(2, 0), np.zeros(2, np.int64)), IndexError)


def test_nll_loss_weight_any_shape_with_c_elements_in_2d() -> None:
    # nll_loss2d only checks the weight's element count
    x4, t4 = rnd(2, 4, 3, 2), np.random.default_rng(0).integers(0, 4, (2, 3, 2))
    w = rnd(2, 2, seed=3)
    e = EF.nll_loss(engine.tensor(x4), engine.tensor(t4), weight=engine.tensor(w))
    t = TF.nll_loss(torch.tensor(x4), torch.tensor(t4), weight=torch.tensor(w))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_cross_entropy_errors() -> None:
    x = rnd(3, 4)
    t = np.array([0, 3, 1])
    same_error(*both("cross_entropy", x, t.astype(np.float32)), RuntimeError)
    same_error(*both("cross_entropy", x, np.zeros((3, 4), np.int64)), RuntimeError)
    same_error(*both("cross_entropy", x, rnd(3, 4), ignore_index=1), RuntimeError)
    same_error(*both("cross_entropy", x, rnd(3, 4), weight=rnd(3)), RuntimeError)
    same_error(*both("cross_entropy", x, t, label_smoothing=1.5), RuntimeError)
    same_error(*both("cross_entropy", x, rnd(3, 4), label_smoothing=1.5), RuntimeError)
    same_error(*both("cross_entropy", x, np.array([1, 9, 2]), label_smoothing=0.1), IndexError)
    same_error(*both("cross_entropy", x, np.array([1, 9, 2])), IndexError)
    same_error(*both("cross_entropy", x[0, 0], np.array(0)), RuntimeError)
    same_error(*both("cross_entropy", x[0, 0], np.array(0.5, np.float32)), IndexError)
    same_error(*both("cross_entropy", x[0, 0], np.array([0])), IndexError)
    same_error(*both("cross_entropy", x.astype(np.int64), t), RuntimeError)
    same_error(*both("cross_entropy", rnd(2, 3, 2).astype(np.int64), np.zeros((2, 2), np.int64)), RuntimeError)
    same_error(*both("cross_entropy", x, t, reduction="foo"), ValueError)
    same_error(*both("cross_entropy", x, np.array(1)), ValueError)
    same_error(*both("cross_entropy", x[0], np.array([1, 2])), ValueError)
    same_error(*both("cross_entropy", x, t, weight=rnd(4).astype(np.float64)), RuntimeError)
    same_error(*both("cross_entropy", x, t, weight=("rg", rnd(4))), RuntimeError)
    same_error(*both("cross_entropy", x, t, weight=("rg", rnd(4)), label_smoothing=0.1), RuntimeError)


# -- linear --------------------------------------------------------------------------------------------

LINEAR_CASES = [
    # (input, weight, bias)
    ((4,), (5, 4), None), ((4,), (5, 4), (5,)), ((4,), (5, 4), ()), ((4,), (5, 4), (1,)),
    ((4,), (4,), None), ((4,), (4,), ()),
    ((3, 4), (5, 4), None), ((3, 4), (5, 4), (5,)), ((3, 4), (5, 4), ()), ((3, 4), (5, 4), (3, 5)),
    ((3, 4), (4,), None),
    ((2, 3, 4), (5, 4), None), ((2, 3, 4), (5, 4), (5,)), ((2, 3, 4), (5, 4), ()), ((2, 3, 4), (5, 4), (3, 5)),
    ((2, 3, 4), (4,), None), ((2, 3, 4), (4,), ()),
    ((2, 1, 3, 4), (5, 4), (5,)), ((2, 1, 3, 4), (5, 4), None), ((1, 1), (1, 1), (1,)),
    ((0, 4), (5, 4), (5,)), ((0, 4), (5, 4), None), ((3, 0, 4), (5, 4), (5,)), ((3, 4), (0, 4), (0,)),
    ((3, 0), (5, 0), (5,)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("xs", "ws", "bs"), LINEAR_CASES)
def test_linear(xs: tuple, ws: tuple, bs: tuple | None, dtype: str) -> None:
    if bs is None:
        check("linear", T(xs, dtype), T(ws, dtype))
    else:
        check("linear", T(xs, dtype), T(ws, dtype), T(bs, dtype))


def test_linear_grad_subsets() -> None:
    check("linear", T((3, 4), "float64", grad=False), T((5, 4), "float64"), T((5,), "float64"))
    check("linear", T((2, 3, 4), "float64"), T((5, 4), "float64", grad=False), T((5,), "float64", grad=False))
    check("linear", T((3, 4), "float64"), T((5, 4), "float64"), bias=None)
    check("linear", T((3, 4), "float64"), weight=T((5, 4), "float64"), bias=T((5,), "float64"))


def test_linear_integer() -> None:
    check("linear", T((3, 4), "int64", "int"), T((5, 4), "int64", "int"), T((5,), "int64", "int"))
    check("linear", T((2, 3, 4), "int64", "int"), T((5, 4), "int64", "int"))


def test_linear_errors() -> None:
    def lin(*shapes: Any, dtypes: tuple = ()) -> tuple[Any, Any]:
        arrays = [None if s is None else np.ones(s, dtype=(dtypes[i] if i < len(dtypes) else np.float32))
                  for i, s in enumerate(shapes)]
        return both("linear", *arrays)

    f64, f32, i64 = np.float64, np.float32, np.int64
    for shapes in [((3, 3), (5, 4), (5,)), ((3,), (5, 4), (5,)), ((2, 3, 3), (5, 4), (5,)), ((3, 3), (5, 4)),
                   ((3,), (5, 4)), ((2, 3, 3), (5, 4)), ((3,), (4,)), ((2, 3), (4,)), ((2, 2, 3), (4,)),
                   ((3, 4), (5, 4), (4,)), ((4,), (5, 4), (4,)), ((2, 3, 4), (5, 4), (4,)), ((3, 4), (4,), (1,)),
                   ((4,), (4,), (1,)), ((3, 4), (4,), ()), ((4,), (5, 4), (3, 5)), ((3, 4), (5, 4), (2, 3, 5)),
                   ((2, 3, 4), (5, 4), (3, 3, 5)), ((0, 4), (5, 4), (3, 5)), ((3, 4), (2, 5, 4)), ((3, 4), ()),
                   ((), (5, 4))]:
        same_error(*lin(*shapes), RuntimeError)
    for shapes, dts in [(((3, 4), (5, 4), (5,)), (f64, f32, f32)), (((3, 4), (5, 4)), (f64, f32)),
                        (((4,), (5, 4), (5,)), (f64, f32, f32)), (((3, 4), (5, 4), (5,)), (f32, f32, f64)),
                        (((2, 3, 4), (5, 4), (5,)), (f32, f32, f64)), (((4,), (5, 4)), (f64, f32)),
                        (((2, 3, 4), (5, 4)), (f64, f32)), (((3, 4), (4,)), (f64, f32)), (((4,), (4,)), (f64, f32)),
                        (((3, 4), (5, 4), (5,)), (i64, i64, f32))]:
        same_error(*lin(*shapes, dtypes=dts), RuntimeError)


def test_linear_bias_cast_on_matmul_path() -> None:
    # PyTorch adds a non-1-d bias in place: a wider float bias is cast to the output's dtype
    x, w, b = rnd(2, 3, 4), rnd(5, 4, seed=1), rnd(3, 5, seed=2).astype(np.float64)
    e = EF.linear(engine.tensor(x), engine.tensor(w), engine.tensor(b))
    t = TF.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_namespaces() -> None:
    for name in ("mse_loss", "l1_loss", "binary_cross_entropy", "nll_loss", "cross_entropy", "linear"):
        assert callable(getattr(EF, name)) and name not in engine.__dict__


# -- PyTorch's positions: mse_loss and l1_loss take weight last --------------------------------------

_W = object()  # stands for the weight tensor in a call's arguments


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize(("args", "kwargs"), [
    ((None, None, "sum"), {}), ((None, None, "none"), {}), ((None, None, "sum", _W), {}),
    ((None,), {"reduction": "sum"}), ((), {"reduction": "sum", "weight": _W}),
    ((None, None, "sum"), {"reduction": "mean"}), ((None, None, "sum", _W, 1), {}),
    ((None, None, "mean"), {"weight": _W}),
])
def test_positional_arguments_in_pytorchs_order(name: str, args: tuple, kwargs: dict) -> None:
    """``F.mse_loss(a, b, None, None, 'sum')`` is reduction='sum' (weight comes last), as in PyTorch; errors alike."""
    outcomes = []
    for lib, functional in ((torch, TF), (engine, EF)):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = lib.tensor([[0.0, 2.5], [1.0, 7.0]])
        w = lib.tensor([[1.0, 2.0], [0.5, 1.0]])
        a = [w if v is _W else v for v in args]
        k = {key: (w if v is _W else v) for key, v in kwargs.items()}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = getattr(functional, name)(x, y, *a, **k)
            r.sum().backward()
            outcomes.append((r.tolist(), r.grad_fn.name(), x.grad.tolist()))
        except TypeError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]


def test_signature_in_pytorchs_order() -> None:
    assert engine.ops.REGISTRY["mse_loss"].signature() == (
        "mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None)"
    )
