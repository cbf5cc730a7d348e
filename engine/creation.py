"""Tensor factories: ``tensor``, ``ones``, ``randn``, ... and the seeded generators."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend, dtypes
from .dtypes import dtype as DType
from .errors import (
    INT64_OVERFLOW,
    ArgumentError,
    DTypeError,
    DTypeNotImplementedError,
    EngineError,
    ShapeError,
    ValueError_,
    int64_overflow,
    type_name,
)
from .ops.registry import REGISTRY, call
from .tensor import FLOAT_ONLY_GRAD, Tensor
from .tensor import wrap as _wrap


def _size(size: Sequence[Any], opname: str = "") -> tuple[int, ...]:
    if len(size) == 1:
        n = size[0]
        if type(n) is int and n >= 0:  # ones(2): the common case
            return (n,)
        if isinstance(n, (tuple, list)):
            size = tuple(n)
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            where = f"{opname}(): argument 'size' (position 1)" if opname else "size"
            raise ArgumentError(f"{where} must be tuple of ints, not {type_name(s)}")
        out.append(int(s))
    if any(s < 0 for s in out):
        if opname == "zeros":  # torch.zeros words it differently from the other factories
            raise ShapeError("zeros: Dimension size must be non-negative.")
        bad = next(s for s in out if s < 0)
        raise ShapeError(f"Trying to create tensor with negative dimension {bad}: {out}")
    return tuple(out)


def _finish(data: Any, dt: DType, requires_grad: bool, device: Any) -> Tensor:
    if device is not None:
        data = backend.to_device(data, backend.device(device))
    if requires_grad and not dt.is_floating_point:
        raise DTypeError(FLOAT_ONLY_GRAD)
    t = Tensor._wrap(data, dt, None)
    t._rg = bool(requires_grad)
    return t


def _infer_dtype(arr: np.ndarray) -> DType:
    kind = arr.dtype.kind
    if kind == "b":
        return dtypes.bool_
    if kind in "iu":
        return dtypes.int64
    if kind == "f":
        return dtypes.get_default_dtype()
    raise ArgumentError(f"Could not infer dtype of {arr.dtype.name}")


_PY_SCALAR_TYPES = {bool: dtypes.bool_, int: dtypes.int64}


def _scalar_type(obj: Any) -> DType:
    """The dtype ``torch.tensor(obj)`` infers: Python floats the default float, ints int64, bools
    bool, NumPy scalars/arrays and tensors their own dtype; a sequence promotes its items'."""
    if isinstance(obj, Tensor):
        return obj.dtype
    if isinstance(obj, (np.ndarray, np.generic)):
        return dtypes.from_numpy_dtype(obj.dtype)
    if isinstance(obj, bool):
        return dtypes.bool_
    if isinstance(obj, int):
        return dtypes.int64
    if isinstance(obj, float):
        return dtypes.get_default_dtype()
    if isinstance(obj, _SEQUENCES):
        if not obj:
            return dtypes.get_default_dtype()
        kinds = set(map(type, obj))
        if kinds <= {bool, int, float}:  # the common case, without a call per item
            found = [_PY_SCALAR_TYPES.get(k) or dtypes.get_default_dtype() for k in kinds]
        else:
            found = [_scalar_type(x) for x in obj]
        out = found[0]
        for d in found[1:]:
            out = dtypes.promote_types(out, d)
        return out
    raise ArgumentError(f"Could not infer dtype of {type_name(obj)}")


