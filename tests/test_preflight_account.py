"""Preflight (scripts/preflight.py) against botocore's Stubber: identity, bootstrap, Lambda and SageMaker quotas.

No test calls AWS; the fixture and stubs are shared (tests/preflight_stubs.py).
"""

from __future__ import annotations

import re

from preflight_stubs import (
    ACCOUNT,
    REGION,
    ROOT,
    SANDBOX,
    aws_fixture,  # noqa: F401 (the `aws` fixture)
    lines,
    statuses,
    stub_bootstrap,
    stub_identity,
    stub_lambda,
    stub_quotas,
    toolkit,
    tweak,
)

from config import load_config
from config.quotas import instance_quotas
from scripts import preflight

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

# The sandbox before issue 15 (every endpoint, deployment on approval): what the quota checks size for.
DEMO = load_config("demo")
RESERVING = tweak(DEMO, "deploy.lambda_reserved_concurrency", True)


def test_the_reservation_table_sums_what_the_sandbox_would_reserve():
    assert preflight.reserved_concurrency(SANDBOX) == {}
    # 1 prefix-list lookup + 2 variant scaling + 20 API + 1 approval + 5 transformation (demo.yaml default)
    assert sum(preflight.reserved_concurrency(RESERVING).values()) == 1 + 2 + 20 + 1 + 5
    # The sandbox deploys no approval function (docs/sandbox.md): nothing reserved for it.
    sandbox = preflight.reserved_concurrency(tweak(SANDBOX, "deploy.lambda_reserved_concurrency", True))
    assert sum(sandbox.values()) == 1 + 2 + 20 + 5 and "approval deployment (pipelines)" not in sandbox
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
    needed = instance_quotas(DEMO)
    assert needed["ml.m5.large for endpoint usage"] == 20  # blue/green doubling, from config/quotas.py
    stub_quotas(stubbers, {**needed, "ml.p5.48xlarge for endpoint usage": 0})
    results = preflight.check_sagemaker_quotas(DEMO, client, {})
    assert statuses(results) == ["PASS"] * len(needed)
    assert "PASS sagemaker-quota ml.m5.large for endpoint usage: quota 20, the profile needs 20 at once" in lines(
        results
    )


def test_quotas_fail_when_too_low_and_warn_when_not_listed(aws):
    client, stubbers = aws
    needed = instance_quotas(DEMO)
    values = {**needed, "ml.m5.large for endpoint usage": 4}
    del values["ml.t3.medium for notebook instance usage"]
    stub_quotas(stubbers, values)
    results = {r.check: r for r in preflight.check_sagemaker_quotas(DEMO, client, {})}
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
