"""Offline authorization simulation for the tests: may this principal make this request?

An IAM policy simulator (npm `@cloud-copilot/iam-simulate`, AGPL-3.0, a test-only devDependency
that nothing the project ships imports) evaluates a role's identity policies and permission
boundary together with the resource's policy (bucket, key, topic, queue, role trust policy), the
VPC endpoint's policy when the request names one, and the request's context keys, the way IAM's
policy evaluation logic does. Tests state requests as data and get a decision with its reason:

    world = World.from_assembly(sandbox)
    role = world.principal("Pipelines", world.logical_id("Pipelines", "AWS::IAM::Role", "ExecutionRole"))
    datasets = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket"))
    s3_endpoint = world.logical_id("Network", "AWS::EC2::VPCEndpoint", "NetworkVpcS3")
    through_vpce = world.endpoint_context("Network", s3_endpoint)
    decisions = evaluate([
        world.request(role, "s3:GetObject", f"{datasets}/train/part-0.csv", context=through_vpce),
        world.request(role, "s3:GetObject", f"{datasets}/train/part-0.csv"),
    ])
    assert decisions[0].allowed and decisions[1].denied, decisions[1].reason

CloudFormation intrinsics resolve to one consistent set of concrete values: account
111122223333, the profile's region, physical names derived from logical ids unless the resource
names itself, and `Fn::ImportValue` through the exporting stack's outputs, so policies of several
templates and the ARNs a test writes agree. `record_stubbed_calls` and `requests_for_call` turn
the calls a handler's Stubber tests make into IAM requests (actions and resource ARNs from the
Service Authorization data the simulator itself uses, or from HAND_MAPPED for the few operations
whose parameters name no resource of that data), so each stubbed call can be checked against the
role the handler runs as.

One Node process evaluates a whole batch (`evaluate`); a module-scoped fixture per test module
keeps the cost to one process start (~0.2 s) however many requests a module states.
"""

import os
from pathlib import Path

from authz_calls import (
    GENERATED,
    HAND_MAPPED,
    SAGEMAKER_VARIANT,
    SCALING_SERVICE_LINKED_ROLE,
    TARGET_TRACKING_ALARM_ACTIONS,
    requests_for_call,
    unique,
)
from authz_recording import _CURRENT_TEST, RECORD_ENV, ApiCall, _install_recorder, record_stubbed_calls
from authz_requests import (
    AuthzError,
    Decision,
    NamedPolicy,
    Principal,
    Request,
    ResourcePolicy,
    ServicePrincipal,
)
from authz_simulator import ROOT, SCRIPT, evaluate
from authz_world import AWS_MANAGED_POLICIES, World

from gates.iam import AuthorizationData
from gates.resolve import ACCOUNT, Templates, digest

__all__ = [
    "ACCOUNT",
    "AWS_MANAGED_POLICIES",
    "GENERATED",
    "HAND_MAPPED",
    "RECORD_ENV",
    "ROOT",
    "SAGEMAKER_VARIANT",
    "SCALING_SERVICE_LINKED_ROLE",
    "SCRIPT",
    "TARGET_TRACKING_ALARM_ACTIONS",
    "ApiCall",
    "AuthorizationData",
    "AuthzError",
    "Decision",
    "NamedPolicy",
    "Principal",
    "Request",
    "ResourcePolicy",
    "ServicePrincipal",
    "Templates",
    "World",
    "digest",
    "evaluate",
    "pytest_configure",
    "pytest_runtest_setup",
    "record_stubbed_calls",
    "requests_for_call",
    "unique",
]


def pytest_configure(config) -> None:  # a pytest hook, active only in `pytest -p authz`
    path = os.environ.get(RECORD_ENV)
    if path:
        _install_recorder(Path(path), _CURRENT_TEST)


def pytest_runtest_setup(item) -> None:
    _CURRENT_TEST[0] = item.nodeid
