"""Autograd semantics, rule by rule, against PyTorch side by side.

Each test writes one program against a library ``t`` and runs it twice: with
``t = engine`` and with ``t = torch``. ``same(program)`` then asserts that both
returned the same thing (tensors: values, shape, dtype, requires_grad, is_leaf,
grad_fn name; numbers, flags and strings: equal) or raised the same kind of error
with the same message, and that both emitted the same warnings.
"""

from __future__ import annotations

import re
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import run_snippet

LIBS = (engine, torch)
_TRIGGERED = re.compile(r" \(Triggered internally at [^)]*\)\.?$", re.S)
_BUILTIN_ERRORS = (TypeError, ValueError, IndexError, NotImplementedError, AttributeError, RuntimeError)


@dataclass
class Outcome:
    value: Any = None
    error: tuple[str, str] | None = None  # (built-in exception kind, message)
    warnings: tuple[tuple[str, str], ...] = ()


def _kind(exc: BaseException) -> str:
    for cls in _BUILTIN_ERRORS:
        if isinstance(exc, cls):
            return cls.__name__
    return type(exc).__name__


def outcome(program: Callable[[Any], Any], lib: Any) -> Outcome:
    """Run ``program(lib)``: what it returned (normalised) or raised, and what it warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = Outcome(value=norm(program(lib)))
        except Exception as exc:  # noqa: BLE001 - the error is the result under test
            result = Outcome(error=(_kind(exc), str(exc)))
    result.warnings = tuple(
        (w.category.__name__, _TRIGGERED.sub("", str(w.message))) for w in caught
    )
    return result


@dataclass
class TensorView:
    """What we compare of a tensor."""

    values: np.ndarray
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None


def norm(v: Any) -> Any:
    """A library-independent description of a program's result."""
    if isinstance(v, (engine.Tensor, torch.Tensor)):
        data = v.detach().numpy() if isinstance(v, torch.Tensor) else v.detach().numpy()
        return TensorView(
            np.array(data), tuple(v.shape), str(v.dtype), v.requires_grad, v.is_leaf,
            None if v.grad_fn is None else v.grad_fn.name(),
        )
    if isinstance(v, (engine.dtype, torch.dtype)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return type(v)(norm(x) for x in v)
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if hasattr(v, "next_functions") and hasattr(v, "name"):
        return ("node", v.name())
    return v


def assert_same_value(e: Any, t: Any, where: str = "result") -> None:
    if isinstance(t, TensorView):
        assert isinstance(e, TensorView), f"{where}: engine {e!r}, torch a tensor {t!r}"
        for field in ("shape", "dtype", "requires_grad", "is_leaf", "grad_fn"):
            assert getattr(e, field) == getattr(t, field), (
                f"{where}: {field} engine {getattr(e, field)!r} vs torch {getattr(t, field)!r}"
            )
        tol = dict(rtol=1e-12, atol=1e-12) if t.dtype == "torch.float64" else dict(rtol=2e-6, atol=1e-6)
        np.testing.assert_allclose(e.values.astype(np.float64), t.values.astype(np.float64), equal_nan=True,
                                   err_msg=where, **tol)
    elif isinstance(t, (list, tuple)):
        assert isinstance(e, (list, tuple)) and len(e) == len(t), f"{where}: engine {e!r} vs torch {t!r}"
        for i, (a, b) in enumerate(zip(e, t, strict=True)):
            assert_same_value(a, b, f"{where}[{i}]")
    elif isinstance(t, dict):
        assert isinstance(e, dict) and e.keys() == t.keys(), f"{where}: engine {e!r} vs torch {t!r}"
        for k in t:
            assert_same_value(e[k], t[k], f"{where}[{k!r}]")
    elif isinstance(t, float):
        assert isinstance(e, float) and (e == pytest.approx(t, rel=1e-6) or (np.isnan(e) and np.isnan(t))), (
            f"{where}: engine {e!r} vs torch {t!r}"
        )
    else:
        assert e == t and type(e) is type(t), f"{where}: engine {e!r} vs torch {t!r}"


def same(program: Callable[[Any], Any], check_warnings: bool = True) -> Any:
    """Run ``program`` with the engine and with PyTorch; assert they agree; return the engine's outcome."""
    e = outcome(program, engine)
    t = outcome(program, torch)
    if t.error is not None or e.error is not None:
        assert e.error == t.error, f"error: engine {e.error!r} vs torch {t.error!r}"
    else:
        assert_same_value(e.value, t.value)
    if check_warnings:
        assert e.warnings == t.warnings, f"warnings: engine {e.warnings!r} vs torch {t.warnings!r}"
    return e


def has(*names: str) -> Any:
    missing = [n for n in names if n not in engine.REGISTRY]
    return pytest.mark.skipif(bool(missing), reason=f"ops not registered yet: {missing}")


def leaf(t: Any, values: Any, dtype: str = "float64", grad: bool = True) -> Any:
    return t.tensor(values, dtype=getattr(t, dtype), requires_grad=grad)


# -- accumulation and where .grad lives ----------------------------------------------------------

def test_gradients_accumulate_across_backward_calls() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0, 3.0])
        (x * 2).sum().backward()
        first = x.grad.clone()
        (x * x).sum().backward()
        return first, x.grad

    same(program)


