"""Shared fixtures: each profile is synthesized once per test session, gates included.

Synthesis runs in-process with the same context the CDK CLI passes (cdk.json's feature
flags plus the CLI's own metadata switches), so the templates tested here are the ones
`make synth` writes; `test_cli.py` proves the two are identical.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402  (after the environment above)
from aws_cdk import assertions  # noqa: E402

from config import ProjectConfig, load_config  # noqa: E402
from stacks import Platform, build_platform  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# What the CLI adds to cdk.json's context for every synth (versionReporting: false in cdk.json).
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": False,
    "aws:cdk:bundling-stacks": ["**"],
}


def app_context(**extra: object) -> dict:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {**context, **CLI_CONTEXT, **extra}


@dataclass
class Assembly:
    """One synthesized profile: its config, stacks, cloud assembly directory and templates."""

    config: ProjectConfig
    platform: Platform
    outdir: Path

    def template_json(self, artifact_id: str) -> dict:
        return json.loads((self.outdir / f"{artifact_id}.template.json").read_text())

    def template(self, artifact_id: str) -> assertions.Template:
        return assertions.Template.from_json(self.template_json(artifact_id))

    def resources(self, artifact_id: str, resource_type: str) -> dict[str, dict]:
        found = self.template_json(artifact_id)["Resources"]
        return {k: v for k, v in found.items() if v["Type"] == resource_type}

    def manifest_stack(self, artifact_id: str) -> dict:
        return json.loads((self.outdir / "manifest.json").read_text())["artifacts"][artifact_id]


def synthesize(config: ProjectConfig, outdir: Path) -> Assembly:
    app = cdk.App(outdir=str(outdir), context=app_context())
    platform = build_platform(app, config)
    app.synth()
    return Assembly(config=config, platform=platform, outdir=outdir)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Callable[[ProjectConfig, str], Assembly]:
    """Synthesize a variant config (for switches the profiles do not cover)."""

    def _synth(config: ProjectConfig, name: str) -> Assembly:
        return synthesize(config, tmp_path_factory.mktemp(name))

    return _synth


@pytest.fixture(scope="session")
def sandbox(synth) -> Assembly:
    return synth(load_config("sandbox"), "sandbox")


@pytest.fixture(scope="session")
def production(synth) -> Assembly:
    return synth(load_config("production"), "production")


@pytest.fixture(scope="session")
def demo(synth) -> Assembly:
    """Every feature on, endpoints in every zone: what the cheap sandbox leaves out (docs/sandbox.md)."""
    return synth(load_config("demo"), "demo")


@pytest.fixture(scope="session", params=["sandbox", "production"])
def profile(request: pytest.FixtureRequest) -> Assembly:
    """Each profile in turn, for controls that must hold in both."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def sandbox_all_on(synth, sandbox) -> Assembly:
    """The sandbox with what it leaves to the demo turned back on (the A/B, shadow-test and pipeline
    endpoints, deployment on approval, the Kinesis stream), under the sandbox's names: for the tests
    whose handler fixtures name sandbox resources (tests/test_authz_handlers.py, tests/test_variant_scaling.py)."""
    config = with_changes(
        sandbox.config,
        **{
            "inference.realtime.enabled": True,
            "inference.shadow_test.enabled": True,
            "inference.pipeline.enabled": True,
            "pipelines.deploy_on_approval.enabled": True,
            "ingestion.stream.enabled": True,
        },
    )
    return synth(config, "sandbox-all-on")


@pytest.fixture(scope="session", params=["demo", "production"])
def hosted(request: pytest.FixtureRequest) -> Assembly:
    """Each profile that deploys the instance-backed real-time endpoints (the A/B and shadow-test
    endpoints, the inference pipeline); the sandbox leaves them to the demo (docs/sandbox.md)."""
    return request.getfixturevalue(request.param)


def with_changes(config: ProjectConfig, **changes: object) -> ProjectConfig:
    """`config` with dotted-path fields replaced, validated again as a whole."""
    data = config.model_dump()
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[leaf] = value
    return ProjectConfig.model_validate(data)


@pytest.fixture(scope="session")
def variant(synth, demo) -> Assembly:
    """The demo profile (the sandbox with every feature on) with every switch the profiles leave at
    one setting flipped.

    CloudTrail off (organization trail), egress mode with NAT (N14), presigned URLs through the
    endpoints from a VPC range and over the internet from an office range (access mode both, N13),
    Config rules on (G1), an extra endpoint, notebooks never stopped;
    for the lake: no Kinesis stream (Direct PUT), arrival-time partitions, catalog encryption
    left to another stack, no Glacier transition; for inference: another region (eu-west-1),
    linear traffic shifting on the A/B endpoint, the Model Monitor data-quality schedule turned on (E6:
    an opt-in, off in both profiles), a shadow test copying half the requests (E2) behind a production
    variant of weight 2 and updated all at once, a regional API behind AWS WAF; for the training
    pipeline: feature preparation declared unable to run isolated, on-demand training, no batch
    transform, no deployment on approval.
    """
    config = with_changes(
        demo.config,
        **{
            "security.trail.enabled": False,
            "network.egress": True,
            "network.nat_gateways": 2,
            "network.extra_interface_endpoints": ["ssm"],
            "workspace.access": {
                "mode": "both",
                "vpc_source_cidrs": ["10.40.0.0/20"],
                "internet_cidrs": ["203.0.113.0/24"],
            },
            "workspace.data_scientists": [{"name": "alice"}, {"name": "bob"}],
            "workspace.notebooks.idle_stop_minutes": None,
            "governance.config_rules": True,
            "governance.config_recorder": "create",
            "ingestion.stream.enabled": False,
            "ingestion.delivery.partitioning": "arrival-time",
            "ingestion.catalog_encryption": False,
            "ingestion.lifecycle.glacier_after_days": None,
            "region": "eu-west-1",
            "inference.realtime.deployment.mode": "linear",
            "inference.realtime.monitoring.enabled": True,
            "inference.shadow_test.variants": [
                {**demo.config.inference.shadow_test.variants[0].model_dump(), "weight": 2}
            ],
            "inference.shadow_test.shadow_variants": [
                {"name": "shadow", "model": "challenger", "sampling_weight": 0.5, "instance_type": "ml.m5.large"}
            ],
            "inference.shadow_test.deployment.mode": "all-at-once",
            "inference.api.access": "regional",
            "inference.api.waf": True,
            "pipelines.steps": {
                "prepare": {
                    "network_isolation": False,
                    "network_isolation_exception": "Feature preparation reads a partner's reference data "
                    "from its HTTPS API (an example of a step that needs the network).",
                }
            },
            "pipelines.training.spot": False,
            "pipelines.transform.enabled": False,
            "pipelines.deploy_on_approval.enabled": False,
        },
    )
    return synth(config, "variant")
