"""AWS feature rules, instance-type offerings and regions refuse a bad profile before synthesis.

Every row of `config.aws_rules.RULES`, every kind of `instance_type` field and the region check
is proven here through `config.loader` (a YAML profile, as `app.py` reads it) and through
`ProjectConfig.model_validate`: the profile is refused with a line that names the field, and no
template is written (E2 shadow, E3 guardrails, E6 monitoring, E8 serverless, M1/M5/M7 jobs).
"""

from __future__ import annotations

import json
import re

import pytest
from aws_rules_helpers import (
    DEMO,
    MONITORING,
    ONE_VARIANT,
    PRODUCTION,
    SHADOW,
    assert_refused,
    changed,
    refused,
)

from config import ProjectConfig, aws_rules
from config.inference import ServerlessConfig

# --- The rules table -------------------------------------------------------------------------

RULE_CASES = {
    "shadow-needs-one-production-variant": (
        {"inference.realtime.shadow_variants": [SHADOW]},
        "inference.realtime.shadow_variants: a shadow variant needs exactly one production variant beside it, "
        "but inference.realtime.variants has 2",
    ),
    "at-most-one-shadow-variant": (
        {"inference.shadow_test.shadow_variants": [SHADOW, {**SHADOW, "name": "shadow-two"}]},
        "inference.shadow_test.shadow_variants: 2 shadow variants given, AWS takes one",
    ),
    "shadow-not-on-inf1": (
        {"inference.shadow_test.shadow_variants": [{**SHADOW, "instance_type": "ml.inf1.xlarge"}]},
        "inference.shadow_test.shadow_variants[0]: shadow tests cannot run on Inf1 instances",
    ),
    "guardrails-not-on-inf1": (
        {"inference.realtime.variants.0.instance_type": "ml.inf1.xlarge"},
        "inference.realtime.variants[0]: canary deployment guardrails cannot be used with Inf1 instances",
    ),
    "rolling-needs-one-variant": (
        {"inference.realtime.deployment.mode": "rolling"},
        "inference.realtime.deployment.mode rolling cannot update an endpoint with 2 variants",
    ),
    "serverless-no-vpc-or-isolation": (
        {"inference.serverless.model": "champion"},
        "inference.serverless.model 'champion' asks for network isolation (and so the VPC), but Serverless "
        "Inference does not support VPC configuration, network isolation",
    ),
}
ENFORCED_BY_CONSTRUCTION = {key for key, rule in aws_rules.RULES.items() if rule.enforced_by}


def test_every_rule_is_tested_here_or_enforced_by_construction():
    assert set(RULE_CASES) | ENFORCED_BY_CONSTRUCTION == set(aws_rules.RULES)
    assert not set(RULE_CASES) & ENFORCED_BY_CONSTRUCTION


@pytest.mark.parametrize("key", sorted(RULE_CASES))
def test_each_rule_refuses_a_bad_profile_naming_the_field(key):
    changes, expected = RULE_CASES[key]
    problems = refused(changed(DEMO, **changes))
    lines = [p for p in problems if expected in p]
    assert lines, problems
    assert aws_rules.RULES[key].source in lines[0], "the message cites the rule's source"


@pytest.mark.parametrize("key", sorted(RULE_CASES))
def test_each_rule_holds_in_production_too(key):
    changes, expected = RULE_CASES[key]
    assert_refused(changed(PRODUCTION, **changes), expected.split(" but ")[0])


def test_e3_inf1_falls_back_to_all_at_once_without_baking():
    """E3: on Inf1 AWS ignores guardrails, so even all-at-once must not promise a baking period."""
    inf1 = {"inference.realtime.variants.0.instance_type": "ml.inf1.xlarge"}
    assert_refused(
        changed(DEMO, **inf1, **{"inference.realtime.deployment": {"mode": "all-at-once", "baking_seconds": 600}}),
        "all-at-once with a baking period deployment guardrails cannot be used with Inf1 instances",
    )
    ProjectConfig.model_validate(
        changed(DEMO, **inf1, **{"inference.realtime.deployment": {"mode": "all-at-once", "baking_seconds": 0}})
    )


