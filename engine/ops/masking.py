"""Masks and tests of values: isnan, isinf, isfinite, masked_fill, argmax, argmin, any, all, equal,
isclose, allclose.

``masked_fill`` is the one differentiable op here: ``MaskedFillBackward0`` for a number value,
``MaskedFillBackward1`` for a 0-d tensor value (which gets the sum of the gradient where the mask
holds, as PyTorch's ``masked_fill_backward``); its input gets the gradient with zeros where the
mask holds. Both rules are engine ops, so second derivatives follow. As PyTorch's out-of-place
``masked_fill`` does, the mask and the input broadcast together (a mask with more dims widens the
result). The others return bool or int64 tensors and never require grad; ``equal`` and ``allclose``
return a Python bool (``isclose`` follows PyTorch's formula step for step, in the inputs' dtype).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import bool_, from_numpy_dtype, get_default_dtype, int64, promote_types
from ..dtypes import dtype as DType
from ..errors import (
    ArgumentError,
    ArgumentRuntimeError,
    DimTypeError,
    DTypeError,
    IndexError_,
    NoOverloadError,
    ShapeError,
    type_name,
)
from ._helpers import (
    as_index,
    broadcast_shapes,
    is_tensor_like,
    normalize_dim,
    normalize_dims,
    numel,
    reduced_shape,
    same_shape,
)
from .creation import _CPP_NAME, fill_scalar
from .registry import REGISTRY, call, defop

Shape = tuple[int, ...]
_NUMBER = (bool, int, float, complex, np.bool_, np.integer, np.floating, np.complexfloating)


def _shape_of(x: Any) -> Shape:
    return tuple(x.shape) if is_tensor_like(x) else ()


def _reads(s: Shape, *_: Any, **__: Any) -> float:
    """Cost estimate: the elements read."""
    return float(numel(s))


def _bool_out(*_: Any, **__: Any) -> tuple[None, DType]:
    return None, bool_


# -- isnan, isinf, isfinite ---------------------------------------------------------------

def _unary(fn: str) -> Any:
    def forward(xp: Any, input: Any) -> Any:
        return getattr(xp, fn)(input)  # (NumPy's answer for integers and bools: no NaN, no inf)

    return forward


for _name, _what in (
    ("isnan", "input is NaN"),
    ("isinf", "input is +inf or -inf"),
    ("isfinite", "input is neither NaN nor infinite (always, for integers and bools)"),
):
    defop(
        name=_name, forward=_unary(_name), method=_name, shape=same_shape, dtype=_bool_out,
        vjp=None, grad_fn="", saves="none", doc=f"Whether {_what}, elementwise; a bool tensor.", flops=_reads,
    )


# -- masked_fill ------------------------------------------------------------------------------

_MASKED_FILL_OVERLOADS = (
    "(Tensor input, Tensor mask, Tensor value)",
    "(Tensor input, Tensor mask, Number value)",
)


def _fill_value(value: Any, dt: DType) -> Any:
    """``value`` (a number or a 0-d array) as a Python number of ``dt``, refusing overflow with PyTorch's words."""
    if isinstance(value, (complex, np.complexfloating)):  # PyTorch takes a complex number with no imaginary part
        if dt is bool_:
            return bool(value)
        if value.imag != 0:
            raise DTypeError(f"value cannot be converted to type {_CPP_NAME[dt.name]} without overflow")
        value = value.real
    return fill_scalar(value, dt)


def _masked_fill_shape(s: Shape, mask: Shape, value: Shape | None) -> Shape:
    out = broadcast_shapes(mask, s)  # (mask first: PyTorch's words call it tensor a)
    if value:
        raise ShapeError(
            f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {len(value)} dimension(s)."
        )
    return out


# the C++ names of PyTorch's message about a mask of another dtype
_MASK_NAME = {"int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}


def _masked_fill_dtype(input: Any, mask: Any, value: Any) -> tuple[None, DType]:
    # PyTorch's order: the argument types, the shapes, the value's dims, the mask's dtype, the value's range
    if not (is_tensor_like(input) and is_tensor_like(mask) and (is_tensor_like(value) or isinstance(value, _NUMBER))):
        raise NoOverloadError("masked_fill() received an invalid combination of arguments")
    _masked_fill_shape(input.shape, mask.shape, _shape_of(value))
    if mask.dtype is not bool_:
        raise DTypeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {_MASK_NAME[mask.dtype.name]}"
        )
    if not is_tensor_like(value):
        _fill_value(value, input.dtype)  # (a tensor's value is read in the forward)
    return None, input.dtype


def _masked_fill(xp: Any, input: Any, mask: Any, value: Any) -> Any:
    fill = _fill_value(value, from_numpy_dtype(input.dtype))
    return xp.where(mask, xp.asarray(fill, dtype=input.dtype), input)


def _masked_fill_grad_input(g: Any, out: Any, input: Any, mask: Any, value: Any) -> Any:
    return call(_MASKED_FILL, (g, mask, 0), {})  # PyTorch: grad.masked_fill(mask, 0)


