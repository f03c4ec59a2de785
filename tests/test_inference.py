"""The inference stack's templates (patterns N7, E1-E12)."""

from __future__ import annotations

import json
import re

import pytest
from helpers import as_list, statements, target

from stacks.images import image_uri

STACK = "Inference"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def imported(value, fragment: str) -> bool:
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def endpoint(assembly, name: str) -> dict:
    (found,) = [
        e["Properties"]
        for e in resources(assembly, "AWS::SageMaker::Endpoint").values()
        if e["Properties"]["EndpointName"].endswith(f"-{name}")
    ]
    return found


def endpoint_config(assembly, name: str) -> dict:
    return resources(assembly, "AWS::SageMaker::EndpointConfig")[
        target(endpoint(assembly, name)["EndpointConfigName"])
    ]["Properties"]


def model_of(assembly, variant: dict) -> dict:
    return resources(assembly, "AWS::SageMaker::Model")[target(variant["ModelName"])]["Properties"]


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


def test_e1_production_variants_with_configured_weights(profile):
    config = endpoint_config(profile, "realtime")
    declared = profile.config.inference.realtime.variants
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in config["ProductionVariants"]] == [
        (v.name, v.weight) for v in declared
    ]
    assert [v["VariantName"] for v in config["ProductionVariants"]] == ["champion", "challenger"]
    assert [v["InitialVariantWeight"] for v in config["ProductionVariants"]] == [90, 10]


@pytest.fixture(params=["sandbox", "production", "variant"])
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


def test_e1_e2_ab_and_shadow_rollouts_are_separate_endpoints(profile):
    """E1 and E2 in both profiles: the A/B endpoint has two weighted production variants and no shadow
    (AWS takes a shadow only beside exactly one production variant); the shadow test is its own endpoint."""
    assert not profile.config.inference.realtime.shadow_variants
    ab = endpoint_config(profile, "realtime")
    assert "ShadowProductionVariants" not in ab and len(ab["ProductionVariants"]) >= 2
    shadow_test = endpoint_config(profile, "shadow-test")
    assert (len(shadow_test["ProductionVariants"]), len(shadow_test["ShadowProductionVariants"])) == (1, 1)
    assert endpoint(profile, "shadow-test")["EndpointName"] == (
        f"{profile.config.project_name}-{profile.config.profile}-shadow-test"
    )


def test_e7_every_instance_backed_endpoint_config_uses_the_data_key(profile):
    for name in ("realtime", "shadow-test", "async", "pipeline"):
        assert imported(endpoint_config(profile, name)["KmsKeyId"], "DataKey"), name


# --- E3: deployment guardrails --------------------------------------------------------------------


def test_e3_canary_blue_green_with_rollback_on_latency_and_5xx_alarms(profile):
    deployment = endpoint(profile, "realtime")["DeploymentConfig"]
    policy = deployment["BlueGreenUpdatePolicy"]
    guardrails = profile.config.inference.realtime.deployment
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": guardrails.traffic_percent},
        "WaitIntervalInSeconds": guardrails.wait_seconds,
    }
    assert policy["TerminationWaitInSeconds"] == guardrails.baking_seconds
    alarms = resources(profile, "AWS::CloudWatch::Alarm")
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


def test_e3_alarm_names_are_unique_across_endpoints(profile):
    names = [a["Properties"]["AlarmName"] for a in resources(profile, "AWS::CloudWatch::Alarm").values()]
    assert len(names) == len(set(names))
    assert any("-shadow-test-shadow-" in n for n in names)


