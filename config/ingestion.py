"""The ingestion section of a profile: Kinesis -> Firehose -> S3 -> Glue -> Athena (I1-I11)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from config.base import CronSchedule, StrictModel

# Kinesis Data Streams limits per shard (the notes, I1): writes 1 MB/s or 1,000 records/s,
# reads 2 MB/s shared by the consumers.
SHARD_WRITE_MB = 1.0
SHARD_WRITE_RECORDS = 1000
SHARD_READ_MB = 2.0
# Firehose needs at least 64 MiB of buffer when it converts records to Parquet (I4).
MIN_CONVERSION_BUFFER_MB = 64
# Columns a profile may partition by besides date and hour (a test keeps this equal to
# ml_constructs.runtime.lake.schema.PARTITIONABLE).
PARTITIONABLE_COLUMNS = ("category", "event_type")


class StreamConfig(StrictModel):
    """Optional Kinesis Data Stream in front of Firehose (I1)."""

    enabled: bool = Field(default=True, description="Put a KMS-encrypted Kinesis Data Stream in front of Firehose.")
    mode: Literal["on-demand", "provisioned"] = Field(
        default="on-demand",
        description="on-demand scales by itself; provisioned uses shard_count or the shards the throughput needs.",
    )
    write_mb_per_second: float = Field(
        default=1.0, gt=0, le=1000, description="Peak producer throughput in MB/s (a shard takes 1 MB/s)."
    )
    write_records_per_second: int = Field(
        default=1000, gt=0, le=1_000_000, description="Peak records per second (a shard takes 1,000)."
    )
    read_mb_per_second: float = Field(
        default=2.0,
        gt=0,
        le=2000,
        description="Total read throughput of all consumers, Firehose included, in MB/s (a shard gives 2 MB/s).",
    )
    shard_count: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description="Shards in provisioned mode; null computes them from the throughput. Ignored on demand.",
    )
    retention_hours: int = Field(
        default=24, ge=24, le=8760, description="How long records stay readable: 24 hours to 365 days."
    )

    def required_shards(self) -> int:
        """Shards the configured throughput needs, by the per-shard limits (I1)."""
        return max(
            math.ceil(self.write_mb_per_second / SHARD_WRITE_MB),
            math.ceil(self.write_records_per_second / SHARD_WRITE_RECORDS),
            math.ceil(self.read_mb_per_second / SHARD_READ_MB),
        )

    @model_validator(mode="after")
    def _enough_shards(self) -> StreamConfig:
        needed = self.required_shards()
        if self.mode == "provisioned" and self.shard_count is not None and self.shard_count < needed:
            raise ValueError(
                f"ingestion.stream.shard_count is {self.shard_count} but the configured throughput needs "
                f"{needed} shards (a shard takes 1 MB/s or 1,000 records/s in and gives 2 MB/s out): "
                f"writes {self.write_mb_per_second} MB/s, {self.write_records_per_second} records/s, "
                f"reads {self.read_mb_per_second} MB/s"
            )
        return self


class DeliveryConfig(StrictModel):
    """Firehose delivery into the lake (I2, I4, I5)."""

    buffer_mb: int = Field(
        default=128,
        ge=1,
        le=128,
        description="Firehose buffer size in MiB before it writes a file; at least 64 with Parquet conversion (I4).",
    )
    buffer_seconds: int = Field(
        default=300, ge=60, le=900, description="Longest Firehose waits before writing a file, in seconds."
    )
    partitioning: Literal["event-time", "arrival-time"] = Field(
        default="event-time",
        description=(
            "Hive partitions (year=/month=/day=/hour=) by the event's own time (dynamic partitioning, "
            "keys from the transformation Lambda) or by the time Firehose received it."
        ),
    )
    partition_field: str | None = Field(
        default=None,
        description="An extra partition after the hour, by a schema column: category or event_type (event-time only).",
    )

    @model_validator(mode="after")
    def _checks(self) -> DeliveryConfig:
        problems = []
        if self.buffer_mb < MIN_CONVERSION_BUFFER_MB:
            problems.append(
                f"ingestion.delivery.buffer_mb is {self.buffer_mb} but Firehose needs at least "
                f"{MIN_CONVERSION_BUFFER_MB} MiB of buffer to convert records to Parquet (I4)"
            )
        if self.partition_field is not None:
            if self.partition_field not in PARTITIONABLE_COLUMNS:
                problems.append(
                    f"ingestion.delivery.partition_field {self.partition_field!r} is not a partitionable column "
                    f"of the lake schema ({', '.join(PARTITIONABLE_COLUMNS)})"
                )
            elif self.partitioning != "event-time":
                problems.append(
                    "ingestion.delivery.partition_field needs partitioning: event-time (the Lambda supplies it)"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class TransformConfig(StrictModel):
    """The record-transformation Lambda (I3)."""

    timeout_seconds: int = Field(
        default=60,
        ge=10,
        le=300,
        description="Lambda timeout: far above the 3-second default; Firehose waits up to 5 minutes.",
    )
    memory_mb: int = Field(default=256, ge=128, le=3008, description="Lambda memory in MB.")
    reserved_concurrency: int = Field(
        default=5,
        ge=1,
        le=100,
        description=(
            "Concurrent executions reserved for (and capping) the transformation, when "
            "deploy.lambda_reserved_concurrency is on."
        ),
    )


class LakeLifecycleConfig(StrictModel):
    """Storage classes of lake objects as they age (I6)."""

    infrequent_access_after_days: int = Field(
        default=30, ge=30, le=3650, description="Move objects to Standard-IA after this many days (S3 minimum 30)."
    )
    glacier_after_days: int | None = Field(
        default=90,
        ge=60,
        le=3650,
        description="Move objects to Glacier Flexible Retrieval after this many days; null keeps them in IA.",
    )
    expire_after_days: int | None = Field(
        default=None, ge=1, le=36500, description="Delete lake objects after this many days; null keeps them."
    )

    @model_validator(mode="after")
    def _order(self) -> LakeLifecycleConfig:
        ia, glacier, expire = self.infrequent_access_after_days, self.glacier_after_days, self.expire_after_days
        if glacier is not None and glacier < ia + 30:
            raise ValueError(
                f"ingestion.lifecycle.glacier_after_days ({glacier}) must be at least 30 days after "
                f"infrequent_access_after_days ({ia}): Standard-IA bills 30 days minimum"
            )
        last = glacier if glacier is not None else ia
        if expire is not None and expire <= last:
            raise ValueError(
                f"ingestion.lifecycle.expire_after_days ({expire}) must come after the last transition ({last})"
            )
        return self


class IngestionConfig(StrictModel):
    """Streaming ingestion lake: Kinesis -> Firehose -> S3 -> Glue -> Athena (I1-I11)."""

    enabled: bool = Field(default=True, description="Deploy the lake and ingestion stacks.")
    stream: StreamConfig = Field(default_factory=StreamConfig, description="Kinesis source stream (I1).")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig, description="Firehose delivery (I2, I4, I5).")
    transform: TransformConfig = Field(default_factory=TransformConfig, description="Transformation Lambda (I3).")
    lifecycle: LakeLifecycleConfig = Field(default_factory=LakeLifecycleConfig, description="Lake lifecycle (I6).")
    crawler_schedule: CronSchedule = Field(
        default="cron(30 1 * * ? *)", description="When the Glue crawler adds new partitions (I7), a cron() expression."
    )
    etl_schedule: CronSchedule = Field(
        default="cron(0 2 * * ? *)", description="When the curation job runs (I9), a cron() expression."
    )
    etl_workers: int = Field(default=2, ge=2, le=100, description="G.1X workers of the curation job.")
    catalog_encryption: bool = Field(
        default=True,
        description=(
            "Encrypt the account's Glue Data Catalog with the data key (I8). Left out, it follows removal_policy: "
            "on with 'retain', off with 'destroy', which refuses true (the setting is one per account and region "
            "and outlives the stack, but teardown deletes the data key, after which every catalog call in the "
            "account fails). Turn it off where another stack already manages the setting."
        ),
    )
    athena_bytes_scanned_cutoff_mb: int = Field(
        default=1024,
        ge=10,
        le=1_048_576,
        description="Athena cancels a query of the lake workgroup after scanning this many MB (I10).",
    )
