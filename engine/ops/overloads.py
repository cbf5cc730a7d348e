"""PyTorch's argument-parser words for a ``dim`` of the wrong type, for the call as written.

A reduction finds a bad ``dim`` deep in its rules, where it knows neither the op nor how it
was called; it raises :class:`~engine.errors.DimTypeError`, and ``call`` rewords it here
with what it has (the op, the arguments, function or method). PyTorch's parser, for an op
with several overloads (``Op.overloads``: sum, mean, prod, var, std), names the one overload
the argument count allows, else lists them all ("received an invalid combination of
arguments"), adding why an overload it can read failed. An op with one signature says
"argument 'dim' (position N) must be tuple of ints".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import DimTypeError, type_name, unpack_failure
from ._helpers import as_index

# types whose mismatch PyTorch's message explains ("didn't match because ..."); an overload
# with any other type (``torch.dtype``, ``Number``) is listed without a reason
_EXPLAINED = {"Tensor", "bool", "int", "float", "tuple of ints"}  # (the last never fits, see _reason)


@dataclass(frozen=True)
class _Param:
    type: str
    name: str
    required: bool
    keyword: bool
    text: str  # as the signature writes it, e.g. ``bool keepdim = False``


def _parse(signature: str) -> list[_Param]:
    """``(Tensor input, tuple of ints dim, *, torch.dtype dtype = None)`` → its parameters."""
    params = []
    keyword = False
    for part in signature.strip("()").split(", "):
        if part == "*":
            keyword = True
            continue
        decl, _, default = part.partition(" = ")
        type_, _, name = decl.rpartition(" ")
        params.append(_Param(type_, name, not default, keyword, part))
    return params


def _form(params: list[_Param], method: bool) -> list[_Param]:
    """The method's parameters drop ``input`` (it is ``self``) and ``out``."""
    return [p for p in params if p.name not in ("input", "out")] if method else params


def _show(params: list[_Param]) -> str:
    parts: list[str] = []
    keyword = False
    for p in params:
        if p.keyword and not keyword:
            parts.append("*")
            keyword = True
        parts.append(p.text)
    return f"({', '.join(parts)})"


def _is_tensor(value: Any) -> bool:
    from ..autograd.node import TensorMeta  # (what the service's planner checks calls with)
    from ..tensor import Tensor

    return isinstance(value, (Tensor, TensorMeta))


def _int(value: Any) -> bool:
    return as_index(value) is not None


def _fits(type_: str, value: Any) -> bool:
    if type_ == "Tensor":
        return _is_tensor(value)
    if type_ == "bool":
        return isinstance(value, bool)
    if type_ == "float":
        return _int(value) or isinstance(value, float)
    return _int(value)


def _reason(params: list[_Param], positional: Sequence[Any], kwargs: dict[str, Any]) -> str | None:
    """Why an overload did not match, as PyTorch's ``format_invalid_args`` says it: only for one
    that takes exactly as many arguments as came (counted as it counts them: the parts of the
    signature as written, a ``*`` and an empty ``()`` too), and whose types it can read."""
    if len(_show(params)[1:-1].split(", ")) != len(positional) + len(kwargs) or any(
        p.type not in _EXPLAINED for p in params
    ):
        return None
    names = {p.name for p in params}
    wrong = [k for k in kwargs if k not in names]
    if wrong:
        return "some of the keywords were incorrect: " + ", ".join(wrong)
    # as PyTorch marks them: from the first argument that does not fit, every one after it too
    # (and its explainer never fits ``tuple of ints``)
    slots = [p for p in params if not p.keyword]
    by_name = {p.name: p for p in params}
    pairs = [(p, type_name(v), v) for p, v in zip(slots, positional, strict=False)]
    pairs += [(by_name[k], f"{k}={type_name(v)}", v) for k, v in kwargs.items()]
    shown: list[str] = []
    failed = False
    for p, text, v in pairs:
        failed = failed or p.type == "tuple of ints" or not _fits(p.type, v)
        shown.append(f"!{text}!" if failed else text)
    return f"some of the arguments have invalid types: ({', '.join(shown)})"


