"""Warnings that point at the caller's line, as PyTorch's do, whether the engine runs compiled or not."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import FrameType

_ENGINE = str(Path(__file__).resolve().parent)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` at the first frame outside the engine: the line that called into it.

    A fixed ``stacklevel`` cannot say where that is: compiled engine modules leave no Python frames
    (``warnings`` then blamed ``sys:1``), their pure-Python twins do.
    """
    frame: FrameType | None = sys._getframe(0)
    while frame is not None and frame.f_code.co_filename.startswith(_ENGINE):
        frame = frame.f_back
    if frame is None:
        warnings.warn(message, category, stacklevel=2)
        return
    module_globals = frame.f_globals
    warnings.warn_explicit(
        message, category, frame.f_code.co_filename, frame.f_lineno,
        # (module None would silence it: an eval'd line's globals may have no __name__)
        module=module_globals.get("__name__") or frame.f_code.co_filename,
        registry=module_globals.setdefault("__warningregistry__", {}),
    )
