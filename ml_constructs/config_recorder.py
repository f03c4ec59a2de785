"""An AWS Config configuration recorder and its delivery channel, for accounts without one (G1).

AWS Config rules evaluate nothing until a configuration recorder records the resources they
check, and AWS allows one customer-managed recorder per account and region (Control Tower and
most organizations already run one: then the profile says `existing` and nothing here is used).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.acknowledgments import AWS_SOLUTIONS, acknowledge
from ml_constructs.iam import ManagedPolicyRole, Statements
from ml_constructs.secure_bucket import SecureBucket, log_expiry_rule

CONFIG_ROLE_POLICY = "service-role/AWS_ConfigRole"


class ConfigRecorder(Construct):
    """A recorder of every supported resource type, started by CloudFormation (G1).

    - the recorder's role is assumed by AWS Config for this account only (aws:SourceAccount)
      and reads resource configurations with the AWS managed policy AWS_ConfigRole, which AWS
      keeps current as Config learns new resource types; its own policy writes only this
      account's Config prefix of the delivery bucket and uses only `encryption_key`;
    - configuration history and snapshots go to a SecureBucket (SSE-KMS with `encryption_key`,
      versioned, TLS only, access-logged), whose policy admits the Config service principal of
      this account to the calls AWS documents for a delivery channel;
    - CloudFormation starts the recorder as soon as the delivery channel exists (CloudFormation
      reference, AWS::Config::ConfigurationRecorder): the channel depends on the recorder, the
      bucket policy and the role's policy, and `started` is what rules depend on.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        encryption_key: kms.IKey,
        access_log_bucket: s3.IBucket,
        retention: cdk.Duration,
        noncurrent_version_expiration: cdk.Duration,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        this_account = {"StringEquals": {"aws:SourceAccount": stack.account}}
        secure_bucket = SecureBucket(
            self,
            "Deliveries",
            encryption_key=encryption_key,
            access_log_bucket=access_log_bucket,
            removal_policy=removal_policy,
            noncurrent_version_expiration=noncurrent_version_expiration,
            lifecycle_rules=[log_expiry_rule("ExpireConfigurationItems", retention)],
        )
        self.bucket = secure_bucket.bucket
        deliveries = self.bucket.arn_for_objects(f"AWSLogs/{stack.account}/Config/*")
        config_service = iam.ServicePrincipal("config.amazonaws.com")
        for sid, action, resource in (
            ("AWSConfigBucketPermissionsCheck", "s3:GetBucketAcl", self.bucket.bucket_arn),
            ("AWSConfigBucketExistenceCheck", "s3:ListBucket", self.bucket.bucket_arn),
        ):
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[config_service],
                    actions=[action],
                    resources=[resource],
                    conditions=this_account,
                )
            )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSConfigBucketDelivery",
                principals=[config_service],
                actions=["s3:PutObject"],
                resources=[deliveries],
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": stack.account,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    }
                },
            )
        )

        self.role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("config.amazonaws.com", conditions=this_account),
            description="AWS Config's configuration recorder: reads resource configurations, delivers them",
            policy_description="Deliver configuration history and snapshots to the recorder's own bucket",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(CONFIG_ROLE_POLICY)],
        )
        acknowledge(
            self.role.node.default_child,
            f"{AWS_SOLUTIONS}IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{CONFIG_ROLE_POLICY}]",
            "AWS_ConfigRole is the policy AWS documents for a configuration recorder's role: read-only "
            "Describe/Get/List calls across the resource types Config records, kept current by AWS as Config "
            "supports new types; a hand-written copy would silently stop recording them.",
        )
        grants = Statements(self.role.add_to_principal_policy)
        grants.allow("CheckDeliveryBucket", ("s3:GetBucketAcl",), [self.bucket.bucket_arn])
        grants.allow(
            "DeliverConfigurationItems",
            ("s3:PutObject",),
            [deliveries],
            conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            wildcard_reason="Config names each history file and snapshot under AWSLogs/<account>/Config/<region>/"
            "<date>/ at delivery time; the statement is limited to this account's Config prefix of the one bucket.",
        )
        grants.allow("EncryptDeliveries", ("kms:GenerateDataKey", "kms:Decrypt"), [encryption_key.key_arn])
        grants.acknowledge(self.role.grants_policy.node.default_child)

        self.recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            name=name,
            role_arn=self.role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True
            ),
        )
        self.delivery_channel = config.CfnDeliveryChannel(
            self,
            "DeliveryChannel",
            name=name,
            s3_bucket_name=self.bucket.bucket_name,
            s3_kms_key_arn=encryption_key.key_arn,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"
            ),
        )
        # Config checks the bucket and the role when the channel is created; the channel's
        # creation is what starts the recorder.
        self.delivery_channel.node.add_dependency(self.recorder, self.bucket.policy, self.role.grants_policy)
        self.started = self.delivery_channel
