# One command per job, each installing what it needs first (system packages through apt when
# run as root on Debian, a clear message otherwise). `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# PostgreSQL for the app's tests; groovy (2.4, Jenkins' line) and git for the Jenkinsfile's.
SYSTEM_PACKAGES_TEST := postgresql groovy git
# The whole suite also needs: promtool (Debian's prometheus) for the alert rules, Chromium for
# the page, Graphviz for the diagrams, wrk for the app benchmark's own test, and for the fleet
# mmdebstrap (its host image) and ssh.
SYSTEM_PACKAGES_INTEGRATION := prometheus chromium graphviz fonts-dejavu-core wrk mmdebstrap \
	openssh-client
JENKINSFILE_LINT := tests/jenkinsfile/node_modules/.bin/npm-groovy-lint

.PHONY: help setup test test-fast test-integration test-deps gate-deps pipeline bench-app \
	bench-deploy bench-fleet bench-pipeline clean clean-local provision deploy fleet-up fleet-down docs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv with everything a developer and CI need (quick when done)

$(STAMP): setup.cfg pyproject.toml app/pyproject.toml
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || ./.ci/apt-require python3-venv
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat -e '.[dev]'
	# The reference app, a distribution of its own (its tests need nothing more than the dev extra
	# above). Not in compat mode: that would put app/ itself on sys.path, its modules top-level.
	$(PY) -m pip install --quiet --disable-pip-version-check -e ./app
	@touch $@

test: test-deps ## run the whole test suite (starts the services it needs)
	$(PY) -m pytest

test-integration: test-deps ## only the tests that need Docker, Ansible or the fleet (Jenkins' stage)
	$(PY) -m pytest -m "slow and not service" --junitxml=reports/junit-integration.xml

test-fast: gate-deps ## run the fast tests only, in seconds
	$(PY) -m pytest -m "not slow" -q

# What the pipeline's test stage (the service's tests and the fast tests) needs besides .venv.
gate-deps: setup
	@./.ci/apt-require $(SYSTEM_PACKAGES_TEST)

# What the whole suite needs on top; the Docker engine, registry and base images are prepared
# by the deploy tests themselves, through `pipeline provision local`.
test-deps: gate-deps $(JENKINSFILE_LINT)
	@./.ci/apt-require $(SYSTEM_PACKAGES_INTEGRATION)

# npm-groovy-lint, pinned by its lock file. It needs Node 20 or newer: Debian 12's own npm
# package brings Node 18, so it is installed only when no npm is there at all.
$(JENKINSFILE_LINT): tests/jenkinsfile/package.json tests/jenkinsfile/package-lock.json
	@command -v npm >/dev/null || ./.ci/apt-require npm
	npm ci --prefix tests/jenkinsfile --no-audit --no-fund --loglevel=error
	@touch $@

pipeline: gate-deps provision ## run the whole pipeline as Jenkins does: lint ... deploy to local
	$(PY) -m pipeline run

provision: setup ## prepare this machine for deploys, unless it is as the last provision left it (FORCE=1: anyway)
	$(PY) -m pipeline provision local $(if $(FORCE),,--if-changed)

deploy: pipeline ## the main job: prepare this machine, run the whole pipeline, print the URL
	@echo "build $$($(PY) -m pipeline version) serves at $$(cat reports/url-local.txt)"

bench-app: setup ## benchmark the app: gunicorn + PostgreSQL under wrk on 127.0.0.1
	@./.ci/apt-require postgresql wrk
	$(PY) -m bench.app_throughput

bench-deploy: provision ## benchmark builds and a deploy under load on 127.0.0.1
	$(PY) -m bench.deploy

bench-fleet: provision ## benchmark provisioning and a rolling deploy of the fleet's two app hosts
	$(PY) -m bench.fleet

bench-pipeline: gate-deps provision ## time `make deploy`'s pipeline, first run and again, per stage
	$(PY) -m bench.pipeline

fleet-up: setup ## make the fleet: 4 containers that act as SSH hosts, inventory ansible/inventories/fleet
	@./.ci/apt-require mmdebstrap openssh-client
	$(PY) -m pipeline fleet up

fleet-down: setup ## remove the fleet: hosts, volumes, network, generated inventory and secrets
	$(PY) -m pipeline fleet down

docs: ## render the diagrams (docs/diagrams/*.dot -> .svg)
	@./.ci/apt-require graphviz fonts-dejavu-core
	docs/diagrams/render.sh

clean: ## remove reports and caches (keeps .venv)
	rm -rf reports .coverage .coverage.* .mypy_cache .pytest_cache

clean-local: setup ## remove what `make deploy` started (containers, network); VOLUMES=1: data too
	$(PY) -m pipeline destroy local $(if $(VOLUMES),--volumes)
