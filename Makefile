# Two commands do everything on a fresh clone with Python 3.11 and pip:
#   make serve   - create .venv, install the project, start the service on http://127.0.0.1:8000
#   make test    - create .venv, install the project with its test extra, run every test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	touch $@

.PHONY: install serve test lint bench openapi
install: $(VENV)/.installed

serve: $(VENV)/.installed
	$(VENV)/bin/gradient-service serve --host 127.0.0.1 --port 8000

test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 -p no:cacheprovider

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check engine app tests benchmarks
	$(VENV)/bin/mypy

bench: $(VENV)/.installed
	$(PY) benchmarks/engine_bench.py

openapi: $(VENV)/.installed
	$(VENV)/bin/gradient-service openapi --output openapi/openapi.json
