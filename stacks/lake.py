"""The event lake's stateful half: zone buckets and the Glue catalog (I4-I8, N10, N11)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.lake_catalog import CatalogEncryption, LakeTables
from ml_constructs.secure_bucket import SecureBucket
from stacks.naming import bucket_name, deploy_role_arn, firehose_role_name, glue_name, role_arn
from stacks.network import NetworkStack
from stacks.security_baseline import SecurityBaselineStack, removal_policy


def lake_lifecycle(config: ProjectConfig) -> list[s3.LifecycleRule]:
    """Standard -> Standard-IA -> Glacier, and optional expiry, for every lake object (I6)."""
    lifecycle = config.ingestion.lifecycle
    transitions = [
        s3.Transition(
            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
            transition_after=cdk.Duration.days(lifecycle.infrequent_access_after_days),
        )
    ]
    if lifecycle.glacier_after_days is not None:
        transitions.append(
            s3.Transition(
                storage_class=s3.StorageClass.GLACIER, transition_after=cdk.Duration.days(lifecycle.glacier_after_days)
            )
        )
    expiry = cdk.Duration.days(lifecycle.expire_after_days) if lifecycle.expire_after_days else None
    return [s3.LifecycleRule(id="AgeLakeObjects", transitions=transitions, expiration=expiry)]


class LakeStack(cdk.Stack):
    """Raw, curated and query-results buckets behind the VPC endpoint; Glue database and tables."""

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
        endpoint_id = network.network.s3_endpoint.vpc_endpoint_id
        deploy_role = deploy_role_arn(self, config)
        lifecycle = lake_lifecycle(config)

        def zone(construct_id: str, purpose: str, extra_exemptions: tuple[str, ...] = ()) -> s3.Bucket:
            bucket = SecureBucket(
                self,
                construct_id,
                bucket_name=bucket_name(config, purpose),
                encryption_key=security.data_key,
                access_log_bucket=security.access_log_bucket,
                removal_policy=removal,
                noncurrent_version_expiration=cdk.Duration.days(config.security.noncurrent_version_expiration_days),
                lifecycle_rules=lifecycle,
            )
            bucket.deny_outside_vpc_endpoint(endpoint_id, exempt_role_arns=[deploy_role, *extra_exemptions])
            return bucket.bucket

        # Firehose delivers from outside the VPC, so its named role is the raw zone's one extra exception.
        self.raw = zone("Raw", "raw", (role_arn(self, firehose_role_name(config)),))
        self.curated = zone("Curated", "curated")
        self.query_results = zone("QueryResults", "athena")
        partition_field = config.ingestion.delivery.partition_field
        self.tables = LakeTables(
            self,
            "Tables",
            database_name=glue_name(config, "lake"),
            raw_bucket=self.raw,
            curated_bucket=self.curated,
            partition_field=partition_field,
        )
        if config.ingestion.catalog_encryption:
            CatalogEncryption(self, "CatalogEncryption", key=security.data_key)
