"""How tensors meet Python: operators with foreign operands, scalar conversions, Python types as
dtypes, ``x.T``'s deprecation, ``as_tensor``'s sharing, against PyTorch.

Each expression is evaluated under ``torch`` and under ``engine``: the value's repr, the
warnings' messages, or the error's message must match (PyTorch's "(Triggered internally at
...)" suffix aside).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import run_snippet

EXPRESSIONS = [
    # a TypeError in an operator is NotImplemented: Python compares by identity, or words the error
    "torch.ones(2) == None", "torch.ones(2) != 'a'", "torch.ones(2) < 'a'", "torch.ones(2) + None",
    "None + torch.ones(2)", "torch.tensor([1.]) / None", "'a' / torch.tensor([2.])", "2 / torch.tensor([2.])",
    "torch.tensor([1.]).__iadd__('a')",
    "torch.tensor(1., requires_grad=True) * 2 == None", "torch.ones(2) @ 'a'",
    # scalar conversions
    "float(torch.tensor([1., 2.]))", "int(torch.tensor([]))", "bool(torch.tensor([]))", "bool(torch.tensor([1., 2.]))",
    "float(torch.tensor([2.5]))", "int(torch.tensor(3.7))",
    # Python's types as dtypes
    "torch.ones(2, dtype=float).dtype", "torch.ones(2, dtype=int).dtype", "torch.ones(2, dtype=bool).dtype",
    "torch.tensor([1, 2]).to(float)", "torch.tensor([1.5, 2.]).to(int)", "torch.tensor([0., 2.]).to(bool)",
    "torch.zeros(2, dtype=float).dtype", "torch.tensor([1], dtype=float)",
    "torch.ones(2, 2).T",
    # Tensor.type: the legacy names
    "torch.ones(2).type()", "torch.ones(2, dtype=torch.bool).type()", "torch.ones(2).type(torch.float64)",
    "torch.ones(2).type('torch.LongTensor')", "torch.ones(2).type('torch.FooTensor')", "torch.ones(2).type('float64')",
    # Tensor.where, set_grad_enabled's repr
    "torch.tensor([1., 2.]).where(torch.tensor([True, False]), 0.)", "repr(torch.set_grad_enabled(True))",
]


def _outcome(lib: Any, expression: str) -> tuple[str, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            shown = repr(eval(expression, {"torch": lib}))  # noqa: S307 - the test's own expressions
        except (RuntimeError, TypeError, ValueError) as exc:
            shown = f"raised: {exc}"
    return shown, [str(w.message).split(" (Triggered internally at")[0] for w in caught]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_as_pytorch(expression: str) -> None:
    assert _outcome(engine, expression) == _outcome(torch, expression)


def test_as_tensor_shares_a_numpy_array() -> None:
    """As PyTorch: the same dtype on the CPU shares memory; another dtype copies."""
    for lib in (torch, engine):
        a = np.array([1.0, 2.0])
        shared, copied = lib.as_tensor(a), lib.as_tensor(a, dtype=lib.float32)
        a[0] = 5.0
        assert shared.tolist() == [5.0, 2.0]
        assert copied.tolist() == [1.0, 2.0]
        assert shared.dtype == lib.float64 and copied.dtype == lib.float32


def test_a_leaf_set_to_not_require_grad_gets_no_grad() -> None:
    """PyTorch's AccumulateGrad skips a leaf that no longer requires grad when backward runs."""
    for lib in (torch, engine):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = (x * w).sum()
        x.requires_grad_(False)
        y.backward()
        assert x.grad is None
        assert w.grad.tolist() == [1.0, 2.0]


# PyTorch warns these once per process (TORCH_WARN_ONCE), so its words are written here
T_ON_0D = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
T_NOT_2D = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will throw "
    "an error in a future release. Consider `x.mT` to transpose batches of matrices or "
    "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor."
)


@pytest.mark.parametrize(("expression", "warning"), [
    ("torch.tensor(2.).T", T_ON_0D), ("torch.ones(3).T", T_NOT_2D), ("torch.ones(2, 3, 4).T", T_NOT_2D),
])
def test_transpose_beyond_matrices_warns_as_pytorch(expression: str, warning: str) -> None:
    shown, warned = _outcome(engine, expression)
    assert shown == _outcome(torch, expression)[0]
    assert warned == [warning]


def test_warnings_point_at_the_callers_line() -> None:
    """As PyTorch's: the line that called into the engine, not an engine file (nor ``sys:1``, where
    a fixed stacklevel landed once the engine runs compiled and leaves no Python frames)."""
    x = engine.ones(3, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (x * 2).grad  # noqa: B018 - the access warns
        x.detach().T  # noqa: B018
        engine.nn.functional.softmax(x.detach())
        (x * 2).sum().backward(create_graph=True)
    assert len(caught) == 4
    assert {w.filename for w in caught} == {__file__}


# pickle, copy.copy and copy.deepcopy as PyTorch's: values, dtype and requires_grad travel; a pickled
# non-leaf comes back a leaf; deepcopy copies .grad and keeps views copied together views of one copy
COPY_SNIPPETS = [
    "x = torch.ones(2, requires_grad=True); x.grad = torch.ones(2); z = pickle.loads(pickle.dumps(x))\n"
    "print(z, z.is_leaf, z.grad, z.dtype)",
    "x = torch.ones(2, requires_grad=True); z = pickle.loads(pickle.dumps(x * 2)); print(z, z.is_leaf, z.grad_fn)",
    "b = torch.arange(6.); z = pickle.loads(pickle.dumps((b, b[1:], b.view(2, 3).t()))); z[1].add_(1); print(z)",
    "print(pickle.loads(pickle.dumps(torch.tensor(3.5, dtype=torch.float64))), "
    "pickle.loads(pickle.dumps(torch.arange(3, dtype=torch.int32))))",
    "x = torch.ones(3); y = copy.copy(x); y.add_(1); print(x, y)",
    "x = torch.ones(3, requires_grad=True); x.grad = torch.ones(3); y = copy.copy(x); print(y, y.grad, y.is_leaf)",
    "x = torch.ones(3, requires_grad=True); x.grad = torch.full((3,), 2.); y = copy.deepcopy(x)\n"
    "print(y, y.grad, y.grad is x.grad, y is x)",
    "b = torch.arange(4.); v = b[1:]; t = copy.deepcopy((b, v)); t[1].add_(10); print(t, b)",
    "b = torch.arange(4.); v = b.view(2, 2).t(); t = copy.deepcopy((v, b)); t[0][0].add_(10); print(t)",
    "x = torch.ones(2, requires_grad=True); d = {}; print(copy.deepcopy(x, d) is copy.deepcopy(x, d))",
    "x = torch.ones(2, requires_grad=True); copy.deepcopy(x * 2)",
]


@pytest.mark.parametrize("code", COPY_SNIPPETS)
def test_pickle_and_copy_as_pytorch(code: str) -> None:
    code = "import copy, pickle\n" + code
    assert run_snippet(engine, code) == run_snippet(torch, code)
