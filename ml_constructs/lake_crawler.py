"""The lake's Glue crawler (part of ml_constructs/lake_catalog.py; I7)."""

from __future__ import annotations

import json

from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.lake_security import GlueSecurity
from ml_constructs.lake_tables import CURATED_PREFIX, RAW_PREFIX, LakeTables
from ml_constructs.runtime.lake import schema


class LakeCrawler(Construct):
    """Glue crawler that keeps the lake tables' partitions current (I7).

    Crawls the raw and curated prefixes on a schedule, from inside the VPC, under the Glue
    security configuration; skips Spark/Hive metadata and marker objects; crawls only new
    folders; never changes the declared schema (changes are logged), only adds partitions.
    """

    EXCLUSIONS = ["**.metadata", "**_$folder$", "**/_SUCCESS", "**/_temporary/**"]

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
    ) -> None:
        super().__init__(scope, construct_id)
        self.role, grants = security.role(self, "Role", description="Glue crawler of the event lake")
        grants.allow(
            "ReadLakeObjects",
            ("s3:GetObject",),
            [raw_bucket.arn_for_objects(f"{RAW_PREFIX}*"), curated_bucket.arn_for_objects(f"{CURATED_PREFIX}*")],
            wildcard_reason="Objects under the two table prefixes, named by Firehose and Spark at run time.",
        )
        grants.allow("ListLakeBuckets", ("s3:ListBucket",), [raw_bucket.bucket_arn, curated_bucket.bucket_arn])
        grants.allow(
            "UpdateLakePartitions",
            (
                "glue:GetDatabase",
                "glue:GetTable",
                "glue:UpdateTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
                "glue:CreatePartition",
                "glue:BatchCreatePartition",
                "glue:UpdatePartition",
                "glue:BatchUpdatePartition",
            ),
            [*tables.catalog_arns, tables.table_arn(schema.DATABASE_TABLE), tables.table_arn(schema.CURATED_TABLE)],
        )
        grants.acknowledge(self.role.grants_policy.node.default_child)
        self.crawler = glue.CfnCrawler(
            self,
            "Crawler",
            name=name,
            role=self.role.role_arn,
            database_name=tables.database_name,
            description="Adds new partitions of the raw and curated event tables",
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=bucket.s3_url_for_object(prefix),
                        exclusions=self.EXCLUSIONS,
                        connection_name=security.connection_name,
                    )
                    for bucket, prefix in ((raw_bucket, RAW_PREFIX), (curated_bucket, CURATED_PREFIX))
                ]
            ),
            schedule=glue.CfnCrawler.ScheduleProperty(schedule_expression=schedule),
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"),
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="LOG", delete_behavior="LOG"
            ),
            crawler_security_configuration=security.name,
            configuration=json.dumps(
                {
                    "Version": 1.0,
                    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
                    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
                },
                sort_keys=True,
            ),
        )
        for dependency in (tables.raw_table, tables.curated_table, security.configuration, security.connection):
            self.crawler.add_resource_dependency(dependency)
        self.crawler.add_resource_dependency(self.role.grants_policy.node.default_child)
