"""Streaming ingestion into the lake: Kinesis -> Lambda transformation -> Firehose -> S3 (I1-I5, I11)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.acknowledgments import (
    AWS_SOLUTIONS,
    acknowledge,
    acknowledge_imported_reference,
    is_imported,
)
from ml_constructs.iam import ManagedPolicyRole, Statements
from ml_constructs.lake_catalog import LAKE_RUNTIME, LIBRARY_EXCLUDE, RAW_PREFIX
from ml_constructs.log_group import EncryptedLogGroup
from ml_constructs.python_function import PrivateSubnets, python_function
from ml_constructs.runtime.lake import schema

ERROR_PREFIX = "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
BACKUP_PREFIX = "source-backup/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"


def data_prefix(partitioning: str, partition_field: str | None) -> str:
    """The Hive-style prefix Firehose writes events under (I5)."""
    if partitioning == "event-time":
        keys = schema.partition_keys(partition_field)
        return RAW_PREFIX + "".join(f"{key}=!{{partitionKeyFromLambda:{key}}}/" for key in keys)
    return RAW_PREFIX + "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"


class EventStream(Construct):
    """Kinesis Data Stream in front of Firehose, encrypted with a customer-managed key (I1).

    On-demand, or provisioned with the shard count the configured throughput needs. The stream
    follows `removal_policy` like every stateful resource: a retained stream keeps billing and its
    fixed name blocks the next deploy.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        retention: cdk.Duration,
        shard_count: int | None = None,
        stream_name: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=stream_name,
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=key,
            retention_period=retention,
            stream_mode=kinesis.StreamMode.PROVISIONED if shard_count else kinesis.StreamMode.ON_DEMAND,
            shard_count=shard_count,
            removal_policy=removal_policy,
        )
        if is_imported(self, key):
            resource = self.stream.node.default_child
            what = "StreamEncryption with the project's customer-managed data key"
            acknowledge_imported_reference(resource, "kinesis_stream_encrypted_check", what, key)
            acknowledge_imported_reference(resource, f"{AWS_SOLUTIONS}KDS3", what, key)


