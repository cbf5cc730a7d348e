"""A catalogue of bad requests: each gets its status, a problem+json body with ``loc`` and nothing
internal in it, and a good request is answered correctly after each one."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import problem_of

GOOD = {"tensors": {"x": {"data": [1, 1], "requires_grad": True}},
        "nodes": [{"id": "y", "expr": "5 * (x + 1) ** 2"}, {"id": "o", "expr": "0.5 * y.sum()"}],
        "backward": [{"output": "o"}]}
X = {"x": {"data": [1.0, 2.0, 3.0], "requires_grad": True}}


def _nest(depth: int) -> dict[str, Any]:
    node: Any = "x"
    for _ in range(depth):
        node = {"op": "neg", "args": [node]}
    return node

CASES: list[tuple[str, Any, int, list[Any] | None, str | None]] = [
    ("unknown field", {"tensors": {"x": {"data": [1], "requiresGrad": True}}}, 422,
     ["tensors", "x", "requiresGrad"], None),
    ("top-level unknown field", {"tensor": {}}, 422, ["tensor"], None),
    ("string for bool", {"tensors": {"x": {"data": [1], "requires_grad": "true"}}}, 422,
     ["tensors", "x", "requires_grad"], None),
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
    ("unknown op", {"tensors": X, "nodes": [{"id": "y", "op": "frobnicate", "args": ["x"]}]}, 422,
     ["nodes", 0, "op"], "unknown op"),
    ("private op", {"tensors": X, "nodes": [{"id": "y", "op": "_to_copy", "args": ["x"]}]}, 422,
     ["nodes", 0, "op"], "unknown op"),
    ("unknown name", {"tensors": X, "nodes": [{"id": "y", "op": "add", "args": ["x", "z"]}]}, 422,
     ["nodes", 0, "args", 1], "not defined"),
    ("forward reference", {"tensors": X, "nodes": [{"id": "y", "expr": "z + 1"}, {"id": "z", "expr": "x + 1"}]}, 422,
     ["nodes", 0, "expr"], "not defined"),
    ("self reference", {"tensors": X, "nodes": [{"id": "y", "expr": "y + 1"}]}, 422,
     ["nodes", 0, "expr"], "not defined"),
    ("op and expr", {"tensors": X, "nodes": [{"id": "y", "op": "neg", "expr": "-x"}]}, 422,
     ["nodes", 0], "exactly one"),
    ("wrong arity", {"tensors": X, "nodes": [{"id": "y", "op": "add", "args": ["x", "x", "x", "x"]}]}, 422,
     ["nodes", 0], None),
    ("unknown kwarg", {"tensors": X, "nodes": [{"id": "y", "op": "sum", "args": ["x"], "kwargs": {"dimension": 0}}]},
     422,
     ["nodes", 0], "unexpected keyword argument 'dimension'"),
    ("shape mismatch", {"tensors": {"a": {"data": [1, 2, 3]}, "b": {"data": [1, 2]}},
                        "nodes": [{"id": "z", "op": "add", "args": ["a", "b"]}]}, 422, ["nodes", 0],
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    ("bad dim", {"tensors": X, "nodes": [{"id": "y", "op": "sum", "args": ["x"], "kwargs": {"dim": 3}}]}, 422,
     ["nodes", 0],
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
    ("expr import", {"tensors": X, "nodes": [{"id": "y", "expr": "__import__('os')"}]}, 422,
     ["nodes", 0, "expr"], None),
    ("expr dunder", {"tensors": X, "nodes": [{"id": "y", "expr": "x.__class__"}]}, 422, ["nodes", 0, "expr"], "dunder"),
    ("expr lambda", {"tensors": X, "nodes": [{"id": "y", "expr": "(lambda: x)()"}]}, 422,
     ["nodes", 0, "expr"], "lambda"),
    ("expr comprehension", {"tensors": X, "nodes": [{"id": "y", "expr": "[v for v in x]"}]}, 422,
     ["nodes", 0, "expr"], "'for'"),
    ("expr power tower", {"tensors": X, "nodes": [{"id": "y", "expr": "x * 9**9**9**9"}]}, 422,
     ["nodes", 0, "expr"], "out of range"),
    ("expr long", {"tensors": X, "nodes": [{"id": "y", "expr": "x" + " + x" * 25_000}]}, 413,
     ["nodes", 0, "expr"], None),
    ("expr deep", {"tensors": X, "nodes": [{"id": "y", "expr": "(" * 1000 + "x" + ")" * 1000}]}, 413,
     ["nodes", 0, "expr"], "nests"),
    ("expr syntax", {"tensors": X, "nodes": [{"id": "y", "expr": "x +* 2"}]}, 422, ["nodes", 0, "expr"], "column"),
    ("expr non-ascii", {"tensors": X, "nodes": [{"id": "y", "expr": "x × 2"}]}, 422, ["nodes", 0, "expr"], "non-ASCII"),
    ("expr statement", {"tensors": X, "nodes": [{"id": "y", "expr": "x; import os"}]}, 422, ["nodes", 0, "expr"], None),
    ("expr string arg", {"tensors": X, "nodes": [{"id": "y", "expr": "sum('x')"}]}, 422,
     ["nodes", 0, "expr"], "string"),
    ("expr attribute", {"tensors": X, "nodes": [{"id": "y", "expr": "x.grad"}]}, 422,
     ["nodes", 0, "expr"], "not supported"),
    ("expr constant", {"tensors": X, "nodes": [{"id": "y", "expr": "1 + 2"}]}, 422, ["nodes", 0, "expr"], "constant"),
    ("expr div zero", {"tensors": X, "nodes": [{"id": "y", "expr": "x * (1 / 0)"}]}, 422,
     ["nodes", 0, "expr"], "division by zero"),
    ("factory bomb", {"tensors": {"x": {"factory": "ones", "shape": [100000, 100000]}}}, 413,
     ["tensors", "x"], "max_tensor_elements"),
    ("broadcast bomb", {"tensors": {"a": {"factory": "ones", "shape": [100000, 1]},
                                    "b": {"factory": "ones", "shape": [1, 100000]}},
                        "nodes": [{"id": "c", "expr": "a + b"}]}, 413, ["nodes", 0, "expr"], "max_tensor_elements"),
    ("full without value", {"tensors": {"x": {"factory": "full", "shape": [2]}}}, 422, ["tensors", "x"], "fill_value"),
    ("negative shape", {"tensors": {"x": {"factory": "zeros", "shape": [-1]}}}, 422,
     ["tensors", "x", "shape", 0], None),
    ("big integer", {"tensors": {"x": {"data": [2**70], "dtype": "int64"}}}, 422, ["tensors", "x", "data"], None),
    ("int32 overflow", {"tensors": {"x": {"data": [2**40], "dtype": "int32"}}}, 422,
     ["tensors", "x", "data"], "out of range"),
    ("float for int dtype", {"tensors": {"x": {"data": [1.5], "dtype": "int64"}}}, 422,
     ["tensors", "x", "data"], "non-integer"),
    ("expand bomb", {"tensors": {"x": {"data": [1.0]}}, "nodes": [{"id": "y", "expr": "x.expand(100000, 100000)"}]},
     413,
     ["nodes", 0, "expr"], "max_tensor_elements"),
    ("repeat bomb", {"tensors": {"x": {"factory": "ones", "shape": [1000]}},
                     "nodes": [{"id": "y", "op": "repeat", "args": ["x", [100000, 100]]}]}, 413,
     ["nodes", 0], "max_tensor_elements"),
    ("flop bomb", {"tensors": {"a": {"factory": "ones", "shape": [3000, 3000]},
                               "b": {"factory": "ones", "shape": [3000, 3000]}},
                   "nodes": [{"id": "z", "op": "matmul", "args": ["a", "b"]}]}, 413, ["nodes", 0], "FLOPs"),
    ("growing chain", {"tensors": {"x": {"factory": "ones", "shape": [1000, 1000]}},
                       "nodes": [{"id": f"n{i}", "expr": f"{'x' if i == 0 else f'n{i - 1}'} * 2"} for i in range(30)]},
     413, [], "max_total_elements"),
    ("too many nodes", {"tensors": X, "nodes": [{"id": f"n{i}", "expr": "x + 1"} for i in range(1001)]}, 413,
     ["nodes"], "max_nodes"),
    ("high rank", {"tensors": {"x": {"factory": "zeros", "shape": [1] * 9}}}, 413, ["tensors", "x"], "max_rank"),
    ("inline nesting", {"tensors": X, "nodes": [{"id": "y", "op": "neg", "args": [_nest(40)]}]}, 413, None, "nests"),
    ("grad of unused input", {"tensors": {**X, "w": {"data": [1.0], "requires_grad": True}},
                              "nodes": [{"id": "s", "expr": "x.sum()"},
                                        {"id": "g", "op": "grad", "args": ["s", "w"]}]}, 422,
     ["nodes", 1], "appears to not have been used in the graph"),
    ("grad bad kwarg", {"tensors": X, "nodes": [{"id": "s", "expr": "x.sum()"},
                                                {"id": "g", "op": "grad", "args": ["s", "x"], "kwargs": {"foo": 1}}]},
     422,
     ["nodes", 1, "kwargs", "foo"], "unexpected keyword argument"),
    ("matmul shapes", {"tensors": {"a": {"factory": "ones", "shape": [2, 3]},
                                   "b": {"factory": "ones", "shape": [2, 3]}},
                       "nodes": [{"id": "z", "expr": "a @ b"}]}, 422, ["nodes", 0, "expr"], "cannot be multiplied"),
    ("reshape invalid", {"tensors": X, "nodes": [{"id": "y", "expr": "x.reshape(2, 2)"}]}, 422, ["nodes", 0, "expr"],
     "shape '[2, 2]' is invalid for input of size 3"),
    ("index out of range", {"tensors": X, "nodes": [{"id": "y", "expr": "x[5]"}]}, 422,
     ["nodes", 0, "expr"], "out of bounds"),
    ("bad reduction", {"tensors": {**X, "target": {"data": [1.0, 2.0, 3.0]}},
                       "nodes": [{"id": "l", "op": "mse_loss", "args": ["x", "target"],
                                  "kwargs": {"reduction": "avg"}}]}, 422,
     ["nodes", 0], "is not a valid value for reduction"),
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
    p = problem_of(
        client.post("/v1/evaluate", content=b'{"tensors": ', headers={"content-type": "application/json"}), 400
    )
    assert p["type"].endswith("/malformed-json")


def test_wrong_content_type_is_415(client: Any) -> None:
    problem_of(client.post("/v1/evaluate", content=b"x=1", headers={"content-type": "text/plain"}), 415)


def test_not_an_object_is_422(client: Any) -> None:
    problem_of(client.post("/v1/evaluate", json=[1, 2]), 422)


def test_unknown_route_and_method(client: Any) -> None:
    assert problem_of(client.get("/v2/nothing"), 404)["type"].endswith("/not-found")
    assert problem_of(client.get("/v1/evaluate"), 405)["type"].endswith("/method-not-allowed")


def test_unexpected_exception_is_500_without_internals(app: Any, client: Any, monkeypatch: Any) -> None:
    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("secret internal detail /work/x.py")

    monkeypatch.setattr("app.runner.finish", boom)
    r = client.post("/v1/evaluate", json=GOOD)
    problem_of(r, 500)
    assert "secret" not in r.text
    monkeypatch.undo()
    assert client.post("/v1/evaluate", json=GOOD).status_code == 200


RAW_CASES: list[tuple[str, bytes, int, str]] = [
    ("duplicate keys", b'{"tensors": {"x": {"data": [1], "data": [2]}}}', 400, "duplicate keys"),
    ("duplicate top-level keys", b'{"nodes": [], "nodes": []}', 400, "duplicate keys"),
    # a ':' escaped in a string must not hide a duplicate key (nor an escaped key name)
    ("duplicate keys beside escaped colons", b'{"a": "\\u003a", "a": "\\u003A"}', 400, "duplicate keys"),
    ("duplicate escaped keys", b'{"nodes": [], "no\\u0064es": []}', 400, "duplicate keys"),
    # a ':' inside a string of a data array is a data error (422), not a duplicate key
    ("colon in a data string", b'{"tensors": {"x": {"data": ["a:b"]}}}', 422, "is not a number"),
    ("escaped colon in a data string", b'{"tensors": {"x": {"data": ["\\u003a"]}}}', 422, "is not a number"),
    ("bare NaN", b'{"tensors": {"x": {"data": [NaN]}}}', 400, "not valid JSON"),
    ("bare Infinity", b'{"tensors": {"x": {"data": [Infinity]}}}', 400, "not valid JSON"),
    ("1e999", b'{"tensors": {"x": {"data": [1e999]}}}', 400, "infinity"),
    ("deep JSON", b'{"tensors": {"x": {"data": ' + b"[" * 2000 + b"]" * 2000 + b"}}}", 413, "max_json_depth"),
    ("moderately deep JSON", b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", 413, "max_json_depth"),
    ("trailing garbage", b'{"tensors": {}} x', 400, "not valid JSON"),
    ("empty body", b"", 400, "not valid JSON"),
    ("not utf-8", b'{"tensors": {"\xff": 1}}'.replace(b"\\xff", b"\xff"), 400, "JSON"),
]


@pytest.mark.parametrize(("name", "raw", "status", "words"), RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_bad_raw_body(client: Any, name: str, raw: bytes, status: int, words: str) -> None:
    p = problem_of(client.post("/v1/evaluate", content=raw, headers={"content-type": "application/json"}), status)
    assert words in p["detail"], p
    assert client.post("/v1/evaluate", json=GOOD).status_code == 200


def test_body_over_limit_is_413_by_content_length_and_by_stream() -> None:
    import anyio
    import httpx

    from app.config import Settings
    from app.main import create_app

    small = create_app(Settings(max_body_bytes=1000))
    big = b'{"tensors": {"x": {"data": [' + b"1," * 2000 + b'1]}}}'

    async def go() -> None:
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post("/v1/evaluate", content=big, headers={"content-type": "application/json"})
            assert r.status_code == 413 and "max_body_bytes" in r.json()["detail"], r.text

            async def chunks():  # no Content-Length: chunked transfer
                for i in range(0, len(big), 256):
                    yield big[i : i + 256]

            r = await c.post("/v1/evaluate", content=chunks(), headers={"content-type": "application/json"})
            assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json"), r.text
            r = await c.post("/v1/evaluate", json=GOOD)
            assert r.status_code == 200

    anyio.run(go)


def test_bombs_are_fast_and_allocate_nothing(client: Any) -> None:
    import resource
    import time

    bombs = [body for name, body, status, _, _ in CASES if status == 413]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for body in bombs:
        t0 = time.perf_counter()
        r = client.post("/v1/evaluate", json=body)
        assert r.status_code == 413
        assert time.perf_counter() - t0 < 1.0, body
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"peak RSS grew by {grown_mb:.0f} MB answering bombs"
