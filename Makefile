# callrouter's everyday commands. Each target sets up what it needs by itself, so a
# fresh clone needs only: `make run` (a call center on the simulated Asterisk) and
# `make test` (the whole suite against a real PostgreSQL).

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
CONFIG ?= callrouter.yml
PYTEST_ARGS ?=

.PHONY: help venv run serve simulate migrate test browsers lint bench docker clean

help:
	@echo "make run      set up, start embedded PostgreSQL, migrate, run a call center on the simulated Asterisk"
	@echo "make serve    set up, migrate, run 'callrouter serve' against the Asterisk in $(CONFIG)"
	@echo "make test     set up and run the whole test suite"
	@echo "make lint     ruff and mypy"
	@echo "make bench    run the benchmarks in bench/ and print their figures"

# The stamp file re-installs only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed; installing Debian's python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/callrouter --config $(CONFIG) db migrate
	$(BIN)/callrouter --config $(CONFIG) simulate

serve: venv
	$(BIN)/callrouter --config $(CONFIG) db migrate
	$(BIN)/callrouter --config $(CONFIG) serve

migrate: venv
	$(BIN)/callrouter --config $(CONFIG) db migrate

test: venv browsers
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# --- browser tests (tests/web): Debian's chromium and chromedriver, installed once if
# absent; without them those tests are skipped with the reason, never passed.
browsers:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "installing Debian's chromium and chromium-driver for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "could not install chromium: the browser tests will be skipped"; }
# --- end of browser tests

lint: venv
	$(BIN)/ruff check callrouter tests bench
	$(BIN)/mypy

bench: venv
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

docker:
	docker build -t callrouter .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
