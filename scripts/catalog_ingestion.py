"""The catalog's I patterns: ingestion through Kinesis, Firehose, S3, Glue and Athena (see scripts/catalog.py)."""

from __future__ import annotations

from scripts.catalog_model import (
    Pattern,
    S,
)

INGESTION_PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "I1",
        "Encrypted Kinesis source",
        "An optional source stream, KMS-encrypted, with shards derived from the configured throughput or "
        "on-demand mode.",
        ("Ingestion",),
        ("ml_constructs/streaming.py",),
        (S("AWS::Kinesis::Stream", contains=('"EncryptionType":"KMS"',)),),
    ),
    Pattern(
        "I2",
        "Firehose to S3 with KMS",
        "A delivery stream to S3 with KMS, buffering hints, compression or conversion, CloudWatch logging "
        "and an error output prefix.",
        ("Ingestion",),
        ("ml_constructs/streaming.py",),
        (
            S(
                "AWS::KinesisFirehose::DeliveryStream",
                contains=(
                    '"BufferingHints"',
                    '"ErrorOutputPrefix"',
                    '"CloudWatchLoggingOptions"',
                    '"KMSEncryptionConfig"',
                ),
            ),
        ),
    ),
    Pattern(
        "I3",
        "Transformation Lambda",
        "A processor Lambda with a timeout well above 3 s, returning recordId, result and data for every "
        "record (unit-tested on real Firehose events).",
        ("Ingestion",),
        ("ml_constructs/streaming.py",),
        (S("AWS::Lambda::Function", path="Ingestion/Transform"),),
    ),
    Pattern(
        "I4",
        "Parquet conversion",
        "Record format conversion on, Parquet output, schema from the Glue table.",
        ("Ingestion", "Lake"),
        ("ml_constructs/streaming.py", "ml_constructs/lake_catalog.py"),
        (S("AWS::KinesisFirehose::DeliveryStream", contains=('"DataFormatConversionConfiguration"', "ParquetSerDe")),),
    ),
    Pattern(
        "I5",
        "Partitioned lake",
        "Hive-style date partitions in the S3 layout (event time by dynamic partitioning, or arrival time) "
        "and partition keys on the tables.",
        ("Ingestion", "Lake"),
        ("ml_constructs/streaming.py", "ml_constructs/lake_catalog.py"),
        (
            S("AWS::KinesisFirehose::DeliveryStream", contains=("year=",)),
            S("AWS::Glue::Table", contains=('"PartitionKeys"',)),
        ),
    ),
    Pattern(
        "I6",
        "Lifecycle to colder storage",
        "Lifecycle rules move objects to Standard-IA after at least 30 days, then Glacier, and expire "
        "incomplete multipart uploads.",
        ("Lake",),
        ("ml_constructs/secure_bucket.py", "stacks/lake.py"),
        (S("AWS::S3::Bucket", contains=('"StorageClass":"STANDARD_IA"', '"AbortIncompleteMultipartUpload"')),),
    ),
    Pattern(
        "I7",
        "Catalog and crawler",
        "A Glue database and partitioned tables; a crawler with schedule, exclusions and security configuration.",
        ("Lake", "Ingestion"),
        ("ml_constructs/lake_catalog.py",),
        (
            S("AWS::Glue::Database"),
            S("AWS::Glue::Crawler", contains=('"Schedule"', '"Exclusions"', '"CrawlerSecurityConfiguration"')),
        ),
    ),
    Pattern(
        "I8",
        "Encrypted Glue",
        "A Glue security configuration with S3, CloudWatch and job-bookmark encryption by KMS, and Data "
        "Catalog encryption settings (unless another stack owns them).",
        ("Ingestion", "Lake"),
        ("ml_constructs/lake_catalog.py",),
        (S("AWS::Glue::SecurityConfiguration"), S("AWS::Glue::DataCatalogEncryptionSettings")),
    ),
    Pattern(
        "I9",
        "Scheduled Glue ETL",
        "A PySpark Glue job shipped as an asset, with bookmarks, the security configuration and a scheduled trigger.",
        ("Ingestion",),
        ("ml_constructs/lake_catalog.py",),
        (
            S("AWS::Glue::Job", contains=('"SecurityConfiguration"', "job-bookmark-enable")),
            S("AWS::Glue::Trigger", contains=('"Type":"SCHEDULED"',)),
        ),
    ),
    Pattern(
        "I10",
        "Athena workgroup that enforces its settings",
        "A workgroup enforcing its configuration with SSE-KMS results, a bytes-scanned cutoff and engine v3; "
        "named queries that prune by partition.",
        ("Ingestion",),
        ("ml_constructs/lake_catalog.py",),
        (
            S(
                "AWS::Athena::WorkGroup",
                contains=('"EnforceWorkGroupConfiguration":true', '"BytesScannedCutoffPerQuery"'),
            ),
            S("AWS::Athena::NamedQuery"),
        ),
    ),
    Pattern(
        "I11",
        "Nothing lost",
        "Source-record backup and error prefixes in Firehose; a dead-letter queue or on-failure destination "
        "wherever a Lambda is invoked asynchronously.",
        ("Ingestion", "Pipelines"),
        ("ml_constructs/streaming.py",),
        (S("AWS::KinesisFirehose::DeliveryStream", contains=('"S3BackupMode":"Enabled"',)),),
    ),
)
