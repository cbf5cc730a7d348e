"""Which engine modules the build compiles (``setup.py``), and whether they run compiled.

Kept free of imports from the engine: ``setup.py`` reads this file before anything is built.
"""

from __future__ import annotations

import importlib.machinery
import sys
from pathlib import Path

# The per-op hot path: binding, dtype rules, apply, graph nodes, tensors, the backward loop,
# and the forwards and array rules of the ops small graphs use most.
COMPILED: tuple[str, ...] = (
    "engine._bind",
    "engine.autograd.engine",
    "engine.autograd.grad_mode",
    "engine.autograd.node",
    "engine.creation",
    "engine.dtypes",
    "engine.ops._helpers",
    "engine.ops.arithmetic",
    "engine.ops.reductions",
    "engine.ops.registry",
    "engine.tensor",
)


def _is_extension(path: str | None) -> bool:
    return bool(path) and any(str(path).endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES)


def build_info() -> dict[str, list[str]]:
    """``{"compiled": [...], "pure": [...], "stale": [...]}`` for the modules of ``COMPILED``.

    ``compiled``: loaded from a built extension; ``pure``: loaded from source (no build, or
    ``GRADIENT_SERVICE_PURE_PYTHON``); ``stale``: compiled, but the source was changed after
    the build (``make test`` rebuilds; ``python setup.py build_ext --inplace`` by hand).
    """
    info: dict[str, list[str]] = {"compiled": [], "pure": [], "stale": []}
    for name in COMPILED:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if not _is_extension(path):
            info["pure"].append(name)
            continue
        info["compiled"].append(name)
        built = Path(str(path))
        source = built.parent / (name.rsplit(".", 1)[1] + ".py")
        if source.exists() and source.stat().st_mtime > built.stat().st_mtime:
            info["stale"].append(name)
    return info