def test_e3_linear_shifting(variant):
    routing = endpoint(variant, "realtime")["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "LINEAR" and routing["LinearStepSize"]["Value"] == 10


def test_e3_updates_keep_scaled_instance_counts_but_apply_new_weights(profile):
    props = endpoint(profile, "realtime")
    assert props["RetainAllVariantProperties"] is True
    assert {p["VariantPropertyType"] for p in props["ExcludeRetainedVariantProperties"]} == {
        "DesiredWeight",
        "DataCaptureConfig",
    }


def test_e3_endpoint_names_are_fixed_so_alarms_name_them_without_a_cycle(profile):
    names = {e["Properties"]["EndpointName"] for e in resources(profile, "AWS::SageMaker::Endpoint").values()}
    prefix = f"{profile.config.project_name}-{profile.config.profile}-"
    assert names == {prefix + n for n in ("realtime", "shadow-test", "serverless", "async", "pipeline")}
    # CreateEndpoint's EndpointName: at most 63 characters, letters, digits and single hyphens inside.
    assert all(re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", n) for n in names), names


# --- E4, E5: autoscaling ------------------------------------------------------------------------------


def autoscaling_of(assembly, name: str) -> tuple[str, dict, str, dict]:
    """(logical id, properties) of the endpoint's Handoff and Scaling custom resources."""
    endpoint_name = endpoint(assembly, name)["EndpointName"]

    def one(kind: str) -> tuple[str, dict]:
        ((logical_id, props),) = [
            (k, r["Properties"])
            for k, r in resources(assembly, kind).items()
            if r["Properties"]["EndpointName"] == endpoint_name
        ]
        return logical_id, props

    return (*one("Custom::VariantScalingHandoff"), *one("Custom::VariantScaling"))


def scaled_variants(assembly, name: str) -> dict[str, dict]:
    return {v["VariantName"]: v for v in autoscaling_of(assembly, name)[3]["Variants"]}


def test_e4_target_tracking_per_variant_with_cooldowns(profile):
    scaling = profile.config.inference.realtime.autoscaling
    variants = scaled_variants(profile, "realtime")
    assert set(variants) == {"champion", "challenger"}
    for variant in profile.config.inference.realtime.variants:
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


def test_e4_shadow_test_scales_its_production_variant(profile):
    """E4 on the shadow-test endpoint: the production variant is autoscaled; the shadow variant keeps
    its declared instance count (it answers nobody)."""
    shadow_test = profile.config.inference.shadow_test
    variants = scaled_variants(profile, "shadow-test")
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
def test_e4_scaling_is_handed_off_around_every_endpoint_update(profile, name):
    """The endpoint waits for the handoff (which deregisters variants whose instance type changes),
    the scaling waits for the endpoint (registration after the update, deregistration before
    deletion); both know each variant's instance type from the endpoint configuration."""
    handoff_id, handoff, scaling_id, scaling = autoscaling_of(profile, name)
    endpoint_id = next(
        k
        for k, e in resources(profile, "AWS::SageMaker::Endpoint").items()
        if e["Properties"]["EndpointName"] == endpoint(profile, name)["EndpointName"]
    )
    template = profile.template_json(STACK)["Resources"]
    assert handoff_id in as_list(template[endpoint_id]["DependsOn"])
    assert endpoint_id in as_list(template[scaling_id]["DependsOn"])
    instance_types = {v["VariantName"]: v["InstanceType"] for v in endpoint_config(profile, name)["ProductionVariants"]}
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
def test_e6_capture_to_the_inference_bucket_with_kms(profile, name, section):
    """E6 on both real-time endpoints: capture stays on (Model Monitor or not), each under its own prefix."""
    capture = endpoint_config(profile, name)["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    declared = getattr(profile.config.inference, section).data_capture
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


# --- E8, E9, E10: serverless, asynchronous, pipeline ------------------------------------------------------


def test_e8_serverless_variant_with_memory_and_concurrency(profile):
    (variant,) = endpoint_config(profile, "serverless")["ProductionVariants"]
    settings = profile.config.inference.serverless
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": settings.memory_mb,
        "MaxConcurrency": settings.max_concurrency,
    }
    assert "InstanceType" not in variant


def test_e9_async_results_and_failures_in_s3_with_kms_and_sns(profile):
    config = endpoint_config(profile, "async")["AsyncInferenceConfig"]
    output = config["OutputConfig"]
    assert imported(output["KmsKeyId"], "DataKey")
    assert output["S3OutputPath"]["Fn::Join"][1][-1] == "/async/results"
    assert output["S3FailurePath"]["Fn::Join"][1][-1] == "/async/failures"
    topics = resources(profile, "AWS::SNS::Topic")
    for topic_ref in output["NotificationConfig"].values():
        assert imported(topics[target(topic_ref)]["Properties"]["KmsMasterKeyId"], "NotificationsKey")


def test_e9_async_endpoint_scales_to_zero_on_backlog(profile):
    (variant,) = scaled_variants(profile, "async").values()
    options = profile.config.inference.asynchronous
    assert (variant["MinCapacity"], variant["MaxCapacity"]) == (0, options.max_capacity)
    policies = {p["PolicyType"]: p for p in variant["Policies"]}
    tracking = policies["TargetTrackingScaling"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["CustomizedMetricSpecification"]["MetricName"] == "ApproximateBacklogSizePerInstance"
    assert tracking["CustomizedMetricSpecification"]["Dimensions"] == [
        {"Name": "EndpointName", "Value": endpoint(profile, "async")["EndpointName"]}
    ]
    assert tracking["TargetValue"] == options.backlog_per_instance
    step = policies["StepScaling"]
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]
    # Requests waiting at zero instances start the first one: the alarm runs the step policy.
    (alarm,) = [
        a["Properties"]
        for a in resources(profile, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "HasBacklogWithoutCapacity"
    ]
    scaling_id = autoscaling_of(profile, "async")[2]
    assert alarm["AlarmActions"] == [{"Fn::GetAtt": [scaling_id, step["PolicyName"]]}]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["Threshold"] == 1


def test_e10_pipeline_model_runs_three_containers_in_order(profile):
    (variant,) = endpoint_config(profile, "pipeline")["ProductionVariants"]
    model = model_of(profile, variant)
    assert model["InferenceExecutionConfig"] == {"Mode": "Serial"}
    programs = [c.get("Environment", {}).get("SAGEMAKER_PROGRAM") for c in model["Containers"]]
    assert programs == ["preprocess.py", None, "postprocess.py"]
    assert model["EnableNetworkIsolation"] is True and model["VpcConfig"]


# --- E11: the API -----------------------------------------------------------------------------------------


def api_parts(assembly):
    (api,) = resources(assembly, "AWS::ApiGateway::RestApi").values()
    (stage,) = resources(assembly, "AWS::ApiGateway::Stage").values()
    (method,) = resources(assembly, "AWS::ApiGateway::Method").values()
    return api["Properties"], stage["Properties"], method["Properties"]


def test_e11_private_api_only_through_the_vpc_endpoint(profile):
    api, _, _ = api_parts(profile)
    assert api["EndpointConfiguration"]["Types"] == ["PRIVATE"]
    assert [imported(e, "VpcApiGateway") for e in api["EndpointConfiguration"]["VpcEndpointIds"]] == [True]
    by_sid = {s["Sid"]: s for s in statements(api["Policy"])}
    assert by_sid["DenyOutsideTheVpcEndpoint"]["Effect"] == "Deny"
    deny, allow = by_sid["DenyOutsideTheVpcEndpoint"], by_sid["ThisAccountThroughTheVpcEndpoint"]
    assert deny["Principal"] == {"AWS": "*"} and deny["Action"] == allow["Action"] == "execute-api:Invoke"
    assert imported(deny["Condition"]["StringNotEquals"]["aws:SourceVpce"], "VpcApiGateway")
    assert imported(allow["Condition"]["StringEquals"]["aws:SourceVpce"], "VpcApiGateway")
    assert allow["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root" and allow["Effect"] == "Allow"


def test_e11_iam_auth_validation_throttling_logs_and_tracing(profile):
    _, stage, method = api_parts(profile)
    assert method["AuthorizationType"] == "AWS_IAM"
    assert method["HttpMethod"] == "POST"
    validators = resources(profile, "AWS::ApiGateway::RequestValidator")
    assert validators[target(method["RequestValidatorId"])]["Properties"]["ValidateRequestBody"] is True
    (model,) = resources(profile, "AWS::ApiGateway::Model").values()
    schema = model["Properties"]["Schema"]
    assert schema["required"] == ["instances"] and schema["properties"]["instances"]["maxItems"] == 100
    assert method["RequestParameters"] == {"method.request.header.X-Target-Variant": False}
    (settings,) = stage["MethodSettings"]
    api_config = profile.config.inference.api
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (
        api_config.rate_limit,
        api_config.burst_limit,
    )
    assert settings["LoggingLevel"] == "ERROR" and settings["DataTraceEnabled"] is False
    assert stage["TracingEnabled"] is True
    groups = resources(profile, "AWS::Logs::LogGroup")
    (access_logs,) = [
        groups[t] for t in map(target, stage["AccessLogSetting"]["DestinationArn"]["Fn::Join"][1]) if t in groups
    ]
    assert imported(access_logs["Properties"]["KmsKeyId"], "LogsKey")
    assert json.loads(stage["AccessLogSetting"]["Format"])["caller"] == "$context.identity.caller"


def test_e11_function_in_the_vpc_invokes_one_endpoint(profile):
    (props,) = [
        f["Properties"]
        for f in resources(profile, "AWS::Lambda::Function").values()
        if f["Properties"]["Description"].startswith("POST /predict")
    ]
    assert props["VpcConfig"]["SubnetIds"]
    assert props["Environment"]["Variables"] == {
        "ENDPOINT_NAME": endpoint(profile, "realtime")["EndpointName"],
        "ALLOWED_VARIANTS": "champion,challenger",
    }
    (policy,) = [
        p["Properties"]
        for p in resources(profile, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Invoke the real-time")
    ]
    invoke = {s.get("Sid"): s for s in statements(policy["PolicyDocument"])}["InvokeOneEndpoint"]
    assert invoke["Action"] == "sagemaker:InvokeEndpoint"
    assert invoke["Resource"]["Fn::Join"][1][-1].endswith(f":endpoint/{endpoint(profile, 'realtime')['EndpointName']}")
    (egress,) = resources(profile, "AWS::EC2::SecurityGroupEgress").values()
    assert egress["Properties"]["FromPort"] == 443 and imported(
        egress["Properties"]["DestinationSecurityGroupId"], "EndpointSecurityGroup"
    )


def test_e11_regional_api_behind_waf(variant):
    api, _, _ = api_parts(variant)
    assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]
    (acl,) = resources(variant, "AWS::WAFv2::WebACL").values()
    assert {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Properties"]["Rules"]} == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    }
    (association,) = resources(variant, "AWS::WAFv2::WebACLAssociation").values()
    assert target(association["Properties"]["WebACLArn"]) == next(iter(resources(variant, "AWS::WAFv2::WebACL")))
    # Every request logged to an encrypted group WAF accepts, with the SigV4 header redacted (N11).
    (logging,) = resources(variant, "AWS::WAFv2::LoggingConfiguration").values()
    (destination,) = logging["Properties"]["LogDestinationConfigs"]
    name = destination["Fn::Join"][1][-1].rsplit(":", 1)[-1]
    assert name.startswith("aws-waf-logs-") and not destination["Fn::Join"][1][-1].endswith(":*")
    (waf_logs,) = [
        g for g in resources(variant, "AWS::Logs::LogGroup").values() if g["Properties"].get("LogGroupName") == name
    ]
    assert imported(waf_logs["Properties"]["KmsKeyId"], "LogsKey")
    assert logging["Properties"]["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]


# --- E12: alarms and dashboard ------------------------------------------------------------------------------


def test_e12_latency_5xx_and_4xx_alarms_per_variant_notify_the_encrypted_topic(profile):
    alarms = [
        a["Properties"]
        for a in resources(profile, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/SageMaker"
        and "VariantName" in {d["Name"] for d in a["Properties"]["Dimensions"]}
    ]
    realtime = endpoint(profile, "realtime")["EndpointName"]
    per_variant = {}
    for alarm in alarms:
        dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        if dims["EndpointName"] == realtime:
            per_variant.setdefault(dims["VariantName"], set()).add(alarm["MetricName"])
        assert alarm["AlarmActions"] and alarm["OKActions"]
    assert per_variant == {
        v: {"ModelLatency", "Invocation5XXErrors", "Invocation4XXErrors"} for v in ("champion", "challenger")
    }
    topic = next(
        t
        for t in resources(profile, "AWS::SNS::Topic").values()
        if t["Properties"]["TopicName"].endswith("inference-alarms")
    )
    assert imported(topic["Properties"]["KmsMasterKeyId"], "NotificationsKey")


def test_e12_dashboard_covers_every_instance_endpoint(profile):
    (dashboard,) = resources(profile, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for name in ("realtime", "async", "pipeline"):
        assert endpoint(profile, name)["EndpointName"] in body
    for metric in ("Invocations", "ModelLatency", "Invocation5XXErrors", "Invocation4XXErrors"):
        assert metric in body
