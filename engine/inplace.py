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
of y's old values is zero where the write went, v's is the gradient read there). Through a view
(``y[0] += 1``, ``y[:, 0].mul_(w)``, ``y.t()[1] = v``) the op is recorded on the view's values and
the base takes ``CopySlices`` (``ops.strided``); the view, and every view of the base made in grad
mode, then read the base's new values through ``AsStridedBackward0``, as PyTorch remakes a view's
node once its base was written (``engine.views``: that, PyTorch's refusals of writes through views,
and the memory-overlap rules).
``x.copy_(src)`` is such an op too: ``_copy`` (``CopyBackwards``) written through the same steps.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from . import backend
from ._bind import operator
from ._warnings import warn as _warn
from .autograd import hooks, versions
from .autograd.grad_mode import STATE
from .dtypes import float16, legacy_type, scalar_dtype
from .errors import ArgumentError, AutogradError, DTypeError, ShapeError, UnsupportedError, int64_overflow, type_name
from .ops.creation import fill_scalar
from .ops.indexing import _index_name as index_name
from .ops.indexing import _index_put_name as index_put_name
from .ops.indexing import assignment
from .ops.registry import REGISTRY, Op, call
from .views import (
    NO_GRAD_VIEW_MESSAGE,
    OVERLAP_WRITERS,
    VIEW_OF_LEAF_MESSAGE,
    check_view_write,
    index_in_base,
    partial_overlap,
    rebase_untracked,
    rebase_views,
    self_overlapping,
    view_values,
)

if TYPE_CHECKING:
    from .tensor import Tensor

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
PARTIAL_OVERLAP_MESSAGE = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory "
    "location. Please clone() the tensor before performing the operation."
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
    "scatter_": "scatter", "scatter_add_": "scatter_add",
}
# the augmented assignments: ``x += y`` is ``x.add_(y)``
OPERATORS = {
    "__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_", "__ipow__": "pow_",
    "__ifloordiv__": "floor_divide_", "__imod__": "remainder_",
}


def _check_inputs_overlap(data: Any, operands: Any) -> None:
    for x in operands:
        if hasattr(x, "_data") and partial_overlap(data, x._data):
            raise AutogradError(PARTIAL_OVERLAP_MESSAGE)


