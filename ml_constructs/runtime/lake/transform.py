"""Firehose record transformation for the lake (patterns I3, I5, I11).

Firehose invokes `handler` with a batch of records and needs, for every record, its
`recordId`, a `result` and base64 `data`:

- Ok: a valid event, normalized to the lake schema as one JSON line, with the partition
  keys (event date and hour, and the configured extra field) in `metadata.partitionKeys`
  for dynamic partitioning;
- Dropped: a producer heartbeat (`{"event_type": "heartbeat"}`), deliberately not stored;
- ProcessingFailed: anything else (not base64, not JSON, not an object, a missing or
  malformed field, an oversized record). Firehose writes these, unchanged, under the error
  prefix, so a bad record is kept for inspection and replay, never silently lost.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import os
from datetime import UTC, datetime

try:  # a package in the tests and in the deployed asset alike
    from . import schema
except ImportError:  # pragma: no cover - when run as a top-level module
    import schema  # type: ignore[no-redef]

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

# Firehose accepts at most 1,000 KiB per record, and a Lambda response of at most 6 MB.
MAX_RECORD_BYTES = 1_000 * 1024
MAX_TEXT_LENGTH = 256
HEARTBEAT = "heartbeat"


class InvalidRecord(ValueError):
    """A record that cannot enter the lake; the message says why."""


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecord(f"{name} must be a non-empty string")
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidRecord(f"{name} is longer than {MAX_TEXT_LENGTH} characters")
    return value.strip()


def _timestamp(value: object, name: str) -> str:
    """An ISO 8601 instant with a zone, as Hive's timestamp text (which Firehose parses), UTC."""
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRecord(f"{name} {value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise InvalidRecord(f"{name} must carry a time zone (e.g. Z)")
    utc = parsed.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise InvalidRecord(f"{name} must be a whole number")
    if not 0 <= value <= 1_000_000:
        raise InvalidRecord(f"{name} must be between 0 and 1000000")
    return int(value)


def _double(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidRecord(f"{name} must be a finite, non-negative number")
    return float(value)


PARSERS = {"string": _text, "timestamp": _timestamp, "int": _int, "double": _double}


def normalize(event: object) -> dict:
    """The event as a lake row, column by column from the schema, or InvalidRecord."""
    if not isinstance(event, dict):
        raise InvalidRecord("record is not a JSON object")
    row: dict[str, object] = {}
    for column in schema.COLUMNS:
        value = event.get(column.name)
        if value is None:
            if column.required:
                raise InvalidRecord(f"{column.name} is missing")
            row[column.name] = None
        else:
            row[column.name] = PARSERS[column.glue_type](value, column.name)
    if row["event_type"] not in schema.EVENT_TYPES:
        raise InvalidRecord(f"event_type {row['event_type']!r} is not one of {', '.join(schema.EVENT_TYPES)}")
    return row


def partition_values(row: dict, extra: str | None) -> dict[str, str]:
    when = datetime.strptime(row["event_time"], "%Y-%m-%d %H:%M:%S.%f")
    keys = {"year": f"{when:%Y}", "month": f"{when:%m}", "day": f"{when:%d}", "hour": f"{when:%H}"}
    if extra:
        keys[extra] = row[extra]
    return keys


def transform_record(record: dict, partition_field: str | None) -> dict:
    """One Firehose output record for one input record."""
    record_id = record["recordId"]
    try:
        raw = base64.b64decode(record["data"], validate=True)
        if len(raw) > MAX_RECORD_BYTES:
            raise InvalidRecord(f"record of {len(raw)} bytes exceeds {MAX_RECORD_BYTES}")
        try:
            event = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidRecord(f"not JSON: {exc}") from None
        if isinstance(event, dict) and event.get("event_type") == HEARTBEAT:
            return {"recordId": record_id, "result": "Dropped", "data": record["data"]}
        row = normalize(event)
    except (binascii.Error, InvalidRecord) as exc:
        LOG.warning("record %s failed: %s", record_id, exc)
        return {"recordId": record_id, "result": "ProcessingFailed", "data": record["data"]}
    line = (json.dumps(row, separators=(",", ":")) + "\n").encode()
    return {
        "recordId": record_id,
        "result": "Ok",
        "data": base64.b64encode(line).decode(),
        "metadata": {"partitionKeys": partition_values(row, partition_field)},
    }


def handler(event: dict, _context: object = None) -> dict:
    partition_field = os.environ.get("PARTITION_FIELD") or None
    records = [transform_record(r, partition_field) for r in event["records"]]
    counts: dict[str, int] = {}
    for record in records:
        counts[record["result"]] = counts.get(record["result"], 0) + 1
    LOG.info(json.dumps({"records": len(records), **counts}))
    return {"records": records}
