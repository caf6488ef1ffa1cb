# Two commands do all the set-up on a fresh machine:
#   make demo    — install, then play the whole journey against wixsim (embedded defaults, nothing else needed)
#   make test    — install and pass the whole test suite (SQLite and PostgreSQL)
# make serve is the production-like entry: install, migrate and run posbridge (needs a real Wix app's settings).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Every package and version comes from requirements.lock (`make lock` regenerates it from pyproject.toml);
# uv installs it, in a few seconds. Its own version is the one the lock pins.
LOCK := requirements.lock
UV_VERSION = $(shell sed -n 's/^uv==//p' $(LOCK))

# pytest's workers spend about half their time waiting on sockets and subprocesses (real servers,
# wixsim, Chromium, node), so half again as many workers as cores keeps the cores busy (2 cores, idle,
# 1,711 tests, 2026-12-01: pytest 190 s with 2 workers, the cores 32% idle; 155-171 s with 3, 6% idle;
# 168 s with 4, which only shares the same busy cores more ways).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n * 3 / 2 > 1 ? n * 3 / 2 : 1 )))

.PHONY: install demo serve test lint lock bench clean

# Bytecode is compiled once, here: where PYTHONDONTWRITEBYTECODE is set (this machine sets it), no
# import ever writes a .pyc, and every process (each pytest worker, every wixsim or posbridge the tests
# start) would compile its dependencies from source again, about 1.5 s of CPU each.
# The venv is made without pip (seeding pip takes longer than the whole install from the lock); the
# interpreter's own pip puts uv in it, or, where that pip is missing or too old for --python, a seeded one.
INSTALL_UV = $(PYTHON) -m pip --python $(BIN)/python install -q --disable-pip-version-check $(1) 2>/dev/null \
	|| { $(BIN)/python -m ensurepip >/dev/null && $(BIN)/python -m pip install -q --disable-pip-version-check $(1); }

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(call INSTALL_UV,uv==$(UV_VERSION))
	$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python $(LOCK)
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/uv pip check -q --python $(BIN)/python
	touch $(STAMP)

install: $(STAMP)

# Our own code changes between runs, so it is compiled at each (only what changed is recompiled).
COMPILE_OURS = $(BIN)/python -m compileall -q -j 0 src tests

demo: install
	$(COMPILE_OURS)
	$(BIN)/posbridge demo

# Re-resolve the lock after a change to the dependencies in pyproject.toml (versions already pinned stay
# unless they no longer fit); `make lock UPGRADE=1` moves everything to the newest allowed versions.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	test -x $(BIN)/uv || $(call INSTALL_UV,uv)
	$(BIN)/uv pip compile -q pyproject.toml --extra test --universal --python-version 3.11 \
		$(if $(UPGRADE),--upgrade) -o $(LOCK)

serve: install
	scripts/dev-env
	set -a && . ./.env && set +a && $(BIN)/posbridge db upgrade && $(BIN)/posbridge serve

# mypy's incremental cache is kept beside the user's other caches, not in the clone: a fresh clone is checked
# against it in about half a second instead of about 11 s of CPU taken from the test workers as they start.
# mypy tells a stale entry by the file's hash, its own version and the options, so the verdict is a full run's.
MYPY_CACHE ?= $(HOME)/.cache/posbridge/mypy

# worksteal: each worker starts on its own block of the collection, whose head tests/conftest.py fills
# with that worker's share of the slow tests; a worker out of work then steals the end of another's.
test: install
	scripts/ensure-services
	scripts/ensure-chromium
	$(BIN)/ruff check src tests bench
	$(COMPILE_OURS)
	scripts/beside "scripts/ensure-node-sdks && MYPY_CACHE_DIR=$(MYPY_CACHE) $(BIN)/mypy" -- $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	scripts/ensure-services
	$(BIN)/python bench/import_menu.py
	$(BIN)/python bench/spi.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/kitchen.py
	$(BIN)/python bench/stock.py
	$(BIN)/python bench/pos_deliveries.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
