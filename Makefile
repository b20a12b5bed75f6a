# roleprint: `make run` sets up and materialises everything once; `make test` sets up and tests.
# A fresh machine needs only Python 3.11 and pip: setup installs uv, then the locked set.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup run test eval eval-guard lint format ui clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==0.13.9

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --compile-bytecode --extra dev --quiet
	touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

setup: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/roleprint prepare

run: setup
	$(BIN)/roleprint run $(ARGS)

lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.synced
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Analysis quality against the reference data in ../shared (paths given at run time, never copied).
SHARED ?= ../shared
BUILTIN := $(SHARED)/datasets/builtin-ai-jobs
EVAL_JSON ?= data/evaluation/eval.json
EVAL_CHECK ?= --check-targets
eval: setup
	mkdir -p $(dir $(EVAL_JSON))
	$(BIN)/roleprint eval $(EVAL_CHECK) --json $(EVAL_JSON) \
		--gold $(SHARED)/gold/responsibility_categories.dev.jsonl \
		--batch $(BUILTIN)/2026-02-04/postings=$(BUILTIN)/2026-02-04/llm_extractions \
		--batch $(BUILTIN)/2026-02-27-sample/postings=$(BUILTIN)/2026-02-27-sample/llm_extractions

# CI's guard: fails below a target or below a floor (FLOORS in pipeline/evaluation/run.py).
eval-guard:
	$(MAKE) eval EVAL_CHECK="--check-targets --check-floors"

ui: setup
	$(BIN)/roleprint ui --host 127.0.0.1 --port 3000

clean:
	rm -rf data .dagster_home dbt_project/target dbt_project/logs
