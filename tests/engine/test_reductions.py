"""Reductions against PyTorch: values, dtypes, grad_fn names, first and second derivatives, errors.

Grids run every op over 0-d, 1-d, empty and rank-2/3 shapes with dims None / int /
negative / tuple and keepdim both ways; ties, zeros, NaN and inf are pinned with
explicit data (``Data``), and error messages are compared with PyTorch's own text.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import FLOATS, D, T, check

warnings.filterwarnings("ignore", message=".*degrees of freedom.*")

SHAPES: list[tuple[int, ...]] = [(), (5,), (0,), (2, 3), (2, 1, 3), (2, 3, 4)]
INF = math.inf


@dataclass(frozen=True)
class Data(T):
    """A tensor input with explicit values (ties, zeros, NaN), built in both libraries."""

    values: Any = ()

    def array(self, salt: int) -> np.ndarray:
        return np.asarray(self.values, dtype=self.dtype if self.dtype != "bool" else bool)


def dims_for(shape: tuple[int, ...], empty: bool = False) -> list[Any]:
    """Dims to reduce over: None (not passed), ints, negative ints, tuples; () where it means all."""
    nd = len(shape)
    out: list[Any] = [None, 0, -1] if nd <= 2 else [None, 1, -1]
    if nd == 1:
        out.append((0,))
    elif nd == 2:
        out += [(0, 1), (-1,)]
    elif nd == 3:
        out += [(0, 2), (-1, -3), (0, 1, 2)]
    if empty:
        out.append(())
    return out


def cases(empty: bool = False, int_only: bool = False, shapes: list[Any] = SHAPES) -> list[Any]:
    """(shape, dim, keepdim) triples; dim None is the call without dim (keepdim False)."""
    out = []
    for s in shapes:
        for d in dims_for(s, empty):
            if int_only and not (d is None or isinstance(d, int)):
                continue
            for k in (False, True):
                if d is None and k:
                    continue
                out.append((s, d, k))
    return out


def run(name: str, spec: Any, dim: Any, keepdim: bool) -> None:
    if dim is None:
        agree(name, spec)
    else:
        agree(name, spec, dim, keepdim)


def _pair(spec: Any) -> tuple[Any, Any]:
    if isinstance(spec, T):
        a = spec.array(0)
        rg = spec.requires_grad
        return (
            engine.tensor(a, dtype=getattr(engine, spec.dtype), requires_grad=rg),
            torch.tensor(a, dtype=getattr(torch, spec.dtype), requires_grad=rg),
        )
    if isinstance(spec, D):
        return getattr(engine, spec.name), getattr(torch, spec.name)
    return spec, spec


def same_error(e_call: Callable[[], Any], t_call: Callable[[], Any]) -> None:
    """Both raise; the engine's error is of PyTorch's built-in type, with PyTorch's words."""
    with pytest.raises(Exception) as t_info:  # noqa: B017, PT011 - whatever PyTorch raises
        t_call()
    with pytest.raises(Exception) as e_info:  # noqa: B017, PT011
        e_call()
    t_exc, e_exc = t_info.value, e_info.value
    assert isinstance(e_exc, engine.EngineError), f"engine raised {type(e_exc).__name__}: {e_exc}"
    base = type(t_exc) if type(t_exc) in (RuntimeError, IndexError, TypeError, ValueError) else RuntimeError
    assert isinstance(e_exc, base), f"engine raised {type(e_exc).__name__}, PyTorch {type(t_exc).__name__}"
    assert str(e_exc) == str(t_exc)


def agree(name: str, *args: Any, method: bool = False, **kwargs: Any) -> None:
    """``check`` where PyTorch succeeds; where it raises, the engine raises the same error."""
    pairs = [_pair(a) for a in args]
    kpairs = {k: _pair(v) for k, v in kwargs.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method:
                getattr(pairs[0][1], name)(*[p[1] for p in pairs[1:]], **{k: v[1] for k, v in kpairs.items()})
            else:
                getattr(torch, name)(*[p[1] for p in pairs], **{k: v[1] for k, v in kpairs.items()})
    except (RuntimeError, IndexError) as exc:
        err = exc
        e_args = [p[0] for p in pairs]
        e_kw = {k: v[0] for k, v in kpairs.items()}

        def e_call() -> Any:
            if method:
                return getattr(e_args[0], name)(*e_args[1:], **e_kw)
            return getattr(engine, name)(*e_args, **e_kw)

        def t_call() -> Any:
            raise err

        same_error(e_call, t_call)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(name, *args, method=method, **kwargs)


# -- grids ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "keepdim"), cases(empty=True))
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name: str, shape: tuple, dim: Any, keepdim: bool, dtype: str) -> None:
    run(name, T(shape, dtype), dim, keepdim)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "keepdim"), cases(int_only=True))
