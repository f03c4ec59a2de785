"""Smoke checks of ingestion and the lake: sample events, the crawler, the named Athena query."""

from __future__ import annotations

import json
from datetime import timedelta

from botocore.exceptions import ClientError

from ml_constructs.runtime.lake import schema
from scripts.smoke_common import CLOCK_SKEW_SECONDS, LAKE_QUERY, RAW_PREFIX, CheckFailed


class LakeChecks:
    """The checks of ingestion and the lake, mixed into Smoke (scripts/smoke.py)."""

    def sample_events(self, count: int = 5) -> list[dict]:
        stamp = self.today.strftime("%Y%m%dT%H%M%S")
        types = schema.EVENT_TYPES
        events = []
        for n in range(count):
            event_type = types[n % len(types)]
            events.append(
                {
                    "event_id": f"smoke-{stamp}-{n}",
                    "event_time": self.today.isoformat().replace("+00:00", "Z"),
                    "event_type": event_type,
                    "customer_id": "smoke-customer",
                    "product_id": f"smoke-product-{n}",
                    "category": "smoke",
                    "quantity": 0 if event_type == "view" else 1,
                    "price": 9.99,
                    "channel": "web",
                }
            )
        return events

    def partition_prefix(self) -> str:
        day = self.today
        return f"{RAW_PREFIX}year={day:%Y}/month={day:%m}/day={day:%d}/"

    def check_ingestion(self) -> str:
        events = self.sample_events()
        stream_name = f"{self.names.prefix}events"
        payloads = [(json.dumps(e) + "\n").encode() for e in events]
        if self.config.ingestion.stream.enabled:
            answer = self.clients("kinesis").put_records(
                StreamName=stream_name,
                Records=[{"Data": p, "PartitionKey": e["event_id"]} for p, e in zip(payloads, events, strict=True)],
            )
            target = f"Kinesis stream {stream_name}"
        else:
            answer = self.clients("firehose").put_record_batch(
                DeliveryStreamName=stream_name, Records=[{"Data": p} for p in payloads]
            )
            target = f"Firehose stream {stream_name} (Direct PUT)"
        failed = answer.get("FailedRecordCount", answer.get("FailedPutCount", 0))
        if failed:
            raise CheckFailed(f"{failed} of {len(events)} records rejected by {target}")
        bucket = self.names.bucket("raw")
        prefix = self.partition_prefix()
        sent_at = self.today - timedelta(seconds=CLOCK_SKEW_SECONDS)
        s3 = self.clients("s3")

        def new_object() -> str | None:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    if item["LastModified"] >= sent_at:
                        return item["Key"]
            return None

        key = self.wait("ingestion", f"Parquet objects under s3://{bucket}/{prefix}", new_object)
        return f"{len(events)} events to {target}; Parquet object s3://{bucket}/{key}"

    def check_crawler(self) -> str:
        glue = self.clients("glue")
        name = f"{self.names.prefix}lake-crawler"
        try:
            glue.start_crawler(Name=name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "CrawlerRunningException":
                raise

        def finished() -> str | None:
            crawler = glue.get_crawler(Name=name)["Crawler"]
            if crawler.get("State") != "READY":
                return None
            return crawler.get("LastCrawl", {}).get("Status", "UNKNOWN")

        status = self.wait("crawler", f"crawler {name} to be READY", finished)
        if status != "SUCCEEDED":
            raise CheckFailed(f"crawler {name} finished with {status}")
        return f"crawler {name} ran and is READY (last crawl SUCCEEDED)"

    def check_athena(self) -> str:
        athena = self.clients("athena")
        workgroup = f"{self.names.prefix}lake"
        ids: list[str] = []
        for page in athena.get_paginator("list_named_queries").paginate(WorkGroup=workgroup):
            ids += page.get("NamedQueryIds", [])
        query = None
        for query_id in ids:
            named = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
            if named["Name"] == LAKE_QUERY:
                query = named
                break
        if query is None:
            raise CheckFailed(f"not found: named query {LAKE_QUERY} in workgroup {workgroup}")
        day = self.today
        execution = athena.start_query_execution(
            QueryString=query["QueryString"],
            QueryExecutionContext={"Database": query["Database"]},
            WorkGroup=workgroup,
            ExecutionParameters=[f"'{day:%Y}'", f"'{day:%m}'", f"'{day:%d}'"],
        )["QueryExecutionId"]

        def done() -> str | None:
            status = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Status"]
            if status["State"] in ("QUEUED", "RUNNING"):
                return None
            return json.dumps(status)

        status = json.loads(self.wait("athena-query", f"query {execution}", done))
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason", "no reason given")
            raise CheckFailed(f"named query {LAKE_QUERY} {status['State']}: {reason}")
        return f"named query {LAKE_QUERY} SUCCEEDED in workgroup {workgroup} ({execution})"
