"""The op registry rendered for ``GET /v1/ops``."""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any

from engine.ops.registry import REGISTRY, NotGiven

from .schemas import OpInfo, OpParam, OpsResponse

GRAD_ENTRY = OpInfo(
    name="grad",
    signature="grad(outputs, inputs, *, grad_outputs=None, create_graph=False, retain_graph=None, allow_unused=False)",
    params=[
        OpParam(name="outputs", required=True, tensor=True, keyword_only=False),
        OpParam(name="inputs", required=True, tensor=True, keyword_only=False),
        OpParam(name="grad_outputs", default=None, required=False, tensor=True, keyword_only=True),
        OpParam(name="create_graph", default=False, required=False, tensor=False, keyword_only=True),
        OpParam(name="retain_graph", default=None, required=False, tensor=False, keyword_only=True),
        OpParam(name="allow_unused", default=False, required=False, tensor=False, keyword_only=True),
    ],
    differentiable=True,
    method=None,
    namespace="torch.autograd",
    doc="torch.autograd.grad for one output and one input; with create_graph the result is differentiable again.",
)


def _json_default(v: Any) -> Any:
    if v is inspect.Parameter.empty or isinstance(v, NotGiven):  # (a default that is no value)
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    if isinstance(v, tuple):
        return list(v)
    return repr(v)


@functools.cache
def catalogue() -> OpsResponse:
    """Every public op, from the registry, sorted by name."""
    ops = [GRAD_ENTRY]
    seen = set()
    for name, op in sorted(REGISTRY.items()):
        if name.startswith("_") or id(op) in seen and name == op.name:
            continue
        seen.add(id(op))
        ops.append(
            OpInfo(
                name=name,
                signature=op.signature().replace(op.name + "(", name + "(", 1),
                params=[
                    OpParam(name=p.name, default=_json_default(p.default), required=p.required, tensor=p.tensor,
                            keyword_only=p.kind == "keyword")
                    for p in op.params
                ],
                differentiable=op.differentiable,
                method=op.method,
                namespace={"torch": "torch", "functional": "torch.nn.functional", "tensor": "Tensor"}[op.namespace],
                doc=op.doc,
            )
        )
    return OpsResponse(ops=ops)
