"""The project's ML data buckets: stateful, kept apart from the compute that uses them (N10, N11)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.secure_bucket import SecureBucket
from stacks.naming import bucket_name, deploy_role_arn, inference_role_name, pipeline_role_name, role_arn
from stacks.network import NetworkStack
from stacks.security_baseline import SecurityBaselineStack, removal_policy


class DataStack(cdk.Stack):
    """`datasets` (training data), `artifacts` (models, job outputs, notebooks' wheelhouse) and,
    with inference, `inference` (data capture, asynchronous results, monitoring reports).

    Both buckets are KMS-encrypted with the data key and refuse requests that do not come
    through the private network's S3 endpoint, except for the deployment role (N10).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        network: NetworkStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = removal_policy(config)
        noncurrent = cdk.Duration.days(config.security.noncurrent_version_expiration_days)
        endpoint_id = network.network.s3_endpoint.vpc_endpoint_id
        deploy_role = deploy_role_arn(self, config)

        def data_bucket(construct_id: str, purpose: str, extra_exemptions: tuple[str, ...] = ()) -> SecureBucket:
            bucket = SecureBucket(
                self,
                construct_id,
                bucket_name=bucket_name(config, purpose),
                encryption_key=security.data_key,
                access_log_bucket=security.access_log_bucket,
                removal_policy=removal,
                noncurrent_version_expiration=noncurrent,
            )
            bucket.deny_outside_vpc_endpoint(endpoint_id, exempt_role_arns=[deploy_role, *extra_exemptions])
            return bucket

        self.datasets = data_bucket("Datasets", "datasets").bucket
        # The training pipeline reads its evaluation report (and registers models) from SageMaker's
        # service with its execution role, not through this VPC: that named role is the exception.
        pipeline_readers = (role_arn(self, pipeline_role_name(config)),) if config.pipelines.enabled else ()
        self.artifacts = data_bucket("Artifacts", "artifacts", pipeline_readers).bucket
        self.inference: s3.IBucket | None = None
        if config.inference.enabled:
            # SageMaker hosting writes data capture and asynchronous results with the endpoints'
            # execution role from its service, not through this VPC: that named role is the exception.
            self.inference = data_bucket(
                "Inference", "inference", (role_arn(self, inference_role_name(config)),)
            ).bucket
