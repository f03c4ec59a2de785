"""The variant-scaling custom resources' handler against Application Auto Scaling's API (pattern E4).

botocore's Stubber checks each request against the service model (so a number CloudFormation
turned into a string, or a misspelt field, fails here as it would against AWS) and answers
with the service's own error codes.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from ml_constructs.runtime.variant_scaling import handler

ENDPOINT = "secure-ml-sandbox-realtime"
STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/secure-ml-sandbox-inference/1"


def policy_arn(variant: str, name: str) -> str:
    return (
        "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:0f2b1c3d-0000-4000-8000-000000000001:"
        f"resource/sagemaker/endpoint/{ENDPOINT}/variant/{variant}:policyName/{name}"
    )


def as_cloudformation_sends(value):
    """Custom-resource properties as CloudFormation delivers them: every scalar a string."""
    if isinstance(value, dict):
        return {k: as_cloudformation_sends(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_cloudformation_sends(v) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def tracking(variant: str, target: int = 100) -> dict:
    return {
        "PolicyName": f"{variant}-invocations",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60,
        },
    }


def scaled(variant: str, instance_type: str = "ml.m5.large", low: int = 1, high: int = 2, policies=None) -> dict:
    return {
        "VariantName": variant,
        "InstanceType": instance_type,
        "MinCapacity": low,
        "MaxCapacity": high,
        "Policies": [tracking(variant)] if policies is None else policies,
    }


def event(kind: str, request: str, properties: dict, old: dict | None = None) -> dict:
    found = {
        "RequestType": request,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:scaling",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/signed",
        "StackId": STACK,
        "RequestId": "b4f1a3f0-1111-4222-8333-444455556666",
        "LogicalResourceId": "RealtimeAutoscalingScaling",
        "ResourceType": kind,
        "ResourceProperties": as_cloudformation_sends({"ServiceToken": "token", **properties}),
    }
    if old is not None:
        found["OldResourceProperties"] = as_cloudformation_sends({"ServiceToken": "token", **old})
    return found


def handoff(request: str, before: dict[str, str] | None, after: dict[str, str]) -> dict:
    old = None if before is None else {"EndpointName": ENDPOINT, "InstanceTypes": before}
    return event(handler.HANDOFF, request, {"EndpointName": ENDPOINT, "InstanceTypes": after}, old)


def scaling(request: str, variants: list[dict], before: list[dict] | None = None) -> dict:
    old = None if before is None else {"EndpointName": ENDPOINT, "Variants": before}
    return event(handler.SCALING, request, {"EndpointName": ENDPOINT, "Variants": variants}, old)


@pytest.fixture
def autoscaling(monkeypatch):
    client = boto3.client(
        "application-autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(handler, "_client", client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def answers(monkeypatch):
    """What the handler PUTs to CloudFormation's response URL."""
    sent = []

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *_):
            return False

        def read(self):
            return b""

    def urlopen(request, timeout):
        assert request.get_method() == "PUT" and request.full_url.startswith("https://")
        assert request.get_header("Content-type") == ""
        sent.append(json.loads(request.data))
        return Answer()

    monkeypatch.setattr(handler.urllib.request, "urlopen", urlopen)
    return sent


def target(variant: str) -> dict:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{ENDPOINT}/variant/{variant}",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }


def expect_deregister(stubber, variant: str, error: str | None = None) -> None:
    if error:
        stubber.add_client_error("deregister_scalable_target", error, expected_params=target(variant))
    else:
        stubber.add_response("deregister_scalable_target", {}, target(variant))


def expect_register(stubber, variant: str, low: int, high: int) -> None:
    stubber.add_response(
        "register_scalable_target",
        {"ScalableTargetARN": f"arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/{variant}"},
        {**target(variant), "MinCapacity": low, "MaxCapacity": high},
    )


def expect_put(stubber, variant: str, policy: dict) -> None:
    stubber.add_response(
        "put_scaling_policy",
        {"PolicyARN": policy_arn(variant, policy["PolicyName"]), "Alarms": []},
        {**target(variant), **policy},
    )


# --- Handoff: before the endpoint ---------------------------------------------------------------


