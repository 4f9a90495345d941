# Two commands on a fresh machine: `make run` and `make test`.
# The first interpreter that runs and is 3.11 or 3.12 (durable_rules does not import on 3.13).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	$$p -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 12)' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV   := .venv
# The versions `make test` ran: every install is constrained by it (`make lock` rewrites it).
LOCK   := requirements.lock
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint install install-dev install-spark coverage bench mutation clean lock

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $@ $(VENV)/.installed

# The spark extra (pyspark, pyarrow) for `--engine spark` and its tests (.ci/run installs it;
# without it the Spark tests skip and say why). Spark also needs Java 17: docs/spark.md.
$(VENV)/.installed-spark: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev,spark]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

$(VENV)/.installed-mutation: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev,mutation]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# Rewrite the lock from pyproject.toml's ranges (every extra), then reinstall from it.
lock: install-dev
	$(BIN)/pip-compile --quiet --all-extras --strip-extras --no-header \
		--output-file $(LOCK) pyproject.toml
	rm -f $(VENV)/.installed*
	$(MAKE) install-dev

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-spark: $(VENV)/.installed-spark

run: install
	$(BIN)/liushou serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: install-dev lint
	$(BIN)/liushou rules check
	$(BIN)/liushou rules coverage > /dev/null
	$(BIN)/python -m pytest

bench: install-dev
	$(BIN)/python benchmarks/api.py
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/review.py
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/report.py
	$(BIN)/python benchmarks/model.py
	$(BIN)/python benchmarks/simulate.py
	$(BIN)/python benchmarks/web.py
	@if $(BIN)/python -c 'import pyspark' 2>/dev/null; then $(BIN)/python benchmarks/spark.py; \
	else echo "benchmarks/spark.py skipped: make install-spark"; fi

# Mutation testing (docs/testing.md), not part of `make test`: mutmut over rules/scoring.py,
# rules/routing.py, rules/assess.py and rules/assess_bulk.py with the tests in
# pyproject.toml's [tool.mutmut], then the rule data mutated one change at a time.
mutation: $(VENV)/.installed-mutation
	rm -rf mutants
	@start=$$(date +%s); \
	$(BIN)/mutmut run --max-children 2; \
	echo "mutmut: $$(( $$(date +%s) - start )) s"
	$(BIN)/python -m tests.mutation_summary
	$(BIN)/python -m tests.mutation_rules --workers 2

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache mutants
