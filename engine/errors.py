"""The engine's typed exceptions.

Each carries PyTorch's message, so that a caller (the service) maps failures to
statuses by type, never by matching text. They subclass the built-in exception
PyTorch raises for the same failure, so ``except RuntimeError`` still works.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ShapeError(EngineError, RuntimeError):
    """Shapes that do not fit together (broadcasting, matmul, reshape, ...)."""


class DTypeError(EngineError, RuntimeError):
    """A dtype an op does not accept, or dtypes that do not fit together."""


class DTypeNotImplementedError(DTypeError, NotImplementedError):
    """An op that has no kernel for a dtype (``"silu_cpu" not implemented for 'Long'``): PyTorch's
    NotImplementedError, still a DTypeError to the service."""


class AutogradError(EngineError, RuntimeError):
    """Autograd misuse: backward without grad, twice through a freed graph, ..."""


class UnsupportedError(EngineError, NotImplementedError):
    """Something PyTorch has that the engine does not carry."""


class DeviceError(EngineError, RuntimeError):
    """An unavailable device, or tensors on different devices in one op."""


class ArgumentError(EngineError, TypeError):
    """Wrong arguments to an op: arity, names, types."""


class IndexError_(EngineError, IndexError):  # noqa: N801, N818 - mirrors the built-in
    """An index or dim out of range."""


class ValueError_(EngineError, ValueError):  # noqa: N801, N818 - mirrors the built-in
    """A value PyTorch rejects with ValueError (bad reduction name, ...)."""


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made at run time, whose tp_name is its bare name


def type_name(value: object) -> str:
    """The name PyTorch's messages give ``value``'s type: CPython's ``tp_name`` (``int``, ``Tensor``,
    ``numpy.float64``, ``numpy.ndarray``). A class that stands for a tensor (the planner's metas)
    names itself in ``_torch_type_name``."""
    t = type(value)
    named = getattr(t, "_torch_type_name", None)
    if named is not None:
        return str(named)
    if t.__module__ == "builtins" or t.__flags__ & _HEAP_TYPE:
        return t.__name__
    return f"{t.__module__}.{t.__qualname__}"


def int64_overflow(value: object) -> ValueError_ | None:
    """PyTorch's error for a Python int it must unpack as an int64 but cannot; None when it fits."""
    if type(value) is int and not -(2**63) <= value < 2**63:
        return ValueError_(INT64_OVERFLOW)
    return None


INT64_OVERFLOW = "Overflow when unpacking long long"


def scalar_overflow(value: object) -> OverflowError | None:
    """PyTorch's error for a Python int no Scalar holds (its parser unpacks an int as an int64, or as a
    uint64 beyond that: ``x + 2**63`` is fine, ``x + 2**64`` is not); None when it fits."""
    if type(value) is int and not -(2**63) <= value < 2**64:
        return OverflowError("int too big to convert" if value > 0 else "can't convert negative int to unsigned")
    return None


def unpack_failure(arg: str, position: int, got: str) -> str:
    """PyTorch's words for an element of an ``int[]`` argument that is not an int (``position`` from 1)."""
    return (f"argument '{arg}' failed to unpack the object at pos {position} with error "
            f'"type must be tuple of ints,but got {got}"')


class DimTypeError(ArgumentError):
    """A ``dim`` of the wrong type. ``call`` words it as PyTorch's parser does for the op and the call
    as written (``engine.ops.overloads``); raised elsewhere, it keeps this generic message."""

    def __init__(self, got: str, expected: str = "tuple of ints", element: int | None = None) -> None:
        self.got, self.expected, self.element = got, expected, element
        if element is None:
            super().__init__(f"argument 'dim' must be {expected}, not {got}")
        else:
            super().__init__(unpack_failure("dim", element, got))


class ArgumentRuntimeError(ArgumentError, RuntimeError):
    """A bad argument value PyTorch rejects with RuntimeError (an ArgumentError to the service)."""


class NoOverloadError(ArgumentError):
    """Arguments that fit none of the op's overloads: ``call`` lists them as PyTorch's parser does
    ("received an invalid combination of arguments"), from the op's ``overloads``."""
