"""Pydantic's validation errors → one SchemaError pointing at the first offending field."""

from __future__ import annotations

from typing import Any

from .errors import Loc, SchemaError


def schema_error(exc: Any, prefix: Loc = ()) -> SchemaError:
    """The first error of a ``pydantic.ValidationError`` as a SchemaError with its ``loc``."""
    try:  # pydantic's ValidationError; FastAPI's RequestValidationError takes no arguments
        errors = exc.errors(include_url=False, include_input=False)
    except TypeError:
        errors = exc.errors()
    except AttributeError:
        errors = []
    if not errors:
        return SchemaError("request does not match the schema", prefix)
    first = errors[0]
    # Drop pydantic's tagged-union labels ("data", "op") that are not part of the request's path
    loc = tuple(
        part for part in first.get("loc", ()) if not (isinstance(part, str) and part.startswith("function-"))
    )
    loc = _strip_tags(loc)
    msg = first.get("msg", "invalid value")
    where = ".".join(str(p) for p in (*prefix, *loc))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return SchemaError(f"{where or 'body'}: {msg}{more}", (*prefix, *loc))


_TAGS = {"data", "b64", "factory", "op", "expr"}


def _strip_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic puts the chosen union member's tag into the path ("tensors", "x", "data", ...);
    # it is not part of the request, so it goes.
    out: list[Any] = []
    for part in loc:
        if part in _TAGS and out and ((len(out) == 2 and out[0] in ("tensors", "nodes")) or out[-1] == "gradient"):
            continue
        out.append(part)
    return tuple(out)
