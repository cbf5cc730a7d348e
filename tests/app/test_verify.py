# ruff: noqa: A006 - an op's forward names its tensor parameter `input`, as PyTorch does
"""Gradient verification: POST /v1/gradcheck and "verify" on /v1/evaluate.

Correct gradients pass (float32 requests are checked in float64); deliberately wrong ones,
from test-only ops registered by a fixture, are flagged; order 2, tolerances, NaN handling,
errors and the budget.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.service import plan as plan_module
from app.service.errors import LimitExceeded
from app.service.evaluate import plan_request
from app.service.execute import run_plan
from app.service.limits import Limits
from app.service.verify import check_evaluation_cost, prepare, verify_evaluation
from engine.ops._helpers import same_shape, unary_float
from engine.ops.registry import REGISTRY, Op, register

from .conftest import problem_of

X = [-1.3, -0.6, 0.4, 1.1, 0.8, -0.2]
M = [[0.5, -1.2, 0.3], [1.4, 0.2, -0.7]]
N = [[0.9, -0.4], [0.1, 1.3], [-0.6, 0.8]]

# one line per op: (label, extra tensors beside x (6 floats) and A (2x3), B (3x2), expression of the output)
CATALOGUE: list[tuple[str, dict[str, Any], str]] = [
    ("exp", {}, "torch.exp(x)"),
    ("log", {}, "torch.log(x * x + 0.5)"),
    ("sqrt_rsqrt", {}, "torch.sqrt(x * x + 1) + torch.rsqrt(x * x + 1)"),
    ("sin_cos_tan", {}, "torch.sin(x) * torch.cos(x) + torch.tan(x * 0.5)"),
    ("tanh_sigmoid", {}, "torch.tanh(x) + torch.sigmoid(x)"),
    ("pow_div", {}, "x ** 3 / (x * x + 1)"),
    ("abs_relu_away_from_0", {}, "torch.abs(x) + torch.relu(x)"),
    ("activations", {}, "F.gelu(x) + F.silu(x) + F.softplus(x) + F.elu(x) + F.leaky_relu(x, 0.1)"),
    ("softmax", {}, "torch.softmax(A, dim=1)"),
    ("log_softmax", {}, "torch.log_softmax(A, dim=0)"),
    ("logsumexp", {}, "torch.logsumexp(A, dim=1)"),
    ("matmul", {}, "A @ B"),
    ("linear", {}, "F.linear(A, B.T)"),
    ("einsum_outer", {}, "torch.einsum('ij,jk->ik', A, B) + torch.outer(x[:2], x[2:4])"),
    ("sum_mean_prod", {}, "torch.sum(A, dim=0) * torch.mean(A) + torch.prod(x[:3])"),
    ("var_std", {}, "torch.var(A, dim=1) + torch.std(x)"),
    ("norm", {}, "torch.norm(x)"),
    ("cumsum", {}, "torch.cumsum(x, dim=0)"),
    ("amax_unique", {}, "torch.amax(A, dim=1)"),
    ("where_clamp", {}, "torch.where(x > 0, x * x, -x) + torch.clamp(x, min=-1.0, max=1.0)"),
    ("shapes", {}, "A.reshape(3, 2).T.flatten().unsqueeze(0) * 2"),
    ("cat_stack", {}, "torch.cat([x, x * 2]) + torch.stack([x, -x]).sum(dim=0).repeat(2)"),
    ("mse_loss", {"target": {"data": X[::-1]}}, "F.mse_loss(x, target)"),
    ("cross_entropy", {"y": {"data": [2, 0], "dtype": "int64"}}, "F.cross_entropy(A, y)"),
    ("bce", {"target": {"data": [0.0, 1.0, 1.0, 0.0, 1.0, 0.0]}}, "F.binary_cross_entropy(torch.sigmoid(x), target)"),
    ("constants_and_casts", {}, "torch.sum(x.float() * [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) + x.double().sum()"),
    ("trace_mm", {}, "torch.trace(torch.mm(A, B))"),
]


def _body(extra: dict[str, Any], expr: str, **more: Any) -> dict[str, Any]:
    tensors = {"x": {"data": X, "requires_grad": True}, "A": {"data": M, "requires_grad": True},
               "B": {"data": N, "requires_grad": True}, **extra}
    return {"tensors": tensors, "nodes": [{"id": "out", "expr": expr}], "output": "out", **more}


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"bare {name} in the response")

    return json.loads(text, parse_constant=refuse)


def _check(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/gradcheck", json=body)
    assert r.status_code == 200, r.text
    return _strict_json(r.text)


@pytest.mark.parametrize(("label", "extra", "expr"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_catalogue_ops_pass(client: Any, label: str, extra: dict[str, Any], expr: str) -> None:
    out = _check(client, _body(extra, expr))
    assert out["passed"] is True, out
    assert set(out["verify"]) == {"x", "A", "B"}
    for entry in out["verify"].values():
        assert entry["passed"] is True and entry["max_abs_error"] <= 1e-5


def test_report_fields_and_defaults(client: Any) -> None:
    out = _check(client, _body({}, "torch.tanh(A @ B)"))
    assert (out["eps"], out["atol"], out["rtol"], out["order"]) == (1e-6, 1e-5, 1e-3, 1)
    assert out["output"] == "out" and out["device"] == "cpu"
    assert set(out["verify"]["A"]) == {"max_abs_error", "max_rel_error", "passed"}


# -- deliberately wrong gradients -------------------------------------------------------------------

def _drop(name: str) -> None:
    op = REGISTRY.pop(name, None)
    for key, value in list(plan_module._METHODS.items()):
        if value is op:
            del plan_module._METHODS[key]
    for key in list(plan_module._NODE_PLANS):
        if name.encode() in key[2]:
            del plan_module._NODE_PLANS[key]


@pytest.fixture
def broken_ops() -> Iterator[None]:
    """Test-only ops with wrong derivatives; removed again (registry and planner caches) after the test.

    (An op's forward names its tensor parameter ``input``, as PyTorch's signatures do.)
    """
    ops = [
        # exp with twice the right derivative
        Op(name="testonly_bad_exp", forward=lambda xp, input: xp.exp(input), shape=same_shape, dtype=unary_float,
           vjp=(lambda g, out, x: g * out * 2.0,), grad_fn="ExpBackward0", doc="test only", saves="output"),
        # exp with a derivative 1e-4 off (relative)
        Op(name="testonly_near_exp", forward=lambda xp, input: xp.exp(input), shape=same_shape, dtype=unary_float,
           vjp=(lambda g, out, x: g * out * 1.0001,), grad_fn="ExpBackward0", doc="test only", saves="output"),
        # x³ whose first derivative is right but not differentiable again (x detached)
        Op(name="testonly_bad_cube", forward=lambda xp, input: input**3, shape=same_shape, dtype=unary_float,
           vjp=(lambda g, out, x: g * (x.detach() ** 2) * 3.0,), grad_fn="PowBackward0", doc="test only"),
    ]
    for op in ops:
        register(op)
    try:
        yield
    finally:
        for op in ops:
            _drop(op.name)


def test_wrong_gradient_is_flagged(client: Any, broken_ops: None) -> None:
    body = {"tensors": {"x": {"data": X, "requires_grad": True}, "w": {"data": X[::-1], "requires_grad": True}},
            "nodes": [{"id": "y", "op": "testonly_bad_exp", "args": ["x"]}, {"id": "out", "expr": "torch.sum(y * w)"}],
            "output": "out"}
    out = _check(client, body)
    assert out["passed"] is False
    assert out["verify"]["x"]["passed"] is False and out["verify"]["x"]["max_rel_error"] > 0.9  # twice: off by 100%
    assert out["verify"]["w"]["passed"] is True  # w's own gradient is right


def test_tolerances(client: Any, broken_ops: None) -> None:
    body = {"tensors": {"x": {"data": X, "requires_grad": True}},
            "nodes": [{"id": "out", "expr": "torch.sum(testonly_near_exp(x))"}], "output": "out"}
    assert _check(client, body)["passed"] is True  # 1e-4 relative: within rtol 1e-3
    out = _check(client, {**body, "rtol": 1e-5, "atol": 0})
    assert out["passed"] is False and out["rtol"] == 1e-5
    assert 5e-5 < out["verify"]["x"]["max_rel_error"] < 2e-4
    bad = {**body, "nodes": [{"id": "out", "expr": "torch.sum(testonly_bad_exp(x))"}]}
    assert _check(client, bad)["passed"] is False
    assert _check(client, {**bad, "rtol": 1.5})["passed"] is True


def test_eps(client: Any) -> None:
    body = _body({}, "torch.exp(x * 2)")
    assert _check(client, body)["passed"] is True
    out = _check(client, {**body, "eps": 0.5})  # a step that size: the central difference is off by ~16%
    assert out["passed"] is False and out["verify"]["x"]["passed"] is False and out["verify"]["A"]["passed"] is True


def test_order_2(client: Any, broken_ops: None) -> None:
    body = {"tensors": {"x": {"data": X, "requires_grad": True}},
            "nodes": [{"id": "out", "expr": "torch.sum(testonly_bad_cube(x))"}], "output": "out"}
    assert _check(client, body)["passed"] is True  # the first derivative is right
    out = _check(client, {**body, "order": 2})
    entry = out["verify"]["x"]
    assert out["passed"] is False and out["order"] == 2
    assert entry["first_order"]["passed"] is True and entry["second_order"]["passed"] is False
    assert entry["passed"] is False and entry["max_abs_error"] == entry["second_order"]["max_abs_error"]
    good = _check(client, {**_body({}, "torch.sum(torch.tanh(A @ B)) * torch.sum(torch.sin(x))"), "order": 2})
    assert good["passed"] is True and good["verify"]["B"]["second_order"]["passed"] is True


def test_nan_is_reported_as_strict_json(client: Any) -> None:
    body = {"tensors": {"x": {"data": [-1.0, 2.0], "requires_grad": True}},
            "nodes": [{"id": "out", "expr": "torch.sum(torch.log(x))"}], "output": "out"}
    out = _check(client, body)
    assert out["passed"] is False
    assert out["verify"]["x"]["max_abs_error"] == "Infinity" and out["verify"]["x"]["max_rel_error"] == "Infinity"
    body["tensors"]["x"]["data"] = ["NaN", 2.0]
    out = _check(client, body)
    assert out["passed"] is False and out["verify"]["x"]["max_abs_error"] == "Infinity"


def test_unused_leaf_and_non_float_leaves(client: Any) -> None:
    body = {"tensors": {"x": {"data": X, "requires_grad": True}, "u": {"data": [1.0], "requires_grad": True},
                        "i": {"data": [0, 2], "dtype": "int64"}},
            "nodes": [{"id": "out", "expr": "torch.sum(x[i] ** 2)"}], "output": "out"}
    out = _check(client, body)
    assert out["passed"] is True and set(out["verify"]) == {"x", "u"}
    assert out["verify"]["u"]["max_abs_error"] == 0.0


def test_errors(client: Any) -> None:
    body = _body({}, "torch.exp(x)")
    p = problem_of(client.post("/v1/gradcheck", json={**body, "output": "nope"}), 422)
    assert p["loc"] == ["output"]
    p = problem_of(client.post("/v1/gradcheck", json={**body, "eps": 0}), 422)
    assert p["loc"] == ["eps"]
    p = problem_of(client.post("/v1/gradcheck", json={**body, "order": 3}), 422)
    assert p["loc"] == ["order"]
    p = problem_of(client.post("/v1/gradcheck", json={"tensors": {"x": {"data": [1.0]}},
                                                      "nodes": [{"id": "y", "expr": "x * 2"}], "output": "y"}), 422)
    assert p["loc"] == ["tensors"]
    assert "gradcheck expects at least one input tensor to require gradient" in p["detail"]


def test_budget() -> None:
    body = {"tensors": {"x": {"factory": "randn", "shape": [2000], "seed": 0, "requires_grad": True}},
            "nodes": [{"id": "out", "expr": "torch.sum(torch.exp(x))"}], "output": "out"}
    prepare(body, Limits())
    with pytest.raises(LimitExceeded, match=r"the gradient check needs about .* FLOPs \(4e\+03 passes"):
        prepare(body, Limits(max_flops=1e6))
    with pytest.raises(LimitExceeded, match="max_total_elements"):
        prepare({**body, "nodes": [{"id": "out", "expr": "torch.exp(x)"}]}, Limits(max_total_elements=1_000_000))


# -- "verify" on /v1/evaluate ---------------------------------------------------------------------

TUTORIAL = {
    "tensors": {"x": {"data": [1, 1], "requires_grad": True}},
    "nodes": [{"id": "y", "expr": "5 * (x + 1) ** 2"}, {"id": "o", "expr": "(1/2) * torch.sum(y)"}],
    "backward": [{"output": "o"}],
}


def _evaluate(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/evaluate", json=body)
    assert r.status_code == 200, r.text
    return _strict_json(r.text)


def test_evaluate_verify(client: Any) -> None:
    plain = _evaluate(client, TUTORIAL)
    assert "verify" not in plain and "passed" not in plain
    out = _evaluate(client, {**TUTORIAL, "verify": True})
    assert out["passed"] is True and set(out["verify"]) == {"x"} and out["verify"]["x"]["passed"] is True
    assert out["tensors"] == plain["tensors"]  # the evaluation itself is untouched (float32, its own numbers)
    out = _evaluate(client, {**TUTORIAL, "verify": True, "order": 2})
    assert out["passed"] is True and out["verify"]["x"]["second_order"]["passed"] is True


def test_evaluate_verify_checks_first_backward_output_else_last_node(client: Any, broken_ops: None) -> None:
    body = {"tensors": {"x": {"data": X, "requires_grad": True}},
            "nodes": [{"id": "good", "expr": "torch.sum(x ** 2)"},
                      {"id": "bad", "expr": "torch.sum(testonly_bad_exp(x))"}],
            "verify": True}
    assert _evaluate(client, body)["passed"] is False  # no backward step: the last node
    assert _evaluate(client, {**body, "backward": [{"output": "good"}]})["passed"] is True
    assert _evaluate(client, {**body, "backward": [{"output": "bad"}, {"output": "good"}]})["passed"] is False


def test_evaluate_verify_unseeded_leaves_and_errors(client: Any) -> None:
    body = {"tensors": {"x": {"factory": "randn", "shape": [3], "requires_grad": True}},
            "nodes": [{"id": "o", "expr": "torch.sum(torch.sin(x) * x)"}], "verify": True}
    assert _evaluate(client, body)["passed"] is True
    p = problem_of(client.post("/v1/evaluate", json={"tensors": {"x": {"data": [1.0], "requires_grad": True}},
                                                     "verify": True}), 422)
    assert p["loc"] == ["verify"]
    p = problem_of(client.post("/v1/evaluate", json={"tensors": {"x": {"data": [1.0]}},
                                                     "nodes": [{"id": "y", "expr": "x * 2"}], "verify": True}), 422)
    assert p["loc"] == ["verify"]


def test_evaluate_verify_budget() -> None:
    body = {"tensors": {"x": {"factory": "randn", "shape": [500], "seed": 1, "requires_grad": True}},
            "nodes": [{"id": "o", "expr": "torch.sum(torch.exp(x))"}], "backward": [{"output": "o"}], "verify": True}
    plan = plan_request(body, Limits())
    result = run_plan(plan)
    assert verify_evaluation(plan, result, Limits())["passed"] is True
    with pytest.raises(LimitExceeded, match="max_flops") as info:
        verify_evaluation(plan, result, Limits(max_flops=1e5))
    assert info.value.loc == ("verify",)
    check_evaluation_cost(plan, Limits())
    with pytest.raises(LimitExceeded, match="max_flops"):
        check_evaluation_cost(plan, Limits(max_flops=1e5))
