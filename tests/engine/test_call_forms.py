"""Argument errors worded for the call as written, as PyTorch's argument parser words them.

Ops word such an error for ``torch.op(input, ...)`` with every argument positional
("argument 'dim' (position 2) must be int"); PyTorch names no position for an argument given
by keyword, and counts a method's positions from the argument after ``self``.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

import engine

from .oracle import run_snippet

CALLS = [
    "torch.logsumexp(x, None)", "torch.logsumexp(x, dim=None)", "x.logsumexp(None)", "x.logsumexp(dim=None)",
    "torch.softmax(x, 'a')", "torch.softmax(x, dim='a')", "x.softmax('a')", "x.softmax(dim='a')",
    "torch.cumsum(x, None)", "torch.cumsum(x, dim=None)", "x.cumsum(None)", "x.cumsum(dim=None)",
    "x.flip('a')", "torch.flip(x, 'a')", "x.reshape('a')", "torch.reshape(x, 'a')",
    "torch.transpose(x, 'a', 1)", "x.transpose(0, 'a')", "x.transpose(dim0=0, dim1='a')",
    "torch.unsqueeze(x, 'a')", "x.unsqueeze(1.5)", "x.unsqueeze(dim=1.5)",
    "torch.cat([x, x], 'a')", "torch.cat([x, x], dim='a')", "torch.stack([x, x], 'a')", "torch.stack([x, x], dim='a')",
    "torch.permute(x, 'a')", "x.permute(0, 'a')", "x.permute('a')", "torch.t(x, 1)",
    "torch.add(x, 'a')", "torch.add(x, other='a')", "x.add('a')", "x.mul(None)", "torch.sub(x, object())",
    "torch.maximum(x, 2)", "x.maximum(2)", "x.maximum(other=2)", "torch.matmul(x, 2)", "x.matmul(2)",
]


# a dim of the wrong type, for each reduction and each way of writing the call: PyTorch's parser
# names the one overload the argument count allows, else lists them all, with its reasons
REDUCTIONS = ("sum", "mean", "prod", "var", "std", "amax", "amin", "logsumexp")
DIM_FORMS = ("torch.{op}(x, 'a')", "torch.{op}(x, dim=1.5)", "x.{op}('a')", "x.{op}(dim=1.5)",
             "torch.{op}(x, (0, 'a'))", "x.{op}([0, 1.5])", "torch.{op}(x, 'a', keepdim=True)",
             "x.{op}('a', keepdim=True)",
             "x.{op}(dim=1.5, keepdim=True)", "torch.{op}(x, None, True)", "torch.{op}(x, keepdim=True)",
             "x.{op}(keepdim=True)", "torch.{op}(input=x, dim='a')")
DIM_CALLS = [form.format(op=op) for op in REDUCTIONS for form in DIM_FORMS] + [
    "torch.var(x, True, True)", "torch.var(x, 0, True, correction=1)", "x.std(0, True, correction=1)",
    "x.var(True, True)", "x.std('a', True, True)", "x.std(0, 'a', True)", "torch.prod(x, (0, 1))", "x.prod(None)",
    "torch.std(x, 'a', True, True)",
]
# required arguments left out: PyTorch's parser words it (its "argument"/"arguments" the wrong way
# round), a Python function of torch.nn.functional as Python does
MISSING_CALLS = [
    "torch.softmax(x)", "torch.transpose(x)", "x.transpose()", "x.transpose(0)", "torch.cumsum(x)", "x.reshape()",
    "torch.nn.functional.linear(x)", "torch.nn.functional.mse_loss()", "torch.nn.functional.mse_loss(x)",
    "torch.nn.functional.leaky_relu()", "torch.nn.functional.cross_entropy(x)", "torch.nn.functional.nll_loss()",
    "torch.nn.functional.binary_cross_entropy(target=x)", "torch.logsumexp(x)", "x.logsumexp(keepdim=True)",
    "torch.narrow(x, 0, 0)", "torch.nn.functional.gelu()",
]


@pytest.mark.parametrize("call", CALLS + DIM_CALLS + MISSING_CALLS)
def test_argument_errors_name_the_position_as_pytorch(call: str) -> None:
    """The engine refuses what PyTorch refuses, with its words; what PyTorch takes (``sum(x, None, True)``) it takes."""
    outcomes = []
    for lib in (torch, engine):
        try:
            eval(call, {"torch": lib, "x": lib.ones(2, 3)})  # noqa: S307 - the test's own literal calls
            outcomes.append("no error")
        except TypeError as exc:
            outcomes.append(f"TypeError: {exc}")
    assert outcomes[1] == outcomes[0]
    if call in CALLS:
        assert outcomes[0] != "no error"


def test_rewording_touches_only_the_ops_own_argument_errors() -> None:
    from engine.ops.registry import REGISTRY, reword_for_call

    op = REGISTRY["softmax"]
    other = engine.ArgumentError("cumsum(): argument 'dim' (position 2) must be int, not str")
    reword_for_call(other, op, (None,), {"dim": "a"}, True)  # another op's words: left alone
    assert str(other) == "cumsum(): argument 'dim' (position 2) must be int, not str"
    mine = engine.ArgumentError("softmax(): argument 'dim' (position 2) must be int, not str")
    reword_for_call(mine, op, (None, "a"), {}, False)  # function form, positional: as worded
    assert str(mine) == "softmax(): argument 'dim' (position 2) must be int, not str"


# int arguments as PyTorch's parser reads them: a NumPy integer or a one-element integer tensor
# is an int (it has ``__index__``), a NumPy float or a bool is not (and is named as PyTorch names it)
INDEX_CALLS = [
    "x.sum(np.int64(0))", "x.sum(dim=np.int32(1))", "x.sum((np.int64(0), 1))", "x.mean(np.int64(-1))",
    "x.sum(torch.tensor(0))", "x.sum([torch.tensor(1)])", "x.var(np.int64(0), correction=np.int64(1))",
    "x.amax(np.int64(0))", "x.logsumexp(np.int64(0))", "x.cumsum(np.int64(1))", "x.softmax(np.int64(1))",
    "torch.ones(np.int64(2))", "torch.ones((np.int64(2), 3))", "x.reshape(np.int64(3), 2)",
    "x.reshape((np.int64(3), np.int64(2)))", "x.transpose(np.int64(0), 1)", "x.unsqueeze(np.int64(0))",
    "x.flatten(np.int64(0))", "x.narrow(0, np.int64(0), 1)", "x.squeeze(np.int64(0))", "x.flip(np.int64(0))",
    "x.permute(np.int64(1), 0)", "x.repeat(np.int64(2), 1)", "x.expand(np.int64(2), 3)",
    "torch.cat([x, x], np.int64(0))", "torch.stack([x, x], np.int64(0))", "x.round(decimals=np.int64(1))",
    "x.norm(p=np.int64(2))", "torch.full((2,), np.int64(3))", "x[np.int64(1)]",
    "x.sum(np.float64(0))", "x.sum(True)", "x.sum((0, np.float64(1)))", "x.cumsum(np.float64(1))",
    "x.softmax(np.float32(1))", "x.reshape(np.float64(6))", "x.unsqueeze(np.float64(0))", "x.sum(torch.tensor(0.0))",
    # NumPy scalars as operands are wrapped numbers, as Python's are
    "torch.ones(2, dtype=torch.int64) * np.float64(2)", "np.float64(2) * x", "x.double() * np.float32(2)",
    "torch.ones(2, dtype=torch.int64) + np.int64(2)", "x.clamp(np.int64(0), np.float64(0.5))", "x.pow(np.float64(2))",
    # a number that does not fit the dtype it is converted to; F.softmax words dim as the method it calls
    "x.clamp(max=1e40)", "torch.where(x > 0, 1e40, x)", "x.long().clamp(max=1e40)", "x.double().clamp(max=1e40)",
    "torch.nn.functional.softmax(x, 'a')", "torch.nn.functional.log_softmax(x, 1.0)",
]


@pytest.mark.parametrize("call", INDEX_CALLS)
def test_int_arguments_take_what_pytorch_takes(call: str) -> None:
    import numpy as np

    outcomes: list[Any] = []
    values = []
    for lib in (torch, engine):
        try:
            r = eval(call, {"torch": lib, "np": np, "x": lib.arange(6.0).reshape(2, 3)})  # noqa: S307
            outcomes.append((tuple(r.shape), str(r.dtype).split(".")[-1]))
            values.append(r.detach().numpy())
        except (TypeError, IndexError, RuntimeError) as exc:
            outcomes.append(str(exc))
    assert outcomes[1] == outcomes[0]
    if len(values) == 2:
        np.testing.assert_allclose(values[1], values[0], rtol=1e-6)


@pytest.mark.parametrize("call", ["x + 1j", "torch.mul(x, 2j)", "x * np.complex64(1)", "x - 1j"])
def test_complex_scalars_are_refused_not_truncated(call: str) -> None:
    """PyTorch computes a complex result; the engine has no complex dtype and says so (it used to drop the
    imaginary part silently)."""
    import numpy as np

    with pytest.raises(engine.UnsupportedError, match="complex numbers are not supported"):
        eval(call, {"torch": engine, "np": np, "x": engine.ones(2)})  # noqa: S307


BIG_INT_CALLS = [
    # beyond int64 and uint64 PyTorch's parser refuses a Python int; a float op takes a uint64 as it is
    "x + 2**64", "x * 2**70", "2**70 - x", "x == 2**64", "x + (-2**63 - 1)", "x * (-2**70)", "x.pow(2**64)",
    "x.clamp(max=2**70)", "x.clamp(min=-2**70)", "torch.where(x > 0, x, 2**64)", "torch.where(x > 0, x, -2**70)",
    "torch.full((2,), 2**64)", "torch.full((2,), -2**70)", "x.fill_(2**70)", "x + 2**63", "x * (2**64 - 1)",
    # an integer tensor's op wraps the number to its own dtype (a C++ cast), where NumPy refuses
    "i + 2**63", "i * (2**64 - 1)", "i == 2**64 - 1", "i + (-2**63 - 1)", "i32 * 2**40", "i32 * (2**31 + 1)",
    "i32 == 2**32 + 3", "i32 + (-2**40 - 5)", "i32 // (2**32 + 2)", "i32 % (2**33 + 7)", "i32 < 2**40", "i32 - 2**35",
    "b + 2**40", "i.pow(2**40)", "i32.clamp(max=2**40)",
]


@pytest.mark.parametrize("call", BIG_INT_CALLS)
def test_python_ints_beyond_int64_as_pytorch(call: str) -> None:
    outcomes = []
    for lib in (torch, engine):
        names = {"torch": lib, "x": lib.ones(2), "i": lib.full((2,), 3, dtype=lib.int64),
                 "i32": lib.full((2,), 3, dtype=lib.int32), "b": lib.ones(2, dtype=lib.bool)}
        try:
            r = eval(call, names)  # noqa: S307
            outcomes.append((str(r.dtype).split(".")[-1], r.tolist()))
        except (OverflowError, RuntimeError) as exc:
            outcomes.append(("raised", isinstance(exc, OverflowError), str(exc)))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("code", [
    "torch.ones(2, 3).argmax(0, True, 1)",
    "torch.argmax(torch.ones(2, 3), 0, True, 1)",
    "torch.ones(2, 3).select(1, 0, 2)",
    "torch.ones(2, 3).argmax('a')",
    "torch.ones(2, 3).select(1)",
])
def test_a_methods_argument_counts_leave_out_self(code: str) -> None:
    """PyTorch's parser counts a method's positional arguments from the one after self."""
    assert run_snippet(engine, code) == run_snippet(torch, code)
