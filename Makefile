# Two commands: `make run` (a server with demo data on SQLite) and `make test` (lint, then the whole suite).
# The distribution's Python where there is one: Debian builds it with profile-guided and link-time
# optimisation, and on it a contestant costs about a seventh less server CPU than on a Python compiled
# without them, as pyenv does by default (bench/README.md). PYTHON=... chooses another.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app app

# Python's default: keep compiled modules (__pycache__, ignored by git). A machine that sets
# PYTHONDONTWRITEBYTECODE has every test worker, and every flask or gunicorn a test starts, compile the
# whole app again: 4 s a pytest worker here.
unexport PYTHONDONTWRITEBYTECODE

# Test workers: one per core (pytest-xdist); WORKERS=0 runs in one process, which reads tracebacks best.
# worksteal: an idle worker takes half of a busy one's queue, so a long test near the end waits less.
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal

.PHONY: run lint test test-fast screenshots install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

# axe-core, which the accessibility test runs in Chromium; pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A local server over plain HTTP: development cookies, a generated secret key, demo data.
# Its choices go to instance/settings.env (with the key in instance/secret_key), which config.py
# reads: a `flask` command typed later in another terminal uses the same database and environment.
run: $(VENV)/.installed instance/secret_key
	@if [ -f instance/settings.env ] && ! grep -q '^# make run' instance/settings.env; then \
		echo "instance/settings.env holds a server's own settings: make run leaves it alone and stops." >&2; \
		exit 1; fi
	@umask 077; { echo "# make run: the settings of the local server, read by every flask command"; \
	  echo "HOCTAP_ENV=development"; \
	  echo "PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}"; \
	  if [ -n "$$DATABASE_URL" ]; then echo "DATABASE_URL=$$DATABASE_URL"; fi; } > instance/settings.env
	$(FLASK) db upgrade && \
	$(FLASK) content sync && \
	$(FLASK) seed-demo && \
	$(FLASK) run --host $(HOST) --port $(PORT)

# ruff (rules and line length in pyproject.toml), then mypy over core/ and the services.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

# Lint, then the suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL names one: there only
# the tests that reach the database (marker `database`); the others would run exactly as on SQLite, and
# so would the checks of how pages look (marker `layout`: axe, zoom, screen widths).
test: lint $(VENV)/.installed-dev node_modules/.installed
	env -u TEST_DATABASE_URL $(PYTEST)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL, the tests that reach the database"; \
		$(PYTEST) -m "database and not layout"; \
	fi

# The quick loop while writing code: SQLite, no browser, no server in another process, nothing slow.
test-fast: $(VENV)/.installed-dev
	env -u TEST_DATABASE_URL $(PYTEST) -m "not browser and not subprocess and not slow"

clean:
	rm -rf $(VENV) .pytest_cache node_modules

# Pictures of every demo account's main pages at 390 and 1366 px, from a demo instance built in a
# temporary folder (instance/ is left alone): docs/screenshots/, or OUT=folder.
screenshots: $(VENV)/.installed-dev
	$(BIN)/python docs/screenshots.py $(OUT)
