"""Requests derived from the handlers' Stubber tests, decided on the synthesized sandbox.

The approval handler, the notebook autostop program, the variant-scaling custom resource and the
inference API function: the calls their Stubber tests make (recorded in a child pytest, tests/authz.py)
become IAM requests of the role each runs as, and that role must authorize every one of them; the
tests must drive the functions the stacks deploy. All requests are evaluated in one Node process.
"""

from __future__ import annotations

import time

import pytest
from authz import ApiCall, AuthzError, Decision, evaluate, record_stubbed_calls, requests_for_call, unique
from authz_example import IMPLICIT
from authz_sandbox import (
    APPROVAL_AUTHORIZED,
    APPROVAL_OPEN_FINDINGS,
    INFERENCE_API_AUTHORIZED,
    NOTEBOOK_AUTHORIZED,
    SCALED_ENDPOINTS,
    TEST_ACCOUNT,
    VARIANT_SCALING_AUTHORIZED,
    sandbox_world_fixture,  # noqa: F401 (the `sandbox_world` fixture)
    short,
)

# --- Requests derived from the handlers' Stubber tests -------------------------------------------


@pytest.fixture(scope="module")
def stubbed_calls(tmp_path_factory):
    """Every call the handlers' Stubber tests make, recorded by running those tests once."""
    started = time.perf_counter()
    calls = record_stubbed_calls(
        "tests/test_approval.py",
        "tests/test_notebook_autostop.py",
        "tests/test_variant_scaling.py",
        "tests/test_variant_scaling_policies.py",
        "tests/test_inference_api.py",
        tmp_path=tmp_path_factory.mktemp("calls"),
    )
    print(f"\nauthz: recorded {len(calls)} stubbed calls in {time.perf_counter() - started:.2f} s")
    return calls


@pytest.fixture(scope="module")
def handler_decisions(sandbox_world, stubbed_calls) -> dict[str, dict[tuple[str, str], Decision]]:
    world = sandbox_world
    function = world.logical_id("Pipelines", "AWS::Lambda::Function", "ApprovalFunction")
    approval_role = world.function_role("Pipelines", function)
    notebook = world.logical_id("Workspace", "AWS::SageMaker::NotebookInstance", "Notebooksalice")
    notebook_properties = world.resource("Workspace", notebook)["Properties"]
    notebook_role = world.role(world.resolve("Workspace", notebook_properties["RoleArn"]))
    # The autostop program acts on its own instance, which carries its owner's tag (N9).
    (owner,) = [t["Value"] for t in notebook_properties["Tags"] if t["Key"] == "owner"]
    own_notebook = {"sagemaker:ResourceTag/owner": owner, "aws:ResourceTag/owner": owner}
    scaling_role = world.function_role(
        "Inference", world.logical_id("Inference", "AWS::Lambda::Function", "VariantScalingFunction")
    )
    api_role = world.function_role(
        "Inference", world.logical_id("Inference", "AWS::Lambda::Function", "ApiHandlerFunction")
    )
    through_runtime_endpoint = world.endpoint_context(
        "Network", world.logical_id("Network", "AWS::EC2::VPCEndpoint", "NetworkVpcSageMakerRuntime")
    )
    groups = {
        "approval": (approval_role, "tests/test_approval.py", None),
        "notebook": (notebook_role, "tests/test_notebook_autostop.py", own_notebook),
        # A custom-resource handler outside the VPC (VariantScalingProvider's outside_vpc).
        "variant_scaling": (scaling_role, "tests/test_variant_scaling", None),
        "inference_api": (api_role, "tests/test_inference_api.py", through_runtime_endpoint),
    }
    rows = []
    for group, (role, module, context) in groups.items():
        calls = [c.rebased(TEST_ACCOUNT, world.account) for c in stubbed_calls if c.test.startswith(module)]
        assert calls, f"{module} made no stubbed call"
        requests = unique(r for call in calls for r in requests_for_call(world, role, call, context=context))
        rows += [(group, r) for r in requests]
    decisions = evaluate([r for _, r in rows])
    result: dict[str, dict[tuple[str, str], Decision]] = {group: {} for group in groups}
    for (group, request), decision in zip(rows, decisions, strict=True):
        result[group][short(request, world)] = decision
    return result


