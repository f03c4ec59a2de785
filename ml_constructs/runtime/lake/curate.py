"""The curation step of the Glue ETL job, as one SQL statement (pattern I9).

Pure text from the schema, no Glue or Spark import: the Glue job runs it with Spark SQL over
the new raw rows (job bookmarks), and the tests run the same statement in DuckDB (sqlglot
translates the dialect). Curation keeps the latest row per event_id within a run
(duplicates from producer retries), and adds the revenue column.
"""

from __future__ import annotations

try:
    from . import schema
except ImportError:  # pragma: no cover - top-level module inside the Glue job's library zip
    import schema  # type: ignore[no-redef]


def curate_sql(source: str, partition_field: str | None = None) -> str:
    """Spark SQL that turns raw rows of `source` into curated rows (data columns + partitions)."""
    data = [c.name for c in schema.data_columns(partition_field)]
    partitions = list(schema.partition_keys(partition_field))
    select = ",\n  ".join(
        [
            *data,
            "CASE WHEN event_type = 'purchase' THEN quantity * price ELSE 0.0 END AS revenue",
            *partitions,
        ]
    )
    return (
        f"SELECT\n  {select}\n"
        "FROM (\n"
        "  SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY event_time DESC) AS copy_rank\n"
        f"  FROM {source}\n"
        "  WHERE event_id IS NOT NULL\n"
        ") AS ranked\n"
        "WHERE copy_rank = 1"
    )
