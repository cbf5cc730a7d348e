"""Engine exceptions → service errors, by type (never by matching message text)."""

from __future__ import annotations

import engine
from engine.ops.registry import DeadlineExceeded

from . import errors as err
from .errors import Loc, ServiceError

_BY_TYPE: tuple[tuple[type[BaseException], type[ServiceError]], ...] = (
    (DeadlineExceeded, err.TimeLimit),
    (engine.ShapeError, err.ShapeMismatch),
    (engine.DTypeError, err.DTypeMismatch),
    (engine.AutogradError, err.AutogradMisuse),
    (engine.DeviceError, err.DeviceUnavailable),
    (engine.ArgumentError, err.ArgumentError),
    (engine.UnsupportedError, err.ArgumentError),
    (engine.EngineError, err.ArgumentError),
)


def engine_error(exc: BaseException, loc: Loc, label: str | None = None) -> ServiceError:
    """The service error for an engine exception, its message prefixed by where it happened."""
    for exc_type, service_type in _BY_TYPE:
        if isinstance(exc, exc_type):
            message = str(exc)
            break
    else:
        # Not the engine's own error: an op met input it did not validate. The text of
        # such an exception may describe internals, so only its kind is reported.
        service_type = err.ArgumentError
        message = f"the op rejected its arguments ({type(exc).__name__})"
    detail = f"{label}: {message}" if label else message
    return service_type(detail, loc)
