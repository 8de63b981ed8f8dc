# Foundation news CMS. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv and install the project with its test tools

.PHONY: run
run: install ## Set up everything (migrate, demo content, admin account) and serve http://127.0.0.1:8000
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo_content
	$(MANAGE) ensure_admin
	$(MANAGE) runserver 127.0.0.1:8000

.PHONY: test
test: install ## Run the whole test suite (SQLite, or DATABASE_URL if set)
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest

.PHONY: serve
serve: install ## Serve under gunicorn with WhiteNoise, as in production
	$(MANAGE) collectstatic --no-input
	$(MANAGE) migrate --no-input
	$(BIN)/gunicorn -c foundation/gunicorn.conf.py foundation.wsgi

.PHONY: lint
lint: install ## ruff
	$(BIN)/ruff check .
