"""In-place ops: ``x.add_(y)``, ``x += y``, ``x.zero_()``, ``x.clamp_(0, 1)``, ... as PyTorch runs them.

An in-place op computes what its out-of-place op computes (the same registry entry), then writes
the result into the tensor's own memory, so that every alias of it (``x.data``, ``x.detach()``,
``x.numpy()``, the tensor a slice was taken from) sees the new values, and counts a new version
(``autograd.versions``: backward then refuses to read a saved tensor that changed). PyTorch's rules:

- a leaf that requires grad refuses them while grad mode is on (``with no_grad(): w -= lr * w.grad``
  is how a parameter is updated);
- the result must have the tensor's own shape (the tensor itself does not broadcast), and a dtype
  that casts to its own (no float result written into an integer tensor);
- a tensor whose elements share memory (an expanded one) refuses them.

While a graph is recorded (grad mode on, and the tensor or an operand requires grad) the op is
recorded on the tensor's old values (a copy, where its derivative reads them), and the tensor
takes the op's node as its ``grad_fn``: after ``y = x * 2; y += 1``, ``y.grad_fn`` is an
``AddBackward0``; after ``y[0:2] = v``, ``CopySlices`` (the private op ``_index_put``: the gradient
of y's old values is zero where the write went, v's is the gradient read there). A view (a slice,
a reshape) refuses them then, since the graph of the tensor it views would not see the write
(PyTorch rewrites that history; the engine does not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import backend
from ._bind import operator
from .autograd import hooks, versions
from .autograd.grad_mode import STATE
from .dtypes import legacy_type
from .errors import ArgumentError, AutogradError, DTypeError, ShapeError, UnsupportedError, int64_overflow, type_name
from .ops.creation import fill_scalar
from .ops.indexing import _index_name as index_name
from .ops.indexing import assignment
from .ops.registry import REGISTRY, Op, call

if TYPE_CHECKING:
    from .tensor import Tensor

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."
NO_GRAD_VIEW_MESSAGE = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this "
    "use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view "
    "and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both "
    "outside (if you want the inplace to be tracked)."
)
OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single memory "
    "location. Please clone() the tensor before performing the operation."
)

# PyTorch's in-place methods whose out-of-place op the registry carries: method -> op
METHODS = {
    "add_": "add", "sub_": "sub", "subtract_": "sub", "mul_": "mul", "multiply_": "mul", "div_": "div",
    "divide_": "div", "true_divide_": "div", "pow_": "pow", "neg_": "neg", "negative_": "neg", "abs_": "abs",
    "absolute_": "abs", "exp_": "exp", "exp2_": "exp2", "log_": "log", "log2_": "log2", "log10_": "log10",
    "log1p_": "log1p", "expm1_": "expm1", "sqrt_": "sqrt", "rsqrt_": "rsqrt", "square_": "square",
    "reciprocal_": "reciprocal", "sin_": "sin", "cos_": "cos", "tan_": "tan", "asin_": "asin", "arcsin_": "asin",
    "acos_": "acos", "arccos_": "acos", "atan_": "atan", "arctan_": "atan", "sinh_": "sinh", "cosh_": "cosh",
    "tanh_": "tanh", "sigmoid_": "sigmoid", "relu_": "relu", "sign_": "sign", "floor_": "floor", "ceil_": "ceil",
    "round_": "round", "trunc_": "trunc", "clamp_": "clamp", "clip_": "clamp", "remainder_": "remainder",
    "atan2_": "atan2", "arctan2_": "atan2", "floor_divide_": "floor_divide", "masked_fill_": "masked_fill",
}
# the augmented assignments: ``x += y`` is ``x.add_(y)``
OPERATORS = {
    "__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_", "__ipow__": "pow_",
    "__ifloordiv__": "floor_divide_", "__imod__": "remainder_",
}


def run_inplace(t: Tensor, op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
    """``t.<op>_(*args, **kwargs)``: ``op``'s result written into ``t``; returns ``t``."""
    grad_mode = STATE.grad_enabled
    if grad_mode and t._rg and t.grad_fn is None:
        raise AutogradError(LEAF_MESSAGE)
    data = t._data
    if any(stride == 0 and size > 1 for stride, size in zip(data.strides, data.shape, strict=True)):
        raise AutogradError(OVERLAP_MESSAGE)
    if grad_mode and t._no_grad_view and t._base is not None and t._base._rg:
        raise AutogradError(NO_GRAD_VIEW_MESSAGE)  # (its base's graph would not see the write)
    records = grad_mode and (t._rg or any(getattr(a, "_rg", False) for a in (*args, *kwargs.values())))
    source = t
    node = t.grad_fn
    if records:
        if t._base is not None:  # (a view: ``Op.view``)
            if t._no_grad_view:
                raise AutogradError(NO_GRAD_VIEW_MESSAGE)
            if node is not None and any(type(e) is type(t) and e._rg for e in node.edges):
                raise AutogradError(VIEW_OF_LEAF_MESSAGE)
            raise UnsupportedError(
                "an in-place operation on a view (a slice, a reshape, a transpose, ...) is not supported "
                "while the graph is recorded: the viewed tensor's graph would not see it; clone() the view "
                "first, or use the out-of-place op"
            )
        if op._saves_inputs:  # the derivative reads the old values: the op gets a copy of them
            source = type(t)._wrap(data.copy(), t._dtype, t.grad_fn)
            source._rg = t._rg
    result = call(op, (source, *args), kwargs, True)
    _write(t, result, records)
    return t


