"""scripts/smoke.py against botocore Stubbers and a fake clock: each check's failures, and the command line.

No test calls AWS; the fixtures and stubs are shared (tests/smoke_stubs.py).
"""

from __future__ import annotations

import io

import pytest
from smoke_stubs import (
    ACCOUNT,
    API_URL,
    NOW,
    PIPELINE_ARN,
    PREFIX,
    clock_fixture,  # noqa: F401 (the `clock` fixture)
    config_file_fixture,  # noqa: F401 (the `config_file` fixture)
    config_fixture,  # noqa: F401 (the `config` fixture)
    make,
    stub_alarms,
    stub_api_outputs,
    stub_async,
    stub_athena,
    stub_crawler,
    stub_invoke,
    stub_pipeline,
    stub_pipeline_endpoint,
    stub_scaling,
    stubs_fixture,  # noqa: F401 (the `stubs` fixture)
)

from scripts import smoke

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


def test_partial_failure_exits_non_zero_with_summary(config, config_file, stubs, clock):
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
    code = smoke.main(["--config", config_file], client_factory=stubs, clock=clock, out=out, today=NOW)
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