def test_accumulation_is_in_place_into_an_assigned_grad() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        g = t.tensor([5.0, 5.0], dtype=t.float64)
        x.grad = g
        (x * 3).sum().backward()
        return x.grad, g, x.grad is g

    same(program)


def test_grad_is_none_until_backward_and_none_again_after_reset() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        before = x.grad
        (x * x).sum().backward()
        after = x.grad
        x.grad = None
        return before, after, x.grad

    same(program)


def test_grad_on_leaves_only_and_the_non_leaf_warning() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0, 3.0])
        y = x * 2
        y.sum().backward()
        return x.grad, y.grad, x.retains_grad, y.retains_grad, y.is_leaf, x.is_leaf

    out = same(program)
    assert out.warnings and "not a leaf Tensor" in out.warnings[0][1]


def test_retain_grad_keeps_a_non_leaf_grad() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0, 3.0])
        y = x * 2
        y.retain_grad()
        y.retain_grad()  # twice is once
        z = (y * y).sum()
        z.retain_grad()
        z.backward(retain_graph=True)
        first = (y.grad.clone(), z.grad.clone())
        z.backward()
        x.retain_grad()  # a leaf: no-op
        return first, y.grad, z.grad, x.grad, y.retains_grad, x.retains_grad

    same(program)


def test_retain_grad_errors_and_detach_drops_it() -> None:
    same(lambda t: t.ones(2).retain_grad())

    def program(t: Any) -> Any:
        y = leaf(t, [1.0]) * 2
        y.retain_grad()
        d = y.detach()
        return y.retains_grad, d.retains_grad, d.grad

    same(program)


def test_retained_grads_fill_under_autograd_grad_and_backward_inputs() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0, 2.0])
        b = a * 2
        b.retain_grad()
        c = b * 3
        c.retain_grad()
        (ga,) = t.autograd.grad(c.sum(), [a], retain_graph=True)
        after_grad = (b.grad.clone(), c.grad.clone(), a.grad)
        (c * 2).sum().backward(inputs=[a])
        return ga, after_grad, a.grad, b.grad, c.grad

    same(program)


def test_retained_grad_not_filled_off_the_path_to_the_inputs() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0, 2.0])
        w = leaf(t, [3.0, 4.0])
        b = w * 3
        b.retain_grad()
        (b * (a * 2)).sum().backward(inputs=[a])
        return a.grad, b.grad, w.grad

    same(program)


# -- requires_grad, is_leaf, grad_fn -----------------------------------------------------------

def test_requires_grad_propagation_and_is_leaf() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        c = leaf(t, [3.0, 4.0], grad=False)
        i = t.tensor([1, 2])
        out = {
            "x+c": x + c, "c+c": c + c, "c*x": c * x, "x*i": x * i, "i*i": i * i, "2*x": 2 * x,
            "x>0": x > 0, "x.long": x.long(), "x.double": x.double(), "x.float": x.float(),
            "detach": x.detach(), "sum": x.sum(), "neg": -x, "clone": x.clone(),
        }
        with t.no_grad():
            out["no_grad"] = x * 2
        return out, x.is_leaf, c.is_leaf, i.is_leaf

    same(program)


def test_integer_results_of_differentiable_ops() -> None:
    # a cast drops out of the graph; a reduction asked for an integer dtype refuses
    same(lambda t: (lambda y: (y.requires_grad, y.is_leaf, y.grad_fn))(leaf(t, [1.5, 2.5]).long()))
    same(lambda t: (lambda y: (y.requires_grad, y.is_leaf, y.dtype))(leaf(t, [1.5, 2.5]).to(t.int32)))
    same(lambda t: leaf(t, [1.5, 2.5]).sum(dtype=t.int64))

    def under_no_grad(t: Any) -> Any:
        with t.no_grad():
            return leaf(t, [1.5, 2.5]).sum(dtype=t.int64)

    same(under_no_grad)


def test_requires_grad_on_integer_tensors() -> None:
    same(lambda t: t.tensor([1, 2], requires_grad=True))
    same(lambda t: t.tensor([1, 2], dtype=t.float64, requires_grad=True).requires_grad)
    same(lambda t: setattr(t.tensor([1, 2]), "requires_grad", True))
    same(lambda t: t.tensor([1, 2]).requires_grad_())
    same(lambda t: t.tensor([True]).requires_grad_(False).requires_grad)
    same(lambda t: t.ones(2, dtype=t.int64, requires_grad=True))


