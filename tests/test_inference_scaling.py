"""The inference stack's templates (patterns N7, E1-E12)."""

from __future__ import annotations

import pytest
from helpers import as_list, statements, target
from inference_helpers import (
    STACK,
    autoscaling_of,
    endpoint,
    endpoint_config,
    imported,
    resources,
    scaled_variants,
)

# --- E4, E5: autoscaling ------------------------------------------------------------------------------


def test_e4_target_tracking_per_variant_with_cooldowns(hosted):
    scaling = hosted.config.inference.realtime.autoscaling
    variants = scaled_variants(hosted, "realtime")
    assert set(variants) == {"champion", "challenger"}
    for variant in hosted.config.inference.realtime.variants:
        declared = variants[variant.name]
        assert (declared["MinCapacity"], declared["MaxCapacity"]) == (variant.min_capacity, variant.max_capacity)
        (policy,) = declared["Policies"]
        assert policy["PolicyType"] == "TargetTrackingScaling"
        tracking = policy["TargetTrackingScalingPolicyConfiguration"]
        assert tracking["PredefinedMetricSpecification"] == {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        }
        assert tracking["TargetValue"] == scaling.target_invocations_per_instance
        assert (tracking["ScaleInCooldown"], tracking["ScaleOutCooldown"]) == (
            scaling.scale_in_cooldown_seconds,
            scaling.scale_out_cooldown_seconds,
        )


def test_e4_shadow_test_scales_its_production_variant(hosted):
    """E4 on the shadow-test endpoint: the production variant is autoscaled; the shadow variant keeps
    its declared instance count (it answers nobody)."""
    shadow_test = hosted.config.inference.shadow_test
    variants = scaled_variants(hosted, "shadow-test")
    (declared,) = shadow_test.variants
    assert set(variants) == {declared.name}
    assert (variants[declared.name]["MinCapacity"], variants[declared.name]["MaxCapacity"]) == (
        declared.min_capacity,
        declared.max_capacity,
    )
    (policy,) = variants[declared.name]["Policies"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == shadow_test.autoscaling.target_invocations_per_instance


@pytest.mark.parametrize("name", ["realtime", "shadow-test", "async", "pipeline"])
def test_e4_scaling_is_handed_off_around_every_endpoint_update(hosted, name):
    """The endpoint waits for the handoff (which deregisters variants whose instance type changes),
    the scaling waits for the endpoint (registration after the update, deregistration before
    deletion); both know each variant's instance type from the endpoint configuration."""
    handoff_id, handoff, scaling_id, scaling = autoscaling_of(hosted, name)
    endpoint_id = next(
        k
        for k, e in resources(hosted, "AWS::SageMaker::Endpoint").items()
        if e["Properties"]["EndpointName"] == endpoint(hosted, name)["EndpointName"]
    )
    template = hosted.template_json(STACK)["Resources"]
    assert handoff_id in as_list(template[endpoint_id]["DependsOn"])
    assert endpoint_id in as_list(template[scaling_id]["DependsOn"])
    instance_types = {v["VariantName"]: v["InstanceType"] for v in endpoint_config(hosted, name)["ProductionVariants"]}
    assert handoff["InstanceTypes"] == instance_types
    assert {v["VariantName"]: v["InstanceType"] for v in scaling["Variants"]} == instance_types
    assert target(handoff["ServiceToken"]) == target(scaling["ServiceToken"])


def test_e4_scaling_function_may_touch_only_sagemaker_variants_of_the_project(profile):
    (function,) = [
        f["Properties"]
        for f in resources(profile, "AWS::Lambda::Function").values()
        if f["Properties"]["Description"].startswith("CloudFormation: hand endpoint variants")
    ]
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(profile, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Scale the project's endpoint variants")
    ]
    sids = {s.get("Sid"): s for s in statements(policy)}
    scaling = sids["VariantScalableTargets"]
    assert scaling["Condition"] == {
        "StringEquals": {
            "application-autoscaling:service-namespace": "sagemaker",
            "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount",
        }
    }
    assert all(a.startswith("application-autoscaling:") for a in scaling["Action"])
    prefix = f"{profile.config.project_name}-{profile.config.profile}-"
    assert sids["ProjectEndpoints"]["Resource"]["Fn::Join"][1][-1] == f":endpoint/{prefix}*"
    assert sids["TargetTrackingAlarms"]["Resource"]["Fn::Join"][1][-1] == f":alarm:TargetTracking-endpoint/{prefix}*"
    assert sids["ScalingServiceLinkedRole"]["Condition"] == {
        "StringLike": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}
    }
    assert function["Runtime"].startswith("python3")
    reserved = function.get("ReservedConcurrentExecutions")
    assert reserved >= 1 if profile.config.deploy.lambda_reserved_concurrency else reserved is None


