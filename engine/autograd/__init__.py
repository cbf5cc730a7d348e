"""``engine.autograd``: ``grad``, ``backward`` and grad-mode switches, as ``torch.autograd``."""

from . import functional
from .engine import backward, grad
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck
from .node import Node as Function

__all__ = [
    "Function", "backward", "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck", "inference_mode",
    "is_grad_enabled", "is_inference_mode_enabled", "no_grad", "set_grad_enabled",
]
