"""The authorization simulation harness (tests/authz.py), and what it decides on the sandbox.

The first half proves the harness evaluates what IAM evaluates, on small hand-written templates:
resource policies with their conditions (a bucket reachable only through a VPC endpoint, a key
policy, a queue and a topic policy), explicit Deny guardrails, permission boundaries, VPC
endpoint policies and cross-account requests; each request that must be allowed has a sibling
that must be denied, so no case passes by allowing (or denying) everything. The second half
states requests on the synthesized sandbox, and derives the requests of the approval handler, the
notebook autostop program, the variant-scaling custom resource and the inference API function from
the calls their Stubber tests make.

Each group of requests is evaluated in one Node process (a module-scoped fixture).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import pytest
from authz import (
    ACCOUNT,
    GENERATED,
    ApiCall,
    AuthzError,
    Decision,
    Principal,
    Request,
    ResourcePolicy,
    ServicePrincipal,
    World,
    evaluate,
    record_stubbed_calls,
    requests_for_call,
    unique,
)

OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
VPCE = "vpce-0a1b2c3d4e5f60718"
ALLOWED, EXPLICIT, IMPLICIT = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources, condition=None, **extra) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(sid, actions, resources, condition=None, **extra) -> dict:
    statement = {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": resources, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def arn_of(logical: str, suffix: str = "") -> dict:
    return {"Fn::Join": ["", [{"Fn::GetAtt": [logical, "Arn"]}, suffix]]}


# A small template in the shapes CDK writes: grants in inline, attached and managed policies, a
# boundary, and resource policies whose ARNs are intrinsics.
TEMPLATE = {
    "Resources": {
        "Worker": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": doc(
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ),
                "PermissionsBoundary": {"Ref": "Boundary"},
                "Tags": [{"Key": "team", "Value": "ml"}],
                "Policies": [
                    {
                        "PolicyName": "inline",
                        "PolicyDocument": doc(
                            allow(
                                ["s3:GetObject", "s3:PutObject"],
                                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Data}/*"},
                            )
                        ),
                    }
                ],
            },
        },
        "Boundary": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                # The boundary leaves out s3:PutObject: the inline grant of it must not apply.
                "PolicyDocument": doc(
                    allow(["s3:GetObject", "kms:*", "sqs:*", "sns:*", "sagemaker:*"], "*"),
                )
            },
        },
        "WorkerDefaultPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "default",
                "Roles": [{"Ref": "Worker"}],
                "PolicyDocument": doc(
                    allow(["kms:Decrypt"], [{"Fn::GetAtt": ["DataKey", "Arn"]}, {"Fn::GetAtt": ["SecretKey", "Arn"]}]),
                    allow(["sqs:SendMessage"], {"Fn::GetAtt": ["Jobs", "Arn"]}),
                    allow(["sns:Publish"], {"Ref": "Alerts"}),
                ),
            },
        },
        "WorkerGrants": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Roles": [{"Ref": "Worker"}],
                "PolicyDocument": doc(
                    allow(["sagemaker:CreateModel", "sagemaker:CreateTrainingJob"], "*"),
                    # Network isolation is the default the guardrail below enforces.
                    deny(
                        "DenyWithoutNetworkIsolation",
                        "sagemaker:CreateModel",
                        "*",
                        {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}},
                    ),
                    deny(
                        "DenyUntaggedJobs",
                        "sagemaker:CreateTrainingJob",
                        "*",
                        {"StringNotEquals": {"aws:RequestTag/project": "secure-ml"}},
                    ),
                ),
            },
        },
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "example-data"}},
        "DataPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Data"},
                "PolicyDocument": doc(
                    deny(
                        "DenyOutsideTheEndpoint",
                        "s3:*",
                        [{"Fn::GetAtt": ["Data", "Arn"]}, arn_of("Data", "/*")],
                        {"StringNotEquals": {"aws:SourceVpce": VPCE}},
                        Principal={"AWS": "*"},
                    )
                ),
            },
        },
        "DataKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": doc(
                    allow(
                        "kms:*",
                        "*",
                        Principal={"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                    )
                )
            },
        },
        # Its key policy names another role only: the account's IAM policies do not apply to it.
        "SecretKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": doc(
                    allow(
                        "kms:*",
                        "*",
                        Principal={"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/key-admin"}},
                    )
                )
            },
        },
        "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "JobsPolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "Jobs"}],
                "PolicyDocument": doc(
                    deny(
                        "OnlyTheMlTeam",
                        "sqs:SendMessage",
                        {"Fn::GetAtt": ["Jobs", "Arn"]},
                        {"StringNotEquals": {"aws:PrincipalTag/team": "ml"}},
                        Principal={"AWS": "*"},
                    )
                ),
            },
        },
        "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        "AlertsPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Alerts"}],
                "PolicyDocument": doc(
                    deny(
                        "OnlyOverTls",
                        "sns:Publish",
                        {"Ref": "Alerts"},
                        {"Bool": {"aws:SecureTransport": "false"}},
                        Principal={"AWS": "*"},
                    )
                ),
            },
        },
    }
}


@pytest.fixture(scope="module")
def world() -> World:
    return World.single(TEMPLATE, stack_name="example", region=REGION)


@pytest.fixture(scope="module")
def worker(world) -> Principal:
    return world.principal("example", "Worker")


# --- Resolution and gathering ------------------------------------------------------------------


def test_a_role_gathers_inline_attached_and_managed_policies_and_its_boundary(worker, world):
    assert worker.role_arn == f"arn:aws:iam::{ACCOUNT}:role/example-Worker"
    assert [p.name for p in worker.identity_policies] == [
        "example-Worker/inline",
        "example/WorkerDefaultPolicy",
        "example/WorkerGrants",
    ]
    inline = worker.identity_policies[0].document["Statement"][0]
    assert inline["Resource"] == "arn:aws:s3:::example-data/*"
    decrypt = worker.identity_policies[1].document["Statement"][0]["Resource"]
    assert decrypt == [world.arn("example", "DataKey"), world.arn("example", "SecretKey")]
    assert decrypt[0].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/") and decrypt[0] != decrypt[1]
    assert [p.document for p in worker.permission_boundaries] == [
        world.resolve("example", TEMPLATE["Resources"]["Boundary"]["Properties"]["PolicyDocument"])
    ]
    assert worker.tags == {"team": "ml"}
    assert Principal.from_template(TEMPLATE, "Worker", stack_name="example") == worker


def test_resource_policies_are_found_by_the_resource_they_protect(world):
    bucket = ResourcePolicy.bucket(world, "Data", "example")
    assert bucket.arn == "arn:aws:s3:::example-data"
    assert bucket.document["Statement"][0]["Resource"] == [bucket.arn, f"{bucket.arn}/*"]
    assert ResourcePolicy.bucket(TEMPLATE, "Data").document["Statement"][0]["Sid"] == "DenyOutsideTheEndpoint"
    assert ResourcePolicy.queue(TEMPLATE, "Jobs").arn == f"arn:aws:sqs:{REGION}:{ACCOUNT}:Stack-Jobs"
    assert ResourcePolicy.topic(TEMPLATE, "Alerts").document["Statement"][0]["Sid"] == "OnlyOverTls"
    assert ResourcePolicy.key(TEMPLATE, "SecretKey").document["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT}:role/key-admin"
    }
    assert world.resource_policy_for("s3:GetObject", "arn:aws:s3:::example-data/a/b.csv") == bucket
    assert world.resource_policy_for("s3:GetObject", "arn:aws:s3:::someone-elses/a") is None


def test_imports_resolve_through_the_exporting_stack():
    """Two stacks agree on the bucket's ARN: the importer's grant names the exporter's bucket."""
    exporter = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}},
        "Outputs": {
            "BucketArn": {
                "Value": {"Fn::GetAtt": ["Bucket", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:BucketArn"}},
            }
        },
    }
    importer = {
        "Resources": {
            "Reader": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "reader"}},
            "ReaderGrants": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    # Attached by name, the way a policy of another stack attaches to an imported role.
                    "Roles": ["reader"],
                    "PolicyDocument": doc(
                        allow("s3:GetObject", {"Fn::Join": ["", [{"Fn::ImportValue": "data:BucketArn"}, "/*"]]})
                    ),
                },
            },
        }
    }
    world = World({"data": exporter, "consumer": importer}, region=REGION, artifact_ids={"Data": "data"})
    reader = world.principal("consumer", "Reader")
    assert reader.role_arn == f"arn:aws:iam::{ACCOUNT}:role/reader"
    (policy,) = reader.identity_policies
    assert policy.document["Statement"][0]["Resource"] == f"{world.arn('Data', 'Bucket')}/*"
    assert world.arn("Data", "Bucket") == "arn:aws:s3:::data-bucket"
    with pytest.raises(AuthzError, match="no stack of this world exports"):
        world.import_value("missing:Export")


# --- Decisions on hand-written policies -----------------------------------------------------------

ROLE = f"arn:aws:iam::{ACCOUNT}:role/example-Worker"
DATA = "arn:aws:s3:::example-data"


@dataclass(frozen=True)
class Case:
    id: str
    action: str
    resource: str
    context: dict
    expected: str
    decided_by: str | None = None  # what denies: "<policy type>:<Sid>" or "<policy type>:implicit"

    def request(self, world: World, worker: Principal) -> Request:
        return world.request(worker, self.action, self.resource, context=self.context)


def key_arn(world: World, key: str) -> str:
    return world.arn("example", key)


CASES = [
    # A bucket policy that denies every request not coming through one VPC endpoint.
    Case("bucket-through-the-endpoint", "s3:GetObject", f"{DATA}/a.csv", {"aws:SourceVpce": VPCE}, ALLOWED),
    Case(
        "bucket-without-an-endpoint",
        "s3:GetObject",
        f"{DATA}/a.csv",
        {},
        EXPLICIT,
        "resource:DenyOutsideTheEndpoint",
    ),
    Case(
        "bucket-through-another-endpoint",
        "s3:GetObject",
        f"{DATA}/a.csv",
        {"aws:SourceVpce": "vpce-0ffffffffffffffff"},
        EXPLICIT,
        "resource:DenyOutsideTheEndpoint",
    ),
    # The identity policy grants PutObject; the permission boundary does not.
    Case("boundary-leaves-out-put", "s3:PutObject", f"{DATA}/a.csv", {"aws:SourceVpce": VPCE}, IMPLICIT, "pb:implicit"),
    # Guardrails: an explicit Deny with a condition beats the Allow.
    Case("model-isolated", "sagemaker:CreateModel", "model/m", {"sagemaker:NetworkIsolation": "true"}, ALLOWED),
    Case(
        "model-not-isolated",
        "sagemaker:CreateModel",
        "model/m",
        {"sagemaker:NetworkIsolation": "false"},
        EXPLICIT,
        "identity:DenyWithoutNetworkIsolation",
    ),
    Case(
        "model-isolation-left-out",
        "sagemaker:CreateModel",
        "model/m",
        {"sagemaker:NetworkIsolation": None},
        EXPLICIT,
        "identity:DenyWithoutNetworkIsolation",
    ),
    Case(
        "job-tagged",
        "sagemaker:CreateTrainingJob",
        "training-job/j",
        {"aws:RequestTag/project": "secure-ml", "aws:TagKeys": ["project"]},
        ALLOWED,
    ),
    Case(
        "job-tagged-for-another-project",
        "sagemaker:CreateTrainingJob",
        "training-job/j",
        {"aws:RequestTag/project": "other", "aws:TagKeys": ["project"]},
        EXPLICIT,
        "identity:DenyUntaggedJobs",
    ),
    # A queue policy keyed on the caller's principal tag; a topic policy on TLS.
    Case("queue-from-the-ml-team", "sqs:SendMessage", "queue", {}, ALLOWED),
    Case(
        "queue-from-another-team",
        "sqs:SendMessage",
        "queue",
        {"aws:PrincipalTag/team": "finance"},
        EXPLICIT,
        "resource:OnlyTheMlTeam",
    ),
    Case("topic-over-tls", "sns:Publish", "topic", {}, ALLOWED),
    Case(
        "topic-over-plain-http",
        "sns:Publish",
        "topic",
        {"aws:SecureTransport": "false"},
        EXPLICIT,
        "resource:OnlyOverTls",
    ),
]


