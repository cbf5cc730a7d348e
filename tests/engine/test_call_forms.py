"""Argument errors worded for the call as written, as PyTorch's argument parser words them.

Ops word such an error for ``torch.op(input, ...)`` with every argument positional
("argument 'dim' (position 2) must be int"); PyTorch names no position for an argument given
by keyword, and counts a method's positions from the argument after ``self``.
"""

from __future__ import annotations

import pytest
import torch

import engine

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


@pytest.mark.parametrize("call", CALLS)
def test_argument_errors_name_the_position_as_pytorch(call: str) -> None:
    messages = []
    for lib in (torch, engine):
        with pytest.raises(TypeError) as info:
            eval(call, {"torch": lib, "x": lib.ones(2, 3)})  # noqa: S307 - the test's own literal calls
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_rewording_touches_only_the_ops_own_argument_errors() -> None:
    from engine.ops.registry import REGISTRY, reword_for_call

    op = REGISTRY["softmax"]
    other = engine.ArgumentError("cumsum(): argument 'dim' (position 2) must be int, not str")
    reword_for_call(other, op, {"dim": "a"}, True)  # another op's words: left alone
    assert str(other) == "cumsum(): argument 'dim' (position 2) must be int, not str"
    mine = engine.ArgumentError("softmax(): argument 'dim' (position 2) must be int, not str")
    reword_for_call(mine, op, {}, False)  # function form, positional: as worded
    assert str(mine) == "softmax(): argument 'dim' (position 2) must be int, not str"
