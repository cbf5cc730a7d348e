"""The graph: ``"include": ["graph"]`` on /v1/evaluate, and POST /v1/graph as DOT, SVG and JSON."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from app.examples import EVALUATE_EXAMPLES
from app.service import graph as graph_module

from .conftest import problem_of

TUTORIAL = EVALUATE_EXAMPLES["tutorial_gradient"]["value"]
# CI (.ci/run) installs Graphviz and sets this: there, a missing `dot` fails instead of skipping
REQUIRED = os.environ.get("GRADIENT_SERVICE_REQUIRE_SYSTEM_DEPS") == "1"


def needs_dot() -> None:
    if graph_module.dot_binary() is None:
        if REQUIRED:
            pytest.fail("Graphviz's dot is not installed (apt-get install graphviz)")
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz); CI installs it")


def by_id(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in nodes}


def test_include_graph_on_evaluate(client: Any) -> None:
    r = client.post("/v1/evaluate", json={**TUTORIAL, "include": ["graph"]})
    assert r.status_code == 200, r.text
    g = r.json()["graph"]
    fwd, bwd = by_id(g["forward"]["nodes"]), by_id(g["backward"]["nodes"])
    keys = {"id", "op", "grad_fn", "shape", "dtype", "requires_grad", "is_leaf"}
    assert all(keys <= n.keys() for n in [*fwd.values(), *bwd.values()])
    assert fwd["x"]["is_leaf"] and fwd["x"]["requires_grad"] and fwd["x"]["op"] is None
    assert (fwd["y"]["op"], fwd["y"]["grad_fn"], fwd["y"]["shape"], fwd["y"]["dtype"]) == ("mul", "MulBackward0", [2],
                                                                                          "float32")
    assert (fwd["o"]["op"], fwd["o"]["grad_fn"], fwd["o"]["shape"], fwd["o"]["is_leaf"]) == ("mul", "MulBackward0", [],
                                                                                            False)
    # the expression's own ops, in order: x + 1, ** 2, 5 * ; the inline sum of o
    assert [n["op"] for n in g["forward"]["nodes"]] == [
        None, "add", "pow", "mul", "sum", "mul"]
    assert fwd["y/pow"]["grad_fn"] == "PowBackward0" and fwd["o/sum"]["grad_fn"] == "SumBackward0"
    edges = {(e["from"], e["to"]) for e in g["forward"]["edges"]}
    assert edges == {("x", "y/add"), ("y/add", "y/pow"), ("y/pow", "y"), ("y", "o/sum"), ("o/sum", "o")}
    # backward: grad_fn nodes from o down to x's AccumulateGrad, named by the request's names
    assert bwd["grad:o"]["grad_fn"] == "MulBackward0" and bwd["grad:o"]["name"] == "o"
    assert bwd["grad:y"]["forward"] == "y" and bwd["grad:y/add"]["node"] == "y"
    acc = bwd["grad:x.AccumulateGrad"]
    assert acc["grad_fn"] == "torch::autograd::AccumulateGrad" and acc["name"] == "x" and acc["is_leaf"]
    chain = {(e["from"], e["to"]) for e in g["backward"]["edges"]}
    assert chain == {("grad:o", "grad:o/sum"), ("grad:o/sum", "grad:y"), ("grad:y", "grad:y/pow"),
                     ("grad:y/pow", "grad:y/add"), ("grad:y/add", "grad:x.AccumulateGrad")}


def test_graph_matches_torch_grad_fns(client: Any) -> None:
    import torch

    x = torch.ones(2, requires_grad=True)
    w = torch.ones(2)
    z = torch.tanh(x * w).sum()
    names = []
    node = z.grad_fn
    while node is not None:
        names.append(node.name())
        nxt = [f for f, _ in node.next_functions if f is not None]
        node = nxt[0] if nxt else None
    body = {"tensors": {"x": {"factory": "ones", "shape": [2], "requires_grad": True},
                        "w": {"factory": "ones", "shape": [2]}},
            "nodes": [{"id": "z", "expr": "torch.tanh(x * w).sum()"}], "backward": [{"output": "z"}],
            "include": ["graph"]}
    g = client.post("/v1/evaluate", json=body).json()["graph"]
    got = []
    current = "grad:z"
    bwd = by_id(g["backward"]["nodes"])
    edges = {e["from"]: e["to"] for e in g["backward"]["edges"]}
    while current:
        got.append(bwd[current]["grad_fn"])
        current = edges.get(current)
    assert got == names  # SumBackward0, TanhBackward0, MulBackward0, AccumulateGrad
    fwd = by_id(g["forward"]["nodes"])
    assert fwd["w"]["requires_grad"] is False and fwd["z/mul"]["requires_grad"] is True


def test_graph_of_grad_nodes_constants_and_lists(client: Any) -> None:
    body = {"tensors": {"a": {"data": [1.0, 2.0], "requires_grad": True}, "b": {"data": [3.0, 4.0]}},
            "nodes": [{"id": "s", "op": "stack", "args": [["a", "b"]]},
                      {"id": "tot", "op": "sum", "args": [{"op": "mul", "args": ["s", [[1.0, 2.0], [3.0, 4.0]]]}]},
                      {"id": "g", "op": "grad", "args": ["tot", "a"], "kwargs": {"create_graph": True}},
                      {"id": "h", "expr": "g[0]"}],
            "include": ["graph"]}
    g = client.post("/v1/evaluate", json=body).json()["graph"]
    fwd = by_id(g["forward"]["nodes"])
    assert fwd["s"]["grad_fn"] == "StackBackward0" and fwd["g"]["op"] == "grad"
    assert any(n["op"] == "constant" and n["shape"] == [2, 2] for n in fwd.values())
    edges = {(e["from"], e["to"], e["arg"]) for e in g["forward"]["edges"]}
    assert {("a", "s", "tensors[0]"), ("b", "s", "tensors[1]"), ("tot", "g", "outputs"), ("a", "g", "inputs")} <= edges
    assert fwd["h"]["args"] == ["[0]"]
    # backward: from tot (the grad node's output) to a, not to b (no grad)
    bwd = by_id(g["backward"]["nodes"])
    assert "grad:a.AccumulateGrad" in bwd and not any(n.get("name") == "b" for n in bwd.values())


def test_graph_dot(client: Any) -> None:
    r = client.post("/v1/graph?format=dot", json=TUTORIAL)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/vnd.graphviz")
    dot = r.text
    assert dot.startswith('digraph "gradient-service" {') and dot.rstrip().endswith("}")
    assert '"f:y" [' in dot and "y = mul" in dot and "MulBackward0" in dot and "AccumulateGrad" in dot
    assert '"f:x" -> "f:y/add"' in dot and '"grad:y/add" -> "grad:x.AccumulateGrad"' in dot
    assert client.post("/v1/graph", json=TUTORIAL).text == dot  # dot is the default


def test_graph_json(client: Any) -> None:
    r = client.post("/v1/graph?format=json", json=TUTORIAL)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with_include = client.post("/v1/evaluate", json={**TUTORIAL, "include": ["graph"]}).json()["graph"]
    assert r.json() == with_include


def test_graph_svg(client: Any) -> None:
    needs_dot()
    r = client.post("/v1/graph?format=svg", json=TUTORIAL)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.content)
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for word in ("y = mul", "o = mul", "MulBackward0", "PowBackward0", "AccumulateGrad", "x.grad", "requires_grad"):
        assert word in text, word


def test_svg_without_graphviz_is_a_501_problem(client: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    p = problem_of(client.post("/v1/graph?format=svg", json=TUTORIAL), 501)
    assert "graphviz" in p["detail"].lower() and p["loc"] == ["query", "format"]
    assert client.post("/v1/graph?format=dot", json=TUTORIAL).status_code == 200  # dot needs no Graphviz


def test_graph_errors_are_problems(client: Any) -> None:
    p = problem_of(client.post("/v1/graph?format=png", json=TUTORIAL), 422)
    assert "format" in p["loc"]
    bad = {"tensors": {"x": {"data": [1.0]}}, "nodes": [{"id": "y", "expr": "q"}]}
    p = problem_of(client.post("/v1/graph", json=bad), 422)
    assert p["loc"] == ["nodes", 0, "expr"]
    problem_of(client.post("/v1/graph", content=b"{", headers={"content-type": "application/json"}), 400)
    problem_of(client.post("/v1/graph", content=b"{}", headers={"content-type": "text/plain"}), 415)


def test_too_large_for_svg(client: Any, monkeypatch: Any) -> None:
    needs_dot()
    monkeypatch.setattr(graph_module, "MAX_SVG_NODES", 3)
    p = problem_of(client.post("/v1/graph?format=svg", json=TUTORIAL), 413)
    assert "format=dot" in p["detail"]


def test_dot_escapes_labels() -> None:
    g = {"forward": {"nodes": [{"id": 'a"b', "name": None, "kind": "op", "op": "einsum", "args": ["'i\\\"->'"],
                                "grad_fn": None, "shape": [1], "dtype": "float32"}], "edges": []},
         "backward": {"nodes": [], "edges": []}}
    dot = graph_module.to_dot(g)
    assert '"f:a\\"b"' in dot and "\\\\\\\"" in dot
    if graph_module.dot_binary() is not None:
        assert graph_module.to_svg(dot, 1).startswith(b"<?xml")


@pytest.mark.parametrize("name", sorted(EVALUATE_EXAMPLES))
def test_every_example_has_a_graph(client: Any, name: str) -> None:
    body = EVALUATE_EXAMPLES[name]["value"]
    r = client.post("/v1/evaluate", json={**body, "include": ["graph"]})
    assert r.status_code == 200, r.text
    g = r.json()["graph"]
    ids = {n["id"] for n in g["forward"]["nodes"]}
    assert set(body.get("tensors", {})) | {n["id"] for n in body.get("nodes", [])} <= ids
    assert all(e["from"] in ids and e["to"] in ids for e in g["forward"]["edges"])
    back = {n["id"] for n in g["backward"]["nodes"]}
    assert all(e["from"] in back and e["to"] in back for e in g["backward"]["edges"])
    dot = client.post("/v1/graph?format=dot", json=body)
    assert dot.status_code == 200 and dot.text.count("{") == dot.text.count("}")
