# One command per job, each installing what it needs first (system packages through apt when
# run as root on Debian, a clear message otherwise). `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where the stages leave their reports: the configuration's reports_dir, read when a recipe runs
# (the configuration is its one source).
REPORTS = $$($(PY) -m pipeline config get reports_dir)
# Debian packages, one list per purpose. Tests declare the system tools they run
# (@pytest.mark.tools) and tests/test_system_tools.py checks that each target installs the
# packages of every tool its tests use, and the Jenkins agent image those of its stages.
# Graphviz and the font the diagrams ask for (DejaVu Sans): `make docs` and the diagrams' tests.
SYSTEM_PACKAGES_DIAGRAMS := graphviz fonts-dejavu-core
# PostgreSQL (its server and pgbench) and wrk: `make bench-app` and the benchmark's own tests.
SYSTEM_PACKAGES_BENCH_APP := postgresql wrk
# The fleet: mmdebstrap builds the hosts' image, ssh reaches them.
SYSTEM_PACKAGES_FLEET := mmdebstrap openssh-client
# The fast tests (`not slow`): git; groovy (2.4, Jenkins' line) and Java for the Jenkinsfile's;
# promtool (Debian's prometheus) for the alert rules; PostgreSQL for the service's tests (beside
# SQLite) and pgbench's; the diagrams.
SYSTEM_PACKAGES_FAST := git groovy default-jre-headless prometheus postgresql \
	$(SYSTEM_PACKAGES_DIAGRAMS)
# The pipeline's test stage (setup.cfg's test_args, `service or not slow`: `make pipeline`,
# `make deploy`, Jenkins' Test stage) adds the service's slow tests: Chromium shows the page.
SYSTEM_PACKAGES_GATE := $(SYSTEM_PACKAGES_FAST) chromium
# The other slow tests (`slow and not service`, Jenkins' Integration stage): the benchmark's,
# the fleet's, and Java for npm-groovy-lint. The Docker engine, registry and base images are
# prepared by the deploy tests themselves, through `pipeline provision local`.
SYSTEM_PACKAGES_INTEGRATION := default-jre-headless $(SYSTEM_PACKAGES_BENCH_APP) \
	$(SYSTEM_PACKAGES_FLEET)
JENKINSFILE_LINT := tests/jenkinsfile/node_modules/.bin/npm-groovy-lint

.PHONY: help setup test test-fast test-integration fast-deps gate-deps integration-deps pipeline \
	bench-app bench-deploy bench-fleet bench-pipeline clean clean-local provision deploy fleet-up \
	fleet-down docs

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

test: gate-deps integration-deps ## run the whole test suite (starts the services it needs)
	$(PY) -m pytest

test-integration: integration-deps ## only the tests that need Docker, Ansible or the fleet (Jenkins' stage)
	$(PY) -m pytest -m "slow and not service" --junitxml="$(REPORTS)/junit-integration.xml"

test-fast: fast-deps ## run the fast tests only, in seconds
	$(PY) -m pytest -m "not slow" -q

# What each selection of tests needs besides .venv (the lists above say why).
fast-deps: setup
	@./.ci/apt-require $(SYSTEM_PACKAGES_FAST)

gate-deps: setup
	@./.ci/apt-require $(SYSTEM_PACKAGES_GATE)

integration-deps: setup $(JENKINSFILE_LINT)
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
	@echo "build $$($(PY) -m pipeline version) serves at $$(cat "$(REPORTS)/url-local.txt")"

bench-app: setup ## benchmark the app: gunicorn + PostgreSQL under wrk on 127.0.0.1
	@./.ci/apt-require $(SYSTEM_PACKAGES_BENCH_APP)
	$(PY) -m bench.app_throughput

bench-deploy: provision ## benchmark builds and a deploy under load on 127.0.0.1
	$(PY) -m bench.deploy

bench-fleet: provision ## benchmark provisioning and a rolling deploy of the fleet's two app hosts
	$(PY) -m bench.fleet

bench-pipeline: gate-deps provision ## time `make deploy`'s pipeline, first run and again, per stage
	$(PY) -m bench.pipeline

fleet-up: setup ## make the fleet: 4 containers that act as SSH hosts, inventory ansible/inventories/fleet
	@./.ci/apt-require $(SYSTEM_PACKAGES_FLEET)
	$(PY) -m pipeline fleet up

fleet-down: setup ## remove the fleet: hosts, volumes, network, generated inventory and secrets
	$(PY) -m pipeline fleet down

docs: ## render the diagrams (docs/diagrams/*.dot -> .svg)
	@./.ci/apt-require $(SYSTEM_PACKAGES_DIAGRAMS)
	docs/diagrams/render.sh

clean: setup ## remove reports and caches (keeps .venv)
	rm -rf "$(REPORTS)" .coverage .coverage.* .mypy_cache .pytest_cache

clean-local: setup ## remove what `make deploy` started (containers, network); VOLUMES=1: data too
	$(PY) -m pipeline destroy local $(if $(VOLUMES),--volumes)
