"""Version counters: PyTorch's check that what backward reads was not changed in place since it was saved.

Each in-place op adds one to its tensor's version (``Tensor._version``); a tensor, its views (a
slice, a reshape: ``Tensor._base``) and the tensors ``detach()`` made of them share one counter,
as in PyTorch (``.data`` gets a fresh one, as in PyTorch, so writes through it go unnoticed). A
graph node remembers the versions of the tensors it saved, and of its own output once that is
written in place, and backward refuses, with PyTorch's words, to read one that has moved on: only
what the rules that will run read (``Op.reads``: ``x ** 2`` reads its input, not its output, so
``(x ** 2).add_(1)`` is fine).

Until the first in-place op of the process every version is 0: nodes remember nothing and
backward checks nothing (``ACTIVE``), so graphs that never meet an in-place op pay nothing.
"""

from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any

from ..dtypes import legacy_type
from ..errors import AutogradError

if TYPE_CHECKING:
    from ..tensor import Tensor
    from .node import Node

ACTIVE = [False]  # an in-place op has run: from now on nodes record versions and backward checks them

# node -> {id(saved tensor): its version when saved}, for saved tensors whose version was not 0
_SAVED_AT: weakref.WeakKeyDictionary[Node, dict[int, int]] = weakref.WeakKeyDictionary()
# node -> (its output tensor, the output's version when it was first written in place)
_OUTPUT_AT: weakref.WeakKeyDictionary[Node, tuple[Tensor, int]] = weakref.WeakKeyDictionary()

_NODE_SUFFIX = re.compile(r"Backward(\d*)$")  # PyTorch's words drop it, and an overload number of 0


def counter(t: Tensor) -> list[Any]:
    """``t``'s counter, made on first need: ``[version, weak reference to the tensor it was made for]``,
    one list shared with its base's views and the tensors detached from them (a write through one of
    them is the base's)."""
    base = t._base
    if base is not None:
        t = base
    vc = t._vc
    if vc is None:
        vc = t._vc = [0, weakref.ref(t)]
    return vc


def _existing(t: Tensor) -> list[Any] | None:
    """``t``'s counter if it has one yet (a view's is its base's)."""
    base = t._base
    return (t if base is None else base)._vc


def version(t: Tensor) -> int:
    """How many in-place ops ``t`` (or a tensor sharing its counter) has had."""
    vc = _existing(t)
    return 0 if vc is None else vc[0]


def _tensors(items: Any) -> list[Any]:
    """The tensors among ``items``, looking into lists and tuples (a list input; an index key)."""
    out: list[Any] = []
    for x in items:
        if type(x) in (list, tuple):
            out.extend(_tensors(x))
        elif getattr(x, "_vc", 0) != 0:  # a tensor (its counter None or a list); not a meta nor a number
            out.append(x)
    return out


def _saved_tensors(node: Node, saved: tuple[Any, ...]) -> list[Any]:
    """The tensors a node keeps: those it saved and those in its params (an index key's index tensors)."""
    params = node.params
    return _tensors(saved) + (_tensors(params.values()) if params else [])


def _read(node: Node, saved: tuple[Any, ...]) -> tuple[list[Any], bool]:
    """What the node's rules that will run read: tensors it keeps, and whether its output."""
    reads = node.op.reads
    if reads is None:
        return _saved_tensors(node, saved), True
    wanted = {i for e, r in zip(node.edges, reads, strict=False) if e is not None for i in r}
    return _tensors(t for i, t in enumerate(saved) if i in wanted), -1 in wanted


def record(node: Node, saved: tuple[Any, ...]) -> None:
    """Remember the versions of the tensors ``node`` saved (only those not at 0: 0 is the default)."""
    at = {id(t): v for t in _saved_tensors(node, saved) if (v := version(t))}
    if at:
        _SAVED_AT[node] = at


def written(t: Tensor) -> None:
    """``t`` is about to be written in place: count it, and remember the version of an output that its
    node (or, for a detached alias, its origin's node) saved."""
    ACTIVE[0] = True
    vc = counter(t)
    for holder in (t, vc[1]()):
        node = None if holder is None else holder.grad_fn
        if node is not None and node._out is not None and node._out is holder._data and node not in _OUTPUT_AT:
            _OUTPUT_AT[node] = (holder, vc[0])
    vc[0] += 1


def output_saved(node: Node, t: Tensor) -> None:
    """``node``'s saved output now lives in ``t``'s memory (an in-place op's through a view): a later
    write into it is refused at backward, as for an output written in place."""
    _OUTPUT_AT[node] = (t, version(t))


def origin(t: Tensor) -> Tensor | None:
    """The tensor ``t``'s version counter was made for (a detached alias's origin), if it lives."""
    vc = _existing(t)
    return None if vc is None else vc[1]()


def check(node: Node, saved: tuple[Any, ...]) -> None:
    """PyTorch's error when a tensor ``node`` saved (or its output) was written in place since."""
    at = _SAVED_AT.get(node)
    tensors, reads_output = _read(node, saved)
    for t in tensors:
        vc = _existing(t)
        if vc is not None:
            expected = at.get(id(t), 0) if at else 0
            if vc[0] != expected:
                raise AutogradError(_message(t, vc[0], expected, None))
    out = _OUTPUT_AT.get(node) if reads_output else None
    if out is not None and version(out[0]) != out[1]:
        raise AutogradError(_message(out[0], version(out[0]), out[1], node))


def _message(t: Tensor, now: int, expected: int, output_of: Node | None) -> str:
    cuda = t.device.type == "cuda"
    # (c10's name for a bool tensor here is its type's, as in PyTorch's message)
    kind = ("CUDABoolType" if cuda else "CPUBoolType") if t.dtype.name == "bool" else legacy_type(t.dtype, cuda)
    shape = ", ".join(str(s) for s in t.shape)
    node = output_of if output_of is not None else t.grad_fn
    name = "" if node is None else _NODE_SUFFIX.sub(lambda m: "" if m.group(1) in ("", "0") else m.group(1),
                                                     node.name())
    if output_of is None and node is not None and t._base is not None:
        name = "AsStrided"  # (PyTorch remakes a view's grad_fn as AsStridedBackward0 once its version moved)
    which = "" if node is None else f", which is output 0 of {name},"
    return (
        f"one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{kind} [{shape}]]{which} is at version {now}; expected version {expected} instead. Hint: enable "
        "anomaly detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )
