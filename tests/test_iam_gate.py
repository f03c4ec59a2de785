"""The IAM grammar gate (gates/iam.py): each defect class on a small fixture, its correct sibling
passing, and both profiles covered document by document with no open finding."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from conftest import app_context

from gates.iam import POLICY_PROPERTIES, AuthorizationData, check, policy_documents
from gates.plugin import IamGrammarChecks
from gates.resolve import Templates
from ml_constructs.acknowledgments import IAM_GRAMMAR, acknowledge


@pytest.fixture(scope="module")
def data() -> AuthorizationData:
    return AuthorizationData()


def findings_of(data: AuthorizationData, *statements: dict, resource_type: str = "AWS::IAM::ManagedPolicy") -> list:
    """The rules the gate reports for one policy document holding `statements`."""
    key = POLICY_PROPERTIES[resource_type][0][0]
    template = {
        "Resources": {
            "Policy": {
                "Type": resource_type,
                "Properties": {key: {"Version": "2012-10-17", "Statement": list(statements)}},
            }
        }
    }
    return sorted(f.rule for f in check(Templates({"S": template}, region="us-east-1"), data))


def allow(action, resource="*", condition=None) -> dict:
    return {
        "Effect": "Allow",
        "Action": action,
        "Resource": resource,
        **({"Condition": condition} if condition else {}),
    }


def deny(action, resource="*", condition=None) -> dict:
    return {**allow(action, resource, condition), "Effect": "Deny"}


ACCOUNT_ARN = {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:*"}
BUCKET = {"Fn::Sub": "arn:${AWS::Partition}:s3:::data-${AWS::AccountId}"}
OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::data-${AWS::AccountId}/*"}


# --- UnknownAction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("sagemaker:DescribeEndpoints", ["UnknownAction[sagemaker:DescribeEndpoints]"]),  # typo
        ("sagemakr:DescribeEndpoint", ["UnknownAction[sagemakr:DescribeEndpoint]"]),  # no such service
        ("s3:Fly*", ["UnknownAction[s3:Fly*]"]),  # a wildcard that names nothing
        ("sagemaker:DescribeEndpoint", []),
        ("sagemaker:describeendpoint", []),  # action names are case-insensitive
        ("sagemaker:Describe*", []),
        ("*", []),
    ],
)
def test_unknown_actions_are_reported(data, action, expected):
    assert findings_of(data, allow(action)) == expected


def test_unknown_actions_are_reported_in_not_action_too(data):
    statement = {"Effect": "Deny", "NotAction": ["sts:AssumeRol"], "Resource": "*"}
    assert findings_of(data, statement) == ["UnknownAction[sts:AssumeRol]"]


# --- ResourceMismatch ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # ListApps and ListSpaces authorize only "*": the grant on an account ARN never applies.
        (
            allow(["sagemaker:ListApps", "sagemaker:ListSpaces"], ACCOUNT_ARN),
            [
                "ResourceMismatch[sagemaker:ListApps]",
                "ResourceMismatch[sagemaker:ListSpaces]",
            ],
        ),
        (allow(["sagemaker:ListApps", "sagemaker:ListSpaces"], "*"), []),
        # ListBucket is a bucket action, GetObject an object action.
        (allow("s3:ListBucket", OBJECTS), ["ResourceMismatch[s3:ListBucket]"]),
        (allow("s3:GetObject", BUCKET), ["ResourceMismatch[s3:GetObject]"]),
        (allow(["s3:ListBucket", "s3:GetObject"], [BUCKET, OBJECTS]), []),
        # SageMaker resources by type; an account-wide wildcard matches every type.
        (allow("sagemaker:DescribeEndpoint", ACCOUNT_ARN), []),
        (
            allow("sagemaker:DescribeEndpoint", {"Fn::Sub": "arn:aws:sagemaker:us-east-1:${AWS::AccountId}:model/*"}),
            ["ResourceMismatch[sagemaker:DescribeEndpoint]"],
        ),
        # Log streams live under their group: CDK's `log-group:<name>:*` matches both.
        (allow(["logs:CreateLogStream", "logs:PutLogEvents"], "arn:aws:logs:us-east-1:1:log-group:/aws/x:*"), []),
        # Policy variables stand for any value.
        (allow("sagemaker:DescribeNotebookInstance", "arn:aws:sagemaker:*:*:notebook-instance/${aws:username}-*"), []),
    ],
)
def test_resources_an_action_can_never_match_are_reported(data, statement, expected):
    assert findings_of(data, statement) == expected


def test_api_gateway_resource_policies_may_use_the_short_form(data):
    statement = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
    assert findings_of(data, statement, resource_type="AWS::ApiGateway::RestApi") == []


# --- UnknownConditionKey ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # kms:GrantIsForAWSResource exists only on CreateGrant, ListGrants and RevokeGrant: an Allow
        # of DescribeKey under it never applies.
        (
            allow(["kms:DescribeKey", "kms:CreateGrant"], "*", {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
            ["UnknownConditionKey[kms:DescribeKey:kms:GrantIsForAWSResource]"],
        ),
        (allow("kms:CreateGrant", "*", {"Bool": {"kms:GrantIsForAWSResource": "true"}}), []),
        # A Deny with Null: true on a key the action never carries denies every call (the retired
        # sagemaker:VolumeKmsKey, replaced by sagemaker:VolumeKmsKeyArn).
        (
            deny("sagemaker:CreateTrainingJob", "*", {"Null": {"sagemaker:VolumeKmsKey": "true"}}),
            ["UnknownConditionKey[sagemaker:CreateTrainingJob:sagemaker:VolumeKmsKey]"],
        ),
        (deny("sagemaker:CreateTrainingJob", "*", {"Null": {"sagemaker:VolumeKmsKeyArn": "true"}}), []),
        # A Deny whose plain condition can never hold never applies.
        (
            deny("sagemaker:CreateModel", "*", {"StringNotEquals": {"sagemaker:RootAccess": "Disabled"}}),
            ["UnknownConditionKey[sagemaker:CreateModel:sagemaker:RootAccess]"],
        ),
        # An Allow whose ...IfExists condition holds for every request of the action is harmless.
        (allow("s3:GetBucketLocation", BUCKET, {"StringLikeIfExists": {"s3:prefix": ["a/*"]}}), []),
        # Keys with a variable part: encryption context, resource tags; global keys are not checked.
        (allow("kms:Decrypt", "*", {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*"}}), []),
        (allow("sagemaker:StopTrainingJob", ACCOUNT_ARN, {"StringEquals": {"sagemaker:ResourceTag/owner": "a"}}), []),
        (allow("sagemaker:StopTrainingJob", ACCOUNT_ARN, {"StringEquals": {"aws:ResourceTag/owner": "a"}}), []),
    ],
)
def test_condition_keys_an_action_never_carries_are_reported(data, statement, expected):
    assert findings_of(data, statement) == expected


# --- IfExistsBypass -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # ListBucket without a prefix carries no s3:prefix: ...IfExists lets it list everything.
        (
            allow("s3:ListBucket", BUCKET, {"StringLikeIfExists": {"s3:prefix": ["pipelines/*"]}}),
            ["IfExistsBypass[s3:ListBucket:s3:prefix]"],
        ),
        (allow("s3:ListBucket", BUCKET, {"StringLike": {"s3:prefix": ["pipelines/*"]}}), []),
        # In a Deny, ...IfExists makes the absent key count as a violation: the strict reading.
        (deny("sagemaker:CreateModel", "*", {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}}), []),
    ],
)
def test_if_exists_conditions_that_let_requests_without_the_key_through_are_reported(data, statement, expected):
    assert findings_of(data, statement) == expected


# --- The profiles -------------------------------------------------------------------------------


def test_both_profiles_have_no_open_finding(profile, data):
    """Done-when 1 of issue 11: every policy document of the profile, 0 findings (nothing of the
    project's is acknowledged today; an acknowledgment would show in validation-report.json)."""
    assert [str(f) for f in check(Templates.from_outdir(profile.outdir), data)] == []


def test_every_kind_of_policy_document_is_covered(profile):
    kinds = {document.kind for document in policy_documents(Templates.from_outdir(profile.outdir))}
    # The one queue is the approval path's dead-letter queue, which the sandbox does not deploy (docs/sandbox.md).
    queue = {"queue"} if profile.platform.pipelines and profile.platform.pipelines.approval else set()
    assert {"identity", "trust", "bucket", "key", "topic", "endpoint", "api"} | queue <= kinds
    assert profile.config.profile == "sandbox" or queue  # production keeps the queue


def _holds_a_policy(value) -> bool:
    if isinstance(value, dict):
        return "Statement" in value or any(_holds_a_policy(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_a_policy(v) for v in value)
    return False


def test_no_policy_document_escapes_the_gate(profile):
    """A resource type with a policy document the gate does not know (a new kind of resource
    policy) fails here until POLICY_PROPERTIES names where it keeps it."""
    templates = Templates.from_outdir(profile.outdir)
    for stack in templates.stacks():
        for logical_id, resource in templates.stack(stack).resources.items():
            if _holds_a_policy(resource.get("Properties", {})):
                assert resource["Type"] in POLICY_PROPERTIES, f"{stack}/{logical_id} {resource['Type']}"


def test_findings_fail_synth_and_are_acknowledged_one_by_one(tmp_path):
    """Through CDK's validation plugins: an open finding fails synth; the same finding
    acknowledged on the policy that has it is listed as suppressed with its reason."""

    def synth(outdir, acknowledged: bool):
        app = cdk.App(outdir=str(outdir), context=app_context())
        cdk.Validations.of(app).add_plugins(IamGrammarChecks())
        stack = cdk.Stack(app, "Fixture", env=cdk.Environment(region="us-east-1"))
        policy = iam.ManagedPolicy(
            stack,
            "Listing",
            statements=[
                iam.PolicyStatement(
                    actions=["sagemaker:ListApps"],
                    resources=[stack.format_arn(service="sagemaker", resource="app", resource_name="*")],
                )
            ],
        )
        if acknowledged:
            acknowledge(
                policy.node.default_child,
                f"{IAM_GRAMMAR}ResourceMismatch[sagemaker:ListApps]",
                "Fixture: the acknowledgment path of the IAM gate, proven on a deliberate finding.",
            )
        app.synth()

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synth(tmp_path / "open", acknowledged=False)
    synth(tmp_path / "acknowledged", acknowledged=True)
    report = json.loads((tmp_path / "acknowledged" / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "IAM.Grammar"]
    assert plugin["violations"] == []
    assert [v["acknowledgedId"] for v in plugin["suppressedViolations"]] == [
        "IAM.Grammar::ResourceMismatch[sagemaker:ListApps]"
    ]
