"""PyTorch as the oracle: run one call in the engine and in PyTorch, compare everything.

``check(fn_name, *args, **kwargs)`` builds the same inputs in both libraries from
specs (``T(shape, ...)``), calls ``torch.<fn_name>`` / ``torch.nn.functional.<fn_name>``
/ the Tensor method and its engine twin, and asserts that value, shape, dtype,
``requires_grad``, ``grad_fn`` name, first derivatives and second derivatives agree.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import engine

TOL = {
    "float64": dict(rtol=1e-7, atol=1e-9),
    "float32": dict(rtol=2e-4, atol=2e-5),
    "float16": dict(rtol=1e-2, atol=1e-3),
}


@dataclass(frozen=True)
class T:
    """A tensor input spec: shape, dtype name, sample domain, whether it requires grad."""

    shape: tuple[int, ...] = ()
    dtype: str = "float64"
    domain: str = "real"  # real, positive, unit (-1,1), nonzero, int, bool, prob (0,1), index:N
    grad: bool | None = None  # default: floating dtypes require grad
    seed: int = 0

    def array(self, salt: int) -> np.ndarray:
        # a stable seed: Python's hash() of strings changes per process, which made data differ per run
        rng = np.random.default_rng(zlib.crc32(repr((self.shape, self.dtype, self.domain, self.seed, salt)).encode()))
        n = self.shape
        d = self.domain
        if d == "positive":
            a = rng.uniform(0.5, 2.0, n)
        elif d == "unit":
            a = rng.uniform(-0.9, 0.9, n)
        elif d == "prob":
            a = rng.uniform(0.05, 0.95, n)
        elif d == "nonzero":
            a = rng.uniform(0.5, 2.0, n) * rng.choice([-1, 1], n)
        elif d == "int":
            a = rng.integers(-5, 6, n)
        elif d == "bool":
            a = rng.integers(0, 2, n).astype(bool)
        elif d.startswith("index:"):
            a = rng.integers(0, int(d.split(":")[1]), n)
        elif d == "distinct":
            a = rng.permutation(max(1, int(np.prod(n)))).reshape(n) * 0.37 - 1.0 if np.prod(n) else np.zeros(n)
        else:
            a = rng.standard_normal(n)
        return np.asarray(a).astype(self.dtype if self.dtype != "bool" else bool)

    @property
    def requires_grad(self) -> bool:
        floating = self.dtype.startswith("float")
        return floating if self.grad is None else self.grad


@dataclass(frozen=True)
class D:
    """A dtype argument by name (``dtype=D("float64")``): engine's and torch's dtype of that name."""

    name: str


def _build(spec: Any, salt: int) -> tuple[Any, Any]:
    """The same input as (engine value, torch value)."""
    if isinstance(spec, D):
        return getattr(engine, spec.name), getattr(torch, spec.name)
    if isinstance(spec, T):
        a = spec.array(salt)
        e = engine.tensor(a, dtype=getattr(engine, spec.dtype if spec.dtype != "bool" else "bool"),
                          requires_grad=spec.requires_grad)
        t = torch.tensor(a, dtype=getattr(torch, spec.dtype), requires_grad=spec.requires_grad)
        return e, t
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(s, T) for s in spec):
        pairs = [_build(s, salt * 31 + i) for i, s in enumerate(spec)]
        return type(spec)(p[0] for p in pairs), type(spec)(p[1] for p in pairs)
    return spec, spec


def _torch_fn(name: str) -> Any:
    if hasattr(torch, name):
        return getattr(torch, name)
    return getattr(torch.nn.functional, name)


def _engine_fn(name: str) -> Any:
    if hasattr(engine, name) and callable(getattr(engine, name)):
        return getattr(engine, name)
    return getattr(engine.nn.functional, name)


def _leaves(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(_leaves(list(v)))
        elif isinstance(v, (engine.Tensor, torch.Tensor)) and v.requires_grad:
            out.append(v)
    return out


def to_np(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)  # force: PyTorch's efficient ZeroTensor (abs'' etc.)
    return x.detach().numpy()


def assert_close(e: Any, t: Any, what: str, dtype: str | None = None) -> None:
    assert (e is None) == (t is None), f"{what}: engine {e!r} vs torch {t!r}"
    if e is None:
        return
    assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} vs {tuple(t.shape)}"
    assert str(e.dtype) == str(t.dtype), f"{what}: dtype {e.dtype} vs {t.dtype}"
    tol = TOL.get(dtype or str(t.dtype).replace("torch.", ""), dict(rtol=0, atol=0))
    np.testing.assert_allclose(to_np(e).astype(np.float64), to_np(t).astype(np.float64), equal_nan=True, err_msg=what,
                               **tol)


def check(name: str, *args: Any, method: bool = False, order: int = 2, grad_fn: bool = True,
          salt: int = 0, **kwargs: Any) -> None:
    """Compare ``name(*args, **kwargs)`` in the engine and in PyTorch, to ``order`` derivatives."""
    built = [_build(a, salt * 101 + i) for i, a in enumerate(args)]
    kbuilt = {k: _build(v, salt * 103 + i + 50) for i, (k, v) in enumerate(kwargs.items())}
    e_args = [b[0] for b in built]
    t_args = [b[1] for b in built]
    e_kw = {k: v[0] for k, v in kbuilt.items()}
    t_kw = {k: v[1] for k, v in kbuilt.items()}
    if method:
        e_out = getattr(e_args[0], name)(*e_args[1:], **e_kw)
        t_out = getattr(t_args[0], name)(*t_args[1:], **t_kw)
    else:
        e_out = _engine_fn(name)(*e_args, **e_kw)
        t_out = _torch_fn(name)(*t_args, **t_kw)
    label = f"{name}{tuple(args)}{kwargs or ''}"
    assert_close(e_out, t_out, f"{label} forward")
    check_rules(name, e_args, e_kw, e_out, method, label)
    assert e_out.requires_grad == t_out.requires_grad, f"{label}: requires_grad"
    assert e_out.is_leaf == t_out.is_leaf, f"{label}: is_leaf"
    if grad_fn:
        tn = t_out.grad_fn.name() if t_out.grad_fn is not None else None
        en = e_out.grad_fn.name() if e_out.grad_fn is not None else None
        assert en == tn, f"{label}: grad_fn {en} vs {tn}"
    if order < 1 or not t_out.requires_grad:
        return
    e_in = _leaves(e_args + list(e_kw.values()))
    t_in = _leaves(t_args + list(t_kw.values()))
    rng = np.random.default_rng(7 + salt)
    v = rng.standard_normal(tuple(t_out.shape)).astype(to_np(t_out).dtype)
    e_g = engine.autograd.grad(e_out, e_in, engine.tensor(v), create_graph=order > 1, allow_unused=True)
    t_g = torch.autograd.grad(t_out, t_in, torch.tensor(v), create_graph=order > 1, allow_unused=True)
    for i, (eg, tg) in enumerate(zip(e_g, t_g, strict=True)):
        assert_close(eg, tg, f"{label} grad of input {i}")
    if order < 2:
        return
    pairs = [(eg, tg) for eg, tg in zip(e_g, t_g, strict=True)
             if eg is not None and tg is not None and tg.requires_grad]
    if not pairs:
        for eg in e_g:
            assert eg is None or not eg.requires_grad or True
        return
    e_s = sum(((p[0] * engine.tensor(w)).sum() for p, w in zip(pairs, _weights(pairs, rng), strict=True)),
              engine.zeros(()))
    rng = np.random.default_rng(7 + salt)
    rng.standard_normal(tuple(t_out.shape))
    t_s = sum(((p[1] * torch.tensor(w)).sum() for p, w in zip(pairs, _weights(pairs, rng), strict=True)),
              torch.zeros(()))
    t_gg = torch.autograd.grad(t_s, t_in, allow_unused=True)
    e_gg = engine.autograd.grad(e_s, e_in, allow_unused=True) if e_s.requires_grad else [None] * len(e_in)
    for i, (eg, tg) in enumerate(zip(e_gg, t_gg, strict=True)):
        if tg is not None and eg is None:
            # PyTorch may return explicit zeros where the engine finds no dependency
            assert np.all(to_np(tg) == 0), f"{label} second derivative of input {i}: engine None, torch {tg}"
            continue
        if eg is not None and tg is None:
            assert np.all(to_np(eg) == 0), f"{label} second derivative of input {i}: torch None, engine {eg}"
            continue
        assert_close(eg, tg, f"{label} second derivative of input {i}")


def check_rules(name: str, args: list[Any], kwargs: dict[str, Any], out: Any, method: bool, label: str) -> None:
    """The op's shape and dtype rules (what the service plans with) agree with what ran."""
    from engine.ops.registry import REGISTRY, check_shapes

    op = REGISTRY.get(name)
    if op is None or (method and op.method != name):
        op = next((o for o in REGISTRY.values() if o.method == name), None)
    if op is None or op.varargs and method:
        return
    ins, params = op.bind(list(args), dict(kwargs))
    shape = check_shapes(op, ins, params)
    assert tuple(shape) == tuple(out.shape), f"{label}: shape rule says {tuple(shape)}, result is {tuple(out.shape)}"
    _, dt = op.dtype(*ins, **params)
    assert dt is out.dtype, f"{label}: dtype rule says {dt}, result is {out.dtype}"


