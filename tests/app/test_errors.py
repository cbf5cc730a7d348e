"""Errors: status, problem+json, loc, nothing internal, and a good request answered after each."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import problem_of

GOOD = {"tensors": {"x": {"data": [1, 1], "requires_grad": True}},
        "nodes": [{"id": "y", "expr": "5 * (x + 1) ** 2"}, {"id": "o", "expr": "0.5 * y.sum()"}],
        "backward": [{"output": "o"}]}
X = {"x": {"data": [1.0, 2.0, 3.0], "requires_grad": True}}

CASES: list[tuple[str, Any, int, list[Any] | None, str | None]] = [
    ("unknown field", {"tensors": {"x": {"data": [1], "requiresGrad": True}}}, 422, ["tensors", "x", "requiresGrad"], None),
    ("top-level unknown field", {"tensor": {}}, 422, ["tensor"], None),
    ("string for bool", {"tensors": {"x": {"data": [1], "requires_grad": "true"}}}, 422, ["tensors", "x", "requires_grad"], None),
    ("two sources", {"tensors": {"x": {"data": [1], "b64": ""}}}, 422, ["tensors", "x"], "exactly one"),
    ("no source", {"tensors": {"x": {"dtype": "float32"}}}, 422, ["tensors", "x"], "exactly one"),
    ("bad dtype", {"tensors": {"x": {"data": [1], "dtype": "complex64"}}}, 422, ["tensors", "x", "dtype"], None),
    ("ragged", {"tensors": {"x": {"data": [[1, 2], [3]]}}}, 422, ["tensors", "x", "data"], "ragged"),
    ("non-numeric", {"tensors": {"x": {"data": [1, "two"]}}}, 422, ["tensors", "x", "data"], "not a number"),
    ("null in data", {"tensors": {"x": {"data": [1, None]}}}, 422, ["tensors", "x", "data"], None),
    ("int requires grad", {"tensors": {"x": {"data": [1], "dtype": "int32", "requires_grad": True}}}, 422,
     ["tensors", "x", "requires_grad"], "Only Tensors of floating point"),
    ("bad name", {"tensors": {"1x": {"data": [1]}}}, 422, ["tensors", "1x"], None),
    ("op name as tensor", {"tensors": {"sum": {"data": [1]}}}, 422, ["tensors", "sum"], "op name"),
    ("duplicate id", {"tensors": X, "nodes": [{"id": "x", "expr": "x + 1"}]}, 422, ["nodes", 0, "id"], "used twice"),
    ("unknown op", {"tensors": X, "nodes": [{"id": "y", "op": "frobnicate", "args": ["x"]}]}, 422, ["nodes", 0, "op"], "unknown op"),
    ("private op", {"tensors": X, "nodes": [{"id": "y", "op": "_to_copy", "args": ["x"]}]}, 422, ["nodes", 0, "op"], "unknown op"),
    ("unknown name", {"tensors": X, "nodes": [{"id": "y", "op": "add", "args": ["x", "z"]}]}, 422, ["nodes", 0, "args", 1], "not defined"),
    ("forward reference", {"tensors": X, "nodes": [{"id": "y", "expr": "z + 1"}, {"id": "z", "expr": "x + 1"}]}, 422,
     ["nodes", 0, "expr"], "not defined"),
    ("self reference", {"tensors": X, "nodes": [{"id": "y", "expr": "y + 1"}]}, 422, ["nodes", 0, "expr"], "not defined"),
    ("op and expr", {"tensors": X, "nodes": [{"id": "y", "op": "neg", "expr": "-x"}]}, 422, ["nodes", 0], "exactly one"),
    ("wrong arity", {"tensors": X, "nodes": [{"id": "y", "op": "add", "args": ["x", "x", "x", "x"]}]}, 422, ["nodes", 0], None),
    ("unknown kwarg", {"tensors": X, "nodes": [{"id": "y", "op": "sum", "args": ["x"], "kwargs": {"dimension": 0}}]}, 422,
     ["nodes", 0], "unexpected keyword argument 'dimension'"),
    ("shape mismatch", {"tensors": {"a": {"data": [1, 2, 3]}, "b": {"data": [1, 2]}},
                        "nodes": [{"id": "z", "op": "add", "args": ["a", "b"]}]}, 422, ["nodes", 0],
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    ("bad dim", {"tensors": X, "nodes": [{"id": "y", "op": "sum", "args": ["x"], "kwargs": {"dim": 3}}]}, 422, ["nodes", 0],
     "Dimension out of range"),
    ("non-scalar backward", {"tensors": X, "nodes": [{"id": "y", "expr": "x * 2"}], "backward": [{"output": "y"}]}, 422,
     ["backward", 0], "grad can be implicitly created only for scalar outputs"),
    ("backward twice", {**GOOD, "backward": [{"output": "o"}, {"output": "o"}]}, 422, ["backward", 1],
     "Trying to backward through the graph a second time"),
    ("backward of no-grad", {"tensors": {"x": {"data": [1.0]}}, "nodes": [{"id": "y", "expr": "x.sum()"}],
                             "backward": [{"output": "y"}]}, 422, ["backward", 0], "does not require grad"),
    ("backward unknown", {**GOOD, "backward": [{"output": "nope"}]}, 422, ["backward", 0, "output"], "not defined"),
    ("gradient shape", {**GOOD, "backward": [{"output": "y", "gradient": {"data": [1.0, 2.0, 3.0]}}]}, 422,
     ["backward", 0, "gradient"], "Mismatch in shape"),
    ("unknown output", {**GOOD, "outputs": ["nope"]}, 422, ["outputs", 0], "not defined"),
    ("cuda without gpu", {**GOOD, "device": "cuda"}, 422, ["device"], "not available"),
    ("bad device", {**GOOD, "device": "tpu"}, 422, ["device"], None),
    ("bad encoding", {**GOOD, "encoding": "xml"}, 422, ["encoding"], None),
    ("expr import", {"tensors": X, "nodes": [{"id": "y", "expr": "__import__('os')"}]}, 422, ["nodes", 0, "expr"], None),
    ("expr dunder", {"tensors": X, "nodes": [{"id": "y", "expr": "x.__class__"}]}, 422, ["nodes", 0, "expr"], "dunder"),
    ("expr lambda", {"tensors": X, "nodes": [{"id": "y", "expr": "(lambda: x)()"}]}, 422, ["nodes", 0, "expr"], "lambda"),
    ("expr comprehension", {"tensors": X, "nodes": [{"id": "y", "expr": "[v for v in x]"}]}, 422, ["nodes", 0, "expr"], "'for'"),
    ("expr power tower", {"tensors": X, "nodes": [{"id": "y", "expr": "x * 9**9**9**9"}]}, 422, ["nodes", 0, "expr"], "out of range"),
    ("expr long", {"tensors": X, "nodes": [{"id": "y", "expr": "x" + " + x" * 25_000}]}, 413, ["nodes", 0, "expr"], None),
    ("expr deep", {"tensors": X, "nodes": [{"id": "y", "expr": "(" * 1000 + "x" + ")" * 1000}]}, 413, ["nodes", 0, "expr"], "nests"),
    ("expr syntax", {"tensors": X, "nodes": [{"id": "y", "expr": "x +* 2"}]}, 422, ["nodes", 0, "expr"], "column"),
    ("expr non-ascii", {"tensors": X, "nodes": [{"id": "y", "expr": "x × 2"}]}, 422, ["nodes", 0, "expr"], "non-ASCII"),
    ("expr statement", {"tensors": X, "nodes": [{"id": "y", "expr": "x; import os"}]}, 422, ["nodes", 0, "expr"], None),
    ("expr string arg", {"tensors": X, "nodes": [{"id": "y", "expr": "sum('x')"}]}, 422, ["nodes", 0, "expr"], "string"),
    ("expr attribute", {"tensors": X, "nodes": [{"id": "y", "expr": "x.grad"}]}, 422, ["nodes", 0, "expr"], "not supported"),
    ("expr constant", {"tensors": X, "nodes": [{"id": "y", "expr": "1 + 2"}]}, 422, ["nodes", 0, "expr"], "constant"),
    ("expr div zero", {"tensors": X, "nodes": [{"id": "y", "expr": "x * (1 / 0)"}]}, 422, ["nodes", 0, "expr"], "division by zero"),
    ("factory bomb", {"tensors": {"x": {"factory": "ones", "shape": [100000, 100000]}}}, 413, ["tensors", "x"], "max_tensor_elements"),
    ("broadcast bomb", {"tensors": {"a": {"factory": "ones", "shape": [100000, 1]}, "b": {"factory": "ones", "shape": [1, 100000]}},
                        "nodes": [{"id": "c", "expr": "a + b"}]}, 413, ["nodes", 0, "expr"], "max_tensor_elements"),
    ("full without value", {"tensors": {"x": {"factory": "full", "shape": [2]}}}, 422, ["tensors", "x"], "fill_value"),
    ("negative shape", {"tensors": {"x": {"factory": "zeros", "shape": [-1]}}}, 422, ["tensors", "x", "shape", 0], None),
    ("big integer", {"tensors": {"x": {"data": [2**70], "dtype": "int64"}}}, 422, ["tensors", "x", "data"], None),
    ("int32 overflow", {"tensors": {"x": {"data": [2**40], "dtype": "int32"}}}, 422, ["tensors", "x", "data"], "out of range"),
]


@pytest.mark.parametrize(("name", "body", "status", "loc", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_request(client: Any, name: str, body: Any, status: int, loc: list[Any] | None, words: str | None) -> None:
    p = problem_of(client.post("/v1/evaluate", json=body), status)
    if loc is not None:
        assert p["loc"] == loc, p
    if words is not None:
        assert words in p["detail"], p
    good = client.post("/v1/evaluate", json=GOOD)
    assert good.status_code == 200 and good.json()["tensors"]["x"]["grad"] == [10.0, 10.0]


def test_malformed_json_is_400(client: Any) -> None:
    p = problem_of(client.post("/v1/evaluate", content=b'{"tensors": ', headers={"content-type": "application/json"}), 400)
    assert p["type"].endswith("/malformed-json")


def test_wrong_content_type_is_415(client: Any) -> None:
    problem_of(client.post("/v1/evaluate", content=b"x=1", headers={"content-type": "text/plain"}), 415)


def test_not_an_object_is_422(client: Any) -> None:
    problem_of(client.post("/v1/evaluate", json=[1, 2]), 422)


def test_unknown_route_and_method(client: Any) -> None:
    assert problem_of(client.get("/v2/nothing"), 404)["type"].endswith("/not-found")
    assert problem_of(client.get("/v1/evaluate"), 405)["type"].endswith("/method-not-allowed")


def test_unexpected_exception_is_500_without_internals(app: Any, client: Any, monkeypatch: Any) -> None:
    from app.service import evaluate as ev

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("secret internal detail /work/x.py")

    monkeypatch.setattr("app.routes.evaluate.evaluate", boom)
    r = client.post("/v1/evaluate", json=GOOD)
    p = problem_of(r, 500)
    assert "secret" not in r.text
    monkeypatch.setattr("app.routes.evaluate.evaluate", ev.evaluate)