LOCAL_STORAGE_TYPES = {
    "pipelines.training.instance_type": "ml.g5.xlarge",
    "pipelines.processing.instance_type": "ml.r5d.large",
    "pipelines.transform.instance_type": "ml.g4dn.xlarge",
    "inference.realtime.monitoring.instance_type": "ml.r5d.large",
    "inference.realtime.variants.0.instance_type": "ml.g5.xlarge",
}


@pytest.mark.parametrize("field", sorted(LOCAL_STORAGE_TYPES))
@pytest.mark.parametrize("base", [DEMO, PRODUCTION], ids=["demo", "production"])
def test_n8_local_storage_types_are_accepted_and_built_without_a_volume_key(base, field):
    """The `*-local-storage-no-*-key` rows are facts the builders follow (the key is omitted;
    tests/test_local_storage.py shows the templates), not refusals."""
    ProjectConfig.model_validate(changed(base, **MONITORING, **{field: LOCAL_STORAGE_TYPES[field]}))


def test_m5_tuning_jobs_run_on_the_training_instance_type():
    """Tuning on a type with local storage is accepted like training: no volume key for either."""
    ProjectConfig.model_validate(
        changed(PRODUCTION, **{"pipelines.training.instance_type": "ml.p4d.24xlarge", "pipelines.tuning.enabled": True})
    )


def test_e2_one_production_variant_with_one_shadow_passes():
    ProjectConfig.model_validate(
        changed(
            DEMO,
            **{
                "inference.realtime.variants": ONE_VARIANT,
                "inference.realtime.shadow_variants": [SHADOW],
                "pipelines.deploy_on_approval.enabled": False,
            },
        )
    )


@pytest.mark.parametrize("base", [DEMO, PRODUCTION], ids=["demo", "production"])
def test_e1_e2_both_profiles_declare_an_ab_and_a_shadow_test_rollout(base):
    """E1/E2: the shipped profiles have an A/B endpoint (two or more weighted production variants, no shadow)
    and a shadow-test endpoint (exactly one production and one shadow variant)."""
    inference = ProjectConfig.model_validate(base).inference
    assert len(inference.realtime.variants) >= 2 and not inference.realtime.shadow_variants
    assert inference.shadow_test.enabled
    assert (len(inference.shadow_test.variants), len(inference.shadow_test.shadow_variants)) == (1, 1)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"inference.shadow_test.variants": [*DEMO["inference"]["realtime"]["variants"]]},
            "inference.shadow_test.shadow_variants: a shadow variant needs exactly one production variant beside "
            "it, but inference.shadow_test.variants has 2",
            id="E2-shadow-test-with-two-production-variants",
        ),
        pytest.param(
            {"inference.shadow_test.shadow_variants": []},
            "inference.shadow_test.shadow_variants",
            id="E2-shadow-test-without-shadow",
        ),
        pytest.param(
            {"inference.shadow_test.deployment.mode": "rolling"},
            "inference.shadow_test.deployment.mode rolling cannot update an endpoint with 2 variants",
            id="E3-rolling-beside-a-shadow",
        ),
        pytest.param(
            {"inference.shadow_test.variants.0.instance_type": "ml.inf1.xlarge"},
            "inference.shadow_test.variants[0]: canary deployment guardrails cannot be used with Inf1 instances",
            id="E3-guardrails-on-inf1",
        ),
        pytest.param(
            {"inference.shadow_test.variants.0.model": "champion-serverless"},
            "inference.shadow_test: model 'champion-serverless' runs without network isolation",
            id="N7-open-model",
        ),
    ],
)
@pytest.mark.parametrize("base", [DEMO, PRODUCTION], ids=["demo", "production"])
def test_e2_e3_the_shadow_test_endpoint_gets_the_same_rules(base, changes, expected):
    """The feature-rule table applies to the shadow-test endpoint too, naming its fields."""
    assert_refused(changed(base, **changes), expected)


