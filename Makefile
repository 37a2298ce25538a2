# Two commands on a fresh machine (Python 3.11+ and make): `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 5000
# Tests run in parallel (one database per worker); PYTEST_ARGS adds to them.
PYTEST_WORKERS ?= auto

.PHONY: install run test lint format bench clean

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(INSTALLED)

run: install
	$(BIN)/stampbook db upgrade
	$(BIN)/stampbook demo
	PORT=$(PORT) $(BIN)/stampbook serve

test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
