"""AWS feature rules, instance-type offerings and regions refuse a bad profile before synthesis.

Every row of `config.aws_rules.RULES`, every kind of `instance_type` field and the region check
is proven here through `config.loader` (a YAML profile, as `app.py` reads it) and through
`ProjectConfig.model_validate`: the profile is refused with a line that names the field, and no
template is written (E2 shadow, E3 guardrails, E6 monitoring, E8 serverless, M1/M5/M7 jobs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from aws_rules_helpers import (
    DEMO,
    MONITORING,
    PRODUCTION,
    assert_refused,
    changed,
    refused,
)
from conftest import ROOT

from config import ProjectConfig, regional

# --- Every instance_type field against its kind's offerings ---------------------------------

INSTANCE_FIELDS = [
    ("inference.realtime.variants.0.instance_type", "inference.realtime.variants[0].instance_type", "hosting", {}),
    (
        "inference.shadow_test.variants.0.instance_type",
        "inference.shadow_test.variants[0].instance_type",
        "hosting",
        {},
    ),
    (
        "inference.shadow_test.shadow_variants.0.instance_type",
        "inference.shadow_test.shadow_variants[0].instance_type",
        "hosting",
        {},
    ),
    ("inference.asynchronous.instance_type", "inference.asynchronous.instance_type", "hosting", {}),
    ("inference.pipeline.instance_type", "inference.pipeline.instance_type", "hosting", {}),
    (
        "inference.realtime.monitoring.instance_type",
        "inference.realtime.monitoring.instance_type",
        "monitoring",
        MONITORING,
    ),
    ("workspace.notebooks.instance_type", "workspace.notebooks.instance_type", "notebook", {}),
    ("pipelines.training.instance_type", "pipelines.training.instance_type", "training", {}),
    ("pipelines.processing.instance_type", "pipelines.processing.instance_type", "processing", {}),
    ("pipelines.transform.instance_type", "pipelines.transform.instance_type", "transform", {}),
]


@pytest.mark.parametrize(("path", "field", "kind", "setup"), INSTANCE_FIELDS, ids=[f[1] for f in INSTANCE_FIELDS])
def test_every_instance_type_field_is_checked_against_its_kind(path, field, kind, setup):
    data = changed(DEMO, **setup, **{path: "ml.m5.hyge"})
    assert_refused(data, f"{field} 'ml.m5.hyge' is not a SageMaker {kind} instance type (did you mean ml.m5.")


def test_each_kind_has_its_own_offerings():
    """A type offered for one kind is refused for another (e.g. ml.t3.medium hosts no endpoint)."""
    assert_refused(
        changed(DEMO, **{"inference.asynchronous.instance_type": "ml.t3.medium"}),
        "inference.asynchronous.instance_type 'ml.t3.medium': instance family ml.t3 is not one SageMaker hosts "
        "endpoints on",
    )
    assert_refused(
        changed(DEMO, **{"workspace.notebooks.instance_type": "ml.m5.large"}),
        "workspace.notebooks.instance_type 'ml.m5.large' is not a SageMaker notebook instance type",
    )
    assert_refused(
        changed(DEMO, **{"pipelines.transform.instance_type": "ml.t3.medium"}),
        "pipelines.transform.instance_type 'ml.t3.medium': instance family ml.t3 is not one SageMaker runs batch "
        "transform jobs on",
    )


# --- Regions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-9", "region: 'us-east-9' is not an AWS region that offers SageMaker (botocore's endpoint data)"),
        ("moon-base-1", "region: 'moon-base-1' is not an AWS region that offers SageMaker"),
        ("us-gov-west-1", "region: 'us-gov-west-1' is in the aws-us-gov partition; this project's templates"),
        ("cn-north-1", "region: 'cn-north-1' is in the aws-cn partition"),
    ],
)
def test_region_must_be_one_aws_has(region, expected):
    assert_refused(changed(DEMO, region=region), expected)


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (
            "eu-central-2",
            "inference.realtime.monitoring.enabled: CloudFormation has no AWS::SageMaker::DataQualityJobDefinition, "
            "AWS::SageMaker::MonitoringSchedule in eu-central-2",
        ),
        ("il-central-1", "inference.realtime.monitoring.enabled: CloudFormation has no AWS::SageMaker::"),
        ("ca-west-1", "inference.realtime.monitoring.enabled: the SageMaker SDK has no model-monitor:latest image"),
        ("ap-southeast-5", "inference.enabled: the SageMaker SDK has no xgboost:3.0-5 image in ap-southeast-5"),
        ("ap-southeast-5", "pipelines.enabled: the SageMaker SDK has no xgboost:3.0-5 image in ap-southeast-5"),
    ],
)
@pytest.mark.parametrize("base", [DEMO, PRODUCTION], ids=["demo", "production"])
def test_features_missing_in_the_region_are_refused_naming_their_switch(base, region, expected):
    setup = MONITORING if "monitoring" in expected else {}
    assert_refused(changed(base, region=region, **setup), expected)


@pytest.mark.parametrize("base", [DEMO, PRODUCTION], ids=["demo", "production"])
def test_e6_model_monitor_off_by_default_so_its_missing_regions_validate(base):
    """E6: with Model Monitor off (both profiles' default), its missing regions raise no problem for it.

    eu-central-2 also lacks AWS::Budgets::Budget, so the (global) budget is off here; the next test
    shows that refusal names its own switch.
    """
    assert base["inference"]["realtime"]["monitoring"]["enabled"] is False
    # A1 is off too where the profile has it on: botocore knows no Comprehend endpoint in eu-central-2.
    off = {"governance.budget.enabled": False, "ai_services.sentiment.enabled": False}
    ProjectConfig.model_validate(changed(base, region="eu-central-2", **off))


def test_turning_the_named_features_off_makes_the_region_usable():
    data = changed(DEMO, region="eu-central-2", **MONITORING)
    assert_refused(data, "inference.realtime.monitoring.enabled: CloudFormation has no AWS::SageMaker::")
    assert_refused(data, "governance.budget.enabled: CloudFormation has no AWS::Budgets::Budget in eu-central-2")
    assert_refused(data, "ai_services.sentiment.enabled: comprehend has no endpoint in eu-central-2")
    ProjectConfig.model_validate(
        changed(
            data,
            **{
                "inference.realtime.monitoring.enabled": False,
                "governance.budget.enabled": False,
                "ai_services.sentiment.enabled": False,
            },
        )
    )


@pytest.mark.parametrize("region", regional.CHECKED_REGIONS)
@pytest.mark.parametrize("base", [DEMO, PRODUCTION], ids=["demo", "production"])
def test_shipped_profiles_validate_in_the_checked_regions(base, region):
    data = changed(base, region=region)
    # The switches a checked region may refuse: G2's budget (CloudFormation lacks AWS::Budgets::Budget there)
    # and A1 (botocore knows no Comprehend endpoint there, e.g. eu-north-1).
    may_refuse = {}
    if "AWS::Budgets::Budget" not in regional.resource_types(region):
        may_refuse["governance.budget.enabled"] = False
    if region not in regional.service_regions("comprehend") and data["ai_services"]["sentiment"]["enabled"]:
        may_refuse["ai_services.sentiment.enabled"] = False
    if may_refuse:
        problems = refused(data)
        assert all(p.split(":", 1)[0] in may_refuse for p in problems), problems
        data = changed(data, **may_refuse)
    assert ProjectConfig.model_validate(data).region == region


def test_profiles_page_lists_the_checked_regions():
    page = (ROOT / "docs" / "profiles.md").read_text()
    section = page.split("\n## Regions", 1)[1].split("\n## ", 1)[0]
    for region in regional.CHECKED_REGIONS:
        assert f"`{region}`" in section, region


def test_app_refuses_an_unknown_region_in_one_line_without_traceback(tmp_path: Path):
    profile = tmp_path / "far.yaml"
    profile.write_text(yaml.safe_dump(changed(DEMO, region="us-east-9")))
    outdir = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_CONTEXT_JSON": json.dumps({"config": str(profile)}),
            "CDK_OUTDIR": str(outdir),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"Invalid configuration in {profile} (1 problem):",
        "  - region: 'us-east-9' is not an AWS region that offers SageMaker (botocore's endpoint data); "
        "did you mean us-east-2 or us-east-1 or us-west-2?",
    ]
    assert not list(outdir.glob("*.template.json"))


# --- The regional table cannot drift from the stacks ----------------------------------------


def test_every_resource_type_of_the_profiles_is_in_the_regional_table(sandbox, production):
    """A type the stacks create must be always-on or belong to a switch the profile has on."""
    for assembly in (sandbox, production):
        allowed = set(regional.ALWAYS_ON)
        for feature in regional.FEATURES:
            if feature.enabled(assembly.config):
                allowed |= feature.resource_types
        for template in assembly.outdir.glob("*.template.json"):
            types = {r["Type"] for r in json.loads(template.read_text())["Resources"].values()}
            assert types <= allowed, (assembly.config.profile, template.name, sorted(types - allowed))


def test_every_switch_names_a_field_of_the_model():
    """The refusal names a real field: each dotted switch resolves through the model's sections."""
    from config.loader import _model_at

    for feature in regional.FEATURES:
        parts = tuple(feature.switch.split("."))
        for i, part in enumerate(parts):
            assert part in _model_at(parts[:i]).model_fields, feature.switch
