"""The inference stack's templates (patterns N7, E1-E12)."""

from __future__ import annotations

import re

import pytest
from helpers import as_list, statements, target
from inference_helpers import (
    STACK,
    autoscaling_of,
    endpoint,
    endpoint_config,
    imported,
    model_of,
    resources,
)

from stacks.images import image_uri

# --- N7: every model isolated in the VPC, one declared exception -------------------------------


def test_n7_models_run_isolated_in_the_private_subnets(profile):
    models = resources(profile, "AWS::SageMaker::Model")
    declared = {m.name: m for m in profile.config.inference.models}
    open_models = [p for p in (m["Properties"] for m in models.values()) if not p["EnableNetworkIsolation"]]
    for props in (m["Properties"] for m in models.values()):
        if props["EnableNetworkIsolation"]:
            assert [imported(s, "WorkloadsSubnet") for s in props["VpcConfig"]["Subnets"]] == [
                True
            ] * profile.config.network.availability_zones
            assert [imported(g, "WorkloadSecurityGroup") for g in props["VpcConfig"]["SecurityGroupIds"]] == [True]
    # The one model without isolation is the serverless one, declared so with a reason.
    exceptions = [m for m in declared.values() if not m.network_isolation]
    assert len(open_models) == len(exceptions) == 1
    assert "VpcConfig" not in open_models[0]
    assert exceptions[0].name == profile.config.inference.serverless.model and exceptions[0].network_isolation_exception


def test_n7_models_read_only_their_own_artifacts(profile):
    (policy,) = [
        p["Properties"]
        for p in resources(profile, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Inference")
    ]
    sids = {s["Sid"]: s for s in statements(policy["PolicyDocument"])}
    artifacts = as_list(sids["ReadModelArtifacts"]["Resource"])
    assert len(artifacts) == 2 and all(r["Fn::Join"][1][-1].endswith(".gz") for r in artifacts)
    assert sids["ReadModelArtifacts"]["Action"] == "s3:GetObject"


@pytest.fixture(params=["sandbox", "variant"])
def regional(request):
    return request.getfixturevalue(request.param)


def test_n7_images_come_from_the_sdk_for_the_stacks_region(regional):
    region = regional.config.region
    expected = image_uri("xgboost", "3.0-5", region, "ml.m5.large")
    images = {
        c["Image"]
        for m in resources(regional, "AWS::SageMaker::Model").values()
        for c in [m["Properties"].get("PrimaryContainer")] + m["Properties"].get("Containers", [])
        if c
    }
    assert images == {expected}
    assert f".dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:3.0-5" in expected
    jobs = resources(regional, "AWS::SageMaker::DataQualityJobDefinition").values()
    # E6: Model Monitor is an opt-in (off in the sandbox, on in the variant).
    assert len(jobs) == int(regional.config.inference.realtime.monitoring.enabled)
    for job in jobs:
        assert job["Properties"]["DataQualityAppSpecification"]["ImageUri"] == image_uri("model-monitor", None, region)


def test_n7_regions_get_different_registries(sandbox, variant):
    assert image_uri("xgboost", "3.0-5", "us-east-1", "ml.m5.large") != image_uri(
        "xgboost", "3.0-5", "eu-west-1", "ml.m5.large"
    )


# --- E1, E2, E7: endpoint configuration --------------------------------------------------------


def test_e1_production_variants_with_configured_weights(hosted):
    config = endpoint_config(hosted, "realtime")
    declared = hosted.config.inference.realtime.variants
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in config["ProductionVariants"]] == [
        (v.name, v.weight) for v in declared
    ]
    assert [v["VariantName"] for v in config["ProductionVariants"]] == ["champion", "challenger"]
    assert [v["InitialVariantWeight"] for v in config["ProductionVariants"]] == [90, 10]


@pytest.fixture(params=["demo", "production", "variant"])
def shadowed(request):
    return request.getfixturevalue(request.param)


def test_e2_shadow_test_endpoint_has_one_production_and_one_shadow_variant(shadowed):
    """E2: the shadow-test endpoint: exactly one production variant and one shadow variant beside it
    (CreateEndpointConfig's rule); the shadow's weight over the production variant's is the share copied."""
    config = endpoint_config(shadowed, "shadow-test")
    declared = shadowed.config.inference.shadow_test
    (production,) = config["ProductionVariants"]
    (shadow,) = config["ShadowProductionVariants"]
    (declared_production,) = declared.variants
    (declared_shadow,) = declared.shadow_variants
    assert production["VariantName"] == declared_production.name
    assert shadow["VariantName"] == declared_shadow.name == "shadow"
    assert shadow["InitialVariantWeight"] / production["InitialVariantWeight"] == declared_shadow.sampling_weight
    assert (shadow["InstanceType"], shadow["InitialInstanceCount"]) == (
        declared_shadow.instance_type,
        declared_shadow.initial_instance_count,
    )
    # The model under test, in the deployed model's image, beside the production variant.
    shadow_model, production_model = model_of(shadowed, shadow), model_of(shadowed, production)
    assert shadow_model != production_model
    assert shadow_model["PrimaryContainer"]["Image"] == production_model["PrimaryContainer"]["Image"]


def test_e1_e2_ab_and_shadow_rollouts_are_separate_endpoints(hosted):
    """E1 and E2 in the demo and production (the sandbox leaves both to the demo): the A/B endpoint has
    two weighted production variants and no shadow (AWS takes a shadow only beside exactly one production
    variant); the shadow test is its own endpoint."""
    assert not hosted.config.inference.realtime.shadow_variants
    ab = endpoint_config(hosted, "realtime")
    assert "ShadowProductionVariants" not in ab and len(ab["ProductionVariants"]) >= 2
    shadow_test = endpoint_config(hosted, "shadow-test")
    assert (len(shadow_test["ProductionVariants"]), len(shadow_test["ShadowProductionVariants"])) == (1, 1)
    assert endpoint(hosted, "shadow-test")["EndpointName"] == (
        f"{hosted.config.project_name}-{hosted.config.profile}-shadow-test"
    )


