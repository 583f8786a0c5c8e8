# The two commands a newcomer runs: `make demo` and `make test`.
# Both create .venv and install the project when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint check bench bench-smoke clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/releve demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The one quality command: lint, format, types, then the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint test

# Each benchmark also runs alone: see bench/README.md. DATA is the DAIAD file.
DATA ?= ../shared/data/daiad_swm_trialA.csv.gz
bench: $(STAMP)
	$(BIN)/python bench/ingest_csv.py --daiad $(DATA)
	$(BIN)/python bench/ingest_mqtt.py
	$(BIN)/python bench/estimate.py $(DATA)
	$(BIN)/python bench/detect_eval.py $(DATA)

# Every benchmark on tiny sizes, in seconds: proves each one still runs (CI).
bench-smoke: $(STAMP)
	PYTHON=$(BIN)/python bash bench/smoke.sh

clean:
	rm -rf $(VENV) .releve .pytest_cache .mypy_cache .ruff_cache
