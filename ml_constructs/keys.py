"""Customer-managed KMS keys with rotation and service-scoped key policies (pattern N11)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class ServiceKey(Construct):
    """A symmetric customer-managed key for one purpose (N11: KMS at rest everywhere).

    Secure by default:
    - yearly automatic rotation (AwsSolutions-KMS5, CT.KMS.PR.1);
    - the account root keeps administration so IAM policies can delegate use, but grants can
      only be created for AWS resources or by AWS services (CT.KMS.PR.3): a principal cannot
      hand its key access to someone else with kms:CreateGrant;
    - services that must use the key directly are added explicitly (`allow_cloudwatch_logs`
      here, the trail's own statements in `AuditTrail`), each bound by encryption context
      to this account and region, so the service cannot use the key on behalf of another
      account (confused deputy).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        alias: str,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        pending_window: cdk.Duration = cdk.Duration.days(30),
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=description,
            alias=alias,
            enable_key_rotation=True,
            removal_policy=removal_policy,
            pending_window=pending_window,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyGrantsExceptForAwsResources",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={
                    "BoolIfExists": {
                        "kms:GrantIsForAWSResource": "false",
                        "aws:PrincipalIsAWSService": "false",
                    }
                },
            )
        )

    def allow_cloudwatch_logs(self) -> None:
        """Let CloudWatch Logs encrypt log groups of this account and region with the key."""
        stack = cdk.Stack.of(self)
        # AWS's example policy also lists kms:Describe*; DescribeKey carries no encryption
        # context, so under this condition it never applied (IAM gate, UnknownConditionKey).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsInThisAccountAndRegion",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )

    def allow_cloudwatch_alarms(self) -> None:
        """Let CloudWatch alarms of this account and region publish to topics encrypted with the key.

        CloudWatch delivers alarm actions with its service principal, which needs the topic's
        data key (SNS Developer Guide, "Enable compatibility between event sources from AWS
        services and encrypted topics"); bound to this account's alarms in this region
        (aws:SourceAccount, aws:SourceArn: confused-deputy prevention).
        """
        stack = cdk.Stack.of(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublishToEncryptedTopics",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": cloudwatch_alarms_arn(stack)},
                },
            )
        )

    def allow_service_publishers(self, *services: str) -> None:
        """Let AWS services of this account publish to SNS topics encrypted with the key.

        CloudWatch alarms and EventBridge rules deliver to encrypted topics with their own
        service principal, which needs the data key of the topic (SNS SSE).
        """
        stack = cdk.Stack.of(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowServicesToPublishToEncryptedTopics",
                principals=[iam.ServicePrincipal(service) for service in services],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )


def cloudwatch_alarms_arn(stack: cdk.Stack) -> str:
    """Every CloudWatch alarm of the stack's account and region (an ArnLike pattern)."""
    return stack.format_arn(
        service="cloudwatch", resource="alarm", resource_name="*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
    )