def run_inplace(t: Tensor, op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
    """``t.<op>_(*args, **kwargs)``: ``op``'s result written into ``t``; returns ``t``."""
    grad_mode = STATE.grad_enabled
    if grad_mode and t._no_grad_view and t._base is not None and t._base._rg:
        raise AutogradError(NO_GRAD_VIEW_MESSAGE)  # (its base's graph would not see the write)
    if grad_mode and t._rg and t.grad_fn is None:
        raise AutogradError(LEAF_MESSAGE)
    data = t._data
    if self_overlapping(data) and op.name not in OVERLAP_WRITERS:
        raise AutogradError(OVERLAP_MESSAGE)
    if op.name == "masked_fill" and self_overlapping(data):
        _warn("Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing "
              "this operation. This also applies to advanced indexing e.g. tensor[mask] = scalar")
    _check_inputs_overlap(data, (*args, *kwargs.values()))
    records = grad_mode and (t._rg or any(getattr(a, "_rg", False) for a in (*args, *kwargs.values())))
    source = t
    if records:
        if t._base is not None:  # (a view: ``Op.view``)
            check_view_write(t, None)
            source = view_values(t)
        elif op._saves_inputs:  # the derivative reads the old values: the op gets a copy of them
            source = type(t)._wrap(data.copy(), t._dtype, t.grad_fn)
            source._rg = t._rg
    result = call(op, (source, *args), kwargs, True)
    if records and t._base is not None:
        _write_view(t, result)
    else:
        _write(t, result, records)
    return t


def _write_view(t: Tensor, result: Tensor) -> None:
    """A recorded in-place result written through view ``t``: its base takes ``CopySlices`` (its old
    values with ``result`` where ``t`` reads), and ``t`` and the base's other views read the base's
    new values (``AsStridedBackward0``), as in PyTorch (``engine.ops.strided``)."""
    base = t._base
    assert base is not None
    result = _checked(t, result, True)
    _write(base, call(REGISTRY["_copy_slices"], (base, result), {"index": index_in_base(t)}), True)
    node = result.grad_fn
    if node is not None and node._out is result._data:  # what the op's node saved is now t's memory
        node._out = t._data
        versions.output_saved(node, t)


def _checked(t: Tensor, result: Tensor, records: bool) -> Tensor:
    """``result`` checked against ``t`` (shape, dtype, writable memory), in ``t``'s dtype when recorded."""
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
    return result


def _write(t: Tensor, result: Tensor, records: bool) -> None:
    result = _checked(t, result, records)
    data = t._data
    node = result.grad_fn
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
        rebase_views(t)
    else:
        rebase_untracked(t)


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
        if t._dtype is not float16:  # (float16 takes 1e40 as inf, as PyTorch's does)
            fill_scalar(value, t._dtype)  # (PyTorch's overflow words: NaN into int64, 1e40 into float32)
    data = t._data
    view, adv_key, target = assignment(backend.module_of(data), data, key)
    advanced = adv_key is not None
    leaf = STATE.grad_enabled and t._rg and t.grad_fn is None and not t._no_grad_view
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
    if is_tensor and partial_overlap(data if advanced else view, value._data):
        raise AutogradError(PARTIAL_OVERLAP_MESSAGE)
    if self_overlapping(data):  # (an expanded tensor: a write must not reach one location twice)
        if not advanced and self_overlapping(view):
            raise AutogradError(OVERLAP_MESSAGE)
        if advanced:
            _warn("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before "
                  "performing this operation. This also applies to advanced indexing e.g. tensor[indices] = tensor")
    if leaf:
        raise AutogradError(VIEW_OF_LEAF_MESSAGE)  # (PyTorch writes through a view of it)
    if STATE.grad_enabled and t._no_grad_view and t._base is not None and t._base._rg:
        step = index_name(t, key)  # (PyTorch writes through a view of the view: its words name that one)
        if step in ("IndexBackward0", "AliasBackward0"):
            raise AutogradError(NO_GRAD_VIEW_MESSAGE)
        raise AutogradError(f"Output 0 of {step.removesuffix('Backward0')} is a view of a view which was created"
                            + NO_GRAD_VIEW_MESSAGE.removeprefix("A view was created"))
    if STATE.grad_enabled and (t._rg or (is_tensor and value._rg)):  # recorded: the tensor takes the write's node
        if t._base is None:
            _write(t, _recorded_assignment(t, key, value, source), True)
            return
        step = index_name(t, key)
        check_view_write(t, None if step in ("IndexBackward0", "AliasBackward0") else step)
        if self_overlapping(data) and not advanced:  # (write the indexed part only: t reads some places twice)
            part = t[key]
            _write_view(part, call(REGISTRY["_copy"], (view_values(part), _stripped_value(value, source)), {}))
            return
        _write_view(t, _recorded_assignment(view_values(t), key, value, source))
        return
    if not getattr(data.flags, "writeable", True):
        raise UnsupportedError("the tensor's memory is read-only (a NumPy array that is not writeable)")
    versions.written(t)
    rebase_untracked(t)
    with np.errstate(over="ignore"):  # (a number past float16's range is inf there, quietly)
        if advanced:
            view[adv_key] = source
        else:
            view[...] = source


def _stripped_value(value: Any, source: Any) -> Any:
    """A tensor value as ``t[key] = value`` broadcasts it: its leading 1s dropped (``source``'s shape)."""
    if hasattr(value, "_data") and tuple(value.shape) != tuple(source.shape):
        return value.reshape(tuple(source.shape))
    return value


def _recorded_assignment(t: Tensor, key: Any, value: Any, source: Any) -> Tensor:
    """``t[key] = value``'s result, recorded by the op whose node PyTorch's is: a write of the whole tensor
    is a copy (``CopyBackwards``) or a fill (``FillBackward3``), which keep nothing; a part of it,
    ``_index_put`` (``CopySlices``, ``IndexPutBackward0``). ``source``: the value's array, leading 1s dropped."""
    name = index_put_name(t, value, key)
    if name == "torch::autograd::CopyBackwards":
        return call(REGISTRY["_copy"], (t, _stripped_value(value, source)), {})
    if name == "FillBackward3":
        if not isinstance(value, type(t)):  # (PyTorch fills with the number as a 0-d tensor)
            xp = backend.module_of(t._data)
            value = type(t)._wrap(xp.asarray(value, dtype=scalar_dtype(value).np), scalar_dtype(value), None)
        return call(REGISTRY["_fill"], (t, value), {})
    return call(REGISTRY["_index_put"], (t, value), {"indices": key})


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


_COPY_SIGNATURE = "(Tensor other, bool non_blocking = False)"


def copy_(t: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``t.copy_(other, non_blocking=False)``: other's values (a tensor or a number), broadcast to t's shape and
    converted to t's dtype, written into t; recorded as PyTorch's ``CopyBackwards`` (``CopySlices`` through a
    view). ``non_blocking`` changes nothing on these devices."""
    other, non_blocking = _copy_arguments(t, args, kwargs)
    return run_inplace(t, REGISTRY["_copy"], (other,), {})


def _copy_arguments(t: Tensor, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """``copy_``'s arguments, refused in the words of PyTorch's parser."""
    given = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in reversed(kwargs.items())]
    if len(args) > 2 or not (args or kwargs):
        raise ArgumentError(f"copy_() received an invalid combination of arguments - got ({', '.join(given)}), but "
                            f"expected {_COPY_SIGNATURE}")
    if not args and "other" not in kwargs:  # (said before an unknown keyword, as PyTorch's parser does)
        raise ArgumentError('copy_() missing 1 required positional arguments: "other"')
    for name in kwargs:
        if name not in ("other", "non_blocking"):
            raise ArgumentError(f"copy_() got an unexpected keyword argument '{name}'")
    if args and "other" in kwargs:
        raise ArgumentError("copy_() got multiple values for argument 'other'")
    values = dict(zip(("other", "non_blocking"), args, strict=False)) | kwargs
    other, non_blocking = values["other"], values.get("non_blocking", False)
    if not isinstance(other, type(t)) and type(other) not in (bool, int, float):
        where = "" if "other" in kwargs else " (position 1)"
        raise ArgumentError(f"copy_(): argument 'other'{where} must be Tensor, not {type_name(other)}")
    if not isinstance(non_blocking, bool):
        where = "" if "non_blocking" in kwargs else " (position 2)"
        raise ArgumentError(f"copy_(): argument 'non_blocking'{where} must be bool, not {type_name(non_blocking)}")
    return other, non_blocking


# PyTorch's in-place view ops: the tensor takes the view's shape and strides over its own memory
VIEW_METHODS = {
    "unsqueeze_": "unsqueeze", "squeeze_": "squeeze", "t_": "t", "transpose_": "transpose",
    "swapaxes_": "swapaxes", "swapdims_": "swapdims",
}
_IN_PLACE_NODE = re.compile(r"^(\w+Backward)(\d+)$")


def run_view_inplace(t: Tensor, op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
    """``t.unsqueeze_(0)``, ``t.t_()``, ...: no value changes, but t's shape does and its version moves on;
    in a graph its node is the view op's, named as PyTorch names the in-place one (``UnsqueezeBackward1``,
    ``SqueezeBackward3`` for squeeze's ``SqueezeBackward0``)."""
    if STATE.grad_enabled and t._rg and t.grad_fn is None:
        raise AutogradError(LEAF_MESSAGE)
    result = call(op, (t, *args), kwargs, True)
    versions.written(t)
    t._data = result._data
    node = result.grad_fn
    if node is None:
        rebase_untracked(t)
        return t
    found = _IN_PLACE_NODE.match(node._name)
    if found is not None:
        step = 3 if found.group(1) == "SqueezeBackward" else 1
        node._name = f"{found.group(1)}{int(found.group(2)) + step}"
    if t._backward_hooks is not None:
        hooks.rebase(t, t.grad_fn)
    hooks.keep_retained(t, t.grad_fn)  # (a retained .grad stays its old node's, of the old shape, as PyTorch's)
    t.grad_fn = node
    t._rg = True
    if t._base is None:
        rebase_views(t)
    return t


def _method(name: str, op: Op, run: Any = run_inplace) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        try:
            return run(self, op, args, kwargs)
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
    for name, op_name in VIEW_METHODS.items():
        setattr(tensor_class, name, _method(name, REGISTRY[op_name], run_view_inplace))
    for name, fn in (("fill_", fill_), ("zero_", zero_), ("copy_", copy_), ("__setitem__", setitem)):
        setattr(tensor_class, name, fn)
    for dunder, name in OPERATORS.items():  # (a TypeError is NotImplemented: Python words the error)
        if hasattr(tensor_class, name):
            setattr(tensor_class, dunder, operator(getattr(tensor_class, name)))