def test_e3_guardrail_modes_valid_for_a_shadow_test():
    """E3: canary, linear and all-at-once update an endpoint with a shadow variant; rolling does not."""
    for mode in ("canary", "linear", "all-at-once"):
        ProjectConfig.model_validate(changed(DEMO, **{"inference.shadow_test.deployment.mode": mode}))


def test_rules_enforced_by_construction_offer_no_field_to_break_them():
    """E8: the serverless section has no key, capture, shadow, variant or deployment field to set."""
    assert set(ServerlessConfig.model_fields) == {"enabled", "model", "memory_mb", "max_concurrency"}
    local_storage = {key for key in ENFORCED_BY_CONSTRUCTION if "local-storage" in key}
    assert local_storage == {
        "training-local-storage-no-volume-key",
        "processing-local-storage-no-volume-key",
        "transform-local-storage-no-volume-key",
        "monitoring-local-storage-no-volume-key",
        "hosting-local-storage-no-kms-key",
    }
    for key in ENFORCED_BY_CONSTRUCTION - local_storage:
        assert "serverless" in key and aws_rules.RULES[key].source.startswith("https://docs.aws.amazon.com/")
    # No profile field sets a volume key: the builders choose it (ml_constructs.instance_storage).
    schema = json.dumps(ProjectConfig.model_json_schema()).lower()
    assert "volume_kms" not in schema and "volume_key" not in schema
    for key in local_storage:
        rule = aws_rules.RULES[key]
        assert "volume_key_for" in rule.enforced_by and aws_rules.INSTANCE_STORE_ENCRYPTION_DOC in rule.source


def test_botocore_sources_exist_and_say_what_the_rules_quote():
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    cited = set()
    for rule in aws_rules.RULES.values():
        for shape, member in re.findall(r"\b([A-Z][A-Za-z]+)\.([A-Z][A-Za-z]+)\b", rule.source):
            assert member in model.shape_for(shape).members, (rule.key, shape, member)
            cited.add(f"{shape}.{member}")

    def documentation(shape: str, member: str) -> str:
        text = re.sub(r"<[^>]+>", "", model.shape_for(shape).members[member].documentation)
        return " ".join(text.split())

    assert "you can only specify one variant for ProductionVariants and one variant for ShadowProductionVariants" in (
        documentation("CreateEndpointConfigInput", "ShadowProductionVariants")
    )
    for shape in ("ResourceConfig", "ProcessingClusterConfig", "TransformResources"):
        assert "You can't request a VolumeKmsKeyId when using an instance type with local storage" in (
            documentation(shape, "VolumeKmsKeyId")
        )
        assert f"{shape}.VolumeKmsKeyId" in cited
    assert "the KmsKeyId parameter does not encrypt instance local storage" in (
        documentation("CreateEndpointConfigInput", "KmsKeyId")
    )
    assert "CreateEndpointConfigInput.KmsKeyId" in cited


@pytest.mark.parametrize(
    ("instance_type", "local"),
    [
        ("ml.m5d.large", True),
        ("ml.c6id.xlarge", True),
        ("ml.r7gd.large", True),
        ("ml.g4dn.xlarge", True),
        ("ml.p3dn.24xlarge", True),
        ("ml.p4de.24xlarge", True),
        ("ml.g5.xlarge", True),
        ("ml.g6e.xlarge", True),
        ("ml.p5.48xlarge", True),
        ("ml.p6-b200.48xlarge", True),
        ("ml.trn1.2xlarge", True),
        ("ml.m5.large", False),
        ("ml.c5n.xlarge", False),
        ("ml.c7i-flex.large", False),
        ("ml.p3.2xlarge", False),
        ("ml.inf2.xlarge", False),
        ("ml.t3.medium", False),
    ],
)
def test_instance_store_families_are_encoded_once(instance_type, local):
    assert aws_rules.has_instance_storage(instance_type) is local
