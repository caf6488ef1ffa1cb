# Two commands do all the set-up on a fresh machine:
#   make demo    — install, then play the whole journey against wixsim (embedded defaults, nothing else needed)
#   make test    — install and pass the whole test suite (SQLite and PostgreSQL)
# make serve is the production-like entry: install, migrate and run posbridge (needs a real Wix app's settings).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -U pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/posbridge demo

serve: install
	scripts/dev-env
	set -a && . ./.env && set +a && $(BIN)/posbridge db upgrade && $(BIN)/posbridge serve

test: install
	scripts/ensure-services
	scripts/ensure-chromium
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	scripts/ensure-services
	$(BIN)/python bench/import_menu.py
	$(BIN)/python bench/spi.py
	$(BIN)/python bench/sync.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
