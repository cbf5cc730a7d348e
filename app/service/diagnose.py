"""Why a gradient is what it is: where a NaN or infinity first appeared, and why a ``grad`` is null.

``non_finite`` costs one ``isfinite`` per reported tensor and gradient when everything is
finite. Otherwise it traces the values back to the first op that made a non-finite value
out of finite inputs: in the forward pass by re-running the offending node's ops (its
inline ones too) one at a time; in the backward pass by re-running the whole graph on the
same leaves and walking it as the engine's backward does, without writing any ``.grad``
or freeing anything, checking every gradient an op's derivative returns. It recognises the
``where`` trap: the branch ``where`` did not select gets a zero gradient, which the
branch's own derivative turns into NaN where it is infinite (0 × inf).

``grad_reasons`` says, for each reported tensor whose ``grad`` is null, why.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

import engine
from engine.autograd.engine import _topological
from engine.autograd.grad_mode import STATE
from engine.autograd.node import Node
from engine.backend import module_of, to_numpy
from engine.ops._helpers import sum_to
from engine.ops.registry import DeadlineExceeded, call
from engine.tensor import wrap

from .encode import all_finite
from .execute import Result, _Runner
from .graph import differentiable_edges, locs, owners
from .plan import Alias, ConstTensor, GradCall, KeyArg, ListArg, Lit, OpCall, Plan, Ref
from .tensors import make_factory

# -- grad_reason ------------------------------------------------------------------------------

NO_GRAD = "does not require grad"
DETACHED = "detached"
NOT_LEAF = "not a leaf and no retain_grad"
NO_BACKWARD = "no backward step ran"
UNREACHABLE = "not reachable from the backward output"
NOT_IN_INPUTS = "not in the backward step's inputs"
GRAD_REASONS = (NO_GRAD, DETACHED, NOT_LEAF, NO_BACKWARD, UNREACHABLE, NOT_IN_INPUTS)


def grad_reasons(plan: Plan, result: Result, tensors: dict[str, dict[str, Any]]) -> None:
    """Add ``grad_reason`` to each tensor document of ``tensors`` whose ``grad`` is null (in place)."""
    env = result.tensors
    missing = [name for name, doc in tensors.items() if doc.get("grad") is None]
    if not missing:
        return
    detached: set[str] | None = None
    reach: tuple[set[int], set[int]] | None = None
    for name in missing:
        t = env[name]
        if not t.requires_grad:
            if detached is None:
                detached = _detached(plan)
            reason = DETACHED if name in detached else NO_GRAD
        elif not t.is_leaf and not t.retains_grad:
            reason = NOT_LEAF
        elif not plan.backward:
            reason = NO_BACKWARD
        else:
            if reach is None:
                reach = _reached(plan, env)
            key = id(t.grad_fn) if t.grad_fn is not None else id(t)
            reason = NOT_IN_INPUTS if key in reach[1] and key not in reach[0] else UNREACHABLE
        tensors[name]["grad_reason"] = reason


def _detached(plan: Plan) -> set[str]:
    """Names whose value is cut from the graph by a ``detach`` of something that required grad."""
    out: set[str] = set()

    def cut(a: Any) -> bool:
        if isinstance(a, Ref):
            return a.name in out
        if isinstance(a, Alias):
            return cut(a.ref)
        if isinstance(a, (ListArg, KeyArg)):
            return any(cut(x) for x in a.items)
        if isinstance(a, OpCall):
            if a.op.name == "detach" and a.args and _requires_grad(plan, a.args[0]):
                return True
            return any(cut(x) for x in a.args) or any(cut(x) for x in a.kwargs.values())
        return False

    for pn in plan.nodes:
        if not isinstance(pn.value, GradCall) and cut(pn.value):
            out.add(pn.id)
    return out


def _requires_grad(plan: Plan, a: Any) -> bool:
    meta = plan.metas.get(a.name) if isinstance(a, Ref) else getattr(a, "meta", None)
    return bool(getattr(meta, "requires_grad", False))


def _reached(plan: Plan, env: dict[str, engine.Tensor]) -> tuple[set[int], set[int]]:
    """Ids of the nodes and leaves each backward step reaches: (those it accumulates into, all of them)."""
    accumulated: set[int] = set()
    reached: set[int] = set()
    for step in plan.backward:
        out = env[step.output]
        found: set[int] = {id(out.grad_fn) if out.grad_fn is not None else id(out)}
        stack = [out.grad_fn] if out.grad_fn is not None else []
        seen: set[Node] = set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for _, e in differentiable_edges(node):
                found.add(id(e))
                if type(e) is Node:
                    stack.append(e)
        reached |= found
        if step.inputs is None:
            accumulated |= found
        else:
            for name in step.inputs:
                t = env[name]
                key = id(t.grad_fn) if t.grad_fn is not None else id(t)
                if key in found:
                    accumulated.add(key)
    return accumulated, reached


# -- non-finite tracing -------------------------------------------------------------------------

WHERE_TRAP = (
    "the where trap: where() sends a zero gradient into the branch it did not select, but {op}'s derivative "
    "is infinite or undefined at the inputs that branch saw there, and 0 × inf = NaN"
)
WHERE_FIX = (
    'apply the where to the input first ("double where"), so that the unselected branch only ever sees a safe '
    "value: where(cond, {op}(where(cond, {arg}, 1.0)), other) instead of where(cond, {op}({arg}), other)"
)


class _Found(Exception):  # noqa: N818 - control flow: the origin, found
    def __init__(self, origin: dict[str, Any]) -> None:
        self.origin = origin


def _floating(t: Any) -> bool:
    return isinstance(t, engine.Tensor) and t.dtype.is_floating_point


def _finite(t: engine.Tensor) -> bool:
    data = t._data  # checked where it lives (a GPU array on the GPU)
    if type(data) is np.ndarray:
        return all_finite(data)
    return bool(module_of(data).isfinite(data).all())


def _bad(t: Any) -> bool:
    return _floating(t) and not _finite(t)


def _num(x: Any) -> Any:
    if isinstance(x, (int, np.integer)):
        return int(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return float(x)


def summary(t: Any, name: str | None = None, arg: Any = None) -> dict[str, Any]:
    """min, max (of the non-NaN elements), has_nan, has_inf of a tensor; a number as its value."""
    doc: dict[str, Any] = {}
    if arg is not None:
        doc["arg"] = arg
    if name is not None:
        doc["name"] = name
    if not isinstance(t, engine.Tensor):
        if hasattr(t, "shape") and hasattr(t, "dtype"):  # what an op kept of an input it did not save
            doc.update(shape=[int(s) for s in t.shape], dtype=t.dtype.name)
        else:
            doc["value"] = _num(t) if isinstance(t, float) else t if isinstance(t, (int, bool)) else repr(t)
        return doc
    a = to_numpy(t._data)
    doc.update(shape=list(a.shape), dtype=t.dtype.name)
    if a.size and a.dtype.kind in "fiub":
        af = a.astype(np.float64) if a.dtype.kind == "b" else a
        nan = np.isnan(af) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
        rest = af[~nan]
        doc.update(min=_num(rest.min()) if rest.size else None, max=_num(rest.max()) if rest.size else None,
                   has_nan=bool(nan.any()), has_inf=bool(np.isinf(af).any()) if a.dtype.kind == "f" else False)
    return doc


def _bad_values(t: engine.Tensor) -> dict[str, Any]:
    a = to_numpy(t._data)
    return {"has_nan": bool(np.isnan(a).any()), "has_inf": bool(np.isinf(a).any()),
            "count": int((~np.isfinite(a)).sum()), "shape": list(a.shape)}


def non_finite(plan: Plan, result: Result, run_seconds: float = 0.0, token: Any = None) -> dict[str, Any] | None:
    """The ``diagnostics`` of a response, or None when every reported value and gradient is finite.

    The trace runs within a few times the evaluation's own time (``run_seconds``), and within the
    request's deadline ``token`` where there is one.
    """
    env = result.tensors
    found: dict[str, list[str]] = {}
    for name in plan.outputs:
        t = env[name]
        parts = []
        if _bad(t):
            parts.append("data")
        if t._grad is not None and _bad(t._grad):
            parts.append("grad")
        if parts:
            found[name] = parts
    if not found:
        return None
    diagnostics: dict[str, Any] = {"non_finite": found}
    budget = min(30.0, max(1.0, 4 * run_seconds))
    prev_mode, prev_deadline = STATE.grad_enabled, STATE.deadline
    STATE.deadline = _Deadline(time.monotonic() + budget, token)  # type: ignore[assignment]
    origins: list[dict[str, Any]] = []
    try:
        STATE.grad_enabled = False
        fwd = _trace_forward(plan, env)
        if fwd is not None and fwd["pass"] == "forward":
            origins.append(fwd)
        if any("grad" in parts for parts in found.values()) or fwd is not None and fwd["pass"] == "backward":
            bwd = _trace_backward(plan, env)
            if bwd is not None:
                origins.append(bwd)
            elif fwd is not None and fwd["pass"] == "backward":  # a grad node, not followed inside
                origins.append(fwd)
    except DeadlineExceeded:
        diagnostics["note"] = f"the trace stopped after {budget:g} s, its time budget"
    except Exception:  # noqa: BLE001 - a diagnosis must never fail the evaluation it explains
        diagnostics["note"] = "the trace could not follow this graph"
    finally:
        STATE.grad_enabled, STATE.deadline = prev_mode, prev_deadline
    diagnostics["origins"] = origins  # the first in each pass that has one
    if origins:
        diagnostics["message"] = " ".join(o["message"] for o in origins)
    return diagnostics


class _Deadline:
    """Stands where the engine expects a float deadline (``now > deadline``): the earlier of two."""

    def __init__(self, when: float, token: Any) -> None:
        self.when = when
        self.token = token

    def __lt__(self, now: float) -> bool:
        return self.when < now or (self.token is not None and self.token < now)


# -- forward --------------------------------------------------------------------------------

def _trace_forward(plan: Plan, env: dict[str, engine.Tensor]) -> dict[str, Any] | None:
    """The first op (in run order) that made a non-finite value out of finite inputs."""
    for name in plan.leaves:
        t = env[name]
        if _bad(t):
            return {"pass": "forward", "node": name, "op": None, "grad_fn": None, "loc": ["tensors", name],
                    "inputs": [], "output": _bad_values(t),
                    "message": f"The tensor '{name}' holds non-finite values as given in the request."}
    for pn in plan.nodes:
        value = env.get(pn.id)
        if value is None or not _bad(value):
            continue
        t = value
        v = pn.value
        loc = ["nodes", pn.index]
        if isinstance(v, GradCall):
            ins = [summary(env[a.name], a.name, slot) for slot, a in (("outputs", v.output), ("inputs", v.input))
                   if isinstance(a, Ref)]
            return {"pass": "backward", "node": pn.id, "op": "grad", "grad_fn": None, "loc": loc, "inputs": ins,
                    "output": _bad_values(t),
                    "message": f"The gradient that node '{pn.id}' (grad) computed is not finite."}
        if isinstance(v, OpCall):
            try:
                _Replay(env, pn.id, loc, plan.device).evaluate_arg(v)
            except _Found as hit:
                return hit.origin
    return None


class _Replay:
    """Re-run one node's ops (inline ones too) under no_grad, up to the first non-finite result of finite inputs."""

    def __init__(self, env: dict[str, engine.Tensor], node: str, loc: list[Any], device: str) -> None:
        self.env = env
        self.device = device
        self.node = node
        self.loc = loc

    def evaluate_arg(self, a: Any) -> Any:
        if isinstance(a, Ref):
            return self.env[a.name]
        if isinstance(a, Lit):
            return a.value
        if isinstance(a, ConstTensor):
            return engine.tensor(a.array, device=self.device)
        if isinstance(a, ListArg):
            return [self.evaluate_arg(x) for x in a.items]
        if isinstance(a, KeyArg):
            items = tuple(self.evaluate_arg(x) for x in a.items)
            return items[0] if a.single else items
        if isinstance(a, Alias):
            return self.env[a.ref.name]
        if isinstance(a, OpCall):
            args = [self.evaluate_arg(x) for x in a.args]
            kwargs = {k: self.evaluate_arg(v) for k, v in a.kwargs.items()}
            out = call(a.op, args, kwargs)
            if _bad(out):
                ins = self._inputs(a, args, kwargs)
                if not any(i.get("has_nan") or i.get("has_inf") for i in ins):
                    raise _Found(self._origin(a, ins, out, _grad_fn_name(a, args, kwargs)))
            return out
        raise AssertionError(f"unknown plan arg {type(a).__name__}")

    def _inputs(self, call_: OpCall, args: list[Any], kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        op = call_.op
        out = []
        for j, (a, v) in enumerate(zip(call_.args, args, strict=True)):
            slot = op.params[j].name if j < len(op.params) else j
            out.extend(_arg_summaries(a, v, slot))
        for k, v in kwargs.items():
            out.extend(_arg_summaries(call_.kwargs[k], v, k))
        return out

    def _origin(self, call_: OpCall, ins: list[dict[str, Any]], out: engine.Tensor, grad_fn: str | None,
                ) -> dict[str, Any]:
        op = call_.op.name.lstrip("_")
        bad = _bad_values(out)
        what = "NaN" if bad["has_nan"] else "infinity"
        return {"pass": "forward", "node": self.node, "op": op, "grad_fn": grad_fn,
                "loc": self.loc, "inputs": ins, "output": bad,
                "message": f"{op} in node '{self.node}' made {what} out of finite inputs in the forward pass."}


def _grad_fn_name(call_: OpCall, args: list[Any], kwargs: dict[str, Any]) -> str | None:
    """The ``grad_fn`` name the op gives its output (some ops choose it by their arguments)."""
    name = call_.op.grad_fn
    if isinstance(name, str):
        return name
    try:
        ins, params = call_.op.bind(args, kwargs)
        return str(name(*ins, **params))
    except Exception:  # noqa: BLE001 - a name only
        return None


def _arg_summaries(plan_arg: Any, value: Any, slot: Any) -> list[dict[str, Any]]:
    name = plan_arg.name if isinstance(plan_arg, Ref) else None
    if isinstance(value, (list, tuple)) and any(isinstance(x, engine.Tensor) for x in value):
        items = plan_arg.items if isinstance(plan_arg, (ListArg, KeyArg)) else [None] * len(value)
        return [s for k, (p, x) in enumerate(zip(items, value, strict=False))
                for s in _arg_summaries(p, x, f"{slot}[{k}]") if isinstance(x, engine.Tensor)]
    if value is None:
        return []
    return [summary(value, name, slot)]


# -- backward --------------------------------------------------------------------------------

def _trace_backward(plan: Plan, env0: dict[str, engine.Tensor]) -> dict[str, Any] | None:
    """Re-run the graph on the same leaves (grad nodes keeping theirs) and walk each backward pass."""
    nodes = [replace(pn, value=replace(pn.value, retain_graph=True)) if isinstance(pn.value, GradCall) else pn
             for pn in plan.nodes]
    runner = _Runner(replace(plan, nodes=nodes))
    for name in plan.leaves:
        t0 = env0[name]
        t = wrap(t0._data.copy(), t0.dtype, None)
        if t0.requires_grad:
            t.requires_grad_()
        runner.env[name] = t
    STATE.grad_enabled = True
    try:
        runner.nodes()
    finally:
        STATE.grad_enabled = False
    env = runner.env
    own = owners(plan, env)
    where = locs(plan)
    names = {id(env[n]): n for n in plan.leaves}
    tensor_of: dict[Node, str] = {}
    for n in reversed(list(env)):  # the first name a node was reported under wins
        fn = env[n].grad_fn if isinstance(env[n], engine.Tensor) else None
        if fn is not None:
            tensor_of[fn] = n
    for pn in plan.nodes:  # grad nodes run during the forward pass, before any backward step
        v = pn.value
        if isinstance(v, GradCall) and _bad(env0[pn.id]) and isinstance(v.output, Ref):
            out = env[v.output.name]
            seed = runner.value(v.grad_outputs) if v.grad_outputs is not None else None
            if seed is not None and not isinstance(seed, engine.Tensor):
                seed = engine.tensor(seed, dtype=out.dtype, device=plan.device)
            hit = _walk(out, seed, own, where, names, f"node '{pn.id}' (grad)", tensor_of)
            if hit is not None:
                return hit
    for step in plan.backward:
        out = env[step.output]
        if step.gradient is None:
            seed = None
        elif step.gradient_array is not None:
            seed = engine.tensor(step.gradient_array, dtype=engine.dtypes.BY_NAME[step.gradient_dtype],
                                 device=plan.device)
        else:
            seed = make_factory(step.gradient, step.gradient_dtype, plan.device)
        hit = _walk(out, seed, own, where, names, f"backward[{step.index}]", tensor_of)
        if hit is not None:
            hit["step"] = step.index
            return hit
    return None


def _walk(out: engine.Tensor, seed: engine.Tensor | None, own: dict[Node, str], where: dict[str, list[Any]],
          leaf_names: dict[int, str], label: str, tensor_of: dict[Node, str]) -> dict[str, Any] | None:
    """One backward pass from ``out``, as the engine runs it, stopping at the first non-finite gradient."""
    if seed is None:
        seed = engine.ones_like(out)
    elif seed.dtype is not out.dtype:  # as backward casts a given gradient to its output's dtype
        seed = seed.to(out.dtype)
    if _bad(seed):
        return {"pass": "backward", "node": None, "op": None, "grad_fn": None, "loc": None, "inputs": [],
                "output": _bad_values(seed), "message": f"The gradient given to {label} is not finite."}
    root = out.grad_fn
    if root is None:
        return None
    pending: dict[Node, Any] = {root: seed}
    consumers: dict[Node, list[Node]] = {}
    for node in _topological([root]):
        g = pending.pop(node, None)
        if g is None:
            continue
        if _bad(g):  # finite contributions that overflowed when summed
            return _origin(node, None, g, None, own, where, leaf_names, consumers, label, tensor_of)
        saved = node._saved
        if saved is None:
            return None
        o = node._out
        value = None if o is None else wrap(o, node.out_meta[1], node)
        op = node.op
        rules = op.vjp
        params = node.params
        if op.list_input:
            results = rules[0](g, value, *saved, **params)  # type: ignore[index,misc]
        else:
            results = [None if e is None or rule is None else rule(g, value, *saved, **params)
                       for e, rule in zip(node.edges, rules, strict=True)]  # type: ignore[arg-type,misc]
        for i, (e, gi) in enumerate(zip(node.edges, results, strict=False)):
            if e is None or gi is None:
                continue
            if _bad(gi):
                return _origin(node, i, g, gi, own, where, leaf_names, consumers, label, tensor_of)
            if type(e) is Node:
                shape, dt = e.out_meta
                if gi._data.shape != shape:
                    gi = sum_to(gi, shape)
                if gi.dtype is not dt:
                    gi = gi.to(dt)
                prev = pending.get(e)
                pending[e] = gi if prev is None else prev + gi
                consumers.setdefault(e, []).append(node)
    return None


def _origin(node: Node, i: int | None, g: engine.Tensor, gi: engine.Tensor | None, own: dict[Node, str],
            where: dict[str, list[Any]], leaf_names: dict[int, str], consumers: dict[Node, list[Node]],
            label: str, tensor_of: dict[Node, str]) -> dict[str, Any]:
    op = node.op
    owner = own.get(node)
    saved = node._saved or ()
    flat = (*saved[0], *saved[1:]) if op.list_input and saved else saved
    ins = []
    for j, s in enumerate(flat):
        if j >= len(node.edges):
            break
        e = node.edges[j]
        name = None
        if e is not None and type(e) is not Node:
            name = leaf_names.get(id(e))
            s = e  # a leaf: its values, whether or not the op saved them
        elif type(e) is Node:
            name = tensor_of.get(e)
            if not isinstance(s, engine.Tensor) and e._out is not None:
                s = wrap(e._out, e.out_meta[1], None)
        slot = op.inputs[j] if j < len(op.inputs) and not op.list_input else j
        ins.append(summary(s, name, slot))
    opname = op.name.lstrip("_")
    doc: dict[str, Any] = {
        "pass": "backward", "node": owner, "op": opname, "grad_fn": node.name(),
        "loc": where.get(owner) if owner else None, "inputs": ins, "grad_output": summary(g),
    }
    if node._out is not None:
        doc["forward_output"] = summary(wrap(node._out, node.out_meta[1], None))
    if gi is None:
        doc["output"] = _bad_values(g)
        doc["message"] = (f"In {label}, the gradients summed into {node.name()} ({opname} in node '{owner}') "
                          "overflowed to a non-finite value.")
        return doc
    bad = _bad_values(gi)
    doc["output"] = {"input": op.inputs[i] if i is not None and i < len(op.inputs) else i, **bad}
    what = "a NaN" if bad["has_nan"] else "an infinite"
    doc["message"] = (f"In {label}, {node.name()} ({opname} in node '{owner}') turned a finite gradient into "
                      f"{what} gradient for its input.")
    trap = _where_trap(node, i, g, gi, consumers, own)
    if trap is not None:
        arg = None
        e = node.edges[i] if i is not None else None
        if e is not None:
            arg = leaf_names.get(id(e)) if type(e) is not Node else own.get(e)
        doc["where_trap"] = {
            "where": trap,
            "explanation": WHERE_TRAP.format(op=opname),
            "fix": WHERE_FIX.format(op=opname, arg=arg or "x"),
        }
        doc["message"] += f" This is the where trap: {WHERE_FIX.format(op=opname, arg=arg or 'x')}."
    return doc


def _where_trap(node: Node, i: int | None, g: engine.Tensor, gi: engine.Tensor, consumers: dict[Node, list[Node]],
                own: dict[Node, str]) -> str | None:
    """The request name of the ``where`` whose unselected branch ``node`` is, when its NaNs are 0 × inf."""
    gn, gin = to_numpy(g._data), to_numpy(gi._data)
    if gn.shape != gin.shape:
        try:
            gn = np.broadcast_to(gn, gin.shape)
        except ValueError:
            return None
    bad = ~np.isfinite(gin)
    if not bad.any() or not (gn[bad] == 0).all():
        return None
    stack, seen = [(node, 0)], {node}
    while stack:
        n, depth = stack.pop()
        for c in consumers.get(n, ()):
            if c.op.name == "where":
                return own.get(c) or "where"
            if c not in seen and depth < 32:
                seen.add(c)
                stack.append((c, depth + 1))
    return None
