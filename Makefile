# The two commands are `make run` and `make test`; everything else is here for them, or for you.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
BUILD := diversion/static/build
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: help install install-dev lock assets run test test-sqlite test-postgresql test-dates faketime lint format bench loadtest audit browser system-libs clean worker translations

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# requirements/*.txt pin every package with its hashes; pip refuses anything else (docs/dependencies.md).
$(VENV)/.app-installed: requirements/app.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/app.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt $(VENV)/.app-installed
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/dev.txt
	$(VENV)/bin/pip check
	touch $@

# pip-compile keeps the pins the .txt files already have; LOCK_ARGS="--upgrade-package NAME" (or --upgrade) moves them.
LOCK_ARGS ?=
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
  --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: $(VENV)/.dev-installed ## Recompile requirements/*.txt, pinned with hashes, from requirements/*.in (after editing one)
	$(PIP_COMPILE) --output-file=requirements/app.txt requirements/app.in
	$(PIP_COMPILE) --output-file=requirements/dev.txt requirements/dev.in

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(BUILD)/app.css: node_modules/.installed $(wildcard assets/scss/*.scss)
	mkdir -p $(BUILD)
	npm run --silent build:css 2> >(grep -v -e 'deprecated' -e 'govuk-suppressed-warnings' -e '^\s*node_modules/' -e '^\s*assets/' -e '^\s*$$' >&2 || true)

$(BUILD)/govuk-frontend.min.js: node_modules/.installed
	mkdir -p $(BUILD)
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $@

install: $(VENV)/.app-installed node_modules/.installed assets system-libs ## Install pinned Python and npm dependencies and build the assets

install-dev: install $(VENV)/.dev-installed ## Also install what the tests and linters need

assets: $(BUILD)/app.css $(BUILD)/govuk-frontend.min.js ## Build the CSS and copy the front-end module

run: install ## Set up everything, migrate the SQLite database, seed demo data, serve on http://127.0.0.1:5000
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo seed --clients 160
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(FLASK) run --host 127.0.0.1 --port 5000

worker: install ## Send queued messages from the RQ queue (set REDIS_URL; the sweep queues them)
	$(FLASK) notifications worker

# Debian packages: Pango and fonts for the PDF letters (WeasyPrint), Chromium for the browser tests.
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
define apt_install
	@missing=""; for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing from Debian's packages:$$missing"; \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install:$$missing (PDF letters and browser tests need them)"; fi; \
	fi
endef

system-libs: ## Install Pango and fonts for PDF letters when missing (Debian)
	$(call apt_install,$(SYSTEM_LIBS))

browser: system-libs ## Install Debian's Chromium for the browser tests when it is missing
	$(call apt_install,chromium)

test: install-dev browser ## Install what the tests need and run every suite on SQLite, then PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

# Unit, service, API, migration and permission tests run on both cores; the browser suite runs on its own after.
PYTEST_WORKERS ?= 2

test-sqlite: ## Run the suite on SQLite only
	$(PY) -m pytest --db=sqlite -n $(PYTEST_WORKERS) --ignore=tests/e2e $(PYTEST_ARGS)
	$(PY) -m pytest --db=sqlite tests/e2e $(PYTEST_ARGS)

test-postgresql: ## Run the suite on PostgreSQL only (PG_TEST_URL)
	$(PY) -m pytest --db=postgresql --pg-url=$(PG_TEST_URL) -n $(PYTEST_WORKERS) --ignore=tests/e2e $(PYTEST_ARGS)
	$(PY) -m pytest --db=postgresql --pg-url=$(PG_TEST_URL) tests/e2e $(PYTEST_ARGS)

# The machine's own clock set to far-off moments, London time, and left running: the non-browser suite must pass at
# them, since every test runs on a clock it names (docs/testing.md). Each moment runs its own share of the tests
# (--share), so every test runs once, at one of the moments, and the five runs together take about as long as one;
# TEST_DATES_WHOLE=1 runs the whole suite at every moment instead. The two FAKETIME_ variables keep Python from
# hanging at exit; tests/faketime/sitecustomize.py mends time.sleep, which fails under them.
TEST_DATES := 2026-12-31T23:30:00 2028-02-29T09:00:00 2028-03-26T01:30:00 2028-10-29T01:30:00 2029-06-01T12:00:00
TEST_DATES_WHOLE ?=

faketime: ## Install Debian's faketime when it is missing
	$(call apt_install,faketime)

test-dates: install-dev faketime ## Run the non-browser suite on SQLite under faketime, a share of it at each of TEST_DATES
	@shares=$(words $(TEST_DATES)); share=0; \
	for moment in $(TEST_DATES); do \
	  share=$$((share + 1)); \
	  if [ -n "$(TEST_DATES_WHOLE)" ]; then part=""; what="the whole suite"; \
	  else part="--share $$share/$$shares"; what="share $$share of $$shares"; fi; \
	  echo "== make test-dates: $$what, the machine's clock starting at $${moment/T/ } Europe/London"; \
	  TZ=Europe/London FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DISABLE_SHM=1 PYTHONPATH=tests/faketime \
	    faketime -f "@$${moment/T/ }" \
	    $(PY) -m pytest --db=sqlite -n $(PYTEST_WORKERS) --ignore=tests/e2e $$part $(PYTEST_ARGS) || exit 1; \
	done

translations: install-dev ## Rewrite the Welsh catalogue from the code and say how many messages are untranslated (docs/languages.md)
	$(VENV)/bin/python -m diversion.tools.i18n update

lint: install-dev ## ruff (lint and format check), djlint, mypy strict on the crypto package, the dates and the permissions, no import cycles
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/mypy --strict diversion/crypto diversion/dates.py diversion/permissions.py
	$(PY) -m diversion.tools.imports

format: install-dev ## Format Python code with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev ## Run the benchmarks in bench/ and write bench/results.json
	$(PY) bench/run.py

loadtest: install-dev ## gunicorn (2 workers) on PostgreSQL and Redis under 50 simulated people; writes bench/loadtest.json
	$(PY) bench/loadtest.py

audit: install-dev ## Audit the pinned dependencies for known vulnerabilities (pip-audit; accepted exceptions in security/)
	$(PY) security/audit.py requirements/app.txt requirements/dev.txt

clean: ## Remove the virtualenv, node_modules and built assets (keeps instance/)
	rm -rf $(VENV) node_modules $(BUILD)
