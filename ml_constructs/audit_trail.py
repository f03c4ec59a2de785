"""CloudTrail audit of SageMaker and every other API call (pattern N12)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_compliance
from ml_constructs.cfn import drop_redundant_dependency
from ml_constructs.log_group import EncryptedLogGroup
from ml_constructs.secure_bucket import SecureBucket, log_expiry_rule


class AuditTrail(Construct):
    """A CloudTrail trail that records management events for the account (N12).

    - log file integrity validation (CT.CLOUDTRAIL.PR.2) so tampering is detectable;
    - log files encrypted with `encryption_key` (CT.CLOUDTRAIL.PR.1); the key policy gets
      statements that let only this trail of this account use it;
    - delivered to a dedicated SecureBucket (versioned, TLS-only, access-logged) that only
      this trail may write to (aws:SourceArn, against the confused deputy), kept for the log
      retention and optionally under Object Lock so log files cannot be deleted during
      `object_lock_retention`;
    - streamed to an encrypted CloudWatch log group (CT.CLOUDTRAIL.PR.3) for alarms.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        trail_name: str,
        encryption_key: kms.Key,
        logs_key: kms.IKey,
        access_log_bucket: s3.IBucket,
        log_retention: int,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        multi_region: bool = True,
        noncurrent_version_expiration: cdk.Duration = cdk.Duration.days(365),
        object_lock_retention: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        trail_arn = stack.format_arn(service="cloudtrail", resource="trail", resource_name=trail_name)
        self._allow_trail_to_use_key(encryption_key, trail_arn)
        self.bucket = SecureBucket(
            self,
            "LogFiles",
            encryption_key=encryption_key,
            access_log_bucket=access_log_bucket,
            removal_policy=removal_policy,
            noncurrent_version_expiration=noncurrent_version_expiration,
            lifecycle_rules=[log_expiry_rule("ExpireTrailLogFiles", cdk.Duration.days(log_retention))],
            object_lock_retention=(
                s3.ObjectLockRetention.governance(object_lock_retention) if object_lock_retention else None
            ),
        ).bucket
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyCloudTrailDeliveryForOtherTrails",
                effect=iam.Effect.DENY,
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects("*")],
                conditions={"StringNotEquals": {"aws:SourceArn": trail_arn}},
            )
        )
        self.log_group = EncryptedLogGroup(
            self,
            "Events",
            encryption_key=logs_key,
            retention=log_retention,
            removal_policy=removal_policy,
        ).log_group
        self.trail = cloudtrail.Trail(
            self,
            "Trail",
            trail_name=trail_name,
            bucket=self.bucket,
            encryption_key=encryption_key,
            enable_file_validation=True,
            is_multi_region_trail=multi_region,
            include_global_service_events=True,
            management_events=cloudtrail.ReadWriteType.ALL,
            send_to_cloud_watch_logs=True,
            cloud_watch_log_group=self.log_group,
        )
        logs_role = self.trail.node.find_child("LogsRole")
        delivery_policy = logs_role.node.find_child("DefaultPolicy")
        drop_redundant_dependency(self.trail.node.default_child, logs_role.node.default_child)
        acknowledge_compliance(
            delivery_policy.node.default_child,
            "IAMNoInlinePolicy",
            "CDK generates this policy for CloudTrail's CloudWatch Logs delivery role. It allows "
            "only logs:CreateLogStream and logs:PutLogEvents on this trail's own log group and is "
            "bound 1:1 to that role, the case IAM guidance names for inline policies.",
        )

    def _allow_trail_to_use_key(self, key: kms.Key, trail_arn: str) -> None:
        """CloudTrail's key-policy guidance: only this account's named trail may encrypt."""
        stack = cdk.Stack.of(self)
        any_trail_of_account = stack.format_arn(service="cloudtrail", region="*", resource="trail", resource_name="*")
        principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailToEncryptLogs",
                principals=[principal],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": any_trail_of_account},
                    "StringEquals": {"aws:SourceArn": trail_arn},
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailToDescribeKey",
                principals=[principal],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
            )
        )
