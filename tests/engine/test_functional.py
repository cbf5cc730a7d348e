"""``engine.autograd.functional`` against ``torch.autograd.functional``, transform by transform.

Each graph is written once against a library ``m`` (``engine`` or ``torch``) and its
``nn.functional`` ``F``; both libraries get the same float64 inputs, and the results must
agree in structure (tensor / tuple / nested tuple), shape, dtype, values and
``requires_grad`` (create_graph on and off). Errors must be PyTorch's: same built-in
kind, same message.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import engine
import engine.autograd.functional as EF

# PyTorch's own forward mode (its vmap prototype) warns about torch.jit.script; not ours
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def _nnf(m: Any) -> Any:
    return m.nn.functional


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Any]  # fn(m, *inputs)
    shapes: tuple[tuple[int, ...], ...]
    domains: tuple[str, ...] = ()
    scalar: bool = False  # one-element output: hessian / hvp / vhp apply
    single: bool = False  # pass the one input as a Tensor, not a 1-tuple

    def arrays(self) -> list[np.ndarray]:
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        out = []
        for i, shape in enumerate(self.shapes):
            d = self.domains[i] if i < len(self.domains) else "real"
            if d == "positive":
                a = rng.uniform(0.5, 2.0, shape)
            elif d == "distinct":
                a = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 1.0
            else:
                a = rng.standard_normal(shape)
            out.append(np.asarray(a, dtype=np.float64))
        return out


ONEHOT = np.eye(4)[[1, 3, 0]]
TARGET = np.array([1, 3, 0])

CASES = [
    Case("exp_sum", lambda m, x: m.exp(x).sum(), ((3,),), scalar=True, single=True),
    Case("tanh", lambda m, x: m.tanh(x), ((2, 3),), single=True),
    Case("sin_mul", lambda m, x, y: m.sin(x) * y, ((3,), (3,))),
    Case("matmul", lambda m, a, b: a @ b, ((2, 3), (3, 2))),
    Case("softmax", lambda m, x: _nnf(m).softmax(x, dim=-1), ((2, 3),), single=True),
    Case("mean_pow", lambda m, x: (x**3).mean(), ((4,),), ("positive",), scalar=True, single=True),
    Case("pow_tensor", lambda m, x, y: x**y, ((3,), (3,)), ("positive", "real")),
    Case("logsumexp", lambda m, x: m.logsumexp(x, dim=1), ((2, 3),), single=True),
    Case("logsumexp_all", lambda m, x: m.logsumexp(x, dim=(0, 1)), ((2, 3),), scalar=True, single=True),
    Case("norm", lambda m, x: x.norm(), ((4,),), scalar=True),
    Case("cross_entropy", lambda m, x: _nnf(m).cross_entropy(x, m.tensor(TARGET)), ((3, 4),), scalar=True),
    Case("ce_manual", lambda m, x: -(_nnf(m).log_softmax(x, dim=-1) * m.tensor(ONEHOT)).sum(-1).mean(),
         ((3, 4),), scalar=True, single=True),
    Case("broadcast", lambda m, x, y: (x * y + x.exp()).sum(0), ((2, 1), (3,))),
    Case("multi_out", lambda m, x: (x.exp(), x.sin().sum()), ((3,),), single=True),
    Case("multi_in_out", lambda m, x, y: (x * y, x + y**2), ((2,), (2,))),
    Case("zero_d", lambda m, x: x.sin() * x, ((),), scalar=True, single=True),
    Case("zero_d_vec", lambda m, s, x: s * x.tanh(), ((), (3,))),
    Case("mlp", lambda m, w, b, x: m.tanh(w @ x + b).sum(), ((2, 3), (2,), (3,)), scalar=True),
    Case("mse", lambda m, x, y: _nnf(m).mse_loss(x, y), ((2, 3), (2, 3)), scalar=True),
    Case("unused_input", lambda m, x, y: x.exp(), ((3,), (2,))),
    Case("var", lambda m, x: x.var(), ((5,),), scalar=True, single=True),
    Case("sigmoid_log1p", lambda m, x: m.log1p(x) * m.sigmoid(x), ((3,),), ("positive",), single=True),
    Case("outer_tanh", lambda m, x, y: m.outer(x, y).tanh(), ((2,), (3,))),
    Case("scalar_two_inputs", lambda m, x, y: (x.exp() * y.sin()).sum() + (x * x).sum(), ((2,), (2,)),
         scalar=True),
    Case("linear_scalar", lambda m, x, y: (2 * x).sum() + (3 * y).sum(), ((2,), (2,)), scalar=True),
]
SCALAR_CASES = [c for c in CASES if c.scalar]
assert len(CASES) >= 20


def _inputs(case: Case, lib: Any, requires_grad: bool = False) -> Any:
    ts = tuple(lib.tensor(a, dtype=lib.float64, requires_grad=requires_grad) for a in case.arrays())
    return ts[0] if case.single else ts


def _fn(case: Case, lib: Any) -> Callable[..., Any]:
    return lambda *xs: case.fn(lib, *xs)


def _like_outputs(case: Case, seed: int) -> tuple[Any, Any]:
    """A random v shaped as the outputs (tuple iff the outputs are), for engine and torch."""
    t_out = case.fn(torch, *(torch.tensor(a) for a in case.arrays()))
    rng = np.random.default_rng(seed)
    outs = t_out if isinstance(t_out, tuple) else (t_out,)
    arrays = [rng.standard_normal(tuple(o.shape)) for o in outs]
    if isinstance(t_out, tuple):
        return tuple(engine.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)
    return engine.tensor(arrays[0]), torch.tensor(arrays[0])


def _like_inputs(case: Case, seed: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(a.shape) for a in case.arrays()]
    if case.single:
        return engine.tensor(arrays[0]), torch.tensor(arrays[0])
    return tuple(engine.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)


def same(e: Any, t: Any, what: str = "result") -> None:
    """Same structure, and tensor by tensor the same shape, dtype, requires_grad and values."""
    if isinstance(t, tuple):
        assert isinstance(e, tuple) and not isinstance(e, engine.Tensor), f"{what}: engine {type(e)} vs tuple"
        assert len(e) == len(t), f"{what}: {len(e)} vs {len(t)} entries"
        for i, (ei, ti) in enumerate(zip(e, t, strict=True)):
            same(ei, ti, f"{what}[{i}]")
        return
    assert isinstance(t, torch.Tensor), f"{what}: torch gave {type(t)}"
    assert isinstance(e, engine.Tensor), f"{what}: engine gave {type(e)}"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} vs {tuple(t.shape)}"
    assert str(e.dtype) == str(t.dtype), f"{what}: dtype {e.dtype} vs {t.dtype}"
    assert e.requires_grad == t.requires_grad, f"{what}: requires_grad {e.requires_grad} vs {t.requires_grad}"
    np.testing.assert_allclose(
        e.detach().numpy(), t.detach().numpy(force=True), rtol=1e-9, atol=1e-11, err_msg=what
    )


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


# -- first order -----------------------------------------------------------------------------


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_jacobian(case: Case, create_graph: bool) -> None:
    e = EF.jacobian(_fn(case, engine), _inputs(case, engine), create_graph=create_graph)
    t = TF.jacobian(_fn(case, torch), _inputs(case, torch), create_graph=create_graph)
    same(e, t)


@pytest.mark.parametrize("case", CASES[::3], ids=_ids(CASES[::3]))
def test_jacobian_vectorize_and_forward_mode(case: Case) -> None:
    t = TF.jacobian(_fn(case, torch), _inputs(case, torch))
    same(EF.jacobian(_fn(case, engine), _inputs(case, engine), vectorize=True), t)
    t_fwd = TF.jacobian(_fn(case, torch), _inputs(case, torch), vectorize=True, strategy="forward-mode")
    # PyTorch's forward mode returns lists where its reverse mode returns tuples; the engine, tuples
    t_fwd = _tuples(t_fwd)
    e_fwd = EF.jacobian(_fn(case, engine), _inputs(case, engine), vectorize=True, strategy="forward-mode")
    same(e_fwd, t_fwd)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_vjp(case: Case, create_graph: bool) -> None:
    ev, tv = _like_outputs(case, 1)
    e = EF.vjp(_fn(case, engine), _inputs(case, engine), ev, create_graph=create_graph)
    t = TF.vjp(_fn(case, torch), _inputs(case, torch), tv, create_graph=create_graph)
    same(e, t)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_jvp(case: Case, create_graph: bool) -> None:
    ev, tv = _like_inputs(case, 2)
    e = EF.jvp(_fn(case, engine), _inputs(case, engine), ev, create_graph=create_graph)
    t = TF.jvp(_fn(case, torch), _inputs(case, torch), tv, create_graph=create_graph)
    same(e, t)


def test_vjp_without_v_for_a_scalar_output() -> None:
    case = CASES[0]
    same(EF.vjp(_fn(case, engine), _inputs(case, engine)), TF.vjp(_fn(case, torch), _inputs(case, torch)))


def test_jvp_without_v_for_a_one_element_input() -> None:
    f = lambda m: lambda x: (x.exp(), x * 3)  # noqa: E731
    same(EF.jvp(f(engine), engine.tensor([0.3], dtype=engine.float64)),
         TF.jvp(f(torch), torch.tensor([0.3], dtype=torch.float64)))


# -- second order ----------------------------------------------------------------------------


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", SCALAR_CASES, ids=_ids(SCALAR_CASES))
def test_hessian(case: Case, create_graph: bool) -> None:
    e = EF.hessian(_fn(case, engine), _inputs(case, engine), create_graph=create_graph)
    t = TF.hessian(_fn(case, torch), _inputs(case, torch), create_graph=create_graph)
    same(e, t)


@pytest.mark.parametrize("case", SCALAR_CASES[::2], ids=_ids(SCALAR_CASES[::2]))
def test_hessian_vectorized_and_forward_over_reverse(case: Case) -> None:
    t = TF.hessian(_fn(case, torch), _inputs(case, torch))
    same(EF.hessian(_fn(case, engine), _inputs(case, engine), vectorize=True), t)
    e_fwd = EF.hessian(_fn(case, engine), _inputs(case, engine), vectorize=True,
                       outer_jacobian_strategy="forward-mode")
    # PyTorch's forward-over-reverse sets requires_grad on the caller's inputs (and its result
    # then requires grad); the engine leaves the inputs alone: compare the values
    t_fwd = TF.hessian(_fn(case, torch), _inputs(case, torch), vectorize=True,
                       outer_jacobian_strategy="forward-mode")
    same(e_fwd, _detached(_tuples(t_fwd)))


def _tuples(x: Any) -> Any:
    return tuple(_tuples(y) for y in x) if isinstance(x, (list, tuple)) else x


def _detached(x: Any) -> Any:
    return tuple(_detached(y) for y in x) if isinstance(x, tuple) else x.detach()


@pytest.mark.parametrize("name", ["hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", SCALAR_CASES, ids=_ids(SCALAR_CASES))
def test_hvp_vhp(case: Case, create_graph: bool, name: str) -> None:
    ev, tv = _like_inputs(case, 3)
    e = getattr(EF, name)(_fn(case, engine), _inputs(case, engine), ev, create_graph=create_graph)
    t = getattr(TF, name)(_fn(case, torch), _inputs(case, torch), tv, create_graph=create_graph)
    same(e, t)


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hvp_vhp_without_v_for_a_one_element_input(name: str) -> None:
    f = lambda m: lambda x: (x.sin() * x.exp()).sum()  # noqa: E731
    same(getattr(EF, name)(f(engine), engine.tensor([0.7], dtype=engine.float64)),
         getattr(TF, name)(f(torch), torch.tensor([0.7], dtype=torch.float64)))


# -- create_graph: the results stay differentiable with respect to the caller's inputs ------------


@pytest.mark.parametrize("transform", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_create_graph_differentiates_back_to_the_inputs(transform: str) -> None:
    case = next(c for c in CASES if c.name == "scalar_two_inputs")

    def run(lib: Any, mod: Any) -> tuple[Any, Any]:
        xs = _inputs(case, lib, requires_grad=True)
        args: tuple[Any, ...] = (_fn(case, lib), xs)
        if transform in ("jvp", "hvp", "vhp"):
            args += (tuple(lib.ones_like(x) for x in xs),)
        elif transform == "vjp":
            args += (lib.tensor(1.5, dtype=lib.float64),)
        res = getattr(mod, transform)(*args, create_graph=True)
        flat = _flatten(res)
        total = sum((r * (i + 1)).sum() for i, r in enumerate(flat) if r.requires_grad)
        grads = lib.autograd.grad(total, xs, allow_unused=True)
        return res, grads

    e_res, e_grads = run(engine, EF)
    t_res, t_grads = run(torch, TF)
    same(e_res, t_res)
    for eg, tg in zip(e_grads, t_grads, strict=True):
        assert (eg is None) == (tg is None)
        if tg is not None:
            same(eg, tg, "gradient of the result")


def _flatten(x: Any) -> list[Any]:
    if isinstance(x, tuple):
        return [y for el in x for y in _flatten(el)]
    return [x]


def test_inputs_are_not_modified_and_results_are_fresh() -> None:
    x = engine.tensor([0.5, -1.0], dtype=engine.float64, requires_grad=True)
    j = EF.jacobian(lambda a: a * 2, x)
    assert not j.requires_grad and x.grad is None and x.is_leaf
    out, v = EF.vjp(lambda a: a.exp().sum(), x)
    assert not out.requires_grad and not v.requires_grad and x.grad is None


def test_outputs_independent_of_an_input_give_zeros() -> None:
    x = engine.tensor([0.5, -1.0], dtype=engine.float64)
    y = engine.tensor([2.0], dtype=engine.float64)
    jx, jy = EF.jacobian(lambda a, b: a.sin(), (x, y))
    assert tuple(jy.shape) == (2, 1) and not jy.numpy().any()
    _, (vx, vy) = EF.vjp(lambda a, b: a.sin(), (x, y), engine.ones(2, dtype=engine.float64))
    assert tuple(vy.shape) == (1,) and not vy.numpy().any()
    hxx, hxy = EF.hessian(lambda a, b: a.sin().sum(), (x, y))[0]
    assert tuple(hxy.shape) == (2, 1) and not hxy.numpy().any()
    # an output that does not depend on the input at all
    j = EF.jacobian(lambda a: engine.ones(3, dtype=engine.float64), x)
    assert tuple(j.shape) == (3, 2) and not j.numpy().any()


def test_empty_output_gives_an_empty_block() -> None:
    """PyTorch's reverse-mode jacobian refuses an empty output (its stack of no rows); here it is empty."""
    x = engine.tensor([0.5, -1.0], dtype=engine.float64)
    j = EF.jacobian(lambda a: a[:0] * 2, x)
    assert tuple(j.shape) == (0, 2)