def test_setting_requires_grad_on_a_non_leaf() -> None:
    same(lambda t: setattr(leaf(t, [1.0]) * 2, "requires_grad", False))
    same(lambda t: setattr(leaf(t, [1.0]) * 2, "requires_grad", True))
    same(lambda t: (leaf(t, [1.0]) * 2).requires_grad_(False))
    same(lambda t: (leaf(t, [1.0]) * 2).requires_grad_())  # True on a non-leaf: a no-op
    same(lambda t: setattr(t.ones(2), "requires_grad", 1))
    same(lambda t: t.ones(2).requires_grad_(1))

    def toggle(t: Any) -> Any:
        x = t.ones(2)
        x.requires_grad = True
        a = (x * 2).requires_grad
        x.requires_grad_(False)
        return a, (x * 2).requires_grad, x.requires_grad_().requires_grad

    same(toggle)


def describe(node: Any, seen: dict[int, int] | None = None) -> Any:
    """A graph's structure from ``grad_fn``: names, and leaves by position of first appearance."""
    seen = {} if seen is None else seen
    if node is None:
        return None
    if node.name() == "torch::autograd::AccumulateGrad":
        return ("leaf", seen.setdefault(id(node.variable), len(seen)))
    return (node.name(), tuple((describe(n, seen), i) for n, i in node.next_functions))


def test_grad_fn_names_and_next_functions() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0, 2.0])
        b = leaf(t, [3.0, 4.0])
        c = a * b + a.exp() * 2
        d = (a - 1).sum() / 2
        e = (t.ones(2) * a).pow(2).mean()
        return describe(c.grad_fn), describe(d.grad_fn), describe(e.grad_fn), a.grad_fn, repr(c.grad_fn)[:14]

    same(program)


def test_accumulate_grad_node_is_one_per_leaf_and_holds_it() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0])
        acc1 = (a * 2).grad_fn.next_functions[0][0]
        acc2 = (a * 3).grad_fn.next_functions[0][0]
        return acc1 is acc2, acc1.variable is a, acc1.name(), acc1.next_functions

    same(program)


def test_grad_fn_of_mul_by_a_python_number_and_of_a_constant() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0])
        return describe((a * 2).grad_fn), describe((2 - a).grad_fn), describe((a + t.ones(1)).grad_fn)

    same(program)


# -- grad mode ----------------------------------------------------------------------------------

def test_no_grad_enable_grad_set_grad_enabled_as_context_managers() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0])
        seen = []
        with t.no_grad() as v:
            seen.append((v, t.is_grad_enabled(), (x * 2).requires_grad))
            with t.enable_grad():
                seen.append((t.is_grad_enabled(), (x * 2).requires_grad))
            with t.set_grad_enabled(True):
                seen.append(t.is_grad_enabled())
            seen.append(t.is_grad_enabled())
        with t.set_grad_enabled(False) as v:
            seen.append((v, t.is_grad_enabled()))
        seen.append(t.is_grad_enabled())
        try:
            with t.no_grad():
                raise KeyError("x")
        except KeyError:
            seen.append(t.is_grad_enabled())
        t.set_grad_enabled(False)  # as a plain call it applies at once
        seen.append(t.is_grad_enabled())
        t.set_grad_enabled(True)
        seen.append(t.is_grad_enabled())
        return seen

    same(program)


def test_grad_mode_decorators() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0])

        @t.no_grad()
        def a() -> bool:
            return (x * 2).requires_grad

        @t.no_grad
        def b() -> bool:
            return (x * 2).requires_grad

        @t.enable_grad()
        def c() -> bool:
            return (x * 2).requires_grad

        @t.enable_grad
        def d() -> bool:
            return (x * 2).requires_grad

        @t.set_grad_enabled(False)
        def e() -> bool:
            return t.is_grad_enabled()

        decorated_now = t.is_grad_enabled()  # decorating with set_grad_enabled changes nothing now

        @t.no_grad()
        def gen() -> Any:
            yield t.is_grad_enabled()
            yield (x * 2).requires_grad

        with t.no_grad():
            inner = (c(), d())
        return a(), b(), inner, e(), decorated_now, list(gen()), t.is_grad_enabled(), a.__name__

    same(program)


def test_set_grad_enabled_takes_only_a_bool() -> None:
    same(lambda t: t.set_grad_enabled(1))
    same(lambda t: t.set_grad_enabled("yes"))
    same(lambda t: t.set_grad_enabled(None))


def test_grad_mode_is_per_thread() -> None:
    def program(t: Any) -> Any:
        seen: dict[str, Any] = {}
        entered, release = threading.Event(), threading.Event()
        x = leaf(t, [1.0])

        def worker() -> None:
            seen["worker starts enabled"] = t.is_grad_enabled()
            with t.no_grad():
                entered.set()
                release.wait(5)
                seen["worker inside"] = t.is_grad_enabled()

        th = threading.Thread(target=worker)
        th.start()
        entered.wait(5)
        seen["main while worker in no_grad"] = t.is_grad_enabled()
        seen["main still records"] = (x * 2).requires_grad
        release.set()
        th.join()
        with t.no_grad():  # and a thread started inside no_grad starts enabled
            th = threading.Thread(target=lambda: seen.setdefault("new thread", t.is_grad_enabled()))
            th.start()
            th.join()
        return seen

    same(program)


