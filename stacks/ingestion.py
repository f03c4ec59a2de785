"""Streaming ingestion into the lake, and the Glue and Athena work over it (I1-I3, I7-I11)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.lake_catalog import CurationJob, GlueSecurity, LakeCrawler, LakeWorkgroup
from ml_constructs.streaming import EventStream, LakeDeliveryStream, TransformFunction
from stacks.lake import LakeStack
from stacks.naming import firehose_role_name, resource_prefix
from stacks.network import NetworkStack
from stacks.security_baseline import SecurityBaselineStack, removal_policy


class IngestionStack(cdk.Stack):
    """Kinesis stream, transformation Lambda, Firehose, Glue crawler and job, Athena workgroup."""

    INTERFACE_ENDPOINTS = {
        "kinesis-streams": "producers in the VPC writing to the event stream",
        "kinesis-firehose": "producers in the VPC writing to the delivery stream",
        "glue": "the Glue crawler and job inside the VPC, and notebooks reading the catalog",
        "athena": "notebooks querying the lake",
        "sts": "credentials of the Glue roles inside the VPC",
        "logs": "Glue logs from inside the VPC",
        "kms": "the project's keys, from Glue inside the VPC",
    }

    @classmethod
    def interface_endpoints_for(cls, config: ProjectConfig) -> dict[str, str]:
        """Glue's set always; producers in the VPC write to the stream when there is one (a delivery
        stream with a Kinesis source takes no direct puts), else to Firehose; Athena only for the
        workspace's notebooks and Studio."""
        if not config.ingestion.enabled:
            return {}
        names = ["glue", "sts", "logs", "kms"]
        names.append("kinesis-streams" if config.ingestion.stream.enabled else "kinesis-firehose")
        if config.workspace.enabled:
            names.append("athena")
        return {name: cls.INTERFACE_ENDPOINTS[name] for name in names}

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        network: NetworkStack,
        lake: LakeStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        net = network.network
        net.require_endpoints(self.interface_endpoints_for(config), "the ingestion stack")
        ingestion = config.ingestion
        delivery = ingestion.delivery
        prefix = resource_prefix(config)
        removal = removal_policy(config)
        retention = config.security.log_retention_days

        self.stream = None
        if ingestion.stream.enabled:
            stream = ingestion.stream
            self.stream = EventStream(
                self,
                "EventStream",
                stream_name=f"{prefix}events",
                key=security.data_key,
                retention=cdk.Duration.hours(stream.retention_hours),
                shard_count=(stream.shard_count or stream.required_shards()) if stream.mode == "provisioned" else None,
                removal_policy=removal,
            ).stream
        self.transform = TransformFunction(
            self,
            "Transform",
            vpc=net.vpc,
            subnets=net.workload_subnets,
            logs_key=security.logs_key,
            log_retention=retention,
            timeout=cdk.Duration.seconds(ingestion.transform.timeout_seconds),
            memory_mb=ingestion.transform.memory_mb,
            environment_key=security.data_key,
            reserved_concurrency=(
                ingestion.transform.reserved_concurrency if config.deploy.lambda_reserved_concurrency else None
            ),
            partition_field=delivery.partition_field,
            removal_policy=removal,
        )
        self.delivery = LakeDeliveryStream(
            self,
            "Delivery",
            delivery_stream_name=f"{prefix}events",
            bucket=lake.raw,
            table=lake.tables.raw_table,
            data_key=security.data_key,
            logs_key=security.logs_key,
            log_retention=retention,
            transform=self.transform.function,
            role_name=firehose_role_name(config),
            partitioning=delivery.partitioning,
            partition_field=delivery.partition_field,
            buffer_mb=delivery.buffer_mb,
            buffer_seconds=delivery.buffer_seconds,
            source_stream=self.stream,
            removal_policy=removal,
        )
        glue_security = GlueSecurity(
            self,
            "GlueSecurity",
            name=f"{prefix}lake",
            data_key=security.data_key,
            logs_key=security.logs_key,
            subnet=net.vpc.select_subnets(subnet_group_name="Workloads").subnets[0],
            security_group=net.workload_security_group,
        )
        self.crawler = LakeCrawler(
            self,
            "Crawler",
            name=f"{prefix}lake-crawler",
            tables=lake.tables,
            raw_bucket=lake.raw,
            curated_bucket=lake.curated,
            security=glue_security,
            schedule=ingestion.crawler_schedule,
        )
        self.curation = CurationJob(
            self,
            "Curation",
            name=f"{prefix}lake-curation",
            tables=lake.tables,
            raw_bucket=lake.raw,
            curated_bucket=lake.curated,
            security=glue_security,
            schedule=ingestion.etl_schedule,
            workers=ingestion.etl_workers,
            partition_field=delivery.partition_field,
        )
        self.workgroup = LakeWorkgroup(
            self,
            "Athena",
            name=f"{prefix}lake",
            database_name=lake.tables.database_name,
            results_bucket=lake.query_results,
            key=security.data_key,
            bytes_scanned_cutoff=ingestion.athena_bytes_scanned_cutoff_mb * 1024 * 1024,
            removal_policy=removal,
        )
