# Sputnik Moment: every target creates .venv and installs the package if needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format bench docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## make demo: run the headline comparison and write its charts to out/demo
demo: $(STAMP)
	$(BIN)/sputnik demo --out out/demo

## make test: ruff (check + format), then the whole suite (unit, property, scenario, behaviour, CLI, sweeps, game, notebooks)
test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format sim tests benchmarks

## make bench: speed figures (model runs/s, sweep throughput, game round latency)
bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## make docs: regenerate the parameter reference from the schema
docs: $(STAMP)
	$(BIN)/sputnik params --format md > docs/parameters.md

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