def test_grad_mode_and_deadline_are_per_asyncio_task() -> None:
    """The engine's mode is a context variable (as NumPy's error state): one task's ``no_grad`` or
    deadline is not another's, where a thread-local would leak it to every task on the loop's thread."""
    import asyncio

    from engine.autograd.grad_mode import STATE

    async def main() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        entered, release = asyncio.Event(), asyncio.Event()
        x = engine.ones(1, requires_grad=True)

        async def quiet_task() -> None:
            with engine.no_grad():
                STATE.deadline = 0.0
                entered.set()
                await release.wait()
                seen["task inside"] = (engine.is_grad_enabled(), STATE.deadline)

        task = asyncio.create_task(quiet_task())
        await entered.wait()
        seen["other task"] = (engine.is_grad_enabled(), STATE.deadline, (x * 2).requires_grad)
        release.set()
        await task
        seen["after"] = (engine.is_grad_enabled(), STATE.deadline)
        return seen

    assert asyncio.run(main()) == {
        "task inside": (False, 0.0),
        "other task": (True, None, True),
        "after": (True, None),
    }


def test_backward_under_no_grad_still_runs() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        y = (x * x).sum()
        with t.no_grad():
            y.backward()
            (g,) = t.autograd.grad((x * x * x).sum(), x, create_graph=True)
        (gg,) = t.autograd.grad(g.sum(), x)
        return x.grad, g, gg, t.is_grad_enabled()

    same(program)


# -- detach ---------------------------------------------------------------------------------

def test_detach() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        y = x * 2
        d = y.detach()
        dd = y.detach().requires_grad_()
        z = (dd * 3).sum()
        z.backward()
        y2 = x * 5
        y2.detach_()
        return d, dd, dd.grad, x.grad, y2, x.data, (d * x).requires_grad

    same(program)


# -- retain_graph -------------------------------------------------------------------------------

SAVE_NOTHING: dict[str, Callable[[Any, Any, Any], Any]] = {
    "add": lambda t, x, y: x + y, "sub": lambda t, x, y: x - y, "neg": lambda t, x, y: -x,
    "sum": lambda t, x, y: x.sum(), "rsub": lambda t, x, y: 2 - x, "reshape": lambda t, x, y: x.reshape(3, 1),
    "expand": lambda t, x, y: x.expand(2, 3), "clone": lambda t, x, y: x.clone(),
    "double": lambda t, x, y: x.double(), "mean": lambda t, x, y: x.mean(), "add_scalar": lambda t, x, y: x + 1,
}
SAVE_TENSORS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "mul": lambda t, x, y: x * y, "mul_scalar": lambda t, x, y: x * 2, "mul_constant": lambda t, x, y: x * y.detach(),
    "exp": lambda t, x, y: x.exp(), "div": lambda t, x, y: x / y, "div_scalar": lambda t, x, y: x / 2,
    "pow": lambda t, x, y: x**2, "tanh": lambda t, x, y: x.tanh(), "sin": lambda t, x, y: x.sin(),
    "matmul": lambda t, x, y: x @ y,
}
_OPS_USED = {"double": "_to_copy", "add_scalar": "add", "mul_scalar": "mul", "mul_constant": "mul",
             "div_scalar": "div"}


@pytest.mark.parametrize("name", [*SAVE_NOTHING, *SAVE_TENSORS])
def test_second_backward_through_a_freed_graph(name: str) -> None:
    fn = {**SAVE_NOTHING, **SAVE_TENSORS}[name]
    if _OPS_USED.get(name, name) not in engine.REGISTRY:
        pytest.skip(f"{name} not registered yet")

    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0, 3.0])
        y = leaf(t, [2.0, 3.0, 4.0])
        z = fn(t, x, y).sum()
        z.backward()
        z.backward()  # PyTorch refuses only where the op saved tensors
        return x.grad, y.grad

    out = same(program)
    assert (out.error is None) == (name in SAVE_NOTHING), out


def test_retain_graph_allows_a_second_backward() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        z = (x.exp() * x).sum()
        z.backward(retain_graph=True)
        z.backward(retain_graph=True)
        g1 = x.grad.clone()
        z.backward()
        return g1, x.grad

    same(program)


def test_retain_graph_false_after_create_graph() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        z = (x * x * x).sum()
        (g,) = t.autograd.grad(z, x, create_graph=True, retain_graph=False)
        return g, t.autograd.grad(z, x)

    same(program)


def test_autograd_grad_frees_the_graph_too() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        z = (x * x).sum()
        t.autograd.grad(z, x)
        return t.autograd.grad(z, x)

    same(program)


