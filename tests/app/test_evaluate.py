"""/v1/evaluate through the ASGI app: every contract feature, checked against PyTorch."""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import pytest
import torch

from .conftest import problem_of

TUTORIAL = {
    "tensors": {"x": {"data": [1, 1], "requires_grad": True}},
    "nodes": [
        {"id": "y", "expr": "5 * (x + 1) ** 2"},
        {"id": "o", "op": "mul", "args": [0.5, {"op": "sum", "args": ["y"]}]},
    ],
    "backward": [{"output": "o"}],
}


def post(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/evaluate", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_contract_reference_example(client: Any) -> None:
    out = post(client, TUTORIAL)
    assert out["device"] == "cpu"
    t = out["tensors"]
    assert t["x"] == {"data": [1.0, 1.0], "shape": [2], "dtype": "float32", "requires_grad": True,
                      "is_leaf": True, "grad_fn": None, "grad": [10.0, 10.0]}
    # the contract's fields exactly; a null grad also says why (an extension)
    assert t["y"] == {"data": [20.0, 20.0], "shape": [2], "dtype": "float32", "requires_grad": True,
                      "is_leaf": False, "grad_fn": "MulBackward0", "grad": None,
                      "grad_reason": "not a leaf and no retain_grad"}
    assert t["o"] == {"data": 20.0, "shape": [], "dtype": "float32", "requires_grad": True,
                      "is_leaf": False, "grad_fn": "MulBackward0", "grad": None,
                      "grad_reason": "not a leaf and no retain_grad"}
    assert set(out["timings_ms"]) == {"forward", "backward", "total"}


def test_tutorial_expression_form(client: Any) -> None:
    body = {"tensors": {"x": {"factory": "ones", "shape": [2], "requires_grad": True}},
            "nodes": [{"id": "y", "expr": "5 * (x + 1) ** 2"}, {"id": "o", "expr": "(1/2) * torch.sum(y)"}],
            "backward": [{"output": "o"}]}
    t = post(client, body)["tensors"]
    assert t["x"]["grad"] == [10.0, 10.0]
    assert t["o"]["data"] == 20.0 and t["o"]["grad_fn"] == "MulBackward0"


def test_outputs_select_and_order(client: Any) -> None:
    out = post(client, {**TUTORIAL, "outputs": ["o", "x"]})
    assert list(out["tensors"]) == ["o", "x"]


def test_retain_grad_on_non_leaf(client: Any) -> None:
    body = {**TUTORIAL, "nodes": [{"id": "y", "expr": "5 * (x + 1) ** 2", "retain_grad": True},
                                  TUTORIAL["nodes"][1]]}
    t = post(client, body)["tensors"]
    assert t["y"]["grad"] == [0.5, 0.5]


def test_backward_steps_accumulate(client: Any) -> None:
    body = {**TUTORIAL, "backward": [{"output": "o", "retain_graph": True}, {"output": "o"}]}
    assert post(client, body)["tensors"]["x"]["grad"] == [20.0, 20.0]


def test_second_backward_through_freed_graph_is_422(client: Any) -> None:
    body = {**TUTORIAL, "backward": [{"output": "o"}, {"output": "o"}]}
    p = problem_of(client.post("/v1/evaluate", json=body), 422)
    assert "Trying to backward through the graph a second time" in p["detail"]
    assert p["loc"] == ["backward", 1]


def test_non_scalar_backward_needs_gradient(client: Any) -> None:
    body = {**TUTORIAL, "backward": [{"output": "y"}]}
    p = problem_of(client.post("/v1/evaluate", json=body), 422)
    assert "grad can be implicitly created only for scalar outputs" in p["detail"]
    assert p["loc"] == ["backward", 0]
    body = {**TUTORIAL, "backward": [{"output": "y", "gradient": {"data": [1.0, 2.0]}}]}
    assert post(client, body)["tensors"]["x"]["grad"] == [20.0, 40.0]
    body = {**TUTORIAL, "backward": [{"output": "y", "gradient": {"factory": "ones", "shape": [2]}}]}
    assert post(client, body)["tensors"]["x"]["grad"] == [20.0, 20.0]


def test_backward_inputs(client: Any) -> None:
    body = {"tensors": {"a": {"data": [1.0, 2.0], "requires_grad": True},
                        "b": {"data": [3.0, 4.0], "requires_grad": True}},
            "nodes": [{"id": "s", "expr": "(a * b).sum()"}],
            "backward": [{"output": "s", "inputs": ["a"]}]}
    t = post(client, body)["tensors"]
    assert t["a"]["grad"] == [3.0, 4.0] and t["b"]["grad"] is None


def test_backward_of_tensor_without_grad(client: Any) -> None:
    body = {"tensors": {"x": {"data": 1.0}}, "nodes": [{"id": "y", "expr": "x * 2"}], "backward": [{"output": "y"}]}
    p = problem_of(client.post("/v1/evaluate", json=body), 422)
    assert "element 0 of tensors does not require grad and does not have a grad_fn" in p["detail"]


def test_grad_op_second_derivative(client: Any) -> None:
    body = {"tensors": {"x": {"data": [0.5, 1.5], "dtype": "float64", "requires_grad": True}},
            "nodes": [{"id": "y", "expr": "(x ** 3).sum()"},
                      {"id": "g", "op": "grad", "args": ["y", "x"], "kwargs": {"create_graph": True}},
                      {"id": "gs", "expr": "g.sum()"},
                      {"id": "h", "op": "grad", "args": ["gs", "x"]}]}
    t = post(client, body)["tensors"]
    x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    assert t["g"]["data"] == g.tolist() and t["g"]["requires_grad"] is True
    assert t["g"]["grad_fn"] == g.grad_fn.name()
    assert t["h"]["data"] == h.tolist() and t["h"]["requires_grad"] is False


def test_grad_op_with_grad_outputs(client: Any) -> None:
    body = {"tensors": {"x": {"data": [1.0, 2.0], "requires_grad": True}},
            "nodes": [{"id": "y", "expr": "x * x"},
                      {"id": "g", "op": "grad", "args": ["y", "x"], "kwargs": {"grad_outputs": [1.0, 0.5]}}]}
    assert post(client, body)["tensors"]["g"]["data"] == [2.0, 2.0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "bool"])
