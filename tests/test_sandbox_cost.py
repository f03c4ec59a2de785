"""The cheap sandbox (issue 15, docs/sandbox.md): what it turns off is really off, what depends on
it follows, and its hourly-billed resources stay within the idle budget.

The budget test takes the estimator's idle lines (scripts/cost.py) for the sandbox and the demo and
checks the hourly-billed ones against hand arithmetic with us-east-1 list prices.
"""

from __future__ import annotations

import pytest
from conftest import with_changes
from helpers import as_list

from config import load_config
from config.quotas import hosting_instances
from scripts.cost import estimate

SANDBOX_IDLE_BUDGET = 140.0


def idle_by_item(assembly) -> dict[str, float]:
    """Monthly USD the estimator (scripts/cost.py) gives each price item of the profile at idle."""
    result = estimate(assembly.outdir)
    assert result.total()[1], "every idle line of the profile has a us-east-1 price"
    found: dict[str, float] = {}
    for line in result.idle:
        found[line.item] = found.get(line.item, 0.0) + line.monthly
    return found


def _of_type(assembly, resource_type: str) -> list[dict]:
    found = []
    for stack in assembly.platform.all():
        found += [r.get("Properties", {}) for r in assembly.resources(stack.artifact_id, resource_type).values()]
    return found


def _min_capacity(assembly) -> dict[tuple[str, str], int]:
    """(endpoint name, variant) -> autoscaling minimum, from the variant-scaling resources."""
    found = {}
    for props in _of_type(assembly, "Custom::VariantScaling"):
        for variant in props["Variants"]:
            found[(props["EndpointName"], variant["VariantName"])] = int(variant["MinCapacity"])
    return found


def test_g2_sandbox_idles_within_its_budget(sandbox):
    costs = idle_by_item(sandbox)
    assert sum(costs.values()) <= SANDBOX_IDLE_BUDGET, costs
    assert costs.get("sagemaker.hosting_hour", 0) == 0  # async at zero instances, serverless, nothing else
    assert costs.get("kinesis.shard_hour", 0) == 0  # Firehose Direct PUT, no source stream
    # 16 endpoints in one zone; 0.01 * 730 = 7.30 each
    assert costs["vpc.interface_endpoint_hour"] == pytest.approx(16 * 7.30)


def test_g2_demo_shows_what_the_sandbox_saves(sandbox, demo):
    """The demo keeps the instance-backed endpoints and the endpoints in every zone: the arithmetic
    that says where the sandbox's saving comes from."""
    before, after = idle_by_item(demo), idle_by_item(sandbox)
    # A/B 2 + shadow test 2 + pipeline 1 instances of ml.m5.large; async idles at 0; one shard.
    assert before["sagemaker.hosting_hour"] == pytest.approx(5 * 0.115 * 730)
    assert before["kinesis.shard_hour"] == pytest.approx(0.015 * 730)
    assert before["vpc.interface_endpoint_hour"] == pytest.approx(2 * after["vpc.interface_endpoint_hour"])
    assert sum(before.values()) > 5 * SANDBOX_IDLE_BUDGET / 2


# --- E9: the async endpoint idles at zero instances -------------------------------------------


def test_e9_sandbox_async_endpoint_scales_to_zero(sandbox):
    minimum = _min_capacity(sandbox)
    assert minimum == {("secure-ml-sandbox-async", "async"): 0}
    assert [h.endpoint for h in hosting_instances(sandbox.config)] == ["async"]


# --- Real-time off: every dependent piece follows ---------------------------------------------


def test_realtime_off_deploys_no_instance_backed_real_time_endpoint(sandbox):
    inference = sandbox.config.inference
    assert inference.realtime.enabled is False and inference.active_realtime is None
    assert inference.active_shadow_test is None and inference.pipeline.enabled is False
    names = sorted(p["EndpointName"] for p in _of_type(sandbox, "AWS::SageMaker::Endpoint"))
    assert names == ["secure-ml-sandbox-async", "secure-ml-sandbox-serverless"]
    assert sandbox.platform.inference.realtime is None and sandbox.platform.inference.shadow_test is None
    assert not sandbox.resources("Inference", "AWS::SageMaker::MonitoringSchedule")


def test_realtime_off_api_fronts_the_serverless_endpoint(sandbox):
    functions = sandbox.resources("Inference", "AWS::Lambda::Function")
    (api,) = [
        f["Properties"]
        for f in functions.values()
        if "ALLOWED_VARIANTS" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    variables = api["Environment"]["Variables"]
    assert variables["ENDPOINT_NAME"] == "secure-ml-sandbox-serverless"
    assert variables["ALLOWED_VARIANTS"] == "serverless"


def test_realtime_off_alarms_and_dashboard_cover_only_deployed_endpoints(sandbox):
    deployed = {p["EndpointName"] for p in _of_type(sandbox, "AWS::SageMaker::Endpoint")}
    for alarm in sandbox.resources("Inference", "AWS::CloudWatch::Alarm").values():
        for dimension in as_list(alarm["Properties"].get("Dimensions", [])):
            if dimension["Name"] == "EndpointName":
                assert dimension["Value"] in deployed
    (dashboard,) = sandbox.resources("Inference", "AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    assert "secure-ml-sandbox-realtime" not in body and "shadow-test" not in body
    assert "secure-ml-sandbox-async" in body


def test_realtime_off_no_deployment_on_approval(sandbox):
    assert sandbox.platform.pipelines.approval is None
    assert not [
        f
        for f in sandbox.resources("Pipelines", "AWS::Lambda::Function")
        if f.startswith("ApprovalFunction") or "Approval" in f
    ]


def test_realtime_off_refuses_deployment_on_approval(sandbox):
    with pytest.raises(ValueError, match="deploy_on_approval needs inference.realtime.enabled"):
        with_changes(sandbox.config, **{"pipelines.deploy_on_approval.enabled": True})


def test_realtime_off_api_needs_the_serverless_endpoint(sandbox):
    with pytest.raises(ValueError, match="inference.api needs an endpoint to front"):
        with_changes(sandbox.config, **{"inference.serverless.enabled": False})
    with_changes(sandbox.config, **{"inference.serverless.enabled": False, "inference.api.enabled": False})


def test_realtime_off_quotas_count_only_the_async_endpoint(sandbox, demo):
    from config.quotas import instance_quotas

    assert instance_quotas(sandbox.config)["ml.m5.large for endpoint usage"] == 2  # async max 1, blue/green
    assert instance_quotas(demo.config)["ml.m5.large for endpoint usage"] > 2


# --- The demo profile: today's sandbox, beside it ---------------------------------------------


def test_demo_is_the_full_sandbox_under_its_own_name():
    sandbox, demo = load_config("sandbox"), load_config("demo")
    assert demo.profile == "demo" and demo.network.cidr != sandbox.network.cidr
    assert demo.network.interface_endpoint_zones is None
    inference = demo.inference
    assert inference.active_realtime and inference.active_shadow_test and inference.pipeline.enabled
    assert inference.asynchronous.enabled and inference.serverless.enabled and inference.api.enabled
    assert demo.pipelines.deploy_on_approval.enabled
    assert demo.ingestion.stream.enabled and not sandbox.ingestion.stream.enabled
    # Everything else is the sandbox's.
    ignored = {"profile", "tags", "network", "inference", "pipelines", "ingestion", "governance"}
    assert demo.model_dump(exclude=ignored) == sandbox.model_dump(exclude=ignored)
    assert demo.tags == {**sandbox.tags, "environment": "demo"}
