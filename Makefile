# Two entry points: `make run` and `make test`. Both set everything up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint install build bench clean browser-deps screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Builds var/emclm.sqlite3 from data/ the first time; later runs check and reuse it.
build: install
	$(BIN)/emclm db build

run: build
	$(BIN)/emclm serve

test: lint build browser-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Style and layering, checked before any test runs: ruff (lint + format) over the code, and the
# import-linter contracts of pyproject.toml ([tool.importlinter], decision 0012) over src/emclm.
lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports --no-cache

# What the browser tests need beyond Python (not `make run`): Debian's Chromium (Playwright's own
# browser download does not work here) and axe-core from npm (package.json / package-lock.json).
browser-deps: node_modules/.installed
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm; }
	npm ci --no-audit --no-fund
	touch $@

# Re-take docs/screenshots/*.png (shown in the README) from the browser tests.
screenshots: build browser-deps
	EMCLM_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/web/test_browser.py

bench: build
	@echo "see docs/benchmarks.md for each benchmark's command"

clean:
	rm -rf var $(VENV)
