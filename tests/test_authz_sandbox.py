"""What the authorization simulation harness (tests/authz.py) decides on the synthesized sandbox.

Requests stated on the sandbox's roles and resources (each allowed one with a denied sibling),
every policy of the profile resolving, and the harness leaving the templates' documents as
synthesized. Each group of requests is evaluated in one Node process (a module-scoped fixture).
"""

from __future__ import annotations

import copy
import time

import pytest
from authz import ACCOUNT, Decision, Principal, Request, World, evaluate
from authz_example import ALLOWED, EXPLICIT, IMPLICIT
from authz_sandbox import sandbox_world_fixture  # noqa: F401 (the `sandbox_world` fixture)

# --- The synthesized sandbox ----------------------------------------------------------------------


def sandbox_requests(world: World) -> dict[str, tuple[Request, str, str | None]]:
    pipeline = world.principal("Pipelines", world.logical_id("Pipelines", "AWS::IAM::Role", "ExecutionRole"))
    inference = world.principal("Inference", world.logical_id("Inference", "AWS::IAM::Role", "ExecutionRole"))
    approval = world.function_role(
        "Pipelines", world.logical_id("Pipelines", "AWS::Lambda::Function", "ApprovalFunction")
    )
    datasets = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket"))
    artifacts = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "ArtifactsBucket"))
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    dead_letters = world.arn("Pipelines", world.logical_id("Pipelines", "AWS::SQS::Queue", "ApprovalDeadLetters"))
    through_s3_endpoint = world.endpoint_context(
        "Network", world.logical_id("Network", "AWS::EC2::VPCEndpoint", "NetworkVpcS3")
    )
    sample = f"{datasets}/raw/part-0000.csv"
    via_s3 = {"kms:ViaService": f"s3.{world.region}.amazonaws.com", "aws:ViaAWSService": "true"}
    model = f"{artifacts}/pipelines/secure-ml-sandbox-training/models/job-1/output/model.tar.gz"
    return {
        "pipeline-reads-datasets-through-the-s3-endpoint": (
            world.request(pipeline, "s3:GetObject", sample, context=through_s3_endpoint),
            ALLOWED,
            "vpce:ProjectBuckets",
        ),
        "pipeline-reads-datasets-without-the-endpoint": (
            world.request(pipeline, "s3:GetObject", sample),
            EXPLICIT,
            "resource:DenyOutsideTheProjectVpcEndpoint",
        ),
        "pipeline-decrypts-with-the-data-key-through-s3": (
            world.request(pipeline, "kms:Decrypt", data_key, context=via_s3),
            ALLOWED,
            "identity:DataKeyForVolumesAndOutputs",
        ),
        "approval-function-cannot-decrypt-data": (
            world.request(approval, "kms:Decrypt", data_key, context=via_s3),
            IMPLICIT,
            "identity:implicit",
        ),
        "pipeline-grants-on-the-data-key-only-for-aws-resources": (
            world.request(pipeline, "kms:CreateGrant", data_key, context={"kms:GrantIsForAWSResource": "false"}),
            EXPLICIT,
            "resource:DenyGrantsExceptForAwsResources",
        ),
        # The grant is in the Pipelines stack, attached to the Inference stack's role by import.
        "inference-role-reads-registered-models": (
            world.request(inference, "s3:GetObject", model, context=through_s3_endpoint),
            ALLOWED,
            "identity:ReadRegisteredModels",
        ),
        "inference-role-reads-nothing-else-of-the-pipeline": (
            world.request(
                inference,
                "s3:GetObject",
                f"{artifacts}/pipelines/secure-ml-sandbox-training/evaluation/report.json",
                context=through_s3_endpoint,
            ),
            IMPLICIT,
            "identity:implicit",
        ),
        "approval-failures-reach-the-dead-letter-queue": (
            world.request(approval, "sqs:SendMessage", dead_letters),
            ALLOWED,
            None,
        ),
        "dead-letter-queue-refuses-plain-http": (
            world.request(approval, "sqs:SendMessage", dead_letters, context={"aws:SecureTransport": "false"}),
            EXPLICIT,
            "resource:1",  # CDK's enforce_ssl statement, written first and without a Sid
        ),
    }


SANDBOX_IDS = [
    "pipeline-reads-datasets-through-the-s3-endpoint",
    "pipeline-reads-datasets-without-the-endpoint",
    "pipeline-decrypts-with-the-data-key-through-s3",
    "approval-function-cannot-decrypt-data",
    "pipeline-grants-on-the-data-key-only-for-aws-resources",
    "inference-role-reads-registered-models",
    "inference-role-reads-nothing-else-of-the-pipeline",
    "approval-failures-reach-the-dead-letter-queue",
    "dead-letter-queue-refuses-plain-http",
]


@pytest.fixture(scope="module")
def sandbox_decisions(sandbox_world) -> dict[str, tuple[Decision, str, str | None]]:
    rows = sandbox_requests(sandbox_world)
    started = time.perf_counter()
    decisions = evaluate([request for request, _, _ in rows.values()])
    print(f"\nauthz: {len(rows)} sandbox requests in {time.perf_counter() - started:.2f} s")
    return {i: (d, e, by) for (i, (_, e, by)), d in zip(rows.items(), decisions, strict=True)}


@pytest.mark.parametrize("case_id", SANDBOX_IDS)
def test_sandbox_request(sandbox_decisions, case_id):
    """`decided_by` names a granting statement for an allowed request (the grant the case is
    about), a denying one for a denied request."""
    decision, expected, decided_by = sandbox_decisions[case_id]
    assert decision.result == expected, decision.reason
    if decided_by:
        deciding = decision.granting_statements() if decision.allowed else decision.denying_statements()
        assert decided_by in deciding, decision.reason


def test_every_sandbox_request_is_checked(sandbox_decisions):
    assert sorted(sandbox_decisions) == sorted(SANDBOX_IDS)


def test_every_policy_of_the_sandbox_resolves(sandbox_world):
    """No intrinsic the harness cannot resolve, no dangling import: every role's policies and
    every resource policy of the profile can be evaluated."""
    roles = 0
    for stack in sandbox_world.stacks():
        for logical, resource in sandbox_world.stack(stack).resources.items():
            if resource["Type"] == "AWS::IAM::Role":
                principal = sandbox_world.principal(stack, logical)
                assert principal.identity_policies, f"{stack}/{logical} has no policy"
                roles += 1
        sandbox_world.resolve(stack, sandbox_world.stack(stack).template["Resources"])
    assert roles >= 10


def test_endpoint_policy_documents_are_not_changed_by_normalization(sandbox_world):
    """The S3 endpoint policy is sent with `"*"` for `{"AWS": "*"}`; the world's copy stays as
    synthesized, so later requests see the template's own document."""
    endpoint = sandbox_world.logical_id("Network", "AWS::EC2::VPCEndpoint", "NetworkVpcS3")
    vpce = sandbox_world.endpoint_context("Network", endpoint)["aws:SourceVpce"]
    (policy,) = sandbox_world.endpoint_policies(vpce)
    before = copy.deepcopy(policy.document)
    Request(
        Principal.role(f"arn:aws:iam::{ACCOUNT}:role/x"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        endpoint_policies=(policy,),
    ).simulation()
    assert policy.document == before
    assert policy.document["Statement"][0]["Principal"] == {"AWS": "*"}