def test_prod(shape: tuple, dim: Any, keepdim: bool, dtype: str) -> None:
    run("prod", T(shape, dtype), dim, keepdim)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "keepdim"), cases(empty=True))
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin(name: str, shape: tuple, dim: Any, keepdim: bool, dtype: str) -> None:
    run(name, T(shape, dtype, "distinct"), dim, keepdim)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_whole(name: str, shape: tuple, dtype: str) -> None:
    agree(name, T(shape, dtype, "distinct"))
    agree(name, T(shape, dtype, "distinct"), method=True)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "keepdim"), cases(empty=True))
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std(name: str, shape: tuple, dim: Any, keepdim: bool, dtype: str) -> None:
    run(name, T(shape, dtype), dim, keepdim)


@pytest.mark.parametrize("correction", [0, 2, 0.5, 7])
@pytest.mark.parametrize(
    ("shape", "dim", "keepdim"), [((2, 3), None, False), ((2, 3, 4), (0, 2), True), ((5,), 0, False)]
)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction(name: str, shape: tuple, dim: Any, keepdim: bool, correction: float) -> None:
    if dim is None:
        agree(name, T(shape), correction=correction)
    else:
        agree(name, T(shape), dim, keepdim=keepdim, correction=correction)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_legacy_unbiased(name: str) -> None:
    agree(name, T((2, 3)), False)  # var(input, unbiased)
    agree(name, T((2, 3)), True)
    agree(name, T((2, 3)), 0, False)  # var(input, dim, unbiased)
    agree(name, T((2, 3, 4)), (0, 2), False, True)  # var(input, dim, unbiased, keepdim)
    agree(name, T((2, 3)), unbiased=False)
    agree(name, T((2, 3)), dim=1, unbiased=False, keepdim=True)
    agree(name, T((2, 3)), 1, method=True)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "keepdim"), [c for c in cases(empty=True) if c[1] is not None])
def test_logsumexp(shape: tuple, dim: Any, keepdim: bool, dtype: str) -> None:
    agree("logsumexp", T(shape, dtype), dim, keepdim)


def _norm_call(p: Any, spec: T, dim: Any, keepdim: bool) -> None:
    if dim is None:
        agree("norm", spec) if p is None else agree("norm", spec, p)
    else:
        agree("norm", spec, p, dim, keepdim)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "dim", "keepdim"), cases(empty=True))
@pytest.mark.parametrize("p", [None, "fro", 2, 1, INF])
def test_norm(p: Any, shape: tuple, dim: Any, keepdim: bool, dtype: str) -> None:
    if dtype == "float32" and p not in (None, 1):
        return  # float32 once per kind of formula is enough
    _norm_call(p, T(shape, dtype), dim, keepdim)


def _few(shape: tuple[int, ...]) -> list[tuple[Any, bool]]:
    last: Any = dims_for(shape)[-1]
    return [(None, False), (-1, False), (last, True), ((), False)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", [-INF, 0, 3, 0.5, -1, 1.5, 2.5, -0.5])
def test_norm_other_orders(p: Any, shape: tuple) -> None:
    for dim, keepdim in _few(shape):
        _norm_call(p, T(shape), dim, keepdim)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_cumsum(shape: tuple, dtype: str) -> None:
    for d in range(-max(len(shape), 1), max(len(shape), 1)):
        agree("cumsum", T(shape, dtype), d)
    agree("cumsum", T(shape, dtype), -1, method=True)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "var", "std", "norm", "logsumexp"])
def test_methods(name: str) -> None:
    spec = T((2, 3, 4), domain="distinct")
    if name != "logsumexp":
        agree(name, spec, method=True)
    agree(name, spec, 1, method=True) if name != "norm" else agree(name, spec, 1, 2, True, method=True)
    agree(name, spec, dim=-1, keepdim=True, method=True)


