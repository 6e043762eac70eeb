# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run    installs the app (with offline chat) in .venv and starts it on the sample project
#   make test   installs everything the tests need in .venv, lints (make lint) and runs the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench package install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[chat]'

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

run: install
	$(BIN)/remud-desktop --sample

# ruff over the tree; mypy over engine/ and training/ (strict on engine/store and engine/chat), as
# [tool.ruff] and [tool.mypy] in pyproject.toml say
lint: install-test
	$(BIN)/ruff check engine remud_desktop training tests scripts packaging
	$(BIN)/mypy

test: install-test lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/run_tests.py

bench: install-test
	for b in tests/benchmarks/bench_*.py; do QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

# The one-folder desktop app in dist/ReMUD Desktop/, then its headless smoke test.
package: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[package,chat]'
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/build.py --smoke

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
