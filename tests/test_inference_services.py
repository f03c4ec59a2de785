"""The inference stack's templates (patterns N7, E1-E12)."""

from __future__ import annotations

import json

from helpers import statements, target
from inference_helpers import (
    autoscaling_of,
    endpoint,
    endpoint_config,
    imported,
    model_of,
    resources,
    scaled_variants,
)

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


def test_e10_pipeline_model_runs_three_containers_in_order(hosted):
    (variant,) = endpoint_config(hosted, "pipeline")["ProductionVariants"]
    model = model_of(hosted, variant)
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


def test_e11_function_in_the_vpc_invokes_one_endpoint(hosted):
    (props,) = [
        f["Properties"]
        for f in resources(hosted, "AWS::Lambda::Function").values()
        if f["Properties"]["Description"].startswith("POST /predict")
    ]
    assert props["VpcConfig"]["SubnetIds"]
    assert props["Environment"]["Variables"] == {
        "ENDPOINT_NAME": endpoint(hosted, "realtime")["EndpointName"],
        "ALLOWED_VARIANTS": "champion,challenger",
    }
    (policy,) = [
        p["Properties"]
        for p in resources(hosted, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Invoke the real-time")
    ]
    invoke = {s.get("Sid"): s for s in statements(policy["PolicyDocument"])}["InvokeOneEndpoint"]
    assert invoke["Action"] == "sagemaker:InvokeEndpoint"
    assert invoke["Resource"]["Fn::Join"][1][-1].endswith(f":endpoint/{endpoint(hosted, 'realtime')['EndpointName']}")
    (egress,) = resources(hosted, "AWS::EC2::SecurityGroupEgress").values()
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


def test_e12_latency_5xx_and_4xx_alarms_per_variant_notify_the_encrypted_topic(hosted):
    alarms = [
        a["Properties"]
        for a in resources(hosted, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/SageMaker"
        and "VariantName" in {d["Name"] for d in a["Properties"]["Dimensions"]}
    ]
    realtime = endpoint(hosted, "realtime")["EndpointName"]
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
        for t in resources(hosted, "AWS::SNS::Topic").values()
        if t["Properties"]["TopicName"].endswith("inference-alarms")
    )
    assert imported(topic["Properties"]["KmsMasterKeyId"], "NotificationsKey")


def test_e12_dashboard_covers_every_instance_endpoint(hosted):
    (dashboard,) = resources(hosted, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for name in ("realtime", "async", "pipeline"):
        assert endpoint(hosted, name)["EndpointName"] in body
    for metric in ("Invocations", "ModelLatency", "Invocation5XXErrors", "Invocation4XXErrors"):
        assert metric in body
