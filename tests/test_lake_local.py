"""The lake end to end, without AWS (patterns I3, I4, I5, I9, I10).

Sample events go through the transformation handler; the Ok rows are written as Parquet
with the Glue table's declared column types under the prefix the synthesized delivery stream
uses; the curation SQL of the Glue job builds the curated zone; and the workgroup's named
queries, as synthesized, run in DuckDB (translated from Athena's dialect by sqlglot).
Corrupt decoy files in partitions a query must not read prove it prunes by partition.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from ml_constructs.runtime.lake import schema, transform
from ml_constructs.runtime.lake.curate import curate_sql

ARROW = {"string": pa.string(), "int": pa.int32(), "double": pa.float64(), "timestamp": pa.timestamp("ms")}
DAY = ("2026", "11", "21")
CATEGORIES = ("books", "games", "garden", "music")


def generate_events(seed: int = 7) -> list[dict]:
    """Three days of events, 60 of them sent twice (a later correction of the same event_id)."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    events = []
    for n in range(1500):
        when = start + timedelta(minutes=rng.randrange(3 * 24 * 60), seconds=rng.randrange(60))
        event_type = rng.choices(schema.EVENT_TYPES, weights=(6, 2, 1))[0]
        events.append(
            {
                "event_id": f"evt-{n:05d}",
                "event_time": when.isoformat(),
                "event_type": event_type,
                "customer_id": f"cust-{rng.randrange(80):03d}",
                "product_id": f"prod-{rng.randrange(40):03d}",
                "category": rng.choice(CATEGORIES),
                "quantity": 0 if event_type == "view" else rng.randint(1, 4),
                "price": round(rng.uniform(2, 90), 2),
                "channel": rng.choice(("web", "app", "store")),
            }
        )
    # Producers resend some events later with corrected values; curation must keep the latest.
    corrections = []
    for original in rng.sample(events, 60):
        later = datetime.fromisoformat(original["event_time"]) + timedelta(minutes=rng.randint(1, 30))
        channel = next(c for c in ("web", "app", "store") if c != original["channel"])
        corrections.append({**original, "event_time": later.isoformat(), "channel": channel, "quantity": 5})
    return events + corrections


def firehose_batches(payloads: list[bytes], size: int = 500) -> list[dict]:
    return [
        {
            "invocationId": f"invocation-{start}",
            "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/events",
            "region": "us-east-1",
            "records": [
                {"recordId": f"r{start + i}", "approximateArrivalTimestamp": 0, "data": base64.b64encode(p).decode()}
                for i, p in enumerate(payloads[start : start + size])
            ],
        }
        for start in range(0, len(payloads), size)
    ]


def render_prefix(prefix: str, keys: dict[str, str]) -> str:
    rendered = re.sub(r"!\{partitionKeyFromLambda:(\w+)\}", lambda m: keys[m.group(1)], prefix)
    assert "!{" not in rendered, rendered
    return rendered


@dataclass
class LocalLake:
    root: Path
    database: str
    events: list[dict]
    partition_field: str | None
    outcomes: Counter
    connection: duckdb.DuckDBPyConnection
    queries: dict[str, dict]


def delivery_prefix(assembly) -> str:
    (stream,) = assembly.resources("Ingestion", "AWS::KinesisFirehose::DeliveryStream").values()
    return stream["Properties"]["ExtendedS3DestinationConfiguration"]["Prefix"]


def table_input(assembly, name: str) -> dict:
    tables = assembly.resources("Lake", "AWS::Glue::Table").values()
    (table,) = [t["Properties"]["TableInput"] for t in tables if t["Properties"]["TableInput"]["Name"] == name]
    return table


def write_parquet(path: Path, rows: list[dict], columns: list[dict]) -> None:
    """Rows as Firehose's conversion would store them: the table's data columns and types."""
    arrays = []
    for column in columns:
        values = [row[column["Name"]] for row in rows]
        if column["Type"] == "timestamp":
            values = [datetime.strptime(v, "%Y-%m-%d %H:%M:%S.%f") for v in values]
        arrays.append(pa.array(values, type=ARROW[column["Type"]]))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(arrays, names=[c["Name"] for c in columns]), path)


