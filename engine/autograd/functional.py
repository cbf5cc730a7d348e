"""``engine.autograd.functional``: PyTorch's ``torch.autograd.functional`` on the engine.

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp`` with PyTorch's signatures and
semantics: a single Tensor or a tuple of Tensors in, results shaped the same way (a tuple
iff the inputs were a tuple; a Jacobian of several outputs is a tuple, one entry per
output, of tuples, one per input); each Jacobian block has the shape ``out.shape +
in.shape``; ``strict=True`` raises PyTorch's errors where an output is independent of an
input; ``create_graph=True`` leaves the results in the graph (they require grad where they
depend on a tensor that does), otherwise they are detached.

Everything is built on :func:`engine.autograd.grad` and engine ops. There is no forward-mode
AD in the engine: ``jvp``, ``hvp`` and the ``"forward-mode"`` strategies use the double
backward trick (a vjp with a zero cotangent that requires grad, differentiated once more
with respect to that cotangent), exactly as PyTorch's ``jvp`` and ``hvp`` do; the values
agree with forward mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from ..errors import ArgumentError, AutogradError, EngineError, ShapeError, UnsupportedError
from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


class _StrategyError(EngineError, AssertionError):
    """PyTorch raises ``AssertionError`` for an unknown strategy; this is also an engine error."""


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


# -- helpers, as PyTorch's (same names, same behaviour) ------------------------------------


def _as_tuple(inp: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple[Any, ...]]:
    """Whether ``inp`` was a tuple, and it as a tuple of Tensors (PyTorch's TypeError otherwise)."""
    tensor = _tensor_cls()
    is_tuple = True
    if not isinstance(inp, tuple):
        inp = (inp,)
        is_tuple = False
    for i, el in enumerate(inp):
        if not isinstance(el, tensor):
            if is_tuple:
                raise ArgumentError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the"
                    f" value at index {i} has type {type(el)}."
                )
            raise ArgumentError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the"
                f" given {arg_name} has type {type(el)}."
            )
    return is_tuple, inp


