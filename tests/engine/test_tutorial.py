"""PyTorch's gradient tutorial, run verbatim with ``import engine as torch``.

The tutorial (shared/seeds/000_ee5f944fe1837e76.txt, "PyTorch Fundamentals - Gradients") is
a notebook: each cell below is its code, unchanged. A cell runs as a notebook runs it: its
statements execute, and a bare expression on its last line shows its ``repr``. Each cell's
output (what it printed and showed) is compared three ways:

- with the same cell under real PyTorch 2.13: the same text, character for character;
- with what the tutorial shows: the same numbers and flags. The tutorial was written with
  an old PyTorch that printed ``tensor([ 1., 1.])`` and no ``requires_grad=True`` or
  ``grad_fn=<...>``; today's PyTorch prints ``tensor([1., 1.], requires_grad=True)``, and
  so does the engine, so against the tutorial only the values are compared.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from typing import Any

import pytest

# The tutorial's code cells, verbatim (its comment lines as it has them).
CELLS = [
    "import torch\n\na = torch.ones((2, 2), requires_grad=True)\na",
    "a.requires_grad",
    "# Normal way of creating gradients\na = torch.ones((2, 2))\n\n# Requires gradient\na.requires_grad_()\n\n"
    "# Check if requires gradient\na.requires_grad",
    "# Not a variable\nno_gradient = torch.ones(2, 2)",
    "no_gradient.requires_grad",
    "# Behaves similarly to tensors\nb = torch.ones((2, 2), requires_grad=True)\nprint(a + b)\nprint(torch.add(a, b))",
    "print(a * b)\nprint(torch.mul(a, b))",
    "x = torch.ones(2, requires_grad=True)\nx",
    "y = 5 * (x + 1) ** 2\ny",
    "o = (1/2) * torch.sum(y)\no",
    "o.backward()",
    "x.grad",
    "print(x.requires_grad)\nprint(y.requires_grad)\nprint(o.requires_grad)",
]

# What the tutorial shows after each cell (old PyTorch's print format).
TUTORIAL_OUTPUT = [
    "tensor([[ 1., 1.], [ 1., 1.]])",
    "True",
    "True",
    "",
    "False",
    "tensor([[ 2., 2.], [ 2., 2.]]) tensor([[ 2., 2.], [ 2., 2.]])",
    "tensor([[ 1., 1.], [ 1., 1.]]) tensor([[ 1., 1.], [ 1., 1.]])",
    "tensor([ 1., 1.])",
    "tensor([ 20., 20.])",
    "tensor(20.)",
    "",
    "tensor([ 10., 10.])",
    "True True True",
]

# What PyTorch 2.13 prints for the same cells (pinned, so a change in either is visible).
PYTORCH_213_OUTPUT = [
    "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n",
    "True\n",
    "True\n",
    "",
    "False\n",
    "tensor([[2., 2.],\n        [2., 2.]], grad_fn=<AddBackward0>)\n" * 2,
    "tensor([[1., 1.],\n        [1., 1.]], grad_fn=<MulBackward0>)\n" * 2,
    "tensor([1., 1.], requires_grad=True)\n",
    "tensor([20., 20.], grad_fn=<MulBackward0>)\n",
    "tensor(20., grad_fn=<MulBackward0>)\n",
    "",
    "tensor([10., 10.])\n",
    "True\nTrue\nTrue\n",
]


def run_notebook(cells: list[str], library: str) -> list[str]:
    """Run the cells in one namespace, as a notebook does; return each cell's output.

    ``library`` is what ``import torch`` gives: ``"engine"`` or ``"torch"``. A bare
    expression ending a cell is shown with ``repr``, as a notebook shows it.
    """
    namespace: dict[str, Any] = {"__name__": "__tutorial__"}
    outputs = []
    for cell in cells:
        source = cell.replace("import torch", "import engine as torch") if library == "engine" else cell
        tree = ast.parse(source)
        shown = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(tree, "<tutorial>", "exec"), namespace)  # noqa: S102 - the tutorial, in a test
            if shown is not None:
                value = eval(compile(ast.Expression(shown.value), "<tutorial>", "eval"), namespace)  # noqa: S307
                if value is not None:
                    print(repr(value))
        outputs.append(buffer.getvalue())
    return outputs


_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")


def values(text: str) -> list[Any]:
    """The numbers and flags a cell's output shows, in order (formatting and grad_fn names aside)."""
    text = re.sub(r"grad_fn=<\w+>", "", text).replace("requires_grad=True", "")
    found: list[Any] = []
    for token in re.findall(r"True|False|" + _NUMBER.pattern, text):
        found.append(token == "True" if token in ("True", "False") else float(token))
    return found


@pytest.fixture(scope="module")
def engine_output() -> list[str]:
    return run_notebook(CELLS, "engine")


@pytest.fixture(scope="module")
def torch_output() -> list[str]:
    return run_notebook(CELLS, "torch")


@pytest.mark.parametrize("cell", range(len(CELLS)))
def test_cell_prints_what_pytorch_prints(cell: int, engine_output: list[str], torch_output: list[str]) -> None:
    assert engine_output[cell] == torch_output[cell], f"cell {cell}:\n{CELLS[cell]}"


@pytest.mark.parametrize("cell", range(len(CELLS)))
def test_cell_shows_the_tutorials_values(cell: int, engine_output: list[str]) -> None:
    assert values(engine_output[cell]) == values(TUTORIAL_OUTPUT[cell]), f"cell {cell}:\n{CELLS[cell]}"


def test_pytorch_213_prints_as_pinned(torch_output: list[str]) -> None:
    assert torch_output == PYTORCH_213_OUTPUT