def _from_data(data: Any, floating: bool = False) -> np.ndarray:
    """``data`` as an array (``floating``: it becomes a float tensor, so Python ints past int64 are read as
    floats, as PyTorch's; an integer tensor refuses them)."""
    if isinstance(data, Tensor):
        return backend.to_numpy(data._data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [_from_data(x) for x in data]
    try:
        arr = np.asarray(data)
        if floating and (arr.dtype == object or arr.dtype.kind == "u"):
            arr = np.asarray(data, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        raise _refusal(data) from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise _refusal(data)
    if arr.dtype.kind == "u" and not isinstance(data, (np.ndarray, np.generic)):  # Python ints past int64
        raise ValueError_(INT64_OVERFLOW)
    return arr


_SEQUENCES = (list, tuple, range)


def _refusal(data: Any) -> Exception:
    """Why ``tensor(data)`` fails, in PyTorch's words and order: inferring the dtype (a leaf that is
    not a number), then the shape (taken from the first elements, every sequence checked against it)."""
    leaf = _foreign_leaf(data)
    if isinstance(leaf, str):
        return ArgumentError("new(): invalid data type 'str'")
    if isinstance(leaf, int):
        return int64_overflow(leaf) or ValueError_("expected sequence of equal lengths")
    if leaf is not _NONE_FOREIGN:
        return ArgumentError(f"Could not infer dtype of {type_name(leaf)}")
    sizes = []
    seq = data
    while isinstance(seq, _SEQUENCES):
        sizes.append(len(seq))
        if not seq:
            break
        seq = seq[0]
    return _shape_refusal(data, sizes, 0, _scalar_type(data)) or ValueError_("expected sequence of equal lengths")


_NONE_FOREIGN = object()


def _foreign_leaf(obj: Any) -> Any:
    """The first leaf, depth first, that is not a number (a big int counts: it overflows int64)."""
    if isinstance(obj, _SEQUENCES):
        for x in obj:
            found = _foreign_leaf(x)
            if found is not _NONE_FOREIGN:
                return found
        return _NONE_FOREIGN
    if isinstance(obj, (bool, float, np.generic, np.ndarray, Tensor)):
        return _NONE_FOREIGN
    if isinstance(obj, int):
        return obj if int64_overflow(obj) is not None else _NONE_FOREIGN
    return obj


def _shape_refusal(obj: Any, sizes: list[int], dim: int, dt: DType) -> Exception | None:
    if dim == len(sizes):
        if isinstance(obj, _SEQUENCES):  # a sequence where a number belongs: Python's conversion words it
            if dt.is_floating_point:
                return ArgumentError(f"must be real number, not {type_name(obj)}")
            return ArgumentError(f"'{type_name(obj)}' object cannot be interpreted as an integer")
        return None
    if not isinstance(obj, _SEQUENCES):
        return ArgumentError("not a sequence")
    if len(obj) != sizes[dim]:
        return ValueError_(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(obj)})")
    for x in obj:
        found = _shape_refusal(x, sizes, dim + 1, dt)
        if found is not None:
            return found
    return None


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A leaf tensor copied from (nested lists of) numbers, a NumPy array or a tensor."""
    if isinstance(data, np.ndarray):
        arr = data
        dt = dtypes.from_numpy_dtype(arr.dtype) if dtype is None else dtypes.to_dtype(dtype)
    else:
        try:
            dt = _scalar_type(data) if dtype is None else dtypes.to_dtype(dtype)
        except EngineError:
            _from_data(data)  # (the data's own refusal comes first, in PyTorch's words)
            raise
        arr = _from_data(data, dt.is_floating_point)
        if arr.dtype.kind == "f" and dt.np.kind in "iu" and arr.size:  # Python floats into an integer dtype
            info = np.iinfo(dt.np)
            if not (np.isfinite(arr).all() and info.min <= arr.min() and arr.max() <= info.max):
                raise DTypeError(f"value cannot be converted to type {dt.name} without overflow")
    return _finish(np.array(arr, dtype=dt.np), dt, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor: a NumPy array of a dtype the engine carries, on the CPU and kept in its
    dtype, is shared (as ``from_numpy``); anything else is copied (as ``tensor``)."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and (device is None or backend.device(device).type == "cpu"):
        shared = from_numpy(data)
        if dtype is None or dtypes.to_dtype(dtype) is shared.dtype:
            return shared
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type_name(array)})")
    return Tensor._wrap(array, dtypes.from_numpy_dtype(array.dtype), None)


def _float_dtype(dtype: Any) -> DType:
    return dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)


def _filled(size: Sequence[Any], value: Any, dtype: Any, device: Any, requires_grad: bool,
            opname: str = "") -> Tensor:
    shape = _size(size, opname)
    dt = _float_dtype(dtype)
    if device is None and (value == 0 or value == 1) and type(value) is int:
        data = np.empty(shape, dt.np)  # np.full's own steps, for the common factories (ones, zeros)
        data.fill(value)
    else:
        xp = backend.module_for(backend.device(device or "cpu"))
        data = xp.full(shape, value, dtype=dt.np)
    if requires_grad and not dt.is_floating_point:
        raise DTypeError(FLOAT_ONLY_GRAD)
    t = _wrap(data, dt, None)
    t._rg = bool(requires_grad)
    return t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _filled(size, 0, dtype, device, requires_grad, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _filled(size, 1, dtype, device, requires_grad, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here: never leak old memory)."""
    return _filled(size, 0, dtype, device, requires_grad, "empty")


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred from the value, as in PyTorch)."""
    from .ops.creation import fill_scalar

    if not isinstance(size, (tuple, list)):
        raise ArgumentError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type_name(size)}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    value = fill_scalar(fill_value, dtypes.to_dtype(dtype), "full")
    return _filled((tuple(size),), value, dtype, device, requires_grad, "full")


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n×m)."""
    for name, v in (("n", n), ("m", m)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise ArgumentError(f"eye(): argument '{name}' must be int, not {type_name(v)}")
        if v is not None and v < 0:
            raise ShapeError(f"{name} must be greater or equal to 0, got {v}")
    n, m = _size((n, n if m is None else m))
    dt = _float_dtype(dtype)
    xp = backend.module_for(backend.device(device or "cpu"))
    return _finish(xp.eye(n, m, dtype=dt.np), dt, requires_grad, None)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, (Tensor, np.generic)) else v for v in (start, end, step))
    for v in (start, end, step):
        if isinstance(v, float) and not math.isfinite(v):
            raise ShapeError(f"unsupported range: {_cpp(start)} -> {_cpp(end)}")
    if step == 0:
        raise ShapeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = dtypes.get_default_dtype() if is_float else dtypes.int64
    else:
        dt = dtypes.to_dtype(dtype)
    if dt is dtypes.bool_:
        raise DTypeNotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    xp = backend.module_for(backend.device(device or "cpu"))
    if dt.is_floating_point:
        if (end - start) / step < 0:
            raise ShapeError("upper bound and lower bound inconsistent with step sign")
        n = max(0, math.ceil((end - start) / step))  # in double, as PyTorch
        data = start + xp.arange(n, dtype=np.float64) * step
    else:
        # PyTorch converts the bounds and the step to the integer type first (truncating)
        xs, xe, xstep = int(start), int(end), int(step)
        if dt is dtypes.int64:
            # int64 sizes the range in integers (a step truncated to 0 is refused)
            if xstep == 0:
                raise ValueError_("step must be nonzero")
            if not ((xstep > 0 and xe >= xs) or (xstep < 0 and xe <= xs)):
                raise ShapeError("upper bound and lower bound inconsistent with step sign")
            sgn = 1 if xstep > 0 else -1
            n = (xe - xs + xstep - sgn) // xstep
        else:
            # narrower integers size it in double from the values as given
            if (end - start) / step < 0:
                raise ShapeError("upper bound and lower bound inconsistent with step sign")
            n = max(0, math.ceil((float(end) - float(start)) / float(step)))
        data = xs + xp.arange(n, dtype=np.int64) * xstep
    return _finish(data.astype(dt.np), dt, requires_grad, None)


