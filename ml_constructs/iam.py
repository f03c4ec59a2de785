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
