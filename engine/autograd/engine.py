"""The backward pass: an iterative walk of the graph in reverse topological order.

Gradients for a node's output are summed in a dict until every consumer has
contributed; then its op's derivative rules run (under ``no_grad`` unless
``create_graph``), each result is summed back to its input's shape in one place
(``sum_to``) and cast to its dtype. ``.grad`` (leaves and retained non-leaves) is
written only once the whole pass succeeded, so a failing backward leaves no
partial gradients (PyTorch may have written some by then; we choose all or none).
A node's saved tensors are freed as it runs, unless ``retain_graph``.

The order is decreasing creation order (``Node.seq``), taken from a heap as gradients
reach nodes. Without ``create_graph`` (nothing recorded), ops' array rules
(``Op.fast_vjp``) run in place of their engine-op rules, on the same NumPy calls, and
gradients in flight stay arrays (``_drain_arrays``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any

import numpy as np

from .._warnings import warn as _warn
from ..backend import module_of
from ..errors import AutogradError, ShapeError, ValueError_, type_name
from .grad_mode import mode, quiet_enter, quiet_exit, reset_mode, set_mode
from .hooks import run as run_hooks
from .node import FREED_MESSAGE, Node
from .versions import ACTIVE as VERSIONS_ACTIVE
from .versions import check as check_versions
from .versions import written

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
_sum_to_array: Callable[[Any, tuple[int, ...]], Any] = None  # type: ignore[assignment]
SAME: Any = None


def _late_imports() -> None:
    global Tensor, _wrap, _sum_to, _sum_to_array, SAME
    from ..ops import registry
    from ..ops._helpers import sum_to, sum_to_array
    from ..tensor import Tensor as TensorClass
    from ..tensor import wrap

    Tensor, _wrap, _sum_to, _sum_to_array, SAME = TensorClass, wrap, sum_to, sum_to_array, registry.SAME
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
            if type(data) is np.ndarray:
                one = np.empty(data.shape, dt.np)
                one.fill(1)  # np.ones, without its wrapper
            else:
                one = module_of(data).ones(data.shape, dt.np)
            result.append(_wrap(one, dt, None))
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type_name(g)}")
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

    Nodes run in decreasing creation order (``Node.seq``: an op's inputs always exist before it,
    so every consumer of a node runs before it), taken from a heap as gradients reach them.
    Without ``create_graph`` nothing is recorded, so an op's array rules (``Op.fast_vjp``) stand
    in for its rules where every tensor involved is a NumPy array of the output's dtype: the
    same array work, without an engine op around each step; the gradients in flight are then
    plain arrays, and summing them, summing them back to an input's shape and casting them
    work on arrays too (``_drain_arrays``).
    """
    if Tensor is None:
        _late_imports()
    arrays = not create_graph  # the array rules and sums may stand in
    p = _Pass(retain_graph, accumulate, arrays)
    for i in range(len(outputs)):  # (one gradient per output: _make_grads' promise)
        out = outputs[i]
        g = grads[i]
        if g is None:
            continue
        node = out.grad_fn
        if node is None:
            if targets is None or any(t is out for t in targets):
                _add_reached(p.reached, out, g, arrays)
        else:
            prev = p.pending.get(node)
            if prev is None:
                p.pending[node] = g
                heappush(p.heap, (-node.seq, node))
            else:
                p.pending[node] = _plus(prev, g, arrays)
    out = g = node = prev = None  # (holding no gradient here: see below)
    if targets is not None:
        p.needed, p.target_leaves, p.target_nodes = _needed(_topological([n for _, n in p.heap]), targets)
    # the deadline is this thread's (a token it holds can still expire or be cancelled)
    deadline = mode()[1]
    recording = set_mode((create_graph, deadline))
    quiet = quiet_enter()
    try:
        if arrays and p.needed is None:
            _drain_arrays(p, deadline)
        else:
            _drain(p, deadline)
        # the pass succeeded: now write .grad, all at once (nothing here holds another reference
        # to a gradient, so that one nobody else holds can become .grad without a copy)
        _write_grads(p.reached, p.retained, create_graph, accumulate)
    finally:
        quiet_exit(quiet)
        reset_mode(recording)
    return p.reached