def test_dtypes_round_trip(client: Any, dtype: str) -> None:
    data = [[1, 0], [0, 1]] if dtype == "bool" else [[1, 2], [3, 4]]
    body = {"tensors": {"x": {"data": [[bool(v) for v in r] for r in data] if dtype == "bool" else data,
                              "dtype": dtype}}}
    t = post(client, body)["tensors"]["x"]
    assert t["dtype"] == dtype and t["shape"] == [2, 2]
    assert np.array_equal(np.asarray(t["data"]), np.asarray(data, dtype=dtype))


def test_integer_requires_grad_is_pytorch_error(client: Any) -> None:
    body = {"tensors": {"x": {"data": [1, 2], "dtype": "int64", "requires_grad": True}}}
    p = problem_of(client.post("/v1/evaluate", json=body), 422)
    assert "Only Tensors of floating point and complex dtype can require gradients" in p["detail"]
    assert p["loc"][:2] == ["tensors", "x"]


def test_non_finite_in_and_out(client: Any) -> None:
    body = {"tensors": {"x": {"data": ["NaN", "Infinity", "-Infinity", 0.0, 1.0], "requires_grad": True}},
            "nodes": [{"id": "y", "expr": "torch.log(x)"}, {"id": "s", "expr": "y.sum()"}],
            "backward": [{"output": "s"}]}
    t = post(client, body)["tensors"]
    assert t["x"]["data"] == ["NaN", "Infinity", "-Infinity", 0.0, 1.0]
    assert t["y"]["data"] == ["NaN", "Infinity", "NaN", "-Infinity", 0.0]
    assert t["x"]["grad"] == ["NaN", 0.0, -0.0, "Infinity", 1.0]


def test_scalar_non_finite_output(client: Any) -> None:
    body = {"tensors": {"x": {"data": 0.0}}, "nodes": [{"id": "y", "expr": "torch.log(x)"}]}
    assert post(client, body)["tensors"]["y"]["data"] == "-Infinity"