def test_the_approval_tests_drive_the_function_the_pipelines_stack_deploys(sandbox_world):
    """The derived requests stand for the deployed function only if the tests use its settings."""
    import test_approval

    world = sandbox_world
    function = world.logical_id("Pipelines", "AWS::Lambda::Function", "ApprovalFunction")
    environment = world.environment("Pipelines", function)
    assert environment["ENDPOINT_NAME"] == test_approval.ENDPOINT
    assert environment["MODEL_PACKAGE_GROUP"] == test_approval.GROUP
    assert environment["MODEL_ROLE_ARN"] == test_approval.ROLE.replace(TEST_ACCOUNT, world.account)
    assert world.region == "us-east-1"


def test_the_variant_scaling_tests_drive_the_function_the_inference_stack_deploys(sandbox_world, stubbed_calls):
    """Every scaling custom resource of the Inference stack is served by the function whose role is
    checked, and the tests' calls name the deployed endpoints, each of them."""
    import test_variant_scaling

    from ml_constructs.runtime.variant_scaling import handler

    world = sandbox_world
    function = world.logical_id("Inference", "AWS::Lambda::Function", "VariantScalingFunction")
    deployed: dict[str, set[str]] = {}
    for kind in (handler.HANDOFF, handler.SCALING):
        resources = {k: r for k, r in world.stack("Inference").resources.items() if r["Type"] == kind}
        assert resources, kind
        for logical, resource in resources.items():
            properties = world.resolve("Inference", resource["Properties"])
            assert properties["ServiceToken"] == world.arn("Inference", function), logical
            if kind == handler.SCALING:
                deployed[properties["EndpointName"]] = {v["VariantName"] for v in properties["Variants"]}
    assert {e: set(v) for e, (_, v) in SCALED_ENDPOINTS.items()} == deployed
    assert test_variant_scaling.ENDPOINT in deployed
    called = {
        c.params["ResourceId"].split("/")[1]
        for c in stubbed_calls
        if c.test.startswith("tests/test_variant_scaling") and "ResourceId" in c.params
    }
    assert called == set(deployed)


def test_the_inference_api_tests_drive_the_function_the_inference_stack_deploys(sandbox_world, stubbed_calls):
    import test_inference_api

    world = sandbox_world
    function = world.logical_id("Inference", "AWS::Lambda::Function", "ApiHandlerFunction")
    environment = world.environment("Inference", function)
    assert environment["ENDPOINT_NAME"] == test_inference_api.ENDPOINT
    assert environment["ALLOWED_VARIANTS"] == test_inference_api.ALLOWED_VARIANTS
    calls = [c for c in stubbed_calls if c.test.startswith("tests/test_inference_api.py")]
    assert {c.params["EndpointName"] for c in calls} == {environment["ENDPOINT_NAME"]}
    pinned = {c.params["TargetVariant"] for c in calls if "TargetVariant" in c.params}
    assert pinned and pinned <= set(environment["ALLOWED_VARIANTS"].split(","))


def test_every_request_of_the_approval_tests_is_accounted_for(handler_decisions):
    assert set(handler_decisions["approval"]) == APPROVAL_AUTHORIZED | set(APPROVAL_OPEN_FINDINGS)
    assert set(handler_decisions["notebook"]) == NOTEBOOK_AUTHORIZED
    assert set(handler_decisions["variant_scaling"]) == VARIANT_SCALING_AUTHORIZED
    assert set(handler_decisions["inference_api"]) == INFERENCE_API_AUTHORIZED


@pytest.mark.parametrize("request_key", sorted(APPROVAL_AUTHORIZED), ids=lambda k: f"{k[0]} {k[1]}")
def test_approval_function_role_authorizes_its_call(handler_decisions, request_key):
    decision = handler_decisions["approval"][request_key]
    assert decision.allowed, decision.reason


@pytest.mark.parametrize("request_key", sorted(NOTEBOOK_AUTHORIZED), ids=lambda k: f"{k[0]} {k[1]}")
def test_notebook_role_authorizes_the_autostop_call(handler_decisions, request_key):
    decision = handler_decisions["notebook"][request_key]
    assert decision.allowed, decision.reason


@pytest.mark.parametrize("request_key", sorted(VARIANT_SCALING_AUTHORIZED), ids=lambda k: f"{k[0]} {k[1]}")
def test_variant_scaling_function_role_authorizes_its_call(handler_decisions, request_key):
    decision = handler_decisions["variant_scaling"][request_key]
    assert decision.allowed, decision.reason


