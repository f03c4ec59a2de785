"""S3 buckets every stack reuses: a KMS data bucket and the server-access-log bucket (N10, N11)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.acknowledgments import CONTROL_TOWER, acknowledge, acknowledge_compliance
from ml_constructs.cfn import drop_redundant_dependency

_INCOMPLETE_UPLOADS = cdk.Duration.days(7)
_AUTO_DELETE_PROVIDER = "Custom::S3AutoDeleteObjectsCustomResourceProvider"

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


def _settle_auto_delete_provider(scope: Construct) -> None:
    """The provider CDK adds for `auto_delete_objects` (only when the profile destroys data).

    Its handler's DependsOn on its own role repeats what the GetAtt of the role's ARN already
    enforces (cfn-lint W3005), so it is dropped; its one policy finding is acknowledged.
    """
    provider = cdk.Stack.of(scope).node.try_find_child(_AUTO_DELETE_PROVIDER)
    if provider is None:
        return
    handler: cdk.CfnResource = provider.node.find_child("Handler")
    drop_redundant_dependency(handler, provider.node.find_child("Role"))
    acknowledge(
        handler,
        f"{CONTROL_TOWER}lambda_inside_vpc_check",
        "CDK's auto-delete-objects provider exists only in profiles with removal_policy: "
        "destroy. It runs at stack deletion, calls only S3 APIs to empty this stack's own "
        "buckets, and must work whether or not the private VPC still exists, so it runs "
        "outside the VPC. Profiles that retain data do not create it.",
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
    ) -> None:
        super().__init__(scope, construct_id)
        destroy = removal_policy == cdk.RemovalPolicy.DESTROY
        self.bucket = s3.Bucket(
            self,
            "Bucket",
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
        _settle_auto_delete_provider(self)
        _acknowledge_optional_controls(
            self.bucket,
            replicated=bool(replication_rules),
            object_locked=object_lock_retention is not None,
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
    Log delivery is granted by bucket policy to logging.s3.amazonaws.com (no ACLs); lifecycle
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
        _send_events_to_eventbridge(self.bucket)
        _settle_auto_delete_provider(self)
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
