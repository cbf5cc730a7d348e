"""The compiled build (setup.py): which modules run compiled, staleness, and the pure-Python fallback.

Covers both lists: the engine's (``engine/_compiled.py``) and the request pipeline's
(``app/_compiled.py``).

The rest of the suite runs whatever this checkout built (compiled where a C compiler was
there); these tests pin down that the build is what it claims, and that the same source
still runs without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import engine
from app._compiled import APP_COMPILED
from engine._compiled import COMPILED
from tests.engine.test_tutorial import CELLS, PYTORCH_213_OUTPUT

ALL = (*COMPILED, *APP_COMPILED)

ROOT = Path(__file__).resolve().parents[1]
# Set by .ci/run: there the build must have compiled (CI has a C compiler; the benchmarks'
# figures are for the compiled engine). Elsewhere a pure-Python engine is a valid build.
REQUIRE_COMPILED = os.environ.get("GRADIENT_SERVICE_REQUIRE_COMPILED", "") not in ("", "0")


def test_build_info_accounts_for_every_listed_module() -> None:
    assert engine.build_info() == engine.build_info(COMPILED)
    info = engine.build_info(ALL)
    assert sorted(info["compiled"] + info["pure"]) == sorted(ALL)
    assert set(info["stale"]) <= set(info["compiled"])
    assert all(name in sys.modules for name in COMPILED), "`import engine` imports every compiled engine module"


def test_no_compiled_module_is_older_than_its_source() -> None:
    stale = engine.build_info(ALL)["stale"]
    assert not stale, f"rebuild (`make build`): {stale} changed since they were compiled"


@pytest.mark.skipif(not REQUIRE_COMPILED, reason="GRADIENT_SERVICE_REQUIRE_COMPILED is not set (only CI insists)")
def test_ci_runs_the_compiled_build() -> None:
    assert engine.build_info(ALL)["pure"] == []


def _copy_packages(dest: Path, with_extensions: bool, checkout: bool = True) -> None:
    """``engine`` and ``app`` under ``dest``: as a checkout (with ``setup.py``) or as installed."""
    ignore = shutil.ignore_patterns("__pycache__", *(() if with_extensions else ("*.so", "*.pyd")))
    for package in ("engine", "app"):
        shutil.copytree(ROOT / package, dest / package, ignore=ignore)
    if checkout:
        shutil.copy2(ROOT / "setup.py", dest / "setup.py")


def _run(cwd: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def test_the_pure_python_source_runs_the_tutorial_as_pytorch_prints(tmp_path: Path) -> None:
    """Without the build (no C compiler), the very same source runs: the tutorial, verbatim."""
    _copy_packages(tmp_path, with_extensions=False)
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        sys.path.insert(1, {str(ROOT)!r})
        import engine
        assert engine.__file__.startswith({str(tmp_path)!r}), engine.__file__
        assert engine.build_info()["compiled"] == [], engine.build_info()
        from tests.engine.test_tutorial import CELLS, run_notebook
        print(repr(run_notebook(CELLS, "engine")))
    """)
    done = _run(tmp_path, code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == repr(PYTORCH_213_OUTPUT)
    assert len(CELLS) == len(PYTORCH_213_OUTPUT)


_TUTORIAL_REQUEST = (
    b'{"tensors": {"x": {"data": [1, 1], "requires_grad": true}}, "nodes": [{"id": "y", "expr": '
    b'"5 * (x + 1) ** 2"}, {"id": "o", "op": "mul", "args": [0.5, {"op": "sum", "args": ["y"]}]}], '
    b'"backward": [{"output": "o"}]}'
)
_EVALUATE = f"""
from app.service.evaluate import evaluate
from app.service.jsonbody import parse_body
from app.service.limits import Limits
print(evaluate(parse_body({_TUTORIAL_REQUEST!r}, 64), Limits()).body.decode())
"""


def test_the_pure_python_pipeline_answers_as_the_built_one(tmp_path: Path) -> None:
    """The request pipeline without the build gives the very same response body."""
    _copy_packages(tmp_path, with_extensions=False)
    pure = _run(tmp_path, f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n{_EVALUATE}")
    built = _run(ROOT, f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{_EVALUATE}")
    assert pure.returncode == 0 and built.returncode == 0, pure.stderr[-2000:] + built.stderr[-2000:]
    answers = [json.loads(done.stdout) for done in (pure, built)]
    for doc in answers:
        doc.pop("timings_ms")  # (the one field that differs from run to run)
    assert answers[0]["tensors"]["x"]["grad"] == [10.0, 10.0]
    assert answers[0] == answers[1]


_STALE_PROBE = """
import sys, warnings
sys.path.insert(0, {where!r})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import engine
print(engine.build_info()["stale"])
print([str(w.message) for w in caught if w.category is RuntimeWarning])
"""


def _edit_after_build(tmp_path: Path, checkout: bool) -> list[str]:
    """Copy the built packages, make engine/tensor.py newer than its build; what the engine says."""
    _copy_packages(tmp_path, with_extensions=True, checkout=checkout)
    later = time.time() + 60
    os.utime(tmp_path / "engine" / "tensor.py", (later, later))
    done = _run(tmp_path, _STALE_PROBE.format(where=str(tmp_path)))
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()


@pytest.mark.skipif(not engine.build_info()["compiled"], reason="this engine is not compiled (no C compiler)")
def test_a_source_edited_after_the_build_is_reported_stale(tmp_path: Path) -> None:
    stale, warned = _edit_after_build(tmp_path, checkout=True)
    assert stale == "['engine.tensor']"
    assert "engine.tensor" in warned and "make build" in warned


@pytest.mark.skipif(not engine.build_info()["compiled"], reason="this engine is not compiled (no C compiler)")
def test_an_installed_package_is_never_stale(tmp_path: Path) -> None:
    """pip writes a wheel's .py files after its extensions as often as not: no false warning there."""
    stale, warned = _edit_after_build(tmp_path, checkout=False)
    assert stale == "[]" and warned == "[]"