def _masked_fill_grad_value(g: Any, out: Any, input: Any, mask: Any, value: Any) -> Any:
    # PyTorch's masked_fill_backward: the gradient where the mask holds, summed (to the 0-d value)
    return call(REGISTRY["where"], (mask, g, 0), {}).sum()


def _masked_fill_name(input: Any, mask: Any, value: Any) -> str:
    return "MaskedFillBackward1" if is_tensor_like(value) else "MaskedFillBackward0"  # (PyTorch's two overloads)


_MASKED_FILL = defop(
    name="masked_fill", forward=_masked_fill, inputs=("input", "mask", "value"), scalars=True, method="masked_fill",
    shape=_masked_fill_shape, dtype=_masked_fill_dtype, overloads=_MASKED_FILL_OVERLOADS,
    vjp=(_masked_fill_grad_input, None, _masked_fill_grad_value), saves="inputs", reads=((1,), (), (1,)),
    grad_fn=_masked_fill_name,
    doc="input with value (a number or a 0-d tensor) where mask (bool) is True; mask and input broadcast. "
    "The gradient is zero where the mask holds; a tensor value gets its sum there.",
    flops=lambda s, mask, value: float(numel(broadcast_shapes(mask, s))),
)


# -- argmax, argmin -----------------------------------------------------------------------------

def _arg_types(opname: str, dim: Any, keepdim: Any) -> None:
    """PyTorch's parser: ``dim`` an int or None, ``keepdim`` a bool."""
    if dim is not None and as_index(dim) is None:
        raise ArgumentError(f"{opname}(): argument 'dim' (position 2) must be int, not {type_name(dim)}")
    if not isinstance(keepdim, (bool, np.bool_)):
        raise ArgumentError(f"{opname}(): argument 'keepdim' (position 3) must be bool, not {type_name(keepdim)}")


def _arg_dim(opname: str, shape: Shape, dim: Any, keepdim: Any) -> int | None:
    """The dim argmax/argmin reduce (None: the flattened tensor), refusing an empty reduction."""
    _arg_types(opname, dim, keepdim)
    if dim is None:
        if numel(shape) == 0:
            raise IndexError_(f"{opname}(): Expected reduction dim to be specified for input.numel() == 0.")
        return None
    d = normalize_dim(as_index(dim), len(shape))  # type: ignore[arg-type]  # (checked above)
    if shape and shape[d] == 0:
        raise IndexError_(f"{opname}(): Expected reduction dim {d} to have non-zero size.")
    return d


def _arg_op(name: str) -> None:
    def forward(xp: Any, input: Any, dim: Any = None, keepdim: bool = False) -> Any:
        d = _arg_dim(name, input.shape, dim, keepdim)
        if d is None or input.ndim == 0:  # the flattened tensor (NumPy's, like PyTorch's: the first of ties or NaNs)
            index = xp.asarray(getattr(xp, name)(input.reshape(-1)))
            return index.reshape((1,) * input.ndim if keepdim else ())
        return getattr(xp, name)(input, axis=d, keepdims=keepdim)

    def shape(s: Shape, dim: Any = None, keepdim: bool = False) -> Shape:
        d = _arg_dim(name, s, dim, keepdim)
        if d is None or not s:
            return (1,) * len(s) if keepdim else ()
        return reduced_shape(s, (d,), keepdim)

    def dtype(input: Any, dim: Any = None, keepdim: bool = False) -> tuple[None, DType]:
        _arg_types(name, dim, keepdim)  # (the parser's errors come first)
        if input.dtype is bool_:
            raise DTypeError(f"{name}(): does not support bool input")
        return None, int64

    defop(
        name=name, forward=forward, method=name, shape=shape, dtype=dtype, vjp=None, grad_fn="", saves="none",
        doc=f"The int64 index of the {'largest' if name == 'argmax' else 'smallest'} element over dim, or of the "
        "flattened tensor when dim is None; the first of ties, and of NaNs (NaN wins). Not for bool tensors.",
        flops=_reads,
    )


_arg_op("argmax")
_arg_op("argmin")


# -- any, all ----------------------------------------------------------------------------------

_LOGIC_OVERLOADS = (
    "(Tensor input, *, Tensor out = None)",
    "(Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)",
    "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)",
)


def _logic_dims(opname: str, ndim: int, dim: Any, keepdim: Any) -> tuple[int, ...]:
    """The dims any/all reduce: None is all of them, but an empty tuple none (unlike sum's)."""
    if not isinstance(keepdim, (bool, np.bool_)):
        raise NoOverloadError(f"{opname}() received an invalid combination of arguments: keepdim is not a bool")
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        for i, d in enumerate(dim, 1):
            if as_index(d) is None:
                # PyTorch's parser reads a sequence as ints by its first element: a bad first one fits no overload
                raise DimTypeError(type_name(dim)) if i == 1 else DimTypeError(type_name(d), element=i)
        dims = normalize_dims([as_index(d) for d in dim], ndim)  # type: ignore[misc]  # (checked above)
    else:
        index = as_index(dim)
        if index is None:
            raise DimTypeError(type_name(dim))
        dims = (normalize_dim(index, ndim),)
    return dims if ndim else ()


