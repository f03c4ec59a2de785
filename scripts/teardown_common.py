"""Shared pieces of the teardown (scripts/teardown.py): stack order, error codes, the plan, ENI rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from scripts import workspace_teardown as ws

# Creation order (stacks/__init__.py build_platform); deletion runs it backwards.
STACK_ORDER = (
    "security-baseline",
    "network",
    "data",
    "workspace",
    "inference",
    "lake",
    "ingestion",
    "pipelines",
    "governance",
    "ai-services",
)
DELETION_ORDER = tuple(reversed(STACK_ORDER))
# What each stack imports from (constructor arguments in build_platform).
DEPENDS_ON = {
    "network": ("security-baseline",),
    "data": ("security-baseline", "network"),
    "workspace": ("security-baseline", "network", "data"),
    "inference": ("security-baseline", "network", "data"),
    "lake": ("security-baseline", "network"),
    "ingestion": ("security-baseline", "network", "lake"),
    "pipelines": ("security-baseline", "network", "data", "inference"),
    "governance": ("security-baseline",),
    "ai-services": ("security-baseline",),
}
SERVICES = ("cloudformation", "sagemaker", "efs", "ec2", "application-autoscaling", "s3", "glue", "apigateway")
IAM_PREFIX = {"efs": "elasticfilesystem"}
# Operations whose IAM action is not <prefix>:<operation>.
IAM_ACTION = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "ListObjectVersions": "s3:ListBucketVersions",
    "DeleteObjects": "s3:DeleteObjectVersion",
    "GetAccount": "apigateway:GET",
    "UpdateAccount": "apigateway:PATCH",
}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
}
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
GONE = ws.GONE | {
    "InvalidNetworkInterfaceID.NotFound",
    "ObjectNotFoundException",
    "NoSuchBucket",
    "NotFoundException",
    "EntityNotFoundException",
}
LAMBDA_ENI = "AWS Lambda VPC ENI"
STACK_GONE = {"DELETE_COMPLETE"}


class Refused(Exception):
    """The teardown will not run as asked (production without --confirm, retained data)."""


def error_code(error: ClientError) -> str:
    return ws.error_code(error)


def is_stack_missing(error: ClientError) -> bool:
    """CloudFormation's answer for a stack name that does not exist (ValidationError)."""
    return error_code(error) == "ValidationError" and "does not exist" in str(error)


@dataclass
class Stack:
    suffix: str
    name: str
    stack_id: str
    status: str
    termination_protection: bool = False
    resources: list[dict] = field(default_factory=list)

    def physical_ids(self, resource_type: str) -> list[str]:
        return [r["PhysicalResourceId"] for r in self.resources if r["ResourceType"] == resource_type]


@dataclass
class Plan:
    """Everything the teardown would delete or reset."""

    stacks: list[Stack] = field(default_factory=list)  # deletion order
    workspace: ws.Plan | None = None
    vpc_ids: list[str] = field(default_factory=list)
    enis: list[dict] = field(default_factory=list)
    scalable_targets: list[dict] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    key_ids: list[str] = field(default_factory=list)
    glue_key: str | None = None
    apigateway_role: str | None = None
    notes: list[str] = field(default_factory=list)


def describe_eni(eni: dict) -> str:
    what = eni.get("Description") or eni.get("InterfaceType") or "ENI"
    return f"ENI {eni['NetworkInterfaceId']} ({what}, {eni['Status']})"


def is_lambda_eni(eni: dict) -> bool:
    return eni.get("InterfaceType") == "lambda" or eni.get("Description", "").startswith(LAMBDA_ENI)


def is_orphan_eni(eni: dict) -> bool:
    """ENIs the services leave: available ones, Lambda's and SageMaker's. Never the VPC endpoints'
    or the NAT gateways' (their stack deletes them), nor EFS mount targets' (workspace clean-up)."""
    if eni.get("InterfaceType") not in (None, "interface", "lambda"):
        return False
    description = eni.get("Description", "")
    if description.startswith(("VPC Endpoint Interface", "EFS mount target")):
        return False
    requester = (eni.get("RequesterId") or "").lower()
    return (
        eni["Status"] == "available"
        or is_lambda_eni(eni)
        or "sagemaker" in requester
        or "sagemaker" in description.lower()
    )
