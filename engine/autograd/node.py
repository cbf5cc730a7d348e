"""Graph nodes: what an op leaves behind for the backward pass (``grad_fn``)."""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import CPU, device_of
from ..errors import AutogradError
from .versions import ACTIVE as VERSIONS_ACTIVE
from .versions import record as record_versions

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
    _torch_type_name = "Tensor"  # in PyTorch's messages (``errors.type_name``)

    def __init__(self, t: Tensor) -> None:
        data = t._data
        self.shape = data.shape
        self.dtype = t._dtype
        self.requires_grad = t._rg
        self.device = CPU if type(data) is np.ndarray else device_of(data)

    @classmethod
    def of(cls, shape: tuple[int, ...], dtype: Any, requires_grad: bool = False, device: Any = None) -> TensorMeta:
        """A meta for a tensor that does not exist (yet): what planners run shape and dtype rules on."""
        m = object.__new__(cls)
        m.shape = tuple(shape)
        m.dtype = dtype
        m.requires_grad = requires_grad
        m.device = device or CPU
        return m

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def dim(self) -> int:
        return len(self.shape)

    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``next_functions`` (one per leaf while it is held)."""

    __slots__ = ("variable", "__weakref__")

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple[()]:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def accumulator(leaf: Tensor) -> AccumulateGrad:
    """The leaf's ``AccumulateGrad``: the same object each time while anyone holds it, as in PyTorch."""
    ref = getattr(leaf, "_accumulator", None)
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(leaf)
        leaf._accumulator = weakref.ref(node)
    return node


_next_seq = itertools.count().__next__


class Node:
    """One recorded op: ``tensor.grad_fn``.

    ``edges`` holds, per input, the input's own node, the leaf tensor that accumulates
    its gradient, or None where no gradient flows (a tensor that does not require grad,
    a Python number: ``scalars`` lists those positions). ``saved`` holds what
    the op's derivative reads (the inputs, with unsaved tensors reduced to their
    shape and dtype); backward without ``retain_graph`` drops it, and reading it
    after that raises PyTorch's error. ``_arrays`` (ops that save their inputs) holds the
    inputs as the backward pass's array rules read them: NumPy arrays (and Python numbers)
    when every input tensor is a NumPy array of the output's dtype, else None.
    """

    __slots__ = (
        "op", "_name", "_saved", "params", "edges", "scalars", "_out", "out_meta",
        "retained", "seq", "_arrays", "__weakref__",
    )

    def __init__(
        self,
        op: Op,
        name: str,
        saved: tuple[Any, ...],
        params: Any,
        edges: tuple[Any, ...],
        scalars: tuple[int, ...],
        out: Any,
        out_meta: tuple[tuple[int, ...], Any],
        arrays: tuple[Any, ...] | None = None,
    ) -> None:
        self.op = op
        self._name = name
        self._saved: tuple[Any, ...] | None = saved
        self.params = params
        self.edges = edges
        self.scalars = scalars
        self._out = out
        self.out_meta = out_meta
        self.retained: list[weakref.ref[Tensor]] | None = None
        # creation order (PyTorch's sequence_nr): a node's inputs' nodes always have smaller
        # numbers, so decreasing ``seq`` is an order in which backward can run
        self.seq = _next_seq()
        self._arrays = arrays
        if VERSIONS_ACTIVE[0]:  # (an in-place op has run: remember what saved tensors' versions are)
            record_versions(self, saved)

    def name(self) -> str:
        """PyTorch's class name for this node, e.g. ``MulBackward0``."""
        return self._name

    def __repr__(self) -> str:
        return f"<{self.class_name()} object at {id(self):#x}>"

    def class_name(self) -> str:
        """The name as PyTorch's node class has it (``repr``, a tensor's ``grad_fn=<...>``): ``name()``
        without a C++ namespace (``torch::autograd::CopySlices`` is ``CopySlices``)."""
        return self._name.rpartition("::")[2]

    @property
    def saved(self) -> tuple[Any, ...]:
        """What the derivative reads; PyTorch's error once backward freed it."""
        saved = self._saved
        if saved is None:
            raise AutogradError(FREED_MESSAGE)
        return saved

    def output(self) -> Tensor | None:
        """The op's output as a tensor of this graph (for derivatives that use it), else None."""
        out = self._out
        if out is None:
            if self._saved is None:
                raise AutogradError(FREED_MESSAGE)
            return None
        from ..tensor import Tensor

        return Tensor._wrap(out, self.out_meta[1], self)

    def free(self) -> None:
        """Release saved tensors (backward without ``retain_graph``).

        An op that saved no tensor (``add``, ``sum``, ``reshape``: only shapes and dtypes)
        keeps those, so a second backward through it works, as in PyTorch.
        """
        if self.op.saves != "none":
            self._saved = None
            self._out = None
            self._arrays = None

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """``((node or AccumulateGrad or None, 0), ...)``, one entry per input as PyTorch lists them.

        PyTorch lists the differentiable tensor arguments of the overload that ran: a Python
        number is a wrapped tensor (an entry, None) for add/sub/mul/div/where, and a Scalar
        argument (no entry) elsewhere (``x ** 2``, ``2 - x``); an argument with no derivative
        (``where``'s condition) has no entry.
        """
        op = self.op
        rules = None if op.list_input else op.vjp
        keep_scalars = op.name in _WRAPS_SCALARS
        out: list[tuple[Any, int]] = []
        for i, e in enumerate(self.edges):
            if (i in self.scalars and not keep_scalars) or (rules is not None and i < len(rules) and rules[i] is None):
                continue
            out.append((None if e is None else e if type(e) is Node else accumulator(e), 0))
        return tuple(out)


# ops whose Python-number arguments PyTorch wraps as tensors (so they show in next_functions)
_WRAPS_SCALARS = frozenset(("add", "sub", "mul", "div", "where"))