def build_lake(assembly, root: Path, monkeypatch: pytest.MonkeyPatch) -> LocalLake:
    (function,) = assembly.resources("Ingestion", "AWS::Lambda::Function").values()
    partition_field = function["Properties"]["Environment"]["Variables"]["PARTITION_FIELD"] or None
    monkeypatch.setenv("PARTITION_FIELD", partition_field or "")
    events = generate_events()
    payloads = [json.dumps(e).encode() for e in events] + [b"{broken", json.dumps({"event_type": "heartbeat"}).encode()]
    outcomes: Counter = Counter()
    files: dict[str, list[dict]] = defaultdict(list)
    prefix = delivery_prefix(assembly)
    for batch in firehose_batches(payloads):
        for record in transform.handler(batch, None)["records"]:
            outcomes[record["result"]] += 1
            if record["result"] == "Ok":
                row = json.loads(base64.b64decode(record["data"]))
                files[render_prefix(prefix, record["metadata"]["partitionKeys"])].append(row)
    raw = table_input(assembly, schema.DATABASE_TABLE)
    for directory, rows in files.items():
        write_parquet(root / "raw" / directory / "part-00000.parquet", rows, raw["StorageDescriptor"]["Columns"])

    database = raw_database(assembly)
    con = duckdb.connect()
    con.execute(f'CREATE SCHEMA "{database}"')
    glob = "/".join(["*"] * len(raw["PartitionKeys"]))
    con.execute(
        f'CREATE VIEW "{database}"."{schema.DATABASE_TABLE}" AS SELECT * FROM read_parquet('
        f"'{root}/raw/events/{glob}/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
    )
    curated_sql = sqlglot.transpile(
        curate_sql(f'"{database}"."{schema.DATABASE_TABLE}"', partition_field), read="spark", write="duckdb"
    )[0]
    partitions = ", ".join(p["Name"] for p in raw["PartitionKeys"])
    (root / "curated").mkdir()
    con.execute(
        f"COPY ({curated_sql}) TO '{root}/curated/events_curated' (FORMAT parquet, PARTITION_BY ({partitions}))"
    )
    con.execute(
        f'CREATE VIEW "{database}"."{schema.CURATED_TABLE}" AS SELECT * FROM read_parquet('
        f"'{root}/curated/events_curated/{glob}/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
    )
    named = {
        q["Properties"]["Name"]: q["Properties"]
        for q in assembly.resources("Ingestion", "AWS::Athena::NamedQuery").values()
    }
    return LocalLake(root, database, events, partition_field, outcomes, con, named)


def raw_database(assembly) -> str:
    (database,) = assembly.resources("Lake", "AWS::Glue::Database").values()
    return database["Properties"]["DatabaseInput"]["Name"]


@pytest.fixture(scope="module", params=["sandbox", "production"])
def lake(request, tmp_path_factory) -> LocalLake:
    assembly = request.getfixturevalue(request.param)
    with pytest.MonkeyPatch.context() as monkeypatch:
        return build_lake(assembly, tmp_path_factory.mktemp(f"lake-{request.param}"), monkeypatch)


def run(lake: LocalLake, name: str, *parameters: str) -> list[tuple]:
    query = lake.queries[name]
    sql = sqlglot.transpile(query["QueryString"], read="athena", write="duckdb")[0]
    return lake.connection.execute(sql, list(parameters)).fetchall()


def latest_copies(events: list[dict]) -> list[dict]:
    latest: dict[str, dict] = {}
    for event in events:
        current = latest.get(event["event_id"])
        if current is None or event["event_time"] > current["event_time"]:
            latest[event["event_id"]] = event
    return list(latest.values())


def on_day(event: dict, day: tuple[str, str, str], hour: str | None = None) -> bool:
    when = datetime.fromisoformat(event["event_time"]).astimezone(UTC)
    return (f"{when:%Y}", f"{when:%m}", f"{when:%d}") == day and (hour is None or f"{when:%H}" == hour)


# --- the pipeline itself --------------------------------------------------------------------


def test_i3_every_generated_record_is_accounted_for(lake):
    assert lake.outcomes == {"Ok": len(lake.events), "ProcessingFailed": 1, "Dropped": 1}


def test_i5_files_land_under_hive_partitions_of_the_event_time(lake):
    files = sorted((lake.root / "raw" / "events").rglob("*.parquet"))
    assert files
    expected_keys = list(schema.partition_keys(lake.partition_field))
    for file in files:
        parts = file.relative_to(lake.root / "raw" / "events").parts[:-1]
        assert [p.split("=")[0] for p in parts] == expected_keys


def test_i4_parquet_files_carry_the_declared_schema(lake):
    any_file = next((lake.root / "raw" / "events").rglob("*.parquet"))
    stored = pq.read_schema(any_file)
    declared = [c for c in schema.data_columns(lake.partition_field)]
    assert stored.names == [c.name for c in declared]
    assert [stored.field(c.name).type for c in declared] == [ARROW[c.glue_type] for c in declared]


def test_i9_curation_keeps_one_row_per_event_and_adds_revenue(lake):
    rows = lake.connection.execute(
        f'SELECT count(*), count(DISTINCT event_id), sum(revenue) FROM "{lake.database}"."{schema.CURATED_TABLE}"'
    ).fetchone()
    unique = latest_copies(lake.events)
    expected_revenue = sum(e["quantity"] * e["price"] for e in unique if e["event_type"] == "purchase")
    assert rows[0] == rows[1] == len(unique) < len(lake.events)
    assert rows[2] == pytest.approx(expected_revenue)