def _tuple_postprocess(res: Any, to_unpack: bool | tuple[bool, bool]) -> Any:
    """Undo ``_as_tuple``: unwrap one (or, for a Jacobian, two) levels of 1-tuples."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: Sequence[Any], create_graph: bool, need_graph: bool) -> tuple[Any, ...]:
    """Fresh tensor objects for the inputs: differentiable views (create_graph) or detached leaves.

    A new object always, so that the inputs given as arguments can be told from the same
    tensors captured by ``func`` (PyTorch's issue 32576).
    """
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view(tuple(inp.shape)))  # PyTorch's inp.view_as(inp)
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs: Any, create_graph: bool) -> Any:
    """Detach the results unless the caller asked for the graph (nested tuples too)."""
    if isinstance(inputs[0], _tensor_cls()):
        if not create_graph:
            return tuple(inp.detach() for inp in inputs)
        return inputs
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v: Sequence[Any], other: Sequence[Any], is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise AutogradError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise AutogradError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other, strict=True)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise ShapeError(f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}.")


def _check_requires_grad(inputs: Sequence[Any], input_type: str, strict: bool) -> None:
    """In strict mode, PyTorch's errors for results that do not require grad."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:  # only for grad_inputs
            raise AutogradError(
                f"The output of the user-provided function is independent of input {i}."
                " This is not allowed in strict mode."
            )
        if not inp.requires_grad:
            if input_type == "hessian":
                raise AutogradError(
                    f"The hessian of the user-provided function with respect to input {i}"
                    " is independent of the input. This is not allowed in strict mode."
                    " You should ensure that your function is thrice differentiable and that"
                    " the hessian depends on the inputs."
                )
            if input_type == "jacobian":
                raise AutogradError(
                    "While computing the hessian, found that the jacobian of the user-provided"
                    f" function with respect to input {i} is independent of the input. This is not"
                    " allowed in strict mode. You should ensure that your function is twice"
                    " differentiable and that the jacobian depends on the inputs (this would be"
                    " violated by a linear function for example)."
                )
            if input_type == "grad_inputs":
                raise AutogradError(
                    f"The gradient with respect to input {i} is independent of the inputs of the"
                    " user-provided function. This is not allowed in strict mode."
                )
            raise AutogradError(
                f"Output {i} of the user-provided function does not require gradients."
                " The outputs must be computed in a differentiable manner from the input"
                " when running in strict mode."
            )


def _autograd_grad(
    outputs: tuple[Any, ...],
    inputs: tuple[Any, ...],
    grad_outputs: tuple[Any, ...] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> tuple[Any, ...]:
    """``autograd.grad`` that skips outputs that are None or do not require grad (None for unused inputs)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs = []
    new_grad_outputs = []
    for out, grad_out in zip(outputs, grad_outputs, strict=True):
        if out is not None and out.requires_grad:
            new_outputs.append(out)
            new_grad_outputs.append(grad_out)
    if not new_outputs:
        return (None,) * len(inputs)
    return tuple(
        _grad(
            new_outputs,
            inputs,
            new_grad_outputs,
            allow_unused=True,
            create_graph=create_graph,
            retain_graph=retain_graph,
        )
    )


_STAGE_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in "
    "strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
    "using the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
    "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
    "grad_jacobian. This is not allowed in strict mode as it prevents from using the double backward trick to "
    "replace forward mode AD.",
}


def _fill_in_zeros(grads: Sequence[Any], refs: Sequence[Any], strict: bool, create_graph: bool,
                   stage: str) -> tuple[Any, ...]:
    """Replace None by zeros shaped as ``refs`` (strict: PyTorch's error for that stage instead)."""
    from ..creation import zeros_like

    res = []
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                raise AutogradError(_STAGE_MESSAGES[stage].format(i=i))
            grads_i = zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise AutogradError(
                f"The {what} of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode when create_graph=True."
            )
        res.append(grads_i)
    return tuple(res)


def _single_output(outputs: tuple[Any, ...], is_outputs_tuple: bool, fn_name: str) -> None:
    if is_outputs_tuple or not isinstance(outputs[0], _tensor_cls()):
        raise AutogradError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise AutogradError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def _prepare_v(v: Any, against: tuple[Any, ...], is_against_tuple: bool, fn_name: str, create_graph: bool,
               none_message: str) -> tuple[Any, ...] | None:
    if v is not None:
        _, vt = _as_tuple(v, "v", fn_name)
        vt = _grad_preprocess(vt, create_graph=create_graph, need_graph=False)
        _validate_v(vt, against, is_against_tuple)
        return vt
    if len(against) != 1 or against[0].nelement() != 1:
        raise AutogradError(none_message)
    return None


# -- public API ----------------------------------------------------------------------------


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``torch.autograd.functional.vjp``: ``(func(inputs), v^T J)``, the latter shaped as the inputs.

    ``v`` may be omitted when ``func`` returns a single one-element Tensor.
    """
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        vt = _prepare_v(
            v, outputs, is_outputs_tuple, "vjp", create_graph,
            "The vector v can only be None if the user-provided function returns a single Tensor with a single "
            "element.",
        )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, ins, vt, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, ins, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)


def _jvp_setup(func: Callable[..., Any], ins: tuple[Any, ...], strict: bool, fn_name: str
               ) -> tuple[bool, tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """The double backward trick's first half: outputs, zero cotangents (requiring grad), and J^T u.

    Runs under ``enable_grad``; ``ins`` are already preprocessed.
    """
    from ..creation import zeros_like

    is_outputs_tuple, outputs = _as_tuple(func(*ins), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    # the backward is linear in the cotangent, so its value does not matter (zeros: no inf/nan)
    grad_outputs = tuple(zeros_like(out, requires_grad=True) for out in outputs)
    grad_inputs = _autograd_grad(outputs, ins, grad_outputs, create_graph=True)
    _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    return is_outputs_tuple, outputs, grad_outputs, grad_inputs


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``torch.autograd.functional.jvp``: ``(func(inputs), J v)``, the latter shaped as the outputs.

    Computed with the double backward trick, as PyTorch does. ``v`` may be omitted when the
    input is a single one-element Tensor.
    """
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        vt = _prepare_v(
            v, ins, is_inputs_tuple, "jvp", create_graph,
            "The vector v can only be None if the input to the user-provided function is a single Tensor with "
            "a single element.",
        )
        is_outputs_tuple, outputs, grad_outputs, grad_inputs = _jvp_setup(func, ins, strict, "jvp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, vt, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_outputs_tuple)


def _basis(t: Any, j: int) -> Any:
    """A tensor shaped and typed as ``t``, one at flat index ``j``, zeros elsewhere."""
    from ..tensor import wrap

    data = t._data
    xp = np if type(data) is np.ndarray else _module_of(data)
    e = xp.zeros(data.size, dtype=data.dtype)
    e[j] = 1
    return wrap(e.reshape(data.shape), t.dtype, None)


def _module_of(data: Any) -> Any:
    from ..backend import module_of

    return module_of(data)


def _reverse_jacobian(outputs: tuple[Any, ...], ins: tuple[Any, ...], create_graph: bool,
                      strict: bool) -> tuple[tuple[Any, ...], ...]:
    """One vjp per output element (one Jacobian row), stacked into blocks ``out.shape + in.shape``."""
    from ..creation import zeros, zeros_like
    from ..ops.registry import REGISTRY, call

    stack = REGISTRY["stack"]
    jacobian: list[tuple[Any, ...]] = []
    for i, out in enumerate(outputs):
        rows: tuple[list[Any], ...] = tuple([] for _ in ins)
        n = out.nelement()
        for j in range(n):
            # the j-th row: a one-hot cotangent (PyTorch differentiates out.reshape(-1)[j]; same values)
            vj = _autograd_grad((out,), ins, (_basis(out, j),), retain_graph=True, create_graph=create_graph)
            for el_idx, (row, vj_el, inp_el) in enumerate(zip(rows, vj, ins, strict=True)):
                if vj_el is not None:
                    if strict and create_graph and not vj_el.requires_grad:
                        raise AutogradError(
                            "The jacobian of the user-provided function is "
                            f"independent of input {i}. This is not allowed in "
                            "strict mode when create_graph=True."
                        )
                    row.append(vj_el)
                else:
                    if strict:
                        raise AutogradError(
                            f"Output {i} of the user-provided function is "
                            f"independent of input {el_idx}. This is not allowed in "
                            "strict mode."
                        )
                    row.append(zeros_like(inp_el))
        blocks = []
        for el_idx, row in enumerate(rows):
            shape = tuple(out.shape) + tuple(ins[el_idx].shape)
            if not row:  # an empty output: PyTorch's stack would refuse; the empty block is the answer
                blocks.append(zeros(shape, dtype=ins[el_idx].dtype))
            else:
                blocks.append(cast(Any, call(stack, (row,), {"dim": 0})).view(shape))
        jacobian.append(tuple(blocks))
    return tuple(jacobian)


def _forward_jacobian(func: Callable[..., Any], inputs: Any) -> Any:
    """The ``"forward-mode"`` Jacobian: one jvp per input element (one column), by the double backward trick.

    Blocks have the output's dtype, as PyTorch's forward mode gives; they never require grad.
    """
    from ..tensor import wrap

    is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        ins_g = _grad_preprocess(ins, create_graph=False, need_graph=True)
        is_outputs_tuple, outputs, grad_outputs, grad_inputs = _jvp_setup(func, ins_g, False, "jacobian")
    cols: list[list[Any]] = [[] for _ in outputs]  # per output: per flat input element, J e_k as an array
    for inp_idx, inp in enumerate(ins_g):
        for k in range(inp.nelement()):
            v = tuple(_basis(t, k) if m == inp_idx else None for m, t in enumerate(ins_g))
            pairs = [(g, vv) for g, vv in zip(grad_inputs, v, strict=True) if vv is not None]
            res = _autograd_grad(tuple(p[0] for p in pairs), grad_outputs, tuple(p[1] for p in pairs),
                                 retain_graph=True)
            for o, (r, out) in enumerate(zip(res, outputs, strict=True)):
                cols[o].append(np.zeros(out.shape, out.dtype.np) if r is None else r._data)
    jac = []
    for o, out in enumerate(outputs):
        blocks = []
        start = 0
        for inp in ins_g:
            n = inp.nelement()
            chunk = cols[o][start:start + n]
            start += n
            arr = np.stack(chunk, axis=-1) if chunk else np.zeros((*out.shape, 0), out.dtype.np)
            blocks.append(wrap(arr.reshape(tuple(out.shape) + tuple(inp.shape)), out.dtype, None))
        jac.append(tuple(blocks))
    return _tuple_postprocess(tuple(jac), (is_outputs_tuple, is_inputs_tuple))


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """``torch.autograd.functional.jacobian``: the Jacobian of ``func`` at ``inputs``.

    A Tensor for one input and one output; a tuple when one of them is a tuple; a tuple
    (per output) of tuples (per input) when both are. Block ``[i][j]`` has the shape
    ``outputs[i].shape + inputs[j].shape`` and the dtype of input ``j`` (of output ``i``
    with ``strategy="forward-mode"``).

    ``vectorize=True`` is accepted with PyTorch's checks (``strict=True`` is refused with
    it), but the engine has no batched backward (vmap): the rows are computed by the same
    loop, one vjp per output element, and the results are the same.
    ``strategy="forward-mode"`` (which PyTorch only has with ``vectorize=True``) computes
    one jvp per input element, by the double backward trick.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise _StrategyError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise UnsupportedError(
                "torch.autograd.functional.jacobian: `create_graph=True` "
                'and `strategy="forward-mode"` are not supported together (yet). '
                "Please either set `create_graph=False` or "
                '`strategy="reverse-mode"`.'
            )
        if strict:
            raise AutogradError(
                "torch.autograd.functional.jacobian: `strict=True` "
                'and `strategy="forward-mode"` are not supported together (yet). '
                "Please either set `strict=False` or "
                '`strategy="reverse-mode"`.'
            )
        _as_tuple(inputs, "inputs", "jacobian")
        if not vectorize:
            raise UnsupportedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
        return _forward_jacobian(func, inputs)

    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*ins), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise AutogradError(
                "torch.autograd.functional.jacobian: `strict=True` "
                "and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or "
                "`vectorize=False`."
            )
        jac = _reverse_jacobian(outputs, ins, create_graph, strict)
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """``torch.autograd.functional.hessian``: the Hessian of a scalar ``func`` at ``inputs``.

    A Tensor for one input; a tuple of tuples for a tuple of inputs, where ``[i][j]`` has
    the shape ``inputs[i].shape + inputs[j].shape``. Computed as the Jacobian of the
    (differentiable) Jacobian, as PyTorch does; ``vectorize`` as in :func:`jacobian`.
    """
    is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise _StrategyError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp: Any) -> Any:
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, _tensor_cls()):
            raise AutogradError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise AutogradError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def jac_func(*inp: Any) -> Any:
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, ins, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``torch.autograd.functional.vhp``: ``(func(inputs), v^T H)`` for a scalar ``func``."""
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "vhp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        vt = _prepare_v(
            v, ins, is_inputs_tuple, "vhp", create_graph,
            "The vector v can only be None if the input to the user-provided function is a single Tensor with "
            "a single element.",
        )
        is_outputs_tuple, outputs = _as_tuple(func(*ins), "outputs of the user-provided function", "vhp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        _single_output(outputs, is_outputs_tuple, "vhp")
        jac = _autograd_grad(outputs, ins, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, ins, vt, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, ins, strict, create_graph, "double_back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``torch.autograd.functional.hvp``: ``(func(inputs), H v)`` for a scalar ``func``.

    By the double backward trick, as PyTorch does (for a twice continuously differentiable
    function it equals :func:`vhp`, which is cheaper).
    """
    from ..creation import zeros_like

    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "hvp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        vt = _prepare_v(
            v, ins, is_inputs_tuple, "hvp", create_graph,
            "The vector v can only be None if the input to the user-provided function is a single Tensor with "
            "a single element.",
        )
        is_outputs_tuple, outputs = _as_tuple(func(*ins), "outputs of the user-provided function", "hvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        _single_output(outputs, is_outputs_tuple, "hvp")
        jac = _autograd_grad(outputs, ins, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        grad_jac = tuple(zeros_like(inp, requires_grad=True) for inp in ins)
        double_back = _autograd_grad(jac, ins, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)  # (sic) PyTorch checks jac again here
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, vt, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, ins, strict, create_graph, "double_back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)
