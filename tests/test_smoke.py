"""scripts/smoke.py against botocore Stubbers and a fake clock: no call reaches AWS."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
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


@pytest.fixture(scope="module")
def config():
    return load_config("sandbox")


@pytest.fixture
def stubs():
    return Stubs()


@pytest.fixture
def clock():
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


# -- names agree with the project's naming ----------------------------------------------------------


def test_names_mirror_the_project_naming(config):
    from ml_constructs.lake_catalog import RAW_PREFIX
    from stacks import naming

    names = smoke.Names(config, ACCOUNT)
    assert names.prefix == naming.resource_prefix(config)
    assert names.stack("inference") == naming.stack_name(config, "inference")
    assert names.glue("lake") == naming.glue_name(config, "lake")
    assert names.training_pipeline == naming.training_pipeline_name(config)
    assert smoke.RAW_PREFIX == RAW_PREFIX
    assert names.bucket("raw") == f"secure-ml-sandbox-raw-{ACCOUNT}-us-east-1"


def test_sample_events_pass_the_lake_transform(config, stubs, clock):
    from ml_constructs.runtime.lake import transform

    runner, _ = make(config, stubs, clock)
    for event in runner.sample_events():
        row = transform.normalize(json.loads(json.dumps(event)))
        assert transform.partition_values(row, None) == {"year": "2026", "month": "12", "day": "02", "hour": "13"}


def test_csv_row_is_in_the_models_feature_order(config, stubs, clock):
    from ml_constructs.runtime.inference_api import handler

    runner, _ = make(config, stubs, clock)
    assert runner.csv_row().decode() == handler.to_csv({"instances": [smoke.SAMPLE_ROW]})


# -- success paths -----------------------------------------------------------------------------------


def test_ingestion_waits_for_parquet_with_progress(config, stubs, clock):
    stub_ingestion(stubs, waits=5)
    runner, out = make(config, stubs, clock)
    assert runner.run_check("ingestion", runner.check_ingestion)
    text = out.getvalue()
    assert "PASS ingestion: 5 events to Kinesis stream secure-ml-sandbox-events" in text
    assert "hour=13/events-1.parquet" in text
    assert "... ingestion: waiting for Parquet objects under s3://secure-ml-sandbox-raw-" in text
    assert clock.t == 75
    stubs.done()


def test_ingestion_uses_firehose_direct_put_without_a_stream(config, stubs, clock):
    data = config.model_dump()
    data["ingestion"]["stream"]["enabled"] = False
    direct = type(config).model_validate(data)
    stubs.add(
        "firehose",
        "put_record_batch",
        {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "r"}] * 5},
        {"DeliveryStreamName": f"{PREFIX}events", "Records": ANY},
    )
    stubs.add("s3", "list_objects_v2", {"Contents": [{"Key": "events/x.parquet", "LastModified": NOW}]})
    runner, out = make(direct, stubs, clock)
    assert runner.run_check("ingestion", runner.check_ingestion)
    assert "Firehose stream secure-ml-sandbox-events (Direct PUT)" in out.getvalue()
    stubs.done()


def test_crawler_and_athena_query(config, stubs, clock):
    stub_crawler(stubs)
    stub_athena(stubs)
    runner, out = make(config, stubs, clock)
    assert runner.run_check("crawler", runner.check_crawler)
    assert runner.run_check("athena-query", runner.check_athena)
    text = out.getvalue()
    assert "PASS crawler: crawler secure-ml-sandbox-lake-crawler ran and is READY" in text
    assert f"PASS athena-query: named query {smoke.LAKE_QUERY} SUCCEEDED" in text
    stubs.done()


def test_crawler_already_running_is_waited_for(config, stubs, clock):
    stubs.error("glue", "start_crawler", "CrawlerRunningException")
    stubs.add("glue", "get_crawler", {"Crawler": {"State": "READY", "LastCrawl": {"Status": "SUCCEEDED"}}})
    runner, _ = make(config, stubs, clock)
    assert runner.run_check("crawler", runner.check_crawler)


def test_every_endpoint_per_the_profile(config, stubs, clock):
    for variant in ("champion", "challenger"):
        stub_invoke(stubs, f"{PREFIX}realtime", variant)
    stub_invoke(stubs, f"{PREFIX}shadow-test", None, "champion")
    stub_invoke(stubs, f"{PREFIX}serverless", None, "AllTraffic")
    stub_async(stubs)
    stub_pipeline_endpoint(stubs)
    runner, out = make(config, stubs, clock)
    runner.check_endpoints()
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith(("PASS", "FAIL"))] == [
        "PASS endpoint realtime/champion",
        "PASS endpoint realtime/challenger",
        "PASS endpoint shadow-test",
        "PASS endpoint serverless",
        "PASS endpoint async",
        "PASS endpoint pipeline",
    ]
    assert "wrote its result to s3://secure-ml-sandbox-inference-" in out.getvalue()
    stubs.done()


def test_api_signed_with_sigv4_from_the_vpc(config, stubs, clock):
    stub_api_outputs(stubs)
    http = FakeHttp()
    runner, out = make(config, stubs, clock, from_vpc=True, http=http)
    assert runner.run_check("api", runner.check_api)
    method, url, headers, data = http.calls[0]
    assert (method, url) == ("POST", API_URL + "predict")
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/execute-api/aws4_request" in headers["Authorization"]
    assert json.loads(data) == {"instances": [smoke.SAMPLE_ROW]}
    assert "PASS api: POST https://abc123.execute-api" in out.getvalue()


def test_api_url_falls_back_to_the_rest_api_name(config, stubs, clock):
    stub_api_outputs(stubs, outputs=[])
    stubs.add("apigateway", "get_rest_apis", {"items": [{"id": "zzz9", "name": f"{PREFIX}inference"}]})
    runner, _ = make(config, stubs, clock)
    assert runner.api_url() == "https://zzz9.execute-api.us-east-1.amazonaws.com/v1/predict"


def test_private_api_outside_the_vpc_fails_with_the_reason(config, stubs, clock):
    stub_api_outputs(stubs)
    http = FakeHttp()
    runner, out = make(config, stubs, clock, http=http)
    assert not runner.run_check("api", runner.check_api)
    assert "FAIL api: " in out.getvalue()
    assert "private API" in out.getvalue() and "--from-vpc" in out.getvalue()
    assert http.calls == []


def test_api_error_status_fails(config, stubs, clock):
    stub_api_outputs(stubs)
    runner, out = make(config, stubs, clock, from_vpc=True, http=FakeHttp(403, b'{"message": "Forbidden"}'))
    assert not runner.run_check("api", runner.check_api)
    assert "FAIL api: POST https://abc123.execute-api.us-east-1.amazonaws.com/v1/predict answered HTTP 403" in (
        out.getvalue()
    )


def test_scaling_and_alarms(config, stubs, clock):
    runner, out = make(config, stubs, clock)
    stub_scaling(stubs, config)
    stub_alarms(stubs, runner.expected_alarms())
    assert runner.run_check("scaling", runner.check_scaling)
    assert runner.run_check("alarms", runner.check_alarms)
    text = out.getvalue()
    assert "PASS scaling: 5 scalable targets registered" in text
    assert f"PASS alarms: {len(runner.expected_alarms())} alarms exist with actions enabled" in text
    assert f"{PREFIX}realtime-champion-latency" in runner.expected_alarms()
    assert f"{PREFIX}shadow-test-shadow-errors5xx" in runner.expected_alarms()
    assert f"{PREFIX}async-async-waiting-at-zero" in runner.expected_alarms()
    stubs.done()


def test_training_pipeline_reports_its_first_step(config, stubs, clock):
    stub_pipeline(stubs, empty_polls=2)
    runner, out = make(config, stubs, clock)
    assert runner.run_check("training-pipeline", runner.check_training_pipeline)
    assert "first step Preprocess: Executing" in out.getvalue()
    stubs.done()


def test_full_run_passes_and_exits_zero(config, stubs, clock):
    runner, _ = make(config, stubs, clock)
    stub_ingestion(stubs)
    stub_crawler(stubs)
    stub_athena(stubs)
    for variant in ("champion", "challenger"):
        stub_invoke(stubs, f"{PREFIX}realtime", variant)
    stub_invoke(stubs, f"{PREFIX}shadow-test", None, "champion")
    stub_invoke(stubs, f"{PREFIX}serverless", None, "AllTraffic")
    stub_async(stubs)
    stub_pipeline_endpoint(stubs)
    stub_api_outputs(stubs)
    stub_scaling(stubs, config)
    stub_alarms(stubs, runner.expected_alarms())
    stub_pipeline(stubs)
    stubs.add("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": "arn:aws:iam::123456789012:user/x"})
    out = io.StringIO()
    code = smoke.main(
        ["--profile", "sandbox", "--from-vpc"],
        client_factory=stubs,
        clock=clock,
        out=out,
        http=FakeHttp(),
        credentials=CREDENTIALS,
        today=NOW,
    )
    text = out.getvalue()
    assert code == 0, text
    assert text.strip().splitlines()[-1] == "smoke sandbox: 13 passed, 0 failed"
    assert "FAIL" not in text
    stubs.done()


# -- failures ----------------------------------------------------------------------------------------


def test_s3_access_denied_outside_the_vpc_names_who_may_list(config, stubs, clock):
    stubs.add("kinesis", "put_records", {"Records": [{"SequenceNumber": "1", "ShardId": "s"}]})
    stubs.error("s3", "list_objects_v2", "AccessDenied", 403, "explicit deny in a resource-based policy")
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("ingestion", runner.check_ingestion, denied_hint=runner.s3_hint("raw"))
    line = out.getvalue().strip()
    assert line.startswith("FAIL ingestion: access denied (ListObjectsV2: explicit deny")
    assert "admits only requests through the project's S3 VPC endpoint" in line
    assert f"cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-us-east-1" in line
    assert "run from inside the VPC (the access host) or with the deploy role" in line


def test_rejected_records_fail_ingestion(config, stubs, clock):
    stubs.add(
        "kinesis",
        "put_records",
        {"FailedRecordCount": 2, "Records": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]},
    )
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("ingestion", runner.check_ingestion)
    assert "FAIL ingestion: 2 of 5 records rejected by Kinesis stream" in out.getvalue()


def test_stream_not_found(config, stubs, clock):
    stubs.error("kinesis", "put_records", "ResourceNotFoundException", message="Stream secure-ml-sandbox-events not")
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("ingestion", runner.check_ingestion)
    assert "FAIL ingestion: not found (PutRecords:" in out.getvalue()
    assert "make deploy" in out.getvalue()


def test_ingestion_timeout_prints_progress_then_fails(config, stubs, clock):
    for _ in range(41):
        stubs.add("s3", "list_objects_v2", {"KeyCount": 0})
    stubs.add("kinesis", "put_records", {"Records": [{"SequenceNumber": "1", "ShardId": "s"}]})
    runner, out = make(config, stubs, clock, timeout_seconds=600)
    assert not runner.run_check("ingestion", runner.check_ingestion)
    lines = out.getvalue().splitlines()
    progress = [line for line in lines if line.startswith("  ... ingestion: waiting for Parquet")]
    assert len(progress) == 9  # one a minute until the ten-minute limit
    assert progress[0].endswith("(1m00s of 10m00s)")
    assert lines[-1].startswith("FAIL ingestion: timed out after 10m00s waiting for Parquet objects under s3://")
    assert clock.t == 600


def test_crawler_failed_and_not_found(config, stubs, clock):
    stub_crawler(stubs, last="FAILED", running=0)
    stubs.error("glue", "start_crawler", "EntityNotFoundException", message="Crawler entry with name x does not exist")
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("crawler", runner.check_crawler)
    assert not runner.run_check("crawler", runner.check_crawler)
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == "FAIL crawler: crawler secure-ml-sandbox-lake-crawler finished with FAILED"
    assert lines[1].startswith("FAIL crawler: not found (StartCrawler: Crawler entry")


def test_athena_query_failure_reports_its_reason(config, stubs, clock):
    stub_athena(stubs, final="FAILED")
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("athena-query", runner.check_athena)
    assert f"FAIL athena-query: named query {smoke.LAKE_QUERY} FAILED: TABLE_NOT_FOUND: events" in out.getvalue()


def test_athena_named_query_missing(config, stubs, clock):
    stubs.add("athena", "list_named_queries", {"NamedQueryIds": ["q1"]})
    stubs.add(
        "athena", "get_named_query", {"NamedQuery": {"Name": "funnel-for-day", "Database": "d", "QueryString": "x"}}
    )
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("athena-query", runner.check_athena)
    assert "FAIL athena-query: not found: named query ingested-events-per-hour-for-day" in out.getvalue()


def test_endpoint_errors_and_throttling(config, stubs, clock):
    runtime = stubs("sagemaker-runtime")
    stubs.error("sagemaker-runtime", "invoke_endpoint", "ModelError", 424, "Received server error (500) from primary")
    stubs.error("sagemaker-runtime", "invoke_endpoint", "ThrottlingException")
    stubs.error("sagemaker-runtime", "invoke_endpoint", "ValidationError", message="Endpoint x of account y not found.")
    stub_invoke(stubs, f"{PREFIX}serverless", None, "AllTraffic")
    assert runtime is stubs.clients["sagemaker-runtime"]
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("endpoint realtime/champion", lambda: runner.invoke(f"{PREFIX}realtime", "champion"))
    assert not runner.run_check("endpoint realtime/challenger", lambda: runner.invoke(f"{PREFIX}realtime", "x"))
    assert not runner.run_check("endpoint shadow-test", lambda: runner.invoke(f"{PREFIX}shadow-test"))
    assert runner.run_check("endpoint serverless", lambda: runner.invoke(f"{PREFIX}serverless"))
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("FAIL endpoint realtime/champion: endpoint error ModelError")
    assert "Received server error (500)" in lines[0]
    assert lines[1].startswith("FAIL endpoint realtime/challenger: throttled (InvokeEndpoint: ThrottlingException)")
    assert lines[2].startswith("FAIL endpoint shadow-test: not found (InvokeEndpoint: Endpoint x")
    assert lines[3].startswith("PASS endpoint serverless")


def test_wrong_variant_served_fails(config, stubs, clock):
    stub_invoke(stubs, f"{PREFIX}realtime", "challenger", served="champion")
    runner, out = make(config, stubs, clock)
    assert not runner.run_check(
        "endpoint realtime/challenger", lambda: runner.invoke(f"{PREFIX}realtime", "challenger")
    )
    assert "asked for variant challenger, served by champion" in out.getvalue()


def test_async_failure_and_denied_input(config, stubs, clock):
    stub_async(stubs, pending=0, outcome="failure")
    stubs.error("s3", "put_object", "AccessDenied", 403)
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("endpoint async", runner.check_async)
    hint = runner.s3_hint("inference")
    assert not runner.run_check("endpoint async", runner.check_async, denied_hint=hint)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("FAIL endpoint async: secure-ml-sandbox-async wrote a failure to s3://")
    assert lines[1].startswith("FAIL endpoint async: access denied (PutObject")
    assert f"secure-ml-sandbox-inference-{ACCOUNT}-us-east-1 admits only requests" in lines[1]


def test_scaling_registration_missing(config, stubs, clock):
    missing = f"endpoint/{PREFIX}realtime/variant/challenger"
    stub_scaling(stubs, config, drop=missing)
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("scaling", runner.check_scaling)
    assert f"FAIL scaling: no scalable target for {missing}" in out.getvalue()


def test_scaling_access_denied_and_throttled(config, stubs, clock):
    stubs.error("application-autoscaling", "describe_scalable_targets", "AccessDeniedException")
    stubs.error("application-autoscaling", "describe_scalable_targets", "ThrottlingException")
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("scaling", runner.check_scaling)
    assert not runner.run_check("scaling", runner.check_scaling)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("FAIL scaling: access denied (DescribeScalableTargets")
    assert lines[1].startswith("FAIL scaling: throttled (DescribeScalableTargets: ThrottlingException)")


def test_alarms_missing_or_actions_disabled(config, stubs, clock):
    runner, out = make(config, stubs, clock)
    names = runner.expected_alarms()
    stub_alarms(stubs, names, missing=(names[0],))
    stub_alarms(stubs, names, disabled=(names[1],))
    assert not runner.run_check("alarms", runner.check_alarms)
    assert not runner.run_check("alarms", runner.check_alarms)
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == f"FAIL alarms: 1 alarm(s) missing: {names[0]}"
    assert lines[1] == f"FAIL alarms: actions disabled on {names[1]}"


def test_training_pipeline_failed_first_step_and_not_found(config, stubs, clock):
    stub_pipeline(stubs, empty_polls=0, status="Failed")
    stubs.error("sagemaker", "start_pipeline_execution", "ResourceNotFound", message="Pipeline does not exist")
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("training-pipeline", runner.check_training_pipeline)
    assert not runner.run_check("training-pipeline", runner.check_training_pipeline)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("FAIL training-pipeline: secure-ml-sandbox-training: first step Preprocess Failed")
    assert "ResourceLimitExceeded" in lines[0]
    assert lines[1].startswith("FAIL training-pipeline: not found (StartPipelineExecution")


def test_training_pipeline_timeout(config, stubs, clock):
    stubs.add("sagemaker", "start_pipeline_execution", {"PipelineExecutionArn": PIPELINE_ARN})
    for _ in range(5):
        stubs.add("sagemaker", "list_pipeline_execution_steps", {"PipelineExecutionSteps": []})
    runner, out = make(config, stubs, clock, timeout_seconds=60)
    assert not runner.run_check("training-pipeline", runner.check_training_pipeline)
    assert "FAIL training-pipeline: timed out after 1m00s waiting for the first step" in out.getvalue()


def test_partial_failure_exits_non_zero_with_summary(config, stubs, clock):
    """Ingestion is denied halfway (records sent, S3 denied); every other check still runs."""
    stubs.add("sts", "get_caller_identity", {"Account": ACCOUNT})
    stubs.add("kinesis", "put_records", {"Records": [{"SequenceNumber": "1", "ShardId": "s"}]})
    stubs.error("s3", "list_objects_v2", "AccessDenied", 403)
    stub_crawler(stubs)
    stub_athena(stubs)
    for variant in ("champion", "challenger"):
        stub_invoke(stubs, f"{PREFIX}realtime", variant)
    stub_invoke(stubs, f"{PREFIX}shadow-test", None, "champion")
    stub_invoke(stubs, f"{PREFIX}serverless", None, "AllTraffic")
    stubs.error("s3", "put_object", "AccessDenied", 403)
    stub_pipeline_endpoint(stubs)
    stub_api_outputs(stubs)
    runner, _ = make(config, stubs, clock)
    stub_scaling(stubs, config)
    stub_alarms(stubs, runner.expected_alarms())
    stub_pipeline(stubs)
    out = io.StringIO()
    code = smoke.main(["--profile", "sandbox"], client_factory=stubs, clock=clock, out=out, today=NOW)
    text = out.getvalue()
    assert code == 1
    assert text.strip().splitlines()[-1] == ("smoke sandbox: 10 passed, 3 failed (ingestion, endpoint async, api)")
    stubs.done()


def test_identity_failure_stops_early(config, stubs, clock):
    stubs.error(
        "sts", "get_caller_identity", "ExpiredToken", 403, "The security token included in the request is expired"
    )
    out = io.StringIO()
    code = smoke.main(["--profile", "sandbox"], client_factory=stubs, clock=clock, out=out, today=NOW)
    assert code == 1
    assert out.getvalue().splitlines() == [
        "FAIL identity: GetCallerIdentity failed: ExpiredToken: The security token included in the request is expired",
        "smoke sandbox: 0 passed, 1 failed (identity)",
    ]


def test_bad_profile_exits_two(capsys):
    assert smoke.main(["--profile", "nosuch"], client_factory=lambda s: None) == 2
    assert "no profile named 'nosuch'" in capsys.readouterr().err


def test_no_credentials_exits_two_with_one_line(monkeypatch, capsys):
    def no_session(region):
        print("no AWS credentials: set AWS_PROFILE", file=__import__("sys").stderr)
        raise SystemExit(2)

    monkeypatch.setattr(smoke, "_default_session", no_session)
    assert smoke.main(["--profile", "sandbox"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["no AWS credentials: set AWS_PROFILE"]


def test_clients_use_standard_retries():
    class Session:
        def client(self, service, config):
            self.config = config
            return service

    session = Session()
    factory = smoke.session_client_factory(session)
    assert factory("s3") == "s3" and factory("s3") == "s3"
    assert session.config.retries == {"mode": "standard", "max_attempts": 8}


def test_unreachable_aws_and_api(config, stubs, clock):
    from botocore.exceptions import EndpointConnectionError

    def unreachable():
        raise EndpointConnectionError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com/")

    def refused(*_args):
        raise ConnectionRefusedError("connection refused")

    stub_api_outputs(stubs)
    runner, out = make(config, stubs, clock, from_vpc=True, http=refused)
    assert not runner.run_check("endpoint serverless", unreachable)
    assert not runner.run_check("api", runner.check_api)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("FAIL endpoint serverless: cannot call AWS: Could not connect to the endpoint URL")
    assert lines[1] == f"FAIL api: cannot reach {API_URL}predict: connection refused"


def test_malformed_answer_is_a_failure_not_a_crash(config, stubs, clock):
    stubs.add("sagemaker", "start_pipeline_execution", {})
    runner, out = make(config, stubs, clock)
    assert not runner.run_check("training-pipeline", runner.check_training_pipeline)
    assert out.getvalue().startswith("FAIL training-pipeline: unexpected answer: KeyError")


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_timeout_must_be_positive_minutes(value, capsys):
    with pytest.raises(SystemExit) as stop:
        smoke.main(["--profile", "sandbox", "--timeout-minutes", value], client_factory=lambda s: None)
    assert stop.value.code == 2
    assert "--timeout-minutes" in capsys.readouterr().err


def test_timeout_minutes_accepts_fractions():
    args = smoke.parse_args(["--profile", "sandbox", "--timeout-minutes", "2.5"])
    assert args.timeout_minutes == 2.5
