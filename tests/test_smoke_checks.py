"""scripts/smoke.py against botocore Stubbers and a fake clock: names, and each check's success path.

No test calls AWS; the fixtures and stubs are shared (tests/smoke_stubs.py).
"""

from __future__ import annotations

import io
import json

from botocore.stub import ANY
from smoke_stubs import (
    ACCOUNT,
    API_URL,
    CREDENTIALS,
    NOW,
    PREFIX,
    FakeHttp,
    clock_fixture,  # noqa: F401 (the `clock` fixture)
    config_file_fixture,  # noqa: F401 (the `config_file` fixture)
    config_fixture,  # noqa: F401 (the `config` fixture)
    make,
    stub_alarms,
    stub_api_outputs,
    stub_async,
    stub_athena,
    stub_crawler,
    stub_ingestion,
    stub_invoke,
    stub_pipeline,
    stub_pipeline_endpoint,
    stub_scaling,
    stubs_fixture,  # noqa: F401 (the `stubs` fixture)
)

from scripts import smoke

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


def test_full_run_passes_and_exits_zero(config, config_file, stubs, clock):
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
        ["--config", config_file, "--from-vpc"],
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


def test_the_sandbox_smoke_test_skips_the_endpoints_it_does_not_deploy(stubs, clock):
    """The sandbox deploys no A/B, shadow-test or pipeline endpoint (docs/sandbox.md): the smoke test
    invokes, expects scaling targets and alarms for what it does deploy, never a missing endpoint."""
    from config import load_config

    sandbox = load_config("sandbox")
    assert sandbox.inference.active_realtime is None and sandbox.inference.active_shadow_test is None
    stub_invoke(stubs, f"{PREFIX}serverless", None, "AllTraffic")
    stub_async(stubs)
    runner, out = make(sandbox, stubs, clock)
    runner.check_endpoints()
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith(("PASS", "FAIL"))] == [
        "PASS endpoint serverless",
        "PASS endpoint async",
    ]
    assert runner.scaled_variants() == [(f"{PREFIX}async", "async")]
    assert all(name.startswith(f"{PREFIX}async-async-") for name in runner.expected_alarms())
    stubs.done()