class _Pass:
    """The state of one backward pass."""

    __slots__ = ("pending", "heap", "reached", "retained", "needed", "target_leaves", "target_nodes",
                 "retain_graph", "accumulate", "arrays")

    def __init__(self, retain_graph: bool, accumulate: bool, arrays: bool) -> None:
        self.pending: dict[Node, Any] = {}  # node -> summed gradient of its output (a tensor, or an array)
        self.heap: list[tuple[int, Node]] = []  # (-seq, node) of the nodes a gradient reached, not yet run
        self.reached: dict[int, list[Any]] = {}  # leaf / target tensor id -> [tensor, gradient]
        self.retained: list[tuple[Tensor, Any]] = []  # (retained non-leaf, its gradient)
        self.needed: set[Node] | None = None  # with targets: the nodes whose rules must run
        self.target_leaves: set[int] | None = None
        self.target_nodes: dict[Node, list[Tensor]] = {}
        self.retain_graph = retain_graph
        self.accumulate = accumulate
        self.arrays = arrays  # no graph is recorded: array rules and array sums may stand in


def _drain(p: _Pass, deadline: Any) -> None:
    """Run the nodes in order, each through ``_run_node``."""
    heap = p.heap
    pending = p.pending
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(node)
        if type(g) is np.ndarray:
            g = _wrap(g, node.out_meta[1], None)
        if deadline is not None and time.monotonic() > deadline:
            raise _deadline_error()
        _run_node(p, node, g)


def _run_node(p: _Pass, node: Node, g: Any) -> None:
    """Run one node's rules on its output's gradient ``g`` (a tensor) and send the results on."""
    if node.retained is not None:  # tensors of this node with hooks or retain_grad
        tensors = [t for ref in node.retained if (t := ref()) is not None and t.grad_fn is node]  # (not detached)
        for t in tensors:
            if t._backward_hooks:
                g = run_hooks(t, g)
        for t in tensors:  # (retain_grad's write runs after every hook, as PyTorch's)
            if t._retains_grad:
                p.retained.append((t, g))
    needed = p.needed
    if needed is not None:
        target_nodes = p.target_nodes
        if not p.accumulate and node in target_nodes:  # autograd.grad captures it here
            for t in target_nodes[node]:
                if id(t) not in p.reached:
                    _add_reached(p.reached, t, g, p.arrays)
        if node not in needed:
            if p.accumulate and node in target_nodes:
                # backward(inputs=) runs an input's own node, as PyTorch does: freed is an error
                if node._saved is None:
                    raise AutogradError(FREED_MESSAGE)
                if not p.retain_graph:
                    node.free()
            return
    saved = node._saved
    if saved is None:
        raise AutogradError(FREED_MESSAGE)
    if VERSIONS_ACTIVE[0]:
        check_versions(node, saved)
    o = node._out
    op = node.op
    ins = node._arrays if op._saves_inputs else saved
    if not p.retain_graph and op._frees:  # free what it saved as it runs (we hold it here)
        node._saved = node._out = node._arrays = None
    out = None if o is None else _wrap(o, node.out_meta[1], node)
    rules: Any = op.vjp
    params = node.params
    if op.list_input:
        results = rules[0](g, out, *saved, **params)
        for e, gi in zip(node.edges, results, strict=False):
            if e is not None and gi is not None:
                _route(p, e, gi)
        return
    fast = op.fast_vjp if p.arrays and ins is not None and type(g._data) is np.ndarray else None
    for i, e in enumerate(node.edges):
        rule = rules[i]
        if e is None or rule is None:
            continue
        if needed is not None and not _wanted(e, needed, p.target_nodes, p.target_leaves):
            continue
        f = None if fast is None else fast[i]
        if f is not None:
            r = f(g._data, o, ins, params)
            if r is SAME:
                _route(p, e, g)
                continue
            if r is not None:
                _route(p, e, _array_grad(r, e))
                continue
        gi = rule(g, out, *saved, **params) if params else rule(g, out, *saved)
        if gi is not None:
            _route(p, e, gi)


