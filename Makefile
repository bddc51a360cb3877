# Two entry points: `make run` and `make test`. Both set everything up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test install build bench clean

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

test: build
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: build
	@echo "see docs/benchmarks.md for each benchmark's command"

clean:
	rm -rf var $(VENV)
