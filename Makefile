# streamproc — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install run test test-unit test-int test-e2e lint fmt schemas kafka-up kafka-down \
        kafka-status sandbox worker clean bench chaos

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev extra

run: $(STAMP) ## Start Kafka, the HaloPSA sandbox and a worker; show alerts becoming tickets
	$(BIN)/streamproc dev

test: $(STAMP) lint ## Lint, check topic schemas, run every test tier (starts its own Kafka)
	$(BIN)/python -m streamproc.contracts.schemas --check
	$(BIN)/pytest tests

test-unit: $(STAMP) ## Unit tests only (no broker)
	$(BIN)/pytest tests/unit

test-int: $(STAMP) ## Integration tests on a real Kafka broker
	$(BIN)/pytest tests/integration

test-e2e: $(STAMP) ## End-to-end scenarios: worker subprocess + real broker + sandbox
	$(BIN)/pytest tests/e2e

lint: $(STAMP) ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP) ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schemas: $(STAMP) ## Regenerate topics/*.schema.json from the pydantic models
	$(BIN)/python -m streamproc.contracts.schemas

kafka-up: $(STAMP) ## Start the local Kafka broker (jars from Maven Central, cached in .cache/)
	$(BIN)/streamproc kafka up

kafka-down: $(STAMP) ## Stop the local Kafka broker
	$(BIN)/streamproc kafka down

kafka-status: $(STAMP) ## Is the local broker running?
	$(BIN)/streamproc kafka status

sandbox: $(STAMP) ## Run the HaloPSA sandbox on 127.0.0.1:9080 (demo data)
	$(BIN)/streamproc halo-sandbox --port 9080 --seed demo

worker: $(STAMP) ## Run one worker in dev mode against the local broker
	STREAMPROC_DEV_MODE=1 $(BIN)/streamproc worker

bench: $(STAMP) ## Benchmark (own broker + sandbox; ~5 min; BENCH_ARGS="--quick" for ~2 min)
	$(BIN)/python -m bench $(BENCH_ARGS)

CHAOS_ARGS ?= --workers 3 --companies 20 --lifecycles 5000 --kill-every 7 --duration 600 \
	--storm-kills 5 --restart-after 2 2 --halo-rate-limit 1000 --quiet 60 --max-wait 900
chaos: $(STAMP) ## Chaos run: 3 workers, SIGKILLs (ending in a rebalance storm), Halo faults; prints a summary
	$(BIN)/python -m tests.chaos $(CHAOS_ARGS)

clean: ## Stop Kafka and remove caches, state and the venv
	-$(BIN)/streamproc kafka down
	rm -rf .cache data $(VENV) .pytest_cache .ruff_cache .hypothesis