def _array_grad(r: Any, e: Any) -> Any:
    """An array rule's result for edge ``e`` as a tensor in its input's shape and dtype."""
    if type(e) is Node:
        shape, dt = e.out_meta
    else:
        shape, dt = e._data.shape, e._dtype
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    if r.shape != shape:
        r = _sum_to_array(r, shape)
    if r.dtype is not dt.np and r.dtype != dt.np:
        r = r.astype(dt.np)  # what ``gi.to(dt)`` does
    return _wrap(r, dt, None)


def _drain_arrays(p: _Pass, deadline: Any) -> None:
    """``_drain`` where no graph is recorded and every node's gradient is wanted: the hot loop.

    A node whose op has array rules, saved inputs of its output's dtype (``Node._arrays``) and
    NumPy gradients runs them here; their results stay arrays (in its input's shape and dtype,
    as ``_route`` makes them) until they reach a leaf or a rule that wants a tensor. Any
    other node takes ``_run_node``.
    """
    heap = p.heap
    pending = p.pending
    reached = p.reached
    retain_graph = p.retain_graph
    ndarray = np.ndarray
    same = SAME
    wrap = _wrap
    sum_to_array = _sum_to_array
    while heap:
        node = heappop(heap)[1]
        g = pending[node]  # (subscripts and `in`, not .pop/.get: cheaper once compiled)
        del pending[node]
        if deadline is not None and time.monotonic() > deadline:
            raise _deadline_error()
        fast, saves_inputs, frees, rules = node.op._hot_backward
        gd = g if type(g) is ndarray else g._data
        ins = node._arrays if saves_inputs else node._saved
        if fast is None or type(gd) is not ndarray or node.retained is not None or ins is None:
            _run_node(p, node, wrap(g, node.out_meta[1], None) if g is gd else g)
            continue
        saved = node._saved
        if saved is None:
            raise AutogradError(FREED_MESSAGE)
        if VERSIONS_ACTIVE[0]:
            check_versions(node, saved)
        o = node._out
        if not retain_graph and frees:  # free what it saved as it runs (we hold it here)
            node._saved = node._out = node._arrays = None
        params = node.params
        edges = node.edges
        for i in range(len(edges)):  # (one rule and one array rule per edge)
            e = edges[i]
            rule = rules[i]
            if e is None or rule is None:
                continue
            f = fast[i]
            r = None if f is None else f(gd, o, ins, params)
            if r is None:  # no array rule for this input (or not for these arguments): the rule
                gt = g if g is not gd else wrap(gd, node.out_meta[1], None)
                out = None if o is None else wrap(o, node.out_meta[1], node)
                gi = rule(gt, out, *saved, **params) if params else rule(gt, out, *saved)
                if gi is not None:
                    _route(p, e, gi)
                continue
            if r is same:
                r = gd
            elif type(r) is not ndarray:
                r = np.asarray(r)
            if type(e) is Node:
                shape, dt = e.out_meta
                if r.shape != shape:
                    r = sum_to_array(r, shape)
                dnp = dt.np
                if r.dtype is not dnp and r.dtype != dnp:
                    r = r.astype(dnp)  # what ``gi.to(dt)`` does
                if e not in pending:
                    pending[e] = r
                    heappush(heap, (-e.seq, e))
                elif type(prev := pending[e]) is ndarray:
                    s = prev + r  # the engine's add (same dtype and shape), without the op around it
                    pending[e] = s if type(s) is ndarray else np.asarray(s)
                else:
                    pending[e] = _plus(prev, wrap(r, dt, None), True)
            else:
                shape = e._data.shape
                dt = e._dtype
                if r.shape != shape:
                    r = sum_to_array(r, shape)
                dnp = dt.np
                if r.dtype is not dnp and r.dtype != dnp:
                    r = r.astype(dnp)
                # (the incoming gradient itself, when it is a tensor passed on as it is)
                gi = g if r is gd and g is not gd else wrap(r, dt, None)
                key = id(e)
                if key in reached:
                    hit = reached[key]
                    hit[1] = _plus(hit[1], gi, True)
                else:
                    reached[key] = [e, gi]


