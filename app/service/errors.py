"""The service's typed errors; the HTTP layer turns each into one problem+json response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Loc = tuple[str | int, ...]


class ServiceError(Exception):
    """A failure to report to the client: status, a problem type slug, title, detail and ``loc``."""

    status = 422
    slug = "invalid-request"
    title = "Invalid request"

    def __init__(self, detail: str, loc: Sequence[str | int] = (), **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.loc: Loc = tuple(loc)
        self.extra = extra


class BadJSON(ServiceError):
    status, slug, title = 400, "malformed-json", "Malformed JSON"


class UnsupportedMediaType(ServiceError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class SchemaError(ServiceError):
    status, slug, title = 422, "schema", "Request does not match the schema"


class NameError_(ServiceError):  # noqa: N801 - a name in the request, not Python's NameError
    status, slug, title = 422, "unknown-name", "Unknown or invalid name"


class ExpressionError(ServiceError):
    status, slug, title = 422, "expression", "Expression not accepted"


class ArgumentError(ServiceError):
    status, slug, title = 422, "bad-arguments", "Bad arguments"


class ShapeMismatch(ServiceError):
    status, slug, title = 422, "shape-mismatch", "Shape mismatch"


class DTypeMismatch(ServiceError):
    status, slug, title = 422, "dtype", "Unsupported or mismatched dtype"


class AutogradMisuse(ServiceError):
    status, slug, title = 422, "autograd", "Autograd misuse"


class DeviceUnavailable(ServiceError):
    status, slug, title = 422, "device", "Device not available"


class DataError(ServiceError):
    status, slug, title = 422, "tensor-data", "Bad tensor data"


class LimitExceeded(ServiceError):
    status, slug, title = 413, "limit-exceeded", "Request over a limit"


class Overloaded(ServiceError):
    status, slug, title = 503, "overloaded", "Service busy"


class TimeLimit(ServiceError):
    status, slug, title = 503, "time-limit", "Computation ran past its time limit"


class NotReady(ServiceError):
    status, slug, title = 503, "not-ready", "Not ready"
