"""The project's ML data buckets: stateful, kept apart from the compute that uses them (N10, N11)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.secure_bucket import SecureBucket
from stacks.naming import (
    bucket_name,
    deploy_role_arn,
    inference_role_name,
    pipeline_role_name,
    role_arn,
    training_models_prefix,
)
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

        def data_bucket(
            construct_id: str,
            purpose: str,
            extra_exemptions: tuple[str, ...] = (),
            readers: dict[str, list[str]] | None = None,
        ) -> SecureBucket:
            bucket = SecureBucket(
                self,
                construct_id,
                bucket_name=bucket_name(config, purpose),
                encryption_key=security.data_key,
                access_log_bucket=security.access_log_bucket,
                removal_policy=removal,
                noncurrent_version_expiration=noncurrent,
            )
            bucket.deny_outside_vpc_endpoint(
                endpoint_id, exempt_role_arns=[deploy_role, *extra_exemptions], exempt_readers=readers
            )
            return bucket

        self.datasets = data_bucket("Datasets", "datasets").bucket
        # The training pipeline reads its evaluation report (and registers models) from SageMaker's
        # service with its execution role, not through this VPC: that named role is the exception.
        pipeline_readers = (role_arn(self, pipeline_role_name(config)),) if config.pipelines.enabled else ()
        # A model created from an approved package makes SageMaker read its ModelDataUrl with the
        # model's execution role (the inference role) from SageMaker's service (SageMaker API
        # Reference, ContainerDefinition.ModelDataUrl: "SageMaker uses AWS STS to download model
        # artifacts"): that role may read the registered models' prefix, and nothing else, from there.
        model_readers = (
            {role_arn(self, inference_role_name(config)): [training_models_prefix(config)]}
            if config.pipelines.enabled and config.pipelines.deploy_on_approval.enabled and config.inference.enabled
            else None
        )
        self.artifacts = data_bucket("Artifacts", "artifacts", pipeline_readers, model_readers).bucket
        self.inference: s3.IBucket | None = None
        if config.inference.enabled:
            # SageMaker hosting writes data capture and asynchronous results with the endpoints'
            # execution role from its service, not through this VPC: that named role is the exception.
            self.inference = data_bucket(
                "Inference", "inference", (role_arn(self, inference_role_name(config)),)
            ).bucket
