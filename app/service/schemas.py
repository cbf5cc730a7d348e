"""The wire format of ``/v1/evaluate`` as pydantic models.

Pydantic validates the structure (strict: no ``"true"`` for ``true``, no unknown
fields). Bulk numbers (``data``, ``gradient``) stay ``Any`` here and are converted by
NumPy in ``tensors.py``: validating a Python object per element would be the slow path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

DTypeName = Literal["float32", "float64", "float16", "int32", "int64", "bool"]
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


DATA_SCHEMA: dict[str, Any] = {
    "description": "A number, a boolean, or a nested rectangular list of them; "
    '"NaN", "Infinity" and "-Infinity" stand for non-finite floats.',
    "anyOf": [
        {"type": "number"},
        {"type": "boolean"},
        {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]},
        {"type": "array", "items": {}},
    ],
}


class DataTensor(_Strict):
    """A tensor given by its values."""

    data: Annotated[Any, Field(json_schema_extra=DATA_SCHEMA)]
    dtype: DTypeName = Field("float32", description="Element type (PyTorch's default: float32).")
    requires_grad: bool = Field(False, description="Track gradients (floating dtypes only).")


class B64Tensor(_Strict):
    """A tensor given as base64 of its raw little-endian C-order bytes."""

    b64: str = Field(description="base64 of the raw little-endian, C-order buffer.")
    shape: list[Annotated[int, Field(ge=0)]] = Field(description="The tensor's shape.")
    dtype: DTypeName = "float32"
    requires_grad: bool = False


class FactoryTensor(_Strict):
    """A tensor made by a factory (``zeros``, ``randn``, ...)."""

    factory: Literal["zeros", "ones", "full", "eye", "arange", "linspace", "rand", "randn"] = Field(
        description="The factory; `full` needs `fill_value`, `arange` `end` (and `start`, `step`), "
        "`linspace` `start`, `end`, `steps`; `rand`/`randn` take an optional `seed`."
    )
    shape: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="The shape (for `eye`: `[n]` or `[n, m]`; optional for `arange`/`linspace`)."
    )
    fill_value: float | bool | None = None
    start: float | None = None
    end: float | None = None
    step: float | None = None
    steps: Annotated[int, Field(ge=0)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = Field(None, description="Same seed, same numbers.")
    dtype: DTypeName = "float32"
    requires_grad: bool = False


def _tensor_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        found = [k for k in ("data", "b64", "factory") if k in v]
        return found[0] if len(found) == 1 else None
    return None


TensorSpec = Annotated[
    Annotated[DataTensor, Tag("data")] | Annotated[B64Tensor, Tag("b64")] | Annotated[FactoryTensor, Tag("factory")],
    Discriminator(
        _tensor_tag,
        custom_error_type="tensor_spec",
        custom_error_message="a tensor spec has exactly one of 'data', 'b64' or 'factory'",
    ),
]


class GradientData(_Strict):
    """A backward step's ``gradient``: values only (no requires_grad)."""

    data: Annotated[Any, Field(json_schema_extra=DATA_SCHEMA)]
    dtype: DTypeName | None = None


class GradientB64(_Strict):
    b64: str
    shape: list[Annotated[int, Field(ge=0)]]
    dtype: DTypeName | None = None


class GradientFactory(_Strict):
    factory: Literal["zeros", "ones", "full", "eye", "arange", "linspace", "rand", "randn"]
    shape: list[Annotated[int, Field(ge=0)]] | None = None
    fill_value: float | bool | None = None
    start: float | None = None
    end: float | None = None
    step: float | None = None
    steps: Annotated[int, Field(ge=0)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    dtype: DTypeName | None = None


GradientSpec = Annotated[
    Annotated[GradientData, Tag("data")]
    | Annotated[GradientB64, Tag("b64")]
    | Annotated[GradientFactory, Tag("factory")],
    Discriminator(
        _tensor_tag,
        custom_error_type="tensor_spec",
        custom_error_message="a gradient has exactly one of 'data', 'b64' or 'factory'",
    ),
]


ARG_SCHEMA: dict[str, Any] = {
    "description": "A name (a tensor or an earlier node), a number or boolean (a Python scalar), a nested "
    "list of numbers (a constant tensor), a list of names (for cat/stack), or an inline node object.",
}


class InlineNode(_Strict):
    """An anonymous node used as an argument: ``{"op": "sum", "args": ["y"]}``."""

    op: str = Field(description="An op name from GET /v1/ops.")
    args: list[Annotated[Any, Field(json_schema_extra=ARG_SCHEMA)]] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)


