"""``gradcheck`` / ``gradgradcheck``: derivatives checked against central finite differences.

As PyTorch's ``torch.autograd.gradcheck``: every input that requires grad is perturbed one
element at a time by ``±eps``; the central difference ``(f(x+eps) - f(x-eps)) / (2 eps)``
gives a column of the numerical Jacobian; one vjp per output element (with
:func:`engine.autograd.grad`) gives a row of the analytical one; they must satisfy
``|analytical - numerical| <= atol + rtol * |numerical|`` elementwise. Jacobians are laid out
as PyTorch lays them out, ``(input.numel(), output.numel())``, and a mismatch raises
:class:`GradcheckError` with PyTorch's text (``Jacobian mismatch for output i with respect
to input j, numerical:... analytical:...``). ``fast_mode=True`` compares ``v^T J u`` for random
``u`` and ``v`` instead, as PyTorch's fast mode does.

``gradient_report`` runs the same comparison and returns plain data (floats and bools) for
the service's ``"verify": true``.

Differences from PyTorch: there is no forward-mode AD and no vmap in the engine, so
``check_forward_ad``, ``check_batched_grad``, ``check_batched_forward_grad`` (and
gradgradcheck's ``check_fwd_over_rev``) raise ``UnsupportedError`` when set; the engine has no
"undefined" gradients, so ``check_undefined_grad`` is the check that all-zero output
gradients give zero input gradients (which is run regardless, as PyTorch's
"backward not multiplied by grad_output"); ``masked`` and sparse inputs do not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from .._warnings import warn as _warn
from ..errors import AutogradError, EngineError, UnsupportedError, ValueError_
from .engine import grad as _grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "gradient_report"]


class GradcheckError(AutogradError):
    """A gradient check failed (PyTorch's ``torch.autograd.gradcheck.GradcheckError``, a RuntimeError)."""


class _CheckAssertionError(EngineError, AssertionError):
    """Where PyTorch's gradcheck raises ``AssertionError`` (bad flags, outputs changing shape)."""


FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""

FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:

If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `fast_mode=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_fast_mode=False`
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_fast_mode=False`
""".strip()


# -- small pieces ------------------------------------------------------------------------


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, _tensor_cls())


def _differentiable_outputs(x: Any) -> tuple[Any, ...]:
    return tuple(o for o in _as_tuple(x) if _is_tensor(o) and o.requires_grad)


def _diff_input_indices(inputs: Sequence[Any]) -> list[int]:
    return [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]


def _host(a: Any) -> np.ndarray:
    """An array on the host (NumPy), whatever the tensor's device."""
    from ..backend import to_numpy

    return a if type(a) is np.ndarray else np.asarray(to_numpy(a))


def _wrap_np(a: np.ndarray, dt: Any) -> Any:
    """A NumPy array as an engine tensor (for messages, which print as PyTorch prints)."""
    from ..tensor import wrap

    return wrap(a, dt, None)


def _xp(data: Any) -> Any:
    if type(data) is np.ndarray:
        return np
    from ..backend import module_of

    return module_of(data)


def _check_inputs(tupled_inputs: Sequence[Any], warn: bool = True) -> None:
    from ..dtypes import float64

    any_input_requiring_grad = False
    for idx, inp in enumerate(tupled_inputs):
        if _is_tensor(inp) and inp.requires_grad:
            if warn and inp.dtype is not float64:
                _warn(
                    f"Input #{idx} requires gradient and "
                    "is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are "
                    "not of double precision floating point or complex. ",
                )
            any_input_requiring_grad = True
    if not any_input_requiring_grad:
        raise ValueError_(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )


def _evaluate(func: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Any, ...]:
    """``func(*inputs)`` as a tuple of arrays (host copies), None for what is not a tensor."""
    return tuple(_host(o._data).copy() if _is_tensor(o) else None for o in _as_tuple(func(*inputs)))


def _check_same(a: Any, b: Any, eps: float, idx: Any) -> None:
    on_index = f"on index {idx} " if idx is not None else ""
    if a.shape != b.shape:
        raise _CheckAssertionError(
            "Expected `func` to return outputs with the same shape"
            f" when inputs are perturbed {on_index}by {eps}, but got:"
            f" shapes {_size(a.shape)} and {_size(b.shape)}."
        )
    if a.dtype != b.dtype:
        raise _CheckAssertionError(
            "Expected `func` to return outputs with the same dtype"
            f" when inputs are perturbed {on_index}by {eps}, but got:"
            f" dtypes {a.dtype} and {b.dtype}."
        )


def _size(shape: tuple[int, ...]) -> Any:
    from ..tensor import Size

    return Size(shape)


def _directional(func: Callable[..., Any], inputs: Sequence[Any], idx: int, delta: Any, eps: float,
                 where: Any) -> list[np.ndarray | None]:
    """Central difference of every output along ``delta`` (an array, already scaled) of input ``idx``.

    The input's data is swapped for the perturbed arrays while ``func`` runs (PyTorch
    perturbs in place), and restored after, whatever happens.
    """
    t = inputs[idx]
    orig = t._data
    xp = _xp(orig)
    try:
        t._data = xp.asarray(orig - delta)  # asarray: NumPy gives a scalar for 0-d operands
        outa = _evaluate(func, inputs)
        t._data = xp.asarray(orig + delta)
        outb = _evaluate(func, inputs)
    finally:
        t._data = orig
    res: list[np.ndarray | None] = []
    for a, b in zip(outa, outb, strict=True):
        if a is None or b is None:
            res.append(None)
            continue
        _check_same(a, b, eps, where)
        res.append(((b - a) / (2 * eps)).reshape(-1))
    return res


def _numerical_jacobian(func: Callable[..., Any], inputs: Sequence[Any], idx: int, eps: float,
                        outs: tuple[Any, ...]) -> list[np.ndarray | None]:
    """Per output (None for a non-tensor), the numerical Jacobian w.r.t. input ``idx``: (in numel, out numel)."""
    t = inputs[idx]
    data = t._data
    xp = _xp(data)
    n = int(data.size)
    jac: list[np.ndarray | None] = [
        np.zeros((n, int(o._data.size)), dtype=o.dtype.np if o.dtype.is_floating_point else np.float64)
        if _is_tensor(o) else None
        for o in outs
    ]
    for k in range(n):
        delta = xp.zeros(n, dtype=data.dtype)
        delta[k] = eps
        delta = delta.reshape(data.shape)
        where = tuple(int(i) for i in np.unravel_index(k, data.shape)) if data.ndim else ()
        cols = _directional(func, inputs, idx, delta, eps, where)
        for o, col in enumerate(cols):
            j = jac[o]
            if j is not None and col is not None:
                j[k, :] = col
    return jac


def _analytical_rows(output: Any, diff_inputs: list[Any]) -> tuple[list[np.ndarray], bool, bool]:
    """Per differentiable input, the analytical Jacobian of ``output`` (in numel, out numel), one vjp per row.

    Also whether every gradient had its input's size, and its dtype.
    """
    n_out = int(output._data.size)
    jacs = [np.zeros((int(t._data.size), n_out), dtype=t.dtype.np) for t in diff_inputs]
    sizes_ok = True
    types_ok = True
    data = output._data
    xp = _xp(data)
    from ..tensor import wrap

    for j in range(n_out):
        e = xp.zeros(n_out, dtype=data.dtype)
        e[j] = 1
        go = wrap(e.reshape(data.shape), output.dtype, None)
        grads = _grad(output, diff_inputs, go, retain_graph=True, allow_unused=True)
        for i, (g, t) in enumerate(zip(grads, diff_inputs, strict=True)):
            if g is None:
                continue
            if tuple(g.shape) != tuple(t.shape):
                sizes_ok = False
                continue
            if g.dtype is not t.dtype:
                types_ok = False
            jacs[i][:, j] = _host(g._data).reshape(-1)
    return jacs, sizes_ok, types_ok


def _analytical_checked(output: Any, diff_inputs: list[Any], nondet_tol: float,
                        check_grad_dtypes: bool) -> list[np.ndarray]:
    """The analytical Jacobians, computed twice to check the backward is reentrant (as PyTorch)."""
    j1, sizes_ok, types_ok = _analytical_rows(output, diff_inputs)
    j2, _, _ = _analytical_rows(output, diff_inputs)
    reentrant = all(a.size == 0 or float(np.max(np.abs(a - b))) <= nondet_tol for a, b in zip(j1, j2, strict=True))
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with "
            "same input and grad_output multiple times gives different values, "
            "although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
        )
    return j1


def _allclose(a: np.ndarray, n: np.ndarray, rtol: float, atol: float) -> bool:
    dt = np.promote_types(a.dtype, n.dtype)
    return bool(np.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol))


def _notallclose_msg(analytical: Any, numerical: Any, output_idx: int, input_idx: int) -> str:
    return (
        f"Jacobian mismatch for output {output_idx:d} with respect to input {input_idx:d},\n"
        f"numerical:{numerical}\nanalytical:{analytical}\n"
    )


def _check_no_differentiable_outputs(func: Callable[..., Any], inputs: Sequence[Any], func_out: tuple[Any, ...],
                                     eps: float) -> None:
    for idx in _diff_input_indices(inputs):
        for jac in _numerical_jacobian(func, inputs, idx, eps, func_out):
            if jac is not None and np.any(jac != 0):
                raise GradcheckError("Numerical gradient for function expected to be zero")


# -- slow and fast mode ---------------------------------------------------------------------


def _slow_gradcheck(func: Callable[..., Any], func_out: tuple[Any, ...], inputs: Sequence[Any],
                    outputs: tuple[Any, ...], eps: float, rtol: float, atol: float, check_grad_dtypes: bool,
                    nondet_tol: float) -> None:
    if not outputs:
        _check_no_differentiable_outputs(func, inputs, func_out, eps)
        return
    diff_idx = _diff_input_indices(inputs)
    diff_inputs = [inputs[i] for i in diff_idx]
    out_positions = [k for k, o in enumerate(func_out) if _is_tensor(o) and o.requires_grad]
    # numerical[j][k]: input j (among the differentiable ones), output at position k of func_out
    numerical = [_numerical_jacobian(func, inputs, idx, eps, func_out) for idx in diff_idx]
    for i, o in enumerate(outputs):
        analytical = _analytical_checked(o, diff_inputs, nondet_tol, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][out_positions[i]]
            assert n is not None
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(
                    _notallclose_msg(_wrap_np(a, diff_inputs[j].dtype), _wrap_np(n, o.dtype), i, j)
                )


def _present(a: np.ndarray | None) -> np.ndarray:
    assert a is not None
    return a


def _unit_random(n: int, rng: np.random.Generator, dt: Any) -> np.ndarray:
    v = rng.random(n)
    norm = float(np.linalg.norm(v))
    return (v / norm if norm else v).astype(dt)


def _fast_gradcheck(func: Callable[..., Any], func_out: tuple[Any, ...], inputs: Sequence[Any],
                    outputs: tuple[Any, ...], eps: float, rtol: float, atol: float, check_grad_dtypes: bool,
                    nondet_tol: float) -> None:
    """PyTorch's fast mode: compare ``v^T (J u)`` (finite differences) with ``(v^T J) u`` (one vjp)."""
    from ..tensor import wrap

    rng = np.random.default_rng(0)  # its own generator: the user's random state is untouched
    diff_idx = _diff_input_indices(inputs)
    diff_inputs = [inputs[i] for i in diff_idx]
    all_u = [_unit_random(int(t._data.size), rng, t.dtype.np) for t in diff_inputs]
    all_v = [_unit_random(int(o._data.size), rng, o.dtype.np) for o in outputs]
    out_positions = [k for k, o in enumerate(func_out) if _is_tensor(o) and o.requires_grad]
    # numerical v^T J u, per input then output
    numerical: list[list[float]] = []
    for idx, t, u in zip(diff_idx, diff_inputs, all_u, strict=True):
        xp = _xp(t._data)
        delta = xp.asarray(u * eps).reshape(t._data.shape)
        ju = _directional(func, inputs, idx, delta, eps, None)
        if not outputs:
            if any(c is not None and np.any(c != 0) for c in ju):
                raise GradcheckError("Numerical gradient for function expected to be zero")
            continue
        numerical.append([float(np.dot(v, _present(ju[pos]))) for v, pos in zip(all_v, out_positions, strict=True)])
    if not outputs:
        return
    # analytical (v^T J) u, per output then input; twice, for reentrancy
    analytical: list[list[float]] = []
    for o, v in zip(outputs, all_v, strict=True):
        vt = wrap(_xp(o._data).asarray(v).reshape(o._data.shape), o.dtype, None)
        runs = []
        for _ in range(2):
            grads = _grad(o, diff_inputs, vt, retain_graph=True, allow_unused=True)
            run = []
            for g, t in zip(grads, diff_inputs, strict=True):
                if g is None:
                    run.append(np.zeros(int(t._data.size), t.dtype.np))
                    continue
                if tuple(g.shape) != tuple(t.shape):
                    raise GradcheckError("Analytical gradient has incorrect size")
                if check_grad_dtypes and g.dtype is not t.dtype:
                    raise GradcheckError("Gradient has dtype mismatch")
                run.append(_host(g._data).reshape(-1))
            runs.append(run)
        if any(a.size and float(np.max(np.abs(a - b))) > nondet_tol for a, b in zip(*runs, strict=True)):
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with "
                "same input and grad_output multiple times gives different values, "
                "although analytical gradient matches numerical gradient."
                f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
            )
        analytical.append([float(np.dot(vj, u)) for vj, u in zip(runs[0], all_u, strict=True)])
    for i, num_i in enumerate(numerical):  # i: input
        for j, n in enumerate(num_i):  # j: output
            a = analytical[j][i]
            adjusted = atol * float(all_u[i].sum()) * float(all_v[j].sum())
            if not _allclose(np.asarray(a), np.asarray(n), rtol, adjusted):
                raise GradcheckError(
                    _notallclose_msg(a, n, j, i) + _slow_mode_error(func, func_out, inputs, outputs, i, j,
                                                                    eps, rtol, atol)
                )


def _slow_mode_error(func: Callable[..., Any], func_out: tuple[Any, ...], inputs: Sequence[Any],
                     outputs: tuple[Any, ...], input_idx: int, output_idx: int, eps: float, rtol: float,
                     atol: float) -> str:
    """PyTorch's fast-mode epilogue: the full Jacobians of the failing pair, in slow mode."""
    diff_idx = _diff_input_indices(inputs)
    diff_inputs = [inputs[i] for i in diff_idx]
    out_positions = [k for k, o in enumerate(func_out) if _is_tensor(o) and o.requires_grad]
    numerical = _numerical_jacobian(func, inputs, diff_idx[input_idx], eps, func_out)[out_positions[output_idx]]
    assert numerical is not None
    analytical = _analytical_rows(outputs[output_idx], diff_inputs)[0][input_idx]
    max_diff = float(np.max(np.abs(numerical - analytical))) if numerical.size else 0.0
    o = outputs[output_idx]
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
        "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_wrap_np(numerical, o.dtype)}\n"
        f"Analytical:\n{_wrap_np(analytical, diff_inputs[input_idx].dtype)}\n\n"
        f"The max per-element difference (slow mode) is: {max_diff}.\n"
    )
    if _allclose(analytical, numerical, rtol, atol):
        msg += FAST_FAIL_SLOW_OK_MSG
    return msg


def _test_backward_mul_by_grad_output(outputs: tuple[Any, ...], inputs: Sequence[Any]) -> None:
    """All-zero output gradients must give all-zero (or no) input gradients, of the input's dtype and size."""
    from ..creation import zeros_like

    diff_inputs = [inputs[i] for i in _diff_input_indices(inputs)]
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")
    if not outputs:
        return
    grads = _grad(list(outputs), diff_inputs, [zeros_like(o) for o in outputs], allow_unused=True)
    for gi, di in zip(grads, diff_inputs, strict=True):
        if gi is None:
            continue
        if np.any(_host(gi._data) != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype is not di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.device != di.device:
            raise GradcheckError("grad is incorrect device")
        if tuple(gi.shape) != tuple(di.shape):
            raise GradcheckError("grad is incorrect size")


# -- public API --------------------------------------------------------------------------------


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """``torch.autograd.gradcheck``: analytical gradients of ``func`` against central finite differences.

    ``inputs``: a Tensor or a tuple (non-tensors are passed through); those requiring grad are
    checked, ideally float64. Returns True, or raises :class:`GradcheckError` (returns False
    with ``raise_exception=False``).
    """
    if not (check_forward_ad or check_backward_ad):
        raise _CheckAssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise _CheckAssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise _CheckAssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    if check_forward_ad or check_batched_forward_grad:
        raise UnsupportedError("gradcheck: the engine has no forward-mode AD (check_forward_ad=True)")
    if check_batched_grad:
        raise UnsupportedError("gradcheck: the engine has no vmap (check_batched_grad=True)")
    try:
        tupled_inputs = _as_tuple(inputs)
        _check_inputs(tupled_inputs)
        func_out = _as_tuple(func(*tupled_inputs))
        outputs = _differentiable_outputs(func_out)
        check = _fast_gradcheck if fast_mode else _slow_gradcheck
        check(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
        _test_backward_mul_by_grad_output(outputs, tupled_inputs)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """``torch.autograd.gradgradcheck``: second derivatives, by gradcheck of the first derivative.

    ``grad_outputs`` default to random values in [-1, 1) (from the engine's global generator,
    as PyTorch draws from its own), requiring grad; the checked function maps
    ``(*inputs, *grad_outputs)`` to the gradients of ``func`` with ``create_graph=True``.
    ``gen_non_contig_grad_outputs`` has no effect (engine arrays have no such layout).
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise _CheckAssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise _CheckAssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise _CheckAssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        from ..creation import rand_like

        outs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple((cast(Any, rand_like(o)) * 2 - 1).detach().requires_grad_() for o in outs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    new_func = _first_derivative(func, tupled_inputs, tupled_grad_outputs)
    return gradcheck(
        new_func,
        tupled_inputs + tupled_grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )


def _first_derivative(func: Callable[..., Any], tupled_inputs: tuple[Any, ...],
                      tupled_grad_outputs: tuple[Any, ...]) -> Callable[..., Any]:
    """PyTorch's ``new_func`` of gradgradcheck: (*inputs, *grad_outputs) -> the gradients, with the graph."""
    num_outputs = len(tupled_grad_outputs)
    diff_input_args_indices = {i for i, x in enumerate(tupled_inputs) if _is_tensor(x) and x.requires_grad}
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def new_func(*args: Any) -> tuple[Any, ...]:
        input_args = tuple(
            x.requires_grad_() if i in diff_input_args_indices else x for i, x in enumerate(args[:-num_outputs])
        )
        outputs = _differentiable_outputs(func(*input_args))
        grad_outputs = tuple(
            x.requires_grad_() if i in diff_grad_output_indices else x for i, x in enumerate(args[-num_outputs:])
        )
        diff_input_args = tuple(x for i, x in enumerate(input_args) if i in diff_input_args_indices)
        grad_inputs = _grad(outputs, diff_input_args, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return new_func


def gradient_report(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """Compare analytical and numerical derivatives of ``func`` and return the outcome as plain data.

    ``order=1`` checks first derivatives (as :func:`gradcheck`); ``order=2`` checks second
    derivatives (as :func:`gradgradcheck`): the function checked is then ``x -> grad(func(x), x,
    v, create_graph=True)`` with fixed random ``v`` in [-1, 1) from ``seed``, and only its
    derivatives with respect to the original inputs are reported.

    Returns ``{"passed": bool, "order": int, "eps", "atol", "rtol": float, "inputs": [...]}`` with
    one entry per input that requires grad, in order: ``{"index": position in inputs,
    "max_abs_error": float, "max_rel_error": float, "passed": bool}``, over every output. An
    input passes when ``|analytical - numerical| <= atol + rtol * |numerical|`` everywhere
    (PyTorch's allclose); ``max_rel_error`` is ``max |analytical - numerical| / max(|numerical|,
    atol)`` (finite for a zero derivative). A NaN difference counts as ``inf`` and fails. Nothing
    is raised for a mismatch; the inputs are left as they were. Errors in ``func`` itself
    propagate.
    """
    if order not in (1, 2):
        raise ValueError_(f"gradient_report: order must be 1 or 2, got {order}")
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs, warn=False)
    diff_idx = _diff_input_indices(tupled_inputs)
    check_func = func
    check_inputs: tuple[Any, ...] = tupled_inputs
    if order == 2:
        from ..tensor import wrap

        rng = np.random.default_rng(seed)
        outs = _differentiable_outputs(func(*tupled_inputs))
        gos = tuple(
            wrap(_xp(o._data).asarray(rng.uniform(-1.0, 1.0, o._data.shape).astype(o.dtype.np)), o.dtype, None)
            for o in outs
        )
        inner = _first_derivative(func, tupled_inputs, gos)
        check_func = lambda *xs: inner(*xs, *gos)  # noqa: E731 - grad_outputs fixed: not checked here
    func_out = _as_tuple(check_func(*check_inputs))
    outputs = _differentiable_outputs(func_out)
    out_positions = [k for k, o in enumerate(func_out) if _is_tensor(o) and o.requires_grad]
    diff_inputs = [check_inputs[i] for i in diff_idx]
    analytical = [_analytical_rows(o, diff_inputs)[0] for o in outputs]  # [output][input]
    report = []
    all_passed = True
    for j, idx in enumerate(diff_idx):
        numerical = _numerical_jacobian(check_func, check_inputs, idx, eps, func_out)
        max_abs = 0.0
        max_rel = 0.0
        passed = True
        pairs: list[tuple[np.ndarray, np.ndarray]] = []
        if outputs:
            for i, pos in enumerate(out_positions):
                n = numerical[pos]
                assert n is not None
                pairs.append((analytical[i][j], n))
        else:  # nothing differentiable: the numerical derivative must be zero
            pairs = [(np.zeros_like(n), n) for n in numerical if n is not None and n.dtype.kind == "f"]
        for a, n in pairs:
            if a.size == 0:
                continue
            a64 = a.astype(np.float64)
            n64 = n.astype(np.float64)
            diff = np.abs(a64 - n64)
            diff = np.where(np.isnan(diff), np.inf, diff)
            floor = atol if atol > 0 else np.finfo(np.float64).tiny
            rel = diff / np.maximum(np.abs(n64), floor)
            rel = np.where(np.isnan(rel), np.inf, rel)
            max_abs = max(max_abs, float(np.max(diff)))
            max_rel = max(max_rel, float(np.max(rel)))
            if not _allclose(a64, n64, rtol, atol):
                passed = False
        all_passed = all_passed and passed
        report.append({"index": idx, "max_abs_error": max_abs, "max_rel_error": max_rel, "passed": passed})
    return {
        "passed": bool(all_passed),
        "order": int(order),
        "eps": float(eps),
        "atol": float(atol),
        "rtol": float(rtol),
        "inputs": report,
    }
