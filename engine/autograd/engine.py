"""The backward pass: an iterative walk of the graph in reverse topological order.

Gradients for a node's output are summed in a dict until every consumer has
contributed; then its op's derivative rules run (under ``no_grad`` unless
``create_graph``), each result is summed back to its input's shape in one place
(``sum_to``) and cast to its dtype. ``.grad`` (leaves and retained non-leaves) is
written only once the whole pass succeeded, so a failing backward leaves no
partial gradients (PyTorch may have written some by then; we choose all or none).
A node's saved tensors are freed as it runs, unless ``retain_graph``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

import numpy as np

from ..backend import module_of
from ..errors import AutogradError, ShapeError, ValueError_
from .grad_mode import STATE, quiet_enter, quiet_exit
from .node import FREED_MESSAGE, Node

CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak."
)

# bound on first use (importing them here would be circular): the Tensor class, its wrap, sum_to
Tensor: Any = None
_wrap: Callable[..., Any] = None  # type: ignore[assignment]
_sum_to: Callable[[Any, tuple[int, ...]], Any] = None  # type: ignore[assignment]


def _late_imports() -> None:
    global Tensor, _wrap, _sum_to
    from ..ops._helpers import sum_to
    from ..tensor import Tensor as TensorClass
    from ..tensor import wrap

    Tensor, _wrap, _sum_to = TensorClass, wrap, sum_to
    _calibrate()


def _tensors(x: Any) -> list[Any]:
    """A tensor or a sequence of them, as a list (PyTorch's ``_tensor_or_tensors_to_tuple``)."""
    if Tensor is None:
        _late_imports()
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _make_grads(outputs: list[Tensor], grads: Any) -> list[Tensor | None]:
    """The gradient each output starts with (PyTorch's ``_make_grads``): given, or ones for a scalar."""
    given = [None] * len(outputs) if grads is None else _tensors(grads)
    result: list[Tensor | None] = []
    for i, out in enumerate(outputs[: len(given)]):
        g = given[i]
        if isinstance(g, Tensor):
            if g._data.shape != out._data.shape:
                raise ShapeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                    f"shape of {out.shape}."
                )
            if g._dtype is not out._dtype:  # PyTorch casts a root gradient to its output's dtype
                g = g.to(out._dtype)
            result.append(g)
        elif g is None:
            if not out._rg:
                result.append(None)
                continue
            data = out._data
            if data.size != 1:
                raise AutogradError("grad can be implicitly created only for scalar outputs")
            dt = out._dtype
            if not dt.is_floating_point:
                raise AutogradError(f"grad can be implicitly created only for real scalar outputs but got {dt}")
            xp = np if type(data) is np.ndarray else module_of(data)
            result.append(_wrap(xp.ones(data.shape, dt.np), dt, None))
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    if len(result) != len(outputs):  # extra gradients are ignored, as PyTorch's zip does
        raise AutogradError(f"got {len(outputs)} tensors and {len(result)} gradients")
    return result


def _check_outputs(outputs: list[Tensor]) -> None:
    for i, out in enumerate(outputs):
        if not out._rg:
            raise AutogradError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def _topological(roots: list[Node]) -> list[Node]:
    """Nodes reachable from the roots, each before every node it feeds into (consumers first).

    An iterative walk collects them; creation order (``Node.seq``) then orders them, since
    an op's inputs always exist before it runs.
    """
    seen = set(roots)
    stack = list(seen)
    pop = stack.pop
    push = stack.append
    add = seen.add
    while stack:
        for e in pop().edges:
            if type(e) is Node and e not in seen:
                add(e)
                push(e)
    return sorted(seen, key=_seq, reverse=True)


_seq = attrgetter("seq")


def _needed(order: list[Node], targets: list[Tensor]) -> tuple[set[Node], set[int], dict[Node, list[Tensor]]]:
    """For a pass limited to ``targets``: the nodes whose rules must run, and where the targets are.

    Returns (nodes with an edge that leads to a target, ids of the target leaves, the target
    non-leaves by their node).
    """
    target_leaves = {id(t) for t in targets if t.grad_fn is None}
    target_nodes: dict[Node, list[Tensor]] = {}
    for t in targets:
        if t.grad_fn is not None:
            target_nodes.setdefault(t.grad_fn, []).append(t)
    useful: set[Node] = set(target_nodes)  # nodes from which a target is reached
    needed: set[Node] = set()
    for node in reversed(order):  # producers first: a node's inputs are decided before it
        for e in node.edges:
            if e is None:
                continue
            if (e in useful) if type(e) is Node else (id(e) in target_leaves):
                needed.add(node)
                useful.add(node)
                break
    return needed, target_leaves, target_nodes


