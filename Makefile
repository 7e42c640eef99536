# Two commands for a new user: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'

## Create the venv, migrate SQLite, seed the demo company, print the accounts and serve
## http://127.0.0.1:8000 with a db_worker and the scheduler running the periodic jobs
## (Ctrl+C stops all three).
demo: install
	PROMISEKEEPER_DEV=1 $(BIN)/promisekeeper demo

## Install test dependencies (and chromium/postgresql via apt when root and missing), then
## lint and run the suite on SQLite and again on a throwaway PostgreSQL cluster.
test: install-test
	bash scripts/test.sh

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy src/promisekeeper
