"""Property tests: gradients of random graphs against central finite differences.

Hypothesis draws small programs: one to three float64 leaves of shapes that broadcast
together (and a 3×3 weight for ``matmul``), then up to six ops, each applied to earlier
values. The ops are smooth (no kinks), kept bounded (``exp`` and ``pow`` of a ``tanh``,
division by ``1.5 + tanh``), so that central differences with eps = 1e-6 are accurate.
The program's output is a weighted sum of its last value. Checked:

- first order: ``autograd.grad`` against central differences of the output;
- second order: the gradient of ``sum(grad · v)`` (built with ``create_graph=True``)
  against central differences of that same first-order quantity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine

EPS = 1e-6
FULL = (2, 3)
SHAPES = [(), (3,), (1, 3), (2, 1), (2, 3)]
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _safe_div(a: Any, b: Any) -> Any:
    return a / (1.5 + engine.tanh(b))


# name -> (arity, function on engine tensors); every result broadcasts against FULL
UNARY: dict[str, Callable[..., Any]] = {
    "tanh": lambda a: engine.tanh(a),
    "exp": lambda a: engine.exp(engine.tanh(a)),
    "sin": lambda a: engine.sin(a),
    "pow2": lambda a: a**2,
    "pow3": lambda a: engine.tanh(a) ** 3,
    "sum_all": lambda a: a.sum(),
    "sum_rows": lambda a: a.sum(-1, keepdim=True) if a.ndim else a.sum(),
    "mean_all": lambda a: a.mean(),
    "mean_cols": lambda a: a.mean(0, keepdim=True) if a.ndim == 2 else a.mean(),
    "neg_scale": lambda a: -0.5 * a,
}
BINARY: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": _safe_div,
}
NEEDS = {"tanh": "tanh", "exp": "exp", "sin": "sin", "mean_all": "mean", "mean_cols": "mean", "pow2": "pow",
         "pow3": "pow", "div": "div"}
UNARY = {k: f for k, f in UNARY.items() if NEEDS.get(k, "sum") in engine.REGISTRY and "tanh" in engine.REGISTRY}
BINARY = {k: f for k, f in BINARY.items() if NEEDS.get(k, "add") in engine.REGISTRY and "tanh" in engine.REGISTRY}
HAS_MATMUL = "matmul" in engine.REGISTRY


@st.composite
def programs(draw: Any) -> dict[str, Any]:
    """Leaves (shapes and a seed for their values) and a list of steps over earlier values."""
    shapes = draw(st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3))
    usable = list(range(len(shapes)))  # the values an op may read (not the matmul weight)
    n_values = len(shapes) + (1 if HAS_MATMUL else 0)
    steps: list[tuple[Any, ...]] = []
    kinds = ["unary", "binary"] + (["matmul"] if HAS_MATMUL else [])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(kinds))
        pick = st.sampled_from(usable)
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), draw(pick)))
        elif kind == "binary":
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), draw(pick), draw(pick)))
        else:
            steps.append(("matmul", draw(st.booleans()), draw(pick)))
        usable.append(n_values)
        n_values += 1
    return {"shapes": shapes, "seed": draw(st.integers(0, 2**32 - 1)), "steps": steps}


def leaves_of(program: dict[str, Any]) -> list[np.ndarray]:
    rng = np.random.default_rng(program["seed"])
    arrays = [rng.uniform(-1.5, 1.5, s) for s in program["shapes"]]
    if HAS_MATMUL:
        arrays.append(rng.uniform(-1.0, 1.0, (3, 3)))  # the weight matmul multiplies by
    return arrays


def evaluate(program: dict[str, Any], leaves: list[Any]) -> Any:
    """The program's scalar output from the leaf tensors."""
    values = list(leaves)
    weight = values[-1] if HAS_MATMUL else None
    for step in program["steps"]:
        if step[0] == "unary":
            values.append(UNARY[step[1]](values[step[2]]))
        elif step[0] == "binary":
            values.append(BINARY[step[1]](values[step[2]], values[step[3]]))
        else:  # x (broadcast to 2x3) @ W, or (W @ x^T)^T
            x = values[step[2]].expand(*FULL)
            y = engine.matmul(x, weight) if step[1] else engine.matmul(weight, x.transpose(0, 1)).transpose(0, 1)
            values.append(y)
    rng = np.random.default_rng(program["seed"] + 1)
    c = engine.tensor(rng.uniform(-1.0, 1.0, FULL), dtype=engine.float64)
    return (values[-1] * c).sum()


