"""Derive the public surface from the registry: ``engine.X``, ``engine.nn.functional.X``, ``Tensor.X``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ._warnings import warn as _warn
from .errors import ArgumentError
from .ops import shape as _shape
from .ops import sorting as _sorting
from .ops.registry import REGISTRY, Op, apply, call
from .tensor import Tensor

# engine.<name> and Tensor.<name> that return tuples: functions, not registry entries (the service's ops
# return one tensor)
TUPLE_FUNCTIONS: dict[str, Callable[..., Any]] = {**_shape.TUPLE_FUNCTIONS, **_sorting.TUPLE_FUNCTIONS}


def function_for(op: Op) -> Callable[..., Any]:
    """``engine.<op>(*args, **kwargs)``."""
    convert = op.python_result
    route = op.route

    if route is not None:  # (torch.max(input, dim): the overloads the entry does not carry)

        def fn(*args: Any, **kwargs: Any) -> Any:
            routed = route(args, kwargs, False)
            return routed if routed is not None else call(op, args, kwargs)

    elif convert is None:

        def fn(*args: Any, **kwargs: Any) -> Any:
            return call(op, args, kwargs)

    else:  # (torch.equal: a Python bool)

        def fn(*args: Any, **kwargs: Any) -> Any:
            return convert(call(op, args, kwargs))

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = f"{op.signature()}\n\n{op.doc}"
    return fn


def method_for(op: Op) -> Callable[..., Any]:
    """``Tensor.<method>(*args, **kwargs)``; packs ``x.reshape(2, 3)`` into one shape argument."""
    varargs = op.varargs
    n_after = len(op.inputs) - 1
    convert = op.python_result
    route = op.route

    if route is not None:

        def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
            routed = route((self, *args), kwargs, True)
            return routed if routed is not None else call(op, (self, *args), kwargs, True)

    elif convert is not None:

        def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
            return convert(call(op, (self, *args), kwargs, True))

    elif varargs is None:

        def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
            return call(op, (self, *args), kwargs, True)

    else:

        def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
            rest = args[n_after:]
            if rest and not (len(rest) == 1 and isinstance(rest[0], (tuple, list))) and varargs not in kwargs:
                if len(rest) > 1 or (op.pack_single and hasattr(rest[0], "__index__")):
                    args = (*args[:n_after], tuple(rest))
            return call(op, (self, *args), kwargs, True)

    method.__name__ = method.__qualname__ = op.method or op.name
    method.__doc__ = f"{op.signature()}\n\n{op.doc}"
    return method


def public_functions() -> tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]]]:
    """The ``torch.X`` and ``torch.nn.functional.X`` functions of every registered op."""
    torch_ns: dict[str, Callable[..., Any]] = {}
    functional: dict[str, Callable[..., Any]] = {}
    for name, op in REGISTRY.items():
        if name.startswith("_"):
            continue
        if op.namespace == "torch":
            torch_ns[name] = function_for(op)
            front = op.also_functional
            if front:
                functional[name] = torch_ns[name] if front is True else front(torch_ns[name])
        elif op.namespace == "functional":
            functional[name] = function_for(op)
    torch_ns.update(TUPLE_FUNCTIONS)  # (split, chunk, unbind, sort, topk: tuples, not one tensor)
    return torch_ns, functional


def _matrix_transpose(self: Tensor) -> Tensor:
    """``x.mT``: the last two dims swapped (matrices and batches of them only, as PyTorch)."""
    if self.ndim == 1:
        from .errors import ShapeError

        raise ShapeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    if self.ndim == 0:
        return self
    return call(REGISTRY["transpose"], (self, -2, -1), {})


def operator(run: Callable[[Tensor, Any], Any]) -> Callable[[Tensor, Any], Any]:
    """A binary operator as PyTorch's: the op's TypeError becomes NotImplemented, so that Python words
    the error ("unsupported operand type(s) for +: 'Tensor' and 'NoneType'") and ``x == None`` is False."""

    def method(self: Tensor, other: Any) -> Any:
        try:
            return run(self, other)
        except TypeError:
            return NotImplemented

    return method


class _WhereMethod:
    """What PyTorch's parser knows of ``Tensor.where`` (its words when a call fits neither overload)."""

    name = "where"
    overloads = ("(Tensor condition, Tensor other)", "(Tensor condition, Number other)")


def _where_method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``x.where(condition, other)``: ``torch.where(condition, x, other)``."""
    names = ("condition", "other")
    given = dict(zip(names, args, strict=False)) | kwargs
    if len(args) > 2 or set(given) != set(names) or len(given) != len(args) + len(kwargs):
        from .errors import NoOverloadError
        from .ops.overloads import invalid_combination

        raise NoOverloadError(invalid_combination(_WhereMethod, (self, *args), kwargs, True))
    return call(REGISTRY["where"], (given["condition"], self, given["other"]), {})


def _positive(self: Tensor) -> Tensor:
    """``+x``, ``x.positive()``: the tensor itself, as PyTorch's (refused for bool)."""
    if self.dtype.name == "bool":
        from .errors import DTypeError

        raise DTypeError("The `+` operator, on a bool tensor is not supported.")
    return self