class TransformFunction(Construct):
    """The record-transformation Lambda Firehose calls for each batch (I3).

    Python, code from the lake package (ml_constructs/runtime/lake/transform.py), a timeout
    far above Lambda's 3-second default, reserved concurrency when given, its own KMS log group, and a
    place in the private network with a security group that allows no traffic: it calls no
    AWS API, it only transforms the records it is given.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        logs_key: kms.IKey,
        log_retention: int,
        timeout: cdk.Duration,
        memory_mb: int,
        environment_key: kms.IKey,
        partition_field: str | None,
        reserved_concurrency: int | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        parts = python_function(
            self,
            description="Validates and normalizes lake events for Firehose (Ok, Dropped, ProcessingFailed)",
            code=LAKE_RUNTIME,
            handler="transform.handler",
            code_exclude=LIBRARY_EXCLUDE,
            role_description="Firehose record transformation of the event lake",
            policy_description="Write the transformation's own logs",
            logs_key=logs_key,
            log_retention=log_retention,
            timeout=timeout,
            memory_size=memory_mb,
            environment_key=environment_key,
            reserved_concurrency=reserved_concurrency,
            environment={"PARTITION_FIELD": partition_field or ""},
            network=PrivateSubnets(
                vpc, subnets, "Lake transformation Lambda: no inbound, no outbound (it calls nothing)"
            ),
            no_dead_letter_queue="Firehose invokes this function synchronously; a failed invocation makes Firehose "
            "retry and then write the batch under the error prefix of the lake bucket, so nothing is lost (I11). "
            "A dead-letter queue only serves asynchronous invocations.",
            removal_policy=removal_policy,
        )
        self.function = parts.function
        self.role = parts.role
        self.log_group = parts.log_group
        self.security_group = parts.security_group


class LakeDeliveryStream(Construct):
    """Firehose delivery of events into the raw zone of the lake (I2, I4, I5, I11).

    - source: the Kinesis stream when given (encrypted there), else Direct PUT with SSE-KMS;
    - Lambda transformation first (I3), then JSON -> Parquet conversion with the Glue table's
      schema (I4), written SSE-KMS with the data key (I2);
    - Hive-style prefixes year=/month=/day=/hour= by event time through dynamic partitioning
      with the keys the Lambda returns, or by arrival time (I5);
    - failed records under errors/<error type>/..., every source record backed up under
      source-backup/ before transformation, so no record is ever dropped silently (I11);
    - delivery and backup logged to an encrypted log group.

    The delivery role has a fixed name: the lake buckets, which admit requests only through
    the VPC endpoint, name it as their one delivery exception.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        table: glue.CfnTable,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        log_retention: int,
        transform: lambda_.IFunction,
        role_name: str,
        partitioning: str,
        partition_field: str | None,
        buffer_mb: int,
        buffer_seconds: int,
        source_stream: kinesis.IStream | None = None,
        delivery_stream_name: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = ManagedPolicyRole(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            ),
            description="Firehose delivery of lake events (the lake buckets' one delivery exception)",
            policy_description="Firehose: read the source stream, transform, write the raw zone, read the schema",
        )
        self.log_group = EncryptedLogGroup(
            self, "Logs", encryption_key=logs_key, retention=log_retention, removal_policy=removal_policy
        ).log_group
        self.data_prefix = data_prefix(partitioning, partition_field)
        self._grant(bucket, table, data_key, transform, source_stream)
        # The L2 would grant wide wildcards (s3:GetObject*, kms:ReEncrypt*, ...); it gets an
        # immutable view of the role, whose exact permissions are written in _grant.
        role = self.role.without_policy_updates()
        destination = firehose.S3Bucket(
            bucket,
            role=role,
            encryption_key=data_key,
            data_output_prefix=self.data_prefix,
            error_output_prefix=ERROR_PREFIX,
            buffering_interval=cdk.Duration.seconds(buffer_seconds),
            buffering_size=cdk.Size.mebibytes(buffer_mb),
            logging_config=firehose.EnableLogging(self.log_group),
            processors=[
                firehose.LambdaFunctionProcessor(
                    transform,
                    buffer_interval=cdk.Duration.seconds(60),
                    buffer_size=cdk.Size.mebibytes(1),
                    retries=3,
                )
            ],
            dynamic_partitioning=firehose.DynamicPartitioningProps(enabled=partitioning == "event-time"),
            data_format_conversion=firehose.DataFormatConversionProps(
                schema_configuration=firehose.SchemaConfiguration.from_cfn_table(table),
                input_format=firehose.InputFormat.OPENX_JSON,
                output_format=firehose.OutputFormat.PARQUET,
            ),
            s3_backup=firehose.DestinationS3BackupProps(
                mode=firehose.BackupMode.ALL,
                bucket=bucket,
                data_output_prefix=BACKUP_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                encryption_key=data_key,
                logging_config=firehose.EnableLogging(self.log_group),
            ),
        )
        self.delivery_stream = firehose.DeliveryStream(
            self,
            "DeliveryStream",
            delivery_stream_name=delivery_stream_name,
            destination=destination,
            source=firehose.KinesisStreamSource(source_stream) if source_stream else None,
            encryption=None if source_stream else firehose.StreamEncryption.customer_managed_key(data_key),
            role=role,
        )
        self.delivery_stream.node.add_dependency(self.role.grants_policy)
        # The destination adds a log stream per destination to the group (S3Destination,
        # S3Backup), retained by default; they follow the profile like the group itself.
        for child in self.log_group.node.children:
            if isinstance(child, logs.LogStream):
                child.apply_removal_policy(removal_policy)
        if source_stream is not None:
            acknowledge(
                self.delivery_stream.node.default_child,
                f"{AWS_SOLUTIONS}KDF1",
                "Firehose cannot apply its own server-side encryption to a delivery stream whose source "
                "is a Kinesis stream; records are encrypted at rest in that stream with the customer-managed "
                "data key (I1) and in S3 with SSE-KMS (I2).",
            )

    def _grant(
        self,
        bucket: s3.IBucket,
        table: glue.CfnTable,
        data_key: kms.IKey,
        transform: lambda_.IFunction,
        source_stream: kinesis.IStream | None,
    ) -> None:
        """The permissions the Firehose Developer Guide lists for this delivery, exactly."""
        stack = cdk.Stack.of(self)
        region = stack.region
        grants = Statements(self.role.add_to_principal_policy)
        grants.allow(
            "WriteRawZone",
            (
                "s3:AbortMultipartUpload",
                "s3:GetBucketLocation",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:ListBucketMultipartUploads",
                "s3:PutObject",
            ),
            [bucket.bucket_arn, bucket.arn_for_objects("*")],
            wildcard_reason="Objects of the raw-zone bucket only, under prefixes with the event date "
            "and Firehose's own file names, chosen at delivery time.",
        )
        # S3 (objects), Kinesis (the source stream) and Glue (the encrypted Data Catalog, I8).
        grants.allow(
            "DataKeyThroughS3KinesisAndGlue",
            ("kms:Decrypt", "kms:GenerateDataKey"),
            [data_key.key_arn],
            {
                "StringEquals": {
                    "kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in ("s3", "kinesis", "glue")]
                }
            },
        )
        glue_arn = f"arn:{stack.partition}:glue:{region}:{stack.account}"
        database = table.database_name
        grants.allow(
            "ReadSchema",
            ("glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"),
            [f"{glue_arn}:catalog", f"{glue_arn}:database/{database}", f"{glue_arn}:table/{database}/*"],
            wildcard_reason="Table versions of the lake database only; Firehose reads the schema of the raw "
            "table to convert JSON to Parquet.",
        )
        grants.allow(
            "InvokeTransform",
            ("lambda:InvokeFunction", "lambda:GetFunctionConfiguration"),
            [transform.function_arn],
        )
        grants.allow("WriteDeliveryLogs", ("logs:PutLogEvents",), [self.log_group.log_group_arn])
        if source_stream is not None:
            grants.allow(
                "ReadSourceStream",
                (
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetShardIterator",
                    "kinesis:GetRecords",
                    "kinesis:ListShards",
                ),
                [source_stream.stream_arn],
            )
        grants.acknowledge(self.role.grants_policy.node.default_child)
