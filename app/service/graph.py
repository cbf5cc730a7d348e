"""The graph of an evaluation, as JSON (``"include": ["graph"]``) and as DOT or SVG (``POST /v1/graph``).

The forward graph comes from the plan: every leaf, every node of the request and every
anonymous op inside one (an ``expr`` or an inline ``{"op": ...}``), with shape, dtype,
``requires_grad``, ``is_leaf`` and ``grad_fn``. The backward graph is the autograd graph the
run recorded (``grad_fn`` → ``next_functions``), ending in the leaves' ``AccumulateGrad``.
Nodes carry the request's names where they have one.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from typing import Any

import engine
from engine.autograd.node import Node

from .errors import LimitExceeded, ServiceError, TimeLimit
from .execute import Result
from .plan import Alias, ConstTensor, GradCall, KeyArg, ListArg, Lit, OpCall, Plan, Ref

ACCUMULATE_GRAD = "torch::autograd::AccumulateGrad"
MAX_SVG_NODES = 1500  # Graphviz's layout grows faster than linearly: larger graphs as DOT or JSON
DOT_TIMEOUT_S = 20.0


class RendererUnavailable(ServiceError):  # noqa: N818 - named as the other service errors
    status, slug, title = 501, "renderer-unavailable", "Graph renderer not installed"


# -- shared walks over the autograd graph ----------------------------------------------------

def request_names(plan: Plan) -> list[str]:
    """Every name of the request, in the order the run makes them (leaves, then nodes)."""
    return [*plan.leaves, *(n.id for n in plan.nodes)]


def locs(plan: Plan) -> dict[str, list[Any]]:
    """Each name's place in the request."""
    out: dict[str, list[Any]] = {name: ["tensors", name] for name in plan.leaves}
    out.update({n.id: ["nodes", n.index] for n in plan.nodes})
    return out


def owners(plan: Plan, env: dict[str, engine.Tensor]) -> dict[Node, str]:
    """Each autograd node → the request name it was made for (the first name, in run order, that reaches it)."""
    own: dict[Node, str] = {}
    for name in request_names(plan):
        t = env.get(name)
        root = t.grad_fn if t is not None else None
        if root is None or root in own:
            continue
        stack = [root]
        while stack:
            node = stack.pop()
            if node in own:
                continue
            own[node] = name
            stack.extend(e for e in node.edges if type(e) is Node and e not in own)
    return own


def differentiable_edges(node: Node) -> Iterable[tuple[int, Any]]:
    """``(input position, node or leaf tensor)`` of the edges a gradient flows along (as ``next_functions``)."""
    rules = None if node.op.list_input else node.op.vjp
    for i, e in enumerate(node.edges):
        if e is None or (rules is not None and i < len(rules) and rules[i] is None):
            continue
        yield i, e


def _meta_fields(shape: Any, dtype: Any) -> dict[str, Any]:
    return {"shape": None if shape is None else [int(s) for s in shape],
            "dtype": None if dtype is None else dtype.name}


def _literal(v: Any) -> str:
    if isinstance(v, slice):
        text = f"{'' if v.start is None else v.start}:{'' if v.stop is None else v.stop}"
        return text if v.step is None else f"{text}:{v.step}"
    if v is Ellipsis:
        return "..."
    if isinstance(v, engine.dtypes.dtype):
        return f"torch.{v.name}"
    return repr(v)


# -- the forward graph ---------------------------------------------------------------------