class OpNode(_Strict):
    """A node computed by an op of the catalogue."""

    id: Name = Field(description="The node's name.")
    op: str = Field(description="An op name from GET /v1/ops, e.g. `add`, `matmul`, `sum`, `softmax`, `grad`.")
    args: list[Annotated[Any, Field(json_schema_extra=ARG_SCHEMA)]] = Field(
        default_factory=list, description="Positional arguments."
    )
    kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments by PyTorch's names; `{\"ref\": \"name\"}` passes a tensor.",
    )
    retain_grad: bool = Field(False, description="Keep `.grad` on this non-leaf (as `y.retain_grad()`).")


class ExprNode(_Strict):
    """A node given as an expression in Python syntax, parsed (never evaluated) by the service."""

    id: Name
    expr: str = Field(
        description="e.g. `5 * (x + 1) ** 2`, `torch.sum(y)`, `softmax(z, dim=0)`, `w.T @ x`, `x[:, 1:3]`.",
    )
    retain_grad: bool = False


def _node_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        found = [k for k in ("op", "expr") if k in v]
        return found[0] if len(found) == 1 else None
    return None


NodeSpec = Annotated[
    Annotated[OpNode, Tag("op")] | Annotated[ExprNode, Tag("expr")],
    Discriminator(
        _node_tag,
        custom_error_type="node_spec",
        custom_error_message="a node has exactly one of 'op' or 'expr'",
    ),
]


class BackwardStep(_Strict):
    """One ``.backward()`` call; steps run in order and accumulate into ``.grad``."""

    output: Name = Field(description="The tensor to call `.backward()` on.")
    gradient: GradientSpec | None = Field(None, description="Required unless `output` has one element.")
    retain_graph: bool | None = Field(None, description="Keep the graph for another backward (default: create_graph).")
    create_graph: bool = Field(False, description="Record the backward pass (for higher derivatives).")
    inputs: list[Name] | None = Field(None, description="Accumulate only into these tensors.")


class EvaluateRequest(_Strict):
    """Tensors, a graph of nodes over them, and backward steps to run."""

    tensors: dict[str, TensorSpec] = Field(default_factory=dict, description="The leaf tensors, by name.")
    nodes: list[NodeSpec] = Field(default_factory=list, description="Evaluated in order.")
    backward: list[BackwardStep] = Field(default_factory=list, description="Run in order, after all nodes.")
    outputs: list[Name] | None = Field(None, description="Which tensors to report (default: all).")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="`auto`: the GPU when usable, else the CPU.")
    encoding: Literal["json", "b64"] = Field("json", description="How the response writes tensor data.")
    verify: bool = Field(
        False,
        description="Check every leaf's analytic gradient against finite differences (float64, gradcheck's "
        "tolerances) for the output of the first backward step, else the last node (as POST /v1/gradcheck).",
    )
    order: Literal[1, 2] = Field(1, description="With `verify`: 2 adds the second-derivative check.")
    include: list[Literal["graph"]] = Field(default_factory=list, description="Extras to report: `graph`.")


class TensorOut(BaseModel):
    """One reported tensor."""

    data: Any = Field(description="Nested lists (a bare number for 0-d), or `{\"b64\": ...}`.")
    shape: list[int]
    dtype: DTypeName
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None = Field(description="PyTorch's node class name, e.g. `MulBackward0`.")
    grad: Any = Field(None, description="As `data`; null where PyTorch's `.grad` is None.")
    grad_reason: str | None = Field(None, description="Why `grad` is null, where it is.")