@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_e4_handoff_touches_nothing_on_create_and_delete(autoscaling, answers, request_type):
    handler.handler(handoff(request_type, None, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["PhysicalResourceId"] == f"{ENDPOINT}/VariantScalingHandoff"


def test_e4_handoff_deregisters_variants_changing_instance_type_or_going(autoscaling, answers):
    expect_deregister(autoscaling, "champion")
    expect_deregister(autoscaling, "retired")
    handler.handler(
        handoff(
            "Update",
            {"champion": "ml.m5.large", "challenger": "ml.m5.large", "retired": "ml.c5.large"},
            {"champion": "ml.c5.xlarge", "challenger": "ml.m5.large"},
        ),
        None,
    )
    assert answers[0]["Status"] == "SUCCESS"


def test_e4_handoff_leaves_unchanged_variants_registered(autoscaling, answers):
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS"


def test_e4_handoff_accepts_a_variant_that_was_not_registered(autoscaling, answers):
    expect_deregister(autoscaling, "champion", "ObjectNotFoundException")
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS"


def test_e4_handoff_reports_other_errors_to_cloudformation(autoscaling, answers):
    expect_deregister(autoscaling, "champion", "ConcurrentUpdateException")
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "ConcurrentUpdateException" in answer["Reason"]
    assert answer["PhysicalResourceId"] == f"{ENDPOINT}/VariantScalingHandoff"
    assert (answer["StackId"], answer["LogicalResourceId"]) == (STACK, "RealtimeAutoscalingScaling")


# --- Scaling: after the endpoint -----------------------------------------------------------------


def test_e4_scaling_registers_every_variant_and_answers_policy_arns(autoscaling, answers):
    variants = [scaled("champion", low=2, high=4), scaled("challenger")]
    expect_register(autoscaling, "challenger", 1, 2)
    expect_put(autoscaling, "challenger", tracking("challenger"))
    expect_register(autoscaling, "champion", 2, 4)
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Create", variants), None)
    (answer,) = answers
    assert answer["Status"] == "SUCCESS"
    assert answer["Data"] == {
        "champion-invocations": policy_arn("champion", "champion-invocations"),
        "challenger-invocations": policy_arn("challenger", "challenger-invocations"),
    }


def test_e4_scaling_update_drops_removed_variants_and_policies(autoscaling, answers):
    step = {
        "PolicyName": "champion-first-instance",
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Average",
            "Cooldown": 300,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    }
    before = [scaled("champion", policies=[tracking("champion"), step]), scaled("retired")]
    after = [scaled("champion", "ml.c5.large", 2, 6)]
    expect_deregister(autoscaling, "retired")
    expect_register(autoscaling, "champion", 2, 6)
    autoscaling.add_response(
        "delete_scaling_policy", {}, {"PolicyName": "champion-first-instance", **target("champion")}
    )
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Update", after, before), None)
    assert answers[0]["Status"] == "SUCCESS"


def test_e4_scaling_puts_step_policies_with_the_apis_types(autoscaling, answers):
    step = {
        "PolicyName": "async-first-instance",
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Average",
            "Cooldown": 300,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
        },
    }
    expect_register(autoscaling, "async", 0, 2)
    expect_put(autoscaling, "async", step)
    handler.handler(scaling("Create", [scaled("async", low=0, high=2, policies=[step])]), None)
    assert answers[0]["Data"] == {"async-first-instance": policy_arn("async", "async-first-instance")}


def test_e4_scaling_delete_deregisters_before_the_endpoint_goes(autoscaling, answers):
    expect_deregister(autoscaling, "challenger", "ObjectNotFoundException")
    expect_deregister(autoscaling, "champion")
    handler.handler(scaling("Delete", [scaled("champion"), scaled("challenger")]), None)
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["PhysicalResourceId"] == f"{ENDPOINT}/VariantScaling"


def test_e4_scaling_failure_reaches_cloudformation(autoscaling, answers):
    autoscaling.add_client_error(
        "register_scalable_target", "ValidationException", "The endpoint is not in service", expected_params=None
    )
    handler.handler(scaling("Create", [scaled("champion")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "not in service" in answer["Reason"]


# --- The synthesized templates' properties are valid API input -------------------------------------


def test_e4_template_properties_are_what_the_api_accepts(sandbox, autoscaling, answers):
    """Run each synthesized Scaling resource's properties, as CloudFormation sends them, through
    the handler: the Stubber rejects any value of the wrong type or any unknown field."""
    resources = sandbox.resources("Inference", handler.SCALING)
    assert resources
    for resource in resources.values():
        properties = dict(resource["Properties"])
        properties.pop("ServiceToken")
        endpoint = properties["EndpointName"]
        for variant in sorted(properties["Variants"], key=lambda v: v["VariantName"]):
            name = variant["VariantName"]
            where = {
                "ServiceNamespace": "sagemaker",
                "ResourceId": f"endpoint/{endpoint}/variant/{name}",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            }
            autoscaling.add_response(
                "register_scalable_target",
                {},
                {**where, "MinCapacity": variant["MinCapacity"], "MaxCapacity": variant["MaxCapacity"]},
            )
            for policy in sorted(variant["Policies"], key=lambda p: p["PolicyName"]):
                autoscaling.add_response("put_scaling_policy", {"PolicyARN": "arn:aws:x"}, {**where, **policy})
        request = event(handler.SCALING, "Create", properties)
        handler.handler(request, None)
        assert answers[-1]["Status"] == "SUCCESS", answers[-1]["Reason"]
