"""``engine.nn``: only ``functional`` (the ops PyTorch keeps in ``torch.nn.functional``)."""

from . import functional

__all__ = ["functional"]