def _got(positional: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """The call's argument types as PyTorch's parser prints them: keywords last, in reverse, and a
    trailing ", " when no positional argument came (its own quirks, kept)."""
    shown = [type_name(v) for v in positional] + [f"{k}={type_name(v)}" for k, v in reversed(kwargs.items())]
    return ", ".join(shown) + (", " if kwargs and not positional else "")


def _one_overload(op: Any, overload: list[_Param], positional: Sequence[Any], kwargs: dict[str, Any],
                  method: bool) -> str | None:
    """PyTorch's words when one overload takes as many arguments as came: it parses with that one and
    names the first argument that does not fit (None: none is found, the caller lists them all)."""
    slots = [p for p in overload if not p.keyword]
    by_name = {p.name: p for p in overload}
    for i, (p, v) in enumerate(zip(slots, positional, strict=False)):
        if p.type in _EXPLAINED and p.type != "tuple of ints" and not _fits(p.type, v):
            return f"{op.name}(): argument '{p.name}' (position {i + 1}) must be {p.type}, not {type_name(v)}"
    for k, v in kwargs.items():
        q = by_name.get(k)
        if q is not None and q.type in _EXPLAINED and q.type != "tuple of ints" and not _fits(q.type, v):
            return f"{op.name}(): argument '{k}' must be {q.type}, not {type_name(v)}"
    return None


def invalid_combination(op: Any, args: Sequence[Any], kwargs: dict[str, Any], method: bool) -> str:
    """"<op>() received an invalid combination of arguments - got (...), but expected one of: ...", or, where
    one overload takes as many arguments as came, PyTorch's words for the argument that does not fit it."""
    positional = list(args[1:] if method else args)
    overloads = [_parse(s) for s in op.overloads]
    plausible = _plausible(overloads, len(positional) + len(kwargs), method)
    if len(plausible) == 1:
        words = _one_overload(op, _form(plausible[0], method), positional, kwargs, method)
        if words is not None:
            return words
    lines = [f"{op.name}() received an invalid combination of arguments - got ({_got(positional, kwargs)}), "
             "but expected one of:"]
    for o in overloads:
        form = _form(o, method)
        lines.append(f" * {_show(form)}")
        reason = _reason(form, positional, kwargs)
        if reason is not None:
            lines.append(f"      didn't match because {reason}")
    return "\n".join(lines) + "\n"


def _plausible(overloads: list[list[_Param]], given: int, method: bool) -> list[list[_Param]]:
    """The overloads whose argument counts admit ``given`` arguments (PyTorch tries only those)."""
    return [o for o in overloads if sum(p.required for p in _form(o, method)) <= given <= len(_form(o, method))]


def fitting_overloads(op: Any, given: int) -> int:
    """How many of the op's overloads take ``given`` arguments (the function form: self counted)."""
    return len(_plausible([_parse(s) for s in op.overloads], given, False))


def dim_type_message(exc: DimTypeError, op: Any, args: Sequence[Any], kwargs: dict[str, Any], method: bool) -> str:
    """PyTorch's words for ``exc`` from ``op`` called with ``args``, ``kwargs`` (``args[0]``: self, for a method)."""
    name = op.name
    if exc.element is not None:
        return f"{name}(): {unpack_failure('dim', exc.element, exc.got)}"
    positional = list(args[1:] if method else args)
    if op.overloads:
        overloads = [_parse(s) for s in op.overloads]
        plausible = _plausible(overloads, len(positional) + len(kwargs), method)
        if len(plausible) != 1:
            return invalid_combination(op, args, kwargs, method)
        # one overload fits the count: PyTorch parses with it and names the argument
        expected = next((p.type for p in plausible[0] if p.name == "dim"), exc.expected)
        slots = [p.name for p in plausible[0] if not p.keyword]
    else:
        expected = exc.expected
        slots = [p.name for p in op.params if p.kind == "positional"]
    if "dim" in kwargs or "dim" not in slots:
        return f"{name}(): argument 'dim' must be {expected}, not {exc.got}"
    position = slots.index("dim") + (0 if method else 1)
    return f"{name}(): argument 'dim' (position {position}) must be {expected}, not {exc.got}"
