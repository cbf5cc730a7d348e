"""The engine benchmark runs (``--quick``: a few repetitions, a small MLP) and reports each workload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "engine_bench.py"


def test_engine_bench_quick_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("1. tutorial graph", "2. 200-op chain", "3. tanh MLP", "bare NumPy"):
        assert label in out, out
    assert out.count("the same by hand in bare NumPy") == 3, out  # beside 1, 3 and 3 with a dense gradient
    assert "dense output gradient" in out, out
    assert "ratio" in out, out
