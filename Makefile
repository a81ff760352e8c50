# Sputnik Moment: every target creates .venv and installs the package if needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format bench docs clean fuzz chromium serve notebooks notebooks-html
CHROMIUM := /usr/bin/chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## make demo: run the headline comparison and write its charts to out/demo
demo: $(STAMP)
	$(BIN)/sputnik demo --out out/demo

## make chromium: Debian's Chromium for the browser tests (never 'playwright install': offline)
chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || (echo "install Debian's chromium (apt-get install chromium) for the browser tests" && exit 1)

## make test: ruff (check + format), then the whole suite (unit, property, scenario, behaviour, CLI, sweeps, game, web, notebooks)
test: $(STAMP) chromium
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks
	$(BIN)/python -m pytest

## make fuzz: the long fuzz campaign (SPUTNIK_FUZZ_EXAMPLES cases per input kind, default 1,500:
## over 10,000 in all); the tally goes to .hypothesis/fuzz-stats.json
fuzz: $(STAMP)
	SPUTNIK_FUZZ=1 $(BIN)/python -m pytest tests/test_fuzz.py -q
	@cat .hypothesis/fuzz-stats.json

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format sim tests benchmarks

## make bench: speed figures (model runs/s, sweep throughput, game round latency)
bench: $(STAMP)
	@rc=0; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || rc=1; done; \
	  if [ $$rc != 0 ]; then echo "make bench: a benchmark missed its target or failed (see above)"; fi; exit $$rc

## make serve: the workshop web app on http://127.0.0.1:8765 (game saved in games.db)
serve: $(STAMP)
	$(BIN)/sputnik serve --db games.db

## make notebooks: JupyterLab on the teaching notebooks
notebooks: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	$(BIN)/jupyter lab notebooks/

## make notebooks-html: execute every notebook into docs/notebooks/*.html (charts visible without Python)
notebooks-html: $(STAMP)
	$(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=600 \
	  --output-dir docs/notebooks notebooks/*.ipynb
	@# offline pages: drop the CDN scripts (require.js, MathJax) that plain charts never need
	sed -i -E 's#<script src="https://[^"]*">[^<]*</script>##g' docs/notebooks/*.html

## make docs: regenerate the parameter reference from the schema
docs: $(STAMP)
	$(BIN)/sputnik params --format md > docs/parameters.md

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
