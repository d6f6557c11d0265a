# Opsroom: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PYTEST := $(BIN)/pytest
# Tests on SQLite always; again on PostgreSQL when OPSROOM_TEST_DATABASE_URL is set.
TEST_WORKERS ?= 2
# Python extras: `make install EXTRAS=dev,embeddings` adds sentence embeddings (about 150 MB,
# no PyTorch); without them the learned components use text features only. CI installs both.
EXTRAS ?= dev
comma := ,
INSTALLED := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: run setup install assets migrate demo test test-sqlite test-postgres lint format bench clean

# `make run` is a local, single-machine start: debug on unless DEBUG is set.
run: export DEBUG ?= 1
run: setup
	$(MANAGE) opsroom_setup
	$(MANAGE) opsroom_serve

setup: install assets
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

assets: assets/vendor/.installed

assets/vendor/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	mkdir -p assets/vendor
	cp node_modules/htmx.org/dist/htmx.min.js assets/vendor/htmx.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js assets/vendor/chart.umd.min.js
	touch $@

test: install assets
	$(MAKE) test-sqlite
	@if [ -n "$$OPSROOM_TEST_DATABASE_URL" ]; then $(MAKE) test-postgres; \
	else echo "OPSROOM_TEST_DATABASE_URL is not set: PostgreSQL run skipped (.ci/run sets it)"; fi

test-sqlite:
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL $(PYTEST) -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres:
	@echo "== test suite on PostgreSQL =="
	DATABASE_URL="$$OPSROOM_TEST_DATABASE_URL" $(PYTEST) -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff format --check .
	SECRET_KEY=lint-only $(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules assets/vendor staticfiles