# -- errors: PyTorch's kind and words ------------------------------------------------------------


def _err(call: Callable[[Any, Any], Any]) -> tuple[type, str]:
    results = []
    for lib, mod in ((engine, EF), (torch, TF)):
        with pytest.raises(Exception) as info:  # noqa: B017, PT011 - compared below
            call(lib, mod)
        results.append(info.value)
    e, t = results
    kinds = [k for k in (AssertionError, TypeError, NotImplementedError, ValueError, RuntimeError) if isinstance(t, k)]
    assert kinds and isinstance(e, kinds[0]), f"engine raised {type(e).__name__}, torch {type(t).__name__}"
    assert isinstance(e, engine.EngineError)
    assert str(e) == str(t)
    return type(e), str(e)


def _x(lib: Any, n: int = 3, seed: int = 0) -> Any:
    return lib.tensor(np.random.default_rng(seed).standard_normal(n), dtype=lib.float64)


ERROR_CASES: dict[str, Callable[[Any, Any], Any]] = {
    "strict_output_not_requiring_grad": lambda m, fm: fm.vjp(lambda x: x.detach(), _x(m), _x(m), strict=True),
    "strict_vjp_unused_input": lambda m, fm: fm.vjp(lambda x, y: x * 2, (_x(m), _x(m)), _x(m), strict=True),
    "strict_jvp_unused_input": lambda m, fm: fm.jvp(lambda x, y: x * 2, (_x(m), _x(m)), (_x(m), _x(m)),
                                                  strict=True),
    "strict_jvp_output_not_requiring_grad": lambda m, fm: fm.jvp(lambda x: x.detach(), _x(m), _x(m), strict=True),
    "strict_jacobian_unused_input": lambda m, fm: fm.jacobian(lambda x, y: x.exp(), (_x(m), _x(m)), strict=True),
    "strict_jacobian_linear_create_graph": lambda m, fm: fm.jacobian(lambda x: x * 2, _x(m), create_graph=True,
                                                                   strict=True),
    "strict_jacobian_vectorize": lambda m, fm: fm.jacobian(lambda x: x.exp(), _x(m), strict=True, vectorize=True),
    "strict_hessian_linear": lambda m, fm: fm.hessian(lambda x: (x * 2).sum(), _x(m), strict=True),
    "strict_hessian_unused": lambda m, fm: fm.hessian(lambda x, y: (x**3).sum(), (_x(m), _x(m)), strict=True),
    "strict_vhp_linear": lambda m, fm: fm.vhp(lambda x: (x * 2).sum(), _x(m), _x(m), strict=True),
    "strict_hvp_linear": lambda m, fm: fm.hvp(lambda x: (x * 2).sum(), _x(m), _x(m), strict=True),
    "strict_hvp_quadratic_create_graph": lambda m, fm: fm.hvp(lambda x: (x * x).sum(), _x(m), _x(m), strict=True,
                                                            create_graph=True),
    "strict_vhp_quadratic_create_graph": lambda m, fm: fm.vhp(lambda x: (x * x).sum(), _x(m), _x(m), strict=True,
                                                            create_graph=True),
    "strict_vjp_linear_create_graph": lambda m, fm: fm.vjp(lambda x: x * 2, _x(m), _x(m), strict=True,
                                                         create_graph=True),
    "v_missing_for_vector_output": lambda m, fm: fm.vjp(lambda x: x.exp(), _x(m)),
    "v_missing_for_vector_input": lambda m, fm: fm.jvp(lambda x: x.exp(), _x(m)),
    "v_missing_hvp": lambda m, fm: fm.hvp(lambda x: x.exp().sum(), _x(m)),
    "v_wrong_size": lambda m, fm: fm.vjp(lambda x: x.exp(), _x(m), _x(m, 4)),
    "v_wrong_size_tuple": lambda m, fm: fm.jvp(lambda x, y: x * y, (_x(m), _x(m)), (_x(m), _x(m, 2))),
    "v_wrong_length": lambda m, fm: fm.jvp(lambda x, y: x * y, (_x(m), _x(m)), (_x(m),)),
    "v_not_single": lambda m, fm: fm.vjp(lambda x: x.exp(), _x(m), (_x(m), _x(m))),
    "inputs_a_list": lambda m, fm: fm.jacobian(lambda x: x, [_x(m)]),
    "inputs_tuple_with_a_number": lambda m, fm: fm.vjp(lambda x, y: x * y, (_x(m), 2.0), _x(m)),
    "outputs_a_list": lambda m, fm: fm.jacobian(lambda x: [x.exp()], _x(m)),
    "hessian_vector_output": lambda m, fm: fm.hessian(lambda x: x.exp(), _x(m)),
    "hessian_tuple_output": lambda m, fm: fm.hessian(lambda x: (x.exp().sum(),), _x(m)),
    "hvp_vector_output": lambda m, fm: fm.hvp(lambda x: x.exp(), _x(m), _x(m)),
    "vhp_tuple_output": lambda m, fm: fm.vhp(lambda x: (x.sum(),), _x(m), _x(m)),
    "bad_strategy": lambda m, fm: fm.jacobian(lambda x: x.exp(), _x(m), strategy="sideways"),
    "bad_outer_strategy": lambda m, fm: fm.hessian(lambda x: x.exp().sum(), _x(m), outer_jacobian_strategy="up"),
    "forward_mode_not_vectorized": lambda m, fm: fm.jacobian(lambda x: x.exp(), _x(m), strategy="forward-mode"),
    "forward_mode_strict": lambda m, fm: fm.jacobian(lambda x: x.exp(), _x(m), strategy="forward-mode",
                                                   vectorize=True, strict=True),
    "forward_mode_create_graph": lambda m, fm: fm.jacobian(lambda x: x.exp(), _x(m), strategy="forward-mode",
                                                         vectorize=True, create_graph=True),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_errors_as_pytorch(name: str) -> None:
    _err(ERROR_CASES[name])


def test_non_strict_returns_zeros_where_strict_raises() -> None:
    x = _x(engine)
    _, v = EF.vjp(lambda a, b: a * 2, (x, _x(engine)), x)
    assert not v[1].numpy().any()
    h = EF.hessian(lambda a: (a * 2).sum(), x)
    assert tuple(h.shape) == (3, 3) and not h.numpy().any()