def _reversed_dims(self: Tensor) -> Tensor:
    """``x.T``: the dims reversed; deprecated (with PyTorch's warning) but for matrices."""
    if self.ndim != 2:
        _warn(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases." if self.ndim == 0
            else "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
            "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
        )
    return call(REGISTRY["permute"], (self, tuple(range(self.ndim - 1, -1, -1))), {})


_POSITION = re.compile(r"\(position (\d+)\)")


def _tuple_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``x.split(...)`` for ``split(x, ...)``: PyTorch counts a method's argument positions after self."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except ArgumentError as exc:
            exc.args = (_POSITION.sub(lambda m: f"(position {int(m.group(1)) - 1})", str(exc), count=1),)
            raise

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def attach_methods() -> None:
    """Give Tensor a method per op that PyTorch has as a method, and its operators."""
    for name, fn in TUPLE_FUNCTIONS.items():  # (PyTorch's Tensor.split is Python calling the function form)
        method = _sorting.TUPLE_METHODS.get(name)  # (sort, topk: PyTorch's parser words a method's call its way)
        setattr(Tensor, name, method or (fn if name == "split" else _tuple_method(fn)))
    for op in REGISTRY.values():
        if op.method and op.method not in Tensor.__dict__:
            setattr(Tensor, op.method, method_for(op))
        for alias in op.aliases if op.method else ():  # x.clip, x.multiply, ... as PyTorch's
            if alias not in Tensor.__dict__:
                setattr(Tensor, alias, method_for(op))
    reg = REGISTRY

    def binary(name: str, reflected: bool = False) -> Callable[..., Any]:
        op = reg[name]
        defaults = op._fast_params
        if op._n_in == 2 and defaults is not None:  # what ``call`` does with two inputs and no kwargs
            if reflected:
                return operator(lambda self, other: apply(op, (other, self), defaults))
            return operator(lambda self, other: apply(op, (self, other), defaults))
        return operator(lambda self, other: call(op, (other, self) if reflected else (self, other), {}))

    ops: dict[str, Any] = {  # functions, and properties (T, mT)
        "__add__": binary("add"),
        "__radd__": binary("add"),
        "__sub__": binary("sub"),
        "__rsub__": binary("rsub"),
        "__mul__": binary("mul"),
        "__rmul__": binary("mul"),
        "__truediv__": binary("div"),
        "__pow__": binary("pow"),
        "__rpow__": binary("pow", reflected=True),
        "__neg__": lambda self: call(reg["neg"], (self,), {}),
        "__pos__": _positive,
        "positive": _positive,
    }
    optional: dict[str, tuple[str, bool]] = {
        "__matmul__": ("matmul", False),
        "__rmatmul__": ("matmul", True),
        "__floordiv__": ("floor_divide", False),
        "__rfloordiv__": ("floor_divide", True),
        "__mod__": ("remainder", False),
        "__rmod__": ("remainder", True),
        "__eq__": ("eq", False),
        "__ne__": ("ne", False),
        "__lt__": ("lt", False),
        "__le__": ("le", False),
        "__gt__": ("gt", False),
        "__ge__": ("ge", False),
        "__and__": ("logical_and", False),
        "__or__": ("logical_or", False),
        "__xor__": ("logical_xor", False),
    }
    # PyTorch's &, |, ^, ~ are bitwise (logical on bool tensors): prefer those ops when registered
    for dunder, name in (("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor")):
        if name in reg:
            optional[f"__{dunder}__"] = (name, False)
            optional[f"__r{dunder}__"] = (name, True)
    for dunder, (name, reflected) in optional.items():
        if name in reg:
            ops[dunder] = binary(name, reflected)
    if "reciprocal" in reg:
        ops["__rtruediv__"] = operator(lambda self, other: call(reg["reciprocal"], (self,), {}) * other)
    if "abs" in reg:
        ops["__abs__"] = lambda self: call(reg["abs"], (self,), {})
    if "bitwise_not" in reg:
        ops["__invert__"] = lambda self: call(reg["bitwise_not"], (self,), {})
    elif "logical_not" in reg:
        ops["__invert__"] = lambda self: call(reg["logical_not"], (self,), {})
    if "index" in reg:
        ops["__getitem__"] = lambda self, key: call(reg["index"], (self, key), {})
    if "where" in reg:  # ``x.where(condition, y)``: torch.where(condition, x, y)
        ops["where"] = _where_method
    if "permute" in reg:
        ops["T"] = property(_reversed_dims)
        ops["mT"] = property(_matrix_transpose)
    for dunder, fn in ops.items():
        setattr(Tensor, dunder, fn)
    Tensor.__hash__ = lambda self: id(self)  # type: ignore[method-assign]
