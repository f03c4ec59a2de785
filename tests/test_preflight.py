"""Preflight (scripts/preflight.py) against botocore's Stubber: no test calls AWS.

Every client is a real boto3 client with a Stubber; the factory hands out only the stubbed
services, a call nobody stubbed fails the test, and each test ends with no stubbed response left.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from config import load_config
from config.quotas import instance_quotas
from scripts import preflight

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "111122223333"
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
SANDBOX = load_config("sandbox")


def tweak(config, path: str, value):
    """A copy of `config` with the dotted field `path` set (nested models copied, not re-validated)."""
    head, _, rest = path.partition(".")
    if not rest:
        return config.model_copy(update={head: value})
    return config.model_copy(update={head: tweak(getattr(config, head), rest, value)})


@pytest.fixture
def aws():
    clients = {
        service: boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        for service in preflight.SERVICES
    }
    stubbers = {service: Stubber(client) for service, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    yield clients.__getitem__, stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def lines(results) -> list[str]:
    return [r.line() for r in results]


def statuses(results) -> list[str]:
    return [r.status for r in results]


# --- stub helpers ------------------------------------------------------------------------------


def stub_identity(stubbers, account=ACCOUNT):
    stubbers["sts"].add_response(
        "get_caller_identity",
        {"UserId": "AID", "Account": account, "Arn": f"arn:aws:iam::{account}:user/deployer"},
        {},
    )


def toolkit(status="CREATE_COMPLETE", qualifier="hnb659fds", version="29"):
    return {
        "StackName": "CDKToolkit",
        "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/CDKToolkit/1",
        "CreationTime": NOW,
        "StackStatus": status,
        "Parameters": [{"ParameterKey": "Qualifier", "ParameterValue": qualifier}],
        "Outputs": [{"OutputKey": "BootstrapVersion", "OutputValue": version}],
    }


def stub_bootstrap(stubbers, stack=None, ssm_version="29"):
    stubbers["cloudformation"].add_response(
        "describe_stacks", {"Stacks": [stack or toolkit()]}, {"StackName": "CDKToolkit"}
    )
    stubbers["ssm"].add_response(
        "get_parameter",
        {"Parameter": {"Name": "/cdk-bootstrap/hnb659fds/version", "Type": "String", "Value": ssm_version}},
        {"Name": "/cdk-bootstrap/hnb659fds/version"},
    )


def stub_lambda(stubbers, quota=1000, unreserved=1000):
    stubbers["lambda"].add_response(
        "get_account_settings",
        {"AccountLimit": {"ConcurrentExecutions": quota, "UnreservedConcurrentExecutions": unreserved}},
        {},
    )


def quota(name: str, value: float) -> dict:
    return {"ServiceCode": "sagemaker", "QuotaName": name, "QuotaCode": "L-1", "Value": value}


def stub_quotas(stubbers, values: dict[str, float]):
    """Two pages, to prove the listing is paginated."""
    items = [quota(name, value) for name, value in values.items()]
    half = len(items) // 2
    sq = stubbers["service-quotas"]
    sq.add_response("list_service_quotas", {"Quotas": items[:half], "NextToken": "t1"}, {"ServiceCode": "sagemaker"})
    sq.add_response("list_service_quotas", {"Quotas": items[half:]}, {"ServiceCode": "sagemaker", "NextToken": "t1"})


def stub_trails(stubbers, organization=False):
    trail = {"Name": "org-trail" if organization else "secure-ml-sandbox-trail", "IsOrganizationTrail": organization}
    stubbers["cloudtrail"].add_response("describe_trails", {"trailList": [trail]}, {"includeShadowTrails": True})


def stack(name, tags=None, description="Secure ML reference architecture: x", status="UPDATE_COMPLETE"):
    tags = {"project": "secure-ml", "environment": "sandbox"} if tags is None else tags
    return {
        "StackName": name,
        "StackId": f"arn:aws:cloudformation:us-east-1:111122223333:stack/{name}/1",
        "CreationTime": NOW,
        "StackStatus": status,
        "Description": description,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


def stub_stacks(stubbers, stacks):
    stubbers["cloudformation"].add_response("describe_stacks", {"Stacks": stacks}, {})


def run(config, client, **context):
    return preflight.run_checks(config, client, context)


# --- identity ----------------------------------------------------------------------------------


def test_identity_passes_for_an_account_agnostic_profile(aws):
    client, stubbers = aws
    stub_identity(stubbers)
    [result] = preflight.check_identity(SANDBOX, client, context := {})
    assert result.status == "PASS" and ACCOUNT in result.reason and REGION in result.reason
    assert context["account"] == ACCOUNT


def test_identity_fails_when_the_pinned_account_differs(aws):
    client, stubbers = aws
    stub_identity(stubbers)
    [result] = preflight.check_identity(tweak(SANDBOX, "account", "999999999999"), client, {})
    assert result.status == "FAIL" and "pins account 999999999999" in result.reason
    assert "fix: use credentials for account 999999999999" in result.line()


def test_identity_passes_when_the_pinned_account_matches(aws):
    client, stubbers = aws
    stub_identity(stubbers)
    [result] = preflight.check_identity(tweak(SANDBOX, "account", ACCOUNT), client, {})
    assert result.status == "PASS" and "pinned" in result.reason


# --- bootstrap ---------------------------------------------------------------------------------


def test_bootstrap_passes_with_the_expected_qualifier_and_version(aws):
    client, stubbers = aws
    stub_bootstrap(stubbers)
    [result] = preflight.check_bootstrap(SANDBOX, client, {"account": ACCOUNT})
    assert result.line() == "PASS bootstrap: CDKToolkit CREATE_COMPLETE, qualifier hnb659fds, version 29"


def test_bootstrap_fails_when_the_stack_does_not_exist(aws):
    client, stubbers = aws
    stubbers["cloudformation"].add_client_error(
        "describe_stacks",
        "ValidationError",
        "Stack with id CDKToolkit does not exist",
        expected_params={"StackName": "CDKToolkit"},
    )
    [result] = preflight.check_bootstrap(SANDBOX, client, {"account": ACCOUNT})
    assert result.status == "FAIL" and "no CDKToolkit stack" in result.reason
    assert f"aws://{ACCOUNT}/{REGION}" in result.fix and "make bootstrap" in result.fix


def test_bootstrap_fails_on_another_qualifier(aws):
    client, stubbers = aws
    stubbers["cloudformation"].add_response(
        "describe_stacks", {"Stacks": [toolkit(qualifier="other")]}, {"StackName": "CDKToolkit"}
    )
    [result] = preflight.check_bootstrap(SANDBOX, client, {})
    assert result.status == "FAIL" and "'other'" in result.reason
    assert "deploy.bootstrap_qualifier: other" in result.fix


def test_bootstrap_fails_on_a_rolled_back_stack(aws):
    client, stubbers = aws
    stubbers["cloudformation"].add_response(
        "describe_stacks", {"Stacks": [toolkit(status="ROLLBACK_COMPLETE")]}, {"StackName": "CDKToolkit"}
    )
    [result] = preflight.check_bootstrap(SANDBOX, client, {})
    assert result.status == "FAIL" and "ROLLBACK_COMPLETE" in result.reason


def test_bootstrap_fails_when_the_version_parameter_is_missing(aws):
    client, stubbers = aws
    stubbers["cloudformation"].add_response("describe_stacks", {"Stacks": [toolkit()]}, {"StackName": "CDKToolkit"})
    stubbers["ssm"].add_client_error("get_parameter", "ParameterNotFound", http_status_code=400)
    [result] = preflight.check_bootstrap(SANDBOX, client, {})
    assert result.status == "FAIL" and "/cdk-bootstrap/hnb659fds/version not found" in result.reason


def test_bootstrap_fails_when_stack_and_parameter_disagree_or_are_too_old(aws):
    client, stubbers = aws
    stub_bootstrap(stubbers, ssm_version="28")
    [result] = preflight.check_bootstrap(SANDBOX, client, {})
    assert result.status == "FAIL" and "differs" in result.reason
    stub_bootstrap(stubbers, stack=toolkit(version="5"), ssm_version="5")
    [result] = preflight.check_bootstrap(SANDBOX, client, {})
    assert result.status == "FAIL" and "older than 6" in result.reason


# --- Lambda concurrency ------------------------------------------------------------------------

RESERVING = tweak(SANDBOX, "deploy.lambda_reserved_concurrency", True)


def test_the_reservation_table_sums_what_the_sandbox_would_reserve():
    assert preflight.reserved_concurrency(SANDBOX) == {}
    # 1 prefix-list lookup + 2 variant scaling + 20 API + 1 approval + 5 transformation (sandbox.yaml default)
    assert sum(preflight.reserved_concurrency(RESERVING).values()) == 1 + 2 + 20 + 1 + 5
    no_api = tweak(RESERVING, "inference.api.enabled", False)
    assert "inference API handler (inference)" not in preflight.reserved_concurrency(no_api)


def test_the_reservation_table_matches_the_constructs():
    """Each fixed number in RESERVATIONS is the one its construct passes to Lambda."""
    fixed = {
        "ml_constructs/private_network.py": r"reserved_concurrent_executions = 1\b",
        "ml_constructs/variant_scaling.py": r"reserved_concurrency=2 if reserve_concurrency",
        "ml_constructs/inference_api.py": r"reserved_concurrency=20 if reserve_concurrency",
        "ml_constructs/training_pipeline.py": r"reserved_concurrency=1 if reserve_concurrency",
    }
    for path, pattern in fixed.items():
        assert re.search(pattern, (ROOT / path).read_text()), path
    sources = [where.split()[0].rstrip(":") for _, where, _, _ in preflight.RESERVATIONS]
    assert set(fixed) | {"stacks/ingestion.py"} == set(sources)


def test_lambda_passes_when_the_profile_reserves_nothing(aws):
    client, stubbers = aws
    stub_lambda(stubbers, quota=10, unreserved=10)
    [result] = preflight.check_lambda_concurrency(SANDBOX, client, {})
    assert result.status == "PASS" and "reserves none" in result.reason


def test_lambda_fails_on_a_new_accounts_quota_when_reserving(aws):
    client, stubbers = aws
    stub_lambda(stubbers, quota=10, unreserved=10)
    [result] = preflight.check_lambda_concurrency(RESERVING, client, {})
    assert result.status == "FAIL" and "reserves 29" in result.reason and "100 to stay unreserved" in result.reason
    # 29 reserved + 100 unreserved: a quota of 129 is the least that works.
    assert "request at least 129" in result.fix and "lambda_reserved_concurrency: false" in result.fix


def test_lambda_passes_on_a_raised_quota(aws):
    client, stubbers = aws
    stub_lambda(stubbers, quota=1000, unreserved=1000)
    [result] = preflight.check_lambda_concurrency(RESERVING, client, {})
    assert result.status == "PASS" and "left 971" in result.reason


# --- SageMaker instance quotas -----------------------------------------------------------------


def test_quotas_pass_when_every_need_of_config_quotas_is_met(aws):
    client, stubbers = aws
    needed = instance_quotas(SANDBOX)
    assert needed["ml.m5.large for endpoint usage"] == 20  # blue/green doubling, from config/quotas.py
    stub_quotas(stubbers, {**needed, "ml.p5.48xlarge for endpoint usage": 0})
    results = preflight.check_sagemaker_quotas(SANDBOX, client, {})
    assert statuses(results) == ["PASS"] * len(needed)
    assert "PASS sagemaker-quota ml.m5.large for endpoint usage: quota 20, the profile needs 20 at once" in lines(
        results
    )


def test_quotas_fail_when_too_low_and_warn_when_not_listed(aws):
    client, stubbers = aws
    needed = instance_quotas(SANDBOX)
    values = {**needed, "ml.m5.large for endpoint usage": 4}
    del values["ml.t3.medium for notebook instance usage"]
    stub_quotas(stubbers, values)
    results = {r.check: r for r in preflight.check_sagemaker_quotas(SANDBOX, client, {})}
    low = results["sagemaker-quota ml.m5.large for endpoint usage"]
    assert low.status == "FAIL" and "quota 4, the profile needs 20" in low.reason
    assert "'ml.m5.large for endpoint usage' to at least 20" in low.fix
    assert results["sagemaker-quota ml.t3.medium for notebook instance usage"].status == "WARN"


def test_quotas_pass_without_a_call_when_nothing_runs(aws):
    client, _ = aws
    bare = tweak(
        tweak(tweak(SANDBOX, "inference.enabled", False), "pipelines.enabled", False), "workspace.enabled", False
    )
    assert preflight.check_sagemaker_quotas(bare, client, {})[0].status == "PASS"


# --- AWS Config recorder -----------------------------------------------------------------------


def governed(recorder):
    return tweak(tweak(SANDBOX, "governance.config_rules", True), "governance.config_recorder", recorder)


def stub_recorders(stubbers, names, recording=None):
    config = stubbers["config"]
    config.add_response(
        "describe_configuration_recorders",
        {"ConfigurationRecorders": [{"name": n, "roleARN": "arn:aws:iam::1:role/r"} for n in names]},
        {},
    )
    if recording is not None:
        config.add_response(
            "describe_configuration_recorder_status",
            {"ConfigurationRecordersStatus": [{"name": n, "recording": recording} for n in names]},
            {},
        )


def test_config_recorder_is_not_asked_for_when_rules_are_off(aws):
    client, _ = aws
    [result] = preflight.check_config_recorder(SANDBOX, client, {})
    assert result.status == "PASS" and "off" in result.reason


def test_existing_recorder_passes_when_recording(aws):
    client, stubbers = aws
    stub_recorders(stubbers, ["default"], recording=True)
    [result] = preflight.check_config_recorder(governed("existing"), client, {})
    assert result.line() == "PASS config-recorder: recorder default is recording"


def test_existing_recorder_fails_when_missing_or_stopped(aws):
    client, stubbers = aws
    stub_recorders(stubbers, [])
    [result] = preflight.check_config_recorder(governed("existing"), client, {})
    assert result.status == "FAIL" and "config_recorder: create" in result.fix
    stub_recorders(stubbers, ["default"], recording=False)
    [result] = preflight.check_config_recorder(governed("existing"), client, {})
    assert result.status == "FAIL" and "not recording" in result.reason and "start-configuration-recorder" in result.fix


def test_create_fails_when_another_recorder_exists_and_passes_with_its_own(aws):
    client, stubbers = aws
    stub_recorders(stubbers, ["aws-controltower-BaselineConfigRecorder"])
    [result] = preflight.check_config_recorder(governed("create"), client, {})
    assert result.status == "FAIL" and "one per region" in result.reason
    assert result.fix == "set governance.config_recorder: existing"
    stub_recorders(stubbers, ["secure-ml-sandbox-recorder"])
    assert preflight.check_config_recorder(governed("create"), client, {})[0].status == "PASS"


def test_recorder_name_matches_the_governance_stack():
    assert 'name=f"{prefix}recorder"' in (ROOT / "stacks/governance.py").read_text()
    assert preflight.recorder_name(SANDBOX) == "secure-ml-sandbox-recorder"


# --- organization trail ------------------------------------------------------------------------


def test_organization_trail_warns_and_suggests_turning_the_trail_off(aws):
    client, stubbers = aws
    stub_trails(stubbers, organization=True)
    [result] = preflight.check_organization_trail(SANDBOX, client, {})
    assert result.status == "WARN" and "org-trail" in result.reason
    assert "security.trail.enabled: false" in result.fix


def test_no_organization_trail_passes_and_a_profile_without_trail_asks_nothing(aws):
    client, stubbers = aws
    stub_trails(stubbers, organization=False)
    assert preflight.check_organization_trail(SANDBOX, client, {})[0].status == "PASS"
    untrailed = tweak(SANDBOX, "security.trail.enabled", False)
    assert preflight.check_organization_trail(untrailed, client, {})[0].status == "PASS"


# --- Model Monitor -----------------------------------------------------------------------------

MONITORED = tweak(SANDBOX, "inference.realtime.monitoring.enabled", True)


def test_model_monitor_is_not_asked_for_when_off(aws):
    client, _ = aws
    assert preflight.check_model_monitor(SANDBOX, client, {})[0].status == "PASS"


def test_model_monitor_passes_when_sagemaker_answers(aws):
    client, stubbers = aws
    stubbers["sagemaker"].add_response(
        "list_monitoring_schedules", {"MonitoringScheduleSummaries": []}, {"MaxResults": 1}
    )
    assert preflight.check_model_monitor(MONITORED, client, {})[0].status == "PASS"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDeniedException", "User is not authorized"),
        ("ValidationException", "Model Monitor is not available for new customers"),
    ],
)
def test_model_monitor_fails_when_closed(aws, code, message):
    client, stubbers = aws
    stubbers["sagemaker"].add_client_error("list_monitoring_schedules", code, message)
    [result] = preflight.check_model_monitor(MONITORED, client, {})
    assert result.status == "FAIL" and "closed Model Monitor to new customers" in result.reason
    assert "monitoring.enabled: false" in result.fix


# --- stack-name collisions ---------------------------------------------------------------------


def test_stack_names_pass_when_nothing_exists_or_the_stacks_are_this_profiles(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("someone-elses-stack")])
    assert preflight.check_stack_names(SANDBOX, client, {})[0].line() == (
        "PASS stack-names: none of the profile's stacks exists yet"
    )
    stub_stacks(stubbers, [stack("secure-ml-sandbox-network"), stack("secure-ml-sandbox-data")])
    [result] = preflight.check_stack_names(SANDBOX, client, {})
    assert result.status == "PASS" and "2 existing" in result.reason


def test_stack_names_fail_for_a_stack_of_another_project_or_profile(aws):
    client, stubbers = aws
    stub_stacks(
        stubbers,
        [
            stack("secure-ml-sandbox-network", description="Team X network"),
            stack("secure-ml-sandbox-data", tags={"project": "secure-ml", "environment": "alice-test"}),
        ],
    )
    results = preflight.check_stack_names(SANDBOX, client, {})
    assert statuses(results) == ["FAIL", "FAIL"]
    assert "not created by this project" in results[0].reason
    assert "environment=alice-test" in results[1].reason and "profile:" in results[1].fix


def test_stack_names_fail_for_a_copied_profile_that_kept_the_name(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("secure-ml-sandbox-network")])
    [result] = preflight.check_stack_names(SANDBOX, client, {"shipped_profile": "config/sandbox.yaml"})
    assert result.status == "FAIL" and "would overwrite the real sandbox" in result.reason


def test_stack_names_warn_while_a_stack_is_busy(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("secure-ml-sandbox-network", status="UPDATE_IN_PROGRESS")])
    assert statuses(preflight.check_stack_names(SANDBOX, client, {})) == ["WARN"]


def test_stack_names_and_descriptions_match_build_platform():
    from stacks.naming import stack_name

    source = (ROOT / "stacks/__init__.py").read_text()
    assert f'description=f"{preflight.DESCRIPTION_PREFIX}: {{summary}}"' in source
    for suffix in preflight.STACKS:
        assert f'"{suffix}",' in source, suffix
        assert preflight.stack_name(SANDBOX, suffix) == stack_name(SANDBOX, suffix)


def test_shipped_profile_is_named_only_for_a_copy(tmp_path):
    copy = tmp_path / "mine.yaml"
    copy.write_text((ROOT / "config/sandbox.yaml").read_text())
    assert preflight.shipped_profile(SANDBOX, str(copy)) == "config/sandbox.yaml"
    assert preflight.shipped_profile(SANDBOX, str(ROOT / "config/sandbox.yaml")) is None
    assert preflight.shipped_profile(SANDBOX, None) is None


# --- exports of stacks the profile turns off ---------------------------------------------------

NO_INGESTION = tweak(SANDBOX, "ingestion.enabled", False)
LAKE_ID = "arn:aws:cloudformation:us-east-1:111122223333:stack/secure-ml-sandbox-lake/1"


def stub_exports(stubbers, importers):
    cfn = stubbers["cloudformation"]
    stub_stacks(stubbers, [stack("secure-ml-sandbox-lake"), stack("secure-ml-sandbox-network")])
    exports = [
        {"ExportingStackId": LAKE_ID, "Name": "lake-bucket", "Value": "b"},
        {"ExportingStackId": "arn:aws:cloudformation:us-east-1:1:stack/other/1", "Name": "other", "Value": "v"},
    ]
    cfn.add_response("list_exports", {"Exports": exports}, {})
    if importers:
        cfn.add_response("list_imports", {"Imports": importers}, {"ExportName": "lake-bucket"})
    else:
        cfn.add_client_error(
            "list_imports",
            "ValidationError",
            "Export 'lake-bucket' is not imported by any stack.",
            expected_params={"ExportName": "lake-bucket"},
        )


def test_an_export_still_imported_from_a_stack_turned_off_fails_naming_the_importer(aws):
    client, stubbers = aws
    stub_exports(stubbers, ["secure-ml-sandbox-pipelines"])
    [result] = preflight.check_stale_exports(NO_INGESTION, client, {})
    assert result.status == "FAIL"
    assert (
        "secure-ml-sandbox-lake is off" in result.reason and "imported by secure-ml-sandbox-pipelines" in result.reason
    )


def test_a_stack_turned_off_without_importers_warns(aws):
    client, stubbers = aws
    stub_exports(stubbers, [])
    [result] = preflight.check_stale_exports(NO_INGESTION, client, {})
    assert result.status == "WARN" and "cdk destroy secure-ml-sandbox-lake" in result.fix


def test_no_stack_turned_off_passes_without_listing_exports(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("secure-ml-sandbox-lake")])
    assert preflight.check_stale_exports(SANDBOX, client, {})[0].status == "PASS"


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