def run(
    outputs: list[Tensor],
    grads: list[Tensor | None],
    retain_graph: bool,
    create_graph: bool,
    targets: list[Tensor] | None = None,
    accumulate: bool = True,
) -> dict[int, list[Any]]:
    """Propagate ``grads`` from ``outputs``; return ``{id(tensor): [tensor, gradient]}`` for what was reached.

    ``targets`` limits the work to what reaches those tensors (``inputs=`` / ``autograd.grad``).
    With ``accumulate`` (``backward``), the reached leaves' and the retained tensors' ``.grad`` are
    written at the end; without it (``autograd.grad``) only retained tensors' are, as in PyTorch.
    """
    if Tensor is None:
        _late_imports()
    sum_to = _sum_to
    wrap = _wrap
    pending: dict[Node, Any] = {}  # node -> summed gradient of its output
    reached: dict[int, list[Any]] = {}  # leaf / target tensor id -> [tensor, gradient]
    target_leaves: set[int] | None = None
    target_nodes: dict[Node, list[Tensor]] = {}
    needed: set[Node] | None = None
    roots: list[Node] = []
    for out, g in zip(outputs, grads, strict=True):
        if g is None:
            continue
        node = out.grad_fn
        if node is None:
            if targets is None or any(t is out for t in targets):
                _add_reached(reached, out, g)
        else:
            roots.append(node)
            prev = pending.get(node)
            pending[node] = g if prev is None else prev + g
    order = _topological(roots)
    if targets is not None:
        needed, target_leaves, target_nodes = _needed(order, targets)
    retained: list[tuple[Tensor, Any]] = []
    state = STATE
    prev_mode = state.grad_enabled
    state.grad_enabled = create_graph
    quiet = quiet_enter()
    try:
        for node in order:
            g = pending.pop(node, None)
            if g is None:  # no gradient reached it (only through non-differentiable paths)
                continue
            if node.retained is not None:
                for ref in node.retained:
                    t = ref()
                    if t is not None and t.grad_fn is node:  # (not since detached in place)
                        retained.append((t, g))
            if needed is not None:
                if not accumulate and node in target_nodes:  # autograd.grad captures it here
                    for t in target_nodes[node]:
                        if id(t) not in reached:
                            _add_reached(reached, t, g)
                if node not in needed:
                    if accumulate and node in target_nodes:
                        # backward(inputs=) runs an input's own node, as PyTorch does: freed is an error
                        if node._saved is None:
                            raise AutogradError(FREED_MESSAGE)
                        if not retain_graph:
                            node.free()
                    continue
            saved = node._saved
            if saved is None:
                raise AutogradError(FREED_MESSAGE)
            o = node._out
            out = None if o is None else wrap(o, node.out_meta[1], node)
            op = node.op
            if not retain_graph and op.saves != "none":  # free what it saved as it runs (we hold it here)
                node._saved = node._out = None
            rules = op.vjp
            params = node.params
            edges = node.edges
            if op.list_input:
                results = rules[0](g, out, *saved, **params)  # type: ignore[index,misc]
            else:
                results = [
                    None if e is None or rule is None
                    or (needed is not None and not _wanted(e, needed, target_nodes, target_leaves))
                    else rule(g, out, *saved, **params) if params else rule(g, out, *saved)
                    for e, rule in zip(edges, rules, strict=True)  # type: ignore[arg-type]
                ]
            for e, gi in zip(edges, results, strict=False):
                if e is None or gi is None:
                    continue
                if type(e) is Node:
                    if needed is not None and not _wanted(e, needed, target_nodes, target_leaves):
                        continue
                    shape, dt = e.out_meta  # the input's shape and dtype: its node's output's
                    if gi._data.shape != shape:
                        gi = sum_to(gi, shape)
                    if gi._dtype is not dt:
                        gi = gi.to(dt)
                    prev = pending.get(e)
                    pending[e] = gi if prev is None else prev + gi
                elif target_leaves is None or id(e) in target_leaves:
                    if gi._data.shape != e._data.shape:
                        gi = sum_to(gi, e._data.shape)
                    if gi._dtype is not e._dtype:
                        gi = gi.to(e._dtype)
                    _add_reached(reached, e, gi)
        # the pass succeeded: now write .grad, all at once (holding no other reference to a
        # gradient here, so that one nobody else holds can become .grad without a copy)
        g = gi = results = out = prev = saved = None
        _write_grads(reached, retained, create_graph, accumulate)
    finally:
        quiet_exit(quiet)
        state.grad_enabled = prev_mode
    return reached


def _wanted(e: Any, needed: set[Node], target_nodes: dict[Node, Any], target_leaves: Any) -> bool:
    """Whether a gradient for edge ``e`` leads to a target."""
    if e is None:
        return False
    if type(e) is Node:
        return e in needed or e in target_nodes
    return id(e) in target_leaves


def _add_reached(acc: dict[int, list[Any]], t: Tensor, g: Any) -> None:
    hit = acc.get(id(t))
    if hit is None:
        acc[id(t)] = [t, g]
    else:
        hit[1] = hit[1] + g


def _write_grads(reached: dict[int, list[Any]], retained: list[tuple[Tensor, Any]], create_graph: bool,
                 accumulate: bool) -> None:
    for t, g in retained:
        _accumulate_into(t, g, create_graph)
    if accumulate:
        for t, g in reached.values():
            _accumulate_into(t, g, create_graph)


