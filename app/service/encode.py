"""Engine tensors → the response document (orjson, NaN/Infinity as strings, or b64)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pybase64

import engine
from engine.backend import to_numpy

_NONFINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_FEW = 16  # up to this many elements a Python loop checks finiteness faster than NumPy (0.5 µs vs 1.4 µs)


def all_finite(a: np.ndarray) -> bool:
    """Whether every element of a float array is finite (run several times for every response)."""
    if a.size <= _FEW:
        return all(map(math.isfinite, a.ravel().tolist()))
    return bool(np.isfinite(a).all())


def array_json(a: np.ndarray) -> Any:
    """A value orjson writes as the contract's JSON: nested lists, or a bare number for 0-d."""
    if a.dtype.kind == "f":
        if a.dtype == np.float16:
            a = a.astype(np.float32)
        if not all_finite(a):
            obj = a.astype(object)
            obj[np.isnan(a)] = "NaN"
            obj[a == np.inf] = "Infinity"
            obj[a == -np.inf] = "-Infinity"
            return obj.tolist() if a.ndim else obj.item()
    if a.ndim == 0:
        return a.item()
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    return a  # orjson serialises contiguous arrays natively


def array_b64(a: np.ndarray) -> dict[str, str]:
    """``{"b64": ...}`` of the raw little-endian C-order bytes."""
    le = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
    return {"b64": pybase64.b64encode(le.data).decode("ascii")}


def tensor_doc(t: engine.Tensor, encoding: str) -> dict[str, Any]:
    """One tensor of the response: data, shape, dtype, flags, grad_fn, grad."""
    enc = array_b64 if encoding == "b64" else array_json
    grad = t._grad  # the attribute itself: reading .grad of a non-leaf warns, as in PyTorch
    return {
        "data": enc(to_numpy(t._data)),
        "shape": list(t.shape),
        "dtype": t.dtype.name,
        "requires_grad": t.requires_grad,
        "is_leaf": t.is_leaf,
        "grad_fn": t.grad_fn.name() if t.grad_fn is not None else None,
        "grad": None if grad is None else enc(to_numpy(grad._data)),
    }


def dumps(doc: Any) -> bytes:
    """orjson with NumPy arrays written directly."""
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)
