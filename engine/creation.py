"""Tensor factories: ``tensor``, ``ones``, ``randn``, ... and the seeded generators."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend, dtypes
from .dtypes import dtype as DType
from .errors import ArgumentError, DTypeError, ValueError_
from .tensor import FLOAT_ONLY_GRAD, Tensor


def _size(size: Sequence[Any]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise ArgumentError(f"size must be a tuple of ints, but got {type(s).__name__}")
        if s < 0:
            raise ValueError_(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
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


def _from_data(data: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        return backend.to_numpy(data._data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [_from_data(x) for x in data]
    try:
        arr = np.asarray(data)
    except ValueError as exc:
        raise ValueError_(f"expected sequence of equal lengths ({exc})") from None
    if arr.dtype == object:
        raise ArgumentError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A leaf tensor copied from (nested lists of) numbers, a NumPy array or a tensor."""
    if isinstance(data, np.ndarray):
        arr = data
        dt = dtypes.from_numpy_dtype(arr.dtype) if dtype is None else dtypes.to_dtype(dtype)
    else:
        arr = _from_data(data)
        if isinstance(data, Tensor) and dtype is None:
            dt = data.dtype
        else:
            dt = _infer_dtype(arr) if dtype is None else dtypes.to_dtype(dtype)
    return _finish(np.array(arr, dtype=dt.np), dt, requires_grad, device)


as_tensor = tensor


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(array, dtypes.from_numpy_dtype(array.dtype), None)


def _float_dtype(dtype: Any) -> DType:
    return dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)


def _filled(size: Sequence[Any], value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    shape = _size(size)
    dt = _float_dtype(dtype)
    xp = backend.module_for(backend.device(device or "cpu"))
    return _finish(xp.full(shape, value, dtype=dt.np), dt, requires_grad, None)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here: never leak old memory)."""
    return _filled(size, 0, dtype, device, requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred from the value, as in PyTorch)."""
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    return _filled((tuple(size),), fill_value, dtype, device, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n×m)."""
    n, m = _size((n, n if m is None else m))
    dt = _float_dtype(dtype)
    xp = backend.module_for(backend.device(device or "cpu"))
    return _finish(xp.eye(n, m, dtype=dt.np), dt, requires_grad, None)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``."""
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError_("unsupported range: " + f"{start} -> {end}")
    if step == 0:
        raise ValueError_("step must be nonzero")
    if (end - start) / step < 0:
        raise ValueError_("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = dtypes.get_default_dtype() if is_float else dtypes.int64
    else:
        dt = dtypes.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    xp = backend.module_for(backend.device(device or "cpu"))
    data = (start + xp.arange(n, dtype=np.float64) * step) if dt.is_floating_point else xp.arange(start, end, step)
    return _finish(data.astype(dt.np), dt, requires_grad, None)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError_("number of steps must be non-negative")
    dt = _float_dtype(dtype)
    xp = backend.module_for(backend.device(device or "cpu"))
    # PyTorch fills the first half from start and the second half from end
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    idx = xp.arange(steps, dtype=np.float64)
    half = steps // 2
    data = xp.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
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
    shape = _size(size)
    dt = _float_dtype(dtype)
    if not dt.is_floating_point:
        name = "uniform_" if kind == "rand" else "normal_"
        raise DTypeError(f'"check_uniform_bounds" not implemented for \'{dt._short}\'' if kind == "rand"
                         else f'"{name}" not implemented for \'{dt._short}\'')
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

def _like(x: Tensor, value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    dt = x.dtype if dtype is None else dtypes.to_dtype(dtype)
    dev = x.device if device is None else backend.device(device)
    xp = backend.module_for(dev)
    return _finish(xp.full(x.shape, value, dtype=dt.np), dt, requires_grad, None)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape, dtype and device."""
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape, dtype and device."""
    return _like(input, 1, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``input``'s shape, dtype and device."""
    return _like(input, fill_value, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(input, 0, dtype, device, requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, generator: Generator | None = None, requires_grad: bool = False) -> Tensor:
    return rand(*input.shape, generator=generator, dtype=dtype or input.dtype, device=input.device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, generator: Generator | None = None, requires_grad: bool = False) -> Tensor:
    return randn(*input.shape, generator=generator, dtype=dtype or input.dtype, device=input.device, requires_grad=requires_grad)