@pytest.mark.parametrize("request_key", sorted(INFERENCE_API_AUTHORIZED), ids=lambda k: f"{k[0]} {k[1]}")
def test_inference_api_function_role_authorizes_its_call(handler_decisions, request_key):
    decision = handler_decisions["inference_api"][request_key]
    assert decision.allowed, decision.reason
    assert "vpce:OnlyThisAccountsPrincipals" in decision.granting_statements(), decision.reason


def test_the_scaling_and_api_roles_authorize_nothing_beyond_their_targets(sandbox_world):
    """Siblings of the derived requests that must be denied, so the checks above can fail: another
    service's scalable target, an endpoint outside the project, another endpoint for the API."""
    world = sandbox_world
    scaling = world.function_role(
        "Inference", world.logical_id("Inference", "AWS::Lambda::Function", "VariantScalingFunction")
    )
    api = world.function_role("Inference", world.logical_id("Inference", "AWS::Lambda::Function", "ApiHandlerFunction"))
    through = world.endpoint_context(
        "Network", world.logical_id("Network", "AWS::EC2::VPCEndpoint", "NetworkVpcSageMakerRuntime")
    )
    ecs = ApiCall(
        "application-autoscaling",
        "application-autoscaling",
        "RegisterScalableTarget",
        {"ServiceNamespace": "ecs", "ResourceId": "service/c/s", "ScalableDimension": "ecs:service:DesiredCount"},
        world.region,
    )
    with pytest.raises(AuthzError, match="only SageMaker variant"):
        requests_for_call(world, scaling, ecs)
    target = next(
        r
        for r in requests_for_call(
            world,
            scaling,
            ApiCall(
                "application-autoscaling",
                "application-autoscaling",
                "RegisterScalableTarget",
                {
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": "endpoint/secure-ml-sandbox-realtime/variant/champion",
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "MinCapacity": 1,
                    "MaxCapacity": 2,
                },
                world.region,
            ),
        )
        if r.action == "application-autoscaling:RegisterScalableTarget"
    )
    other_service = world.request(
        scaling,
        target.action,
        target.resource,
        derived_context={
            "application-autoscaling:service-namespace": "ecs",
            "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
        },
    )
    sagemaker = f"arn:aws:sagemaker:{world.region}:{world.account}"
    outside = world.request(scaling, "sagemaker:UpdateEndpointWeightsAndCapacities", f"{sagemaker}:endpoint/other")
    other_endpoint = world.request(
        api, "sagemaker:InvokeEndpoint", f"{sagemaker}:endpoint/secure-ml-sandbox-async", context=through
    )
    decisions = evaluate([target, other_service, outside, other_endpoint])
    assert decisions[0].allowed, decisions[0].reason
    for decision in decisions[1:]:
        assert decision.result == IMPLICIT, decision.reason


def test_stubbed_calls_become_iam_requests(sandbox_world):
    """The mapping itself, on one call: both resource types UpdateEndpoint authorizes on, and
    the role a CreateModel call hands to SageMaker."""
    from authz import ApiCall

    world = sandbox_world
    role = world.function_role("Pipelines", world.logical_id("Pipelines", "AWS::Lambda::Function", "ApprovalFunction"))
    update = ApiCall(
        "sagemaker", "sagemaker", "UpdateEndpoint", {"EndpointName": "Ep", "EndpointConfigName": "Cfg"}, "us-east-1"
    )
    assert [short(r, world) for r in requests_for_call(world, role, update)] == [
        ("sagemaker:UpdateEndpoint", "endpoint/ep"),
        ("sagemaker:UpdateEndpoint", "endpoint-config/cfg"),
    ]
    create = ApiCall(
        "sagemaker",
        "sagemaker",
        "CreateModel",
        {
            "ModelName": "M",
            "ExecutionRoleArn": f"arn:aws:iam::{world.account}:role/r",
            "EnableNetworkIsolation": True,
            "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
        },
        "us-east-1",
    )
    model, passing = requests_for_call(world, role, create)
    assert model.derived_context == {
        "sagemaker:NetworkIsolation": True,
        "sagemaker:VpcSubnets": ["subnet-1"],
        "sagemaker:VpcSecurityGroupIds": ["sg-1"],
    }
    assert (passing.action, passing.resource) == ("iam:PassRole", f"arn:aws:iam::{world.account}:role/r")
    assert passing.derived_context == {"iam:PassedToService": "sagemaker.amazonaws.com"}
