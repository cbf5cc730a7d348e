"""Tensor printing against PyTorch, string for string: repr/str, suffixes, print options."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
import torch

import engine
from engine import printing

nan, inf = math.nan, math.inf


def _pair(data: Any, dtype: str, requires_grad: bool = False) -> tuple[engine.Tensor, torch.Tensor]:
    a = np.asarray(data, dtype=np.dtype(dtype))
    e = engine.tensor(a, dtype=getattr(engine, dtype if dtype != "bool" else "bool"), requires_grad=requires_grad)
    t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=requires_grad)
    return e, t


def _same(e: Any, t: Any) -> None:
    assert repr(e) == repr(t), f"\nengine:\n{e!r}\ntorch:\n{t!r}"
    assert str(e) == str(t)


@contextmanager
def options(**kwargs: Any) -> Iterator[None]:
    """The same print options in both libraries, restored afterwards."""
    engine.set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)
    try:
        yield
    finally:
        engine.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


_rng = np.random.default_rng(1234)

FLOAT_CASES: dict[str, Any] = {
    "zero": 0.0,
    "half": 1.5,
    "neg_int": -2.0,
    "tiny": 1e-5,
    "huge": 1e10,
    "nan0": nan,
    "inf0": inf,
    "neginf0": -inf,
    "negzero0": -0.0,
    "one_third": 1 / 3,
    "ints": [1.0, 2.0, 3.0],
    "ints_neg": [-1.0, 20.0, -300.0],
    "fixed": [1.5, 2.25, -3.125],
    "point_one": [0.1, 0.2, 0.3],
    "sci_small": [1e-5, 1.0],
    "sci_large": [1e10, 1.0],
    "sci_mixed": [1e-5, 1e5, 3.0],
    "ratio_just_1000": [1.0, 1000.0],
    "ratio_over_1000": [1.0, 1001.0],
    "ratio_over_1000_frac": [0.5, 501.0],
    "min_1e-4": [1e-4, 0.5],
    "below_1e-4": [9.9e-5, 0.5],
    "max_1e8": [1e8, 2e7],
    "over_1e8": [1.5e8, 2e7],
    "int_valued_big": [123456.0, 7.0],
    "nonfinite": [nan, inf, -inf],
    "nonfinite_and_int": [nan, inf, -inf, 2.0],
    "nonfinite_and_frac": [nan, -inf, 2.5],
    "nonfinite_and_sci": [nan, 1e-7, 1.0],
    "neg_zero": [0.0, -0.0],
    "neg_zero_frac": [-0.0, 1.5],
    "neg_zero_sci": [-0.0, 1e-6, 1.0],
    "zeros": [0.0, 0.0, 0.0],
    "rounding": [0.00005, 0.99995, 1.00005],
    "negatives_sci": [-1e-9, -2.5e12],
    "normal": _rng.standard_normal(7).tolist(),
    "normal_scaled": (_rng.standard_normal(6) * 1e-3).tolist(),
    "normal_large": (_rng.standard_normal(6) * 1e6).tolist(),
    "matrix": _rng.standard_normal((3, 4)).tolist(),
    "matrix_int": [[1.0, 2.0], [3.0, 4.0]],
    "matrix_sci": [[1e-8, 1.0], [2.0, 3e9]],
    "cube": _rng.standard_normal((2, 3, 4)).tolist(),
    "rank4": _rng.standard_normal((2, 2, 1, 3)).tolist(),
    "long_row": (_rng.standard_normal(30) * 10).tolist(),
    "long_row_ints": list(map(float, range(40))),
    "long_row_sci": (_rng.standard_normal(20) * 1e-6).tolist(),
    "long_matrix_rows": _rng.standard_normal((3, 17)).tolist(),
    "long_cube_rows": _rng.standard_normal((2, 2, 15)).tolist(),
    "summarized_1d": np.arange(1001, dtype=np.float64).tolist(),
    "summarized_1d_frac": (np.arange(2000) / 7).tolist(),
    "summarized_2d": _rng.standard_normal((40, 40)).tolist(),
    "summarized_3d": _rng.standard_normal((11, 10, 12)).tolist(),
    "summarized_rows_only": _rng.standard_normal((500, 3)).tolist(),
    "summarized_cols_only": _rng.standard_normal((3, 500)).tolist(),
    "summarized_hidden_extreme": [1.0] * 3 + [1e-9] * 1000 + [2.0] * 3,
    "exactly_threshold": (np.arange(1000) * 0.5).tolist(),
    "column": [[1.0], [2.5], [3.0]],
    "single": [7.0],
    "single_nan": [nan],
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("case", sorted(FLOAT_CASES))
def test_float_repr(case: str, dtype: str) -> None:
    data = FLOAT_CASES[case]
    if dtype == "float16":
        with np.errstate(over="ignore"):
            data = np.asarray(data, dtype=np.float64).astype(np.float16)
    _same(*_pair(data, dtype))


INT_CASES: dict[str, Any] = {
    "scalar": 3,
    "neg_scalar": -17,
    "zero": 0,
    "row": [1, 2, 3],
    "widths": [1, -20, 300, -4000],
    "matrix": [[1, 2], [30, 400]],
    "cube": np.arange(24).reshape(2, 3, 4).tolist(),
    "long": list(range(-30, 30)),
    "big": [2**62, -(2**62)],
    "summarized": np.arange(5000).reshape(50, 100).tolist(),
}


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("case", sorted(INT_CASES))
def test_int_repr(case: str, dtype: str) -> None:
    data = INT_CASES[case]
    if dtype == "int32" and case == "big":
        data = [2**30, -(2**30)]
    _same(*_pair(data, dtype))


@pytest.mark.parametrize(
    "data",
    [True, False, [True, False, True], [[True], [False]], [True] * 50, np.ones((30, 40), dtype=bool).tolist()],
)
def test_bool_repr(data: Any) -> None:
    _same(*_pair(data, "bool"))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 1), (0, 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "bool"])
def test_empty_repr(shape: tuple[int, ...], dtype: str) -> None:
    _same(*_pair(np.zeros(shape), dtype))


def test_empty_requires_grad() -> None:
    _same(*_pair(np.zeros((0, 2)), "float32", requires_grad=True))
    _same(*_pair(np.zeros((0,)), "float64", requires_grad=True))
    e, t = _pair(np.zeros((0, 2)), "float64", requires_grad=True)
    _same(e * 2, t * 2)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[0.5, 1e-6]], np.arange(30.0).tolist(), [[1.0] * 9] * 2])
def test_requires_grad_and_grad_fn(data: Any, dtype: str) -> None:
    e, t = _pair(data, dtype, requires_grad=True)
    _same(e, t)
    _same(e * 2, t * 2)
    _same(e + 1, t + 1)
    _same((e * e).sum(), (t * t).sum())
    _same(e.detach(), t.detach())


def test_grad_fn_names_with_a_namespace_print_as_their_class() -> None:
    """``name()`` keeps PyTorch's C++ namespace (``torch::autograd::CopySlices``); a tensor's suffix and the
    node's repr show the class name, as PyTorch's do."""
    e, t = _pair([3.0, 2.0], "float32", requires_grad=True)
    _same(e // 2, t // 2)
    for lib, x in ((engine, e), (torch, t)):
        y = lib.zeros(3)
        y[0:2] = x * 2
        assert (y.grad_fn.name(), repr(y.grad_fn).split(" object")[0]) == ("torch::autograd::CopySlices", "<CopySlices")
    y_e, y_t = engine.zeros(3), torch.zeros(3)
    y_e[0:2], y_t[0:2] = e, t
    _same(y_e, y_t)
    assert repr((e // 2).grad_fn).startswith("<NotImplemented object at 0x")


def test_grad_fn_suffix_wraps_at_linewidth() -> None:
    # rows that end near column 80 push the suffix to its own line
    for n in range(1, 12):
        e, t = _pair(np.linspace(-1, 1, n * 3).reshape(n, 3) * 1234.5, "float64", requires_grad=True)
        _same(e, t)
        _same(e * 3, t * 3)
    for width in range(60, 80):
        e, t = _pair(np.ones(width // 4) * 0.5, "float32", requires_grad=True)
        _same(e * 1, t * 1)
        _same(e, t)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(precision=2),
        dict(precision=6),
        dict(precision=0),
        dict(precision=10),
        dict(sci_mode=True),
        dict(sci_mode=False),
        dict(sci_mode=True, precision=2),
        dict(linewidth=40),
        dict(linewidth=120),
        dict(threshold=5),
        dict(threshold=5, edgeitems=1),
        dict(threshold=5, edgeitems=0),
        dict(edgeitems=1),
        dict(profile="short"),
        dict(profile="full"),
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()),
)
def test_print_options(kwargs: dict[str, Any]) -> None:
    cases = [
        "half", "tiny", "ints", "fixed", "point_one", "sci_small", "sci_mixed", "nonfinite_and_frac",
        "nonfinite", "zeros", "normal", "matrix", "cube", "long_row", "long_row_sci", "long_matrix_rows",
        "summarized_1d", "summarized_2d", "summarized_3d", "summarized_cols_only", "single",
    ]
    with options(**kwargs):
        for case in cases:
            for dtype in ("float32", "float64"):
                _same(*_pair(FLOAT_CASES[case], dtype))
        for case in ("row", "long", "summarized", "cube"):
            _same(*_pair(INT_CASES[case], "int64"))
        _same(*_pair([True, False] * 20, "bool"))
        _same(*_pair(np.zeros((0, 3)), "float32"))
        e, t = _pair(FLOAT_CASES["long_row"], "float32", requires_grad=True)
        _same(e * 2, t * 2)


def test_set_printoptions_resets_sci_mode_and_profile() -> None:
    try:
        engine.set_printoptions(sci_mode=True, precision=3)
        assert printing.get_printoptions()["sci_mode"] is True
        engine.set_printoptions(precision=5)  # sci_mode goes back to automatic, as in PyTorch
        torch.set_printoptions(precision=5)
        assert printing.get_printoptions() == {
            "precision": 5, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None,
        }
        _same(*_pair([1.0, 1e-7], "float32"))
        with printing.printoptions(precision=1):
            assert repr(engine.tensor([1.25])) == "tensor([1.2])"
        assert printing.get_printoptions()["precision"] == 5
    finally:
        engine.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(engine.tensor([1.12345])) == "tensor([1.1235])"


def test_default_dtype_float64_changes_suffixes() -> None:
    try:
        engine.set_default_dtype(engine.float64)
        torch.set_default_dtype(torch.float64)
        for dtype in ("float32", "float64", "float16", "int64"):
            _same(*_pair([1.5, 2.0], dtype))
            _same(*_pair(np.zeros((0,)), dtype))
        _same(engine.tensor([0.1, 0.2]), torch.tensor([0.1, 0.2]))
    finally:
        engine.set_default_dtype(engine.float32)
        torch.set_default_dtype(torch.float32)


def test_factories_print_alike() -> None:
    _same(engine.zeros(2, 3), torch.zeros(2, 3))
    _same(engine.ones(3, dtype=engine.int64), torch.ones(3, dtype=torch.int64))
    _same(engine.arange(10), torch.arange(10))
    _same(engine.arange(0, 1, 0.1), torch.arange(0, 1, 0.1))
    _same(engine.linspace(0, 1, 7), torch.linspace(0, 1, 7))
    _same(engine.eye(3), torch.eye(3))
    _same(engine.full((2, 2), 7), torch.full((2, 2), 7))
    _same(engine.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True))
    _same(engine.tensor([1, 2]) > 1, torch.tensor([1, 2]) > 1)


def test_format_and_fstring() -> None:
    e, t = _pair([1.5, 2.0], "float32")
    assert f"{e}" == f"{t}"
    assert f"{engine.tensor(2.5):.3f}" == f"{torch.tensor(2.5):.3f}"
    assert f"{engine.tensor(3)}" == f"{torch.tensor(3)}"


def test_metadata_reprs() -> None:
    e, t = _pair([[1.0, 2.0], [3.0, 4.0]], "float32", requires_grad=True)
    assert repr(e.shape) == repr(t.shape) == "torch.Size([2, 2])"
    assert repr(engine.tensor(1.0).shape) == repr(torch.tensor(1.0).shape) == "torch.Size([])"
    assert str(e.shape) == str(t.shape)
    assert repr(e.size()) == repr(t.size())
    for name in ("float32", "float64", "float16", "int64", "int32", "bool"):
        assert repr(getattr(engine, name)) == repr(getattr(torch, name))
        assert str(getattr(engine, name)) == str(getattr(torch, name))
    assert repr(engine.float) == repr(torch.float) and repr(engine.long) == repr(torch.long)
    assert repr(e.dtype) == repr(t.dtype)
    assert repr(e.device) == repr(t.device) == "device(type='cpu')"
    assert str(e.device) == str(t.device) == "cpu"
    assert repr(engine.device("cuda:0")) == repr(torch.device("cuda:0"))
    assert repr(engine.device("cuda")) == repr(torch.device("cuda"))
    assert str(engine.device("cuda:0")) == str(torch.device("cuda:0"))
    pattern = re.compile(r"^<MulBackward0 object at 0x[0-9a-f]+>$")
    assert pattern.match(repr((e * 2).grad_fn)), repr((e * 2).grad_fn)
    assert pattern.match(repr((t * 2).grad_fn)), repr((t * 2).grad_fn)
    assert (e * 2).grad_fn.name() == (t * 2).grad_fn.name()
    acc_e = (e * 2).grad_fn.next_functions[0][0]
    acc_t = (t * 2).grad_fn.next_functions[0][0]
    assert re.sub(r"0x[0-9a-f]+", "0x", repr(acc_e)) == re.sub(r"0x[0-9a-f]+", "0x", repr(acc_t))


def test_random_values_many_scales() -> None:
    rng = np.random.default_rng(99)
    for i in range(60):
        shape = [(5,), (3, 4), (2, 2, 3), (), (9,)][i % 5]
        scale = 10.0 ** rng.integers(-9, 12)
        data = rng.standard_normal(shape) * scale
        if i % 3 == 0:
            data = np.round(data)
        if i % 7 == 0 and data.size:
            data.reshape(-1)[0] = [nan, inf, -inf, -0.0][i % 4]
        for dtype in ("float32", "float64"):
            _same(*_pair(data, dtype))
