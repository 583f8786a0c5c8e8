# The two commands a newcomer runs: `make demo` and `make test`.
# Both create .venv and install the project when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/releve demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Each benchmark also runs alone: see bench/README.md. DATA is the DAIAD file.
DATA ?= ../shared/data/daiad_swm_trialA.csv.gz
bench: $(STAMP)
	$(BIN)/python bench/ingest_csv.py --daiad $(DATA)
	$(BIN)/python bench/ingest_mqtt.py
	$(BIN)/python bench/estimate.py $(DATA)
	$(BIN)/python bench/detect_eval.py $(DATA)

clean:
	rm -rf $(VENV) .releve .pytest_cache .mypy_cache .ruff_cache