def test_backward_inputs_runs_the_input_node_so_a_freed_one_raises() -> None:
    def program(t: Any, second: str) -> Any:
        a = leaf(t, [1.0, 2.0])
        b = a.exp()
        (b + 1).sum().backward(inputs=[b])
        if second == "backward":
            (b + 2).sum().backward(inputs=[b])  # runs b's node, which was freed: an error in PyTorch
            return b.grad
        return t.autograd.grad((b + 2).sum(), [b])  # captures b's gradient without running its node

    same(lambda t: program(t, "backward"))
    same(lambda t: program(t, "grad"))


# -- failing backward ---------------------------------------------------------------------------

def test_a_failing_backward_leaves_no_partial_grad() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        y = leaf(t, [3.0, 4.0])
        z = (x * y + x + y).sum()
        z.backward()
        x.grad = y.grad = None
        try:
            z.backward()
        except RuntimeError as exc:
            return str(exc)[:30], x.grad, y.grad
        return None

    same(program)


def test_a_failing_backward_is_all_or_nothing_where_pytorch_is_not() -> None:
    # PyTorch writes y.grad before it reaches the freed exp node; the engine writes .grad
    # only once the whole pass succeeded (a deliberate difference: no half-updated state).
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        y = leaf(t, [3.0, 4.0])
        e = x.exp()
        w = y + 0  # recorded after exp, saves nothing: PyTorch runs it (and y's accumulation) first
        w.retain_grad()
        z = (e + w).sum()
        z.backward()
        x.grad = y.grad = w.grad = None
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            z.backward()
        return x.grad, y.grad, w.grad

    assert outcome(program, engine).value == (None, None, None)
    partial = outcome(program, torch).value
    assert partial[0] is None and partial[1] is not None and partial[2] is not None  # PyTorch's partial state


# -- create_graph and higher orders ---------------------------------------------------------------

def _derivatives(t: Any, f: Callable[..., Any], *values: list[float], order: int = 3) -> Any:
    """Derivatives to ``order``, each of a weighted sum of the previous ones (values and requires_grad:
    the ``grad_fn`` names of derivative graphs are PyTorch's fused backward nodes, ours are plain ops)."""
    xs = [leaf(t, v) for v in values]
    out = f(t, *xs)
    results = []
    for _ in range(order):
        grads = t.autograd.grad(out, xs, create_graph=True, allow_unused=True)
        results.append([None if g is None else (g.detach(), g.requires_grad) for g in grads])
        live = [g for g in grads if g is not None and g.requires_grad]
        if not live:
            break
        out = sum((g * (i + 1.5)).sum() for i, g in enumerate(live))
    return results


@pytest.mark.parametrize(
    ("name", "f", "values"),
    [
        ("x**4", lambda t, x: (x**4).sum(), [[0.5, -1.0, 2.0]]),
        ("sin", lambda t, x: x.sin().sum(), [[0.5, -1.0, 2.0]]),
        ("exp*x", lambda t, x: (x.exp() * x).sum(), [[0.5, -1.0, 2.0]]),
        ("tanh", lambda t, x: x.tanh().sum(), [[0.5, -1.0, 2.0]]),
        ("mixed", lambda t, x, y: (x * y**2 + x.sin() * y.exp() - x / (y * y + 1)).sum(), [[0.5, -1.0], [1.5, 0.3]]),
        ("broadcast", lambda t, x, y: ((x * y) ** 3).mean(), [[[0.5], [-1.0]], [0.2, 1.1, -0.4]]),
        ("matmul", lambda t, x, y: (x @ y).tanh().sum(), [[[0.5, -1.0], [0.3, 0.2]], [[1.5, 0.3], [-0.7, 0.1]]]),
        ("linear", lambda t, x: (3 * x).sum(), [[1.0, 2.0]]),
    ],
)
def test_higher_derivatives_to_third_order(name: str, f: Callable[..., Any], values: list[Any]) -> None:
    same(lambda t: _derivatives(t, f, *values))


def test_backward_with_create_graph_then_differentiate_grad() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        (x**3).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        (gg,) = t.autograd.grad(g.sum(), x)
        return g.detach(), g.requires_grad, gg

    out = same(program)
    assert out.warnings and "reference cycle" in out.warnings[0][1]


# -- autograd.grad ------------------------------------------------------------------------------

def test_autograd_grad_basics() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0, 3.0])
        y = leaf(t, [4.0, 5.0, 6.0])
        z = x * y + x
        v = t.tensor([1.0, 0.5, -1.0], dtype=t.float64)
        g = t.autograd.grad(z, [x, y], grad_outputs=v, retain_graph=True)
        g2 = t.autograd.grad([z, (x * x).sum()], [x], grad_outputs=[v, None])
        return g, g2, x.grad, y.grad, isinstance(g, tuple)

    same(program)


def test_autograd_grad_inputs_forms() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        y = leaf(t, [3.0, 4.0])
        z = (x * y).sum()
        return (
            t.autograd.grad(z, x, retain_graph=True),
            t.autograd.grad(z, (x, y), retain_graph=True),
            t.autograd.grad(z, {"a": x, "b": y}, retain_graph=True),
            t.autograd.grad(z, [x, x]),
        )

    same(program)


