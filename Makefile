# hubfleet: the two commands a person needs are `make render CLUSTER=...` and `make test`.
# Everything is installed on first use into .venv/ and .tools/ (both ignored by git).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools/bin
CLUSTER ?=
STAMP := $(VENV)/.installed
#: The hub image's login packages (tests/hub_side/requirements.txt), apart from hubfleet's own.
HUB_VENV := .venv-hub
HUB_STAMP := $(HUB_VENV)/.installed
#: A user server's packages (tests/server_side/requirements.txt): jupyterhub-singleuser, Jupyter server.
SERVER_VENV := .venv-server
SERVER_STAMP := $(SERVER_VENV)/.installed

export PATH := $(CURDIR)/$(TOOLS):$(PATH)

.PHONY: help render check test lint typecheck tools registry-tools venv hub-venv server-venv validate plan bench fuzz crash trials clean golden

## help: list the targets (the default)
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  make /' -e 's/: /\t/' | expand -t 24

$(STAMP): pyproject.toml setup.py
	@echo "installing hubfleet and its pinned dependencies into $(VENV)/ (first run only, about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## venv: install hubfleet and its test tools into .venv/ (then `./hubfleet ...` or `. .venv/bin/activate`)
venv: $(STAMP)

# .venv-hub and .venv-server: each from its side's pinned requirements (tests/<side>_side/).
.venv-%/.installed: tests/%_side/requirements.txt
	@echo "installing the $* side's pinned packages into .venv-$*/ (first run only)"
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet -r $<
	touch $@

## hub-venv: install the hub image's JupyterHub and authenticators into .venv-hub/ (for the tests)
hub-venv: $(HUB_STAMP)

## server-venv: install a user server's Jupyter server, kernel and extensions into .venv-server/ (for the tests)
server-venv: $(SERVER_STAMP)

$(TOOLS)/helm $(TOOLS)/kubectl: tool/scripts/install_k8s_tools.py
	$(PYTHON) tool/scripts/install_k8s_tools.py $(TOOLS)

## tools: download helm and kubectl (hash-checked) into .tools/bin
tools: $(TOOLS)/helm $(TOOLS)/kubectl

## registry-tools: Debian's CNCF distribution registry and skopeo, for the image-lock tests (apt, as root or with sudo)
registry-tools:
	@command -v docker-registry >/dev/null && command -v skopeo >/dev/null || { \
	    sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$sudo apt-get update -qq && \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry skopeo >/dev/null; }

## render: render CLUSTER (or every cluster when CLUSTER is empty) into gitops/
render: $(STAMP)
	$(BIN)/hubfleet render $(if $(CLUSTER),$(CLUSTER),--all)

## check: fail if the committed gitops/ is not what the inputs render to
check: $(STAMP)
	$(BIN)/hubfleet render --all --check

lint: $(STAMP)
	$(BIN)/ruff check tool tests
	$(BIN)/ruff format --check tool tests

typecheck: $(STAMP)
	$(BIN)/mypy

## test: lint, type-check and run every test (installs what it needs first)
test: $(STAMP) $(HUB_STAMP) $(SERVER_STAMP) tools registry-tools
	$(BIN)/ruff check tool tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

VALIDATE_FLAGS ?=

## validate: check inputs, gitops/, every chart expanded, every user's pod, Flux wiring (CLUSTER=... for one; HUBFLEET_CHART_MIRROR for a mirror)
validate: $(STAMP) $(HUB_STAMP) tools
	$(BIN)/hubfleet validate --hub-python $(HUB_VENV)/bin/python $(VALIDATE_FLAGS) $(CLUSTER)

## plan: what the work tree changes against BASE (default main): objects, upgrades, risk flags
BASE ?= main
PLAN_FLAGS ?=
plan: $(STAMP)
	$(BIN)/hubfleet plan --base $(BASE) $(PLAN_FLAGS) $(CLUSTER)

## bench: time render and validate over a synthetic 1,500-hub fleet
bench: $(STAMP) tools
	$(BIN)/python tool/scripts/bench_render.py
	$(BIN)/python tool/scripts/bench_validate.py
	$(BIN)/python tool/scripts/bench_plan.py
	$(BIN)/python tool/scripts/bench_first_run.py

## fuzz: a long fuzzing run: render over mutated inputs (HUBFLEET_FUZZ_EXAMPLES, default 5000)
fuzz: $(STAMP)
	HUBFLEET_FUZZ_EXAMPLES=$${HUBFLEET_FUZZ_EXAMPLES:-5000} $(BIN)/python -m pytest -o addopts="-W error" -q \
		tests/unit/inputs/test_fuzz.py --hypothesis-show-statistics

## crash: kill renders at random moments and race two renders; reports old/new/other trees
crash: $(STAMP)
	$(BIN)/python tool/scripts/crash_test.py

## trials: hostile inputs, corrupted trees, planted state and secrets: count crashes, hangs, escapes, misses
trials: $(STAMP)
	$(BIN)/python tool/scripts/trust_trials.py

## clean: remove .venv/, .tools/ and caches
clean:
	rm -rf $(VENV) $(HUB_VENV) $(SERVER_VENV) .tools .pytest_cache .mypy_cache .ruff_cache

## golden: rewrite tests/fixtures/*/expected/ from a fresh render, then list what changed (review it like code)
golden: $(STAMP)
	HUBFLEET_REGENERATE_GOLDEN=1 $(BIN)/python -m pytest tests/golden/test_golden.py -q || true
	git diff --stat tests/fixtures