def resolve_case(case: Case, world: World) -> Case:
    """Case resources written as short names, made ARNs of the example world."""
    resource = {
        "queue": world.arn("example", "Jobs"),
        "topic": world.arn("example", "Alerts"),
        "model/m": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m",
        "training-job/j": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/j",
    }.get(case.resource, case.resource)
    return Case(case.id, case.action, resource, case.context, case.expected, case.decided_by)


def key_cases(world: World) -> list[tuple[str, Request, str, str | None]]:
    """KMS: the key policy decides whether the identity policy counts at all."""
    worker = world.principal("example", "Worker")
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "aws:ViaAWSService": "true"}
    return [
        (
            "key-policy-trusts-the-account",
            world.request(worker, "kms:Decrypt", key_arn(world, "DataKey")),
            ALLOWED,
            None,
        ),
        (
            "key-policy-trusts-another-role-only",
            world.request(worker, "kms:Decrypt", key_arn(world, "SecretKey"), context=via_s3),
            IMPLICIT,
            "resource:implicit",
        ),
    ]


def cross_account_cases(world: World) -> list[tuple[str, Request, str, str | None]]:
    """The same identity grant on a bucket of this account and on one of another account."""
    reader = Principal.role(ROLE, doc(allow("s3:GetObject", "arn:aws:s3:::shared-*/*")))
    grant = doc(
        allow("s3:GetObject", "arn:aws:s3:::shared-theirs/*", Principal={"AWS": ROLE}),
    )
    no_grant = doc(allow("s3:GetObject", "arn:aws:s3:::shared-theirs/*", Principal={"AWS": f"{OTHER_ACCOUNT}"}))
    theirs = "arn:aws:s3:::shared-theirs/x"
    return [
        (
            "same-account-identity-grant-suffices",
            Request(reader, "s3:GetObject", "arn:aws:s3:::shared-ours/x"),
            ALLOWED,
            None,
        ),
        (
            "cross-account-needs-the-bucket-policy",
            Request(reader, "s3:GetObject", theirs, resource_policy=ResourcePolicy(theirs, no_grant, OTHER_ACCOUNT)),
            IMPLICIT,
            "resource:implicit",
        ),
        (
            "cross-account-with-the-bucket-policy",
            Request(reader, "s3:GetObject", theirs, resource_policy=ResourcePolicy(theirs, grant, OTHER_ACCOUNT)),
            ALLOWED,
            None,
        ),
    ]


