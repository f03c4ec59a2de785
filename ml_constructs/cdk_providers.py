"""CDK's own deployment-time custom-resource providers (auto-delete objects, default-SG cleanup).

These are singletons per stack that aws-cdk-lib adds for an L2 feature. Each runs only while
CloudFormation creates, updates or deletes the stack, calls one AWS API family, and must work
before any VPC exists, so it runs outside the VPC. Their handlers' DependsOn on their own role
repeats the GetAtt of the role's ARN (cfn-lint W3005) and is pruned.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from ml_constructs.acknowledgments import CONTROL_TOWER, acknowledge
from ml_constructs.cfn import drop_redundant_dependency

AUTO_DELETE_OBJECTS = "Custom::S3AutoDeleteObjectsCustomResourceProvider"
RESTRICT_DEFAULT_SECURITY_GROUP = "Custom::VpcRestrictDefaultSGCustomResourceProvider"


def settle_provider(scope: Construct, provider_id: str, duty: str) -> None:
    """Prune the provider's redundant DependsOn and acknowledge its one finding with `duty`."""
    provider = cdk.Stack.of(scope).node.try_find_child(provider_id)
    if provider is None:
        return
    handler: cdk.CfnResource = provider.node.find_child("Handler")
    drop_redundant_dependency(handler, provider.node.find_child("Role"))
    acknowledge(
        handler,
        f"{CONTROL_TOWER}lambda_inside_vpc_check",
        f"CDK deployment-time provider: {duty} It runs only while CloudFormation changes this "
        "stack and must work whether or not the private VPC exists, so it runs outside the VPC.",
    )
