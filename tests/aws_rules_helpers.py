"""Profiles and helpers shared by the AWS rules tests (tests/test_aws_rules_*.py)."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT
from pydantic import ValidationError

from config import ConfigError, ProjectConfig, parse_config

# The demo profile: the sandbox with every endpoint on (the sandbox turns the A/B, shadow-test and
# pipeline endpoints off, and their rules apply only to deployed endpoints: docs/sandbox.md).
DEMO = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
PRODUCTION = yaml.safe_load((ROOT / "config" / "production.yaml").read_text())
SHADOW = {"name": "shadow", "model": "challenger", "sampling_weight": 0.5, "instance_type": "ml.m5.large"}
ONE_VARIANT = [{"name": "champion", "model": "champion", "weight": 100}]
MONITORING = {"inference.realtime.monitoring.enabled": True}  # E6: an opt-in, off in both profiles


def changed(base: dict, **changes: object) -> dict:
    """`base` with dotted-path fields replaced (digits index lists), e.g. inference.realtime.variants.0.weight."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(leaf) if leaf.isdigit() else leaf] = value
    return data


def refused(data: dict) -> list[str]:
    """The problems the loader reports for `data` as a YAML file; the model refuses it too."""
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data), "bad.yaml")
    with pytest.raises(ValidationError):
        ProjectConfig.model_validate(data)
    return caught.value.problems


def assert_refused(data: dict, expected: str) -> None:
    problems = refused(data)
    assert any(expected in p for p in problems), problems
    assert not any("Traceback" in p for p in problems)
