"""The lake's layout and its Glue tables (part of ml_constructs/lake_catalog.py): the raw and curated
prefixes, the lake package asset, and LakeTables (I4, I5, I7)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as assets
from constructs import Construct

from ml_constructs.iam import this_region_arn
from ml_constructs.runtime.lake import schema

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
