"""Graph nodes: what an op leaves behind for the backward pass (``grad_fn``)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ..errors import AutogradError

if TYPE_CHECKING:
    from ..ops.registry import Op
    from ..tensor import Tensor

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class TensorMeta:
    """Shape and dtype of an input an op did not save (all its backward needs)."""

    __slots__ = ("shape", "dtype", "requires_grad", "device")

    def __init__(self, t: Tensor) -> None:
        self.shape = t.shape
        self.dtype = t.dtype
        self.requires_grad = t.requires_grad
        self.device = t.device

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def dim(self) -> int:
        return len(self.shape)


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``next_functions``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple[()]:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class Node:
    """One recorded op: ``tensor.grad_fn``.

    ``edges`` holds, per tensor input, the input's own node, the leaf tensor that
    accumulates its gradient, or None where no gradient flows. ``saved`` holds what
    the op's derivative reads (the inputs, with unsaved tensors reduced to their
    shape and dtype); backward without ``retain_graph`` drops it, and reading it
    after that raises PyTorch's error.
    """

    __slots__ = (
        "op", "_name", "_saved", "params", "edges", "in_meta", "_out", "out_meta",
        "retained", "__weakref__",
    )

    def __init__(
        self,
        op: Op,
        name: str,
        saved: tuple[Any, ...],
        params: dict[str, Any],
        edges: tuple[Any, ...],
        in_meta: tuple[tuple[tuple[int, ...], Any], ...],
        out: Any,
        out_meta: tuple[tuple[int, ...], Any],
    ) -> None:
        self.op = op
        self._name = name
        self._saved: tuple[Any, ...] | None = saved
        self.params = params
        self.edges = edges
        self.in_meta = in_meta
        self._out = out
        self.out_meta = out_meta
        self.retained: list[weakref.ref[Tensor]] | None = None

    def name(self) -> str:
        """PyTorch's class name for this node, e.g. ``MulBackward0``."""
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at {id(self):#x}>"

    @property
    def saved(self) -> tuple[Any, ...]:
        if self._saved is None:
            raise AutogradError(FREED_MESSAGE)
        return self._saved

    def output(self) -> Tensor | None:
        """The op's output as a tensor of this graph (for derivatives that use it)."""
        if self._out is None:
            if self._saved is None:
                raise AutogradError(FREED_MESSAGE)
            return None
        from ..tensor import Tensor

        return Tensor._wrap(self._out, self.out_meta[1], self)

    def free(self) -> None:
        """Release saved values (backward without ``retain_graph``)."""
        self._saved = None
        self._out = None

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        out: list[tuple[Any, int]] = []
        for e in self.edges:
            if e is None:
                out.append((None, 0))
            elif isinstance(e, Node):
                out.append((e, 0))
            else:
                out.append((AccumulateGrad(e), 0))
        return tuple(out)