def endpoint_cases() -> list[tuple[str, Request, str, str | None]]:
    """A gateway endpoint's policy applies to requests through it, whatever the identity allows."""
    endpoint = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {}},
            "S3": {
                "Type": "AWS::EC2::VPCEndpoint",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "PolicyDocument": doc(
                        allow("s3:GetObject", "arn:aws:s3:::project-*/*", Principal={"AWS": "*"}),
                    ),
                },
            },
            "Reader": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [{"PolicyName": "p", "PolicyDocument": doc(allow("s3:GetObject", "*"))}],
                },
            },
        }
    }
    world = World.single(endpoint, region=REGION)
    reader = world.principal("Stack", "Reader")
    through = world.endpoint_context("Stack", "S3")
    return [
        (
            "endpoint-allows-project-buckets",
            world.request(reader, "s3:GetObject", "arn:aws:s3:::project-a/x", context=through),
            ALLOWED,
            None,
        ),
        (
            "endpoint-refuses-other-buckets",
            world.request(reader, "s3:GetObject", "arn:aws:s3:::other/x", context=through),
            IMPLICIT,
            "vpce:implicit",
        ),
        (
            "no-endpoint-no-endpoint-policy",
            world.request(reader, "s3:GetObject", "arn:aws:s3:::other/x"),
            ALLOWED,
            None,
        ),
    ]


def service_principal_cases() -> list[tuple[str, Request, str, str | None]]:
    """An AWS service publishing with its own principal: only the resource policy decides, and
    its aws:SourceAccount / aws:SourceArn conditions tell this account's alarms from another's."""
    alarms = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"
    from_this_account = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": alarms}}
    template = {
        "Resources": {
            "Alarms": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alarms"}},
            "AlarmsPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "Topics": [{"Ref": "Alarms"}],
                    "PolicyDocument": doc(
                        allow(
                            "sns:Publish",
                            {"Ref": "Alarms"},
                            from_this_account,
                            Sid="CloudWatchAlarmsOfThisAccount",
                            Principal={"Service": "cloudwatch.amazonaws.com"},
                        )
                    ),
                },
            },
        }
    }
    world = World.single(template, region=REGION)
    topic = world.arn("Stack", "Alarms")
    cloudwatch = ServicePrincipal("cloudwatch.amazonaws.com")

    def alarm(account: str) -> dict:
        return {"aws:SourceAccount": account, "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{account}:alarm:a"}

    return [
        (
            "service-principal-of-this-accounts-alarm",
            world.request(cloudwatch, "sns:Publish", topic, context=alarm(ACCOUNT)),
            ALLOWED,
            None,
        ),
        (
            "service-principal-for-another-accounts-alarm",
            world.request(cloudwatch, "sns:Publish", topic, context=alarm(OTHER_ACCOUNT)),
            IMPLICIT,
            "resource:implicit",
        ),
        (
            "another-service-principal",
            world.request(ServicePrincipal("events.amazonaws.com"), "sns:Publish", topic, context=alarm(ACCOUNT)),
            IMPLICIT,
            "resource:implicit",
        ),
    ]