def _accumulate_into(t: Tensor, g: Tensor, create_graph: bool) -> None:
    """``t.grad += g`` as PyTorch's AccumulateGrad does it."""
    old = t._grad
    if create_graph:  # the gradient stays in the graph (differentiable again)
        t._grad = g if old is None else old + g
        return
    if old is None:
        # A gradient can be the very array another tensor holds (add passes g through), and
        # .grad is accumulated into in place: it gets its own copy, unless nothing else
        # holds the gradient or its array (PyTorch's AccumulateGrad "steals" it then too).
        t._grad = g if not g._rg and _sole(g) else _wrap(g._data.copy(), g._dtype, None)
        return
    if not old._rg:
        try:  # in place, as PyTorch: a tensor the user assigned to .grad sees the sum
            old._data += g._data
            return
        except (ValueError, TypeError):  # read-only (a broadcast view) or not castable
            pass
    t._grad = _wrap(old._data + g._data, old._dtype, None)


# Reference counts of a gradient (the tensor, its array) that only the pass holds, as _sole sees
# them: measured once through the very same calls (so they hold for this interpreter), -1 until then.
_SOLE_REFS = (-1, -1)
_calibration: list[tuple[int, int]] | None = None


def _sole(g: Tensor) -> bool:
    """Whether nothing but the backward pass holds ``g`` and its array (an owned, contiguous one)."""
    data = g._data
    if type(data) is not np.ndarray or data.base is not None:
        return False
    flags = data.flags
    if not (flags.c_contiguous and flags.writeable):
        return False
    refs = (sys.getrefcount(g), sys.getrefcount(data))
    if _calibration is not None:
        _calibration.append(refs)
        return False
    return refs[0] <= _SOLE_REFS[0] and refs[1] <= _SOLE_REFS[1]


def _calibrate() -> None:
    """Measure ``_SOLE_REFS``: write a gradient held by nothing else through ``_write_grads``."""
    global _SOLE_REFS, _calibration
    from ..dtypes import float32

    _calibration = []
    try:
        leaf = _wrap(np.zeros(1, np.float32), float32, None)
        reached = {0: [leaf, _wrap(np.zeros(1, np.float32), float32, None)]}
        _write_grads(reached, [], False, True)
        if len(_calibration) == 1:
            _SOLE_REFS = _calibration[0]
    finally:
        _calibration = None


def _inputs(inputs: Any, fn: str) -> list[Any]:
    """``inputs=`` as a list: a tensor, a sequence of them, or a dict (its values), as PyTorch takes it."""
    if Tensor is None:
        _late_imports()
    if isinstance(inputs, Tensor):
        return [inputs]
    if type(inputs) is dict:
        return list(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(
            f"`inputs` argument to `{fn}()` must be a dict, not {type(inputs).__name__}. "
            "Other Mapping types are not supported."
        )
    return list(inputs)


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """``torch.autograd.backward``: accumulate gradients into leaves' (and retained) ``.grad``."""
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise AutogradError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to `backward()`. "
                "Please only use `grad_tensors`."
            )
        grad_tensors = grad_variables
    targets = None
    if inputs is not None:
        targets = _inputs(inputs, "backward")
        if not targets:
            raise AutogradError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _tensors(tensors)
    grads = _make_grads(outputs, grad_tensors)
    _check_outputs(outputs)
    if targets is not None:
        for t in targets:  # as PyTorch: non-leaf inputs get their .grad through retain_grad
            t.retain_grad()
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    run(outputs, grads, retain_graph, create_graph, targets, accumulate=True)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> Any:
    """``torch.autograd.grad``: the gradients of ``outputs`` w.r.t. ``inputs``, without touching their ``.grad``.

    A tuple, one entry per input (None for one the outputs do not depend on, with
    ``allow_unused``); a dict by the same keys when ``inputs`` is a dict.
    """
    from ..creation import zeros_like
    from ..errors import UnsupportedError

    if materialize_grads and allow_unused is False:
        raise ValueError_(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
            "allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _tensors(outputs)
    ins = _inputs(inputs, "grad")
    if not ins:
        raise AutogradError("`inputs` argument to `grad()` cannot be empty.")
    if is_grads_batched:
        raise UnsupportedError("is_grads_batched=True is not supported")
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate gradient "
            "for other parts of the graph, please use torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    grads = _make_grads(outs, grad_outputs)
    _check_outputs(outs)
    for t in ins:
        if not t._rg:
            raise AutogradError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    reached = run(outs, grads, retain_graph, create_graph, ins, accumulate=False)
    result: list[Tensor | None] = []
    for i, t in enumerate(ins):
        hit = reached.get(id(t))
        if hit is None:
            if not allow_unused:
                raise AutogradError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            result.append(zeros_like(t) if materialize_grads else None)
        else:
            g = hit[1]
            result.append(g if create_graph or not g._rg else g.detach())
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result, strict=True))
    return tuple(result)
