"""The lake's event schema, declared once (pattern I4).

Used by the Glue table (and so by Firehose's JSON-to-Parquet conversion), by the
transformation Lambda to validate records, by the curation SQL and by the Athena queries.
Each event is one customer interaction with a product; the lake is partitioned by event date
and hour (I5), optionally also by one column (dynamic partitioning).
"""

from __future__ import annotations

from dataclasses import dataclass

DATABASE_TABLE = "events"
CURATED_TABLE = "events_curated"


@dataclass(frozen=True)
class Column:
    name: str
    glue_type: str  # Hive/Glue type name: string, timestamp, int, double
    comment: str
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("event_id", "string", "Unique id of the event; the curated zone keeps one row per id"),
    Column("event_time", "timestamp", "When the event happened, UTC"),
    Column("event_type", "string", "view, add_to_cart or purchase"),
    Column("customer_id", "string", "Pseudonymous customer id"),
    Column("product_id", "string", "Product id"),
    Column("category", "string", "Product category"),
    Column("quantity", "int", "Items in the event (0 for views)"),
    Column("price", "double", "Unit price in EUR"),
    Column("channel", "string", "web, app or store", required=False),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
# Added by the curation job (I9): what a purchase earned; 0 for views and cart additions.
CURATED_COLUMNS: tuple[Column, ...] = (
    *COLUMNS,
    Column("revenue", "double", "quantity x price for purchases, 0 otherwise"),
)
EVENT_TYPES = ("view", "add_to_cart", "purchase")
# Hive-style time partitions, strings as Firehose writes them into the S3 prefix.
TIME_PARTITIONS = ("year", "month", "day", "hour")
# Columns a profile may choose as an extra partition (low cardinality, always present).
PARTITIONABLE = ("category", "event_type")


def partition_keys(extra: str | None = None) -> tuple[str, ...]:
    """The table's partition keys: date and hour, then the optional extra field."""
    return (*TIME_PARTITIONS, extra) if extra else TIME_PARTITIONS


def data_columns(extra: str | None = None) -> tuple[Column, ...]:
    """Columns stored in the Parquet files; a partition column lives in the S3 path instead."""
    return tuple(c for c in COLUMNS if c.name != extra)