def _weights(pairs: list[tuple[Any, Any]], rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.standard_normal(tuple(p[1].shape)).astype(to_np(p[1]).dtype) for p in pairs]


# Shapes every elementwise op is checked over: 0-d, 1-d, size-1, empty, rank 3.
UNARY_SHAPES: list[tuple[int, ...]] = [(), (1,), (5,), (0,), (2, 3), (2, 1, 3)]
# Pairs that broadcast.
BINARY_SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((), ()), ((3,), ()), ((), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((2, 1, 3), (4, 1)), ((0,), (1,)), ((4,), (4,)),
]
FLOATS = ["float64", "float32"]


_RAISED_KINDS = (TypeError, IndexError, ValueError, OverflowError, NotImplementedError, RuntimeError)


def assert_same_kind(e: BaseException, t: BaseException) -> None:
    """The engine's error is of the builtin kind PyTorch's is (its own classes subclass those)."""
    kind = next((k for k in _RAISED_KINDS if isinstance(t, k)), type(t))
    assert isinstance(e, kind), f"engine raised {type(e).__name__}, PyTorch {type(t).__name__}: {t}"


def run_snippet(lib: Any, code: str) -> str:
    """What a snippet written for ``torch`` prints when ``torch`` is ``lib``, and the error it ends with
    (its builtin kind and words: the engine's errors subclass PyTorch's builtin ones), for comparing
    the engine's run with PyTorch's. Warnings are not compared."""
    import contextlib
    import io
    import warnings

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, {"torch": lib})  # noqa: S102 - the tests' own snippets
    except _RAISED_KINDS as exc:
        kind = next(k for k in _RAISED_KINDS if isinstance(exc, k))
        print(f"raised {kind.__name__}: {exc}", file=out)
    return out.getvalue()