class _Forward:
    def __init__(self, plan: Plan, env: dict[str, engine.Tensor]) -> None:
        self.plan = plan
        self.env = env
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.of_node: dict[Node, str] = {}  # autograd node → forward id

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.ids:
            k += 1
            name = f"{base}_{k}"
        self.ids.add(name)
        return name

    def build(self) -> dict[str, Any]:
        locations = locs(self.plan)
        for name in self.plan.leaves:
            t = self.env[name]
            self.ids.add(name)
            self.nodes.append({"id": name, "name": name, "kind": "leaf", "op": None, "grad_fn": None,
                               **_meta_fields(t.shape, t.dtype), "requires_grad": t.requires_grad,
                               "is_leaf": True, "loc": locations[name]})
        for pn in self.plan.nodes:
            t = self.env[pn.id]
            self.ids.add(pn.id)
            v = pn.value
            if isinstance(v, OpCall):
                doc = self.op(v, pn.id, pn.id, t, t.grad_fn)
            else:
                op = "grad" if isinstance(v, GradCall) else "alias"
                doc = {"id": pn.id, "name": pn.id, "kind": op, "op": op,
                       "grad_fn": t.grad_fn.name() if t.grad_fn is not None else None,
                       **_meta_fields(t.shape, t.dtype), "requires_grad": t.requires_grad, "is_leaf": t.is_leaf}
                if isinstance(v, GradCall):
                    for slot, a in (("outputs", v.output), ("inputs", v.input), ("grad_outputs", v.grad_outputs)):
                        if a is not None:
                            self.arg(a, pn.id, pn.id, slot, None)
                else:
                    self.arg(v.ref, pn.id, pn.id, 0, None)
                self.nodes.append(doc)
            doc["loc"] = locations[pn.id]
        return {"nodes": self.nodes, "edges": self.edges}

    def op(self, call: OpCall, fid: str, owner: str, t: engine.Tensor | None, gnode: Any) -> dict[str, Any]:
        """One op's node (after the nodes of its inline arguments: run order) and its in-edges."""
        op = call.op
        node = gnode if type(gnode) is Node and gnode.op is op else None
        if node is not None:
            self.of_node[node] = fid
        shape: Any
        if t is not None:
            shape, dtype, rg = t.shape, t.dtype, t.requires_grad
        elif node is not None:
            shape, dtype, rg = node.out_meta[0], node.out_meta[1], True
        elif call.meta is not None:
            shape, dtype, rg = call.meta.shape, call.meta.dtype, call.meta.requires_grad
        else:
            shape, dtype, rg = None, None, False
        doc: dict[str, Any] = {
            "id": fid, "name": fid if t is not None else None, "kind": "op", "op": op.name.lstrip("_"),
            "grad_fn": node.name() if node is not None else (t.grad_fn.name() if t is not None and t.grad_fn else None),
            **_meta_fields(shape, dtype), "requires_grad": bool(rg), "is_leaf": not rg,
        }
        literals: list[str] = []
        edges = node.edges if node is not None else ()
        position = 0
        for j, a in enumerate(call.args):
            slot: Any = op.params[j].name if j < len(op.params) else j  # (PyTorch's positions: see Op.order)
            if isinstance(a, ListArg) and op.list_input and j == 0:
                for k, item in enumerate(a.items):
                    self.arg(item, fid, owner, f"{slot}[{k}]", edges[k] if k < len(edges) else None, literals)
                position = len(a.items)
                continue
            idx = position if op.list_input else (op.inputs.index(slot) if slot in op.inputs else None)
            e = edges[idx] if idx is not None and idx < len(edges) else None
            if op.name == "index" and isinstance(a, Lit):  # x[0, 1:3] as written
                key = a.value if isinstance(a.value, tuple) else (a.value,)
                literals.append("[" + ", ".join(_literal(k) for k in key) + "]")
            else:
                self.arg(a, fid, owner, slot, e, literals)
            position += 1
        for kw, v in call.kwargs.items():
            idx = op.inputs.index(kw) if kw in op.inputs and not op.list_input else None
            e = edges[idx] if idx is not None and idx < len(edges) else None
            if isinstance(v, Lit):
                literals.append(f"{kw}={_literal(v.value)}")
            else:
                self.arg(v, fid, owner, kw, e, literals)
        if literals:
            doc["args"] = literals
        self.nodes.append(doc)
        return doc

    def arg(self, a: Any, consumer: str, owner: str, slot: Any, gnode: Any, literals: list[str] | None = None) -> None:
        if isinstance(a, Ref):
            self.edges.append({"from": a.name, "to": consumer, "arg": slot})
        elif isinstance(a, OpCall):
            cid = self.fresh(f"{owner}/{a.op.name.lstrip('_')}")
            self.op(a, cid, owner, None, gnode)
            self.edges.append({"from": cid, "to": consumer, "arg": slot})
        elif isinstance(a, ConstTensor):
            cid = self.fresh(f"{owner}/constant")
            arr = a.array
            self.nodes.append({"id": cid, "name": None, "kind": "constant", "op": "constant", "grad_fn": None,
                               "shape": list(arr.shape), "dtype": str(arr.dtype), "requires_grad": False,
                               "is_leaf": True})
            self.edges.append({"from": cid, "to": consumer, "arg": slot})
        elif isinstance(a, ListArg):
            for k, item in enumerate(a.items):
                self.arg(item, consumer, owner, f"{slot}[{k}]", None, literals)
        elif isinstance(a, KeyArg):
            parts = []
            for k, item in enumerate(a.items):
                if isinstance(item, Lit):
                    parts.append(_literal(item.value))
                else:
                    parts.append("•")
                    self.arg(item, consumer, owner, f"{slot}[{k}]", None, literals)
            if literals is not None:
                literals.append("[" + ", ".join(parts) + "]")
        elif isinstance(a, Lit):
            if literals is not None and a.value is not None:
                literals.append(f"{slot}={_literal(a.value)}" if isinstance(slot, str) else _literal(a.value))
        elif isinstance(a, Alias):
            self.arg(a.ref, consumer, owner, slot, gnode, literals)


