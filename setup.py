"""Build: the engine's (and the request pipeline's) hot-path modules compiled by Cython, from the same source.

Per-op bookkeeping (binding, dtype rules, graph nodes, the backward loop) is the engine's
cost on the small graphs services send; Cython-compiled, the unchanged source runs it
about a quarter faster. Compilation is an optimisation, never a second code path:

- the modules are plain Python, compiled with ``annotation_typing`` off, so type hints are
  not enforced and the compiled code behaves as the interpreter would (pydantic 1.x shipped
  its pure-Python modules the same way);
- each extension is ``optional``: with no C compiler the build goes on and the engine runs
  as pure Python; ``GRADIENT_SERVICE_PURE_PYTHON=1`` skips compilation on purpose;
- ``engine.build_info()`` says which modules run compiled and which are stale (a source
  edited after its build); ``make test`` rebuilds stale ones, and a test insists on it.

The lists live in ``engine/_compiled.py`` and ``app/_compiled.py`` (each package reads its own).
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
COMPILED = (
    *runpy.run_path(str(ROOT / "engine" / "_compiled.py"))["COMPILED"],
    *runpy.run_path(str(ROOT / "app" / "_compiled.py"))["APP_COMPILED"],
)


def extensions() -> list:
    if os.environ.get("GRADIENT_SERVICE_PURE_PYTHON", "") not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:  # a build without Cython: the engine runs as pure Python
        return []
    modules = [
        Extension(name, [name.replace(".", "/") + ".py"], optional=True)  # no compiler: pure Python
        for name in COMPILED
    ]
    return cythonize(
        modules,
        # plain Python semantics: annotations are documentation, not C types
        compiler_directives={"language_level": 3, "binding": True, "annotation_typing": False},
        build_dir="build/cython",  # generated C stays out of the source tree
        nthreads=os.cpu_count() or 1,
        quiet=True,
    )


# C compilation in parallel too (``build_ext --parallel``), one job per core
setup(ext_modules=extensions(), options={"build_ext": {"parallel": os.cpu_count() or 1}})
