"""The benchmarks run (tiny settings), so they cannot rot; no timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_service_bench_quick() -> None:
    out = subprocess.run([sys.executable, "benchmarks/service_bench.py", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "tutorial / ceiling" in out.stdout and "| json |" in out.stdout and "| b64 |" in out.stdout


def test_profile_request_quick() -> None:
    out = subprocess.run([sys.executable, "benchmarks/profile_request.py", "--requests", "200", "--top", "5"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "POST /v1/evaluate (tutorial_gradient)" in out.stdout
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == 5, out.stdout  # the top functions, each with its share and where it is
    assert "| pipeline (app/service) |" in out.stdout


def test_soak_quick(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "benchmarks/soak.py", "--seconds", "3", "--warmup", "1", "--clients", "2",
                          "--output", str(tmp_path / "soak.md")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "| requests |" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]
    import ast
    import re

    statuses = ast.literal_eval(re.search(r"\| (\{[^}]*\}) \|", out.stdout).group(1))  # type: ignore[union-attr]
    assert 500 not in statuses and statuses.get(200, 0) > 0, statuses
