# Two commands do everything on a fresh clone with Python 3.11 and pip:
#   make serve   - create .venv, install the project, start the service on http://127.0.0.1:8000
#   make test    - create .venv, install the project with its test extra, run every test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The runtime alone for serving; the test and dev extras (PyTorch as the oracle) for testing.
$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PY) -m pip install -q -e '.[test,dev]'
	touch $@

.PHONY: install serve test lint bench openapi
install: $(VENV)/.test

serve: $(VENV)/.runtime
	$(VENV)/bin/gradient-service serve --host $(HOST) --port $(PORT)

test: $(VENV)/.test
	$(PY) -m pytest -q -n 2 -p no:cacheprovider

lint: $(VENV)/.test
	$(VENV)/bin/ruff check engine app tests benchmarks
	$(VENV)/bin/mypy

bench: $(VENV)/.test
	$(PY) benchmarks/engine_bench.py

openapi: $(VENV)/.runtime
	$(VENV)/bin/gradient-service openapi --output openapi/openapi.json