# --- the named queries -------------------------------------------------------------------------


def test_i10_revenue_by_category_for_day(lake):
    expected: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for event in latest_copies(lake.events):
        if event["event_type"] == "purchase" and on_day(event, DAY):
            expected[event["category"]][0] += 1
            expected[event["category"]][1] += event["quantity"] * event["price"]
    rows = run(lake, "revenue-by-category-for-day", *DAY)
    assert {r[0]: (r[1], r[2]) for r in rows} == {
        category: (count, round(revenue, 2)) for category, (count, revenue) in expected.items()
    }
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)


def test_i10_ingested_events_per_hour_counts_raw_rows(lake):
    expected = Counter(
        (f"{datetime.fromisoformat(e['event_time']):%H}", e["event_type"]) for e in lake.events if on_day(e, DAY)
    )
    rows = run(lake, "ingested-events-per-hour-for-day", *DAY)
    assert {(hour, kind): count for hour, kind, count in rows} == expected


def test_i10_top_products_for_hour(lake):
    totals: Counter = Counter()
    for event in latest_copies(lake.events):
        if event["event_type"] == "purchase" and on_day(event, DAY, "12"):
            totals[event["product_id"]] += event["quantity"]
    rows = run(lake, "top-products-for-hour", *DAY, "12")
    expected = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(p, int(q)) for p, q in rows] == expected


def test_i10_funnel_for_day(lake):
    customers: dict[str, set] = defaultdict(set)
    for event in latest_copies(lake.events):
        if on_day(event, DAY):
            customers[event["event_type"]].add(event["customer_id"])
    rows = run(lake, "funnel-for-day", *DAY)
    assert dict(rows) == {kind: len(ids) for kind, ids in customers.items()}


# --- partition pruning -------------------------------------------------------------------------


def parameter_columns(sql: str) -> list[str]:
    """Columns compared, bare, to a ? placeholder in the WHERE clause: what the engine can prune on."""
    where = sqlglot.parse_one(sql, read="athena").find(exp.Where)
    return [
        eq.this.name
        for eq in where.find_all(exp.EQ, bfs=False)  # depth first: the order of the ? placeholders
        if isinstance(eq.expression, exp.Placeholder) and isinstance(eq.this, exp.Column)
    ]


def test_i10_every_named_query_fixes_partitions_with_its_parameters(lake):
    assert lake.queries
    for name, query in lake.queries.items():
        declared = query["Description"].rsplit("Parameters: ", 1)[1].split(", ")
        assert parameter_columns(query["QueryString"]) == declared, name
        assert {"year", "month", "day"} <= set(declared), name


def plant_decoys(lake: LocalLake, table_dir: Path) -> Path:
    """A corrupt Parquet file in a partition no query asks for: reading it would fail."""
    sample = next(table_dir.rglob("*.parquet")).parent.relative_to(table_dir)
    parts = [p.split("=") for p in sample.parts]
    parts[0][1] = "2099"  # a year that sorts after every real one, so it never fixes the view's schema
    decoy = table_dir.joinpath(*["=".join(p) for p in parts], "decoy.parquet")
    decoy.parent.mkdir(parents=True, exist_ok=True)
    decoy.write_bytes(b"this is not a parquet file")
    return decoy


def test_i10_named_queries_prune_by_partition(lake):
    decoys = [
        plant_decoys(lake, lake.root / "raw" / "events"),
        plant_decoys(lake, lake.root / "curated" / "events_curated"),
    ]
    try:
        for table in (schema.DATABASE_TABLE, schema.CURATED_TABLE):
            with pytest.raises(duckdb.Error, match="(?i)magic|parquet"):
                lake.connection.execute(f'SELECT count(*) FROM "{lake.database}"."{table}"').fetchall()
        assert run(lake, "revenue-by-category-for-day", *DAY)
        assert run(lake, "ingested-events-per-hour-for-day", *DAY)
        assert run(lake, "top-products-for-hour", *DAY, "12")
        assert run(lake, "funnel-for-day", *DAY)
        # Within the day, the hourly query must skip other hours too.
        curated = lake.root / "curated" / "events_curated"
        hour_13 = min(p.parent for p in curated.rglob("*.parquet") if "year=2026/month=11/day=21/hour=13" in str(p))
        decoys.append(hour_13 / "zz-decoy.parquet")
        decoys[-1].write_bytes(b"this is not a parquet file either")
        assert run(lake, "top-products-for-hour", *DAY, "12")
        with pytest.raises(duckdb.Error, match="(?i)magic|parquet"):
            run(lake, "top-products-for-hour", *DAY, "13")
    finally:
        for decoy in decoys:
            decoy.unlink()
