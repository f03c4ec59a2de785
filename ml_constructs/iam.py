"""IAM roles whose grants land in a customer-managed policy."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct


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
