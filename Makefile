# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Every install takes its exact versions from constraints.txt (see the README, "Upgrading a pin").
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# PIP_CONSTRAINT also reaches the isolated environment that builds lstmhw itself (setuptools).
PIP    := PIP_CONSTRAINT=$(CURDIR)/constraints.txt PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/python -m pip

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q pip

# Stamps make re-runs instant and reinstall when pyproject.toml or a pin changes.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -e ".[test]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/lstmhw solve problems/

lint: $(VENV)/.installed-test
	$(BIN)/ruff check lstmhw tests benchmarks

# -n auto: one worker per core (pytest-xdist)
test: lint
	$(BIN)/python -m pytest -q -n auto

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
