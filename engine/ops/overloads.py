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

# types whose mismatch PyTorch's parser names, parsing with the one overload a call's count allows
# ("argument 'dim' (position 2) must be int, not float"; ``tuple of ints`` is worded by the ops)
_EXPLAINED = {"Tensor", "bool", "int", "float"}


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


def _printed_part(part: str) -> tuple[str, str]:
    """One part of a signature as PyTorch's explainer (``_parseOption``) reads it: (type, name), split at the
    last space, so a parameter with a default is named by it (``int dim = -1``: type ``int dim =``, name
    ``-1``; a type no value has) and ``*`` is a part of its own."""
    cut = part.rfind(" ")
    return (part, part) if cut < 0 else (part[:cut], part[cut + 1 :])


def _matches(type_: str, value: Any) -> bool:
    """PyTorch's explainer's type test: the value's type name against the type as printed."""
    name = type_name(value)
    if type_ == "int":
        return name == "int"
    if type_ == "float":
        return name in ("float", "int")
    if type_ == "torch.dtype":  # (the engine's dtype stands for torch.dtype)
        from ..dtypes import dtype

        return isinstance(value, dtype)
    return name == type_


def _described(value: Any) -> str:
    """A value as PyTorch's explainer names it: a tuple or list with its elements' types (``tuple of (int,)``,
    ``list of [int, int]``), anything else by its type."""
    if type(value) is tuple:
        names = [type_name(v) for v in value]
        return f"tuple of ({', '.join(names)}{',' if len(names) == 1 else ''})"
    if type(value) is list:
        return f"list of [{', '.join(type_name(v) for v in value)}]"
    return type_name(value)


def _reason(params: list[_Param], positional: Sequence[Any], kwargs: dict[str, Any]) -> str | None:
    """Why an overload did not match, as PyTorch's ``format_invalid_args`` says it: only for one that takes
    exactly as many arguments as came (counted as it counts them: the parts of the signature as written, a
    ``*`` and an empty ``()`` too); keywords are looked for among its last parts, as many as came."""
    parts = [_printed_part(p) for p in _show(params)[1:-1].split(", ")]
    if len(parts) != len(positional) + len(kwargs):
        return None
    names = [name for _, name in parts]
    wrong = [k for k in reversed(kwargs) if k not in names[len(parts) - len(kwargs) :]]
    if wrong:
        return "some of the keywords were incorrect: " + ", ".join(wrong)
    shown: list[str] = []
    for i, (type_, name) in enumerate(parts):  # (a keyword shows in the place of the part it names)
        keyword = i >= len(positional)
        value = kwargs[name] if keyword else positional[i]
        text = f"{name}={_described(value)}" if keyword else _described(value)
        shown.append(text if _matches(type_, value) else f"!{text}!")
    return f"some of the arguments have invalid types: ({', '.join(shown)})"


def _got(positional: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """The call's argument types as PyTorch's parser prints them: keywords last, in reverse, and a
    trailing ", " when no positional argument came (its own quirks, kept)."""
    shown = [type_name(v) for v in positional] + [f"{k}={type_name(v)}" for k, v in reversed(kwargs.items())]
    return ", ".join(shown) + (", " if kwargs and not positional else "")


def _one_overload(op: Any, overload: list[_Param], positional: Sequence[Any], kwargs: dict[str, Any],
                  method: bool) -> str | None:
    """PyTorch's words when one overload takes as many arguments as came: it parses with that one and says
    what does not fit it (too many positional arguments, a missing one, one of the wrong type); None: none
    is found, the caller lists them all."""
    slots = [p for p in overload if not p.keyword]
    required = sum(p.required for p in overload)
    if len(positional) > len(slots):  # (PyTorch's extra_args, its counts as they are: "from 2 to 1")
        n = len(positional)
        if required != len(slots):
            return f"{op.name}() takes from {required} to {len(slots)} positional arguments but {n} were given"
        plural = "" if len(slots) == 1 else "s"
        return f"{op.name}() takes {len(slots)} positional argument{plural} but {n} were given"
    for i, p in enumerate(overload):
        keyword = i >= len(positional)
        if keyword and p.name not in kwargs:
            if p.required:  # (PyTorch's missing_args: every required one from here, its plural as it is)
                names = [q.name for q in overload[i:] if q.required]
                plural = "s" if len(names) == 1 else ""
                quoted = ", ".join(f'"{name}"' for name in names)
                return f"{op.name}() missing {len(names)} required positional argument{plural}: {quoted}"
            continue
        v = kwargs[p.name] if keyword else positional[i]
        if p.type in _EXPLAINED and not _fits(p.type, v):
            where = "" if keyword else f" (position {i + 1})"
            return f"{op.name}(): argument '{p.name}'{where} must be {p.type}, not {type_name(v)}"
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