def _write(t: Tensor, result: Tensor, records: bool) -> None:
    data = t._data
    if tuple(result.shape) != tuple(data.shape):
        raise ShapeError(
            f"output with shape {list(data.shape)} doesn't match the broadcast shape {list(result.shape)}"
        )
    if not _can_cast(result.dtype, t._dtype):
        raise DTypeError(
            f"result type {result.dtype._short} can't be cast to the desired output type {t._dtype._short}"
        )
    if not getattr(data.flags, "writeable", True):  # (CuPy's arrays are always writeable)
        raise UnsupportedError("the tensor's memory is read-only (a NumPy array that is not writeable)")
    node = result.grad_fn
    if records and result.dtype is not t._dtype and node is not None:
        # PyTorch's in-place op computes in the promoted dtype and writes the tensor's: its node (AddBackward0,
        # not a cast after it) has the tensor's dtype as its output's, so gradients arrive in it
        node.out_meta = (node.out_meta[0], t._dtype)
        cast = result._data.astype(t._dtype.np)
        if node._out is result._data:
            node._out = cast
        result = type(t)._wrap(cast, t._dtype, node)
    versions.written(t)
    data[...] = result._data
    if records:
        if node is not None and node._out is result._data:  # what its node saved is now the tensor's memory
            node._out = data
        if t._backward_hooks is not None:
            hooks.rebase(t, t.grad_fn)
        t.grad_fn = node
        t._rg = result._rg
        if t._retains_grad and t._rg:  # its .grad is now its new node's gradient
            t._retains_grad = False
            t.retain_grad()


def _can_cast(src: Any, dst: Any) -> bool:
    """c10's canCast: no floating result into an integer tensor, nothing but bool into a bool one."""
    if src.is_floating_point and not dst.is_floating_point:
        return False
    return dst.name != "bool" or src.name == "bool"


def setitem(t: Tensor, key: Any, value: Any) -> None:
    """``t[key] = value``: value (a number or a tensor, broadcast) written where ``t[key]`` reads, with
    PyTorch's checks and words; recorded (``CopySlices``, ...) where t or value requires grad."""
    # in PyTorch's order: the value, the key, then (the leaf's refusal where the key is advanced) the
    # value's shape and dtype against the indexed part, and the leaf's refusal where it is a view
    is_tensor = isinstance(value, type(t))
    if not is_tensor and type(value) not in (bool, int, float):
        kind = legacy_type(t._dtype, t.device.type == "cuda")
        raise ArgumentError(f"can't assign a {type_name(value)} to a {kind}")
    if not is_tensor:
        overflow = int64_overflow(value)
        if overflow is not None:
            raise overflow
        fill_scalar(value, t._dtype)  # (PyTorch's overflow words: NaN into int64, 1e40 into float32)
    data = t._data
    view, adv_key, target = assignment(backend.module_of(data), data, key)
    advanced = adv_key is not None
    leaf = STATE.grad_enabled and t._rg and t.grad_fn is None
    if leaf and advanced:
        raise AutogradError(VIEW_OF_LEAF_MESSAGE)
    source: Any = value
    if is_tensor:
        source = value._data
        shape = tuple(source.shape)
        while shape and shape[0] == 1:  # PyTorch drops the value's leading 1s first
            shape = shape[1:]
        _check_expand(shape, target, advanced, value)
        if advanced and value.dtype is not t._dtype and not (value.ndim == 0 and _is_mask(key)):
            raise DTypeError(
                f"Index put requires the source and destination dtypes match, got {t._dtype._short} for the "
                f"destination and {value.dtype._short} for the source."
            )
        source = source.reshape(shape)
    if leaf:
        raise AutogradError(VIEW_OF_LEAF_MESSAGE)  # (PyTorch writes through a view of it)
    if STATE.grad_enabled and t._no_grad_view and t._base is not None and t._base._rg:
        step = index_name(t, key)  # (PyTorch writes through a view of the view: its words name that one)
        if step in ("IndexBackward0", "AliasBackward0"):
            raise AutogradError(NO_GRAD_VIEW_MESSAGE)
        raise AutogradError(f"Output 0 of {step.removesuffix('Backward0')} is a view of a view which was created"
                            + NO_GRAD_VIEW_MESSAGE.removeprefix("A view was created"))
    if STATE.grad_enabled and (t._rg or (is_tensor and value._rg)):  # recorded: the tensor takes the write's node
        if t._base is not None:
            raise UnsupportedError(
                "x[key] = value on a view (a slice, a reshape, ...) while the graph is recorded is not supported: "
                "the viewed tensor's graph would not see it; assign into the viewed tensor itself"
            )
        _write(t, call(REGISTRY["_index_put"], (t, value), {"indices": key}), True)
        return
    if not getattr(data.flags, "writeable", True):
        raise UnsupportedError("the tensor's memory is read-only (a NumPy array that is not writeable)")
    versions.written(t)
    if advanced:
        view[adv_key] = source
    else:
        view[...] = source


