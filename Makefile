# The two commands of the quick start are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

CLIENTS := tests/clients
CLIENTS_STAMP := $(CLIENTS)/node_modules/.installed

.PHONY: run test lint typecheck pytest migrate seed openapi install clients clean lock bench bench-smoke

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The Node tools the suite runs against the OpenAPI document (tests/clients/README.md),
# exactly as package-lock.json pins them.
$(CLIENTS_STAMP): $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(CLIENTS_STAMP)

clients: $(CLIENTS_STAMP)

migrate: $(STAMP)
	$(BIN)/claims migrate

seed: migrate
	$(BIN)/claims seed

run: seed
	$(BIN)/claims dev-keys
	$(BIN)/claims serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check app devtools tests migrations bench
	$(BIN)/ruff format --check app devtools tests migrations bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(CLIENTS_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

openapi: $(STAMP)
	$(BIN)/claims openapi > openapi/openapi.json

# Benchmarks (bench/README.md): the API beside datasette and PocketBase on the same data.
# BENCH_ARGS passes options through, e.g. `make bench BENCH_ARGS="--sizes 10000,100000"`.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-smoke: $(STAMP)
	$(BIN)/python -m bench.run --smoke $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache $(CLIENTS)/node_modules

# Regenerate the lock files after changing dependencies in pyproject.toml: the runtime lock
# (what the Docker image installs) and the development lock constrained to match it.
lock:
	$(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet pip-tools
	.lockenv/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml
	.lockenv/bin/pip-compile -q --extra dev --extra bench --strip-extras --no-emit-index-url \
		--no-emit-find-links -c requirements.lock -o requirements-dev.lock pyproject.toml
	rm -rf .lockenv