# -- the backward graph --------------------------------------------------------------------

def _backward(plan: Plan, env: dict[str, engine.Tensor], of_node: dict[Node, str]) -> dict[str, Any]:
    leaf_names = {id(env[name]): name for name in plan.leaves}
    tensor_of: dict[Node, str] = {}  # node → the request name whose grad_fn it is
    for name in request_names(plan):
        t = env.get(name)
        if t is not None and t.grad_fn is not None:
            tensor_of.setdefault(t.grad_fn, name)
    own = owners(plan, env)
    roots: list[Any] = []
    for step in plan.backward:
        roots.append(env[step.output])
    for pn in plan.nodes:
        if isinstance(pn.value, GradCall):
            out = pn.value.output
            if isinstance(out, Ref):
                roots.append(env[out.name])
    if not roots:
        roots = [env[name] for name in plan.outputs]
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    ids: dict[Any, str] = {}
    seen_ids: set[str] = set()
    counter = 0

    def ident(x: Any) -> str:
        nonlocal counter
        key = x if type(x) is Node else id(x)
        hit = ids.get(key)
        if hit is not None:
            return hit
        if type(x) is Node:
            base = f"grad:{tensor_of.get(x) or of_node.get(x) or own.get(x, 'node')}"
        else:
            base = f"grad:{leaf_names.get(id(x), 'leaf')}.AccumulateGrad"
        name = base
        while name in seen_ids:
            counter += 1
            name = f"{base}#{counter}"
        seen_ids.add(name)
        ids[key] = name
        if type(x) is Node:
            shape, dtype = x.out_meta
            nodes.append({"id": name, "name": tensor_of.get(x), "kind": "backward", "op": x.op.name.lstrip("_"),
                          "grad_fn": x.name(), "forward": of_node.get(x) or tensor_of.get(x), "node": own.get(x),
                          **_meta_fields(shape, dtype), "requires_grad": True, "is_leaf": False})
        else:
            leaf = leaf_names.get(id(x))
            nodes.append({"id": name, "name": leaf, "kind": "accumulate", "op": None, "grad_fn": ACCUMULATE_GRAD,
                          "forward": leaf, "node": leaf, **_meta_fields(x.shape, x.dtype),
                          "requires_grad": True, "is_leaf": True})
        return name

    stack: list[Any] = []
    for t in roots:
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            ident(t)
    done: set[Node] = set()
    while stack:
        node = stack.pop()
        if node in done:
            continue
        done.add(node)
        src = ident(node)
        for i, e in differentiable_edges(node):
            edges.append({"from": src, "to": ident(e), "input": i})
            if type(e) is Node and e not in done:
                stack.append(e)
    return {"nodes": nodes, "edges": edges}


def build(plan: Plan, result: Result) -> dict[str, Any]:
    """The ``graph`` of a response: ``{"forward": {nodes, edges}, "backward": {nodes, edges}}``."""
    env = result.tensors
    forward = _Forward(plan, env)
    fwd = forward.build()
    return {"forward": fwd, "backward": _backward(plan, env, forward.of_node)}


# -- DOT and SVG -----------------------------------------------------------------------------

def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _label(*lines: str | None) -> str:
    return '"' + "\\n".join(_q(x)[1:-1] for x in lines if x) + '"'


