# Cuecast: `make run` starts everything with embedded defaults; `make test` runs every test.
# Both set up what they need first: a virtualenv from the lock file (uv), and for tests the
# system packages (Chromium, PostgreSQL) when they are missing.

PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: run test test-sqlite test-postgres lint format setup system-deps clean bench chaos

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

run: setup
	$(BIN)/cuecast run

system-deps:
	bash scripts/system-deps.sh

test: setup system-deps
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# Every test on SQLite (the embedded default), except the ones that only make sense on PostgreSQL.
test-sqlite: setup
	$(BIN)/pytest -m "not postgres" $(PYTEST_ARGS)

# The publishing, API and network conformance tests again, and the PostgreSQL-only ones wherever they
# are (every test file marked `postgres`), on a real PostgreSQL server the run starts itself in a
# temporary directory.
PG_AGAIN := tests/publishing tests/api tests/conformance tests/bench
PG_ONLY = $(filter-out $(addsuffix /%,$(PG_AGAIN)),$(shell grep -rl --include='test_*.py' 'mark.postgres' tests | sort))
test-postgres: setup
	$(BIN)/python scripts/with_postgres.py $(BIN)/pytest $(PG_AGAIN) $(PG_ONLY) $(PYTEST_ARGS)

# The benchmark (bench/README.md): Cuecast against Celery and django-tasks-db on one machine, printed
# as one table and saved to bench/results/latest.json. `make bench BENCH_ARGS=--quick` takes ~3 min.
bench: setup
	bash scripts/bench-deps.sh
	$(BIN)/python -m bench $(BENCH_ARGS)

# The full chaos test (docs/testing.md): 10,000 targets on 200 sandbox channels, 3 workers SIGKILLed at
# random, faults injected; exits 1 on any duplicate or lost post. `make test` runs a reduced form.
chaos: setup system-deps
	$(BIN)/python scripts/chaos.py $(CHAOS_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cuecast

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
