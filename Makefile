# The developer's front door. `make help` lists the targets.

VENV ?= .venv
BIN := $(VENV)/bin
SERVICES := orders crm billing fulfillment feedback support
PACKAGES := contracts backbone $(addprefix services/,$(SERVICES))
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))

.DEFAULT_GOAL := help
.PHONY: help install servers test lint format schemas demo run bench-backbone bench-ingest bench-invoices

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

install: $(VENV)/.installed  ## Debian packages, a virtualenv and every package

$(VENV)/.installed: $(PYPROJECTS) requirements-dev.txt deploy/local/system-packages.sh
	deploy/local/system-packages.sh
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	touch $@

servers: install  ## Start the local PostgreSQL and RabbitMQ if they are down
	deploy/local/start-servers.sh

test: servers  ## Run every test against the real RabbitMQ and PostgreSQL
	$(BIN)/pytest

lint: install  ## ruff and mypy --strict, as CI runs them
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	@# One run per package: every tests folder has its own conftest module.
	@for package in $(PACKAGES); do \
		echo "mypy $$package"; \
		MYPYPATH=$$package/tests $(BIN)/mypy $$(ls -d $$package/src $$package/tests $$package/bench 2>/dev/null)  || exit 1; \
	done
	$(BIN)/mypy deploy/local/demo.py
	$(BIN)/python -m orderflow.contracts.schemas check

format: install  ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schemas: install  ## Write the JSON Schemas of the event contracts
	$(BIN)/python -m orderflow.contracts.schemas export

run: servers  ## Run all six services in the foreground
	$(BIN)/orderflow migrate --create-database
	$(BIN)/orderflow run all

demo: servers  ## Run the whole pipeline on a sample order and show its events
	$(BIN)/orderflow migrate --create-database
	$(BIN)/python deploy/local/demo.py

bench-backbone: servers  ## Inbox+outbox subscription against a bare aio-pika consumer
	$(BIN)/python backbone/bench/bench_backbone.py

bench-ingest: servers  ## Signed Shopify webhooks into the orders service: rate, p50/p99
	$(BIN)/python services/orders/bench/bench_ingest.py

bench-invoices: install  ## Invoices/s through billing's render pool against bare WeasyPrint
	$(BIN)/python services/billing/bench/bench_invoices.py
