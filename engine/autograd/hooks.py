"""Tensor hooks: ``t.register_hook(fn)`` runs ``fn`` on the gradient of ``t`` during backward, as PyTorch's.

A hook gets the gradient (summed over every use of ``t``) and returns None (keep it) or a tensor
of the same shape and dtype that replaces it: what flows on into ``t``'s graph, into a leaf's
``.grad``, into a retained ``.grad`` (retain_grad's write runs after every hook, as PyTorch's) and
into what ``autograd.grad`` returns for ``t``. Hooks run in the order they were registered;
``handle.remove()`` takes one back. A non-leaf's hooks are looked at by the backward pass when its
node runs (the tensor is listed in ``Node.retained``, as retain_grad lists it), a leaf's when its
gradient is final.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..dtypes import legacy_type
from ..errors import AutogradError

if TYPE_CHECKING:
    from ..tensor import Tensor

Hook = Callable[[Any], Any]
_next_id = itertools.count().__next__


class RemovableHandle:
    """What ``register_hook`` returns (``torch.utils.hooks.RemovableHandle``): ``remove()`` unregisters
    the hook (again: nothing); usable as a context manager that removes it on exit."""

    def __init__(self, hooks: dict[int, Hook]) -> None:
        self.hooks_dict_ref = weakref.ref(hooks)
        self.id = _next_id()

    def remove(self) -> None:
        hooks = self.hooks_dict_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.remove()


class _Hooks(dict):  # type: ignore[type-arg]
    """A tensor's hooks by handle id, in registration order (a dict a handle can refer to weakly)."""


def register(t: Tensor, hook: Hook) -> RemovableHandle:
    """``t.register_hook(hook)``: PyTorch's refusal for a tensor that does not require grad."""
    if not t._rg:
        raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = t._backward_hooks
    if hooks is None:
        hooks = t._backward_hooks = _Hooks()
        if t.grad_fn is not None:
            watch(t)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def watch(t: Tensor) -> None:
    """List non-leaf ``t`` in its node's ``retained`` (once): the backward pass then looks at its hooks and
    its retain_grad when the node runs."""
    node = t.grad_fn
    assert node is not None, "a leaf's hooks run when its gradient is final: no node lists it"
    if node.retained is None:
        node.retained = []
    if not any(ref() is t for ref in node.retained):
        node.retained.append(weakref.ref(t))


class _Kept:
    """Hooks of a tensor that an in-place op gave a new node: they stay with its old node, as PyTorch's
    (they see the gradient of the tensor's old value). Listed in that node's ``retained`` in place of
    the tensor, and called as its weak reference would be, it stands in for the tensor there."""

    __slots__ = ("grad_fn", "_backward_hooks", "_retains_grad")

    def __init__(self, node: Any, hooks: dict[int, Hook]) -> None:
        self.grad_fn = node
        self._backward_hooks = hooks
        self._retains_grad = False

    def __call__(self) -> _Kept:
        return self


class _RetainedFor:
    """A tensor's retain_grad that stays with its old node after an in-place view op (``y.unsqueeze_(0)``):
    PyTorch's ``.grad`` is then the old node's gradient, of the old shape. Listed in that node's
    ``retained``, it stands in for the tensor there; what backward writes to its ``.grad`` goes to the
    tensor's."""

    __slots__ = ("grad_fn", "_tensor")
    _backward_hooks = None
    _retains_grad = True

    def __init__(self, node: Any, t: Tensor) -> None:
        self.grad_fn = node
        self._tensor = weakref.ref(t)

    def __call__(self) -> _RetainedFor | None:
        return self if self._tensor() is not None else None

    @property
    def _grad(self) -> Any:
        t = self._tensor()
        return None if t is None else t._grad

    @_grad.setter
    def _grad(self, value: Any) -> None:
        t = self._tensor()
        if t is not None:
            t._grad = value


def keep_retained(t: Tensor, old_node: Any) -> None:
    """``t`` retains its gradient and takes a new node by an in-place view op: its ``.grad`` stays the old
    node's (PyTorch's), not the new one's."""
    if old_node is not None and t._retains_grad:
        if old_node.retained is None:
            old_node.retained = []
        old_node.retained.append(_RetainedFor(old_node, t))


def rebase(t: Tensor, old_node: Any) -> None:
    """``t`` is about to take a new node (an in-place op): its hooks stay with ``old_node``; hooks
    registered from now on are the new node's."""
    hooks = t._backward_hooks
    if hooks and old_node is not None:
        old_node.retained.append(_Kept(old_node, hooks))
    t._backward_hooks = None


def run(t: Tensor, grad: Any) -> Any:
    """``grad`` through ``t``'s hooks, each checked as PyTorch checks what a hook returns."""
    for hook in list((t._backward_hooks or {}).values()):
        if not grad._data.flags.writeable:  # (a gradient in flight may be a shared read-only array)
            grad = type(grad)._wrap(grad._data.copy(), grad._dtype, grad.grad_fn)
        result = hook(grad)
        if result is None:
            continue
        if not isinstance(result, type(grad)):
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
        name = getattr(hook, "__name__", type(hook).__name__)
        if tuple(result.shape) != tuple(grad.shape):
            raise AutogradError(f"hook '{name}' has changed the size of value")
        if result.dtype is not grad.dtype or result.device != grad.device:
            raise AutogradError(
                f"hook '{name}' has changed the type of value (was {legacy_type(grad.dtype, grad.is_cuda)} got "
                f"{legacy_type(result.dtype, result.is_cuda)})"
            )
        grad = result
    return grad