def leaf_tensors(arrays: list[np.ndarray]) -> list[Any]:
    return [engine.tensor(a, dtype=engine.float64, requires_grad=True) for a in arrays]


def central_differences(f: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray]) -> list[np.ndarray]:
    """d f / d each element of each array, by (f(x + eps) - f(x - eps)) / (2 eps)."""
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += EPS
            minus[i][idx] -= EPS
            g[idx] = (f(plus) - f(minus)) / (2 * EPS)
        grads.append(g)
    return grads


def first_order(program: dict[str, Any], arrays: list[np.ndarray]) -> list[np.ndarray]:
    xs = leaf_tensors(arrays)
    out = evaluate(program, xs)
    if not out.requires_grad:
        return [np.zeros_like(a) for a in arrays]
    grads = engine.autograd.grad(out, xs, allow_unused=True)
    return [np.zeros_like(a) if g is None else g.numpy() for g, a in zip(grads, arrays, strict=True)]


def _value(program: dict[str, Any], arrays: list[np.ndarray]) -> float:
    with engine.no_grad():
        return float(evaluate(program, [engine.tensor(a, dtype=engine.float64) for a in arrays]).item())


@pytest.mark.skipif(not UNARY or not BINARY, reason="the ops these graphs use are not registered yet")
@SETTINGS
@given(programs())
def test_first_order_gradients_match_finite_differences(program: dict[str, Any]) -> None:
    arrays = leaves_of(program)
    engine_grads = first_order(program, arrays)
    numeric = central_differences(lambda xs: _value(program, xs), arrays)
    for i, (g, n) in enumerate(zip(engine_grads, numeric, strict=True)):
        np.testing.assert_allclose(g, n, rtol=1e-5, atol=1e-6, err_msg=f"leaf {i} of {program}")


@pytest.mark.skipif(not UNARY or not BINARY, reason="the ops these graphs use are not registered yet")
@SETTINGS
@given(programs())
def test_second_order_gradients_match_finite_differences(program: dict[str, Any]) -> None:
    arrays = leaves_of(program)
    rng = np.random.default_rng(program["seed"] + 2)
    directions = [rng.uniform(-1.0, 1.0, a.shape) for a in arrays]

    def directional(xs_arrays: list[np.ndarray]) -> float:
        """sum_i grad_i · v_i, with the engine's first-order gradient."""
        grads = first_order(program, xs_arrays)
        return float(sum(np.sum(g * v) for g, v in zip(grads, directions, strict=True)))

    xs = leaf_tensors(arrays)
    out = evaluate(program, xs)
    if out.requires_grad:
        grads = engine.autograd.grad(out, xs, create_graph=True, allow_unused=True)
        terms = [(g * engine.tensor(v)).sum() for g, v in zip(grads, directions, strict=True)
                 if g is not None and g.requires_grad]
    else:
        terms = []
    if terms:
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        second = engine.autograd.grad(total, xs, allow_unused=True)
        engine_second = [np.zeros_like(a) if g is None else g.numpy() for g, a in zip(second, arrays, strict=True)]
    else:  # the gradient is constant: the second derivative is zero
        engine_second = [np.zeros_like(a) for a in arrays]
    numeric = central_differences(directional, arrays)
    for i, (g, n) in enumerate(zip(engine_second, numeric, strict=True)):
        np.testing.assert_allclose(g, n, rtol=1e-4, atol=1e-5, err_msg=f"leaf {i} of {program}")