def _deadline_error() -> Exception:
    from ..ops.registry import DeadlineExceeded

    return DeadlineExceeded("the computation ran past its time limit")


def _route(p: _Pass, e: Any, gi: Any) -> None:
    """Send gradient ``gi`` (a tensor) along edge ``e``: summed back to its input's shape, in its dtype."""
    arrays = p.arrays
    if type(e) is Node:
        if p.needed is not None and not _wanted(e, p.needed, p.target_nodes, p.target_leaves):
            return
        shape, dt = e.out_meta  # the input's shape and dtype: its node's output's
        if gi._data.shape != shape:
            gi = _sum_to_grad(gi, shape, arrays)
        if gi._dtype is not dt:
            gi = _cast_grad(gi, dt, arrays)
        pending = p.pending
        prev = pending.get(e)
        if prev is None:
            pending[e] = gi
            heappush(p.heap, (-e.seq, e))
        else:
            if type(prev) is np.ndarray:
                prev = _wrap(prev, dt, None)
            pending[e] = _plus(prev, gi, arrays)
    elif p.target_leaves is None or id(e) in p.target_leaves:
        shape = e._data.shape
        if gi._data.shape != shape:
            gi = _sum_to_grad(gi, shape, arrays)
        if gi._dtype is not e._dtype:
            gi = _cast_grad(gi, e._dtype, arrays)
        _add_reached(p.reached, e, gi, arrays)


def _sum_to_grad(gi: Any, shape: tuple[int, ...], arrays: bool) -> Any:
    if arrays and type(gi._data) is np.ndarray:
        return _wrap(_sum_to_array(gi._data, shape), gi._dtype, None)
    return _sum_to(gi, shape)


def _cast_grad(gi: Any, dt: Any, arrays: bool) -> Any:
    if arrays and type(gi._data) is np.ndarray:
        return _wrap(gi._data.astype(dt.np), dt, None)  # what ``gi.to(dt)`` does
    return gi.to(dt)


def _plus(a: Any, b: Any, arrays: bool) -> Any:
    """``a + b`` for two gradients of one tensor; on arrays where no graph is recorded."""
    if arrays:
        x, y = a._data, b._data
        if type(x) is np.ndarray and type(y) is np.ndarray and a._dtype is b._dtype and x.shape == y.shape:
            out = x + y  # the engine's add, without the op around it
            if type(out) is not np.ndarray:
                out = np.asarray(out)
            return _wrap(out, a._dtype, None)
    return a + b


def _wanted(e: Any, needed: set[Node], target_nodes: dict[Node, Any], target_leaves: Any) -> bool:
    """Whether a gradient for edge ``e`` leads to a target."""
    if e is None:
        return False
    if type(e) is Node:
        return e in needed or e in target_nodes
    return id(e) in target_leaves


def _add_reached(acc: dict[int, list[Any]], t: Tensor, g: Any, arrays: bool = False) -> None:
    hit = acc.get(id(t))
    if hit is None:
        acc[id(t)] = [t, g]
    else:
        hit[1] = _plus(hit[1], g, arrays)


