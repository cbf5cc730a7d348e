"""Losses and ``linear``: mse_loss, l1_loss, binary_cross_entropy, nll_loss, cross_entropy, linear.

Each is one entry whose forward is vectorised on ``xp`` and whose derivatives are
written with engine ops (so second derivatives work). Where PyTorch builds a loss
from several ops (``l1_loss``, weighted ``mse_loss``, ``cross_entropy``), the entry's
``grad_fn`` is the name of the node PyTorch's composite ends with, and its
derivatives are those of the composite. Argument checks, warnings and error words
are PyTorch's; integer targets are inputs without a gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._warnings import warn as _warn
from ..autograd.grad_mode import STATE
from ..dtypes import promote_types
from ..errors import (
    ArgumentRuntimeError,
    AutogradError,
    DTypeError,
    DTypeNotImplementedError,
    IndexError_,
    ShapeError,
    ValueError_,
)
from ._helpers import broadcast_shapes, normalize_dim, sum_to
from .activations import _softmax_dtype
from .registry import REGISTRY, call, defop
from .shape import expand_shape

Shape = tuple[int, ...]
EPSILON = 1e-12  # PyTorch's eps in binary_cross_entropy's second derivatives
KERNEL_EPSILON = float(np.float32(1e-12))  # its clamp of x * (1 - x) in the gradient: a C++ float


def _op(name: str, *args: Any, **kwargs: Any) -> Any:
    return call(REGISTRY[name], args, kwargs)


def _size(shape: Any) -> str:
    return f"torch.Size([{', '.join(str(int(s)) for s in shape)}])"


def _list(shape: Any) -> str:
    return f"[{', '.join(str(int(s)) for s in shape)}]"


# -- reduction --------------------------------------------------------------------------

def reduction_of(p: dict[str, Any], warn: bool = False, weighted: bool = False) -> str:
    """'none', 'mean' or 'sum' from ``reduction`` and the legacy ``size_average``/``reduce``.

    ``warn`` (the dtype rules, which run once per call) emits PyTorch's deprecation warnings;
    ``weighted``: PyTorch's weighted mse/l1 path, which words a bad reduction differently.
    """
    size_average, reduce = p.get("size_average"), p.get("reduce")
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        ret = "mean" if size_average and reduce else "sum" if reduce else "none"
        if warn:
            _warn(
                f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
            )
        return ret
    r = p["reduction"]
    if weighted:
        if r not in ("none", "mean", "sum"):
            raise ValueError_(f"Invalid reduction mode: {r}. Expected one of 'none', 'mean', 'sum'.")
        return str(r)
    if r == "elementwise_mean":
        if warn:
            _warn(
                "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            )
        return "mean"
    if r not in ("none", "mean", "sum"):
        raise ValueError_(f"{r} is not a valid value for reduction")
    return str(r)


def _reduce(xp: Any, loss: Any, reduction: str) -> Any:
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    return total if reduction == "sum" else total / loss.size


def _not_differentiable(fn: str, weight: Any) -> None:
    if weight is not None and getattr(weight, "requires_grad", False) and STATE.grad_enabled:
        raise AutogradError(
            f"The function '{fn}' is not differentiable with respect to argument 'weight'. "
            "This input cannot have requires_grad True."
        )


def _floating(kernel: str, d: Any) -> None:
    if not d.is_floating_point:
        raise DTypeNotImplementedError(f'"{kernel}" not implemented for \'{d._short}\'')


# -- mse_loss / l1_loss ----------------------------------------------------------------------
# PyTorch's signature ends with ``weight``; the engine's tensor inputs lead the signature,
# so ``weight`` is the third parameter here (pass it by name, as PyTorch's callers do).

def _pointwise_shape(s: Shape, t: Shape, w: Shape | None = None, **p: Any) -> Shape:
    out = broadcast_shapes(s, t)
    if w is not None:
        if tuple(w) != tuple(s):
            raise ValueError_("Weights and input must have the same size.")
        out = broadcast_shapes(out, w)
    red = reduction_of(p, weighted=w is not None)
    return out if red == "none" else ()


def _pointwise_dtype(kernel: str, l1: bool) -> Any:
    def rule(x: Any, t: Any, w: Any = None, **p: Any) -> Any:
        if tuple(t.shape) != tuple(x.shape):
            _warn(
                f"Using a target size ({_size(t.shape)}) that is different to the input size ({_size(x.shape)}). "
                "This will likely lead to incorrect results due to broadcasting. "
                "Please ensure they have the same size.",
            )
        red = reduction_of(p, warn=True, weighted=w is not None)
        _pointwise_shape(x.shape, t.shape, None if w is None else w.shape, **p)
        # PyTorch broadcasts input and target (and weight) first: a 0-d one then ranks as dimensioned
        d = promote_types(x.dtype, t.dtype) if w is None else promote_types(promote_types(x.dtype, t.dtype), w.dtype)
        if w is None and not l1:
            _floating(kernel, d)
        if l1 and red == "mean" and w is None and not d.is_floating_point:
            raise DTypeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating point or "
                f"complex dtype. Got: {d._short}"
            )
        return d, d

    return rule


def _pointwise(l1: bool) -> Any:
    def forward(xp: Any, input: Any, target: Any, weight: Any = None, size_average: Any = None,
                reduce: Any = None, reduction: str = "mean") -> Any:
        p = {"size_average": size_average, "reduce": reduce, "reduction": reduction}
        red = reduction_of(p, weighted=weight is not None)
        d = input - target
        loss = xp.abs(d) if l1 else d * d
        if weight is None:
            return _reduce(xp, loss, red)
        loss = loss * weight
        if red != "mean":
            return _reduce(xp, loss, red)
        return xp.sum(loss) / xp.sum(weight)

    return forward


def _pointwise_grads(l1: bool) -> tuple[Any, Any, Any]:
    def d_loss(x: Any, t: Any) -> Any:
        d = x - t
        return _op("sign", d) if l1 else 2.0 * d

    def scale(g: Any, x: Any, t: Any, w: Any, p: dict[str, Any]) -> Any:
        red = reduction_of(p, weighted=w is not None)
        if w is not None:
            g = g * w
            return g / w.sum() if red == "mean" else g
        if red == "mean":
            n = math.prod(broadcast_shapes(x.shape, t.shape))
            return g / n if n else g * math.nan
        return g

    def grad_input(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
        return scale(g, x, t, w, p) * d_loss(x, t)

    def grad_target(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
        return -(scale(g, x, t, w, p) * d_loss(x, t))

    def grad_weight(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
        d = x - t
        loss = _op("abs", d) if l1 else d * d
        if reduction_of(p, weighted=True) != "mean":
            return g * loss
        # out = sum(w * loss) / sum(w): d/dw = (sum of loss over what w broadcast to - out) / sum(w)
        sw = w.sum()
        return sum_to(g * loss / sw, tuple(w.shape)) - g * out_of(x, t, w, loss) / sw

    def out_of(x: Any, t: Any, w: Any, loss: Any) -> Any:
        return (loss * w).sum() / w.sum()

    return grad_input, grad_target, grad_weight


def _pointwise_name(l1: bool) -> Any:
    def name(x: Any, t: Any, w: Any = None, **p: Any) -> str:
        red = reduction_of(p, weighted=w is not None)
        if w is not None:
            return {"none": "MulBackward0", "sum": "SumBackward0", "mean": "DivBackward0"}[red]
        if not l1:
            return "MseLossBackward0"
        return {"none": "AbsBackward0", "sum": "SumBackward0", "mean": "MeanBackward0"}[red]

    return name


for _l1, _name in ((False, "mse_loss"), (True, "l1_loss")):
    defop(
        name=_name, python_function=True, forward=_pointwise(_l1), inputs=("input", "target", "weight"),
        namespace="functional",
        shape=_pointwise_shape, dtype=_pointwise_dtype("mse_cpu", _l1), saves="inputs",
        vjp=_pointwise_grads(_l1), grad_fn=_pointwise_name(_l1),
        order=("input", "target", "size_average", "reduce", "reduction", "weight"),
        doc=("Mean squared error" if not _l1 else "Mean absolute error")
        + " between input and target (broadcast, with a warning), reduced; optionally weighted per element.",
    )


# -- binary_cross_entropy ---------------------------------------------------------------------

def _torch_broadcast_shapes(*shapes: Shape) -> Shape:
    """``torch.broadcast_shapes`` (the Python one), with its error words."""
    result = [1] * max((len(s) for s in shapes), default=0)
    for idx, shape in enumerate(shapes):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] == 1 or shape[i] == result[i]:
                continue
            if result[i] != 1:
                raise ShapeError(
                    f"Attempting to broadcast a dimension of length {shape[i]} at {i}! Mismatching argument at "
                    f"index {idx} had {_size(shape)}; but expected shape should be broadcastable to {_list(result)}"
                )
            result[i] = shape[i]
    return tuple(result)


def _bce_shape(s: Shape, t: Shape, w: Shape | None = None, **p: Any) -> Shape:
    red = reduction_of(p)
    if tuple(t) != tuple(s):
        raise ValueError_(
            f"Using a target size ({_size(t)}) that is different to the input size ({_size(s)}) is deprecated. "
            "Please ensure they have the same size."
        )
    if w is not None:
        wb = _torch_broadcast_shapes(tuple(t), tuple(w))
        if broadcast_shapes(tuple(s), wb) != tuple(s):
            raise ShapeError(f"output with shape {_list(s)} doesn't match the broadcast shape {_list(wb)}")
    return tuple(s) if red == "none" else ()


def _bce_dtype(x: Any, t: Any, w: Any = None, **p: Any) -> Any:
    reduction_of(p, warn=True)
    _bce_shape(x.shape, t.shape, None if w is None else w.shape, **p)
    _floating("binary_cross_entropy", x.dtype)
    if t.dtype is not x.dtype:
        raise DTypeError(f"Found dtype {t.dtype._short} but expected {x.dtype._short}")
    _not_differentiable("binary_cross_entropy", w)
    return None, x.dtype


def _bce(xp: Any, input: Any, target: Any, weight: Any = None, size_average: Any = None,
         reduce: Any = None, reduction: str = "mean") -> Any:
    red = reduction_of({"size_average": size_average, "reduce": reduce, "reduction": reduction})
    if not bool(xp.all((input >= 0) & (input <= 1))):
        raise ArgumentRuntimeError("all elements of input should be between 0 and 1")
    if not bool(xp.all((target >= 0) & (target <= 1))):
        raise ArgumentRuntimeError("all elements of target should be between 0 and 1")
    loss = (target - 1) * xp.maximum(xp.log1p(-input), -100) - target * xp.maximum(xp.log(input), -100)
    if weight is not None:
        loss = loss * weight.astype(input.dtype)
    return _reduce(xp, loss.astype(input.dtype), red)


def _bce_scale(g: Any, x: Any, w: Any, p: dict[str, Any]) -> Any:
    if w is not None:
        g = g * (w if w.dtype is x.dtype else w.to(x.dtype))
    if reduction_of(p) == "mean":
        n = math.prod(x.shape)
        g = g / n if n else g * math.nan
    return g


def _bce_backward(xp: Any, grad_output: Any, self: Any, target: Any, weight: Any = None, *,
                  reduction: str = "mean") -> Any:
    """binary_cross_entropy's gradient as PyTorch's kernel computes it:
    grad * (x - t) / max((1 - x) * x, KERNEL_EPSILON), times the weight, over the count for 'mean'."""
    one = self.dtype.type(1)
    out = grad_output * (self - target) / xp.maximum((one - self) * self, self.dtype.type(KERNEL_EPSILON))
    if weight is not None:
        out = out * weight.astype(self.dtype)
    if reduction == "mean":
        out = out / self.dtype.type(self.size) if self.size else out * self.dtype.type(math.nan)
    return xp.broadcast_to(out, self.shape).astype(self.dtype)


def _bce_double_scale(v: Any, x: Any, w: Any, red: str) -> Any:
    if w is not None:
        v = v * (w if w.dtype is x.dtype else w.to(x.dtype))
    if red == "mean":
        n = math.prod(x.shape)
        v = v / n if n else v * math.nan
    return v


def _bce_backward_grad_grad_output(h: Any, out: Any, g: Any, x: Any, t: Any, w: Any, reduction: str) -> Any:
    # PyTorch's binary_cross_entropy_double_backward_grad_output (its eps of 1e-12, not a clamp)
    ggo = _bce_double_scale((x - t) / ((x + EPSILON) * (1.0 - x + EPSILON)) * h, x, w, "sum")
    return ggo if reduction == "none" else _bce_double_scale(ggo.sum(), x, None, reduction)


def _bce_backward_grad_self(h: Any, out: Any, g: Any, x: Any, t: Any, w: Any, reduction: str) -> Any:
    # PyTorch's binary_cross_entropy_double_backward
    curvature = (x * x - 2.0 * x * t + t) / (((x + EPSILON) ** 2) * ((1.0 - x + EPSILON) ** 2))
    return _bce_double_scale(curvature * (h * g), x, w, reduction)


def _bce_backward_grad_target(h: Any, out: Any, g: Any, x: Any, t: Any, w: Any, reduction: str) -> Any:
    # PyTorch's binary_cross_entropy_double_backward_target
    return _bce_double_scale(-(h * g), x, w, reduction) / _op("clamp", (1.0 - x) * x, min=EPSILON)


# binary_cross_entropy's derivative is an op of its own (PyTorch's binary_cross_entropy_backward), so
# that its own derivatives are PyTorch's formulas (their eps of 1e-12), not those of a clamp
_BCE_BACKWARD = defop(
    name="_binary_cross_entropy_backward", forward=_bce_backward,
    inputs=("grad_output", "self", "target", "weight"), namespace="tensor",
    shape=lambda g, s, *_, **__: tuple(s), dtype=lambda g, s, *_, **__: (None, s.dtype),
    vjp=(_bce_backward_grad_grad_output, _bce_backward_grad_self, _bce_backward_grad_target, None),
    grad_fn="BinaryCrossEntropyBackwardBackward0", doc="Private: binary_cross_entropy's gradient for its input.",
)


def _bce_grad_input(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
    return call(_BCE_BACKWARD, (g, x, t, w), {"reduction": reduction_of(p)})


def _bce_grad_target(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
    # PyTorch: -logit(x) * grad
    return _bce_scale(g, x, w, p) * (_op("log1p", -x) - _op("log", x))


defop(
    name="binary_cross_entropy", python_function=True, forward=_bce, inputs=("input", "target", "weight"),
    namespace="functional",
    shape=_bce_shape, dtype=_bce_dtype, saves="inputs",
    vjp=(_bce_grad_input, _bce_grad_target, None), grad_fn="BinaryCrossEntropyBackward0",
    doc="-w * (target * log(input) + (1 - target) * log(1 - input)), logs clamped to >= -100; reduced.",
    domain="prob",
)


# -- nll_loss / cross_entropy -------------------------------------------------------------------

def _class_dim(ndim: int) -> int:
    return 0 if ndim == 1 else 1


def _nll_nd_check(s: Shape, t: Shape, w: Shape | None) -> None:
    """``nll_loss_nd``'s checks on shapes, in PyTorch's order."""
    nd = len(s)
    if nd < 1:
        raise ValueError_(f"Expected 1 or more dimensions (got {nd})")
    if nd == 1 and len(t) == 1 and t[0] != 1:
        raise ValueError_(f"For 1D input, 1D target must have size 1, but got target size: {t[0]}")
    if nd != 1 and s[0] != (t[0] if t else 0):
        raise ValueError_(f"Expected input batch_size ({s[0]}) to match target batch_size ({t[0] if t else 0}).")
    if nd <= 2:
        if len(t) > 1:
            raise ShapeError("0D or 1D target tensor expected, multi-target not supported")
        c = s[-1]
        if w is not None and (len(w) != 1 or w[0] != c):
            raise ShapeError(
                f"weight tensor should be defined either for all {c} classes or no classes "
                f"but got weight tensor of shape: {_list(w)}"
            )
        return
    if nd == 4:
        if len(t) != 3:
            raise ShapeError(
                f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {len(t)}"
            )
    elif tuple(t[1:]) != tuple(s[2:]):
        raise ShapeError(f"Expected target size {_list((s[0], *s[2:]))}, got {_list(t)}")
    if w is not None and math.prod(w) != s[1]:
        raise ShapeError("weight tensor should be defined either for all or no classes")
    if nd == 4 and (s[0] != t[0] or s[2] != t[1] or s[3] != t[2]):
        raise ShapeError(f"size mismatch (got input: {_list(s)} , target: {_list(t)}")


def _nll_out_shape(s: Shape, red: str) -> Shape:
    if red != "none" or len(s) == 1:
        return ()
    return (s[0], *s[2:])


def _nll_shape(s: Shape, t: Shape, w: Shape | None = None, **p: Any) -> Shape:
    red = reduction_of(p)
    _nll_nd_check(tuple(s), tuple(t), None if w is None else tuple(w))
    return _nll_out_shape(tuple(s), red)


def _nll_kernel(ndim: int) -> str:
    return "nll_loss" if ndim <= 2 else "nll_loss2d"


def _check_target_dtype(t: Any) -> None:
    if t.dtype.name != "int64":
        raise DTypeError(f"expected target dtype to be Long or Byte, but got {t.dtype._short}")


def _check_weight_dtype(x_dtype: Any, w: Any) -> None:
    if w is not None and w.dtype is not x_dtype:
        raise DTypeError(f"expected scalar type {x_dtype._short} but found {w.dtype._short}")


def _nll_dtype(x: Any, t: Any, w: Any = None, **p: Any) -> Any:
    reduction_of(p, warn=True)
    _nll_shape(x.shape, t.shape, None if w is None else w.shape, **p)
    _check_target_dtype(t)
    nd = len(x.shape)
    _floating("nll_loss_out_frame" if nd <= 2 else "nll_loss2d_forward_out_frame", x.dtype)
    _check_weight_dtype(x.dtype, w)
    _not_differentiable(f"{_nll_kernel(nd)}_forward", w)
    return None, x.dtype


def _targets(xp: Any, target: Any, shape: Shape, ignore_index: int) -> tuple[Any, Any]:
    """The class index per sample (in the input's shape less its class dim; ignored ones 0), and the mask."""
    cd = _class_dim(len(shape))
    t = target.reshape(shape[:cd] + shape[cd + 1 :])
    valid = t != ignore_index
    c = shape[cd]
    bad = valid & ((t < 0) | (t >= c))
    if bool(xp.any(bad)):
        first = int(t.reshape(-1)[int(xp.argmax(bad.reshape(-1)))])
        raise IndexError_(f"Target {first} is out of bounds.")
    return xp.where(valid, t, 0), valid


def _nll_parts(xp: Any, input: Any, target: Any, weight: Any, ignore_index: int) -> tuple[Any, Any]:
    """Per sample: -w[t] * input[t] (0 where ignored) and w[t] (0 where ignored)."""
    cd = _class_dim(input.ndim)
    safe, valid = _targets(xp, target, input.shape, ignore_index)
    picked = xp.take_along_axis(input, xp.expand_dims(safe, cd), axis=cd).squeeze(cd) if input.size else (
        xp.zeros(safe.shape, input.dtype)
    )
    wt = xp.ones(safe.shape, input.dtype) if weight is None else weight.reshape(-1).astype(input.dtype)[safe]
    wt = xp.where(valid, wt, 0).astype(input.dtype)
    return xp.where(valid, -(wt * picked), 0).astype(input.dtype), wt


def _nll_forward(xp: Any, input: Any, target: Any, weight: Any, red: str, ignore_index: int) -> Any:
    loss, wt = _nll_parts(xp, input, target, weight, ignore_index)
    if red == "none":
        return loss
    total = xp.sum(loss)
    if red == "sum":
        return total
    return total / xp.sum(wt)


def _nll(xp: Any, input: Any, target: Any, weight: Any = None, size_average: Any = None,
         ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Any:
    red = reduction_of({"size_average": size_average, "reduce": reduce, "reduction": reduction})
    return _nll_forward(xp, input, target, weight, red, ignore_index)


# Q: per (sample, class), the weight of -log p in the loss (in the input's shape); constant in the input.
def _class_weights(xp: Any, target: Any, weight: Any = None, *, shape: Shape = (), ignore_index: int = -100,
                   label_smoothing: float = 0.0, dtype: Any = None) -> Any:
    nd = len(shape)
    cd = _class_dim(nd)
    c = shape[cd]
    out_dtype = np.dtype(dtype.np) if dtype is not None else np.float64
    safe, valid = _targets(xp, target, shape, ignore_index)
    classes = xp.arange(c).reshape((c,) + (1,) * (nd - cd - 1))
    w = xp.ones(c, out_dtype) if weight is None else weight.reshape(-1).astype(out_dtype)
    wt = xp.where(valid, w[safe] if c else 0, 0)
    q = (xp.expand_dims(safe, cd) == classes) * xp.expand_dims(wt * (1.0 - label_smoothing), cd)
    if label_smoothing > 0:
        q = q + xp.expand_dims(valid, cd) * (w.reshape((c,) + (1,) * (nd - cd - 1)) * (label_smoothing / c))
    return xp.broadcast_to(q, shape).astype(out_dtype)


defop(
    name="_class_weights", forward=_class_weights, inputs=("target", "weight"), namespace="tensor",
    shape=lambda t, w=None, *, shape=(), **_: tuple(shape),
    dtype=lambda t, w=None, *, dtype=None, **_: (None, dtype), vjp=None, grad_fn="", saves="none",
    doc="Private: the per-class weights of -log p that nll_loss/cross_entropy with class indices sum.",
)


def _expand_class(g: Any, shape: Shape, red: str) -> Any:
    """The output's gradient, broadcastable against the input (class dim restored)."""
    if red != "none" or len(shape) <= 1:
        return g
    return g.reshape((shape[0], 1, *shape[2:]))


def _index_scale(g: Any, x: Any, t: Any, w: Any, red: str, ignore_index: int, plain: Any = None) -> Any:
    """g with the class dim restored, over PyTorch's total weight for 'mean' (the weights of the
    targets not ignored). With every target ignored nothing flows; with a total weight of 0 among
    targets that count, PyTorch's kernel divides by it: NaN. ``plain``: the unsmoothed class weights."""
    g = _expand_class(g, tuple(x.shape), red)
    if red != "mean":
        return g
    if plain is None:
        plain = _op("_class_weights", t, w, shape=tuple(x.shape), ignore_index=ignore_index, dtype=x.dtype)
    total = float(plain.sum().item())
    if total:
        return g / total
    return g * math.nan if (t != ignore_index).sum().item() else g


def _no_batch_backward_check(x: Any, t: Any) -> None:
    # PyTorch's forward takes a (C,) input with a (1,) target; its backward refuses the pair
    if x.ndim == 1 and t.ndim == 1:
        raise ShapeError(f"size mismatch (got input: {_list(x.shape)}, target: {_list(t.shape)})")


def _nll_backward(xp: Any, grad_output: Any, self: Any, target: Any, weight: Any = None, *,
                  reduction: str = "mean", ignore_index: int = -100) -> Any:
    """nll_loss's gradient as PyTorch's kernel writes it: -weight[t] * grad (over the total weight for
    'mean') at each sample's target class, zeros elsewhere (a total weight of 0 gives NaN there)."""
    shape = self.shape
    cd = _class_dim(len(shape))
    safe, valid = _targets(xp, target, shape, ignore_index)
    w = xp.ones(shape[cd], self.dtype) if weight is None else weight.reshape(-1).astype(self.dtype)
    wt = xp.where(valid, w[safe] if shape[cd] else 0, 0).astype(self.dtype)
    g = grad_output
    if reduction == "mean":
        g = g / xp.sum(wt)
    elif reduction == "none" and len(shape) > 1:
        g = g.reshape(wt.shape)
    picked = -(wt * g)
    classes = xp.arange(shape[cd]).reshape((shape[cd],) + (1,) * (len(shape) - cd - 1))
    hit = (xp.expand_dims(safe, cd) == classes) & xp.expand_dims(valid, cd)
    return xp.where(hit, xp.expand_dims(picked, cd), 0).astype(self.dtype)


def _nll_backward_name(g: Any, x: Any, *_: Any, **__: Any) -> str:
    nd = len(x.shape)
    return "NllLossBackwardBackward0" if nd <= 2 else "NllLoss2DBackwardBackward0" if nd == 4 else "ViewBackward0"


# nll_loss's derivative is an op of its own (PyTorch's nll_loss_backward), connected to the input:
# its derivative there is zero, so a second derivative is zeros rather than an error
_NLL_BACKWARD = defop(
    name="_nll_loss_backward", forward=_nll_backward, inputs=("grad_output", "self", "target", "weight"),
    namespace="tensor", shape=lambda g, s, *_, **__: tuple(s), dtype=lambda g, s, *_, **__: (None, s.dtype),
    vjp=(lambda h, out, g, x, t, w, **p: _op("nll_loss", h, t, w, reduction=p["reduction"],
                                            ignore_index=p["ignore_index"]),
         lambda h, out, *_, **__: _op("zeros_like", h), None, None),
    grad_fn=_nll_backward_name, doc="Private: nll_loss's gradient with respect to its input.",
)


def _nll_grad_input(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
    _no_batch_backward_check(x, t)
    return call(_NLL_BACKWARD, (g, x, t, w), {"reduction": reduction_of(p), "ignore_index": p["ignore_index"]})


def _nll_name(x: Any, t: Any, w: Any = None, **p: Any) -> str:
    nd = len(x.shape)
    if nd <= 2:
        return "NllLossBackward0"
    if nd == 4 or reduction_of(p) != "none":
        return "NllLoss2DBackward0"
    return "ViewBackward0"


defop(
    name="nll_loss", python_function=True, forward=_nll, inputs=("input", "target", "weight"), namespace="functional",
    shape=_nll_shape, dtype=_nll_dtype, saves="inputs",
    vjp=(_nll_grad_input, None, None), grad_fn=_nll_name,
    doc="-weight[target] * input[target] per sample (input holds log-probabilities along dim 1), reduced; "
    "targets equal to ignore_index count for nothing.",
)


# cross_entropy ---------------------------------------------------------------------------------

def _is_prob(s: Shape, t: Shape) -> bool:
    return tuple(s) == tuple(t)


def _ce_shape(s: Shape, t: Shape, w: Shape | None = None, **p: Any) -> Shape:
    red = reduction_of(p)
    s, t = tuple(s), tuple(t)
    ls = p.get("label_smoothing", 0.0)
    if _is_prob(s, t):
        if p.get("ignore_index", -100) >= 0:
            raise ArgumentRuntimeError("ignore_index is not supported for floating point target")
        if len(s) == 0:
            raise IndexError_("Dimension specified as 1 but tensor has no dimensions")
        c = s[_class_dim(len(s))]
        if w is not None and (len(w) != 1 or w[0] != c):
            raise ShapeError(
                f"cross_entropy: weight tensor should be defined either for all {c} classes or no classes "
                f"but got weight tensor of shape: {_list(w)}"
            )
        if ls > 0.0 and ls > 1.0:
            raise ArgumentRuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {ls}")
        if red != "none":
            return ()
        cd = _class_dim(len(s))
        return s[:cd] + s[cd + 1 :]
    if ls > 0.0 and ls > 1.0:
        raise ArgumentRuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {ls}")
    normalize_dim(_class_dim(len(s)), len(s))  # log_softmax over the class dim
    _nll_nd_check(s, t, None if w is None else tuple(w))
    cd = _class_dim(len(s))
    per_sample = s[:cd] + s[cd + 1 :]
    if ls > 0.0 and broadcast_shapes(per_sample, t) != per_sample:
        # the smoothing term is masked in place by (target == ignore_index)
        raise ShapeError(f"output with shape {_list(per_sample)} doesn't match the broadcast shape {_list(t)}")
    return _nll_out_shape(s, red)


def _ce_dtype(x: Any, t: Any, w: Any = None, **p: Any) -> Any:
    reduction_of(p, warn=True)
    if _is_prob(x.shape, t.shape):
        if not t.dtype.is_floating_point:
            raise DTypeError(f"Expected floating point type for target with class probabilities, got {t.dtype._short}")
        _ce_shape(x.shape, t.shape, None if w is None else w.shape, **p)
        nd = len(x.shape)
        _softmax_dtype("log_softmax")(x, _class_dim(nd))
        d = promote_types(x.dtype, t.dtype) if w is None else promote_types(promote_types(x.dtype, t.dtype), w.dtype)
        return None, d
    if p.get("label_smoothing", 0.0) > 1.0:
        raise ArgumentRuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {p['label_smoothing']}")
    nd = len(x.shape)
    normalize_dim(_class_dim(nd), nd)
    _softmax_dtype("log_softmax")(x, _class_dim(nd))
    _ce_shape(x.shape, t.shape, None if w is None else w.shape, **p)
    _check_target_dtype(t)
    _check_weight_dtype(x.dtype, w)
    _not_differentiable(f"{_nll_kernel(nd)}_forward", w)
    return None, x.dtype


def _log_softmax_array(xp: Any, x: Any, axis: int) -> Any:
    if x.size == 0:
        return x
    z = x - xp.max(x, axis=axis, keepdims=True)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


def _ce(xp: Any, input: Any, target: Any, weight: Any = None, size_average: Any = None,
        ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
        label_smoothing: float = 0.0) -> Any:
    red = reduction_of({"size_average": size_average, "reduce": reduce, "reduction": reduction})
    cd = _class_dim(input.ndim)
    c = input.shape[cd]
    if _is_prob(input.shape, target.shape):
        d = np.result_type(input.dtype, target.dtype, *(() if weight is None else (weight.dtype,)))
        logp = _log_softmax_array(xp, input.astype(d), cd)
        tt = target.astype(d)
        if label_smoothing > 0.0:
            tt = tt * (1 - label_smoothing) + label_smoothing / c
        if weight is not None:
            tt = tt * weight.astype(d).reshape((c,) + (1,) * (input.ndim - cd - 1))
        prod = logp * tt
        if red == "none":
            return -xp.sum(prod, axis=cd)
        total = -xp.sum(prod)
        if red == "sum":
            return total
        if input.size == 0:
            return xp.asarray(math.nan, dtype=d)
        return total / (input.size // c)
    logp = _log_softmax_array(xp, input, cd)
    nll = _nll_forward(xp, logp, target, weight, red, ignore_index)
    if not label_smoothing > 0.0:
        return nll
    safe, valid = _targets(xp, target, input.shape, ignore_index)
    if weight is None:
        smooth = -xp.sum(logp, axis=cd)
    else:
        smooth = -xp.sum(logp * weight.reshape((c,) + (1,) * (input.ndim - cd - 1)), axis=cd)
    smooth = xp.where(valid, smooth, 0)
    if red == "sum":
        smooth = xp.sum(smooth)
    elif red == "mean":
        wt = valid if weight is None else xp.where(valid, weight[safe], 0)
        smooth = xp.sum(smooth) / xp.sum(wt)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def _ce_prob_parts(x: Any, t: Any, w: Any, p: dict[str, Any]) -> tuple[Any, Any, int, Any]:
    """(target distribution (smoothed), class weights viewed along the class dim or None, class dim, 1 - ls)."""
    nd = x.ndim
    cd = _class_dim(nd)
    c = x.shape[cd]
    ls = p["label_smoothing"]
    tt = t * (1 - ls) + ls / c if ls > 0.0 else t
    wv = None if w is None else w.reshape((c,) + (1,) * (nd - cd - 1))
    return tt, wv, cd, (1 - ls) if ls > 0.0 else 1


def _prob_scale(g: Any, x: Any, red: str) -> Any:
    nd = x.ndim
    cd = _class_dim(nd)
    if red == "none":
        return g if nd <= 1 else g.reshape((x.shape[0], 1, *x.shape[2:]))
    if red == "mean":
        n = math.prod(x.shape) // x.shape[cd] if x.shape[cd] else 0
        return g / n if n else g * 0
    return g


def _ce_grad_input(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
    red = reduction_of(p)
    cd = _class_dim(x.ndim)
    if _is_prob(x.shape, t.shape):
        tt, wv, cd, _ = _ce_prob_parts(x, t, w, p)
        q = tt if wv is None else tt * wv
        scale = _prob_scale(g, x, red)
    else:
        _no_batch_backward_check(x, t)
        q = _op("_class_weights", t, w, shape=tuple(x.shape), ignore_index=p["ignore_index"],
                label_smoothing=max(p["label_smoothing"], 0.0), dtype=x.dtype)
        plain = q if not p["label_smoothing"] > 0.0 else None
        scale = _index_scale(g, x, t, w, red, p["ignore_index"], plain=plain)
    qsum = q if x.ndim == 0 else q.sum(cd, keepdim=True)
    return scale * (_op("softmax", x, cd) * qsum - q)


def _ce_grad_target(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
    tt, wv, cd, keep = _ce_prob_parts(x, t, w, p)
    logp = _op("log_softmax", x, cd)
    q = logp if wv is None else logp * wv
    return -(_prob_scale(g, x, reduction_of(p)) * q) * keep


def _ce_grad_weight(g: Any, out: Any, x: Any, t: Any, w: Any, **p: Any) -> Any:
    if not _is_prob(x.shape, t.shape):
        raise AutogradError("the derivative for 'weight' is not implemented.")
    tt, _, cd, _ = _ce_prob_parts(x, t, w, p)
    full = -(_prob_scale(g, x, reduction_of(p)) * (_op("log_softmax", x, cd) * tt))
    dims = tuple(i for i in range(full.ndim) if i != cd)
    return full.sum(dims) if dims else full


def _ce_name(x: Any, t: Any, w: Any = None, **p: Any) -> str:
    red = reduction_of(p)
    if _is_prob(x.shape, t.shape):
        return "DivBackward1" if red == "mean" and math.prod(x.shape) else "NegBackward0"
    if p.get("label_smoothing", 0.0) > 0.0:
        return "AddBackward0"
    return _nll_name(x, t, w, **p)


defop(
    name="cross_entropy", python_function=True, forward=_ce, inputs=("input", "target", "weight"),
    namespace="functional",
    shape=_ce_shape, dtype=_ce_dtype, saves="inputs",
    vjp=(_ce_grad_input, _ce_grad_target, _ce_grad_weight), grad_fn=_ce_name,
    doc="nll_loss(log_softmax(input, class dim), target) for class indices, with label_smoothing; "
    "or -sum(target * log_softmax(input)) for class probabilities (target shaped as input).",
)


# -- linear -------------------------------------------------------------------------------------

def _fused(s: Shape, b: Shape | None) -> bool:
    """PyTorch's path: addmm (2-d input, or any input flattened when bias is 1-d) vs matmul then add."""
    return b is not None and (len(s) == 2 or len(b) == 1)


def _linear_check(s: Shape, w: Shape, b: Shape | None) -> Shape:
    xd, wd = len(s), len(w)
    if xd == 0 or wd == 0:
        raise ShapeError(f"both arguments to linear need to be at least 1D, but they are {xd}D and {wd}D")
    if wd > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {wd}D")
    k = s[-1]
    rows = math.prod(s[:-1])
    if _fused(s, b):
        assert b is not None
        if wd == 1:
            raise ShapeError("mat2 must be a matrix, got 1-D tensor")
        if k != w[1]:
            raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {w[1]}x{w[0]})")
        expand_shape(tuple(b), (rows, w[0]))
        return (*s[:-1], w[0])
    if wd == 1:
        if k != w[0]:
            if xd == 1:
                raise ShapeError(
                    f"inconsistent tensor size, expected tensor [{k}] and src [{w[0]}] to have the same number "
                    f"of elements, but got {k} and {w[0]} elements respectively"
                )
            raise ShapeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({w[0]})")
        out: Shape = tuple(s[:-1])
    else:
        if k != w[1]:
            raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({max(rows, 1)}x{k} and {w[1]}x{w[0]})")
        out = (*s[:-1], w[0])
    if b is not None:
        full = broadcast_shapes(out, tuple(b))
        if full != out:
            raise ShapeError(f"output with shape {_list(out)} doesn't match the broadcast shape {_list(full)}")
    return out


def _linear_shape(s: Shape, w: Shape, b: Shape | None = None) -> Shape:
    return _linear_check(tuple(s), tuple(w), None if b is None else tuple(b))


_CPP = {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int", "int32": "int",
        "bool": "bool"}


def _linear_dtype(x: Any, w: Any, b: Any = None) -> Any:
    _linear_check(tuple(x.shape), tuple(w.shape), None if b is None else tuple(b.shape))
    xd, wd = x.dtype, w.dtype
    if _fused(tuple(x.shape), None if b is None else tuple(b.shape)):
        if xd is not wd:
            raise DTypeError(f"mat1 and mat2 must have the same dtype, but got {xd._short} and {wd._short}")
        if b.dtype is not wd:
            raise DTypeError(f"self and mat2 must have the same dtype, but got {b.dtype._short} and {wd._short}")
        return None, xd
    if xd is not wd:
        if len(w.shape) == 2:
            raise DTypeError(f"expected m1 and m2 to have the same dtype, but got: {_CPP[xd.name]} != {_CPP[wd.name]}")
        if len(x.shape) == 1:
            raise DTypeError(f"dot : expected both vectors to have same dtype, but found {xd._short} and {wd._short}")
        raise DTypeError(
            f"addmv input tensors must have the same dtype, but got {wd._short}, {xd._short}, and {wd._short}"
        )
    if b is not None and b.dtype.is_floating_point and not xd.is_floating_point:
        raise DTypeError(f"result type {b.dtype._short} can't be cast to the desired output type {xd._short}")
    return None, xd


def _linear(xp: Any, input: Any, weight: Any, bias: Any = None) -> Any:
    out = xp.matmul(input, weight.T if weight.ndim == 2 else weight)
    if bias is not None:
        out = out + bias.astype(out.dtype)
    return out


def _transpose(m: Any) -> Any:
    return _op("transpose", m, 0, 1)


def _linear_grad_input(g: Any, out: Any, x: Any, w: Any, b: Any) -> Any:
    if w.ndim == 1:
        return g.reshape((*g.shape, 1)) * w
    return _op("matmul", g, w)


def _linear_grad_weight(g: Any, out: Any, x: Any, w: Any, b: Any) -> Any:
    rows = math.prod(x.shape[:-1])
    x2 = x.reshape((rows, x.shape[-1]))
    if w.ndim == 1:
        return _op("matmul", g.reshape((rows,)), x2)
    return _op("matmul", _transpose(g.reshape((rows, w.shape[0]))), x2)


def _linear_name(x: Any, w: Any, b: Any = None) -> str:
    xd, wd = len(x.shape), len(w.shape)
    if b is not None:
        if xd == 2:
            return "AddmmBackward0"
        return "ViewBackward0" if len(b.shape) == 1 else "AddBackward0"
    if xd == 1:
        return "DotBackward0" if wd == 1 else "SqueezeBackward4"
    if xd == 2:
        return "MvBackward0" if wd == 1 else "MmBackward0"
    return "UnsafeViewBackward0"


defop(
    name="linear", forward=_linear, inputs=("input", "weight", "bias"), namespace="functional", reads=((1,), (0,), ()),
    shape=_linear_shape, dtype=_linear_dtype, saves="inputs",
    vjp=(_linear_grad_input, _linear_grad_weight, lambda g, out, x, w, b: g), grad_fn=_linear_name,
    doc="input @ weight.T + bias (weight (out, in) or (in,); bias optional).",
    flops=lambda s, w, b=None: 2.0 * math.prod(s) * (w[0] if len(w) == 2 else 1),
)
