"""The hand-written requests of the harness tests (tests/test_authz_harness.py), with the decision each must get.

Each request that must be allowed has a sibling that must be denied, so no case passes by allowing
(or denying) everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from authz import ACCOUNT, Principal, Request, ResourcePolicy, ServicePrincipal, World
from authz_example import ALLOWED, DATA, EXPLICIT, IMPLICIT, OTHER_ACCOUNT, REGION, ROLE, VPCE, allow, doc


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