def _cpp(v: Any) -> str:
    """A number as C++'s ``ostream`` writes it (PyTorch's messages): ``0``, ``1.5``, ``inf``."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ArgumentError(f"linspace(): argument 'steps' (position 3) must be int, not {type_name(steps)}")
    if steps < 0:
        raise ShapeError("number of steps must be non-negative")
    dt = _float_dtype(dtype)
    if dt is dtypes.bool_:
        raise DTypeNotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    xp = backend.module_for(backend.device(device or "cpu"))
    start, end = (v.item() if isinstance(v, (Tensor, np.generic)) else v for v in (start, end))
    if steps == 1:
        return _finish(xp.full((1,), start, dtype=dt.np), dt, requires_grad, None)
    # PyTorch fills the first half from start and the second half from end, computing in the
    # floating dtype itself (integers: bounds truncated, step in double)
    if dt.is_floating_point:
        ct = dt.np
        s, e = ct.type(start), ct.type(end)
        step = (e - s) / ct.type(steps - 1) if steps > 1 else ct.type(0)
    else:
        ct = np.dtype(np.float64)
        s, e = np.float64(int(start)), np.float64(int(end))
        step = (e - s) / (steps - 1) if steps > 1 else np.float64(0)
    idx = xp.arange(steps, dtype=np.int64)
    half = steps // 2
    with np.errstate(over="ignore", invalid="ignore"):
        data = xp.where(idx < half, s + step * idx.astype(ct), e - step * (steps - 1 - idx).astype(ct))
    return _finish(data.astype(dt.np), dt, requires_grad, None)


# -- randomness -----------------------------------------------------------------------

class Generator:
    """A seedable random source (``torch.Generator``); same seed, same numbers, everywhere."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ArgumentError("manual_seed expected a long")
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def initial_seed(self) -> int:
        return self._seed

    seed = initial_seed


