# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run    installs the app in .venv and starts it on the sample project
#   make test   installs everything the tests need in .venv and runs the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

run: install
	$(BIN)/remud-desktop --sample

test: install-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/run_tests.py

bench: install-test
	for b in tests/benchmarks/bench_*.py; do QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