def test_autograd_grad_non_leaf_inputs() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        h = x * 3
        k = h.exp()
        z = (k * h).sum()
        gh, gk = t.autograd.grad(z, [h, k], retain_graph=True)
        (gz,) = t.autograd.grad(z, z)
        return gh, gk, gz, x.grad

    same(program)


def test_autograd_grad_errors() -> None:
    x_ = [1.0, 2.0]
    same(lambda t: t.autograd.grad((leaf(t, x_) * 2).sum(), [leaf(t, x_), leaf(t, [1.0])]))
    same(lambda t: t.autograd.grad((leaf(t, x_) * 2).sum(), [leaf(t, x_)], allow_unused=True))
    same(lambda t: t.autograd.grad((leaf(t, x_) * 2).sum(), [leaf(t, x_), leaf(t, x_, grad=False)]))
    same(lambda t: t.autograd.grad((leaf(t, x_) * 2).sum(), []))
    same(lambda t: t.autograd.grad(t.ones(()), [leaf(t, x_)]))
    same(lambda t: t.autograd.grad(t.ones(2), []))
    same(lambda t: t.autograd.grad(leaf(t, x_) * 2, leaf(t, x_)))
    same(lambda t: t.autograd.grad((leaf(t, x_) * 2).sum(), leaf(t, x_), 1.0))
    same(lambda t: t.autograd.grad((leaf(t, x_) * 2).sum(), leaf(t, x_), [1.0]))
    same(lambda t: t.autograd.grad([leaf(t, x_).sum()] * 2, leaf(t, x_), [t.ones((), dtype=t.float64)]))

    def mismatch(t: Any) -> Any:
        x = leaf(t, x_)
        return t.autograd.grad(x * 2, x, t.ones(3, dtype=t.float64))

    same(mismatch)


def test_autograd_grad_allow_unused_and_materialize() -> None:
    def program(t: Any, **kw: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        u = leaf(t, [[1.0]])
        return t.autograd.grad((x * 2).sum(), [x, u], **kw)

    same(lambda t: program(t, allow_unused=True))
    same(lambda t: program(t, materialize_grads=True))
    same(lambda t: program(t, materialize_grads=True, allow_unused=False))
    same(lambda t: program(t, only_inputs=False, allow_unused=True))


def test_autograd_grad_leaves_grad_untouched_and_root_is_a_leaf() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        (g,) = t.autograd.grad(x, x, t.tensor([3.0, 4.0], dtype=t.float64))
        return g, x.grad

    same(program)


# -- backward(inputs=...) -----------------------------------------------------------------------

def test_backward_inputs_accumulates_only_into_those() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0, 2.0])
        b = leaf(t, [3.0, 4.0])
        h = a * b
        z = (h * h).sum()
        z.backward(inputs=[a], retain_graph=True)
        first = (a.grad.clone(), b.grad, h.retains_grad)
        z.backward(inputs=[h], retain_graph=True)  # a non-leaf: it is made to retain its grad
        second = (h.grad.clone(), h.retains_grad, a.grad.clone())
        z.backward(inputs=b)
        return first, second, a.grad, b.grad, h.grad

    same(program)


def test_backward_inputs_errors_and_unused() -> None:
    same(lambda t: (leaf(t, [1.0]) * 2).sum().backward(inputs=[]))
    same(lambda t: (leaf(t, [1.0]) * 2).sum().backward(inputs=[t.ones(1)]))
    same(lambda t: t.autograd.backward(t.ones(()), inputs=[t.ones(1)]))

    def unused(t: Any) -> Any:
        a, b = leaf(t, [1.0]), leaf(t, [2.0])
        (a * 2).sum().backward(inputs=[b, b])
        return a.grad, b.grad

    same(unused)


# -- backward's own errors and arguments -----------------------------------------------------------

def test_backward_errors() -> None:
    same(lambda t: (leaf(t, [1.0, 2.0]) * 2).backward())
    same(lambda t: t.ones(2).sum().backward())
    same(lambda t: t.ones(2).backward())
    same(lambda t: t.autograd.backward([leaf(t, [1.0]).sum(), t.ones(1)]))
    same(lambda t: (leaf(t, [1.0, 2.0]) * 2).backward(t.ones(3, dtype=t.float64)))
    same(lambda t: (leaf(t, [1.0, 2.0]) * 2).backward([1.0, 2.0]))
    same(lambda t: t.autograd.backward([leaf(t, [1.0]).sum()] * 2, [t.ones((), dtype=t.float64)]))
    same(lambda t: t.tensor(3).backward())


def test_backward_gradient_is_cast_to_the_output_dtype() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0, 2.0], "float32")
        (a * 2).backward(t.ones(2, dtype=t.float64))
        b = leaf(t, [1.0, 2.0], "float32")
        b.backward(t.tensor([1, 2]))  # a leaf root
        c = leaf(t, [1.0, 2.0])
        t.autograd.backward([c * 2, c], [t.ones(2, dtype=t.float64), None if False else t.ones(2, dtype=t.float64)])
        return a.grad, b.grad, c.grad

    same(program)


