"""Diagnostics: where a NaN or infinity first appeared (and the where trap), why a grad is null,
and autograd misuse answered with a machine-readable code and a hint that fixes the request."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

from app.service import diagnose
from app.service.mapping import MISUSES, classify

from .conftest import problem_of


def evaluate(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/evaluate", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def leaf(data: Any, **kw: Any) -> dict[str, Any]:
    return {"data": data, "requires_grad": True, **kw}


def graph(expr: str, x: list[float], **extra: Any) -> dict[str, Any]:
    return {"tensors": {"x": leaf(x)}, "nodes": [{"id": "y", "expr": expr}, {"id": "o", "expr": "y.sum()"}],
            "backward": [{"output": "o"}], **extra}


# -- non-finite tracing ---------------------------------------------------------------------

def test_finite_everywhere_has_no_diagnostics(client: Any) -> None:
    body = evaluate(client, graph("sqrt(x) * 2", [1.0, 4.0]))
    assert "diagnostics" not in body or body["diagnostics"] is None


def test_log_of_zero_forward_and_backward(client: Any) -> None:
    body = evaluate(client, graph("log(x) + 1", [0.0, 1.0]))
    # the oracle: the same numbers as PyTorch
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    (torch.log(x) + 1).sum().backward()
    assert body["tensors"]["x"]["grad"] == ["Infinity", 1.0] and x.grad.tolist() == [float("inf"), 1.0]
    d = body["diagnostics"]
    assert d["non_finite"] == {"x": ["grad"], "y": ["data"], "o": ["data"]}
    fwd, bwd = d["origins"]
    assert (fwd["pass"], fwd["node"], fwd["op"], fwd["grad_fn"], fwd["loc"]) == ("forward", "y", "log", "LogBackward0",
                                                                                 ["nodes", 0])
    assert fwd["inputs"] == [{"arg": "input", "name": "x", "shape": [2], "dtype": "float32", "min": 0.0, "max": 1.0,
                              "has_nan": False, "has_inf": False}]
    assert fwd["output"]["has_inf"] and not fwd["output"]["has_nan"] and fwd["output"]["count"] == 1
    assert (bwd["pass"], bwd["node"], bwd["op"], bwd["grad_fn"], bwd["step"]) == ("backward", "y", "log",
                                                                                  "LogBackward0", 0)
    assert bwd["inputs"][0]["min"] == 0.0 and bwd["grad_output"]["min"] == 1.0
    assert "where_trap" not in bwd


def test_zero_over_zero(client: Any) -> None:
    body = evaluate(client, {"tensors": {"a": leaf([0.0, 2.0]), "b": leaf([0.0, 1.0])},
                             "nodes": [{"id": "q", "op": "div", "args": ["a", "b"]}, {"id": "o", "expr": "q.sum()"}],
                             "backward": [{"output": "o"}]})
    fwd, bwd = body["diagnostics"]["origins"]
    assert (fwd["pass"], fwd["node"], fwd["op"], fwd["grad_fn"]) == ("forward", "q", "div", "DivBackward0")
    assert fwd["output"]["has_nan"] and [i["name"] for i in fwd["inputs"]] == ["a", "b"]
    assert (bwd["pass"], bwd["op"], bwd["grad_fn"]) == ("backward", "div", "DivBackward0")
    assert "div" in body["diagnostics"]["message"]


def test_sqrt_at_zero_is_a_backward_origin(client: Any) -> None:
    body = evaluate(client, graph("sqrt(x)", [0.0, 4.0]))
    assert body["tensors"]["x"]["grad"] == ["Infinity", 0.25]
    d = body["diagnostics"]
    assert d["non_finite"] == {"x": ["grad"]}  # every forward value is finite
    (bwd,) = d["origins"]
    assert (bwd["pass"], bwd["node"], bwd["op"], bwd["grad_fn"]) == ("backward", "y", "sqrt", "SqrtBackward0")
    assert bwd["inputs"][0]["name"] == "x" and bwd["inputs"][0]["min"] == 0.0
    assert bwd["output"]["has_inf"] and bwd["output"]["input"] == "input"
    assert "where_trap" not in bwd


def test_origin_inside_an_expression_names_the_inline_op(client: Any) -> None:
    body = evaluate(client, {"tensors": {"x": leaf([1.0, 2.0])},
                             "nodes": [{"id": "y", "expr": "exp(x * 0) * log(x - 1) + 3"},
                                       {"id": "o", "expr": "y.sum()"}],
                             "backward": [{"output": "o"}]})
    fwd = body["diagnostics"]["origins"][0]
    assert (fwd["node"], fwd["op"]) == ("y", "log")
    assert fwd["inputs"][0]["min"] == 0.0 and "name" not in fwd["inputs"][0]  # an anonymous input, x - 1


@pytest.mark.parametrize("branch", ["sqrt(x)", "log(x)"])
def test_the_where_trap(client: Any, branch: str) -> None:
    body = evaluate(client, graph(f"where(x > 0, {branch}, 0.0)", [-1.0, 0.0, 4.0]))
    x = torch.tensor([-1.0, 0.0, 4.0], requires_grad=True)
    fn = getattr(torch, branch.split("(")[0])
    torch.where(x > 0, fn(x), 0.0).sum().backward()
    expected = ["NaN" if torch.isnan(v) else v.item() for v in x.grad]
    assert body["tensors"]["x"]["grad"] == expected and expected[1] == "NaN"  # at x = 0: 0 × inf
    d = body["diagnostics"]
    assert d["non_finite"] == {"x": ["grad"]}  # y = where(...) itself is finite
    (bwd,) = d["origins"]
    assert bwd["pass"] == "backward" and bwd["op"] == branch.split("(")[0] and bwd["node"] == "y"
    trap = bwd["where_trap"]
    assert trap["where"] == "y"
    assert "0 × inf = NaN" in trap["explanation"]
    assert "double where" in trap["fix"] and "where(cond, x, 1.0)" in trap["fix"]
    assert "where trap" in d["message"]


def test_the_double_where_fix_is_finite(client: Any) -> None:
    body = evaluate(client, graph("where(x > 0, sqrt(where(x > 0, x, 1.0)), 0.0)", [-1.0, 0.0, 4.0]))
    assert body["tensors"]["x"]["grad"] == [0.0, 0.0, 0.25]
    assert body.get("diagnostics") is None


def test_where_trap_through_named_nodes_and_a_chain(client: Any) -> None:
    body = evaluate(client, {"tensors": {"x": leaf([-4.0, 9.0])},
                             "nodes": [{"id": "r", "expr": "sqrt(x) * 3"},
                                       {"id": "y", "op": "where", "args": [{"op": "gt", "args": ["x", 0]}, "r", 0.0]},
                                       {"id": "o", "expr": "y.sum()"}],
                             "backward": [{"output": "o"}], "outputs": ["x", "o"]})
    d = body["diagnostics"]
    origins = {o["pass"]: o for o in d["origins"]}
    assert d["non_finite"] == {"x": ["grad"]}
    assert (origins["forward"]["node"], origins["forward"]["op"]) == ("r", "sqrt")  # r's NaN, unreported, found too
    assert origins["backward"]["node"] == "r" and origins["backward"]["where_trap"]["where"] == "y"


def test_a_non_finite_input_is_its_own_origin(client: Any) -> None:
    body = evaluate(client, {"tensors": {"x": leaf([1.0, "NaN"])}, "nodes": [{"id": "y", "expr": "x * 2"}]})
    (fwd,) = body["diagnostics"]["origins"]
    assert (fwd["pass"], fwd["node"], fwd["op"], fwd["loc"]) == ("forward", "x", None, ["tensors", "x"])


def test_a_grad_node_is_traced_inside(client: Any) -> None:
    body = evaluate(client, {"tensors": {"x": leaf([0.0, 1.0])},
                             "nodes": [{"id": "o", "expr": "sqrt(x).sum()"},
                                       {"id": "g", "op": "grad", "args": ["o", "x"]}]})
    (bwd,) = body["diagnostics"]["origins"]
    assert (bwd["pass"], bwd["op"], bwd["grad_fn"], bwd["node"]) == ("backward", "sqrt", "SqrtBackward0", "o")


def test_tracing_changes_nothing_reported(client: Any) -> None:
    """The trace re-runs the graph on its own: values, grads and flags are those of the run itself."""
    req = graph("where(x > 0, log(x), 0.0)", [0.0, 4.0])
    req["backward"].append({"output": "o"})  # accumulates twice
    req["backward"][0]["retain_graph"] = True
    body = evaluate(client, req)
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    o = torch.where(x > 0, torch.log(x), 0.0).sum()
    o.backward(retain_graph=True)
    o.backward()
    got = body["tensors"]["x"]["grad"]
    assert got[0] == "NaN" and got[1] == pytest.approx(x.grad[1].item())
    assert body["diagnostics"]["origins"][0]["step"] == 0


def test_no_cost_when_finite(monkeypatch: Any, client: Any) -> None:
    def boom(*a: Any, **k: Any) -> None:
        raise AssertionError("traced a finite evaluation")

    monkeypatch.setattr(diagnose, "_trace_forward", boom)
    monkeypatch.setattr(diagnose, "_trace_backward", boom)
    evaluate(client, graph("x ** 2", [1.0, 2.0]))


# -- grad_reason ------------------------------------------------------------------------------

def test_grad_reasons(client: Any) -> None:
    body = evaluate(client, {
        "tensors": {"x": leaf([1.0, 2.0]), "w": leaf([3.0]), "c": {"data": [1.0, 1.0]}, "u": leaf([5.0])},
        "nodes": [{"id": "y", "expr": "x * c"}, {"id": "d", "expr": "x.detach() * 2"}, {"id": "e", "expr": "d + c"},
                  {"id": "r", "expr": "x * 3", "retain_grad": True}, {"id": "k", "expr": "x * w", "retain_grad": True},
                  {"id": "o", "expr": "y.sum()"}, {"id": "p", "expr": "(k * u).sum()"}],
        "backward": [{"output": "o"}, {"output": "p", "inputs": ["x"]}]})
    t = body["tensors"]
    reasons = {n: v.get("grad_reason") for n, v in t.items() if v["grad"] is None}
    assert reasons == {
        "c": diagnose.NO_GRAD, "y": diagnose.NOT_LEAF, "d": diagnose.DETACHED, "e": diagnose.DETACHED,
        "r": diagnose.UNREACHABLE, "o": diagnose.NOT_LEAF, "p": diagnose.NOT_LEAF,
        "w": diagnose.NOT_IN_INPUTS, "u": diagnose.NOT_IN_INPUTS,
    }
    assert all("grad_reason" not in v for v in t.values() if v["grad"] is not None)
    # the oracle agrees on which grads are None
    x, w, u = (torch.tensor(v, requires_grad=True) for v in ([1.0, 2.0], [3.0], [5.0]))
    k = x * w
    k.retain_grad()
    (x * torch.ones(2)).sum().backward()
    (k * u).sum().backward(inputs=[x])
    assert w.grad is None and u.grad is None and k.grad is not None and x.grad is not None
    assert t["k"]["grad"] == k.grad.tolist()


def test_grad_reason_without_backward(client: Any) -> None:
    t = evaluate(client, {"tensors": {"x": leaf([1.0])}, "nodes": [{"id": "y", "expr": "x * 2", "retain_grad": True}]})
    assert t["tensors"]["x"]["grad_reason"] == diagnose.NO_BACKWARD
    assert t["tensors"]["y"]["grad_reason"] == diagnose.NO_BACKWARD


def test_grad_reason_unreachable_leaf(client: Any) -> None:
    t = evaluate(client, {"tensors": {"x": leaf([1.0]), "z": leaf([2.0])},
                          "nodes": [{"id": "o", "expr": "(x * 2).sum()"}],
                          "backward": [{"output": "o"}], "encoding": "b64"})["tensors"]
    assert t["z"]["grad"] is None and t["z"]["grad_reason"] == diagnose.UNREACHABLE
    assert set(diagnose.GRAD_REASONS) >= {diagnose.UNREACHABLE, diagnose.NO_BACKWARD}


# -- autograd misuse: code and hint -------------------------------------------------------------

X = {"x": leaf([1.0, 2.0])}

MISUSE_CASES: dict[str, tuple[dict[str, Any], list[Any], str]] = {
    "non_scalar_backward": ({"tensors": X, "nodes": [{"id": "y", "expr": "x * 2"}], "backward": [{"output": "y"}]},
                            ["backward", 0], '"gradient": {"factory": "ones", "shape": [2]}'),
    "backward_twice": ({"tensors": X, "nodes": [{"id": "y", "expr": "(x * x).sum()"}],
                        "backward": [{"output": "y"}, {"output": "y"}]}, ["backward", 1], '"retain_graph": true'),
    "no_grad_output": ({"tensors": {"x": {"data": [1.0]}}, "nodes": [{"id": "y", "expr": "x * 2"}],
                        "backward": [{"output": "y"}]}, ["backward", 0], '"requires_grad": true'),
    "input_no_grad": ({"tensors": {**X, "z": {"data": [1.0]}},
                       "nodes": [{"id": "y", "expr": "(x * x).sum()"}, {"id": "g", "op": "grad", "args": ["y", "z"]}]},
                      ["nodes", 1], '"requires_grad": true'),
    "unused_input": ({"tensors": {**X, "z": leaf([1.0])},
                      "nodes": [{"id": "y", "expr": "(x * x).sum()"}, {"id": "g", "op": "grad", "args": ["y", "z"]}]},
                     ["nodes", 1], '"allow_unused": true'),
    "empty_inputs": ({"tensors": X, "nodes": [{"id": "y", "expr": "(x * 2).sum()"}],
                      "backward": [{"output": "y", "inputs": []}]}, ["backward", 0], 'drop "inputs"'),
    "retain_grad_no_grad": ({"tensors": {"x": {"data": [1.0]}},
                             "nodes": [{"id": "y", "expr": "x * 2", "retain_grad": True}]},
                            ["nodes", 0], 'drop "retain_grad"'),
    "not_differentiable": ({"tensors": X, "nodes": [{"id": "y", "expr": "(2 % x).sum()"}],
                            "backward": [{"output": "y"}]}, ["backward", 0], ".detach()"),
    "int_requires_grad": ({"tensors": {"x": {"data": [1, 2], "dtype": "int64", "requires_grad": True}}},
                          ["tensors", "x", "requires_grad"], '"dtype": "float32"'),
    "gradient_shape": ({"tensors": X, "nodes": [{"id": "y", "expr": "x * 2"}],
                        "backward": [{"output": "y", "gradient": {"data": [1.0, 1.0, 1.0]}}]},
                       ["backward", 0, "gradient"], "shape of its output"),
}


def test_every_table_entry_has_a_case() -> None:
    assert {m.code for m in MISUSES} == set(MISUSE_CASES)


@pytest.mark.parametrize("code", sorted(MISUSE_CASES))
def test_misuse_code_and_hint(client: Any, code: str) -> None:
    body, loc, fix = MISUSE_CASES[code]
    p = problem_of(client.post("/v1/evaluate", json=body), 422)
    assert p["code"] == code and p["loc"] == loc
    assert fix in p["hint"], p["hint"]
    assert p["detail"]  # PyTorch's words stay in the detail


def test_hints_fix_the_request(client: Any) -> None:
    """The hinted changes, applied, make the requests go through."""
    fixed = copy.deepcopy(MISUSE_CASES["non_scalar_backward"][0])
    fixed["backward"][0]["gradient"] = {"factory": "ones", "shape": [2]}
    assert evaluate(client, fixed)["tensors"]["x"]["grad"] == [2.0, 2.0]
    fixed = copy.deepcopy(MISUSE_CASES["backward_twice"][0])
    fixed["backward"][0]["retain_graph"] = True
    assert evaluate(client, fixed)["tensors"]["x"]["grad"] == [4.0, 8.0]
    fixed = copy.deepcopy(MISUSE_CASES["unused_input"][0])
    fixed["nodes"][1]["kwargs"] = {"allow_unused": True}
    assert evaluate(client, fixed)["tensors"]["g"]["data"] == [0.0]


def test_grad_node_non_scalar_hint(client: Any) -> None:
    p = problem_of(client.post("/v1/evaluate", json={
        "tensors": X, "nodes": [{"id": "y", "expr": "x * x"}, {"id": "g", "op": "grad", "args": ["y", "x"]}]}), 422)
    assert p["code"] == "non_scalar_backward" and '"grad_outputs"' in p["hint"]


def test_other_errors_have_no_code(client: Any) -> None:
    p = problem_of(client.post("/v1/evaluate", json={"tensors": X, "nodes": [{"id": "y", "expr": "x @ x @ x"}]}), 422)
    assert "code" not in p
    assert classify(ValueError("grad can be implicitly created only for scalar outputs")) is None
