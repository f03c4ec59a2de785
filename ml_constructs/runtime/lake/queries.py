"""Athena named queries over the lake (pattern I10), written against the schema.

Each query prunes by partition: it fixes year, month and day (and hour where it looks at
one hour) with `?` parameters, so Athena reads only those prefixes. Run one from the console
or with StartQueryExecution and ExecutionParameters, e.g. ["'2026'", "'11'", "'21'"].
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    from . import schema
except ImportError:  # pragma: no cover
    import schema  # type: ignore[no-redef]

DAY = "year = ? AND month = ? AND day = ?"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    sql: str
    parameters: tuple[str, ...]  # the partition keys the ? placeholders stand for, in order


def named_queries(database: str) -> tuple[NamedQuery, ...]:
    raw = f'"{database}"."{schema.DATABASE_TABLE}"'
    curated = f'"{database}"."{schema.CURATED_TABLE}"'
    return (
        NamedQuery(
            "revenue-by-category-for-day",
            "Purchases and revenue per category on one day (curated zone)",
            f"SELECT category, COUNT(*) AS purchases, ROUND(SUM(revenue), 2) AS revenue\n"
            f"FROM {curated}\n"
            f"WHERE {DAY} AND event_type = 'purchase'\n"
            f"GROUP BY category\n"
            f"ORDER BY revenue DESC, category",
            ("year", "month", "day"),
        ),
        NamedQuery(
            "ingested-events-per-hour-for-day",
            "Raw events received per hour and type on one day: is ingestion flowing?",
            f"SELECT hour, event_type, COUNT(*) AS events\n"
            f"FROM {raw}\n"
            f"WHERE {DAY}\n"
            f"GROUP BY hour, event_type\n"
            f"ORDER BY hour, event_type",
            ("year", "month", "day"),
        ),
        NamedQuery(
            "top-products-for-hour",
            "The ten products with most items bought in one hour (curated zone)",
            f"SELECT product_id, SUM(quantity) AS items\n"
            f"FROM {curated}\n"
            f"WHERE {DAY} AND hour = ? AND event_type = 'purchase'\n"
            f"GROUP BY product_id\n"
            f"ORDER BY items DESC, product_id\n"
            f"LIMIT 10",
            ("year", "month", "day", "hour"),
        ),
        NamedQuery(
            "funnel-for-day",
            "Distinct customers who viewed, added to cart and bought on one day (curated zone)",
            f"SELECT event_type, COUNT(DISTINCT customer_id) AS customers\n"
            f"FROM {curated}\n"
            f"WHERE {DAY}\n"
            f"GROUP BY event_type\n"
            f"ORDER BY customers DESC, event_type",
            ("year", "month", "day"),
        ),
    )
