#!/usr/bin/env bash
# GPU check, one script for a lent GPU host (through the `device` tool), within 5 minutes:
# installs what it needs, runs the engine's conformance cases on CuPy, the service's GPU
# routing, and the MLP benchmark on the GPU beside the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
$PY -m venv /tmp/gs-venv
. /tmp/gs-venv/bin/activate
pip install -q --upgrade pip
pip install -q -e '.[gpu]' pytest hypothesis numpy
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python -c "import engine; print('cuda available:', engine.cuda.is_available())"
# The conformance cases on CuPy (they skip, saying so, if the GPU is not usable).
timeout 180 python -m pytest -q -rs tests/engine/test_gpu.py
# The MLP benchmark on both devices, side by side.
timeout 90 python benchmarks/gpu_mlp.py
