# Quickstart: `make synth` then `make test`. Needs only python3, node, npm and make.
# `make help` lists every target; the account-facing ones are in docs/deploy.md.
SHELL := /bin/bash
.DEFAULT_GOAL := synth

PYTHON ?= python3
PROFILE ?= sandbox
# CONFIG=path.yaml selects a configuration file instead of a named PROFILE (config/<PROFILE>.yaml).
CONFIG ?=
OUT ?= cdk.out
# Stacks for `make diff` / `make deploy`: every stack of the profile unless named (STACKS="a b").
STACKS ?=
# Extra options for the command a lifecycle target runs, e.g. `make smoke ARGS=--from-vpc` (on the
# access host) or `make deploy ARGS="--require-approval never"`.
ARGS ?=
VENV := .venv
PY := $(VENV)/bin/python
SELF := $(lastword $(MAKEFILE_LIST))

# What cdk and the lifecycle scripts read: the file when CONFIG is set, else the profile
# (app.py and the scripts' load_config accept one of the two, not both).
CDK_SELECT = $(if $(CONFIG),-c config=$(CONFIG),-c profile=$(PROFILE))
SCRIPT_SELECT = $(if $(CONFIG),--config $(CONFIG),--profile $(PROFILE))

# The account-facing targets check for credentials first (boto3 only, well under a second), so
# without them they stop with one line instead of a stack trace after a minute of synth.
# The instance metadata service is skipped unless AWS_EC2_METADATA_DISABLED is set: on an EC2
# instance that should use its role, run `make ... AWS_EC2_METADATA_DISABLED=false`.
CREDENTIAL_TARGETS := bootstrap preflight diff deploy smoke destroy
CHECK_CREDENTIALS = AWS_EC2_METADATA_DISABLED=$${AWS_EC2_METADATA_DISABLED:-true} $(PY) -m scripts.aws_session
# Checked while the Makefile is read when the venv exists, so the one line is make's only output
# (a failing recipe would add make's own "Error 2" line); `make -n` skips it.
ifneq ($(filter $(CREDENTIAL_TARGETS),$(MAKECMDGOALS)),)
ifneq ($(wildcard $(PY)),)
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
NO_CREDENTIALS := $(shell out=$$($(CHECK_CREDENTIALS) 2>&1 >/dev/null) || echo "$${out:-AWS credential check failed}")
ifneq ($(NO_CREDENTIALS),)
$(error $(NO_CREDENTIALS))
endif
CREDENTIALS_CHECKED := yes
endif
endif
endif

# jsii prints a Node 20 end-of-life banner on every run; this silences only that banner.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Belt and braces with cdk.json: the CLI opens no telemetry or notices connection.
export CDK_DISABLE_CLI_TELEMETRY := 1

.PHONY: help assemblies synth test bench cost docs report lint format setup clean credentials bootstrap preflight diff deploy smoke destroy

## List every target with its description (read from this Makefile's `## ` comments).
help:
	@echo "Usage: make TARGET [PROFILE=sandbox | CONFIG=path.yaml] (default target: synth)"
	@awk '/^## /{ desc = desc ? desc " " substr($$0, 4) : substr($$0, 4); next } \
		/^[A-Za-z][A-Za-z0-9_-]*:/ && desc { split($$0, t, ":"); printf "  %-10s %s\n", t[1], desc } \
		{ desc = "" }' $(SELF)

## Install the Python venv and the CDK CLI (other targets run it when needed).
setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Synthesize every stack of PROFILE (or CONFIG) into OUT, then summarize stacks, gates and lint.
synth: setup
	rm -rf $(OUT)
	npx --no-install cdk synth --quiet $(CDK_SELECT) -o $(OUT)
	$(PY) -m scripts.gate_report $(OUT)