def test_backward_on_an_empty_list_and_a_leaf() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        t.autograd.backward([])
        x.backward(t.tensor([2.0, 3.0], dtype=t.float64))
        return x.grad

    same(program)


def test_grad_setter_validation() -> None:
    x_ = [1.0, 2.0, 3.0]
    same(lambda t: setattr(leaf(t, x_, "float32"), "grad", 3))
    same(lambda t: setattr(leaf(t, x_, "float32"), "grad", t.ones(2)))
    same(lambda t: setattr(t.ones((), requires_grad=True), "grad", t.ones(1)))
    for dt in ("float16", "float64", "int32", "int64", "bool"):
        same(lambda t, dt=dt: setattr(leaf(t, x_, "float32"), "grad", t.ones(3, dtype=getattr(t, dt))))
    same(lambda t: setattr(leaf(t, x_), "grad", t.ones(3, dtype=t.float32)))
    same(lambda t: setattr(leaf(t, x_, "float32"), "grad", t.ones(2, dtype=t.float64)))  # dtype is checked first

    def self_grad(t: Any) -> Any:
        x = leaf(t, x_)
        x.grad = x

    same(self_grad)

    def fine(t: Any) -> Any:
        x = leaf(t, x_)
        y = x * 2
        y.grad = t.ones(3, dtype=t.float64)
        x.grad = t.ones(3, dtype=t.float64, requires_grad=True)
        n = t.ones(3)
        n.grad = t.ones(3)
        return y.grad, x.grad, n.grad

    same(fine)


def test_numpy_item_tolist_on_tensors_that_require_grad() -> None:
    same(lambda t: leaf(t, [1.0, 2.0]).numpy())
    same(lambda t: (leaf(t, [1.0, 2.0]) * 2).numpy())
    same(lambda t: np.asarray(leaf(t, [1.0, 2.0])))
    same(lambda t: leaf(t, [1.0, 2.0]).detach().numpy().tolist())
    same(lambda t: ((leaf(t, [1.0, 2.0]) * 2).sum().item(), (leaf(t, [1.0, 2.0]) * 2).tolist()))
    same(lambda t: leaf(t, [1.0, 2.0]).item())
    same(lambda t: float(leaf(t, [1.5])))  # PyTorch warns here, and only here
    same(lambda t: (int(leaf(t, [1.5])), bool(leaf(t, [1.5])), leaf(t, [[2.5]]).sum().tolist()))


# -- graph shapes -----------------------------------------------------------------------------------

def test_a_tensor_used_twice_in_one_op_and_in_several_branches() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, -2.0, 3.0])
        (x * x).sum().backward()
        first = x.grad.clone()
        x.grad = None
        y = x * 2
        z = (y * x + y.exp() + x.sin() * y + x).sum()
        z.backward()
        return first, x.grad

    same(program)


def test_deep_graph_does_not_hit_the_recursion_limit() -> None:
    depth = 5000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        def program(t: Any) -> Any:
            x = leaf(t, [0.5, -0.25])
            h = x
            for i in range(depth):
                h = h * 0.999 + 0.001 if i % 2 else h.tanh() + h * 0.5
            h.sum().backward()
            grad = x.grad
            del h  # and the graph is freed without recursion
            return grad

        same(program)
    finally:
        sys.setrecursionlimit(limit)


def test_very_deep_graph_in_the_engine() -> None:
    x = engine.ones(3, requires_grad=True)
    h = x
    for _ in range(100_000):
        h = h + 1.0
    (g,) = engine.autograd.grad(h.sum(), x)
    assert g.tolist() == [1.0, 1.0, 1.0]
    del h


def test_mixed_float32_float64_graph_grads_in_each_leafs_dtype() -> None:
    def program(t: Any) -> Any:
        a = leaf(t, [1.0, 2.0], "float32")
        b = leaf(t, [3.0, 4.0], "float64")
        c = leaf(t, [0.5, 0.25], "float16")
        z = (a * b + (a * c).exp() + c * 2).sum()
        z.backward()
        g = t.autograd.grad((a * b).sum(), [a, b])
        return z, a.grad, b.grad, c.grad, g

    same(program)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((), (3,)), ((3,), ()), ((2, 3), (3,)), ((2, 1), (1, 3)), ((2, 1, 3), (4, 1)), ((1,), (2, 2)), ((0,), (1,))],
)
def test_broadcasting_gradients_sum_back_to_each_shape(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    va, vb = rng.standard_normal(sa).tolist(), rng.standard_normal(sb).tolist()

    def program(t: Any) -> Any:
        a, b = leaf(t, va), leaf(t, vb)
        z = (a * b + a - b * 2).sum()
        z.backward()
        (gb,) = t.autograd.grad((a / (b * b + 1)).sum(), b)
        return a.grad, b.grad, gb

    same(program)


def test_float_warnings_are_silent_in_forward_and_backward() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [0.0, 1.0, -1.0, 1000.0])
        y = x / 0.0 + x.exp() + (x * 0.0).log() + t.ones(4, dtype=t.float64) / x
        y.sum().backward()
        return y, x.grad

    out = same(program)
    assert out.warnings == ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = np.geterr()
        x = engine.tensor([0.0, 1e308], dtype=engine.float64, requires_grad=True)
        ((x / x) * x * 10).sum().backward()
        assert np.geterr() == before  # the caller's NumPy settings are untouched
        with pytest.warns(RuntimeWarning):
            np.array([1.0]) / 0.0