def _logic_op(name: str) -> None:
    def forward(xp: Any, input: Any, dim: Any = None, keepdim: bool = False) -> Any:
        dims = _logic_dims(name, input.ndim, dim, keepdim)
        return getattr(xp, name)(input, axis=dims, keepdims=bool(keepdim))  # (NaN is nonzero: True)

    def dtype(input: Any, dim: Any = None, keepdim: bool = False) -> tuple[None, DType]:
        _logic_dims(name, input.ndim, dim, keepdim)  # (the parser's errors before anything else)
        return None, bool_

    defop(
        name=name, forward=forward, method=name, dtype=dtype, vjp=None, grad_fn="", saves="none",
        shape=lambda s, dim=None, keepdim=False: reduced_shape(s, _logic_dims(name, len(s), dim, keepdim), keepdim),
        overloads=_LOGIC_OVERLOADS,
        doc=f"Whether {'any' if name == 'any' else 'every'} element over dim (an int or a tuple; all when None, "
        f"none when empty) is nonzero; a bool tensor ({'False' if name == 'any' else 'True'} over no elements).",
        flops=_reads,
    )


_logic_op("any")
_logic_op("all")


# -- equal ---------------------------------------------------------------------------------------

def _equal_dtype(input: Any, other: Any) -> tuple[DType, DType]:
    for position, (arg, x) in enumerate((("input", input), ("other", other)), 1):
        if not is_tensor_like(x):
            raise ArgumentError(f"equal(): argument '{arg}' (position {position}) must be Tensor, not {type_name(x)}")
    # PyTorch compares in the promoted dtype: float32 0.1 is not float64 0.1, True is 1.0
    return promote_types(input.dtype, other.dtype), bool_


def _equal(xp: Any, input: Any, other: Any) -> Any:
    return xp.asarray(input.shape == other.shape and bool(xp.array_equal(input, other)))  # (NaN never equal)


def _python_bool(t: Any) -> bool:
    return bool(t.item())


defop(
    name="equal", forward=_equal, inputs=("input", "other"), method="equal", shape=lambda a, b: (),
    dtype=_equal_dtype, vjp=None, grad_fn="", saves="none", python_result=_python_bool,
    doc="Whether input and other have the same shape and the same values (compared in the promoted dtype; "
    "NaN is never equal); a Python bool (a 0-d bool tensor through the service).",
    flops=lambda a, b: float(numel(a)),
)


# -- isclose, allclose ---------------------------------------------------------------------------

def _isclose_dtype(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                   equal_nan: bool = False, *, opname: str = "isclose") -> tuple[None, DType]:
    for position, (arg, x) in enumerate((("input", input), ("other", other)), 1):
        if not is_tensor_like(x):
            raise ArgumentError(
                f"{opname}(): argument '{arg}' (position {position}) must be Tensor, not {type_name(x)}"
            )
    if input.dtype is not other.dtype:  # (no promotion: PyTorch's words name the two types)
        raise DTypeError(f"{input.dtype._short} did not match {other.dtype._short}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise ArgumentRuntimeError(f"{name} must be greater than or equal to zero, but got {value:g}")
    return None, bool_


def _isclose(xp: Any, input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Any:
    """PyTorch's formula, step for step in the inputs' dtype (bool and integers in the default float):
    equal, or (NaN with NaN under equal_nan), or a finite |input - other| <= atol + |rtol * other|."""
    close = input == other
    floating = input.dtype.kind == "f"
    if equal_nan and floating:
        close |= xp.isnan(input) & xp.isnan(other)
    if rtol == 0 and atol == 0:
        return close
    a, b = (input, other) if floating else (input.astype(get_default_dtype().np), other.astype(get_default_dtype().np))
    t = a.dtype.type
    allowed = t(atol) + xp.abs(t(rtol) * b)
    actual = xp.abs(a - b)
    return close | (xp.isfinite(actual) & (actual <= allowed))


def _isclose_shape(a: Any, b: Any, **_: Any) -> Any:
    return broadcast_shapes(a, b)


defop(
    name="isclose", forward=_isclose, inputs=("input", "other"), method="isclose", shape=_isclose_shape,
    dtype=_isclose_dtype, vjp=None, grad_fn="", saves="none",
    doc="Whether each input element is within atol + rtol * |other| of other's (NaNs close with equal_nan).",
)


def _allclose_dtype(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                    equal_nan: bool = False) -> tuple[None, DType]:
    return _isclose_dtype(input, other, rtol, atol, equal_nan, opname="allclose")


def _allclose(xp: Any, input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
              equal_nan: bool = False) -> Any:
    return xp.asarray(bool(_isclose(xp, input, other, rtol, atol, equal_nan).all()))


defop(
    name="allclose", forward=_allclose, inputs=("input", "other"), method="allclose",
    shape=lambda a, b, **_: (broadcast_shapes(a, b), ())[1], dtype=_allclose_dtype, vjp=None, grad_fn="",
    saves="none", python_result=_python_bool,
    doc="Whether every element of input is close to other's (isclose); a Python bool (a 0-d tensor through "
    "the service).",
)