# The review targets (report, cost, docs) read a synthesized assembly of every profile in config/,
# each rebuilt only when a source file changed, so they take seconds when nothing did. The synth
# runs every gate, like `make synth`.
REVIEW_PROFILES := $(sort $(basename $(notdir $(wildcard config/*.yaml))))
ASSEMBLIES := build/assembly
ASSEMBLY_SOURCES := $(shell git ls-files --cached --others --exclude-standard -- app.py cdk.json config gates ml_constructs models pipelines stacks 2>/dev/null)
ASSEMBLY_MANIFESTS := $(REVIEW_PROFILES:%=$(ASSEMBLIES)/%/manifest.json)

$(ASSEMBLIES)/%/manifest.json: $(ASSEMBLY_SOURCES) | setup
	rm -rf $(ASSEMBLIES)/$*
	npx --no-install cdk synth --quiet -c profile=$* -o $(ASSEMBLIES)/$* > /dev/null

## Synthesize every profile in config/ into build/assembly/<profile> (only those whose sources changed).
assemblies: $(ASSEMBLY_MANIFESTS)

## Run the test suite (synthesizes each profile once per session).
test: setup
	$(PY) -m pytest

## What the training pipeline's definition adds to a synth (measured, not asserted by the tests).
bench: setup
	$(PY) -m scripts.benchmark --profile $(PROFILE)

## Lint and format checks (also run by the tests); `make format` fixes what it can.
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## Fix formatting and what the linter can fix.
format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## Monthly cost per stack of every profile: idle and per unit of use, with the budget (scripts/prices.yaml).
cost: $(ASSEMBLY_MANIFESTS)
	$(PY) -m scripts.cost

## Regenerate the generated sections of README.md and docs/*.md (profile fields, endpoints, diagrams, costs).
docs: $(ASSEMBLY_MANIFESTS)
	$(PY) -m scripts.docs --write --assemblies $(ASSEMBLIES)

## Review docs: docs/patterns.md (pattern catalog) and, from the sandbox and production assemblies, docs/security-controls.md and docs/security-findings.sarif.
report: $(ASSEMBLY_MANIFESTS)
	$(PY) -m scripts.catalog --write
	$(PY) -m scripts.report $(ASSEMBLIES)/sandbox $(ASSEMBLIES)/production

## Remove synthesized output and test caches.
clean:
	rm -rf cdk.out cdk.out.* build .pytest_cache

# Account-facing targets: each needs AWS credentials (docs/deploy.md).
credentials: setup
	$(if $(CREDENTIALS_CHECKED),,@$(CHECK_CREDENTIALS))

## Bootstrap CDK in the account and region of PROFILE (once per account and region; needs credentials).
bootstrap: credentials
	npx --no-install cdk bootstrap $(CDK_SELECT) -o $(OUT) --qualifier "$$($(PY) -m scripts.qualifier $(SCRIPT_SELECT))" $(ARGS)

## Read-only account checks before a deploy: bootstrap, quotas, collisions (needs credentials).
preflight: credentials
	$(PY) -m scripts.preflight $(SCRIPT_SELECT) $(PREFLIGHT_ARGS)

PREFLIGHT_ARGS = $(ARGS)
# `make deploy ARGS=...` passes ARGS to cdk deploy only, not to the preflight it runs first.
deploy: PREFLIGHT_ARGS =

## What a deploy of PROFILE would change in the account (STACKS= to narrow; needs credentials).
diff: credentials
	npx --no-install cdk diff $(CDK_SELECT) -o $(OUT) $(ARGS) $(STACKS)

## Preflight, then deploy every stack of PROFILE (STACKS= to narrow; needs credentials).
deploy: preflight
	npx --no-install cdk deploy $(CDK_SELECT) -o $(OUT) $(ARGS) $(or $(STACKS),--all)

## Exercise the deployed stacks end to end: lake, endpoints, API, pipeline (needs credentials).
smoke: credentials
	$(PY) -m scripts.smoke $(SCRIPT_SELECT) $(ARGS)

## Tear PROFILE down: dry run and confirmation unless YES=1; production needs CONFIRM=<stack name>.
destroy: credentials
	$(PY) -m scripts.teardown $(SCRIPT_SELECT) $(if $(YES),--yes) $(if $(CONFIRM),--confirm $(CONFIRM)) $(ARGS)