def _is_mask(key: Any) -> bool:
    """A lone boolean tensor key (PyTorch fills through it, any value dtype)."""
    return getattr(key, "dtype", None) is not None and getattr(key.dtype, "name", "") == "bool"


def _check_expand(shape: tuple[int, ...], target: tuple[int, ...], advanced: bool, value: Tensor) -> None:
    def show(s: tuple[int, ...]) -> str:
        return ", ".join(map(str, s))

    if advanced:
        if len(shape) > len(target) or any(a not in (1, b) for a, b in zip(shape[::-1], target[::-1], strict=False)):
            raise ShapeError(
                f"shape mismatch: value tensor of shape [{show(shape)}] cannot be broadcast to indexing result of "
                f"shape [{show(target)}]"
            )
        return
    if len(shape) > len(target):
        raise ShapeError(
            f"expand({'CPUBoolType' if value.dtype.name == 'bool' else legacy_type(value.dtype)}{{[{show(shape)}]}}, "
            f"size=[{show(target)}]): the number of sizes "
            f"provided ({len(target)}) must be greater or equal to the number of dimensions in the tensor "
            f"({len(shape)})"
        )
    for i in range(1, len(shape) + 1):
        if shape[-i] not in (1, target[-i]):
            raise ShapeError(
                f"The expanded size of the tensor ({target[-i]}) must match the existing size ({shape[-i]}) at "
                f"non-singleton dimension {len(target) - i}.  Target sizes: [{show(target)}].  Tensor sizes: "
                f"[{show(shape)}]"
            )


def fill_(t: Tensor, value: Any) -> Tensor:
    """Fill ``t`` with ``value`` (a number or a 0-d tensor), in place."""
    return run_inplace(t, REGISTRY["_fill"], (value,), {})


def zero_(t: Tensor) -> Tensor:
    """Fill ``t`` with zeros, in place."""
    return run_inplace(t, REGISTRY["_fill"], (0,), {"zero": True})


def _method(name: str, op: Op) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        try:
            return run_inplace(self, op, args, kwargs)
        except ArgumentError as exc:  # PyTorch's words name the in-place method: "add_(): argument ..."
            if str(exc).startswith(f"{op.name}()"):
                exc.args = (f"{name}(){str(exc)[len(op.name) + 2:]}",)
            raise

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In place: ``{op.name}``'s result written into this tensor (returns it)."
    return method


def attach(tensor_class: type) -> None:
    """Give the tensor class PyTorch's in-place methods, augmented assignments and ``x[key] = value``."""
    for name, op_name in METHODS.items():
        if op_name in REGISTRY and not hasattr(tensor_class, name):
            setattr(tensor_class, name, _method(name, REGISTRY[op_name]))
    for name, fn in (("fill_", fill_), ("zero_", zero_), ("__setitem__", setitem)):
        setattr(tensor_class, name, fn)
    for dunder, name in OPERATORS.items():  # (a TypeError is NotImplemented: Python words the error)
        if hasattr(tensor_class, name):
            setattr(tensor_class, dunder, operator(getattr(tensor_class, name)))
