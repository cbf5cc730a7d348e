# Two commands do everything on a fresh clone with Python 3.11 and pip:
#   make serve   - create .venv, install the project, start the service on http://127.0.0.1:8000
#   make test    - create .venv, install the project with its test extra, run every test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The runtime alone for serving; the test and dev extras (PyTorch as the oracle) for testing.
# The editable install itself compiles nothing (a pip build would recompile every module each
# time); the engine's hot modules are compiled in place below, only those whose source changed.
$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	GRADIENT_SERVICE_PURE_PYTHON=1 $(PY) -m pip install -q -e .
	$(PY) -m pip install -q 'Cython>=3.1' 'setuptools>=68'
	touch $@

# Cython-compiled modules (setup.py; engine/_compiled.py, app/_compiled.py), rebuilt when a source changes;
# without a C compiler the build says so and the engine runs as pure Python.
COMPILED_SOURCES := $(wildcard engine/*.py engine/*/*.py app/_compiled.py app/service/*.py) setup.py
$(VENV)/.compiled: $(VENV)/.runtime $(COMPILED_SOURCES)
	$(PY) setup.py -q build_ext --inplace
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	GRADIENT_SERVICE_PURE_PYTHON=1 $(PY) -m pip install -q -e '.[test,dev]'
	touch $@

# System packages some tests drive: Graphviz's `dot` (SVG of POST /v1/graph) and Chromium with
# chromedriver (the playground page in a headless browser). Installed with apt-get where missing
# when running as root (CI); elsewhere those tests say what is missing and skip (in CI they fail).
SYSTEM_DEPS := dot:graphviz chromium:chromium chromedriver:chromium-driver

.PHONY: install build serve test lint bench bench-service profile openapi system-deps
install: $(VENV)/.test $(VENV)/.compiled
build: $(VENV)/.compiled

system-deps:
	@missing=""; for dep in $(SYSTEM_DEPS); do \
	  command -v $${dep%%:*} >/dev/null 2>&1 || missing="$$missing $${dep#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: system packages missing:$$missing (as root, make test installs them; their tests skip)"; \
	  fi; \
	fi

serve: $(VENV)/.compiled
	$(VENV)/bin/gradient-service serve --host $(HOST) --port $(PORT)

test: $(VENV)/.test $(VENV)/.compiled system-deps
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 -p no:cacheprovider

lint: $(VENV)/.test
	$(VENV)/bin/ruff check engine app tests benchmarks
	$(VENV)/bin/mypy

bench: $(VENV)/.test $(VENV)/.compiled
	$(PY) benchmarks/engine_bench.py

# the service beside its ceiling, the naive peer and the wire's floor (about 2 minutes)
bench-service: $(VENV)/.test $(VENV)/.compiled
	$(PY) benchmarks/service_bench.py

# where a tutorial request's time goes (pyinstrument, in-process)
profile: $(VENV)/.test $(VENV)/.compiled
	$(PY) benchmarks/profile_request.py

openapi: $(VENV)/.runtime
	$(VENV)/bin/gradient-service openapi --output openapi/openapi.json
