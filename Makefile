# The two commands: `make demo` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

# `make test` talks to the real services; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/renovation_portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: demo test venv serve lint messages chromium deploy-check worker beat clean bench-data bench bench-weight bench-slow bench-writes bench-sync

venv: $(VENV)/.stamp-install

$(VENV)/.stamp-install: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

## make demo: SQLite (unless DATABASE_URL is set), demo data, demo users, http://127.0.0.1:8000
## The demo's e-mails are written to demo-mail/ (one file per message) instead of being sent.
DEMO_ENV := DEBUG=1 EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend EMAIL_FILE_PATH=$(CURDIR)/demo-mail
demo: venv
	$(DEMO_ENV) $(PY) manage.py migrate --no-input -v 0
	$(DEMO_ENV) $(PY) manage.py load_demo
	@echo "Serving the portal on http://127.0.0.1:8000  (Ctrl-C stops it; the demo's e-mails are in demo-mail/)"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

## make test: the whole suite on the real PostgreSQL and Redis, browser tests included, on every core (pytest-xdist)
test: venv chromium
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) PORTAL_TESTING=1 \
		$(PY) manage.py check_services
	PORTAL_TESTING=1 DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run -v 1
	$(MAKE) --no-print-directory deploy-check
	$(MAKE) --no-print-directory lint
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest -n auto --dist worksteal $(PYTEST_ARGS)

## The layers (import-linter contracts in pyproject.toml), ruff's lint rules and its formatting.
lint: venv
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## The production configuration passes Django's deployment checks.
deploy-check: venv
	DEBUG=0 HTTPS_ONLY=1 SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) ALLOWED_HOSTS=renovation.example.cn \
		$(PY) manage.py check --deploy --fail-level WARNING

## Debian's Chromium and CJK fonts for the browser tests (never `playwright install`).
chromium:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

## Extract and compile the zh-Hans catalogs (needs gettext); the compiled .mo files are committed.
messages: venv
	for app in communities notifications projects consultations inspections; do \
		(cd $$app && DEBUG=1 ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete >/dev/null) || exit 1; done
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore='communities/*' --ignore='projects/*' \
		--ignore='consultations/*' --ignore='inspections/*' --ignore='notifications/*' --ignore='.venv/*' --ignore='static/*' --ignore='tests/*' --ignore='bench/*'
	DEBUG=1 $(PY) manage.py compilemessages --ignore='.venv/*'

## Celery worker and beat against REDIS_URL (see README).
worker: venv
	$(VENV)/bin/celery -A renovation_portal worker -l info
beat: venv
	$(VENV)/bin/celery -A renovation_portal beat -l info --schedule /tmp/renovation-celerybeat-schedule

clean:
	rm -rf $(VENV) demo.sqlite3 staticfiles .pytest_cache

## Benchmarks (see BENCHMARKS.md): a database of generated data, then the harness against it.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/renovation_bench
SCALE ?= district
# OPEN_ISSUES=3000000: then add rectification issues until that many are unclosed (the reminder sweep's target).
OPEN_ISSUES ?=
bench-data: venv
	-createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_DATABASE_URL)) 2>/dev/null
	DEBUG=1 DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --no-input -v 0
	DEBUG=1 DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py generate_data --scale $(SCALE) --rollups-after \
		$(if $(OPEN_ISSUES),--open-issues $(OPEN_ISSUES))
bench: venv
	$(PY) bench/run.py --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)

## What the dashboards' rollup triggers add to closing an issue and filing a progress report (same rows, on and off).
bench-writes: venv
	$(PY) bench/writes.py --database-url $(BENCH_DATABASE_URL) $(WRITES_ARGS)

## A district inspector's first full sync and the delta after one change, through the API (see bench/sync.py).
bench-sync: venv
	$(PY) bench/sync.py --database-url $(BENCH_DATABASE_URL) $(SYNC_ARGS)

## Page weight on a phone's first visit (see BENCHMARKS.md): builds the demo, serves it with production settings.
bench-weight: venv
	$(PY) bench/page_weight.py $(WEIGHT_ARGS)

## The same demo on a phone on slow 4G (150 ms, 1.6 Mbps, CPU ×4) in Chromium: bytes, requests, LCP, time to usable.
bench-slow: venv chromium
	$(PY) bench/slow_network.py $(SLOW_ARGS)
