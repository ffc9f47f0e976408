# The README's two commands come first: `make demo` and `make test`. Each sets up everything it
# needs on a fresh machine (virtualenv, pinned dependencies, Kafka jars, helm) and stops what it
# started. `make help` lists every target.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: demo
demo: $(STAMP) ## Run the pipeline on the sample corpus (local broker + simulated API) and print a summary
	$(BIN)/moderation demo

.PHONY: console
console: $(STAMP) ## Open the review console on the human-review tasks the last `make demo` left (embedded database)
	$(BIN)/moderation console demo

.PHONY: test
test: $(STAMP) tools os-packages lint typecheck ## Lint, type-check and run every test; starts and stops its own broker
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z_-]+:.*?## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml devtools/pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' -e ./devtools
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv with the pinned dependencies

.PHONY: tools
tools: $(STAMP) ## Fetch the Kafka broker jars and build helm, once (cached under ~/.cache/moderation)
	bash helm/tools/install-helm.sh
	$(BIN)/python -c 'from moderation_dev.devkafka import ensure_runtime; r, f = ensure_runtime(); print(("fetched " if f else "cached ") + str(r.root))'

.PHONY: os-packages
os-packages: ## Install Debian's chromium, chromium-driver and postgresql for the console tests (skips what is present)
	bash .ci/os-packages.sh

.PHONY: lint
lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: format
format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: typecheck
typecheck: $(STAMP) ## mypy, strict
	$(BIN)/mypy

.PHONY: unit
unit: $(STAMP) ## Only the unit tests (no I/O)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

.PHONY: loadtest
loadtest: $(STAMP) ## Run a load-test scenario (SCENARIO=steady|burst|backlog, ARGS=...) and print the table
	$(BIN)/python -m loadtest $(or $(SCENARIO),backlog) $(or $(ARGS),--items 4000 --no-trace)

.PHONY: eval
eval: $(STAMP) ## Score the baseline and a candidate config on the bundled labelled set (simulated API)
	$(BIN)/moderation eval bundled --config baseline --config $(or $(CANDIDATE),sonnet-triage) --simulate $(ARGS)

.PHONY: chaos
chaos: $(STAMP) ## Crash soak: SIGKILL a worker (and every 3rd run the broker) per run (RUNS=20, ARGS=...)
	$(BIN)/python -m loadtest chaos --runs $(or $(RUNS),20) $(ARGS)

.PHONY: docs
docs: $(STAMP) ## Regenerate the README configuration table and the contract schemas
	$(BIN)/python -m moderation.settings_doc --write README.md
	$(BIN)/python -m moderation_contracts.schemagen

.PHONY: kafka-up
kafka-up: $(STAMP) ## Start the local broker on 127.0.0.1:9092 (reused if running)
	$(BIN)/moderation dev kafka up

.PHONY: kafka-down
kafka-down: $(STAMP) ## Stop the local broker that kafka-up started
	$(BIN)/moderation dev kafka down

.PHONY: clean
clean: ## Remove the virtualenv and caches in the work tree (not the Kafka jar cache)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .run
