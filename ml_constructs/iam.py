"""IAM roles whose grants land in a customer-managed policy."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_wildcards

# What SageMaker needs of a role to attach jobs, models and apps to the private subnets (VPC access).
SAGEMAKER_VPC_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)


class ManagedPolicyRole(iam.Role):
    """A role for which `grant_*` calls and `add_to_principal_policy` write a managed policy.

    CDK grants normally add statements to an inline `DefaultPolicy`, which the HIPAA,
    NIST 800-53 and PCI packs reject (IAMNoInlinePolicy): inline policies cannot be
    reviewed, versioned or reused as policy objects. Here the same least-privilege grants,
    wired from resource objects, become a customer-managed policy attached to this role.
    """

    def __init__(self, scope: Construct, construct_id: str, *, policy_description: str, **role_props) -> None:
        super().__init__(scope, construct_id, **role_props)
        self.grants_policy = iam.ManagedPolicy(self, "Grants", description=policy_description, roles=[self])

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        self.grants_policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self.grants_policy)


def this_region_arn(scope: Construct, service: str, resource: str) -> str:
    """An ARN of `service` in the stack's account and region (wildcards in `resource` allowed)."""
    stack = cdk.Stack.of(scope)
    return f"arn:{stack.partition}:{service}:{stack.region}:{stack.account}:{resource}"


class Statements:
    """Allow statements written with the reason for any wildcard beside them.

    `allow(..., wildcard_reason=...)` adds the statement through `add` (a role's
    add_to_principal_policy or a managed policy's add_statements) and records why its
    wildcard actions or resources are needed; `acknowledge(policy)` then acknowledges each
    resulting AwsSolutions-IAM5 finding with that reason (see acknowledge_wildcards).
    """

    def __init__(self, add: Callable[[iam.PolicyStatement], object]) -> None:
        self._add = add
        self._reasons: dict[str, str] = {}

    def allow(
        self,
        sid: str,
        actions: Sequence[str],
        resources: Sequence[str],
        conditions: dict | None = None,
        wildcard_reason: str | None = None,
    ) -> None:
        self._add(iam.PolicyStatement(sid=sid, actions=list(actions), resources=list(resources), conditions=conditions))
        if wildcard_reason is not None:
            self._reasons[sid] = wildcard_reason

    def acknowledge(self, policy: cdk.CfnResource) -> None:
        acknowledge_wildcards(policy, self._reasons)


def allow_sagemaker_execution(grants: Statements, scope: Construct) -> None:
    """What every SageMaker execution role of the project needs to run in the private subnets.

    Logs and metrics under SageMaker's own names, image pulls from the AWS-owned registries
    of this region, and the network interfaces VPC-mode jobs, models and apps use.
    """
    stack = cdk.Stack.of(scope)
    grants.allow(
        "SageMakerLogs",
        ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
        [this_region_arn(scope, "logs", "log-group:/aws/sagemaker/*")],
        wildcard_reason="SageMaker names each job's, endpoint's and app's log group under /aws/sagemaker/ at run "
        "time; the role can write only there, in this account and region.",
    )
    grants.allow(
        "SageMakerMetrics",
        ("cloudwatch:PutMetricData",),
        ["*"],
        {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
        wildcard_reason="cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to "
        "SageMaker's namespaces by condition.",
    )
    grants.allow(
        "RegistryLogin",
        ("ecr:GetAuthorizationToken",),
        ["*"],
        wildcard_reason="ecr:GetAuthorizationToken has no resource-level permissions (registry login).",
    )
    grants.allow(
        "PullImages",
        ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
        [f"arn:{stack.partition}:ecr:{stack.region}:*:repository/*"],
        wildcard_reason="SageMaker's built-in, framework and Model Monitor images live in AWS-owned accounts that "
        "differ by region; pulls are read-only and only in this region.",
    )
    grants.allow(
        "VpcNetworkInterfaces",
        SAGEMAKER_VPC_ACTIONS,
        ["*"],
        wildcard_reason="The EC2 network-interface actions SageMaker needs to place VPC-mode jobs, models and apps "
        "in the private subnets (SageMaker Developer Guide, 'Give SageMaker access to resources in your Amazon "
        "VPC'); the Describe actions have no resource-level permissions and SageMaker creates the interfaces with "
        "generated ids.",
    )


class SageMakerExecutionRole(ManagedPolicyRole):
    """A role SageMaker assumes, for this account only, to run the project's jobs, models or apps.

    It starts with what every such role needs in the private subnets (allow_sagemaker_execution);
    `statements` adds the rest, each wildcard with its reason.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        policy_description: str,
        role_name: str | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            role_name=role_name,
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}},
            ),
            description=description,
            policy_description=policy_description,
        )
        self.statements = Statements(self.add_to_principal_policy)
        allow_sagemaker_execution(self.statements, self)

    def use_data_key(self, key_arn: str) -> None:
        """Encrypt and decrypt with the data key, and let SageMaker attach it to volumes (grants
        for AWS resources only) of the jobs, models and apps this role runs (N11)."""
        self.statements.allow(
            "DataKeyForVolumesAndOutputs",
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
            [key_arn],
        )
        self.statements.allow(
            "DataKeyGrantsForSageMakerVolumes",
            ("kms:CreateGrant",),
            [key_arn],
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