@pytest.fixture(scope="module")
def hand_written(world, worker) -> dict[str, tuple[Decision, str, str | None]]:
    """Every hand-written request of this module, decided in one Node process."""
    rows = [(c.id, resolve_case(c, world).request(world, worker), c.expected, c.decided_by) for c in CASES]
    rows += key_cases(world) + cross_account_cases(world) + endpoint_cases() + service_principal_cases()
    started = time.perf_counter()
    decisions = evaluate([r for _, r, _, _ in rows])
    print(f"\nauthz: {len(rows)} hand-written requests in {time.perf_counter() - started:.2f} s")
    return {i: (d, e, by) for (i, _, e, by), d in zip(rows, decisions, strict=True)}


HAND_WRITTEN_IDS = [c.id for c in CASES] + [
    "key-policy-trusts-the-account",
    "key-policy-trusts-another-role-only",
    "same-account-identity-grant-suffices",
    "cross-account-needs-the-bucket-policy",
    "cross-account-with-the-bucket-policy",
    "endpoint-allows-project-buckets",
    "endpoint-refuses-other-buckets",
    "no-endpoint-no-endpoint-policy",
    "service-principal-of-this-accounts-alarm",
    "service-principal-for-another-accounts-alarm",
    "another-service-principal",
]


@pytest.mark.parametrize("case_id", HAND_WRITTEN_IDS)
def test_hand_written_request(hand_written, case_id):
    decision, expected, decided_by = hand_written[case_id]
    assert decision.result == expected, decision.reason
    if decided_by:
        assert decided_by in decision.denying_statements(), decision.reason


def test_every_hand_written_request_is_checked(hand_written):
    assert sorted(hand_written) == sorted(HAND_WRITTEN_IDS)
    results = {expected for _, expected, _ in hand_written.values()}
    assert results == {ALLOWED, EXPLICIT, IMPLICIT}


def test_a_context_key_the_action_never_carries_is_refused(world, worker):
    """`sagemaker:NetworkIsolation` on s3:GetObject would be dropped by the simulator: the
    request the test states is not the one evaluated, so the harness refuses it."""
    request = world.request(
        worker, "s3:GetObject", f"{DATA}/a.csv", context={"aws:SourceVpce": VPCE, "sagemaker:NetworkIsolation": "true"}
    )
    with pytest.raises(AuthzError, match="never carries"):
        evaluate([request])


def test_an_action_that_does_not_exist_is_refused(world, worker):
    with pytest.raises(AuthzError, match="refused"):
        evaluate([world.request(worker, "s3:GetObjects", f"{DATA}/a.csv")])


# --- The synthesized sandbox ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox_world(sandbox) -> World:
    return World.from_assembly(sandbox)


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


# --- Requests derived from the handlers' Stubber tests -------------------------------------------

TEST_ACCOUNT = "123456789012"  # the account the handlers' tests write in their ARNs

# The approval handler (ml_constructs/runtime/approval) as tests/test_approval.py drives it: every
# IAM request its stubbed calls make, as (action, resource ARN with <account>), and whether the
# role the Pipelines stack gives the function authorizes it today.
APPROVAL_AUTHORIZED = {
    ("sagemaker:DescribeModelPackage", "model-package/secure-ml-sandbox-purchase-propensity/3"),
    ("sagemaker:DescribeEndpoint", "endpoint/secure-ml-sandbox-realtime"),
    ("sagemaker:DescribeEndpointConfig", "endpoint-config/realtimeconfig75197f61-abc"),
    ("sagemaker:CreateModel", "model/secure-ml-sandbox-purchase-propensity-v3"),
    ("sagemaker:AddTags", "model/secure-ml-sandbox-purchase-propensity-v3"),
    ("iam:PassRole", "role/secure-ml-sandbox-inference-execution"),
    ("sagemaker:UpdateEndpoint", "endpoint/secure-ml-sandbox-realtime"),
    # UpdateEndpoint also authorizes on the configuration it switches to (SwitchToApprovedConfigs).
    ("sagemaker:UpdateEndpoint", "endpoint-config/secure-ml-sandbox-realtime-challenger-v3"),
    # Allowed since the N8 guardrail tests sagemaker:VolumeKmsKeyArn, the key the action carries.
    ("sagemaker:CreateEndpointConfig", "endpoint-config/secure-ml-sandbox-realtime-challenger-v3"),
}
# Requests the role does not authorize: open findings, reported to the constructs' owner and left
# out of the assertions until fixed (then they move to APPROVAL_AUTHORIZED). None today.
APPROVAL_OPEN_FINDINGS: dict[tuple[str, str], str] = {}

