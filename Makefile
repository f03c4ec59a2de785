# Quickstart: `make synth` then `make test`. Needs only python3, node, npm and make.
SHELL := /bin/bash
.DEFAULT_GOAL := synth

PYTHON ?= python3
PROFILE ?= sandbox
OUT ?= cdk.out
VENV := .venv
PY := $(VENV)/bin/python

# jsii prints a Node 20 end-of-life banner on every run; this silences only that banner.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Belt and braces with cdk.json: the CLI opens no telemetry or notices connection.
export CDK_DISABLE_CLI_TELEMETRY := 1

.PHONY: synth test bench docs lint format setup clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Synthesize every stack of PROFILE into OUT, then summarize stacks, gates and lint.
synth: setup
	rm -rf $(OUT)
	npx --no-install cdk synth --quiet -c profile=$(PROFILE) -o $(OUT)
	$(PY) -m scripts.gate_report $(OUT)

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

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## Regenerate the README's generated tables (profile fields, interface endpoints).
docs: setup
	$(PY) -m scripts.readme --write

clean:
	rm -rf cdk.out cdk.out.* .pytest_cache
