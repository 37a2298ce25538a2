# Two commands on a fresh machine (Python 3.11+ and make): `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 5000
# Tests run in parallel (one database per worker); PYTEST_ARGS adds to them.
PYTEST_WORKERS ?= auto

.PHONY: install run test faults soak lint format bench translations node-tools clean

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(INSTALLED)

# The app (gunicorn) and its job consumer beside it, both from `stampbook serve`: one
# instance folder, so one SQLite job queue; Ctrl-C stops both.
run: install
	$(BIN)/stampbook db upgrade
	$(BIN)/stampbook demo
	PORT=$(PORT) $(BIN)/stampbook serve

test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Crashes and outages against a private PostgreSQL and gunicorn (needs the server binaries).
faults: install
	STAMPBOOK_FAULTS=1 $(BIN)/pytest -q tests/reliability/test_faults.py

# The reliability suites run far longer than in CI (hypothesis and schemathesis examples x20).
soak: install
	STAMPBOOK_SOAK=1 STAMPBOOK_FAULTS=1 $(BIN)/pytest -q tests/reliability tests/ledger/test_clocks_model.py

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The benchmark needs PostgreSQL (BENCH_DATABASE_URL, default the local server) and wrk.
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/stampbook bench $(BENCH_ARGS)

# Extract the texts marked for translation, merge them into each language's catalogue, compile.
TRANSLATIONS := src/stampbook/translations
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _t -k _n:1,2 -o $(TRANSLATIONS)/messages.pot --no-location --omit-header --sort-output -w 100 src/stampbook
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/pybabel compile -d $(TRANSLATIONS)

# The npm tools of the client generator tests (tests/clients skips without them), installed
# from their lock file into a folder of the project; Node.js and npm come from Debian's
# packages (.ci/run installs them).
NODE_TOOLS := .cache/node
node-tools: $(NODE_TOOLS)/.installed
$(NODE_TOOLS)/.installed: tests/clients/package.json tests/clients/package-lock.json
	mkdir -p $(NODE_TOOLS)
	cp tests/clients/package.json tests/clients/package-lock.json $(NODE_TOOLS)/
	npm ci --prefix $(NODE_TOOLS) --no-audit --no-fund --silent
	touch $@

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .cache