def test_b64_in_and_out(client: Any) -> None:
    a = np.arange(6, dtype="<f8").reshape(2, 3)
    body = {"tensors": {"x": {"b64": base64.b64encode(a.tobytes()).decode(), "shape": [2, 3], "dtype": "float64",
                              "requires_grad": True}},
            "nodes": [{"id": "s", "expr": "(x * x).sum()"}], "backward": [{"output": "s"}], "encoding": "b64"}
    t = post(client, body)["tensors"]
    grad = np.frombuffer(base64.b64decode(t["x"]["grad"]["b64"]), dtype="<f8").reshape(2, 3)
    assert np.array_equal(grad, 2 * a)
    s = np.frombuffer(base64.b64decode(t["s"]["data"]["b64"]), dtype="<f8")
    assert s.tolist() == [float((a * a).sum())]


def test_b64_size_mismatch(client: Any) -> None:
    body = {"tensors": {"x": {"b64": base64.b64encode(b"\0" * 12).decode(), "shape": [2, 2]}}}
    p = problem_of(client.post("/v1/evaluate", json=body), 422)
    assert p["loc"] == ["tensors", "x", "b64"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"factory": "zeros", "shape": [2]}, [0.0, 0.0]),
        ({"factory": "ones", "shape": [1, 2]}, [[1.0, 1.0]]),
        ({"factory": "full", "shape": [2], "fill_value": 3.5}, [3.5, 3.5]),
        ({"factory": "eye", "shape": [2]}, [[1.0, 0.0], [0.0, 1.0]]),
        ({"factory": "eye", "shape": [2, 3]}, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
        ({"factory": "arange", "end": 3}, [0.0, 1.0, 2.0]),
        ({"factory": "arange", "start": 1, "end": 2, "step": 0.5}, [1.0, 1.5]),
        ({"factory": "linspace", "start": 0, "end": 1, "steps": 3}, [0.0, 0.5, 1.0]),
    ],
)
def test_factories(client: Any, spec: dict[str, Any], expected: Any) -> None:
    assert post(client, {"tensors": {"v": spec}})["tensors"]["v"]["data"] == expected


def test_seeded_random_is_reproducible(client: Any) -> None:
    body = {"tensors": {"r": {"factory": "randn", "shape": [3], "seed": 42},
                        "u": {"factory": "rand", "shape": [3], "seed": 7}}}
    a, b = post(client, body)["tensors"], post(client, body)["tensors"]
    assert a["r"]["data"] == b["r"]["data"] and a["u"]["data"] == b["u"]["data"]
    assert all(0 <= v < 1 for v in a["u"]["data"])
    other = post(client, {"tensors": {"r": {"factory": "randn", "shape": [3], "seed": 43}}})["tensors"]
    assert other["r"]["data"] != a["r"]["data"]


def test_inline_nodes_lists_and_ref_kwargs(client: Any) -> None:
    body = {"tensors": {"a": {"data": [1.0, 2.0], "requires_grad": True}, "b": {"data": [3.0, 4.0]},
                        "m": {"data": [True, False], "dtype": "bool"}},
            "nodes": [{"id": "w", "op": "where", "args": ["m", "a", "b"]},
                      {"id": "c", "op": "cat", "args": [["a", "b"]], "kwargs": {"dim": 0}},
                      {"id": "s", "op": "add", "args": [{"op": "sum", "args": ["c"]}, {"op": "sum", "args": ["w"]}]},
                      {"id": "k", "op": "add", "args": ["a"], "kwargs": {"other": {"ref": "b"}, "alpha": 2}}],
            "backward": [{"output": "s"}]}
    t = post(client, body)["tensors"]
    assert t["w"]["data"] == [1.0, 4.0] and t["c"]["data"] == [1.0, 2.0, 3.0, 4.0]
    assert t["a"]["grad"] == [2.0, 1.0]
    assert t["k"]["data"] == [7.0, 10.0]


def test_constant_tensor_argument(client: Any) -> None:
    body = {"tensors": {"a": {"data": [1.0, 2.0], "requires_grad": True}},
            "nodes": [{"id": "y", "op": "mul", "args": ["a", [10, 20]]}]}
    t = post(client, body)["tensors"]["y"]
    assert t["data"] == [10.0, 40.0] and t["dtype"] == "float32"


