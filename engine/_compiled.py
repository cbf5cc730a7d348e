"""Which engine modules the build compiles (``setup.py``), and whether they run compiled.

Kept free of imports from the engine: ``setup.py`` reads this file before anything is built.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import warnings
from pathlib import Path

# The per-op hot path: binding, dtype rules, apply, graph nodes, tensors, the backward loop,
# and the forwards and array rules of the ops small graphs use most (indexing's key planning,
# views and reshapes, pointwise math and activations run in Python for every call).
COMPILED: tuple[str, ...] = (
    "engine._bind",
    "engine.autograd.engine",
    "engine.autograd.grad_mode",
    "engine.autograd.node",
    "engine.creation",
    "engine.dtypes",
    "engine.ops._helpers",
    "engine.ops.activations",
    "engine.ops.arithmetic",
    "engine.ops.indexing",
    "engine.ops.reductions",
    "engine.ops.registry",
    "engine.ops.shape",
    "engine.ops.unary",
    "engine.tensor",
)


def build_info(modules: tuple[str, ...] = COMPILED) -> dict[str, list[str]]:
    """``{"compiled": [...], "pure": [...], "stale": [...]}`` for ``modules`` (the engine's by default).

    ``compiled``: imports from a built extension; ``pure``: from source (no build, or
    ``GRADIENT_SERVICE_PURE_PYTHON``); ``stale``: built in place in a checkout (``setup.py``
    beside the package), but the source was changed after the build (``make test`` rebuilds;
    ``python setup.py build_ext --inplace`` by hand). An installed package is never stale:
    pip writes its files in any order, so there the times say nothing.
    """
    info: dict[str, list[str]] = {"compiled": [], "pure": [], "stale": []}
    for name in modules:
        spec = importlib.util.find_spec(name)  # what `import` takes: an extension before the source
        origin = spec.origin if spec is not None else None
        if not (origin and origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))):
            info["pure"].append(name)
            continue
        info["compiled"].append(name)
        built = Path(origin)
        checkout = built.parents[name.count(".")]  # the directory that holds the top package
        source = built.parent / (name.rsplit(".", 1)[1] + ".py")
        if (checkout / "setup.py").exists() and source.exists() and source.stat().st_mtime > built.stat().st_mtime:
            info["stale"].append(name)
    return info


def warn_if_stale(modules: tuple[str, ...]) -> None:
    """Warn (once, at import) that compiled modules older than their source would run old code."""
    stale = build_info(modules)["stale"]
    if stale:
        warnings.warn(
            f"modules changed since they were compiled: {', '.join(stale)}; the compiled code runs until "
            "rebuilt (`make build`, or `python setup.py build_ext --inplace`)",
            RuntimeWarning,
            stacklevel=3,
        )
