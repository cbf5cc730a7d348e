"""Engine exceptions → service errors, by type (never by matching message text, but for one table).

Autograd misuse additionally gets a machine-readable ``code`` and a ``hint`` (the request
change that fixes it): ``MISUSES`` below, the one table that tells the engine's checks apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import engine
from engine.autograd.node import FREED_MESSAGE
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


def engine_error(exc: BaseException, loc: Loc, label: str | None = None, subject: Any = None) -> ServiceError:
    """The service error for an engine exception, its message prefixed by where it happened.

    ``subject``: the tensor the failing call was about (a backward step's output), for hints
    that quote its shape.
    """
    for exc_type, service_type in _BY_TYPE:  # noqa: B007 - the match is used after the loop
        if isinstance(exc, exc_type):
            message = str(exc)
            break
    else:
        # Not the engine's own error: an op met input it did not validate. The text of
        # such an exception may describe internals, so only its kind is reported.
        service_type = err.ArgumentError
        message = f"the op rejected its arguments ({type(exc).__name__})"
    detail = f"{label}: {message}" if label else message
    misuse = classify(exc)
    if misuse is None:
        return service_type(detail, loc)
    return service_type(detail, loc, code=misuse.code, hint=misuse.hint(tuple(loc), subject))


# -- autograd misuse: code and hint ---------------------------------------------------------

Hint = Callable[[Loc, Any], str]


@dataclass(frozen=True)
class Misuse:
    """One check of the engine that a request can fail, and how to change the request.

    The engine raises one exception type per kind of failure (``AutogradError``, ...), with
    PyTorch's message; a check is told apart from the others of its type by the start of that
    message (the engine's own constant where it has one, ``FREED_MESSAGE``). Every entry has a
    test that triggers it through a request, so a reworded check fails a test, not a client.
    ``hint(loc, subject)``: the fix, as a request change (``subject``: the tensor the failing call
    was about, where the caller knows it, for details such as the output's shape).
    """

    code: str
    kind: type[BaseException]
    message: str
    hint: Hint


def _step(loc: Loc) -> str:
    """``backward[0]``, ``nodes[3]``, ``tensors["x"]``: the request part ``loc`` points at."""
    if len(loc) < 2:
        return "the request"
    key = loc[1]
    return f"{loc[0]}[{key}]" if isinstance(key, int) else f'{loc[0]}["{key}"]'


def _shape_of(subject: Any) -> list[int] | None:
    """The shape of the tensor the failing call was about, where the caller named one."""
    shape = getattr(subject, "shape", None)
    return [int(s) for s in shape] if isinstance(shape, tuple) else None


def _hint_non_scalar(loc: Loc, subject: Any) -> str:
    shape = _shape_of(subject)
    if loc[:1] == ("nodes",):
        return (f'add "grad_outputs" to the "kwargs" of {_step(loc)}, shaped as its output, e.g. '
                '{"op": "ones_like", "args": ["<output name>"]} (ones: the gradient of the output\'s sum)')
    gradient = json.dumps({"factory": "ones", "shape": shape if shape is not None else ["<output shape>"]})
    return (f'add "gradient": {gradient} to {_step(loc)} (ones: the gradient of the output\'s sum), '
            "or call backward on a one-element tensor such as its sum")


def _hint_twice(loc: Loc, subject: Any) -> str:
    return ('set "retain_graph": true on the earlier backward step (or in the "kwargs" of the earlier "grad" '
            f"node) that went through this graph, so that {_step(loc)} can go through it again")


def _hint_no_grad_output(loc: Loc, subject: Any) -> str:
    return (f'the output of {_step(loc)} does not depend on any tensor that requires grad: set '
            '"requires_grad": true on the leaf tensors (in "tensors") it is computed from, and do not detach them')


def _hint_input_no_grad(loc: Loc, subject: Any) -> str:
    return (f'set "requires_grad": true on the tensor that {_step(loc)} differentiates with respect to '
            "(its second argument), or differentiate with respect to one that requires grad")


def _hint_unused(loc: Loc, subject: Any) -> str:
    return (f'add "allow_unused": true to the "kwargs" of {_step(loc)} (the gradient is then zeros), or '
            "differentiate with respect to a tensor the output is computed from")


def _hint_empty_inputs(loc: Loc, subject: Any) -> str:
    return f'drop "inputs" from {_step(loc)} (all leaves), or list at least one tensor name in it'


def _hint_retain_grad(loc: Loc, subject: Any) -> str:
    return (f'drop "retain_grad" from {_step(loc)}, or set "requires_grad": true on a leaf it is computed from '
            "(only a tensor that requires grad can keep a gradient)")


def _hint_int_requires_grad(loc: Loc, subject: Any) -> str:
    return (f'set "dtype": "float32" (or another floating dtype) on {_step(loc)}, or drop its '
            '"requires_grad": integer and boolean tensors have no gradient')


def _hint_gradient_shape(loc: Loc, subject: Any) -> str:
    return f'give the "gradient" of {_step(loc)} exactly the shape of its output (the second shape in the message)'


def _hint_not_differentiable(loc: Loc, subject: Any) -> str:
    return ("the op has no derivative for that argument: compute it from tensors that do not require grad "
            '(e.g. apply .detach() to them), or leave the tensor out of "inputs"')


MISUSES: tuple[Misuse, ...] = (
    Misuse("non_scalar_backward", engine.AutogradError, "grad can be implicitly created only for scalar outputs",
           _hint_non_scalar),
    Misuse("backward_twice", engine.AutogradError, FREED_MESSAGE, _hint_twice),
    Misuse("no_grad_output", engine.AutogradError, "element ", _hint_no_grad_output),
    Misuse("input_no_grad", engine.AutogradError, "One of the differentiated Tensors does not require grad",
           _hint_input_no_grad),
    Misuse("unused_input", engine.AutogradError, "The differentiated Tensor at index ", _hint_unused),
    Misuse("empty_inputs", engine.AutogradError, "`inputs` argument to ", _hint_empty_inputs),
    Misuse("retain_grad_no_grad", engine.AutogradError, "can't retain_grad on Tensor that has requires_grad=False",
           _hint_retain_grad),
    Misuse("not_differentiable", engine.AutogradError, "derivative for aten::", _hint_not_differentiable),
    Misuse("int_requires_grad", engine.DTypeError,
           "Only Tensors of floating point and complex dtype can require gradients", _hint_int_requires_grad),
    Misuse("gradient_shape", engine.ShapeError, "Mismatch in shape: grad_output", _hint_gradient_shape),
)


def classify(exc: BaseException) -> Misuse | None:
    """The table entry for ``exc``: its type and the message its check words."""
    text = str(exc)
    for m in MISUSES:
        if isinstance(exc, m.kind) and text.startswith(m.message):
            return m
    return None
