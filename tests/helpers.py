"""Small readers for synthesized CloudFormation, shared by the stack tests."""

from __future__ import annotations

from typing import Any


def target(value: Any) -> str | None:
    """The logical id a Ref / Fn::GetAtt points at, or None for anything else."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(policy_document: dict) -> list[dict]:
    return policy_document["Statement"]


def bucket_policy_for(resources: dict[str, dict], bucket_id: str) -> dict:
    """The policy document of the AWS::S3::BucketPolicy attached to `bucket_id`."""
    for resource in resources.values():
        if resource["Type"] == "AWS::S3::BucketPolicy" and target(resource["Properties"]["Bucket"]) == bucket_id:
            return resource["Properties"]["PolicyDocument"]
    raise AssertionError(f"no bucket policy for {bucket_id}")


def denies_insecure_transport(policy_document: dict, bucket_id: str) -> bool:
    """True when the policy denies every S3 action over plain HTTP on the bucket and its objects."""
    for statement in statements(policy_document):
        if (
            statement["Effect"] == "Deny"
            and statement["Action"] == "s3:*"
            and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            and statement["Principal"] in ({"AWS": "*"}, "*")
        ):
            covered = {str(r) for r in as_list(statement["Resource"])}
            return any(bucket_id in r and "/*" not in r for r in covered) and any(
                bucket_id in r and "/*" in r for r in covered
            )
    return False