def _write_grads(reached: dict[int, list[Any]], retained: list[tuple[Tensor, Any]], create_graph: bool,
                 accumulate: bool) -> None:
    for t, g in retained:
        _accumulate_into(t, g, create_graph)
    if accumulate:
        for t, g in reached.values():
            # (none for a leaf set to requires_grad=False since, nor for a view made under no_grad: as PyTorch)
            if (t._rg or t.grad_fn is not None) and not t._no_grad_view:
                if t._backward_hooks and t.grad_fn is None:  # (a leaf's hooks: a non-leaf's ran at its node)
                    g = run_hooks(t, g)
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
        data = g._data
        if not g._rg and type(data) is np.ndarray and data.base is None:
            flags = data.flags
            if flags.c_contiguous and flags.writeable:
                refs = (sys.getrefcount(g), sys.getrefcount(data))
                if _calibration is not None:
                    _calibration.append(refs)
                elif refs[0] <= _SOLE_REFS[0] and refs[1] <= _SOLE_REFS[1]:
                    t._grad = g
                    return
        t._grad = _wrap(data.copy(), g._dtype, None)
        return
    if not old._rg:
        try:  # in place, as PyTorch: a tensor the user assigned to .grad sees the sum
            old._data += g._data
        except (ValueError, TypeError):  # read-only (a broadcast view) or not castable (NumPy wrote nothing)
            pass
        else:
            written(old)  # (a new version, as PyTorch's: a graph that saved the old .grad refuses to read it)
            return
    else:  # a gradient left by create_graph=True: PyTorch adds into it and keeps its grad_fn (its
        # memory may be saved by that graph, so the sum is a new array in the same tensor)
        old._data = old._data + g._data
        return
    t._grad = _wrap(old._data + g._data, old._dtype, None)


# Reference counts of a gradient (the tensor, its array) that only the pass holds, as
# _accumulate_into sees them when it decides whether to steal the gradient (nothing else holds
# the gradient or its owned, contiguous array): measured once through the very same calls (so
# they hold for this interpreter), -1 until then.
_SOLE_REFS = (-1, -1)
_calibration: list[tuple[int, int]] | None = None


def _calibrate() -> None:
    """Measure ``_SOLE_REFS``: write a gradient held by nothing else through ``_write_grads``."""
    global _SOLE_REFS, _calibration
    from ..dtypes import float32

    _calibration = []
    try:
        leaf = _wrap(np.zeros(1, np.float32), float32, None)
        leaf._rg = True  # (a leaf that requires grad: _write_grads skips the others)
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
            f"`inputs` argument to `{fn}()` must be a dict, not {type_name(inputs)}. "
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
    if Tensor is None:
        _late_imports()
    if type(tensors) is Tensor and grad_tensors is None and grad_variables is None and inputs is None:
        # ``loss.backward()``: the general steps below, for one scalar output that requires grad
        data = tensors._data
        dt = tensors._dtype
        if tensors._rg and type(data) is np.ndarray and data.size == 1 and dt.is_floating_point:
            one = _seed(dt, data.shape) if not create_graph else np.ones(data.shape, dt.np)
            if retain_graph is None:
                retain_graph = create_graph
            if create_graph:
                _warn(CREATE_GRAPH_WARNING)
            run([tensors], [_wrap(one, dt, None)], retain_graph, create_graph, None, accumulate=True)
            return
    if grad_variables is not None:
        _warn("`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning)
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
        _warn(CREATE_GRAPH_WARNING)
    run(outputs, grads, retain_graph, create_graph, targets, accumulate=True)


# backward's implicit gradient of a one-element output, per dtype and shape: read-only, so that no
# .grad takes it without a copy (nothing writes into a gradient in flight); with create_graph the
# gradient can become a .grad as it is, so that one is fresh
_SEEDS: dict[tuple[Any, tuple[int, ...]], np.ndarray] = {}


def _seed(dt: Any, shape: tuple[int, ...]) -> np.ndarray:
    try:  # (a subscript: cheaper than .get once compiled)
        return _SEEDS[(dt, shape)]
    except KeyError:
        pass
    one = np.ones(shape, dt.np)
    one.flags.writeable = False
    _SEEDS[(dt, shape)] = one
    return one


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
        _warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate gradient "
            "for other parts of the graph, please use torch.autograd.backward.",
            FutureWarning,
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
            if t._backward_hooks and t.grad_fn is None:  # (a leaf's hooks: a non-leaf's ran at its node)
                g = run_hooks(t, g)
            result.append(g if create_graph or not g._rg else g.detach())
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result, strict=True))
    return tuple(result)
