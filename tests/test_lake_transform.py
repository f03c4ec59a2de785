"""The Firehose transformation Lambda against Firehose's real event shapes (patterns I3, I5, I11)."""

from __future__ import annotations

import base64
import json

import pytest

from ml_constructs.runtime.lake import schema, transform

GOOD = {
    "event_id": "e-1",
    "event_time": "2026-11-21T10:15:02.25+01:00",
    "event_type": "purchase",
    "customer_id": "c-1",
    "product_id": "p-9",
    "category": "books",
    "quantity": 2,
    "price": 12.5,
    "channel": "web",
}


def encode(payload: bytes | str | dict) -> str:
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return base64.b64encode(payload).decode()


def direct_put_event(*payloads) -> dict:
    """The shape Firehose sends for a Direct PUT delivery stream."""
    return {
        "invocationId": "4a5b6c7d-0000-4000-8000-000000000000",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/secure-ml-sandbox-events",
        "region": "us-east-1",
        "records": [
            {"recordId": f"4963{i:04d}", "approximateArrivalTimestamp": 1763719502000 + i, "data": encode(p)}
            for i, p in enumerate(payloads)
        ],
    }


def kinesis_source_event(*payloads) -> dict:
    """The shape Firehose sends when its source is a Kinesis data stream."""
    event = direct_put_event(*payloads)
    event["sourceKinesisStreamArn"] = "arn:aws:kinesis:us-east-1:123456789012:stream/secure-ml-sandbox-events"
    for i, record in enumerate(event["records"]):
        record["kinesisRecordMetadata"] = {
            "shardId": "shardId-000000000000",
            "partitionKey": f"c-{i}",
            "approximateArrivalTimestamp": record["approximateArrivalTimestamp"],
            "sequenceNumber": f"4959{i:016d}",
            "subsequenceNumber": "",
        }
    return event


@pytest.fixture(params=[direct_put_event, kinesis_source_event], ids=["direct-put", "kinesis-source"])
def shape(request):
    return request.param


def run(event: dict, monkeypatch: pytest.MonkeyPatch, partition_field: str = "") -> list[dict]:
    monkeypatch.setenv("PARTITION_FIELD", partition_field)
    response = transform.handler(event, None)
    assert [r["recordId"] for r in response["records"]] == [r["recordId"] for r in event["records"]]
    return response["records"]


def test_i3_valid_event_is_normalized_to_one_json_line_with_partition_keys(shape, monkeypatch):
    (record,) = run(shape(GOOD), monkeypatch)
    assert record["result"] == "Ok"
    line = base64.b64decode(record["data"]).decode()
    assert line.endswith("\n") and line.count("\n") == 1
    row = json.loads(line)
    assert tuple(row) == schema.COLUMN_NAMES
    assert row["event_time"] == "2026-11-21 09:15:02.250"  # UTC, Hive timestamp text
    assert row["price"] == 12.5 and row["quantity"] == 2
    assert record["metadata"] == {"partitionKeys": {"year": "2026", "month": "11", "day": "21", "hour": "09"}}


def test_i5_extra_partition_field_comes_from_the_event(shape, monkeypatch):
    (record,) = run(shape(GOOD), monkeypatch, partition_field="category")
    assert record["metadata"]["partitionKeys"]["category"] == "books"


def test_i3_optional_field_may_be_absent(shape, monkeypatch):
    (record,) = run(shape({k: v for k, v in GOOD.items() if k != "channel"}), monkeypatch)
    assert record["result"] == "Ok"
    assert json.loads(base64.b64decode(record["data"]))["channel"] is None


def test_i3_heartbeats_are_dropped_on_purpose(shape, monkeypatch):
    (record,) = run(shape({"event_type": "heartbeat", "producer": "checkout"}), monkeypatch)
    assert record["result"] == "Dropped"


BAD = {
    "not-json": b"event_id=e-1;price=3",
    "not-utf8": b"\xff\xfe\x00garbage",
    "json-array": [GOOD],
    "json-string": json.dumps("hello"),
    "empty": b"",
    "missing-required": {k: v for k, v in GOOD.items() if k != "customer_id"},
    "unknown-event-type": {**GOOD, "event_type": "refund"},
    "no-time-zone": {**GOOD, "event_time": "2026-11-21T10:15:02"},
    "not-a-time": {**GOOD, "event_time": "yesterday"},
    "quantity-fraction": {**GOOD, "quantity": 1.5},
    "quantity-boolean": {**GOOD, "quantity": True},
    "negative-price": {**GOOD, "price": -1},
    "price-as-text": {**GOOD, "price": "12.50"},
    "blank-id": {**GOOD, "event_id": "   "},
    "long-text": {**GOOD, "product_id": "p" * 300},
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_i3_i11_bad_records_fail_and_keep_their_original_data(shape, monkeypatch, name):
    payload = BAD[name]
    event = shape(payload if isinstance(payload, bytes | str) else json.dumps(payload))
    (record,) = run(event, monkeypatch)
    assert record["result"] == "ProcessingFailed"
    assert record["data"] == event["records"][0]["data"]  # Firehose keeps it under the error prefix


def test_i3_data_that_is_not_base64_fails(monkeypatch):
    event = direct_put_event(GOOD)
    event["records"][0]["data"] = "***not base64***"
    (record,) = run(event, monkeypatch)
    assert record["result"] == "ProcessingFailed"


def test_i3_oversized_record_fails(monkeypatch):
    big = {**GOOD, "padding": "x" * (transform.MAX_RECORD_BYTES + 10)}
    (record,) = run(direct_put_event(big), monkeypatch)
    assert record["result"] == "ProcessingFailed"


def test_i3_every_record_of_a_mixed_batch_gets_exactly_one_answer(shape, monkeypatch):
    payloads = [GOOD, b"nope", {"event_type": "heartbeat"}, {**GOOD, "event_id": "e-2"}, {**GOOD, "price": None}]
    records = run(shape(*payloads), monkeypatch)
    assert [r["result"] for r in records] == ["Ok", "ProcessingFailed", "Dropped", "Ok", "ProcessingFailed"]
    for record in records:
        assert set(record) <= {"recordId", "result", "data", "metadata"}
        base64.b64decode(record["data"], validate=True)


def test_i3_logs_a_summary_per_batch(monkeypatch, caplog):
    caplog.set_level("INFO")
    run(direct_put_event(GOOD, b"nope"), monkeypatch)
    summary = [json.loads(r.message) for r in caplog.records if r.message.startswith("{")]
    assert summary == [{"records": 2, "Ok": 1, "ProcessingFailed": 1}]
