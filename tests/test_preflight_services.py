"""Preflight (scripts/preflight.py) against botocore's Stubber: Config recorder, organization trail, Model Monitor.

No test calls AWS; the fixture and stubs are shared (tests/preflight_stubs.py).
"""

from __future__ import annotations

import pytest
from preflight_stubs import (
    ROOT,
    SANDBOX,
    aws_fixture,  # noqa: F401 (the `aws` fixture)
    stub_trails,
    tweak,
)

from scripts import preflight

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

# The sandbox deploys no real-time endpoint (docs/sandbox.md): monitoring is asked for with it on.
MONITOR_SWITCH_ONLY = tweak(SANDBOX, "inference.realtime.monitoring.enabled", True)
MONITORED = tweak(MONITOR_SWITCH_ONLY, "inference.realtime.enabled", True)


@pytest.mark.parametrize("config", [SANDBOX, MONITOR_SWITCH_ONLY], ids=["off", "endpoint-off"])
def test_model_monitor_is_not_asked_for_when_off(aws, config):
    """No schedule is deployed with monitoring off or with the real-time endpoint off: no call."""
    client, _ = aws
    assert preflight.check_model_monitor(config, client, {})[0].status == "PASS"


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
