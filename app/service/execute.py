"""Run a plan on the engine: leaves, nodes in order, backward steps; nothing global changes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import engine
from engine.autograd.grad_mode import STATE
from engine.ops.registry import call

from .errors import Loc, ServiceError
from .mapping import engine_error
from .plan import Alias, BackwardPlan, ConstTensor, GradCall, KeyArg, ListArg, Lit, OpCall, Plan, Ref
from .tensors import make_factory


class CancelToken:
    """A deadline for one run that another thread can also cut short (client gone).

    The engine checks ``time.monotonic() > STATE.deadline`` between ops; a float's ``>``
    defers to this object's ``__lt__``, so the token stands where a float deadline would.
    """

    def __init__(self, seconds: float) -> None:
        self.when = time.monotonic() + seconds
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, now: float) -> bool:
        return self.cancelled or self.when < now

    def expired(self) -> bool:
        return self < time.monotonic()


@dataclass
class Result:
    """The tensors of a finished run, and how long each pass took."""

    tensors: dict[str, engine.Tensor]
    forward_ms: float
    backward_ms: float


class _Runner:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.env: dict[str, engine.Tensor] = {}
        self.device = plan.device

    def value(self, arg: Any) -> Any:
        if isinstance(arg, Ref):
            return self.env[arg.name]
        if isinstance(arg, Lit):
            return arg.value
        if isinstance(arg, OpCall):
            return call(arg.op, [self.value(a) for a in arg.args], {k: self.value(v) for k, v in arg.kwargs.items()},
                        arg.method)
        if isinstance(arg, ConstTensor):
            return engine.tensor(arg.array, device=self.device)
        if isinstance(arg, ListArg):
            return [self.value(a) for a in arg.items]
        if isinstance(arg, KeyArg):
            items = tuple(self.value(a) for a in arg.items)
            return items[0] if arg.single else items
        if isinstance(arg, GradCall):
            return self.grad(arg)
        if isinstance(arg, Alias):
            return self.env[arg.ref.name]
        raise AssertionError(f"unknown plan arg {type(arg).__name__}")

    def grad(self, g: GradCall) -> engine.Tensor:
        out = self.value(g.output)
        inp = self.value(g.input)
        go = None if g.grad_outputs is None else self.value(g.grad_outputs)
        if go is not None and not isinstance(go, engine.Tensor):
            go = engine.tensor(go, dtype=out.dtype, device=self.device)
        (result,) = engine.autograd.grad(
            out, inp, grad_outputs=go, create_graph=g.create_graph, retain_graph=g.retain_graph,
            allow_unused=g.allow_unused, materialize_grads=g.allow_unused,
        )
        assert result is not None
        return result

    def leaves(self) -> None:
        for name, leaf in self.plan.leaves.items():
            spec = leaf.spec
            if leaf.array is None:
                t = make_factory(spec, spec.dtype, self.device)
            else:
                t = engine.tensor(leaf.array, dtype=leaf.meta.dtype, device=self.device)
            if spec.requires_grad:
                t.requires_grad_()
            self.env[name] = t

    def nodes(self) -> None:
        for node in self.plan.nodes:
            loc: Loc = ("nodes", node.index)
            try:
                t = self.value(node.value)
                if not isinstance(t, engine.Tensor):
                    raise engine.ArgumentError("the node did not produce a tensor")
                if node.retain_grad:
                    t.retain_grad()
            except ServiceError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure becomes a located 422/503
                label = f"node '{node.id}'" + (f" ({node.value.op.name})" if isinstance(node.value, OpCall) else "")
                raise engine_error(exc, loc, label) from None
            self.env[node.id] = t

    def backward(self, step: BackwardPlan) -> None:
        loc: Loc = ("backward", step.index)
        out = None
        try:
            out = self.env[step.output]
            gradient = None
            if step.gradient is not None:
                if step.gradient_array is not None:
                    gradient = engine.tensor(step.gradient_array, dtype=engine.dtypes.BY_NAME[step.gradient_dtype],
                                             device=self.device)
                else:
                    gradient = make_factory(step.gradient, step.gradient_dtype, self.device)
            inputs = None if step.inputs is None else [self.env[n] for n in step.inputs]
            out.backward(gradient, retain_graph=step.retain_graph, create_graph=step.create_graph, inputs=inputs)
        except ServiceError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise engine_error(exc, loc, f"backward of '{step.output}'", subject=out) from None


def run_plan(plan: Plan, token: CancelToken | None = None) -> Result:
    """Execute a plan in this thread, with grad mode and deadline set for it alone."""
    runner = _Runner(plan)
    prev_mode, prev_deadline = STATE.grad_enabled, STATE.deadline
    STATE.grad_enabled, STATE.deadline = True, token  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        runner.leaves()
        runner.nodes()
        t1 = time.perf_counter()
        for step in plan.backward:
            runner.backward(step)
        t2 = time.perf_counter()
    finally:
        STATE.grad_enabled, STATE.deadline = prev_mode, prev_deadline
    return Result(runner.env, (t1 - t0) * 1e3, (t2 - t1) * 1e3)


# -- a plan as a function of its leaves (functional transforms, gradient checks) -------------

def make_leaves(plan: Plan) -> dict[str, engine.Tensor]:
    """The plan's leaf tensors, made once (a factory without a seed draws new numbers each time)."""
    runner = _Runner(plan)
    runner.leaves()
    return runner.env


def run_nodes(plan: Plan, env: dict[str, engine.Tensor], upto: int | None = None) -> dict[str, engine.Tensor]:
    """Run the plan's nodes (the first ``upto`` of them) over the tensors in ``env``; no backward steps.

    ``env`` maps leaf names to tensors (any of them may be swapped for others of the same shape);
    it is not changed. Grad mode and deadline are the caller's (see :func:`engine_mode`).
    """
    runner = _Runner(plan if upto is None else replace(plan, nodes=plan.nodes[:upto]))
    runner.env.update(env)
    runner.nodes()
    return runner.env


@contextmanager
def engine_mode(token: CancelToken | None = None) -> Iterator[None]:
    """Grad mode on and ``token`` as the deadline in this thread, as :func:`run_plan` sets them; restored after."""
    prev_mode, prev_deadline = STATE.grad_enabled, STATE.deadline
    STATE.grad_enabled, STATE.deadline = True, token  # type: ignore[assignment]
    try:
        yield
    finally:
        STATE.grad_enabled, STATE.deadline = prev_mode, prev_deadline
