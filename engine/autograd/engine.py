"""The backward pass: an iterative walk of the graph in reverse topological order.

Gradients for a node's output are summed in a dict until every consumer has
contributed; then its op's derivative rules run (under ``no_grad`` unless
``create_graph``), each result is summed back to its input's shape in one place
(``sum_to``) and cast to its dtype. Leaves' ``.grad`` are written only once the
whole pass succeeded, so a failing backward leaves no partial gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import AutogradError, ShapeError
from .grad_mode import STATE
from .node import Node

if TYPE_CHECKING:
    from ..tensor import Tensor


def _as_list(x: Any) -> list[Any]:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _root_grads(outputs: list[Tensor], grads: list[Any] | None) -> list[Tensor]:
    from ..creation import ones_like
    from ..tensor import Tensor

    result = []
    for i, out in enumerate(outputs):
        g = grads[i] if grads is not None and i < len(grads) else None
        if g is None:
            if out.numel() != 1:
                raise AutogradError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise AutogradError(
                    f"grad can be implicitly created only for real scalar outputs but got {out.dtype}"
                )
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            from ..creation import tensor

            g = tensor(g, dtype=out.dtype, device=out.device)
        if g.shape != out.shape:
            raise ShapeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape of {out.shape}."
            )
        result.append(g)
    return result


def _topological(roots: list[Node]) -> list[Node]:
    """Nodes reachable from the roots, each before every node it feeds (iterative DFS)."""
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack: list[tuple[Node, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            edges = node.edges
            while i < len(edges):
                e = edges[i]
                i += 1
                if type(e) is Node and id(e) not in seen:
                    seen.add(id(e))
                    stack.append((node, i))
                    stack.append((e, 0))
                    break
            else:
                order.append(node)
    order.reverse()
    return order


def _sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum a broadcast gradient back to an input's shape (the one place this happens)."""
    from ..ops._helpers import sum_to

    return sum_to(g, shape)


def run(
    outputs: list[Tensor],
    grads: list[Tensor],
    retain_graph: bool,
    create_graph: bool,
    targets: list[Tensor] | None,
) -> dict[int, tuple[Tensor, Tensor]]:
    """Propagate ``grads`` from ``outputs``; return the gradient reaching each leaf/target by id.

    ``targets`` limits the work to what reaches those tensors (``inputs=`` / ``autograd.grad``).
    """
    from ..tensor import Tensor

    pending: dict[int, Tensor] = {}  # node id -> summed gradient of its output
    reached: dict[int, tuple[Tensor, Tensor]] = {}  # leaf / target tensor id -> (tensor, gradient)
    roots: list[Node] = []
    for out, g in zip(outputs, grads):
        node = out.grad_fn
        if node is None:
            _reach(reached, out, g)
        else:
            roots.append(node)
            _add(pending, id(node), g)
    order = _topological(roots)
    target_nodes: dict[int, Tensor] = {}
    useful: set[int] | None = None
    if targets is not None:
        target_ids = {id(t) for t in targets}
        for t in targets:
            if t.grad_fn is not None:
                target_nodes[id(t.grad_fn)] = t
        useful = set()
        for node in reversed(order):  # consumers after producers: inputs first
            if id(node) in target_nodes or any(
                (type(e) is Node and id(e) in useful) or (e is not None and type(e) is not Node and id(e) in target_ids)
                for e in node.edges
            ):
                useful.add(id(node))
    prev_mode = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    try:
        for node in order:
            g = pending.pop(id(node), None)
            if g is None or (useful is not None and id(node) not in useful):
                continue
            if node.retained and targets is None:
                for ref in node.retained:
                    t = ref()
                    if t is not None:
                        _accumulate_into(t, g, create_graph)
            if id(node) in target_nodes:
                _reach(reached, target_nodes[id(node)], g)
            saved = node.saved  # raises PyTorch's error when freed
            out = node.output()
            rules = node.op.vjp
            assert rules is not None
            if node.op.list_input:
                results = rules[0](g, out, *saved, **node.params)
            else:
                results = tuple(
                    None if e is None or rule is None else rule(g, out, *saved, **node.params)
                    for e, rule in zip(node.edges, rules)
                )
            for e, gi, meta in zip(node.edges, results, node.in_meta):
                if e is None or gi is None:
                    continue
                if type(e) is Node:
                    if useful is not None and id(e) not in useful:
                        continue
                elif useful is not None and id(e) not in target_ids:
                    continue
                shape, dt = meta
                if gi.shape != shape:
                    gi = _sum_to(gi, shape)
                if gi.dtype is not dt:
                    gi = gi.to(dt)
                if type(e) is Node:
                    _add(pending, id(e), gi)
                else:
                    _reach(reached, e, gi)
    finally:
        STATE.grad_enabled = prev_mode
        if not retain_graph:
            for node in order:
                node.free()
    return reached


def _add(acc: dict[int, Tensor], key: int, g: Tensor) -> None:
    prev = acc.get(key)
    acc[key] = g if prev is None else prev + g


def _reach(acc: dict[int, tuple[Tensor, Tensor]], t: Tensor, g: Tensor) -> None:
    prev = acc.get(id(t))
    acc[id(t)] = (t, g if prev is None else prev[1] + g)


def _accumulate_into(t: Tensor, g: Tensor, create_graph: bool) -> None:
    if not create_graph:
        g = g.detach()
    if t._grad is None:
        t._grad = g if create_graph else _fresh(g)
    else:
        t._grad = t._grad + g if create_graph else (t._grad.detach() + g).detach()


def _fresh(g: Tensor) -> Tensor:
    # A gradient can be the very array another tensor holds (add passes g through);
    # .grad gets its own copy so that later in-place use cannot alias.
    from ..tensor import Tensor

    return Tensor._wrap(g._data.copy(), g._dtype, None)


def backward(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Any] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """``torch.autograd.backward``: accumulate gradients into leaves' (and retained) ``.grad``."""
    outputs = _as_list(tensors)
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise AutogradError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    grads = _root_grads(outputs, None if grad_tensors is None else _as_list(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    targets = _as_list(inputs) if inputs is not None else None
    if targets is not None:
        if not targets:
            raise AutogradError("'inputs' argument to backward() cannot be empty.")
        for t in targets:
            if not t.requires_grad:
                raise AutogradError("One of the differentiated Tensors does not require grad")
    reached = run(outputs, grads, retain_graph, create_graph, targets)
    for t, g in reached.values():
        _accumulate_into(t, g, create_graph)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """``torch.autograd.grad``: the gradients of ``outputs`` w.r.t. ``inputs``, without touching ``.grad``."""
    from ..creation import zeros_like

    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if not ins:
        raise AutogradError("grad requires non-empty inputs.")
    for i, out in enumerate(outs):
        if not out.requires_grad:
            raise AutogradError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    for t in ins:
        if not t.requires_grad:
            raise AutogradError("One of the differentiated Tensors does not require grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = _root_grads(outs, None if grad_outputs is None else _as_list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    reached = run(outs, grads, retain_graph, create_graph, ins)
    result: list[Tensor | None] = []
    for t in ins:
        hit = reached.get(id(t))
        if hit is None:
            if not allow_unused:
                raise AutogradError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            result.append(zeros_like(t) if materialize_grads else None)
        else:
            g = hit[1]
            result.append(g if create_graph else g.detach())
    return tuple(result)
