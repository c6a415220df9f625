# 八股笔记 — `make help` lists the targets. Everything runs from a local .venv and node_modules.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Reproducible builds: dates in the sitemap come from the last commit, not from the clock.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)

.PHONY: help setup serve build pdf test test-fast bench links ids lock clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || \
	  { echo "error: Python >= 3.11 is required; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 | head -1). Use: make PYTHON=python3.11 ..." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm (Node.js >= 18) is required to install Mermaid and Lighthouse" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.installed node_modules/.installed ## Create .venv and node_modules from the pinned requirements, and install the Debian packages tools/ensure-debian.sh finds missing (Chromium, CJK fonts, Java)
	@tools/ensure-debian.sh

serve: setup ## Build and serve the site at http://127.0.0.1:8000 with live reload
	@$(BIN)/python tools/portcheck.py 127.0.0.1 $(PORT)
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:$(PORT) --livereload

build: setup ## Build the site into site/ (strict: any warning fails)
	$(BIN)/mkdocs build --strict

pdf: setup ## Print the built site (run make build first) as one PDF, site/bagu.pdf, with its size and page count
	$(BIN)/python tools/pdf.py site

test: setup ## Run every test (build, content, snippets, notebooks, browser, faults, workflows)
	$(BIN)/python -m pytest

test-fast: setup ## Run the tests that need no browser and no fault builds
	$(BIN)/python -m pytest -m "not browser and not faults"

bench: setup ## Print build, page-weight, Lighthouse, search-latency and test-suite figures (medians of runs) against the budgets
	$(BIN)/python tools/bench.py

links: setup ## List each page's external references (needs no network)
	$(BIN)/python tools/links.py

ids: setup ## Register the ids of the current pages in tests/published_ids.json (ids only grow)
	$(BIN)/python tools/ids.py --update

lock: ## Re-pin requirements.txt (with hashes) from requirements.in
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links -o requirements.txt requirements.in

clean: ## Remove build output and caches (keeps .venv and node_modules)
	rm -rf site .cache .pytest_cache