# -- .grad owns its memory -----------------------------------------------------------------------

def _shares(a: Any, b: Any) -> bool:
    return bool(np.shares_memory(a.detach().numpy(), b.detach().numpy()))


def test_grad_never_aliases_a_gradient_someone_else_holds() -> None:
    # .grad is accumulated into in place: it must not share memory with the caller's tensors
    def program(t: Any, path: str) -> Any:
        x = leaf(t, [1.0, 2.0])
        v = t.tensor([3.0, 4.0], dtype=t.float64)
        y = x + 0 if path == "add" else x.clone() if path == "clone" else x * 1
        y.backward(v)
        first = (x.grad is v, _shares(x.grad, v))
        y2 = x + 0
        y2.backward(v)
        return first, x.grad, v

    for path in ("add", "clone", "mul"):
        same(lambda t, path=path: program(t, path))


def test_retained_and_leaf_grads_do_not_share_memory() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [1.0, 2.0])
        h = x + 0  # the same gradient reaches h (retained) and x
        h.retain_grad()
        (h * 1).sum().backward(retain_graph=True)
        shared = _shares(h.grad, x.grad)
        (h * 1).sum().backward()
        return shared, h.grad, x.grad

    same(program)


def test_grad_of_a_broadcast_is_contiguous_and_owned() -> None:
    def program(t: Any) -> Any:
        x = leaf(t, [[1.0, 2.0, 3.0]])
        x.expand(4, 3).sum().backward()
        g = x.grad
        x.sum().backward()  # accumulates in place into the same tensor
        return g is x.grad, x.grad, x.grad.is_contiguous() if hasattr(x.grad, "is_contiguous") else True

    same(program)


def test_a_gradient_nothing_else_holds_becomes_an_owned_grad_accumulated_in_place() -> None:
    w = engine.ones(64, 64, requires_grad=True)
    x = engine.ones(8, 64)
    (x @ w).sum().backward()
    g = w.grad
    assert g._data.flags.owndata and g._data.flags.c_contiguous
    (x @ w).sum().backward()
    assert w.grad is g and float(g.sum()) == 2 * 8 * 64 * 64  # accumulated in place


def test_gradient_stealing_is_calibrated() -> None:
    """At import the engine measures the reference counts of a gradient only the backward pass holds, so
    that .grad can take such a gradient without a copy (PyTorch's AccumulateGrad steals it too); a
    failed calibration would silently copy every gradient."""
    from engine.autograd import engine as autograd_engine

    assert autograd_engine._SOLE_REFS != (-1, -1)
    x = engine.ones(1000, requires_grad=True)
    (x * 3).sum().backward()
    grad = x.grad
    assert grad is not None and grad._data.flags.owndata


def test_inference_mode_as_pytorch() -> None:
    """inference_mode switches grad mode off (mode=False: on) and says so, nested, as a decorator with and
    without parentheses, over a generator, and restores both on leaving (an exception too)."""
    code = '''
x = torch.ones(2, requires_grad=True)
with torch.inference_mode():
    y = x * 2
    print(y.requires_grad, torch.is_inference_mode_enabled(), torch.is_grad_enabled())
    with torch.inference_mode(False):
        print(torch.is_grad_enabled(), torch.is_inference_mode_enabled())
    with torch.enable_grad():
        print(torch.is_grad_enabled(), torch.is_inference_mode_enabled())
    print(torch.is_grad_enabled(), torch.is_inference_mode_enabled())
print(torch.is_inference_mode_enabled(), torch.is_grad_enabled())
with torch.no_grad():
    with torch.inference_mode(False):
        print(torch.is_grad_enabled(), torch.is_inference_mode_enabled())
@torch.inference_mode
def f(): return torch.is_grad_enabled(), torch.is_inference_mode_enabled()
@torch.inference_mode()
def g(): return torch.is_grad_enabled(), torch.is_inference_mode_enabled()
@torch.inference_mode(False)
def h(): return torch.is_grad_enabled(), torch.is_inference_mode_enabled()
@torch.inference_mode()
def gen():
    yield torch.is_grad_enabled(); yield torch.is_inference_mode_enabled()
print(f(), g(), h(), list(gen()), torch.is_grad_enabled())
try:
    with torch.inference_mode():
        raise ValueError("x")
except ValueError:
    pass
print(torch.is_grad_enabled(), torch.is_inference_mode_enabled())
'''
    assert run_snippet(engine, code) == run_snippet(torch, code)
