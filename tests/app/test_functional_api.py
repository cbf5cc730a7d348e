# ruff: noqa: N803 - the PyTorch references name their matrices as the graphs do (W, A, B)
"""POST /v1/jacobian, /v1/hessian, /v1/vjp, /v1/jvp, /v1/hvp against torch.autograd.functional.

Each case is one graph of catalogue ops, sent to the service as JSON and computed by PyTorch
with the same numbers; every transform of every case must agree.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch.autograd import functional as TF

import engine
from app.config import Settings
from app.main import create_app
from app.service import functional as service_functional
from app.service.errors import LimitExceeded
from app.service.limits import Limits

from .conftest import problem_of

RNG = np.random.default_rng(20240611)


def _r(*shape: int, low: float = -1.5, high: float = 1.5) -> np.ndarray:
    return RNG.uniform(low, high, shape)


@dataclass
class Case:
    name: str
    tensors: dict[str, np.ndarray]
    nodes: list[dict[str, Any]]
    inputs: list[str]
    fn: Callable[..., torch.Tensor]  # (**tensors by name) -> the output
    output: str = "out"
    dtype: str = "float64"
    extra: dict[str, Any] = field(default_factory=dict)  # non-float leaves: name -> tensor spec

    def body(self, **more: Any) -> dict[str, Any]:
        tensors = {n: {"data": a.tolist(), "dtype": self.dtype} for n, a in self.tensors.items()}
        for n in self.inputs:
            tensors[n]["requires_grad"] = True
        tensors.update(self.extra)
        return {"tensors": tensors, "nodes": self.nodes, "output": self.output, "inputs": self.inputs, **more}

    def torch_args(self) -> tuple[Callable[..., torch.Tensor], tuple[torch.Tensor, ...]]:
        dt = getattr(torch, self.dtype)
        consts: dict[str, torch.Tensor] = {n: torch.tensor(a, dtype=dt) for n, a in self.tensors.items()}
        for n, spec in self.extra.items():
            consts[n] = torch.tensor(spec["data"], dtype=getattr(torch, spec.get("dtype", "float32")))

        def f(*xs: torch.Tensor) -> torch.Tensor:
            return self.fn(**{**consts, **dict(zip(self.inputs, xs, strict=True))})

        return f, tuple(consts[n].requires_grad_() for n in self.inputs)


CASES = [
    Case("exp_vector", {"x": _r(4)}, [{"id": "out", "expr": "torch.exp(x)"}], ["x"], lambda x: torch.exp(x)),
    Case("tanh_layer", {"x": _r(3), "W": _r(2, 3)}, [{"id": "out", "expr": "torch.tanh(W @ x)"}], ["x", "W"],
         lambda x, W: torch.tanh(W @ x)),
    Case("softmax", {"z": _r(4)}, [{"id": "out", "op": "softmax", "args": ["z"], "kwargs": {"dim": 0}}], ["z"],
         lambda z: torch.softmax(z, dim=0)),
    Case("log_softmax_rows", {"z": _r(2, 3)}, [{"id": "out", "expr": "torch.log_softmax(z, dim=1)"}], ["z"],
         lambda z: torch.log_softmax(z, dim=1)),
    Case("broadcast_mul", {"a": _r(3, 1), "b": _r(4)}, [{"id": "out", "expr": "a * b"}], ["a", "b"],
         lambda a, b: a * b),
    Case("zero_dim_cube", {"x": np.array(0.7)}, [{"id": "out", "expr": "x ** 3"}], ["x"], lambda x: x**3),
    Case("zero_dim_and_vector", {"s": np.array(1.3), "v": _r(3)}, [{"id": "out", "expr": "torch.sin(s * v)"}],
         ["s", "v"], lambda s, v: torch.sin(s * v)),
    Case("silu_by_hand", {"x": _r(5)}, [{"id": "out", "expr": "torch.sigmoid(x) * x"}], ["x"],
         lambda x: torch.sigmoid(x) * x),
    Case("matmul", {"A": _r(2, 3), "B": _r(3, 2)}, [{"id": "out", "op": "matmul", "args": ["A", "B"]}],
         ["A", "B"], lambda A, B: A @ B),
    Case("sum_squares_dim", {"x": _r(2, 3)}, [{"id": "out", "expr": "torch.sum(x ** 2, dim=1)"}], ["x"],
         lambda x: torch.sum(x**2, dim=1)),
    Case("mean_scalar", {"x": _r(2, 2)}, [{"id": "out", "expr": "x.mean()"}], ["x"], lambda x: x.mean()),
    Case("sqrt_log", {"x": _r(3, low=0.5, high=2.0)}, [{"id": "out", "expr": "torch.sqrt(x) + torch.log(x)"}],
         ["x"], lambda x: torch.sqrt(x) + torch.log(x)),
    Case("sin_cos_two_inputs", {"x": _r(3), "y": _r(3)}, [{"id": "out", "expr": "torch.sin(x) * torch.cos(y)"}],
         ["x", "y"], lambda x, y: torch.sin(x) * torch.cos(y)),
    Case("relu_away_from_kink", {"x": np.array([-1.2, -0.4, 0.3, 1.1])},
         [{"id": "out", "op": "relu", "args": [{"op": "mul", "args": ["x", 2.0]}]}], ["x"],
         lambda x: torch.relu(x * 2.0)),
    Case("gram_matrix", {"x": _r(3, 2)}, [{"id": "out", "expr": "x.T @ x"}], ["x"], lambda x: x.T @ x),
    Case("cat", {"x": _r(2), "y": _r(3)}, [{"id": "c", "op": "cat", "args": [["x", "y"]]},
                                          {"id": "out", "expr": "c * c"}], ["x", "y"],
         lambda x, y: torch.cat([x, y]) ** 2),
    Case("stack_then_sum", {"x": _r(3), "y": _r(3)},
         [{"id": "out", "expr": "torch.sum(torch.stack([x, y]) ** 2, dim=0)"}],
         ["x", "y"], lambda x, y: torch.sum(torch.stack([x, y]) ** 2, dim=0)),
    Case("slicing", {"x": _r(4, 3)}, [{"id": "out", "expr": "x[1:3, ::2] * 2"}], ["x"], lambda x: x[1:3, ::2] * 2),
    Case("mse_loss", {"x": _r(2, 3), "y": _r(2, 3)}, [{"id": "out", "op": "mse_loss", "args": ["x", "y"]}],
         ["x", "y"], lambda x, y: F.mse_loss(x, y)),
    Case("cross_entropy_int_target", {"logits": _r(3, 4)},
         [{"id": "out", "op": "cross_entropy", "args": ["logits", "target"]}], ["logits"],
         lambda logits, target: F.cross_entropy(logits, target),
         extra={"target": {"data": [0, 3, 1], "dtype": "int64"}}),
    Case("norm_by_hand", {"x": _r(4)}, [{"id": "out", "expr": "torch.sqrt(torch.sum(x * x))"}], ["x"],
         lambda x: torch.sqrt(torch.sum(x * x))),
    Case("einsum", {"A": _r(2, 3), "x": _r(3)}, [{"id": "out", "expr": "torch.einsum('ij,j->i', A, x)"}],
         ["A", "x"], lambda A, x: torch.einsum("ij,j->i", A, x)),
    Case("where", {"x": np.array([-1.0, 0.5, -0.3, 2.0])},
         [{"id": "out", "expr": "torch.where(x > 0, x * x, 3 * x)"}],
         ["x"], lambda x: torch.where(x > 0, x * x, 3 * x)),
    Case("clamp", {"x": np.array([-1.0, 0.2, -0.3, 2.0])},
         [{"id": "out", "expr": "torch.clamp(x, min=-0.5, max=0.5) * x"}],
         ["x"], lambda x: torch.clamp(x, min=-0.5, max=0.5) * x),
    Case("pow_tensor_exponent", {"x": _r(3, low=0.5, high=2.0), "p": _r(3, low=0.5, high=2.0)},
         [{"id": "out", "expr": "x ** p"}], ["x", "p"], lambda x, p: x**p),
    Case("reshape_matmul", {"x": _r(6), "w": _r(3)}, [{"id": "out", "expr": "x.reshape(2, 3) @ w"}], ["x", "w"],
         lambda x, w: x.reshape(2, 3) @ w),
    Case("logsumexp", {"x": _r(2, 3)}, [{"id": "out", "op": "logsumexp", "args": ["x"], "kwargs": {"dim": 1}}],
         ["x"], lambda x: torch.logsumexp(x, dim=1)),
    Case("grad_node_inside", {"x": _r(3)},
         [{"id": "y", "expr": "torch.sum(x ** 3)"},
          {"id": "out", "op": "grad", "args": ["y", "x"], "kwargs": {"create_graph": True}}], ["x"],
         lambda x: torch.autograd.grad((x**3).sum(), x, create_graph=True)[0]),
    Case("float32_tanh_layer", {"x": _r(3), "W": _r(2, 3), "b": _r(2)},
         [{"id": "h", "expr": "torch.tanh(W @ x + b)"}, {"id": "out", "expr": "h * h"}], ["x", "W", "b"],
         lambda x, W, b: torch.tanh(W @ x + b) ** 2, dtype="float32"),
    Case("input_not_used_by_output", {"x": _r(3), "y": _r(2)}, [{"id": "out", "expr": "x * 2"}], ["x", "y"],
         lambda x, y: x * 2),
]
IDS = [c.name for c in CASES]


def _tol(case: Case) -> dict[str, float]:
    return {"rtol": 1e-9, "atol": 1e-11} if case.dtype == "float64" else {"rtol": 2e-5, "atol": 2e-6}


def _value(doc: dict[str, Any]) -> np.ndarray:
    data = doc["data"]
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["b64"]), dtype=np.dtype(doc["dtype"]).newbyteorder("<")).reshape(
            doc["shape"])
    return np.array(data, dtype=np.float64).reshape(doc["shape"])


def _same(doc: dict[str, Any], ref: torch.Tensor, case: Case) -> None:
    assert doc["shape"] == list(ref.shape)
    assert doc["dtype"] == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(_value(doc), ref.detach().numpy(), **_tol(case))


def _post(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _vector_like(t: torch.Tensor) -> np.ndarray:
    return RNG.uniform(-1, 1, tuple(t.shape))


def _scalar(case: Case) -> Case:
    """The case made scalar with curvature (sum of sin of the output), for hessian and hvp."""
    base = case.fn
    return Case(case.name, case.tensors,
                [*case.nodes, {"id": "scalar_out", "expr": "torch.sum(torch.sin(out))"}], case.inputs,
                lambda **kw: torch.sum(torch.sin(base(**kw))), output="scalar_out", dtype=case.dtype, extra=case.extra)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jacobian(client: Any, case: Case) -> None:
    out = _post(client, "/v1/jacobian", case.body())
    f, xs = case.torch_args()
    _same(out["output"], f(*xs), case)
    ref = TF.jacobian(f, xs)
    assert list(out["jacobian"]) == case.inputs
    for name, block in zip(case.inputs, ref, strict=True):
        _same(out["jacobian"][name], block, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vjp(client: Any, case: Case) -> None:
    f, xs = case.torch_args()
    v = _vector_like(f(*xs))
    out = _post(client, "/v1/vjp", case.body(v={"data": v.tolist()}))
    value, ref = TF.vjp(f, xs, torch.tensor(v, dtype=getattr(torch, case.dtype)))
    _same(out["output"], value, case)
    for name, r in zip(case.inputs, ref, strict=True):
        _same(out["vjp"][name], r, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp(client: Any, case: Case) -> None:
    f, xs = case.torch_args()
    vs = [_vector_like(x) for x in xs]
    body = case.body(v={n: {"data": v.tolist()} for n, v in zip(case.inputs, vs, strict=True)})
    out = _post(client, "/v1/jvp", body)
    value, ref = TF.jvp(f, xs, tuple(torch.tensor(v, dtype=x.dtype) for v, x in zip(vs, xs, strict=True)))
    _same(out["output"], value, case)
    _same(out["jvp"], ref, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hessian(client: Any, case: Case) -> None:
    case = _scalar(case)
    out = _post(client, "/v1/hessian", case.body())
    f, xs = case.torch_args()
    _same(out["output"], f(*xs), case)
    ref = TF.hessian(f, xs)
    assert list(out["hessian"]) == case.inputs
    for a, row in zip(case.inputs, ref, strict=True):
        assert list(out["hessian"][a]) == case.inputs
        for b, block in zip(case.inputs, row, strict=True):
            _same(out["hessian"][a][b], block, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hvp(client: Any, case: Case) -> None:
    case = _scalar(case)
    f, xs = case.torch_args()
    vs = [_vector_like(x) for x in xs]
    out = _post(client, "/v1/hvp", case.body(v={n: {"data": v.tolist()} for n, v in zip(case.inputs, vs, strict=True)}))
    value, ref = TF.hvp(f, xs, tuple(torch.tensor(v, dtype=x.dtype) for v, x in zip(vs, xs, strict=True)))
    _same(out["output"], value, case)
    for name, r in zip(case.inputs, ref, strict=True):
        _same(out["hvp"][name], r, case)


# -- flags, encodings, defaults -------------------------------------------------------------------

TANH = CASES[1]
CUBE = CASES[5]


def test_vjp_and_jvp_without_v_for_one_element(client: Any) -> None:
    out = _post(client, "/v1/vjp", CUBE.body())
    assert out["vjp"]["x"]["data"] == pytest.approx(3 * 0.7**2)
    out = _post(client, "/v1/jvp", CUBE.body())
    assert out["jvp"]["data"] == pytest.approx(3 * 0.7**2)
    out = _post(client, "/v1/hvp", CUBE.body())
    assert out["hvp"]["x"]["data"] == pytest.approx(6 * 0.7)


def test_b64_encoding(client: Any) -> None:
    out = _post(client, "/v1/jacobian", TANH.body(encoding="b64"))
    f, xs = TANH.torch_args()
    ref = TF.jacobian(f, xs)
    assert set(out["jacobian"]["W"]["data"]) == {"b64"}
    _same(out["jacobian"]["W"], ref[1], TANH)
    _same(out["output"], f(*xs), TANH)


def test_create_graph_and_strict_flags_are_accepted(client: Any) -> None:
    out = _post(client, "/v1/hessian", _scalar(TANH).body(create_graph=True, strict=True))
    f, xs = _scalar(TANH).torch_args()
    _same(out["hessian"]["W"]["x"], TF.hessian(f, xs, create_graph=True, strict=True)[1][0], TANH)


def test_non_finite_values_are_strings(client: Any) -> None:
    body = {"tensors": {"x": {"data": [-1.0, 4.0], "requires_grad": True}},
            "nodes": [{"id": "y", "expr": "torch.log(x) * 0 + torch.sqrt(x)"}], "output": "y", "inputs": ["x"]}
    out = _post(client, "/v1/jacobian", body)
    assert out["output"]["data"] == ["NaN", 2.0]
    assert out["jacobian"]["x"]["data"][0][0] == "NaN" and out["jacobian"]["x"]["data"][1][1] == 0.25


def test_factory_leaves_are_made_once(client: Any) -> None:
    # w has no seed: every evaluation of the function must still see the same numbers
    body = {"tensors": {"x": {"factory": "randn", "shape": [3], "seed": 3}, "w": {"factory": "rand", "shape": [3]}},
            "nodes": [{"id": "y", "expr": "x * w"}], "output": "y", "inputs": ["x"],
            "v": {"factory": "ones", "shape": [3]}}
    out = _post(client, "/v1/vjp", body)
    x = engine.randn(3, seed=3).numpy()
    np.testing.assert_allclose(np.array(out["output"]["data"]), x * np.array(out["vjp"]["x"]["data"]), rtol=1e-6)


def test_output_may_be_a_leaf(client: Any) -> None:
    body = {"tensors": {"x": {"data": [1.0, 2.0]}}, "output": "x", "inputs": ["x"]}
    out = _post(client, "/v1/jacobian", body)
    assert out["jacobian"]["x"]["data"] == [[1.0, 0.0], [0.0, 1.0]]


def test_nodes_after_the_output_are_not_run(client: Any) -> None:
    body = {"tensors": {"x": {"data": [1.0, 2.0]}, "i": {"data": [5], "dtype": "int64"}},
            "nodes": [{"id": "y", "expr": "x * 3"}, {"id": "z", "expr": "x[i]"}],  # z fails when run
            "output": "y", "inputs": ["x"]}
    assert _post(client, "/v1/jacobian", body)["jacobian"]["x"]["data"] == [[3.0, 0.0], [0.0, 3.0]]
    p = problem_of(client.post("/v1/jacobian", json=body | {"output": "z"}), 422)
    assert p["loc"] == ["nodes", 1]


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/jacobian", "/v1/hessian", "/v1/vjp", "/v1/jvp", "/v1/hvp"])
def test_unknown_output_and_inputs_are_located(client: Any, path: str) -> None:
    p = problem_of(client.post(path, json=CUBE.body() | {"output": "nope"}), 422)
    assert p["loc"] == ["output"] and "nope" in p["detail"]
    p = problem_of(client.post(path, json=CUBE.body() | {"inputs": ["x", "ghost"]}), 422)
    assert p["loc"] == ["inputs", 1] and "ghost" in p["detail"]


def test_input_errors(client: Any) -> None:
    p = problem_of(client.post("/v1/jacobian", json=TANH.body() | {"inputs": ["out"]}), 422)
    assert p["loc"] == ["inputs", 0] and "node" in p["detail"]
    p = problem_of(client.post("/v1/jacobian", json=TANH.body() | {"inputs": ["x", "x"]}), 422)
    assert p["loc"] == ["inputs", 1]
    p = problem_of(client.post("/v1/jacobian", json=TANH.body() | {"inputs": []}), 422)
    assert p["loc"] == ["inputs"]
    case = CASES[19]  # cross entropy: an int64 target
    p = problem_of(client.post("/v1/jacobian", json=case.body() | {"inputs": ["target"]}), 422)
    assert p["loc"] == ["inputs", 0]
    assert "Only Tensors of floating point and complex dtype can require gradients" in p["detail"]
    p = problem_of(client.post("/v1/jacobian", json=TANH.body() | {"v": {"data": [1.0]}}), 422)
    assert p["loc"] == ["v"]  # not a field of /v1/jacobian


def _torch_error(fn: Callable[[], Any]) -> str:
    with pytest.raises(Exception) as info:  # noqa: PT011 - PyTorch raises RuntimeError or ValueError
        fn()
    return str(info.value)


def test_hessian_of_non_scalar_is_pytorchs_error(client: Any) -> None:
    f, xs = TANH.torch_args()
    expected = _torch_error(lambda: TF.hessian(f, xs))
    for path in ("/v1/hessian", "/v1/hvp"):
        body = TANH.body() if path == "/v1/hessian" else TANH.body(v={"x": {"data": [1, 1, 1]},
                                                                      "W": {"factory": "zeros", "shape": [2, 3]}})
        p = problem_of(client.post(path, json=body), 422)
        assert p["loc"] == ["output"]
        assert p["detail"] == expected.replace("hessian", path.rsplit("/", 1)[1])


def test_v_shape_mismatch(client: Any) -> None:
    f, xs = TANH.torch_args()
    p = problem_of(client.post("/v1/vjp", json=TANH.body(v={"data": [1.0, 2.0, 3.0]})), 422)
    assert p["loc"] == ["v"]
    assert p["detail"] == _torch_error(lambda: TF.vjp(f, xs, torch.ones(3, dtype=torch.float64)))
    body = TANH.body(v={"x": {"data": [1.0, 2.0, 3.0]}, "W": {"data": [1.0, 2.0]}})
    p = problem_of(client.post("/v1/jvp", json=body), 422)
    assert p["loc"] == ["v", "W"]
    one = torch.ones(3, dtype=torch.float64)
    expected = _torch_error(lambda: TF.jvp(f, xs, (one, one[:2])))
    assert p["detail"] == expected
    p = problem_of(client.post("/v1/jvp", json=CUBE.body(v={"x": {"data": [1.0, 2.0]}})), 422)
    assert p["loc"] == ["v", "x"] and "v has invalid size" in p["detail"]


def test_v_names(client: Any) -> None:
    p = problem_of(client.post("/v1/jvp", json=TANH.body(v={"x": {"data": [1.0, 2.0, 3.0]}})), 422)
    assert p["loc"] == ["v"] and "'W'" in p["detail"]
    p = problem_of(client.post("/v1/hvp", json=CUBE.body(v={"x": {"data": 1.0}, "q": {"data": 1.0}})), 422)
    assert p["loc"] == ["v", "q"]


def test_v_needed_for_non_scalar(client: Any) -> None:
    f, xs = TANH.torch_args()
    p = problem_of(client.post("/v1/vjp", json=TANH.body()), 422)
    assert p["loc"] == ["v"] and p["detail"] == _torch_error(lambda: TF.vjp(f, xs))
    p = problem_of(client.post("/v1/jvp", json=TANH.body()), 422)
    assert p["loc"] == ["v"] and p["detail"] == _torch_error(lambda: TF.jvp(f, xs))


def test_strict_mode_error_is_pytorchs(client: Any) -> None:
    case = CASES[-1]  # y unused
    f, xs = case.torch_args()
    p = problem_of(client.post("/v1/jacobian", json=case.body(strict=True)), 422)
    assert p["detail"].endswith(_torch_error(lambda: TF.jacobian(f, xs, strict=True)))


def _client_for(settings: Settings) -> httpx.Client:
    import anyio

    app = create_app(settings)

    class SyncASGI(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            async def go() -> httpx.Response:
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                response = await transport.handle_async_request(request)
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
                return httpx.Response(response.status_code, headers=response.headers, content=raw)

            return anyio.run(go)

    return httpx.Client(transport=SyncASGI(), base_url="http://testserver")


def test_cost_is_checked_before_computing() -> None:
    body = {"tensors": {"x": {"factory": "randn", "shape": [300], "seed": 0},
                        "W": {"factory": "randn", "shape": [300, 300]}},
            "nodes": [{"id": "y", "expr": "torch.tanh(W @ x)"}], "output": "y", "inputs": ["x"]}
    with _client_for(Settings(max_flops=5e6)) as small:
        assert small.post("/v1/vjp", json=body | {"v": {"factory": "ones", "shape": [300]}}).status_code == 200
        p = problem_of(small.post("/v1/jacobian", json=body), 413)
        assert "300 passes" in p["detail"] and "max_flops" in p["detail"] and "5e+06" in p["detail"]
        p = problem_of(small.post("/v1/hessian", json=body | {"nodes": [*body["nodes"], {"id": "s", "expr": "y.sum()"}],
                                                             "output": "s"}), 413)
        assert "300 passes" in p["detail"]
    with pytest.raises(LimitExceeded, match="max_response_elements"):
        service_functional.prepare("jacobian", body, Limits(max_response_elements=50_000))


def test_schema_errors(client: Any) -> None:
    p = problem_of(client.post("/v1/hessian", json={"tensors": {}, "output": "s"}), 422)
    assert p["loc"] == ["inputs"]
    p = problem_of(client.post("/v1/jvp", json=CUBE.body(backward=[{"output": "out"}])), 422)
    assert p["loc"] == ["backward"]
    assert problem_of(client.post("/v1/jvp", content=b"{", headers={"content-type": "application/json"}), 400)
