"""The project's Lambda functions: one shape, so every function meets the same controls.

Python on Graviton, the role's grants in a customer-managed policy (ManagedPolicyRole), logs in
a KMS-encrypted group kept as long as the profile says (N11), environment variables encrypted
with the project's customer-managed key instead of the AWS-managed aws/lambda key (N11), a
reserved concurrency only when the caller passes one (the profile's
deploy.lambda_reserved_concurrency: a new account's quota leaves nothing to reserve), and
either a place in the private subnets behind its own security group, or a stated reason to
stay outside the VPC. The findings every such function raises are acknowledged here, each
with the reason its caller gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ml_constructs.acknowledgments import (
    CONTROL_TOWER,
    HIPAA,
    NIST,
    acknowledge,
    acknowledge_compliance,
    acknowledge_imported_reference,
    is_imported,
)
from ml_constructs.cfn import drop_redundant_dependency
from ml_constructs.iam import ManagedPolicyRole, Statements, this_region_arn
from ml_constructs.log_group import EncryptedLogGroup

CODE_EXCLUDE = ("__pycache__", "*.pyc")
# Why a function may run without a concurrency limit of its own (the profile's choice).
NO_RESERVED_CONCURRENCY = (
    "The profile turns reserved concurrency off (deploy.lambda_reserved_concurrency: false) because a new "
    "account's Lambda concurrency quota can be 10 and every reservation must leave 100 unreserved, so "
    "CloudFormation could not create the function at all. It draws on the account's unreserved pool, "
    "bounded by its invoker; profiles whose account quota allows it reserve (and cap) concurrency."
)
# The actions of AWSLambdaVPCAccessExecutionRole, which Lambda uses to attach a function to subnets.
NETWORK_INTERFACE_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)


@dataclass(frozen=True)
class PrivateSubnets:
    """Where a function runs inside the VPC; its own security group gets no rule by default."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    security_group_description: str


@dataclass(frozen=True)
class PythonFunction:
    function: lambda_.Function
    role: ManagedPolicyRole
    grants: Statements
    log_group: logs.ILogGroup
    security_group: ec2.SecurityGroup | None


def python_function(
    scope: Construct,
    *,
    description: str,
    code: Path,
    handler: str,
    role_description: str,
    policy_description: str,
    logs_key: kms.IKey,
    environment_key: kms.IKey,
    log_retention: int,
    timeout: cdk.Duration,
    reserved_concurrency: int | None = None,
    no_dead_letter_queue: str | None = None,
    dead_letter_queue: sqs.IQueue | None = None,
    network: PrivateSubnets | None = None,
    outside_vpc: str | None = None,
    memory_size: int = 256,
    environment: Mapping[str, str] | None = None,
    code_exclude: Sequence[str] = CODE_EXCLUDE,
    tracing: lambda_.Tracing | None = None,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
) -> PythonFunction:
    """Add `Logs`, `Role`, `Function` (and `SecurityGroup` with `network`) to `scope`.

    An asynchronously invoked function gets `dead_letter_queue`; for any other,
    `no_dead_letter_queue` says why failed invocations need none (how the invoker sees
    failures). `outside_vpc` says why a function without `network` stays out of the VPC.
    `environment_key` encrypts the environment variables; `reserved_concurrency` None reserves
    nothing (the function draws on the account's unreserved pool).
    Grants go through the returned `grants`, with the reason for any wildcard.
    """
    if (network is None) == (outside_vpc is None):
        raise ValueError("give either network (private subnets) or outside_vpc (the reason to stay out)")
    if (dead_letter_queue is None) == (no_dead_letter_queue is None):
        raise ValueError("give either dead_letter_queue or no_dead_letter_queue (why none is needed)")
    log_group = EncryptedLogGroup(
        scope, "Logs", encryption_key=logs_key, retention=log_retention, removal_policy=removal_policy
    ).log_group
    role = ManagedPolicyRole(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=role_description,
        policy_description=policy_description,
    )
    log_group.grant_write(role)
    grants = Statements(role.add_to_principal_policy)
    grants.acknowledge(role.grants_policy.node.default_child)
    security_group = None
    if network is not None:
        security_group = ec2.SecurityGroup(
            scope,
            "SecurityGroup",
            vpc=network.vpc,
            description=network.security_group_description,
            allow_all_outbound=False,
        )
        grants.allow(
            "NetworkInterfacesInPrivateSubnets",
            NETWORK_INTERFACE_ACTIONS,
            ["*"],
            wildcard_reason="What Lambda needs to attach the function to the private subnets (the actions of "
            "AWSLambdaVPCAccessExecutionRole); EC2 grants no resource-level permission for the Describe call and "
            "the interfaces get generated ids.",
        )
    # Lambda decrypts the variables as the function's role when it starts an execution
    # environment, with the function's ARN as encryption context; bound to that context, the
    # role can decrypt nothing else the key protects (S3 objects, volumes: other contexts).
    grants.allow(
        "DecryptOwnEnvironment",
        ("kms:Decrypt",),
        [environment_key.key_arn],
        conditions={
            "ArnLike": {"kms:EncryptionContext:aws:lambda:FunctionArn": this_region_arn(scope, "lambda", "function:*")}
        },
    )
    if dead_letter_queue is not None and dead_letter_queue.encryption_master_key is not None:
        # Lambda sends failed events to the queue as the function's role; SQS encrypts them with this key.
        grants.allow(
            "EncryptDeadLetters",
            ("kms:GenerateDataKey", "kms:Decrypt"),
            [dead_letter_queue.encryption_master_key.key_arn],
        )
    function = lambda_.Function(
        scope,
        "Function",
        description=description,
        runtime=lambda_.Runtime.PYTHON_3_14,
        architecture=lambda_.Architecture.ARM_64,
        handler=handler,
        code=lambda_.Code.from_asset(str(code), exclude=list(code_exclude)),
        timeout=timeout,
        memory_size=memory_size,
        reserved_concurrent_executions=reserved_concurrency,
        role=role,
        log_group=log_group,
        vpc=network.vpc if network else None,
        vpc_subnets=network.subnets if network else None,
        security_groups=[security_group] if security_group else None,
        environment=dict(environment) if environment else None,
        environment_encryption=environment_key,
        tracing=tracing,
        dead_letter_queue=dead_letter_queue,
    )
    resource = function.node.default_child
    drop_redundant_dependency(resource, role.node.default_child)
    if network is not None and is_imported(resource, network.vpc):
        acknowledge_imported_reference(
            resource,
            "lambda_inside_vpc_check",
            "VpcConfig (private subnets of the project's VPC and this function's own security group)",
            network.vpc,
        )
    else:
        acknowledge_compliance(resource, "LambdaInsideVPC", outside_vpc)
        acknowledge(resource, f"{CONTROL_TOWER}lambda_inside_vpc_check", outside_vpc)
    if no_dead_letter_queue is not None:
        for pack in (HIPAA, NIST):
            acknowledge(resource, f"{pack}LambdaDLQ", no_dead_letter_queue)
    if reserved_concurrency is None:
        for pack in (HIPAA, NIST):  # PCI DSS has no concurrency rule
            acknowledge(resource, f"{pack}LambdaConcurrency", NO_RESERVED_CONCURRENCY)
    return PythonFunction(function, role, grants, log_group, security_group)
