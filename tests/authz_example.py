"""The example world of the harness tests (tests/test_authz_harness.py): a small hand-written template.

Resource policies with their conditions (a bucket reachable only through a VPC endpoint, a key
policy, a queue and a topic policy), explicit Deny guardrails and a permission boundary, in the
shapes CDK writes.
"""

from __future__ import annotations

from authz import ACCOUNT

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


ROLE = f"arn:aws:iam::{ACCOUNT}:role/example-Worker"
DATA = "arn:aws:s3:::example-data"
