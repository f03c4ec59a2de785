"""The lake's Glue catalog, crawler, curation job and Athena workgroup (patterns I4, I5, I7-I10).

Glue and Athena have no L2 constructs in aws-cdk-lib, so these wrap the L1 resources with
the project's defaults: everything encrypted with the project's keys, Glue work inside the
private network, and the schema from ml_constructs.runtime.lake.schema.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as assets
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_imported_reference, is_imported
from ml_constructs.iam import ManagedPolicyRole, Statements, this_region_arn
from ml_constructs.runtime.lake import queries, schema

LAKE_RUNTIME = Path(__file__).resolve().parent / "runtime" / "lake"
# The lake package ships as one zip (Lambda code, Glue --extra-py-files); bytecode caches
# would make the asset hash, and so the templates, depend on who ran the tests.
LIBRARY_EXCLUDE = ["__pycache__", "*.pyc", "glue_job.py"]
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
RAW_PREFIX = "events/"
CURATED_PREFIX = "events_curated/"


def lake_library(scope: Construct, construct_id: str) -> assets.Asset:
    """The lake package (schema, transform, curate, queries) as one asset zip."""
    return assets.Asset(scope, construct_id, path=str(LAKE_RUNTIME), exclude=LIBRARY_EXCLUDE)


class LakeTables(Construct):
    """Glue database with the raw and curated event tables, partitioned Hive-style (I4, I5, I7).

    The raw table is the schema Firehose converts JSON into Parquet with; the curated table
    adds the columns the curation job derives. Partition keys are year/month/day/hour (as
    strings, as they appear in the S3 prefix) and the optional extra partition column.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database_name: str,
        raw_bucket: s3.IBucket,
        curated_bucket: s3.IBucket,
        partition_field: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        account = cdk.Stack.of(self).account
        self.database_name = database_name
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name, description="Secure ML reference architecture: event lake (raw and curated zones)"
            ),
        )
        keys = schema.partition_keys(partition_field)
        self.raw_table = self._table(
            "RawEvents",
            schema.DATABASE_TABLE,
            "Events as Firehose delivered them (JSON converted to Parquet)",
            schema.data_columns(partition_field),
            keys,
            raw_bucket.s3_url_for_object(RAW_PREFIX),
        )
        curated_columns = tuple(c for c in schema.CURATED_COLUMNS if c.name != partition_field)
        self.curated_table = self._table(
            "CuratedEvents",
            schema.CURATED_TABLE,
            "Deduplicated events with derived columns, written by the curation job",
            curated_columns,
            keys,
            curated_bucket.s3_url_for_object(CURATED_PREFIX),
        )

    def _table(
        self,
        construct_id: str,
        name: str,
        description: str,
        columns: Sequence[schema.Column],
        partition_keys: Sequence[str],
        location: str,
    ) -> glue.CfnTable:
        table = glue.CfnTable(
            self,
            construct_id,
            catalog_id=cdk.Stack.of(self).account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=name,
                description=description,
                table_type="EXTERNAL_TABLE",
                parameters={"classification": "parquet", "EXTERNAL": "TRUE"},
                partition_keys=[
                    glue.CfnTable.ColumnProperty(name=key, type="string", comment=f"Partition: {key}")
                    for key in partition_keys
                ],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[
                        glue.CfnTable.ColumnProperty(name=c.name, type=c.glue_type, comment=c.comment) for c in columns
                    ],
                    location=location,
                    input_format=PARQUET_INPUT,
                    output_format=PARQUET_OUTPUT,
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=PARQUET_SERDE, parameters={"serialization.format": "1"}
                    ),
                    compressed=True,
                ),
            ),
        )
        table.add_resource_dependency(self.database)
        return table

    def table_arn(self, table_name: str) -> str:
        return this_region_arn(self, "glue", f"table/{self.database_name}/{table_name}")

    @property
    def catalog_arns(self) -> list[str]:
        """The catalog and database ARNs Glue and Firehose check besides the table's own."""
        return [
            this_region_arn(self, "glue", "catalog"),
            this_region_arn(self, "glue", f"database/{self.database_name}"),
        ]


