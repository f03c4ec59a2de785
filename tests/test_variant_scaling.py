"""The variant-scaling custom resources' handler against Application Auto Scaling's API (pattern E4).

botocore's Stubber checks each request against the service model (so a number CloudFormation
turned into a string, or a misspelt field, fails here as it would against AWS) and answers
with the service's own error codes.
"""

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
def sagemaker(monkeypatch):
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


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The handler's waits and backoffs on a fake clock: no test sleeps."""
    fake = FakeClock()
    monkeypatch.setattr(handler, "_now", lambda: fake.now)
    monkeypatch.setattr(handler, "_sleep", fake.sleep)
    return fake


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


# --- Handoff: before the endpoint ---------------------------------------------------------------


@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_e4_handoff_touches_nothing_on_create_and_delete(autoscaling, sagemaker, answers, request_type):
    handler.handler(handoff(request_type, None, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["PhysicalResourceId"] == f"{ENDPOINT}/VariantScalingHandoff"


def test_e4_handoff_deregisters_variants_changing_instance_type_or_going(autoscaling, sagemaker, answers):
    """Update: what the endpoint runs now (not the previous template) decides what goes."""
    expect_endpoint(sagemaker, variants=("challenger", "champion", "retired"))
    expect_config(sagemaker, {"champion": "ml.m5.large", "challenger": "ml.m5.large", "retired": "ml.c5.large"})
    expect_deregister(autoscaling, "champion")
    expect_deregister(autoscaling, "retired")
    expect_registered(autoscaling, ["challenger"], ["challenger"])
    handler.handler(
        handoff(
            "Update",
            {"champion": "ml.m5.large", "challenger": "ml.m5.large", "retired": "ml.c5.large"},
            {"champion": "ml.c5.xlarge", "challenger": "ml.m5.large"},
        ),
        None,
    )
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_leaves_registered_unchanged_variants_to_the_scaling_resource(autoscaling, sagemaker, answers):
    """New bounds are not registered before the endpoint update: a scaling activity they start
    would make the update fail. The Scaling resource registers them after it."""
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_registered(autoscaling, ["champion"], ["champion"])
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_accepts_a_variant_that_was_not_registered(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion", "ObjectNotFoundException")
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_reads_instance_types_of_a_template_without_variants(autoscaling, sagemaker, answers):
    """A template written before the hand-off declared its variants (InstanceTypes only), e.g. as
    the old properties of a rollback: it still lets go of what changes, and registers nothing."""
    properties = {"EndpointName": ENDPOINT, "InstanceTypes": {"champion": "ml.c5.large"}}
    old = {"EndpointName": ENDPOINT, "InstanceTypes": {"champion": "ml.m5.large"}}
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion")
    handler.handler(event(handler.HANDOFF, "Update", properties, old), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_of_an_endpoint_that_does_not_exist_does_nothing(autoscaling, sagemaker, answers):
    expect_no_endpoint(sagemaker)
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_reports_other_errors_to_cloudformation(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion", "ValidationException")
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "ValidationException" in answer["Reason"]
    assert answer["PhysicalResourceId"] == f"{ENDPOINT}/VariantScalingHandoff"
    assert (answer["StackId"], answer["LogicalResourceId"]) == (STACK, "RealtimeAutoscalingScaling")


# --- A failed update, rolled back ------------------------------------------------------------------


def test_e4_rollback_after_a_failed_endpoint_update_registers_the_variant_again(autoscaling, sagemaker, answers):
    """The forward update moves champion from ml.m5.large to ml.c5.xlarge: the hand-off deregisters
    it, the endpoint update fails, SageMaker keeps the old configuration, and the Scaling resource
    (never updated) gets no event. CloudFormation's rollback sends the hand-off an Update with the
    old properties: it finds champion running as declared and unregistered, and registers it with
    its bounds and policies again."""
    old = [scaled("champion", "ml.m5.large", 2, 4)]
    new = [scaled("champion", "ml.c5.xlarge", 2, 6)]
    # Forward: the hand-off lets go of champion.
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion")
    handler.handler(handoff_of("Update", new, old), None)
    # (The endpoint update fails; SageMaker stays on CONFIG, InService.)
    # Rollback: the hand-off's Update with the old properties.
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_registered(autoscaling, ["champion"], [])
    expect_register(autoscaling, "champion", 2, 4)
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(handoff_of("Update", old, new), None)
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS"], answers


def test_e4_rollback_after_the_endpoint_moved_hands_off_again_and_scaling_restores(autoscaling, sagemaker, answers):
    """The endpoint update succeeded and a later resource failed: the rollback's hand-off finds
    the new instance type running, deregisters it before the endpoint goes back, and the Scaling
    resource's rollback Update (old properties) registers the old bounds after it."""
    old = [scaled("champion", "ml.m5.large", 2, 4)]
    new = [scaled("champion", "ml.c5.xlarge", 2, 6)]
    expect_endpoint(sagemaker, config="RealtimeConfigNew-e5F6")
    expect_config(sagemaker, {"champion": "ml.c5.xlarge"}, config="RealtimeConfigNew-e5F6")
    expect_deregister(autoscaling, "champion")
    handler.handler(handoff_of("Update", old, new), None)
    expect_endpoint(sagemaker)
    expect_register(autoscaling, "champion", 2, 4)
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Update", old, new), None)
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS"], answers


def test_e4_rollback_drops_policies_only_the_failed_update_declared(autoscaling, sagemaker, answers):
    step = first_instance("champion")
    old = [scaled("champion")]
    new = [scaled("champion", "ml.c5.large", policies=[tracking("champion"), step])]
    expect_endpoint(sagemaker)
    expect_register(autoscaling, "champion", 1, 2)
    autoscaling.add_response("delete_scaling_policy", {}, {"PolicyName": step["PolicyName"], **target("champion")})
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Update", old, new), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


# --- An endpoint still changing -----------------------------------------------------------------------


def test_e4_waits_for_an_endpoint_still_updating(autoscaling, sagemaker, answers, clock):
    expect_endpoint(sagemaker, "Updating")
    expect_endpoint(sagemaker, "RollingBack")
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_registered(autoscaling, ["champion"], ["champion"])
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]
    assert clock.sleeps == [handler.POLL_INTERVAL, handler.POLL_INTERVAL]


def test_e4_fails_clearly_when_the_endpoint_does_not_settle_in_time(autoscaling, sagemaker, answers, clock):
    class Context:
        def get_remaining_time_in_millis(self):
            return 50_000  # 20 s usable: room for one poll only

    expect_endpoint(sagemaker, "Updating")
    expect_endpoint(sagemaker, "Updating")
    handler.handler(scaling("Update", [scaled("champion")], [scaled("champion")]), Context())
    (answer,) = answers
    assert answer["Status"] == "FAILED"
    assert f"endpoint {ENDPOINT} is still Updating" in answer["Reason"], answer["Reason"]
    assert clock.sleeps == [handler.POLL_INTERVAL]


@pytest.mark.parametrize("status", ["Failed", "OutOfService", "UpdateRollbackFailed"])
def test_e4_scaling_refuses_an_endpoint_out_of_service(autoscaling, sagemaker, answers, status):
    expect_endpoint(sagemaker, status)
    handler.handler(scaling("Create", [scaled("champion")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and f"is {status}" in answer["Reason"], answer["Reason"]


def test_e4_handoff_deregisters_but_registers_nothing_on_a_failed_endpoint(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker, "Failed")
    expect_config(sagemaker, {"champion": "ml.c5.large"})
    expect_deregister(autoscaling, "champion")
    handler.handler(handoff("Update", {"champion": "ml.c5.large"}, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


# --- Throttling -------------------------------------------------------------------------------------


def test_e4_throttling_and_concurrent_updates_are_retried_with_backoff(autoscaling, sagemaker, answers, clock):
    sagemaker.add_client_error("describe_endpoint", "ThrottlingException", "Rate exceeded")
    expect_endpoint(sagemaker)
    autoscaling.add_client_error("register_scalable_target", "ThrottlingException", "Rate exceeded")
    autoscaling.add_client_error("register_scalable_target", "ConcurrentUpdateException", "in progress")
    expect_register(autoscaling, "champion", 1, 2)
    autoscaling.add_client_error("put_scaling_policy", "ConcurrentUpdateException", "in progress")
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Create", [scaled("champion")]), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]
    assert len(clock.sleeps) == 4
    assert clock.sleeps[1] > clock.sleeps[0] * 0.5  # backoff grows (with jitter)


def test_e4_throttling_gives_up_after_the_last_attempt(autoscaling, sagemaker, answers, clock):
    expect_endpoint(sagemaker)
    for _ in range(handler.MAX_ATTEMPTS):
        autoscaling.add_client_error("register_scalable_target", "ThrottlingException", "Rate exceeded")
    handler.handler(scaling("Create", [scaled("champion")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "ThrottlingException" in answer["Reason"]
    assert len(clock.sleeps) == handler.MAX_ATTEMPTS - 1
    assert max(clock.sleeps) <= handler.MAX_BACKOFF


# --- Scaling: after the endpoint -----------------------------------------------------------------


def test_e4_scaling_registers_every_variant_and_answers_policy_arns(autoscaling, sagemaker, answers):
    variants = [scaled("champion", low=2, high=4), scaled("challenger")]
    expect_endpoint(sagemaker, variants=("champion", "challenger"))
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


def test_e4_scaling_refuses_variants_the_endpoint_does_not_run(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker, variants=("champion",))
    handler.handler(scaling("Create", [scaled("champion"), scaled("challenger")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "['challenger']" in answer["Reason"], answer["Reason"]


def test_e4_scaling_update_drops_removed_variants_and_policies(autoscaling, sagemaker, answers):
    step = first_instance("champion")
    before = [scaled("champion", policies=[tracking("champion"), step]), scaled("retired")]
    after = [scaled("champion", "ml.c5.large", 2, 6)]
    expect_endpoint(sagemaker)
    expect_deregister(autoscaling, "retired")
    expect_register(autoscaling, "champion", 2, 6)
    autoscaling.add_response(
        "delete_scaling_policy", {}, {"PolicyName": "champion-first-instance", **target("champion")}
    )
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Update", after, before), None)
    assert answers[0]["Status"] == "SUCCESS"


def test_e4_scaling_puts_step_policies_with_the_apis_types(autoscaling, sagemaker, answers):
    step = {**first_instance("async"), "PolicyName": "async-first-instance"}
    step["StepScalingPolicyConfiguration"]["StepAdjustments"] = [
        {"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}
    ]
    expect_endpoint(sagemaker, variants=("async",))
    expect_register(autoscaling, "async", 0, 2)
    expect_put(autoscaling, "async", step)
    handler.handler(scaling("Create", [scaled("async", low=0, high=2, policies=[step])]), None)
    assert answers[0]["Data"] == {"async-first-instance": policy_arn("async", "async-first-instance")}


def test_e4_scaling_delete_deregisters_before_the_endpoint_goes(autoscaling, sagemaker, answers):
    expect_deregister(autoscaling, "challenger", "ObjectNotFoundException")
    expect_deregister(autoscaling, "champion")
    handler.handler(scaling("Delete", [scaled("champion"), scaled("challenger")]), None)
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["PhysicalResourceId"] == f"{ENDPOINT}/VariantScaling"


def test_e4_scaling_failure_reaches_cloudformation(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker)
    autoscaling.add_client_error(
        "register_scalable_target", "ValidationException", "The endpoint is not in service", expected_params=None
    )
    handler.handler(scaling("Create", [scaled("champion")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "not in service" in answer["Reason"]


# --- The synthesized templates' properties are valid API input -------------------------------------


def test_e4_template_properties_are_what_the_api_accepts(sandbox, autoscaling, sagemaker, answers):
    """Run each synthesized Scaling resource's properties, as CloudFormation sends them, through
    the handler: the Stubber rejects any value of the wrong type or any unknown field."""
    resources = sandbox.resources("Inference", handler.SCALING)
    assert resources
    for resource in resources.values():
        properties = dict(resource["Properties"])
        properties.pop("ServiceToken")
        endpoint = properties["EndpointName"]
        expect_endpoint(sagemaker, variants=[v["VariantName"] for v in properties["Variants"]], endpoint=endpoint)
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
