# One command per job, each installing what it needs first (system packages through apt when
# run as root on Debian, a clear message otherwise). `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES_TEST := postgresql

.PHONY: help setup test test-fast pipeline lint typecheck clean provision deploy

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv with everything a developer and CI need (quick when done)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || ./.ci/apt-require python3-venv
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat -e '.[dev]'
	@touch $@

test: setup ## run the whole test suite (starts the services it needs)
	@./.ci/apt-require $(SYSTEM_PACKAGES_TEST)
	$(PY) -m pytest

test-fast: setup ## run the fast tests only, in seconds
	$(PY) -m pytest -m "not slow" -q

pipeline: setup ## run the pipeline locally, as Jenkins would
	@./.ci/apt-require $(SYSTEM_PACKAGES_TEST)
	$(PY) -m pipeline run

provision: setup ## prepare this machine for deploys: Docker engine, registry, base images
	$(PY) -m pipeline provision local

deploy: provision ## build the next build of this checkout and deploy it to this machine
	PIPELINE_STAGES=version,build,push,deploy $(PY) -m pipeline run

clean: ## remove reports and caches (keeps .venv)
	rm -rf reports .coverage .coverage.* .mypy_cache .pytest_cache
