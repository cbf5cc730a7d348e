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
