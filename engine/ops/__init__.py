"""The op catalogue: importing this package registers every op."""

from . import (  # noqa: F401 - imported for their registrations
    activations,
    arithmetic,
    autograd_ops,
    comparison,
    creation,
    gather,
    indexing,
    linalg,
    losses,
    masking,
    reductions,
    shape,
    sorting,
    strided,
    unary,
)
from .registry import NOT_GIVEN, REGISTRY, NotGiven, Op, Param, apply, call, defop, register

__all__ = ["NOT_GIVEN", "REGISTRY", "NotGiven", "Op", "Param", "apply", "call", "defop", "register"]
