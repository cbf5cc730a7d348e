"""Views and the memory they share: what a write through one means for the others.

A view (a slice, a transpose, an expand: ``Tensor._base``) shares its base's memory. PyTorch's
rules for writing through it, which ``engine.inplace`` applies:

- a write recorded in a graph goes through the base (``CopySlices``, ``inplace._write_view``), and
  every live view of the base made in grad mode (``Tensor._views``, kept weakly by
  ``ops.registry.register_view``) then reads the base's new values through ``AsStridedBackward0``
  (``rebase_views``); a piece of split/unbind cannot be remade so and refuses at backward;
- views made under no_grad, views of a leaf that requires grad and pieces of split/unbind refuse
  a recorded write (``check_view_write``), in PyTorch's words;
- an expanded tensor reads some memory twice (``self_overlapping``): only fill-like ops write it
  whole; an operand whose memory partly overlaps the written tensor's is refused
  (``partial_overlap``, PyTorch's get_overlap_status).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .autograd import hooks, versions
from .autograd.grad_mode import mode, reset_mode, set_mode
from .errors import AutogradError, UnsupportedError
from .ops.registry import REGISTRY, call
from .ops.strided import address, strided_index

if TYPE_CHECKING:
    from .tensor import Tensor

VIEW_OF_LEAF_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."
NO_GRAD_VIEW_MESSAGE = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this "
    "use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view "
    "and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both "
    "outside (if you want the inplace to be tracked)."
)
MULTI_OUTPUT_MESSAGE = (
    " This view is the output of a function that returns multiple views. Such functions do not allow the "
    "output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
)


# the in-place ops PyTorch lets write into an expanded tensor (one value per memory location either way)
OVERLAP_WRITERS = frozenset(("_fill", "masked_fill"))


def self_overlapping(a: Any) -> bool:
    """Whether elements of ``a`` share memory: a broadcast dim (an expand)."""
    return any(stride == 0 and size > 1 for stride, size in zip(a.strides, a.shape, strict=True))


def _dense(a: Any) -> bool:
    """PyTorch's is_non_overlapping_and_dense: some order of the dims is row-major without gaps."""
    expected = a.itemsize
    for stride, n in sorted((s, n) for s, n in zip(a.strides, a.shape, strict=True) if n != 1):
        if stride != expected:
            return False
        expected *= n
    return True


def partial_overlap(a: Any, b: Any) -> bool:
    """PyTorch's get_overlap_status(a, b) == PARTIAL: two dense arrays whose memory ranges meet without being
    the same elements in the same order (where either is not dense, PyTorch does not tell: no)."""
    if a is b or a.size == 0 or b.size == 0 or not (_dense(a) and _dense(b)):
        return False
    a0, b0 = address(a), address(b)
    a1, b1 = a0 + a.nbytes, b0 + b.nbytes
    if a0 == b0 and a1 == b1:
        return a.strides != b.strides
    return a0 < b1 and b0 < a1


def check_view_write(t: Tensor, step: str | None) -> None:
    """PyTorch's refusals of a recorded write through view ``t`` (``step``: the name of the view of ``t``
    the write goes through, for ``t[key] = value``)."""
    base = t._base
    assert base is not None
    if t._no_grad_view:
        raise AutogradError(NO_GRAD_VIEW_MESSAGE)
    if base._rg and base.grad_fn is None:
        raise AutogradError(VIEW_OF_LEAF_MESSAGE)
    label = t._multi_output
    if label is not None:
        if step is not None:
            label = f"Output 0 of {step.removesuffix('Backward0')}"
        elif not label:
            node = t.grad_fn
            label = "" if node is None else f"Output 0 of {node.name().removesuffix('Backward0')}"
        first = f"{label} is a view and is being modified inplace." if label and t.grad_fn is not None else (
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled.")
        raise AutogradError(first + MULTI_OUTPUT_MESSAGE)


def view_values(t: Tensor) -> Tensor:
    """View ``t``'s values read from its base (a copy, ``AsStridedBackward0``): what a recorded write through
    it computes from, as PyTorch's CopySlices reads them, so the view's own node (and hooks on it) is
    not on the gradient's way."""
    base = t._base
    assert base is not None
    return call(REGISTRY["_as_strided"], (base,), {"index": index_in_base(t), "repeats": self_overlapping(t._data)})


def index_in_base(t: Tensor) -> Any:
    base = t._base
    assert base is not None
    index = strided_index(base._data, t._data)
    if index is None:  # (every view the engine makes lies on its base's elements)
        raise UnsupportedError("an in-place operation on this view cannot be recorded")
    return index


def rebase_views(base: Tensor) -> None:
    """After a recorded write into ``base``: every live view of it made in grad mode reads its new
    values (PyTorch regenerates a view's ``grad_fn`` once its base's version moved on)."""
    views = base._views
    if not views:
        return
    token = set_mode((True, mode()[1]))  # (also after a write under no_grad: the view's node is remade)
    try:
        _rebase(base, views)
    finally:
        reset_mode(token)


def _rebase(base: Tensor, views: list[Any]) -> None:
    as_strided = REGISTRY["_as_strided"]
    live = []
    for ref in views:
        v = ref()
        if v is None:
            continue
        live.append(ref)
        index = strided_index(base._data, v._data)
        if index is None:
            continue
        label = v._multi_output
        if label is None:
            node = call(as_strided, (base,), {"index": index, "repeats": self_overlapping(v._data)}).grad_fn
        else:  # (a piece of split/unbind, or a view of one: PyTorch cannot remake its node)
            if not label:
                label = "Output 0 of " + ("" if v.grad_fn is None else v.grad_fn.name().removesuffix("Backward0"))
                v._multi_output = label  # (kept: its node is about to be the refusing one)
            message = (f"{label} is a view and its base or another view of its base has been modified inplace."
                       + MULTI_OUTPUT_MESSAGE)
            node = call(REGISTRY["_invalid_view"], (base,), {"index": index, "message": message}).grad_fn
        if v._backward_hooks is not None:
            hooks.rebase(v, v.grad_fn)
        v.grad_fn = node
        v._rg = base._rg
        if v._retains_grad and v._rg:
            v._retains_grad = False
            v.retain_grad()
    views[:] = live


def rebase_untracked(t: Tensor) -> None:
    """After a write no graph recorded: views that require grad remake their nodes all the same (the
    same history, read through AsStrided), as PyTorch's do once their version moved on."""
    bases = [t if t._base is None else t._base]
    origin = versions.origin(t)  # (t may be a detached alias of the base)
    if origin is not None:
        origin = origin if origin._base is None else origin._base
        if origin is not bases[0]:
            bases.append(origin)
    for base in bases:
        if base._views and base._rg:
            rebase_views(base)