class EvaluateResponse(BaseModel):
    """Forward values, gradients and flags of the requested tensors."""

    device: Literal["cpu", "cuda"]
    tensors: dict[str, TensorOut]
    timings_ms: dict[str, float]
    verify: dict[str, Any] | None = Field(None, description="Per leaf: max_abs_error, max_rel_error, passed.")
    passed: bool | None = Field(None, description="With `verify`: whether every check passed.")
    diagnostics: dict[str, Any] | None = Field(None, description="Where non-finite values first appeared, and why.")
    graph: dict[str, Any] | None = Field(None, description="With `include: [\"graph\"]`: forward and backward graph.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    loc: list[str | int] = Field(default_factory=list, description="Where in the request the problem is.")
    code: str | None = Field(None, description="Autograd misuse: a machine-readable code, e.g. `non_scalar_backward`.")
    hint: str | None = Field(None, description="Autograd misuse: the request change that fixes it.")


class OpParam(BaseModel):
    name: str
    default: Any = None
    required: bool
    tensor: bool
    keyword_only: bool


class OpInfo(BaseModel):
    name: str
    signature: str
    params: list[OpParam]
    differentiable: bool
    method: str | None
    namespace: str
    doc: str


class OpsResponse(BaseModel):
    ops: list[OpInfo]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    version: str
    devices: list[str]
    default_device: str


# -- functional transforms and gradient checks (POST /v1/jacobian, ..., /v1/gradcheck) ----------

class GraphRequest(_Strict):
    """The graph part of an ``/v1/evaluate`` body: leaf tensors and nodes over them."""

    tensors: dict[str, TensorSpec] = Field(default_factory=dict, description="The leaf tensors, by name.")
    nodes: list[NodeSpec] = Field(default_factory=list, description="Evaluated in order.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="`auto`: the GPU when usable, else the CPU.")
    encoding: Literal["json", "b64"] = Field("json", description="How the response writes tensor data.")


class FunctionalRequest(GraphRequest):
    """A function given as a graph: `inputs` (leaf tensors) → `output` (a node), for a transform of
    ``torch.autograd.functional``."""

    output: Name = Field(description="The function's value: a node (or tensor) name.")
    inputs: list[Name] = Field(min_length=1, description="The function's arguments: names of leaf tensors.")
    create_graph: bool = Field(False, description="As in PyTorch: the results stay differentiable.")
    strict: bool = Field(False, description="As in PyTorch: an output independent of an input is an error.")


class JacobianRequest(FunctionalRequest):
    """``torch.autograd.functional.jacobian(f, inputs)``."""


class HessianRequest(FunctionalRequest):
    """``torch.autograd.functional.hessian(f, inputs)`` of a function with a one-element output."""


class VJPRequest(FunctionalRequest):
    """``torch.autograd.functional.vjp(f, inputs, v)``: ``v`` is shaped as the output."""

    v: GradientSpec | None = Field(
        None, description="The cotangent, shaped as `output` (optional when it has one element)."
    )


class JVPRequest(FunctionalRequest):
    """``torch.autograd.functional.jvp(f, inputs, v)``: ``v`` has one tensor per input."""

    v: dict[Name, GradientSpec] | None = Field(
        None, description="The tangent, by input name, each shaped as its input (optional for one one-element input)."
    )


class HVPRequest(FunctionalRequest):
    """``torch.autograd.functional.hvp(f, inputs, v)`` of a function with a one-element output."""

    v: dict[Name, GradientSpec] | None = Field(
        None, description="The vector, by input name, each shaped as its input (optional for one one-element input)."
    )


class GradcheckRequest(GraphRequest):
    """``torch.autograd.gradcheck`` of `output` with respect to every leaf that requires grad, in float64."""

    output: Name = Field(description="The node (or tensor) whose derivatives are checked.")
    eps: float = Field(1e-6, gt=0, description="Finite-difference step (PyTorch's default).")
    atol: float = Field(1e-5, ge=0, description="Absolute tolerance (PyTorch's default).")
    rtol: float = Field(1e-3, ge=0, description="Relative tolerance (PyTorch's default).")
    order: Literal[1, 2] = Field(1, description="2 adds the second-derivative check (gradgradcheck).")


class TensorValue(BaseModel):
    """A result tensor: values, shape and dtype (data as in `/v1/evaluate`)."""

    data: Any = Field(description="Nested lists (a bare number for 0-d), or `{\"b64\": ...}`.")
    shape: list[int]
    dtype: DTypeName


class _TransformResponse(BaseModel):
    device: Literal["cpu", "cuda"]
    output: TensorValue = Field(description="The function's value at the inputs.")
    timings_ms: dict[str, float]


class JacobianResponse(_TransformResponse):
    jacobian: dict[str, TensorValue] = Field(description="Per input: a block of shape output.shape + input.shape.")


class HessianResponse(_TransformResponse):
    hessian: dict[str, dict[str, TensorValue]] = Field(description="[a][b]: a block of shape a.shape + b.shape.")


class VJPResponse(_TransformResponse):
    vjp: dict[str, TensorValue] = Field(description="Per input: vᵀJ, shaped as the input.")


class JVPResponse(_TransformResponse):
    jvp: TensorValue = Field(description="J v, shaped as the output.")


class HVPResponse(_TransformResponse):
    hvp: dict[str, TensorValue] = Field(description="Per input: H v, shaped as the input.")


class GradcheckResponse(BaseModel):
    """Per leaf that requires grad: the largest errors between analytical and numerical derivatives."""

    device: Literal["cpu", "cuda"]
    output: str
    verify: dict[str, Any] = Field(description="Per leaf: max_abs_error, max_rel_error, passed.")
    passed: bool
    order: int
    eps: float
    atol: float
    rtol: float
    timings_ms: dict[str, float]