@pytest.mark.parametrize(
    ("expr", "torch_fn"),
    [
        ("-x ** 2", lambda x, w: -x**2),
        ("2 ** 3 ** 2 * x", lambda x, w: 2**3**2 * x),
        ("1 - x", lambda x, w: 1 - x),
        ("2 / x", lambda x, w: 2 / x),
        ("2 ** x", lambda x, w: 2**x),
        ("x.sum(dim=0)", lambda x, w: x.sum(dim=0)),
        ("x.mean()", lambda x, w: x.mean()),
        ("w.T @ x", lambda x, w: w.T @ x),
        ("x[:, 1:3]", lambda x, w: x[:, 1:3]),
        ("x[0]", lambda x, w: x[0]),
        ("x[..., None]", lambda x, w: x[..., None]),
        ("softmax(x, dim=0)", lambda x, w: torch.softmax(x, dim=0)),
        ("torch.nn.functional.relu(x - 1)", lambda x, w: torch.nn.functional.relu(x - 1)),
        ("x.reshape(3, 2)", lambda x, w: x.reshape(3, 2)),
        ("einsum('ij,ik->jk', w, x)", lambda x, w: torch.einsum("ij,ik->jk", w, x)),
        ("x.pow(2).exp().sum()", lambda x, w: x.pow(2).exp().sum()),
        ("x.double()", lambda x, w: x.double()),
    ],
)
def test_expressions_match_pytorch(client: Any, expr: str, torch_fn: Any) -> None:
    x = [[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]]
    w = [[1.0, -1.0], [0.5, 2.0]]
    body = {"tensors": {"x": {"data": x, "requires_grad": True}, "w": {"data": w, "requires_grad": True}},
            "nodes": [{"id": "y", "expr": expr}], "outputs": ["y"]}
    t = post(client, body)["tensors"]["y"]
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ref = torch_fn(tx, tw)
    np.testing.assert_allclose(np.asarray(t["data"], dtype=np.float64), ref.detach().double().numpy(), rtol=1e-6)
    assert t["shape"] == list(ref.shape)
    assert t["dtype"] == str(ref.dtype).replace("torch.", "")
    assert t["grad_fn"] == (ref.grad_fn.name() if ref.grad_fn else None)


def test_node_alias_of_tensor(client: Any) -> None:
    body = {"tensors": {"x": {"data": [1.0]}}, "nodes": [{"id": "z", "expr": "x"}]}
    assert post(client, body)["tensors"]["z"]["data"] == [1.0]


def test_health_ops_metrics_and_redirect(client: Any) -> None:
    h = client.get("/v1/health").json()
    assert h["status"] == "ok" and h["devices"][0] == "cpu" and h["default_device"] in h["devices"]
    ops = {o["name"]: o for o in client.get("/v1/ops").json()["ops"]}
    for name in ("add", "matmul", "sum", "softmax", "grad", "where", "einsum"):
        assert name in ops, name
    assert ops["sum"]["differentiable"] is True
    assert any(p["name"] == "keepdim" and p["default"] is False for p in ops["sum"]["params"])
    # (a dim not given is the engine's NOT_GIVEN, which tells sum() from sum(dim=None): shown as null)
    assert [p["default"] for p in ops["sum"]["params"] if p["name"] == "dim"] == [None]
    post(client, TUTORIAL)
    m = client.get("/metrics")
    assert m.status_code == 200 and "gs_requests_total" in m.text and "gs_forward_seconds" in m.text
    r = client.get("/", follow_redirects=False)
    assert r.status_code in (302, 307) and r.headers["location"] == "/docs"
    assert client.get("/docs").status_code == 200