class CatalogEncryption(Construct):
    """Data Catalog encryption at rest and of connection passwords, with the data key (I8).

    The setting is one per account and region; the profile switch turns this off where
    another stack already owns it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        glue.CfnDataCatalogEncryptionSettings(
            self,
            "Settings",
            catalog_id=cdk.Stack.of(self).account,
            data_catalog_encryption_settings=glue.CfnDataCatalogEncryptionSettings.DataCatalogEncryptionSettingsProperty(
                encryption_at_rest=glue.CfnDataCatalogEncryptionSettings.EncryptionAtRestProperty(
                    catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=key.key_arn
                ),
                connection_password_encryption=glue.CfnDataCatalogEncryptionSettings.ConnectionPasswordEncryptionProperty(
                    return_connection_password_encrypted=True, kms_key_id=key.key_arn
                ),
            ),
        )


class GlueSecurity(Construct):
    """Glue security configuration and network connection shared by the crawler and the job (I8).

    S3 output SSE-KMS and job bookmarks CSE-KMS with the data key, CloudWatch logs with the
    logs key; the NETWORK connection places Glue's workers in a private subnet with the
    workload security group, so their S3 traffic passes the VPC endpoint the lake buckets
    require.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        subnet: ec2.ISubnet,
        security_group: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        cfg = glue.CfnSecurityConfiguration
        self.configuration = cfg(
            self,
            "Configuration",
            name=name,
            encryption_configuration=cfg.EncryptionConfigurationProperty(
                s3_encryptions=[cfg.S3EncryptionProperty(s3_encryption_mode="SSE-KMS", kms_key_arn=data_key.key_arn)],
                cloud_watch_encryption=cfg.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=logs_key.key_arn
                ),
                job_bookmarks_encryption=cfg.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=data_key.key_arn
                ),
            ),
        )
        self.name = name
        self.connection = glue.CfnConnection(
            self,
            "Connection",
            catalog_id=cdk.Stack.of(self).account,
            connection_input=glue.CfnConnection.ConnectionInputProperty(
                name=f"{name}-network",
                description="Glue workers in a private subnet of the project's VPC",
                connection_type="NETWORK",
                physical_connection_requirements=glue.CfnConnection.PhysicalConnectionRequirementsProperty(
                    subnet_id=subnet.subnet_id,
                    availability_zone=subnet.availability_zone,
                    security_group_id_list=[security_group.security_group_id],
                ),
            ),
        )
        self.connection_name = f"{name}-network"
        self.keys = (data_key, logs_key)

    def role(self, scope: Construct, construct_id: str, *, description: str) -> tuple[ManagedPolicyRole, Statements]:
        """A Glue service role with what every Glue run here needs: keys, logs, the VPC connection."""
        role = ManagedPolicyRole(
            scope,
            construct_id,
            assumed_by=iam.ServicePrincipal(
                "glue.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}},
            ),
            description=description,
            policy_description=f"{description}: lake data, catalog, keys, logs, VPC connection",
        )
        grants = Statements(role.add_to_principal_policy)
        data_key, logs_key = self.keys
        grants.allow(
            "ProjectKeys",
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
            [data_key.key_arn, logs_key.key_arn],
        )
        grants.allow(
            "GlueLogs",
            ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"),
            [this_region_arn(self, "logs", "log-group:/aws-glue/*")],
            wildcard_reason="Glue names each crawler's and job's log group under /aws-glue/ at run time "
            "(with the security configuration's name); writes only there.",
        )
        grants.allow(
            "ConnectionNetworkInterfaces",
            (
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeRouteTables",
                "ec2:DescribeVpcAttribute",
            ),
            ["*"],
            wildcard_reason="The EC2 calls Glue makes to place workers in the private subnet through the "
            "NETWORK connection (Glue Developer Guide, VPC access); Describe calls have no resource-level "
            "permissions and the interfaces get generated ids.",
        )
        # As AWS's own AWSGlueServiceRole (there on any region and account, here on this stack's):
        # Glue may tag only interfaces, security groups and instances, and only with its one service
        # tag key, never any other EC2 resource or tag.
        stack = cdk.Stack.of(self)
        grants.allow(
            "GlueServiceTagsOnly",
            ("ec2:CreateTags", "ec2:DeleteTags"),
            [
                stack.format_arn(service="ec2", resource=kind, resource_name="*")
                for kind in ("network-interface", "security-group", "instance")
            ],
            conditions={"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}},
            wildcard_reason="Glue tags the interfaces, security groups and instances it creates for the "
            "NETWORK connection with its service tag; ids are generated, and the tag-key condition "
            "(as in AWS's AWSGlueServiceRole) allows no other tag.",
        )
        grants.allow(
            "UseConnection",
            ("glue:GetConnection",),
            [
                this_region_arn(self, "glue", "catalog"),
                this_region_arn(self, "glue", f"connection/{self.connection_name}"),
            ],
        )
        return role, grants


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


class LakeWorkgroup(Construct):
    """Athena workgroup for the lake and its named queries (I10).

    Enforces its configuration (clients cannot override the result location or encryption),
    engine version 3, results SSE-KMS with the data key in the results bucket, a
    bytes-scanned cutoff per query, CloudWatch metrics; named queries prune by partition.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        database_name: str,
        results_bucket: s3.IBucket,
        key: kms.IKey,
        bytes_scanned_cutoff: int,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=name,
            description="Secure ML reference architecture: queries over the event lake",
            state="ENABLED",
            recursive_delete_option=removal_policy == cdk.RemovalPolicy.DESTROY,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=results_bucket.s3_url_for_object("results/"),
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
        self.workgroup.apply_removal_policy(removal_policy)
        if is_imported(self, key):
            acknowledge_imported_reference(
                self.workgroup,
                "athena_workgroup_results_encrypted_at_rest_kms_check",
                "ResultConfiguration.EncryptionConfiguration (SSE_KMS with the project's data key)",
                key,
            )
        self.queries = {}
        for query in queries.named_queries(database_name):
            named = athena.CfnNamedQuery(
                self,
                query.name,
                name=query.name,
                description=f"{query.description}. Parameters: {', '.join(query.parameters)}",
                database=database_name,
                query_string=query.sql,
                work_group=name,
            )
            named.add_resource_dependency(self.workgroup)
            self.queries[query.name] = named
