"""The OpenAPI document: checked in, in step with the app, every example a working request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_document_matches_the_app(app: Any) -> None:
    served = json.loads(json.dumps(app.openapi(), sort_keys=True))
    on_disk = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert served == on_disk, (
        "openapi/openapi.json is stale: run `make openapi` (gradient-service openapi -o openapi/openapi.json)"
    )


def _examples(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            for media in content.values():
                for name, ex in media.get("examples", {}).items():
                    found.append((f"{method.upper()} {path} {name}", path, ex["value"]))
    return found


def test_every_example_in_the_document_answers_200(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    examples = _examples(doc)
    assert len(examples) >= 10
    for label, path, body in examples:
        r = client.post(path, json=body)
        assert r.status_code == 200, f"{label}: {r.text}"


def test_tutorial_examples_give_the_tutorials_numbers(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    ex = {label.split()[-1]: body for label, _, body in _examples(doc)}
    t = client.post("/v1/evaluate", json=ex["tutorial_gradient"]).json()["tensors"]
    assert t["y"]["data"] == [20.0, 20.0] and t["o"]["data"] == 20.0 and t["x"]["grad"] == [10.0, 10.0]
    assert all(v["requires_grad"] for v in t.values())
    a = client.post("/v1/evaluate", json=ex["tensor_with_gradients"]).json()["tensors"]["a"]
    assert a["data"] == [[1.0, 1.0], [1.0, 1.0]] and a["requires_grad"] is True
    assert client.post("/v1/evaluate", json=ex["requires_grad_method"]).json()["tensors"]["a"]["requires_grad"] is True
    assert client.post(
        "/v1/evaluate", json=ex["tensor_without_gradients"]
    ).json()["tensors"]["no_gradient"]["requires_grad"] is False
    add = client.post("/v1/evaluate", json=ex["addition"]).json()["tensors"]
    assert add["sum_op"]["data"] == add["sum_fn"]["data"] == [[2.0, 2.0], [2.0, 2.0]]
    mul = client.post("/v1/evaluate", json=ex["multiplication"]).json()["tensors"]
    assert mul["prod_op"]["data"] == mul["prod_fn"]["data"] == [[1.0, 1.0], [1.0, 1.0]]


def test_schemas_have_descriptions(app: Any) -> None:
    schemas = app.openapi()["components"]["schemas"]
    for name in ("EvaluateRequest", "DataTensor", "FactoryTensor", "OpNode", "ExprNode", "BackwardStep"):
        assert schemas[name].get("description"), name
