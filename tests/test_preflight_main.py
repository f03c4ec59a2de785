"""Preflight (scripts/preflight.py) against botocore's Stubber: errors that do not stop the run, and main.

No test calls AWS; the fixture and stubs are shared (tests/preflight_stubs.py).
"""

from __future__ import annotations

import re

import boto3
import pytest
from preflight_stubs import (
    REGION,
    ROOT,
    SANDBOX,
    aws_fixture,  # noqa: F401 (the `aws` fixture)
    run,
    stack,
    stub_bootstrap,
    stub_identity,
    stub_lambda,
    stub_quotas,
    stub_stacks,
    stub_trails,
)

from config.quotas import instance_quotas
from scripts import preflight

# --- errors: access denied, throttling, the run goes on ------------------------------------------


def test_access_denied_fails_naming_the_permission_and_other_checks_still_run(aws):
    client, stubbers = aws
    stub_identity(stubbers)
    stubbers["cloudformation"].add_client_error(
        "describe_stacks",
        "AccessDenied",
        "not authorized",
        http_status_code=403,
        expected_params={"StackName": "CDKToolkit"},
    )
    stub_lambda(stubbers)
    stub_quotas(stubbers, instance_quotas(SANDBOX))
    stub_trails(stubbers)
    stub_stacks(stubbers, [])
    results = {r.check: r for r in run(SANDBOX, client)}
    bootstrap = results["bootstrap"]
    assert bootstrap.status == "FAIL" and "lack cloudformation:DescribeStacks" in bootstrap.reason
    assert "grant cloudformation:DescribeStacks" in bootstrap.fix
    assert results["identity"].status == results["lambda-concurrency"].status == "PASS"


def test_throttling_that_outlasts_the_retries_fails_the_check(aws):
    client, stubbers = aws
    stubbers["lambda"].add_client_error("get_account_settings", "TooManyRequestsException", http_status_code=429)
    with pytest.raises(Exception) as raised:
        preflight.check_lambda_concurrency(SANDBOX, client, {})
    result = preflight.failure("lambda-concurrency", raised.value)
    assert result.line() == (
        "FAIL lambda-concurrency: GetAccountSettings still throttled after retries (TooManyRequestsException); "
        "fix: run preflight again later"
    )


def test_the_clients_retry_throttling_in_standard_mode():
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    client = preflight.client_factory(session)
    assert client("lambda") is client("lambda")
    retries = client("service-quotas").meta.config.retries
    assert retries["mode"] == "standard" and retries["total_max_attempts"] == 11  # the first call and 10 retries


def test_every_call_has_its_permission_listed_in_the_docstring():
    for permission in preflight.PERMISSIONS.values():
        assert permission in preflight.__doc__


# --- main: the lines, the summary and the exit code --------------------------------------------


def stub_clean_account(stubbers, stacks=()):
    stub_identity(stubbers)
    stub_bootstrap(stubbers)
    stub_lambda(stubbers)
    stub_quotas(stubbers, instance_quotas(SANDBOX))
    stub_trails(stubbers)
    stub_stacks(stubbers, list(stacks))


def test_main_prints_one_line_per_check_and_exits_0_on_a_clean_account(aws):
    client, stubbers = aws
    stub_clean_account(stubbers)
    out: list[str] = []
    assert preflight.main(["--profile", "sandbox"], clients=client, out=out.append) == 0
    assert all(re.match(r"^(PASS|WARN|FAIL) [\w .-]+: ", line) for line in out[:-1])
    assert len(out) == 9 + len(instance_quotas(SANDBOX)) - 1 + 1
    assert out[-1] == "preflight secure-ml-sandbox in us-east-1: 13 passed, 0 warnings, 0 failed: ready to deploy"


def test_main_exits_1_on_any_fail(aws):
    client, stubbers = aws
    stub_identity(stubbers)
    stubbers["cloudformation"].add_client_error(
        "describe_stacks", "ValidationError", "Stack with id CDKToolkit does not exist"
    )
    stub_lambda(stubbers)
    stub_quotas(stubbers, instance_quotas(SANDBOX))
    stub_trails(stubbers, organization=True)
    stub_stacks(stubbers, [])
    out: list[str] = []
    assert preflight.main(["--profile", "sandbox"], clients=client, out=out.append) == 1
    assert out[-1].endswith("11 passed, 1 warnings, 1 failed: not ready to deploy")


def test_main_reports_a_copied_profile_through_config(aws, tmp_path):
    client, stubbers = aws
    stub_clean_account(stubbers, stacks=[stack("secure-ml-sandbox-network")])
    copy = tmp_path / "copy.yaml"
    copy.write_text((ROOT / "config/sandbox.yaml").read_text())
    out: list[str] = []
    assert preflight.main(["--config", str(copy)], clients=client, out=out.append) == 1
    assert any(line.startswith("FAIL stack-names:") and "config/sandbox.yaml" in line for line in out)


def test_main_prints_each_config_problem_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("profile: sandbox\nunknown_key: 1\n")
    assert preflight.main(["--config", str(bad)], clients=lambda service: pytest.fail(service)) == 2
    err = capsys.readouterr().err
    assert err.startswith("Invalid configuration in ") and "unknown_key: unknown key" in err
    assert "Traceback" not in err


def test_main_without_credentials_prints_one_line_and_exits_2(monkeypatch, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    assert preflight.main(["--profile", "sandbox"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no AWS credentials" in err[0]
