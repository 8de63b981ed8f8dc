# Foundation news CMS. `make help` lists the targets.
#
# Everything runs from .venv, which `make install` creates from pyproject.toml (the project
# with its `test` extra, so one install serves `make run`, `make test` and `make lint`). It is
# re-installed whenever pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
# `make serve` without DJANGO_SECRET_KEY: a key made once for this checkout, kept inside
# .venv (never committed), so that sessions survive restarts.
SERVE_KEY := $(VENV)/serve-secret-key

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@echo "Foundation news CMS. Quick start: make run (then open http://127.0.0.1:8000/), make test."
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv and install the project with its test tools

.PHONY: run
run: install ## Migrate, load demo content, ensure an admin account, serve http://127.0.0.1:8000
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo_content
	$(MANAGE) ensure_admin
	$(MANAGE) runserver 127.0.0.1:8000

.PHONY: migrations-check
migrations-check: install ## Fail if a model change has no migration
	$(MANAGE) makemigrations --check --dry-run

# axe-core for the accessibility gate (tests/browser/test_quality_gates.py), pinned by
# tests/browser/package-lock.json; re-installed whenever the lock file changes.
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $(AXE)

.PHONY: browser-deps
browser-deps: $(AXE) ## Install axe-core (npm) for the browser tests

.PHONY: test
test: migrations-check browser-deps ## Run the whole test suite (SQLite, or DATABASE_URL if set)
	$(BIN)/pytest

# The Chinese interface: locale/zh_Hans/LC_MESSAGES/django.po (translated by hand) and the
# django.mo compiled from it are both committed, so a checkout works without gettext.
MESSAGES_IGNORE := $(foreach dir,$(VENV) staticfiles media build test-artifacts .bench tests templates/posts/exports *.egg-info,--ignore='$(dir)/*')

.PHONY: messages
messages: install ## Update the Chinese catalogue from the code, then compile it (needs gettext)
	$(MANAGE) makemessages -l zh_Hans --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	$(MANAGE) compilemessages -l zh_Hans --ignore='$(VENV)'

.PHONY: lint
lint: install ## Check the code with ruff
	$(BIN)/ruff check .

# Production mode (DEBUG off) on this machine. With DJANGO_SECRET_KEY unset it serves plain
# HTTP on loopback: a local-only key, ALLOWED_HOSTS localhost/127.0.0.1, no HTTPS redirect,
# cookies without the Secure flag. With DJANGO_SECRET_KEY set, the environment decides.
.PHONY: serve
serve: install ## Serve under gunicorn with WhiteNoise and DEBUG off, as in production
	@set -e; set -a; \
	if [ -z "$$DJANGO_SECRET_KEY" ]; then \
		echo "make serve: DJANGO_SECRET_KEY is unset, using a local-only key and plain HTTP on loopback."; \
		[ -s $(SERVE_KEY) ] || (umask 077; $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(SERVE_KEY)); \
		DJANGO_SECRET_KEY="$$(cat $(SERVE_KEY))"; \
		DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1}"; \
		DJANGO_SECURE_SSL_REDIRECT="$${DJANGO_SECURE_SSL_REDIRECT:-0}"; \
		DJANGO_SECURE_COOKIES="$${DJANGO_SECURE_COOKIES:-0}"; \
	fi; \
	DJANGO_DEBUG="$${DJANGO_DEBUG:-0}"; \
	$(MANAGE) collectstatic --no-input --verbosity 0; \
	$(MANAGE) migrate --no-input; \
	exec $(BIN)/gunicorn -c foundation/gunicorn.conf.py foundation.wsgi

# Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
# foundation_news_bench, created if missing) and Debian's wrk. Options: BENCH_ARGS="--duration 30".
.PHONY: bench
bench: install ## Benchmark pages with wrk on 10,000 posts (built once); writes bench-results.md
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk; } \
		|| { echo "make bench needs Debian's wrk: sudo apt-get install wrk" >&2; exit 1; }
	$(MANAGE) bench $(BENCH_ARGS)

# Needs PostgreSQL (SOAK_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
# foundation_news_soak, dropped and made afresh with the demo content). Uses Redis when
# REDIS_URL is set. Options: SOAK_ARGS="--duration 120 --workers 3".
.PHONY: soak
soak: install ## Ten minutes of mixed load (visitors, editors, an export); fails on errors, lost saves or memory growth
	$(MANAGE) soak $(SOAK_ARGS)

.PHONY: clean
clean: ## Remove collected static files and caches (keeps .venv, the database and media)
	rm -rf staticfiles .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