def _shape_text(n: dict[str, Any]) -> str | None:
    if n.get("shape") is None:
        return n.get("dtype")
    return f"{n['shape']} {n.get('dtype') or ''}".strip()


def to_dot(graph: dict[str, Any], title: str = "gradient-service") -> str:
    """Graphviz DOT of a ``graph`` document: the forward graph and, beside it, the backward graph."""
    out = [
        f"digraph {_q(title)} {{",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.35, newrank=true];',
        '  node [fontname="Helvetica", fontsize=10, penwidth=1.2];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
        '  subgraph cluster_forward {',
        '    label="forward"; style="rounded"; color="#888888";',
    ]
    fwd = graph.get("forward", {"nodes": [], "edges": []})
    for n in fwd["nodes"]:
        kind = n.get("kind")
        rg = n.get("requires_grad")
        if kind == "leaf":
            attrs = (f'shape=ellipse, style="filled", fillcolor="{"#cfe8ff" if rg else "#f2f2f2"}", '
                     f"label={_label(n['id'], _shape_text(n), 'requires_grad' if rg else None)}")
        elif kind == "constant":
            attrs = f'shape=note, style="filled", fillcolor="#f7f7f7", label={_label("constant", _shape_text(n))}'
        else:
            named = n.get("name") is not None
            head = f"{n['id']} = {n['op']}" if named else n["op"]
            args = ", ".join(n.get("args", []))
            fill = "#fff1c1" if named else "#ffffff"
            attrs = (f'shape=box, style="rounded,filled{",bold" if named else ""}", fillcolor="{fill}", '
                     f"label={_label(head, args or None, _shape_text(n), n.get('grad_fn'))}")
        out.append(f"    {_q('f:' + n['id'])} [{attrs}];")
    for e in fwd["edges"]:
        label = e.get("arg")
        lab = f", label={_q(str(label))}" if isinstance(label, str) and label not in ("input", "self") else ""
        out.append(f"    {_q('f:' + e['from'])} -> {_q('f:' + e['to'])} [color=\"#555555\"{lab}];")
    out.append("  }")
    bwd = graph.get("backward", {"nodes": [], "edges": []})
    if bwd["nodes"]:
        out += ["  subgraph cluster_backward {", '    label="backward (grad_fn)"; style="rounded"; color="#c0392b";']
        for n in bwd["nodes"]:
            if n.get("kind") == "accumulate":
                label = _label("AccumulateGrad", f"{n.get('name')}.grad" if n.get("name") else None, _shape_text(n))
                attrs = f'shape=box, style="filled", fillcolor="#cfe8ff", label={label}'
            else:
                where = n.get("name") or n.get("forward") or n.get("node")
                attrs = (f'shape=box, style="filled", fillcolor="#fde2e2", '
                         f"label={_label(n['grad_fn'], f'({where})' if where else None, _shape_text(n))}")
            out.append(f"    {_q(n['id'])} [{attrs}];")
        for e in bwd["edges"]:
            out.append(f"    {_q(e['from'])} -> {_q(e['to'])} [color=\"#c0392b\", style=dashed];")
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def dot_binary() -> str | None:
    """Graphviz's ``dot`` (Debian: ``apt-get install graphviz``), or None where it is not installed."""
    return shutil.which("dot")


def to_svg(dot: str, node_count: int) -> bytes:
    """Render DOT to SVG with Graphviz's ``dot``; 501 where it is missing, 413 for a graph too large to lay out."""
    binary = dot_binary()
    if binary is None:
        raise RendererUnavailable(
            "SVG needs Graphviz's 'dot' program, which is not installed on this server "
            "(Debian: apt-get install graphviz); format=dot and format=json work without it",
            ("query", "format"),
        )
    if node_count > MAX_SVG_NODES:
        raise LimitExceeded(
            f"the graph has {node_count} nodes; SVG is drawn for at most {MAX_SVG_NODES} (use format=dot or json)",
            ("query", "format"),
        )
    try:
        done = subprocess.run([binary, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=DOT_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        raise TimeLimit("drawing the graph ran past its time limit (use format=dot or json)") from None
    if done.returncode != 0:
        raise RuntimeError(f"dot failed with status {done.returncode}")
    return done.stdout
