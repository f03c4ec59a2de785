"""The execution role of SageMaker hosting: models, endpoints and monitoring jobs (see ml_constructs/inference.py)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as assets
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_constructs.iam import SageMakerExecutionRole


class InferenceRole(Construct):
    """The execution role SageMaker models, endpoints and monitoring jobs run with.

    It reads exactly the shipped artifacts and baseline, writes only the inference bucket's
    capture, asynchronous-result and report prefixes, uses the data key for volumes and
    outputs, publishes only to the project's inference topics, and may pull images and place
    network interfaces in the VPC. It has a fixed name: the inference bucket, which otherwise
    admits requests only through the VPC endpoint, names it as the one writer from SageMaker's
    hosting service.
    """

    def __init__(self, scope: Construct, construct_id: str, *, role_name: str) -> None:
        super().__init__(scope, construct_id)
        self.role = SageMakerExecutionRole(
            self,
            "Role",
            role_name=role_name,
            description="SageMaker models, endpoints and monitoring jobs of the inference stack",
            policy_description="Inference: shipped artifacts, inference bucket, data key, images, VPC",
        )
        self.grants = self.role.statements

    def read(self, sid: str, *items: assets.Asset) -> None:
        self.grants.allow(sid, ("s3:GetObject",), [a.bucket.arn_for_objects(a.s3_object_key) for a in items])

    def finish(
        self, *, output_bucket: s3.IBucket, prefixes: Sequence[str], data_key: kms.IKey, topics: Sequence[sns.ITopic]
    ) -> None:
        """Grants that need the whole stack's resources, then the wildcard acknowledgments."""
        self.grants.allow(
            "WriteInferenceOutputs",
            ("s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"),
            [output_bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
            wildcard_reason="Objects under the inference bucket's capture, asynchronous-result and report prefixes, "
            "named by SageMaker per request and per job.",
        )
        self.grants.allow("ListInferenceBucket", ("s3:ListBucket", "s3:GetBucketLocation"), [output_bucket.bucket_arn])
        self.role.use_data_key(data_key.key_arn)
        if topics:
            self.grants.allow("PublishInferenceNotifications", ("sns:Publish",), [t.topic_arn for t in topics])
            # SageMaker publishes asynchronous results as this role; SNS then encrypts each message
            # with the topic's key on the publisher's behalf, so the publisher needs the key too (SNS
            # Developer Guide, "Managing Amazon SNS encryption keys": publishers to an SSE topic need
            # kms:GenerateDataKey* and kms:Decrypt on its key), and only through SNS.
            keys = list(dict.fromkeys(t.master_key.key_arn for t in topics if t.master_key is not None))
            if keys:
                stack = cdk.Stack.of(self)
                self.grants.allow(
                    "NotificationsKeyThroughSns",
                    ("kms:GenerateDataKey*", "kms:Decrypt"),
                    keys,
                    {"StringEquals": {"kms:ViaService": f"sns.{stack.region}.amazonaws.com"}},
                    wildcard_reason="kms:GenerateDataKey* as the SNS Developer Guide lists it for publishers to "
                    "encrypted topics; only on the topics' key and only through SNS in this region.",
                )
        self.grants.acknowledge(self.role.grants_policy.node.default_child)