def test_e5_production_variants_start_and_stay_at_two_or_more(production):
    variants = endpoint_config(production, "realtime")["ProductionVariants"]
    assert all(v["InitialInstanceCount"] >= 2 for v in variants)
    assert all(v["MinCapacity"] >= 2 for v in scaled_variants(production, "realtime").values())
    shadow_test = endpoint_config(production, "shadow-test")["ProductionVariants"]
    assert all(v["InitialInstanceCount"] >= 2 for v in shadow_test)
    assert all(v["MinCapacity"] >= 2 for v in scaled_variants(production, "shadow-test").values())
    assert endpoint_config(production, "pipeline")["ProductionVariants"][0]["InitialInstanceCount"] >= 2
    assert scaled_variants(production, "pipeline")["pipeline"]["MinCapacity"] >= 2


# --- E6: data capture and monitoring ------------------------------------------------------------------


@pytest.mark.parametrize("name, section", [("realtime", "realtime"), ("shadow-test", "shadow_test")])
def test_e6_capture_to_the_inference_bucket_with_kms(hosted, name, section):
    """E6 on both real-time endpoints: capture stays on (Model Monitor or not), each under its own prefix."""
    capture = endpoint_config(hosted, name)["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    declared = getattr(hosted.config.inference, section).data_capture
    assert capture["InitialSamplingPercentage"] == declared.sampling_percent
    assert imported(capture["DestinationS3Uri"]["Fn::Join"][1][1], "InferenceBucket")
    assert capture["DestinationS3Uri"]["Fn::Join"][1][-1] == f"/capture/{name}"
    assert imported(capture["KmsKeyId"], "DataKey")
    assert {o["CaptureMode"] for o in capture["CaptureOptions"]} == {"Input", "Output"}


def test_e6_model_monitor_is_off_in_both_profiles(profile):
    """E6: Model Monitor is an opt-in (AWS closed it to new customers); neither profile turns it on."""
    assert profile.config.inference.realtime.monitoring.enabled is False
    for kind in ("AWS::SageMaker::DataQualityJobDefinition", "AWS::SageMaker::MonitoringSchedule"):
        assert not resources(profile, kind)


def test_e6_data_quality_schedule_isolated_encrypted_against_the_baseline(variant):
    """E6 where it is turned on (the variant): one schedule on the A/B endpoint's captured data."""
    profile = variant
    assert profile.config.inference.realtime.monitoring.enabled is True
    (job,) = [j["Properties"] for j in resources(profile, "AWS::SageMaker::DataQualityJobDefinition").values()]
    assert job["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == endpoint(profile, "realtime")["EndpointName"]
    assert job["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"]["Fn::Sub"].endswith(".json")
    network = job["NetworkConfig"]
    assert network["EnableNetworkIsolation"] is True and network["EnableInterContainerTrafficEncryption"] is True
    assert network["VpcConfig"]["Subnets"]
    assert imported(job["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"], "DataKey")
    assert imported(job["DataQualityJobOutputConfig"]["KmsKeyId"], "DataKey")
    (schedule,) = [s["Properties"] for s in resources(profile, "AWS::SageMaker::MonitoringSchedule").values()]
    config = schedule["MonitoringScheduleConfig"]
    assert config["MonitoringType"] == "DataQuality"
    assert config["ScheduleConfig"]["ScheduleExpression"] == profile.config.inference.realtime.monitoring.schedule
    assert config["MonitoringJobDefinitionName"] == job["JobDefinitionName"]
