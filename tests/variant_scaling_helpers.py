"""Events, stubs and fixtures shared by the variant-scaling handler tests (tests/test_variant_scaling*.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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


def handoff_of(request: str, variants: list[dict], before: list[dict] | None = None) -> dict:
    """The hand-off's event as VariantScaling declares it: instance types and the scaled variants."""

    def properties(declared: list[dict]) -> dict:
        types = {v["VariantName"]: v["InstanceType"] for v in declared}
        return {"EndpointName": ENDPOINT, "InstanceTypes": types, "Variants": declared}

    old = None if before is None else properties(before)
    return event(handler.HANDOFF, request, properties(variants), old)


def handoff(request: str, before: dict[str, str] | None, after: dict[str, str]) -> dict:
    """A hand-off event for variants of the given instance types (default bounds and policies)."""
    old = None if before is None else [scaled(v, t) for v, t in before.items()]
    return handoff_of(request, [scaled(v, t) for v, t in after.items()], old)


def scaling(request: str, variants: list[dict], before: list[dict] | None = None) -> dict:
    old = None if before is None else {"EndpointName": ENDPOINT, "Variants": before}
    return event(handler.SCALING, request, {"EndpointName": ENDPOINT, "Variants": variants}, old)


@pytest.fixture(name="autoscaling")
def autoscaling_fixture(monkeypatch):
    client = boto3.client(
        "application-autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(handler, "_client", client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture(name="sagemaker")
def sagemaker_fixture(monkeypatch):
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(handler, "_sagemaker", client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(name="clock", autouse=True)
def clock_fixture(monkeypatch):
    """The handler's waits and backoffs on a fake clock: no test sleeps."""
    fake = FakeClock()
    monkeypatch.setattr(handler, "_now", lambda: fake.now)
    monkeypatch.setattr(handler, "_sleep", fake.sleep)
    return fake


@pytest.fixture(name="answers")
def answers_fixture(monkeypatch):
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


def first_instance(variant: str) -> dict:
    return {
        "PolicyName": f"{variant}-first-instance",
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Average",
            "Cooldown": 300,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    }


def expect_put(stubber, variant: str, policy: dict) -> None:
    stubber.add_response(
        "put_scaling_policy",
        {"PolicyARN": policy_arn(variant, policy["PolicyName"]), "Alarms": []},
        {**target(variant), **policy},
    )


CONFIG = "RealtimeConfig75197f61-a1B2c3D4"


def expect_endpoint(
    sagemaker, status: str = "InService", variants=("champion",), config: str = CONFIG, endpoint: str = ENDPOINT
):
    sagemaker.add_response(
        "describe_endpoint",
        {
            "EndpointName": endpoint,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{endpoint}",
            "EndpointConfigName": config,
            "EndpointStatus": status,
            "ProductionVariants": [{"VariantName": v} for v in variants],
            "CreationTime": datetime(2026, 12, 1, tzinfo=UTC),
            "LastModifiedTime": datetime(2026, 12, 2, tzinfo=UTC),
        },
        {"EndpointName": endpoint},
    )


def expect_no_endpoint(sagemaker):
    sagemaker.add_client_error(
        "describe_endpoint",
        "ValidationException",
        f'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}".',
        expected_params={"EndpointName": ENDPOINT},
    )


def expect_config(sagemaker, instance_types: dict[str, str], config: str = CONFIG):
    sagemaker.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": config,
            "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/{config.lower()}",
            "ProductionVariants": [
                {"VariantName": v, "ModelName": f"model-{v}", "InstanceType": t, "InitialInstanceCount": 1}
                for v, t in instance_types.items()
            ],
            "CreationTime": datetime(2026, 12, 1, tzinfo=UTC),
        },
        {"EndpointConfigName": config},
    )


def expect_registered(autoscaling, asked: list[str], found: list[str]):
    autoscaling.add_response(
        "describe_scalable_targets",
        {
            "ScalableTargets": [
                {
                    **target(v),
                    "MinCapacity": 1,
                    "MaxCapacity": 2,
                    "RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling"
                    ".amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                    "CreationTime": datetime(2026, 12, 1, tzinfo=UTC),
                }
                for v in found
            ]
        },
        {
            "ServiceNamespace": "sagemaker",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "ResourceIds": sorted(target(v)["ResourceId"] for v in asked),
        },
    )