# -- dtypes: integer and bool inputs, dtype= ------------------------------------------------

INTS = ["int32", "int64", "bool"]


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", ["sum", "prod", "amax", "amin", "max", "min"])
def test_integer_inputs(name: str, dtype: str) -> None:
    domain = "bool" if dtype == "bool" else "int"
    agree(name, T((2, 3), dtype, domain))
    agree(name, T((), dtype, domain))
    if name not in ("max", "min"):
        agree(name, T((2, 3), dtype, domain), 1)
        agree(name, T((2, 3, 4), dtype, domain), -1, True)


@pytest.mark.parametrize("dtype", INTS)
def test_integer_cumsum_logsumexp(dtype: str) -> None:
    domain = "bool" if dtype == "bool" else "int"
    agree("cumsum", T((2, 3), dtype, domain), 1)
    agree("cumsum", T((), dtype, domain), 0)
    agree("logsumexp", T((2, 3), dtype, domain), 1)
    agree("logsumexp", T((2, 3), dtype, domain), (0, 1), True)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", ["mean", "var", "std", "norm"])
def test_integer_inputs_refused(name: str, dtype: str) -> None:
    domain = "bool" if dtype == "bool" else "int"
    agree(name, T((2, 3), dtype, domain))
    agree(name, T((2, 3), dtype, domain), 0)


def test_dtype_argument() -> None:
    agree("sum", T((2, 3)), dtype=D("float32"))
    agree("sum", T((2, 3), "float32"), 1, dtype=D("float64"))
    agree("sum", T((2, 3), "int32", "int"), dtype=D("float32"))
    agree("sum", T((2, 3), "bool", "bool"), 0, dtype=D("int32"))
    agree("sum", T((2, 3), "float32"), dtype=D("int64"))  # Autograd not support dtype: Long
    agree("sum", T((2, 3), "float32", grad=False), dtype=D("int64"))
    agree("mean", T((2, 3), "int32", "int"), dtype=D("float64"))
    agree("mean", T((2, 3), "float32"), 0, dtype=D("float64"))
    agree("mean", T((2, 3), "float32"), dtype=D("int64"))
    agree("mean", T((2, 3), "float32"), 1, True, dtype=D("int32"))
    agree("prod", T((2, 3), "int32", "int"), dtype=D("float32"))
    agree("prod", T((2, 3), "float32"), 0, dtype=D("float64"))
    agree("prod", T((2, 3), "float32"), dtype=D("int64"))
    agree("cumsum", T((2, 3), "int32", "int"), 1, dtype=D("float32"))
    agree("cumsum", T((2, 3)), 0, dtype=D("float32"))
    agree("cumsum", T((2, 3), "float32"), 1, dtype=D("float64"))
    agree("cumsum", T((2, 3), "float32"), 0, dtype=D("int64"))
    agree("norm", T((2, 3), "float32"), dtype=D("float64"))
    agree("norm", T((2, 3), "float32"), 1, 1, dtype=D("float64"))
    agree("norm", T((2, 3)), dtype=D("float32"))
    agree("norm", T((2, 3), "float32"), dtype=D("int64"))
    agree("norm", T((2, 3), "int64", "int"), dtype=D("float32"))


# -- ties, zeros, NaN, inf: PyTorch's conventions pinned ------------------------------------

