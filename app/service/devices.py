"""Which device a planned request runs on."""

from __future__ import annotations

import engine

from .errors import DeviceUnavailable
from .limits import Limits
from .plan import Plan


def resolve_device(requested: str, plan: Plan, limits: Limits) -> str:
    """``auto``: the GPU when usable and the plan is big enough to gain from it, else the CPU.

    Small requests stay on the CPU, where the transfer to and from the GPU would cost more than
    it saves (``gpu_min_elements``). ``cuda`` without a usable GPU is an error.
    """
    if requested == "cpu":
        return "cpu"
    gpu = engine.cuda.is_available()
    if requested == "cuda":
        if not gpu:
            raise DeviceUnavailable("device 'cuda' is not available on this server (no usable GPU)", ("device",))
        return "cuda"
    if gpu and limits.default_device != "cpu" and plan.held_elements >= limits.gpu_min_elements:
        return "cuda"
    return "cpu"
