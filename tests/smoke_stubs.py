"""scripts/smoke.py against botocore Stubbers and a fake clock: the shared fixtures and stubs.

The `config`, `config_file`, `stubs` and `clock` fixtures, the runner factory and the per-service
stubs of each check's success path (tests/test_smoke_checks.py, tests/test_smoke_failures.py).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import yaml
from botocore.credentials import Credentials
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from config import load_config
from scripts import smoke

ACCOUNT = "123456789012"
NOW = datetime(2026, 12, 2, 13, 0, 5, tzinfo=UTC)
PREFIX = "secure-ml-sandbox-"
CREDENTIALS = Credentials("AKIDEXAMPLE", "secret", "token")


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Stubs:
    """One stubbed client per service; `factory` is what Smoke calls."""

    def __init__(self) -> None:
        self.session = boto3.Session(
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
        )
        self.clients: dict = {}
        self.stubbers: dict[str, Stubber] = {}

    def __call__(self, service: str):
        if service not in self.clients:
            client = self.session.client(service)
            stubber = Stubber(client)
            stubber.activate()
            self.clients[service] = client
            self.stubbers[service] = stubber
        return self.clients[service]

    def add(self, service: str, operation: str, response: dict, params: dict | None = None) -> None:
        self(service)
        self.stubbers[service].add_response(operation, response, params)

    def error(self, service: str, operation: str, code: str, status: int = 400, message: str = "") -> None:
        self(service)
        self.stubbers[service].add_client_error(
            operation, service_error_code=code, service_message=message or code, http_status_code=status
        )

    def done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


# The sandbox with what it leaves to the demo turned back on (docs/sandbox.md), under its own names, so
# every check of the smoke test runs here: the real-time, shadow-test and pipeline endpoints, the stream.
ALL_ON = {
    "inference.realtime.enabled": True,
    "inference.shadow_test.enabled": True,
    "inference.pipeline.enabled": True,
    "pipelines.deploy_on_approval.enabled": True,
    "ingestion.stream.enabled": True,
}


@pytest.fixture(name="config", scope="module")
def config_fixture():
    from conftest import with_changes

    return with_changes(load_config("sandbox"), **ALL_ON)


@pytest.fixture(name="config_file", scope="module")
def config_file_fixture(config, tmp_path_factory):
    """`config` as a profile file, for `smoke.main(["--config", ...])`."""
    path = tmp_path_factory.mktemp("profile") / "sandbox-all-on.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    return str(path)


@pytest.fixture(name="stubs")
def stubs_fixture():
    return Stubs()


@pytest.fixture(name="clock")
def clock_fixture():
    return FakeClock()


def make(config, stubs, clock, **kwargs):
    out = io.StringIO()
    runner = smoke.Smoke(
        config=config,
        clients=stubs,
        clock=clock,
        out=out,
        timeout_seconds=kwargs.pop("timeout_seconds", 600),
        poll_seconds=15,
        progress_seconds=60,
        account=ACCOUNT,
        today=NOW,
        credentials=CREDENTIALS,
        **kwargs,
    )
    runner.names = smoke.Names(config, ACCOUNT)
    return runner, out


def body(text: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(text), len(text))


# -- the per-service stubs of each check's success path ---------------------------------------------


def stub_ingestion(stubs, *, waits: int = 0):
    stubs.add(
        "kinesis",
        "put_records",
        {"Records": [{"SequenceNumber": "1", "ShardId": "shardId-0"}] * 5},
        {"StreamName": f"{PREFIX}events", "Records": ANY},
    )
    bucket = f"{PREFIX}raw-{ACCOUNT}-us-east-1"
    prefix = "events/year=2026/month=12/day=02/"
    old = {"Key": f"{prefix}hour=11/old.parquet", "LastModified": NOW - timedelta(hours=2)}
    for _ in range(waits):
        stubs.add("s3", "list_objects_v2", {"Contents": [old], "KeyCount": 1}, {"Bucket": bucket, "Prefix": prefix})
    new = {"Key": f"{prefix}hour=13/events-1.parquet", "LastModified": NOW + timedelta(minutes=5)}
    stubs.add("s3", "list_objects_v2", {"Contents": [old, new], "KeyCount": 2}, {"Bucket": bucket, "Prefix": prefix})


def stub_crawler(stubs, *, last: str = "SUCCEEDED", running: int = 1):
    name = f"{PREFIX}lake-crawler"
    stubs.add("glue", "start_crawler", {}, {"Name": name})
    for _ in range(running):
        stubs.add("glue", "get_crawler", {"Crawler": {"Name": name, "State": "RUNNING"}}, {"Name": name})
    stubs.add(
        "glue",
        "get_crawler",
        {"Crawler": {"Name": name, "State": "READY", "LastCrawl": {"Status": last}}},
        {"Name": name},
    )


def stub_athena(stubs, *, final: str = "SUCCEEDED"):
    workgroup = f"{PREFIX}lake"
    stubs.add("athena", "list_named_queries", {"NamedQueryIds": ["q1", "q2"]}, {"WorkGroup": workgroup})
    for query_id, name in (("q1", "revenue-by-category-for-day"), ("q2", smoke.LAKE_QUERY)):
        stubs.add(
            "athena",
            "get_named_query",
            {
                "NamedQuery": {
                    "Name": name,
                    "Database": "secure_ml_sandbox_lake",
                    "QueryString": f"SELECT 1 -- {name}",
                    "NamedQueryId": query_id,
                }
            },
            {"NamedQueryId": query_id},
        )
    stubs.add(
        "athena",
        "start_query_execution",
        {"QueryExecutionId": "exec-1"},
        {
            "QueryString": f"SELECT 1 -- {smoke.LAKE_QUERY}",
            "QueryExecutionContext": {"Database": "secure_ml_sandbox_lake"},
            "WorkGroup": workgroup,
            "ExecutionParameters": ["'2026'", "'12'", "'02'"],
        },
    )
    stubs.add("athena", "get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
    status = {"State": final}
    if final != "SUCCEEDED":
        status["StateChangeReason"] = "TABLE_NOT_FOUND: events"
    stubs.add("athena", "get_query_execution", {"QueryExecution": {"Status": status}}, {"QueryExecutionId": "exec-1"})


def stub_invoke(stubs, endpoint: str, variant: str | None, served: str | None = None):
    params = {"EndpointName": endpoint, "ContentType": "text/csv", "Accept": "text/csv", "Body": ANY}
    if variant:
        params["TargetVariant"] = variant
    stubs.add(
        "sagemaker-runtime",
        "invoke_endpoint",
        {"Body": body(b"0.73\n"), "ContentType": "text/csv", "InvokedProductionVariant": served or variant or "x"},
        params,
    )


def stub_pipeline_endpoint(stubs):
    stubs.add(
        "sagemaker-runtime",
        "invoke_endpoint",
        {"Body": body(b'{"predictions": [0.73]}'), "InvokedProductionVariant": "pipeline"},
        {
            "EndpointName": f"{PREFIX}pipeline",
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": json.dumps({"instances": [smoke.SAMPLE_ROW]}).encode(),
        },
    )


def stub_async(stubs, *, pending: int = 1, outcome: str = "result"):
    bucket = f"{PREFIX}inference-{ACCOUNT}-us-east-1"
    key = "async/inputs/smoke-20261202T130005.csv"
    stubs.add("s3", "put_object", {}, {"Bucket": bucket, "Key": key, "Body": ANY, "ContentType": "text/csv"})
    stubs.add(
        "sagemaker-runtime",
        "invoke_endpoint_async",
        {
            "InferenceId": "i-1",
            "OutputLocation": f"s3://{bucket}/async/results/i-1.out",
            "FailureLocation": f"s3://{bucket}/async/failures/i-1-error.out",
        },
        {
            "EndpointName": f"{PREFIX}async",
            "InputLocation": f"s3://{bucket}/{key}",
            "ContentType": "text/csv",
            "Accept": "text/csv",
        },
    )
    for _ in range(pending):
        stubs.error("s3", "head_object", "404", 404)
        stubs.error("s3", "head_object", "404", 404)
    if outcome == "result":
        stubs.add("s3", "head_object", {}, {"Bucket": bucket, "Key": "async/results/i-1.out"})
    else:
        stubs.error("s3", "head_object", "404", 404)
        stubs.add("s3", "head_object", {}, {"Bucket": bucket, "Key": "async/failures/i-1-error.out"})


API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/v1/"


def stub_api_outputs(stubs, outputs=None):
    stubs.add(
        "cloudformation",
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": f"{PREFIX}inference",
                    "CreationTime": NOW,
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": outputs
                    if outputs is not None
                    else [{"OutputKey": "ApiEndpoint4F160690", "OutputValue": API_URL}],
                }
            ]
        },
        {"StackName": f"{PREFIX}inference"},
    )


def scalable_ids(config):
    ids = [f"endpoint/{PREFIX}realtime/variant/{v.name}" for v in config.inference.realtime.variants]
    ids += [f"endpoint/{PREFIX}shadow-test/variant/{v.name}" for v in config.inference.shadow_test.variants]
    return [*ids, f"endpoint/{PREFIX}async/variant/async", f"endpoint/{PREFIX}pipeline/variant/pipeline"]


def stub_scaling(stubs, config, *, drop: str | None = None):
    ids = scalable_ids(config)
    targets = [
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": r,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 1,
            "MaxCapacity": 2,
            "RoleARN": "arn:aws:iam::123456789012:role/scaling",
            "CreationTime": NOW,
        }
        for r in ids
        if r != drop
    ]
    stubs.add(
        "application-autoscaling",
        "describe_scalable_targets",
        {"ScalableTargets": targets},
        {
            "ServiceNamespace": "sagemaker",
            "ResourceIds": ids,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        },
    )


def stub_alarms(stubs, names, *, disabled=(), missing=()):
    alarms = [
        {"AlarmName": n, "ActionsEnabled": n not in disabled, "StateValue": "OK"} for n in names if n not in missing
    ]
    stubs.add(
        "cloudwatch",
        "describe_alarms",
        {"MetricAlarms": alarms},
        {"AlarmNamePrefix": PREFIX, "AlarmTypes": ["MetricAlarm"]},
    )


PIPELINE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/secure-ml-sandbox-training/execution/abc"


def stub_pipeline(stubs, *, empty_polls: int = 1, status: str = "Executing"):
    stubs.add(
        "sagemaker",
        "start_pipeline_execution",
        {"PipelineExecutionArn": PIPELINE_ARN},
        {"PipelineName": f"{PREFIX}training", "PipelineExecutionDisplayName": ANY, "PipelineExecutionDescription": ANY},
    )
    for _ in range(empty_polls):
        stubs.add("sagemaker", "list_pipeline_execution_steps", {"PipelineExecutionSteps": []})
    step = {"StepName": "Preprocess", "StepStatus": status}
    if status == "Failed":
        step["FailureReason"] = "ResourceLimitExceeded: ml.m5.large for processing job usage"
    stubs.add(
        "sagemaker",
        "list_pipeline_execution_steps",
        {"PipelineExecutionSteps": [step]},
        {"PipelineExecutionArn": PIPELINE_ARN, "SortOrder": "Ascending"},
    )


class FakeHttp:
    def __init__(self, status: int = 200, answer: bytes | None = None) -> None:
        self.status = status
        self.answer = answer if answer is not None else b'{"predictions": [{"purchase_probability": 0.73}]}'
        self.calls: list[tuple] = []

    def __call__(self, method, url, headers, data):
        self.calls.append((method, url, headers, data))
        return self.status, self.answer
