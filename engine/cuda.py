"""``engine.cuda``: whether a GPU is usable (through CuPy)."""

from __future__ import annotations

from .backend import cuda_available


def is_available() -> bool:
    """True where CuPy is installed and sees a working GPU."""
    return cuda_available()


def device_count() -> int:
    return 1 if cuda_available() else 0
