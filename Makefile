# datacheck: `make demo` and `make test` work on a fresh machine; everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LINTED := datacheck tests bench plugins
TYPED  := datacheck plugins
HYPOTHESIS_PROFILE ?= ci
export HYPOTHESIS_PROFILE

.PHONY: help install browser check test test-thorough format-check lint typecheck bench demo clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

install: $(STAMP)  ## create .venv and install datacheck (editable) with its extras

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,beam,tfdv,labeling,training,serving,service,dask,spark,s3]'
	touch $(STAMP)

browser:  ## install Debian's chromium for the report's browser tests, where missing and root
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium for the browser tests (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  echo "could not install chromium: the browser tests will be skipped"; \
	else echo "no /usr/bin/chromium and not root: the browser tests will be skipped"; fi

check: install browser  ## what CI checks, in this order: format, lint, types, the tests
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy --strict $(TYPED)
	$(BIN)/python -m pytest

test: install browser  ## run the whole test suite (hypothesis profile: ci)
	$(BIN)/python -m pytest

test-thorough: install  ## run the tests with many hypothesis examples
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest tests/property

format-check: install  ## ruff format --check (the code is laid out by ruff format)
	$(BIN)/ruff format --check $(LINTED)

lint: install  ## ruff
	$(BIN)/ruff check $(LINTED)

typecheck: install  ## mypy --strict on the package and the plugins
	$(BIN)/mypy --strict $(TYPED)

bench: install  ## run the benchmarks (minutes); figures go to bench/RESULTS.md by hand
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/bench_stats.py
	$(BIN)/python bench/bench_read.py
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/bench_inference_bounds.py
	$(BIN)/python bench/bench_beam.py

demo: install  ## profile the example dataset, infer its schema, validate a changed copy
	@mkdir -p out/demo
	$(BIN)/datacheck stats tests/data/demo/cars.csv -o out/demo/profile.json
	$(BIN)/datacheck infer out/demo/profile.json -o out/demo/schema.json
	@# cars_changed.csv has real problems, so validate exits 1; the demo shows it and goes on.
	@echo '$$ datacheck validate tests/data/demo/cars_changed.csv --schema out/demo/schema.json --baseline out/demo/profile.json --quarantine out/demo/quarantine.jsonl'
	@$(BIN)/datacheck validate tests/data/demo/cars_changed.csv --schema out/demo/schema.json \
		--baseline out/demo/profile.json --quarantine out/demo/quarantine.jsonl; \
	status=$$?; echo "datacheck validate exit code: $$status (1: error-level anomalies found)"; \
	test $$status -le 1
	@$(BIN)/datacheck report tests/data/demo/cars_changed.csv --baseline out/demo/profile.json \
		--schema out/demo/schema.json -o out/demo/report.html >/dev/null 2>&1; \
	test $$? -le 1 && echo "HTML report written to out/demo/report.html (open it in a browser)"

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
