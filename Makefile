# Two commands on a fresh machine: `make run` and `make test`.
# The first interpreter that actually runs and is 3.11+ (pyenv shims exist for versions
# that are not installed, so `command -v` is not enough).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
BIND ?= 127.0.0.1:5000

.PHONY: run test test-js vectors test-postgres lint docs docs-serve fuzz bench bench-fleet \
	bench-failures bench-reports bench-topology bench-deltas clean i18n-extract i18n-update i18n-compile i18n-init

# Translations (docs/development/translations.md): the .po files are the source; the
# compiled .mo files are built here, by the install step, and never committed.
CATALOGS := updatesrv/translations
POT := $(CATALOGS)/messages.pot
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(CATALOGS)/*/LC_MESSAGES/messages.po))

$(STAMP): pyproject.toml client/pyproject.toml
	@test -n "$(PYTHON)" || { echo "updatesrv needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e './client[signatures,deltas]' -e '.[dev]'
	$(if $(MO_FILES),$(BIN)/pybabel compile --use-fuzzy -d $(CATALOGS))
	touch $(STAMP)

$(CATALOGS)/%/LC_MESSAGES/messages.mo: $(CATALOGS)/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ -l $*

## Every translatable string of the server into $(POT) (commit it with the .po files).
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
		--ignore-dirs=migrations -o $(POT) updatesrv

## Merge the template into every locale's .po: new strings appear empty, stale ones go.
i18n-update: i18n-extract
	$(BIN)/pybabel update -i $(POT) -d $(CATALOGS) --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date \
		--width 100

## Start a new locale: make i18n-init LOCALE=de
i18n-init: i18n-extract
	@test -n "$(LOCALE)" || { echo "usage: make i18n-init LOCALE=de"; exit 1; }
	$(BIN)/pybabel init -i $(POT) -d $(CATALOGS) -l $(LOCALE) --width 100

i18n-compile: $(MO_FILES)

## Create the virtualenv, the SQLite database (with a demo product when empty), and serve.
run: $(STAMP) $(MO_FILES)
	$(BIN)/updatesrv init --demo --bind $(BIND)
	@echo
	@echo "  demo product: /p/ledgerly-demo/ and the console: /console/ on the address"
	@echo "  printed below (\"updatesrv is serving on ...\"); demo vendor login:"
	@echo "  demo@example.com / demo-password"
	@echo
	$(BIN)/updatesrv serve --bind $(BIND)

# The real updaters the feed tests drive (electron-updater), from the committed lock file.
NODE_TESTS := tests/feeds/node
$(NODE_TESTS)/node_modules/.package-lock.json: $(NODE_TESTS)/package-lock.json
	cd $(NODE_TESTS) && npm ci --no-audit --no-fund

# The JavaScript client (client-js/): its dev tools from the committed lock file.
CLIENT_JS := client-js
$(CLIENT_JS)/node_modules/.package-lock.json: $(CLIENT_JS)/package-lock.json
	cd $(CLIENT_JS) && npm ci --no-audit --no-fund

## Build client-js and run its tests (node --test, against a live updatesrv on loopback).
## Without Node.js they are skipped with a message, unless UPDATESRV_REQUIRE_NODE=1 (CI).
test-js: $(STAMP)
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
		if [ -n "$$UPDATESRV_REQUIRE_NODE" ]; then \
			echo "FAIL: the client-js tests need Node.js >= 18 and npm, which are not installed" >&2; exit 1; fi; \
		echo "SKIPPED: the client-js tests (Node.js >= 18 and npm are not installed)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(CLIENT_JS)/node_modules/.package-lock.json && \
	cd $(CLIENT_JS) && npm test --silent

## Rewrite the conformance vectors (spec/vectors/) with the server's signing code.
vectors: $(STAMP)
	$(BIN)/python -m updatesrv.trust.vectors

## Create the virtualenv and run the whole suite (SQLite; set UPDATESRV_TEST_DATABASE_URL for PostgreSQL).
test: $(STAMP) $(MO_FILES) $(NODE_TESTS)/node_modules/.package-lock.json test-js
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) $(MO_FILES) $(NODE_TESTS)/node_modules/.package-lock.json
	UPDATESRV_TEST_DATABASE_URL=$${UPDATESRV_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1/test} \
		$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check updatesrv client tests benchmarks examples tools
	$(BIN)/mypy
	$(BIN)/mypy tools

## The documentation site (MkDocs, Material theme) from docs/ into site/. --strict: a broken
## link, a missing anchor or a page left out of the nav fails the build. The reference pages
## (configuration, CLI, HTTP API) are generated from the code by tools/docsgen.py.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean --site-dir site

## The same site with live reload at http://127.0.0.1:8001/ (DOCS_ADDR to move it).
DOCS_ADDR ?= 127.0.0.1:8001
docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr $(DOCS_ADDR)

## A bounded schemathesis run (FUZZ_SECONDS, default 120) over /api/v1/openapi.json against
## a seeded server on loopback: fails on any 5xx or any answer the document does not describe.
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run_schemathesis.py

## Throughput of the check endpoint vs. a bare Flask route, under gunicorn, driven by wrk
## (Debian's wrk is installed when missing).
bench: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python benchmarks/pages_bench.py
	$(BIN)/python benchmarks/check_bench.py
	$(BIN)/python benchmarks/app_cost.py

## 10,000 simulated installs through the real client against a real server: reach truth vs. the API.
bench-fleet: $(STAMP)
	$(BIN)/python benchmarks/fleet.py

## Failure reports: a failure spike in a 10,000-install fleet (alarm delay, pause before the
## ramp widens, counts vs. truth), and 1,000 reports/s beside the check (throughput, memory, caps).
bench-failures: $(STAMP)
	$(BIN)/python benchmarks/failure_fleet.py

bench-reports: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python benchmarks/reports_overload.py

## The production topology on this machine: nginx over three serve processes on PostgreSQL,
## 60 s of checks with one backend killed halfway (needs nginx, wrk and PostgreSQL).
bench-topology: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && apt-get install -y -qq nginx; }
	$(BIN)/python benchmarks/topology_bench.py $(BENCH_ARGS)

## Binary deltas: patch size, build/apply time and peak memory of zstd patch-from and bsdiff4
## on synthetic 50 MB and 20 MB installers (about 5 minutes; see docs/vendor/deltas.md).
bench-deltas: $(STAMP)
	$(BIN)/python benchmarks/deltas_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