def test_argsort_and_nonzero_run_in_the_service(client: Any) -> None:
    """The registry's one-tensor parts of sorting: argsort (sort's indices) and nonzero, whose row count
    depends on the values (the plan takes every element as its bound); sort and topk return pairs, not ops."""
    body = {"tensors": {"x": {"data": [[3.0, 0.0, 2.0], [0.0, 5.0, 4.0]], "requires_grad": True}},
            "nodes": [{"id": "a", "expr": "x.argsort(1, True)"},
                      {"id": "s", "expr": "torch.argsort(x, 0, stable=True)"},
                      {"id": "n", "expr": "torch.nonzero(x)"}, {"id": "c", "expr": "n.sum()"}]}
    t = post(client, body)["tensors"]
    assert t["a"]["data"] == [[0, 2, 1], [1, 2, 0]] and t["a"]["dtype"] == "int64" and t["a"]["grad_fn"] is None
    assert t["s"]["data"] == [[1, 0, 0], [0, 1, 1]]
    assert t["n"]["data"] == [[0, 0], [0, 2], [1, 1], [1, 2]] and t["c"]["data"] == 7
    ops = {o["name"]: o for o in client.get("/v1/ops").json()["ops"]}
    assert ops["argsort"]["signature"] == "argsort(input, dim=-1, descending=False, *, stable=False)"
    assert ops["nonzero"]["differentiable"] is False and "sort" not in ops and "topk" not in ops
    r = client.post("/v1/evaluate", json={"tensors": body["tensors"], "nodes": [{"id": "a", "expr": "x.argsort(1.5)"}]})
    assert r.status_code == 422 and "argsort() received an invalid combination of arguments" in r.json()["detail"]


def test_nan_value_is_strict_json(client: Any) -> None:
    body = {"tensors": {"x": {"data": [0.0]}}, "nodes": [{"id": "y", "expr": "x / x"}]}
    r = client.post("/v1/evaluate", json=body)
    assert r.status_code == 200 and "NaN" in r.text
    import json

    json.loads(r.text, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert math.isnan(float(r.json()["tensors"]["y"]["data"][0]))


def test_gzip_request_and_response(client: Any) -> None:
    import gzip
    import json as _json

    n = 20_000
    body = {"tensors": {"x": {"data": [1.0] * n, "requires_grad": True}},
            "nodes": [{"id": "s", "expr": "(x * x).sum()"}], "backward": [{"output": "s"}]}
    raw = gzip.compress(_json.dumps(body).encode())
    r = client.post("/v1/evaluate", content=raw, headers={"content-type": "application/json",
                                                          "content-encoding": "gzip", "accept-encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.headers.get("content-encoding") == "gzip"
    t = r.json()["tensors"]  # httpx inflates
    assert t["s"]["data"] == float(n) and t["x"]["grad"][:2] == [2.0, 2.0]


def test_gzip_bomb_is_413() -> None:
    import gzip

    import anyio
    import httpx

    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(max_body_bytes=100_000))
    bomb = gzip.compress(b"[" + b"0," * 5_000_000 + b"0]")
    assert len(bomb) < 100_000

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/v1/evaluate", content=bomb,
                             headers={"content-type": "application/json", "content-encoding": "gzip"})
            assert r.status_code == 413 and "inflated" in r.json()["detail"]
            r = await c.post("/v1/evaluate", content=b"not gzip",
                             headers={"content-type": "application/json", "content-encoding": "gzip"})
            assert r.status_code == 400
            r = await c.post("/v1/evaluate", content=b"{}", headers={"content-type": "application/json",
                                                                     "content-encoding": "br"})
            assert r.status_code == 415

    anyio.run(go)


@pytest.mark.parametrize(("node", "words"), [
    ({"expr": "x.logsumexp(None)"}, "argument 'dim' (position 1) must be tuple of ints"),
    ({"expr": "x.logsumexp(dim=None)"}, "argument 'dim' must be tuple of ints"),
    ({"expr": "logsumexp(x, None)"}, "argument 'dim' (position 2) must be tuple of ints"),
    ({"op": "logsumexp", "args": ["x"], "kwargs": {"dim": None}}, "argument 'dim' must be tuple of ints"),
    ({"expr": "x.cumsum(None)"}, "argument 'dim' (position 1) must be int"),
])
def test_argument_errors_are_worded_for_the_call_as_written(client: Any, node: dict, words: str) -> None:
    """A method counts positions after ``self``, a keyword names none: PyTorch's argument parser's words."""
    r = client.post("/v1/evaluate", json={"tensors": {"x": {"data": [[1.0, 2.0]]}}, "nodes": [{"id": "y", **node}]})
    assert r.status_code == 422 and words in r.json()["detail"], r.json()
