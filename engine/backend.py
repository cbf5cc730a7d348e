"""The array backend: NumPy on the CPU, CuPy on a GPU when one is usable.

Every op is written once against an array module ``xp``; this module picks it.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import numpy as np

from .errors import DeviceError


class device:  # noqa: N801 - named as torch.device
    """A device: ``cpu`` or ``cuda`` (index 0)."""

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, spec: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        name, _, idx = str(spec).partition(":")
        if name not in ("cpu", "cuda"):
            raise DeviceError(
                "Expected one of cpu, cuda device type at start of device string: " + str(spec)
            )
        self.type = name
        self.index = int(idx) if idx else index
        if name == "cpu":
            self.index = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")
CUDA = device("cuda", 0)


@functools.cache
def cupy_module() -> ModuleType | None:
    """CuPy when it imports and sees a working GPU, else None."""
    try:
        import cupy  # type: ignore[import-not-found]

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        cupy.zeros(1).sum()  # a real kernel launch: fails where the driver is unusable
        return cupy  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
        return None


def cuda_available() -> bool:
    """Whether ``device='cuda'`` can be used."""
    return cupy_module() is not None


def module_for(dev: device) -> ModuleType:
    """The array module for a device."""
    if dev.type == "cpu":
        return np
    xp = cupy_module()
    if xp is None:
        raise DeviceError("Torch not compiled with CUDA enabled")
    return xp


def device_of(array: Any) -> device:
    """The device an array lives on."""
    return CPU if isinstance(array, (np.ndarray, np.generic)) else CUDA


def module_of(array: Any) -> ModuleType:
    """The array module an array belongs to."""
    if isinstance(array, (np.ndarray, np.generic)):
        return np
    xp = cupy_module()
    assert xp is not None
    return xp


def to_device(array: Any, dev: device) -> Any:
    """Copy an array to a device (no copy when it is already there)."""
    if device_of(array) == dev:
        return array
    if dev.type == "cpu":
        return array.get()
    return module_for(dev).asarray(array)


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy array of an array on any device."""
    return array if isinstance(array, np.ndarray) else np.asarray(array.get() if hasattr(array, "get") else array)