TIES = [
    ((1.0, 3.0, 3.0), None),
    ((2.0, 2.0, 2.0), None),
    (((1.0, 3.0, 3.0), (2.0, 2.0, 0.0)), 1),
    (((1.0, 3.0, 3.0), (2.0, 2.0, 0.0)), 0),
    (((1.0, 3.0, 3.0), (3.0, 3.0, 0.0)), (0, 1)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("values", "dim"), TIES)
@pytest.mark.parametrize("name", ["amax", "amin", "max", "min"])
def test_ties_split_evenly(name: str, values: Any, dim: Any, dtype: str) -> None:
    spec = Data(dtype=dtype, values=values)
    neg = Data(dtype=dtype, values=tuple(np.negative(values).tolist()))
    if name in ("max", "min"):
        if dim is None or dim == (0, 1):
            agree(name, spec)
            agree(name, neg)
        return
    for keepdim in (False, True):
        if dim is None:
            agree(name, spec)
            agree(name, neg)
        else:
            agree(name, spec, dim, keepdim)
            agree(name, neg, dim, keepdim)


NAN = math.nan


@pytest.mark.parametrize("name", ["amax", "amin", "max", "min"])
def test_nan_propagates(name: str) -> None:
    agree(name, Data(values=(1.0, NAN, 2.0)))
    agree(name, Data(values=(NAN, NAN, 2.0)))
    if name.startswith("a"):
        agree(name, Data(values=((1.0, NAN), (2.0, 3.0))), 1)


def test_norm_inf_ties_and_zero() -> None:
    agree("norm", Data(values=(1.0, -3.0, 3.0)), INF)
    agree("norm", Data(values=(1.0, -3.0, 1.0)), -INF)
    agree("norm", Data(values=((1.0, -3.0, 3.0), (0.0, 0.0, 0.0))), INF, 1)
    agree("norm", Data(values=(0.0, 0.0)), INF)


ZEROS = [
    (2.0, 0.0, 3.0),
    (2.0, 0.0, 0.0),
    (0.0, 0.0, 0.0),
    (0.0, 1.5, -2.0, 0.0, 3.0),
    ((1.0, 0.0, 2.0), (3.0, 4.0, 5.0)),
    ((0.0, 0.0, 2.0), (3.0, 0.0, 5.0)),
    ((1.0, 2.0), (0.0, 3.0), (0.0, 0.0)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("values", ZEROS)
def test_prod_with_zeros(values: Any, dtype: str) -> None:
    spec = Data(dtype=dtype, values=values)
    agree("prod", spec)
    for d in range(-np.ndim(values), np.ndim(values)):
        agree("prod", spec, d)
        agree("prod", spec, d, True)


@pytest.mark.parametrize(
    "values", [(1.0, 1.0), ((1.0, 1.0), (1.0, 2.0)), ((2.0, 2.0, 2.0), (0.0, 0.0, 0.0)), (3.0,)]
)
def test_std_zero_spread(values: Any) -> None:
    spec = Data(values=values)
    agree("std", spec)
    for d in range(np.ndim(values)):
        agree("std", spec, d)
        agree("std", spec, d, True)
        agree("std", spec, d, correction=0)
        agree("var", spec, d)


def test_var_dof_not_positive() -> None:
    # PyTorch's var_backward: inf/NaN when n <= correction (both of its branches)
    for values in [(1.0, 2.0), (1.0, 1.0), (4.0,)]:
        spec = Data(values=values)
        for corr in (1, 2, 3):
            agree("var", spec, correction=corr)
            agree("var", spec, 0, correction=corr)
            agree("std", spec, correction=corr)
            agree("std", spec, 0, correction=corr)
    agree("var", Data(values=2.0), 0)
    agree("var", Data(values=2.0))


@pytest.mark.parametrize("p", [2, 1, 0.5, 1.5, 3, -1, 0])
def test_norm_at_zero(p: Any) -> None:
    agree("norm", Data(values=(0.0, 0.0)), p)
    agree("norm", Data(values=(0.0, 1.0, -2.0)), p)
    agree("norm", Data(values=((0.0, 0.0), (1.0, -2.0))), p, 1)
    agree("norm", Data(values=((0.0, 0.0), (1.0, -2.0))), p, 1, True)


def test_logsumexp_stable() -> None:
    agree("logsumexp", Data(values=(1000.0, 1000.0)), 0)
    agree("logsumexp", Data(values=(-1000.0, -1000.5)), 0)
    agree("logsumexp", Data(values=(1000.0, 1000.0), dtype="float32"), 0)
    agree("logsumexp", Data(values=(-INF, -INF)), 0)
    agree("logsumexp", Data(values=(-INF, 0.5)), 0)
    agree("logsumexp", Data(values=(INF, 1.0)), 0)
    agree("logsumexp", Data(values=((-INF, -INF), (1.0, 2.0))), 1, True)


def test_empty_values() -> None:
    agree("sum", T((0,)))
    agree("mean", T((0,)))
    agree("prod", T((0,)))
    agree("mean", T((0, 3)), 0)
    agree("var", T((0, 3)), 0)
    agree("logsumexp", T((0, 3)), 0)
    agree("logsumexp", T((0, 3)), 1)
    agree("logsumexp", T((0, 2)), ())
    agree("norm", T((0, 3)))
    agree("norm", T((0, 3)), 0)
    agree("norm", T((0, 3)), INF, 1)
    agree("amax", T((0, 3)), 1)
    agree("amin", T((3, 0)), 0, True)
    agree("cumsum", T((0, 3)), 0)


# -- errors, in PyTorch's words --------------------------------------------------------------

def test_dim_errors() -> None:
    for name in ["sum", "mean", "amax", "amin", "var", "std", "logsumexp", "cumsum", "prod"]:
        agree(name, T((2, 3)), 2)
        agree(name, T((2, 3)), -3)
        agree(name, T(()), 1)
    for name in ["sum", "mean", "amax", "amin", "var", "std", "logsumexp"]:
        agree(name, T((2, 3)), (0, -2))
        agree(name, T((2, 3, 4)), (1, 2, 1))
        agree(name, T((2, 3)), (0, 5))
    agree("norm", T((2, 3)), 2, (0, 0))
    agree("norm", T((2, 3)), 2, 5)


def test_empty_errors() -> None:
    for name in ["amax", "amin", "max", "min"]:
        agree(name, T((0,)))
        agree(name, T((0, 3)))
    for name in ["amax", "amin"]:
        agree(name, T((0, 3)), 0)
        agree(name, T((3, 0)), -1)
        agree(name, T((0, 3)), (1, 0))
        agree(name, T((0, 3)), ())
    for p in (INF, -INF, -1, -1.5):
        agree("norm", T((0,)), p)
        agree("norm", T((0, 3)), p, 0)
        agree("norm", T((0, 3)), p, -2)
        agree("norm", T((3, 0)), p, (0, -1))
        agree("norm", T((0, 3)), p, 1)


def test_argument_errors() -> None:
    agree("logsumexp", T((5,)), ())
    agree("logsumexp", T((2, 3)), ())
    agree("logsumexp", T((2, 3)), (), True)
    agree("logsumexp", T(()), ())
    agree("norm", T((2, 3, 4)), "fro", (0, 1, 2))
    agree("norm", T((2, 3)), "abc")
    agree("norm", T((2, 3)), "fro", (0, 1))
    agree("norm", T((2, 3, 4)), "fro", -1)
    agree("norm", T((2, 3), "float16", grad=False))
    agree("norm", T((2, 3), "float32"), dtype=D("float16"))
    same_error(lambda: engine.cumsum(engine.ones(3), None), lambda: torch.cumsum(torch.ones(3), None))
    same_error(lambda: engine.cumsum(engine.ones(3), 0.0), lambda: torch.cumsum(torch.ones(3), 0.0))
    same_error(lambda: engine.logsumexp(engine.ones(3), None), lambda: torch.logsumexp(torch.ones(3), None))


def test_not_carried() -> None:
    from engine.ops.registry import REGISTRY, call

    x = engine.ones(2, 3, requires_grad=True)
    # the registry entry (what the service runs) is the whole-tensor max; engine.max and x.max route the
    # other overloads (tests/engine/test_extremum_overloads.py)
    with pytest.raises(engine.UnsupportedError, match="max\\(input, dim\\)"):
        call(REGISTRY["max"], (x, 1), {})
    with pytest.raises(engine.UnsupportedError, match="min\\(input, dim\\)"):
        call(REGISTRY["min"], (x,), {"dim": 0})
    with pytest.raises(engine.UnsupportedError, match="maximum"):
        call(REGISTRY["max"], (x, x), {})
    with pytest.raises(engine.UnsupportedError, match="nuclear"):
        engine.norm(x, "nuc")
    with pytest.raises(engine.ArgumentError):
        engine.prod(x, (0, 1))
    with pytest.raises(engine.ArgumentError):
        engine.max(x, keepdim=True)
    with pytest.raises(engine.ArgumentError):
        engine.var(x, 0, True, correction=0)


# -- graph structure, rules, costs --------------------------------------------------------------

def test_grad_fn_names() -> None:
    x = engine.randn(2, 3, dtype=engine.float64, requires_grad=True)
    names = {
        "SumBackward0": x.sum(), "SumBackward1": x.sum(()), "MeanBackward0": x.mean(),
        "MeanBackward1": x.mean((0, 1)), "ProdBackward0": x.prod(), "ProdBackward1": x.prod(0),
        "AmaxBackward0": x.amax(), "AminBackward0": x.amin(1), "MaxBackward1": x.max(),
        "MinBackward1": x.min(), "VarBackward0": x.var(0), "StdBackward0": x.std(),
        "LogsumexpBackward0": x.logsumexp(1), "LinalgVectorNormBackward0": x.norm(),
        "CumsumBackward0": x.cumsum(0),
    }
    for name, out in names.items():
        assert out.grad_fn.name() == name


def test_third_derivative_prod_with_zeros() -> None:
    # the zero-safe products stay differentiable past second order
    values = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    e = engine.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    (eg,) = engine.autograd.grad(e.prod(), e, create_graph=True)
    (tg,) = torch.autograd.grad(t.prod(), t, create_graph=True)
    (egg,) = engine.autograd.grad(eg.sum(), e, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), t, create_graph=True)
    np.testing.assert_allclose(egg.detach().numpy(), tgg.detach().numpy())
    (eggg,) = engine.autograd.grad((egg * egg).sum(), e)
    (tggg,) = torch.autograd.grad((tgg * tgg).sum(), t)
    np.testing.assert_allclose(eggg.numpy(), tggg.numpy())


def test_backward_twice_through_cumsum() -> None:
    e = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (e.cumsum(0) ** 2).sum().backward()
    (t.cumsum(0) ** 2).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())


def test_flops_are_elements_read() -> None:
    for name in ["sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "logsumexp", "norm", "cumsum"]:
        op = engine.REGISTRY[name]
        assert op.flops is not None
        assert op.flops((2, 3, 4)) == 24


# -- a dim given, or not: PyTorch's two overloads of sum, mean and prod ------------------------------

@pytest.mark.parametrize("method", [False, True])
@pytest.mark.parametrize("kwargs", [{}, {"dim": None}, {"dim": None, "keepdim": True}, {"dim": ()}, {"dim": 1},
                                    {"dtype": "float64"}, {"dim": None, "dtype": "float64"}])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_explicit_dim_none_is_the_dim_overload(name: str, kwargs: dict, method: bool) -> None:
    """``x.sum()`` is SumBackward0, ``x.sum(dim=None)`` (or ``None`` positionally) SumBackward1, as in PyTorch."""
    kw = {k: (D(v) if k == "dtype" else v) for k, v in kwargs.items()}
    agree(name, T((2, 3)), method=method, **kw)
    if "dim" in kwargs and len(kwargs) == 1:
        dim = kwargs["dim"]
        e, t = engine.ones(2, 3, requires_grad=True), torch.ones(2, 3, requires_grad=True)
        assert getattr(e, name)(dim).grad_fn.name() == getattr(t, name)(dim).grad_fn.name()


@pytest.mark.parametrize("call", ["x.sum(keepdim=True)", "x.mean(keepdim=True)", "x.prod(keepdim=True)",
                                  "x.prod(dim=None)", "x.prod(None)"])
def test_overload_mismatches_are_refused(call: str) -> None:
    """Where no overload takes the arguments PyTorch raises TypeError ("invalid combination"); so does the engine."""
    name = call.split("(")[0].split(".")[-1]
    for lib in (torch, engine):
        x = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(TypeError) as info:
            eval(call, {"x": x, "torch": lib})  # noqa: S307 - the test's own literal calls
        assert str(info.value).startswith(f"{name}() received an invalid combination of arguments - got (")
    x = engine.ones(2, 3)
    with pytest.raises(engine.EngineError):
        eval(call, {"x": x, "torch": engine})  # noqa: S307


def test_catalogue_shows_a_missing_dim_as_none() -> None:
    from engine.ops import NOT_GIVEN, REGISTRY

    for name in ("sum", "mean", "prod"):
        op = REGISTRY[name]
        assert {p.name: p.default for p in op.params}["dim"] is NOT_GIVEN
        assert op.signature().startswith(f"{name}(input, dim=None, keepdim=False")


def test_prod_dim_none_with_keepdim_words_the_dim() -> None:
    same_error(lambda: engine.prod(engine.ones(2, 3), None, True), lambda: torch.prod(torch.ones(2, 3), None, True))