class _DefaultGenerator(threading.local):
    def __init__(self) -> None:
        self.gen = Generator()


_default = _DefaultGenerator()


def manual_seed(seed: int) -> Generator:
    """Seed this thread's default generator."""
    return _default.gen.manual_seed(seed)


def initial_seed() -> int:
    return _default.gen.initial_seed()


def _rng(generator: Generator | None, seed: int | None) -> np.random.Generator:
    if seed is not None:
        return Generator().manual_seed(seed)._rng
    return (generator or _default.gen)._rng


def _random(kind: str, size: Sequence[Any], generator: Generator | None, seed: int | None,
            dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    shape = _size(size, kind)
    dt = _float_dtype(dtype)
    if not dt.is_floating_point:
        name = "check_uniform_bounds" if kind == "rand" else "normal_kernel_cpu"
        raise DTypeNotImplementedError(f'"{name}" not implemented for \'{dt._short}\'')
    rng = _rng(generator, seed)
    data = rng.random(shape, dtype=np.float64) if kind == "rand" else rng.standard_normal(shape, dtype=np.float64)
    return _finish(data.astype(dt.np), dt, requires_grad, device)


def rand(*size: Any, generator: Generator | None = None, seed: int | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1); ``seed`` (an extension) makes one call reproducible."""
    return _random("rand", size, generator, seed, dtype, device, requires_grad)


def randn(*size: Any, generator: Generator | None = None, seed: int | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples; ``seed`` (an extension) makes one call reproducible."""
    return _random("randn", size, generator, seed, dtype, device, requires_grad)


# -- *_like ---------------------------------------------------------------------------

def _like(name: str, args: tuple[Any, ...], dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    # the registry entry (engine/ops/creation.py) makes the values; device= and requires_grad=
    # are the factory's own keywords
    out = call(REGISTRY[name], args, {} if dtype is None else {"dtype": dtype})
    return _finish(out._data, out._dtype, requires_grad, device)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape, dtype and device."""
    return _like("zeros_like", (input,), dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape, dtype and device."""
    return _like("ones_like", (input,), dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``input``'s shape, dtype and device."""
    return _like("full_like", (input, fill_value), dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _like("zeros_like", (input,), dtype, device, requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, generator: Generator | None = None,
              requires_grad: bool = False) -> Tensor:
    return rand(*input.shape, generator=generator, dtype=dtype or input.dtype, device=input.device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, generator: Generator | None = None,
               requires_grad: bool = False) -> Tensor:
    return randn(*input.shape, generator=generator, dtype=dtype or input.dtype, device=input.device,
                 requires_grad=requires_grad)