def test_e7_every_instance_backed_endpoint_config_uses_the_data_key(hosted):
    for name in ("realtime", "shadow-test", "async", "pipeline"):
        assert imported(endpoint_config(hosted, name)["KmsKeyId"], "DataKey"), name


def test_e7_sandbox_async_endpoint_config_uses_the_data_key(sandbox):
    """The sandbox's one instance-backed endpoint (async, at zero instances when idle) keeps E7."""
    assert imported(endpoint_config(sandbox, "async")["KmsKeyId"], "DataKey")


def test_e3_e4_sandbox_async_scaling_is_handed_off_and_alarm_names_are_unique(sandbox):
    handoff_id, handoff, scaling_id, scaling = autoscaling_of(sandbox, "async")
    template = sandbox.template_json(STACK)["Resources"]
    (endpoint_id,) = [
        k
        for k, e in resources(sandbox, "AWS::SageMaker::Endpoint").items()
        if e["Properties"]["EndpointName"] == endpoint(sandbox, "async")["EndpointName"]
    ]
    assert handoff_id in as_list(template[endpoint_id]["DependsOn"])
    assert endpoint_id in as_list(template[scaling_id]["DependsOn"])
    assert handoff["InstanceTypes"] == {"async": sandbox.config.inference.asynchronous.instance_type}
    names = [a["Properties"]["AlarmName"] for a in resources(sandbox, "AWS::CloudWatch::Alarm").values()]
    assert len(names) == len(set(names))


# --- E3: deployment guardrails --------------------------------------------------------------------


def test_e3_canary_blue_green_with_rollback_on_latency_and_5xx_alarms(hosted):
    deployment = endpoint(hosted, "realtime")["DeploymentConfig"]
    policy = deployment["BlueGreenUpdatePolicy"]
    guardrails = hosted.config.inference.realtime.deployment
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": guardrails.traffic_percent},
        "WaitIntervalInSeconds": guardrails.wait_seconds,
    }
    assert policy["TerminationWaitInSeconds"] == guardrails.baking_seconds
    alarms = resources(hosted, "AWS::CloudWatch::Alarm")
    rollback = [
        alarms[target(a["AlarmName"])]["Properties"]["MetricName"]
        for a in deployment["AutoRollbackConfiguration"]["Alarms"]
    ]
    assert sorted(rollback) == sorted(["ModelLatency", "Invocation5XXErrors"] * 2)


def test_e3_shadow_test_rolls_back_on_the_production_variant_and_alarms_on_the_shadow(shadowed):
    """E3, E12 on the shadow-test endpoint: its guardrail mode is the declared one (valid for an endpoint
    with a shadow variant: no rolling update, see config.inference); only the production variant's latency
    and 5XX alarms roll an update back, the shadow's alarms notify the alarm topic."""
    props = endpoint(shadowed, "shadow-test")
    declared = shadowed.config.inference.shadow_test
    routing = props["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert declared.deployment.mode != "rolling"
    assert routing["Type"] == declared.deployment.mode.upper().replace("-", "_")
    alarms = resources(shadowed, "AWS::CloudWatch::Alarm")
    rollback = {
        (
            alarms[target(a["AlarmName"])]["Properties"]["Dimensions"][1]["Value"],
            alarms[target(a["AlarmName"])]["Properties"]["MetricName"],
        )
        for a in props["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    }
    production = declared.variants[0].name
    assert rollback == {(production, "ModelLatency"), (production, "Invocation5XXErrors")}
    shadow_alarms = [
        a["Properties"]
        for a in alarms.values()
        if {"Name": "EndpointName", "Value": props["EndpointName"]} in a["Properties"].get("Dimensions", [])
        and {"Name": "VariantName", "Value": "shadow"} in a["Properties"]["Dimensions"]
    ]
    assert sorted(a["MetricName"] for a in shadow_alarms) == [
        "Invocation4XXErrors",
        "Invocation5XXErrors",
        "ModelLatency",
    ]
    assert all(a["AlarmActions"] and a["OKActions"] for a in shadow_alarms)


def test_e3_alarm_names_are_unique_across_endpoints(hosted):
    names = [a["Properties"]["AlarmName"] for a in resources(hosted, "AWS::CloudWatch::Alarm").values()]
    assert len(names) == len(set(names))
    assert any("-shadow-test-shadow-" in n for n in names)


def test_e3_linear_shifting(variant):
    routing = endpoint(variant, "realtime")["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "LINEAR" and routing["LinearStepSize"]["Value"] == 10


def test_e3_updates_keep_scaled_instance_counts_but_apply_new_weights(hosted):
    props = endpoint(hosted, "realtime")
    assert props["RetainAllVariantProperties"] is True
    assert {p["VariantPropertyType"] for p in props["ExcludeRetainedVariantProperties"]} == {
        "DesiredWeight",
        "DataCaptureConfig",
    }


def test_e3_endpoint_names_are_fixed_so_alarms_name_them_without_a_cycle(hosted):
    names = {e["Properties"]["EndpointName"] for e in resources(hosted, "AWS::SageMaker::Endpoint").values()}
    prefix = f"{hosted.config.project_name}-{hosted.config.profile}-"
    assert names == {prefix + n for n in ("realtime", "shadow-test", "serverless", "async", "pipeline")}
    # CreateEndpoint's EndpointName: at most 63 characters, letters, digits and single hyphens inside.
    assert all(re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", n) for n in names), names