NOTEBOOK_AUTHORIZED = {
    ("sagemaker:DescribeNotebookInstance", "notebook-instance/secure-ml-sandbox-alice"),
    ("sagemaker:StopNotebookInstance", "notebook-instance/secure-ml-sandbox-alice"),
}

# The variant-scaling custom resource (ml_constructs/runtime/variant_scaling) as
# tests/test_variant_scaling.py drives it, the deployed endpoints' properties included
# (test_e4_template_properties_are_what_the_api_accepts). Application Auto Scaling calls are
# mapped by hand (tests/authz.py, HAND_MAPPED): the scalable target's id is generated, and the
# service checks the caller for the service-linked role, the endpoint and the alarms it manages.
SCALED_ENDPOINTS = {
    # endpoint name: (endpoint configuration's physical name in the world, target-tracked variants)
    "secure-ml-sandbox-realtime": ("secure-ml-sandbox-inference-realtimeconfig75197f61", ("champion", "challenger")),
    # E2: the shadow-test endpoint scales its production variant only (the shadow has a fixed count).
    "secure-ml-sandbox-shadow-test": ("secure-ml-sandbox-inference-shadowtestconfig641afc60", ("champion",)),
    "secure-ml-sandbox-async": ("secure-ml-sandbox-inference-asyncconfigcd91d9ba", ("async",)),
    "secure-ml-sandbox-pipeline": ("secure-ml-sandbox-inference-pipelineconfigb4814dbc", ("pipeline",)),
}
VARIANT_SCALING_AUTHORIZED = {
    *(
        (f"application-autoscaling:{operation}", f"scalable-target/{GENERATED}")
        for operation in (
            "RegisterScalableTarget",
            "DeregisterScalableTarget",
            "PutScalingPolicy",
            "DeleteScalingPolicy",
        )
    ),
    (
        "iam:CreateServiceLinkedRole",
        "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    ),
    # The hand-off reads what is registered and what the endpoint runs (tests' CONFIG), to register
    # again after a rolled-back update; DescribeScalableTargets has no resource type.
    ("application-autoscaling:DescribeScalableTargets", "*"),
    ("sagemaker:DescribeEndpointConfig", "endpoint-config/realtimeconfig75197f61-a1b2c3d4"),
    ("sagemaker:DescribeEndpointConfig", "endpoint-config/realtimeconfignew-e5f6"),
    *(
        request
        for endpoint, (config, variants) in SCALED_ENDPOINTS.items()
        for request in (
            ("sagemaker:DescribeEndpoint", f"endpoint/{endpoint}"),
            ("sagemaker:UpdateEndpointWeightsAndCapacities", f"endpoint/{endpoint}"),
            ("sagemaker:DescribeEndpointConfig", f"endpoint-config/{config}"),
            *(
                (
                    f"cloudwatch:{action}",
                    f"alarm:TargetTracking-endpoint/{endpoint}/variant/{variant}-{alarm}-{GENERATED}",
                )
                for variant in variants
                for alarm in ("AlarmHigh", "AlarmLow")
                for action in ("PutMetricAlarm", "DescribeAlarms", "DeleteAlarms")
            ),
        )
    ),
}

# The inference API function (ml_constructs/runtime/inference_api) as tests/test_inference_api.py
# drives it, through the VPC's sagemaker.runtime interface endpoint (its policy is evaluated too).
INFERENCE_API_AUTHORIZED = {
    ("sagemaker:InvokeEndpoint", "endpoint/secure-ml-sandbox-realtime"),
}


def short(request: Request, world: World) -> tuple[str, str]:
    """(action, resource) with the ARN's prefix up to the account dropped."""
    resource = request.resource.split(f":{world.account}:", 1)[-1]
    return request.action, resource


@pytest.fixture(scope="module")
def stubbed_calls(tmp_path_factory):
    """Every call the handlers' Stubber tests make, recorded by running those tests once."""
    started = time.perf_counter()
    calls = record_stubbed_calls(
        "tests/test_approval.py",
        "tests/test_notebook_autostop.py",
        "tests/test_variant_scaling.py",
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
        "variant_scaling": (scaling_role, "tests/test_variant_scaling.py", None),
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
        if c.test.startswith("tests/test_variant_scaling.py") and "ResourceId" in c.params
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
