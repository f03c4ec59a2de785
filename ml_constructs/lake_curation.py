"""The lake's scheduled Glue ETL job (part of ml_constructs/lake_catalog.py; I9)."""

from __future__ import annotations

from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as assets
from constructs import Construct

from ml_constructs.lake_security import GlueSecurity
from ml_constructs.lake_tables import CURATED_PREFIX, LAKE_RUNTIME, RAW_PREFIX, LakeTables, lake_library
from ml_constructs.runtime.lake import schema


class CurationJob(Construct):
    """Scheduled Glue ETL job from the raw to the curated zone (I9).

    PySpark script and the lake library ship as CDK assets; job bookmarks make each run read
    only new raw data; runs in the VPC under the Glue security configuration, one at a time.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        tables: LakeTables,
        raw_bucket: s3.IBucket,
        curated_bucket: s3.IBucket,
        security: GlueSecurity,
        schedule: str,
        workers: int = 2,
        partition_field: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        script = assets.Asset(self, "Script", path=str(LAKE_RUNTIME / "glue_job.py"))
        library = lake_library(self, "Library")
        self.role, grants = security.role(self, "Role", description="Glue curation job of the event lake")
        grants.allow(
            "ReadJobCode",
            ("s3:GetObject",),
            [
                script.bucket.arn_for_objects(script.s3_object_key),
                library.bucket.arn_for_objects(library.s3_object_key),
            ],
        )
        grants.allow(
            "ReadRawEvents",
            ("s3:GetObject",),
            [raw_bucket.arn_for_objects(f"{RAW_PREFIX}*")],
            wildcard_reason="Raw event objects under the raw table's prefix, named by Firehose at run time.",
        )
        grants.allow(
            "WriteCuratedEvents",
            ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
            [curated_bucket.arn_for_objects(f"{CURATED_PREFIX}*")],
            wildcard_reason="Curated objects under the curated table's prefix, named by Spark at run time "
            "(Spark deletes its own temporary files there).",
        )
        grants.allow("ListLakeBuckets", ("s3:ListBucket",), [raw_bucket.bucket_arn, curated_bucket.bucket_arn])
        grants.allow(
            "ReadRawTable",
            ("glue:GetDatabase", "glue:GetTable", "glue:GetPartitions", "glue:GetPartition", "glue:BatchGetPartition"),
            [*tables.catalog_arns, tables.table_arn(schema.DATABASE_TABLE)],
        )
        grants.acknowledge(self.role.grants_policy.node.default_child)
        self.job = glue.CfnJob(
            self,
            "Job",
            name=name,
            description="Raw to curated events: deduplicated, partitioned Parquet",
            role=self.role.role_arn,
            glue_version="5.0",
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=script.s3_object_url
            ),
            worker_type="G.1X",
            number_of_workers=workers,
            timeout=60,
            max_retries=1,
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=1),
            security_configuration=security.name,
            connections=glue.CfnJob.ConnectionsListProperty(connections=[security.connection_name]),
            default_arguments={
                "--job-bookmark-option": "job-bookmark-enable",
                "--enable-metrics": "true",
                "--enable-continuous-cloudwatch-log": "true",
                "--enable-glue-datacatalog": "true",
                "--extra-py-files": library.s3_object_url,
                "--database": tables.database_name,
                "--raw_table": schema.DATABASE_TABLE,
                "--curated_path": curated_bucket.s3_url_for_object(CURATED_PREFIX),
                "--partition_field": partition_field or "none",
            },
        )
        for dependency in (security.configuration, security.connection, self.role.grants_policy.node.default_child):
            self.job.add_resource_dependency(dependency)
        self.trigger = glue.CfnTrigger(
            self,
            "Schedule",
            name=f"{name}-schedule",
            type="SCHEDULED",
            schedule=schedule,
            start_on_creation=True,
            actions=[glue.CfnTrigger.ActionProperty(job_name=name)],
        )
        self.trigger.add_resource_dependency(self.job)
