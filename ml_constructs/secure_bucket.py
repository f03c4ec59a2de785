"""S3 buckets every stack reuses: a KMS data bucket and the server-access-log bucket (N10, N11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.acknowledgments import (
    CONTROL_TOWER,
    acknowledge,
    acknowledge_compliance,
    acknowledge_imported_reference,
    is_imported,
)
from ml_constructs.cdk_providers import AUTO_DELETE_OBJECTS, settle_provider

_INCOMPLETE_UPLOADS = cdk.Duration.days(7)
_AUTO_DELETE_DUTY = (
    "empties this stack's buckets when a profile with removal_policy: destroy deletes the stack "
    "(production never creates it); it calls only S3 list and delete APIs."
)

_REPLICATION_REASON = (
    "Replication is a disaster-recovery control. The project keeps each profile's data in "
    "its one configured region (data residency); recovery within the region relies on S3's "
    "multi-AZ durability plus versioning with noncurrent-version retention. Pass "
    "replication_rules to add cross-region replication."
)
_OBJECT_LOCK_REASON = (
    "Object Lock makes object versions undeletable. This bucket must honour deletion "
    "(erasure requests for training data, sandbox teardown); versioning with "
    "noncurrent-version retention protects against overwrite and accidental deletion."
)


def _base_rules(noncurrent_version_expiration: cdk.Duration) -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(
            id="AbortIncompleteMultipartUploads",
            abort_incomplete_multipart_upload_after=_INCOMPLETE_UPLOADS,
        ),
        s3.LifecycleRule(
            id="ExpireNoncurrentVersions",
            noncurrent_version_expiration=noncurrent_version_expiration,
            expired_object_delete_marker=True,
        ),
    ]


def log_expiry_rule(rule_id: str, retention: cdk.Duration) -> s3.LifecycleRule:
    """Expire log objects after `retention`, moving them to Glacier after 90 days when kept long.

    Logs are rarely read after the first quarter; Glacier is worth its retrieval delay and
    minimum storage duration only when they are kept for more than half a year.
    """
    transitions = None
    if retention.to_days() > 180:
        transitions = [s3.Transition(storage_class=s3.StorageClass.GLACIER, transition_after=cdk.Duration.days(90))]
    return s3.LifecycleRule(id=rule_id, expiration=retention, transitions=transitions)


def _send_events_to_eventbridge(bucket: s3.Bucket) -> None:
    """Object-level events to EventBridge (CT.S3.PR.4), set on the bucket resource itself.

    The L2 `event_bridge_enabled` prop deploys a notification custom resource (a Lambda
    function outside any VPC, with an AWS managed policy); the CloudFormation property does
    the same without any extra compute.
    """
    resource: s3.CfnBucket = bucket.node.default_child
    resource.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
    )


def _acknowledge_optional_controls(
    bucket: s3.Bucket, *, replicated: bool, object_locked: bool, object_lock_reason: str = _OBJECT_LOCK_REASON
) -> None:
    resource = bucket.node.default_child
    if not replicated:
        acknowledge_compliance(resource, "S3BucketReplicationEnabled", _REPLICATION_REASON)
    if not object_locked:
        acknowledge(resource, f"{CONTROL_TOWER}s3_bucket_object_lock_enabled_check", object_lock_reason)


class SecureBucket(Construct):
    """A data bucket with the project's S3 controls built in (N10, N11).

    - SSE-KMS with a customer-managed key and an S3 bucket key (N11), SSE-C uploads blocked;
    - TLS only, TLS 1.2 minimum (N10): the bucket policy denies aws:SecureTransport=false;
    - all public access blocked, ACLs disabled (object ownership: bucket owner enforced);
    - versioning, with lifecycle rules that abort incomplete multipart uploads after 7 days
      and expire noncurrent versions after `noncurrent_version_expiration`, plus any
      `lifecycle_rules` the caller adds (transitions, expiry);
    - server access logs to the shared access-log bucket, under a per-bucket prefix with
      date-partitioned keys so Athena can prune them;
    - object-level events to EventBridge (no notification Lambda), so later stacks can react
      to uploads;
    - removal policy chosen by the caller (the profile), with auto-delete only when destroying.

    Replication and Object Lock are opt-in (`replication_rules`, `object_lock_retention`);
    while off, their findings are acknowledged here with the reason they are off.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        access_log_bucket: s3.IBucket,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        noncurrent_version_expiration: cdk.Duration = cdk.Duration.days(90),
        lifecycle_rules: Sequence[s3.LifecycleRule] = (),
        object_lock_retention: s3.ObjectLockRetention | None = None,
        replication_rules: Sequence[s3.ReplicationRule] = (),
        bucket_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        destroy = removal_policy == cdk.RemovalPolicy.DESTROY
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            blocked_encryption_types=[s3.BlockedEncryptionType.SSE_C],
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[*_base_rules(noncurrent_version_expiration), *lifecycle_rules],
            server_access_logs_bucket=access_log_bucket,
            server_access_logs_prefix=f"{cdk.Names.unique_id(self)}/",
            target_object_key_format=s3.TargetObjectKeyFormat.partitioned_prefix(s3.PartitionDateSource.EVENT_TIME),
            object_lock_enabled=object_lock_retention is not None or None,
            object_lock_default_retention=object_lock_retention,
            replication_rules=list(replication_rules) or None,
            removal_policy=removal_policy,
            auto_delete_objects=destroy,
        )
        _send_events_to_eventbridge(self.bucket)
        settle_provider(self, AUTO_DELETE_OBJECTS, _AUTO_DELETE_DUTY)
        if is_imported(self, access_log_bucket):
            acknowledge_imported_reference(
                self.bucket.node.default_child,
                "s3_bucket_logging_enabled_check",
                "LoggingConfiguration.DestinationBucketName (the project's access-log bucket)",
                access_log_bucket,
            )
        _acknowledge_optional_controls(
            self.bucket,
            replicated=bool(replication_rules),
            object_locked=object_lock_retention is not None,
        )

    def deny_outside_vpc_endpoint(
        self,
        vpc_endpoint_id: str,
        *,
        exempt_role_arns: Sequence[str],
        exempt_readers: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Refuse every request that does not come through the project's S3 endpoint (N10).

        The network perimeter of AWS's data-perimeter guidance, as one Deny statement:
        denied unless the request arrives through `vpc_endpoint_id`, or is made by an AWS
        service principal or through an AWS service on a caller's behalf, or by one of the
        narrow exceptions: `exempt_role_arns` (the deployment role that creates, updates and
        tears down the stack), this stack's auto-delete provider (teardown in profiles that
        destroy data), and the account's service-linked roles (AWS Config, Access Analyzer).

        `exempt_readers` maps a role ARN to object key prefixes it may read (s3:GetObject only)
        from outside the endpoint: a SageMaker execution role whose session SageMaker uses from
        its own network (a model's ModelDataUrl). Every other request of that role still has to
        come through the endpoint (two more Deny statements, scoped to it by aws:PrincipalArn).
        """
        stack = cdk.Stack.of(self)
        exempt = [
            *exempt_role_arns,
            f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/*",
        ]
        provider = stack.node.try_find_child(AUTO_DELETE_OBJECTS)
        if provider is not None:
            exempt.append(cdk.Token.as_string(provider.node.find_child("Role").get_att("Arn")))
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOutsideTheProjectVpcEndpoint",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEqualsIfExists": {"aws:SourceVpce": vpc_endpoint_id},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
                    "ArnNotLikeIfExists": {"aws:PrincipalArn": [*exempt, *(exempt_readers or {})]},
                },
            )
        )
        for index, (reader, prefixes) in enumerate((exempt_readers or {}).items()):
            outside = {
                "StringNotEqualsIfExists": {"aws:SourceVpce": vpc_endpoint_id},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
                "ArnLike": {"aws:PrincipalArn": reader},
            }
            suffix = str(index) if index else ""
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"DenyReaderOutsideTheEndpointButReads{suffix}",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    not_actions=["s3:GetObject"],
                    resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
                    conditions=outside,
                )
            )
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"DenyReaderOutsideTheEndpointBeyondItsPrefixes{suffix}",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:GetObject"],
                    not_resources=[self.bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
                    conditions=outside,
                )
            )


_NO_SELF_LOGGING = (
    "This is the server access log destination; logging its own requests into itself "
    "would create an endless loop of log objects, which the S3 User Guide warns against. "
    "Changes to it are recorded by CloudTrail management events."
)


@jsii.implements(cdk.IAspect)
class _AcknowledgeDestinationWithoutLocalSources:
    """cdk-nag recognises a log destination only when a bucket in the same stack logs to it.

    When every source bucket lives in another stack (e.g. the trail is switched off), the
    destination is reported for lacking access logs of its own; acknowledge exactly then.
    """

    def __init__(self, resource: s3.CfnBucket) -> None:
        self._path = resource.node.path

    def visit(self, node: Construct) -> None:
        if node.node.path != self._path:
            return
        stack = cdk.Stack.of(node)
        ref = stack.resolve(node.ref)
        for child in stack.node.find_all():
            if isinstance(child, s3.CfnBucket) and child.node.path != self._path:
                logging = stack.resolve(child.logging_configuration) or {}
                if logging.get("destinationBucketName") == ref:
                    return
        acknowledge(node, "AwsSolutions::AwsSolutions-S1", _NO_SELF_LOGGING)
        acknowledge_compliance(node, "S3BucketLoggingEnabled", _NO_SELF_LOGGING)


class AccessLogBucket(Construct):
    """Destination of S3 server access logs for every bucket of a stack set (N10, N12).

    S3 delivers server access logs only to a destination whose default encryption is
    SSE-S3 (the S3 User Guide: "default server-side encryption with AWS KMS keys (SSE-KMS)
    is not supported" for the destination bucket), so this bucket is the one place the
    project uses SSE-S3; the findings that expect SSE-KMS are acknowledged with that reason.
    Log delivery is granted by bucket policy to logging.s3.amazonaws.com (no ACLs), for this
    account's buckets only; lifecycle
    moves logs to Glacier after 90 days when they are kept longer than 180, and expires them
    after `expiration`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        expiration: cdk.Duration,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        noncurrent_version_expiration: cdk.Duration = cdk.Duration.days(30),
    ) -> None:
        super().__init__(scope, construct_id)
        destroy = removal_policy == cdk.RemovalPolicy.DESTROY
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            blocked_encryption_types=[s3.BlockedEncryptionType.SSE_C],
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                *_base_rules(noncurrent_version_expiration),
                log_expiry_rule("ExpireAccessLogs", expiration),
            ],
            removal_policy=removal_policy,
            auto_delete_objects=destroy,
        )
        # CDK grants log delivery for source buckets in other stacks without aws:SourceArn or
        # aws:SourceAccount (a reference back would be a cycle); this keeps other accounts'
        # buckets from delivering their logs here (confused deputy).
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyLogDeliveryForOtherAccounts",
                effect=iam.Effect.DENY,
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects("*")],
                conditions={"StringNotEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            )
        )
        _send_events_to_eventbridge(self.bucket)
        settle_provider(self, AUTO_DELETE_OBJECTS, _AUTO_DELETE_DUTY)
        resource = self.bucket.node.default_child
        sse_s3_only = (
            "S3 server access log delivery does not support SSE-KMS default encryption on the "
            "destination bucket (S3 User Guide, 'Enabling server access logging'); this bucket "
            "holds only access logs, encrypted with SSE-S3, TLS-only and private."
        )
        acknowledge_compliance(resource, "S3DefaultEncryptionKMS", sse_s3_only)
        acknowledge(resource, f"{CONTROL_TOWER}s3_bucket_default_encryption_kms_check", sse_s3_only)
        acknowledge(resource, f"{CONTROL_TOWER}s3_bucket_logging_enabled_check", _NO_SELF_LOGGING)
        cdk.Aspects.of(self).add(_AcknowledgeDestinationWithoutLocalSources(resource))
        _acknowledge_optional_controls(
            self.bucket,
            replicated=False,
            object_locked=False,
            object_lock_reason=(
                "Access logs must expire when the lifecycle rule says so, and the sandbox "
                "profile must be able to empty this bucket; Object Lock would prevent both. "
                "Versioning keeps overwritten or deleted log objects recoverable."
            ),
        )
