"""The cost estimate (scripts/cost.py, `make cost`) and the sandbox's budget alarm (pattern G2)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from authz import ACCOUNT, ServicePrincipal, World, evaluate

from config.regional import CHECKED_REGIONS
from scripts import cost

OTHER_ACCOUNT = "444455556666"
PRICES = cost.Prices.load()


def usd(item: str, variant: str | None = None) -> float:
    value = PRICES.price(item, "us-east-1", variant)
    assert value is not None, item
    return value


def write_assembly(directory: Path, resources: dict, *, region: str = "us-east-1", stack: str = "Small") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stack}.template.json").write_text(json.dumps({"Resources": resources}))
    manifest = {
        "artifacts": {
            stack: {
                "type": "aws:cloudformation:stack",
                "environment": f"aws://unknown-account/{region}",
                "properties": {"templateFile": f"{stack}.template.json"},
            }
        }
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def interface(service: str) -> dict:
    return {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {
            "VpcEndpointType": "Interface",
            "ServiceName": f"com.amazonaws.us-east-1.{service}",
            "SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
        },
    }


def hosted(config_id: str, name: str, variants: list[dict], **config: object) -> dict:
    return {
        f"{config_id}Config": {
            "Type": "AWS::SageMaker::EndpointConfig",
            "Properties": {"ProductionVariants": variants, **config},
        },
        f"{config_id}Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {
                "EndpointName": name,
                "EndpointConfigName": {"Fn::GetAtt": [f"{config_id}Config", "EndpointConfigName"]},
            },
        },
    }


def scaling(name: str, variant: str, minimum: int) -> dict:
    return {
        "Type": "Custom::VariantScaling",
        "Properties": {"EndpointName": name, "Variants": [{"VariantName": variant, "MinCapacity": minimum}]},
    }


# Every resource kind the estimate prices, with the figure it must give, worked out by hand.
SMALL = {
    "Sts": interface("sts"),
    "Logs": interface("logs"),
    "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
    "KeyA": {"Type": "AWS::KMS::Key", "Properties": {}},
    "KeyB": {"Type": "AWS::KMS::Key", "Properties": {}},
    "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {}},
    **hosted("Realtime", "rt", [{"VariantName": "a", "InstanceType": "ml.m5.large", "InitialInstanceCount": 3}]),
    "RealtimeScaling": scaling("rt", "a", 1),
    **hosted(
        "Serverless",
        "sl",
        [{"VariantName": "s", "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}],
    ),
    **hosted(
        "Async",
        "as",
        [{"VariantName": "q", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
        AsyncInferenceConfig={},
    ),
    "AsyncScaling": scaling("as", "q", 0),
    "Notebook": {
        "Type": "AWS::SageMaker::NotebookInstance",
        "Properties": {
            "NotebookInstanceName": "nb",
            "InstanceType": "ml.t3.medium",
            "VolumeSizeInGB": 20,
            "LifecycleConfigName": "idle-stop",
        },
    },
    "Host": {
        "Type": "AWS::EC2::Instance",
        "Properties": {"InstanceType": "t4g.nano", "BlockDeviceMappings": [{"Ebs": {"VolumeSize": 8}}]},
    },
    "HostStop": {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmActions": ["arn:aws:automate:us-east-1:ec2:stop"],
            "Dimensions": [{"Name": "InstanceId", "Value": {"Ref": "Host"}}],
        },
    },
    "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
    "Shards": {"Type": "AWS::Kinesis::Stream", "Properties": {"Name": "p", "ShardCount": 2}},
    "OnDemand": {
        "Type": "AWS::Kinesis::Stream",
        "Properties": {"Name": "o", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
    },
    "Crawler": {
        "Type": "AWS::Glue::Crawler",
        "Properties": {"Name": "c", "Schedule": {"ScheduleExpression": "cron(15 * * * ? *)"}},
    },
    "Budget": {"Type": "AWS::Budgets::Budget", "Properties": {"Budget": {"BudgetLimit": {"Amount": 150}}}},
}


def by_what(lines: list[cost.Line]) -> dict[str, float | None]:
    return {line.what: line.monthly for line in lines}


def test_small_template_figures_checked_by_hand(tmp_path):
    result = cost.estimate(write_assembly(tmp_path / "small", SMALL), PRICES)
    idle = by_what(result.idle)
    endpoints = sum(v for k, v in idle.items() if k.startswith("interface endpoint"))
    assert endpoints == pytest.approx(2 * 2 * 730 * 0.01) == pytest.approx(29.20)  # 2 endpoints x 2 AZs
    assert idle["rt/a: 1 x ml.m5.large"] == pytest.approx(730 * usd("sagemaker.hosting_hour", "ml.m5.large"))
    assert idle["rt/a: 1 x ml.m5.large"] == pytest.approx(83.95)  # min capacity 1, not the initial 3
    assert idle["as/q (async): 0 x ml.m5.large"] == 0  # asynchronous at minimum 0
    assert not any(k.startswith("sl/") for k in idle)  # serverless idles at zero
    assert idle["NAT gateway"] == pytest.approx(730 * 0.045)
    assert idle["KMS customer-managed keys"] == pytest.approx(2.00)
    assert idle["CloudTrail management events (first copy)"] == 0
    assert idle["notebook nb: 20 GB volume (stopped when idle)"] == pytest.approx(20 * 0.14)
    assert idle["EC2 Host: 8 GB gp3 (stopped when idle)"] == pytest.approx(8 * 0.08)
    assert not any("running" in k for k in idle)  # both stop when idle
    assert idle["CloudWatch alarms"] == pytest.approx(0.10)
    assert idle["CloudWatch dashboards"] == pytest.approx(3.00)
    assert idle["Kinesis p: 2 provisioned shard(s)"] == pytest.approx(2 * 730 * 0.015)
    assert idle["Kinesis o: on-demand stream"] == pytest.approx(730 * 0.04)
    crawler = next(v for k, v in idle.items() if k.startswith("Glue crawler c"))
    assert crawler == pytest.approx(24 * 30.42 * 2 * 10 / 60 * 0.44)  # hourly, 10-minute minimum at 2 DPU
    assert idle["AWS Budgets cost budget"] == 0
    total, complete = result.total()
    assert complete and total == pytest.approx(sum(idle.values()))

    per_unit = by_what(result.per_unit)
    serverless = per_unit["sl/s: per 1,000 serverless predictions"]
    assert serverless == pytest.approx(1000 * 0.1 * 2 * 0.00002 + 1000 * 20 / 1e6 * 0.016)
    assert per_unit["per GB through interface endpoints"] == pytest.approx(0.01)
    assert per_unit["per GB through a NAT gateway"] == pytest.approx(0.045)
    assert per_unit["notebook nb: per working hour (ml.t3.medium)"] == pytest.approx(0.05)


def test_notebook_without_idle_stop_bills_every_hour(tmp_path):
    notebook = {**SMALL["Notebook"], "Properties": {**SMALL["Notebook"]["Properties"]}}
    del notebook["Properties"]["LifecycleConfigName"]
    result = cost.estimate(write_assembly(tmp_path / "nb", {"Notebook": notebook}), PRICES)
    assert by_what(result.idle)["notebook nb: ml.t3.medium running"] == pytest.approx(730 * 0.05)


def test_a_region_without_sourced_prices_is_marked_not_guessed(tmp_path):
    unpriced = next(r for r in CHECKED_REGIONS if r not in PRICES.regions())
    assembly = write_assembly(tmp_path / unpriced, {"Sts": interface("sts")}, region=unpriced)
    result = cost.estimate(assembly, PRICES)
    assert result.region == unpriced
    assert [line.monthly for line in result.idle] == [None]
    assert result.total() == (0, False)
    report = cost.markdown([assembly], PRICES)
    assert "no price" in report and "(incomplete)" in report and unpriced in report


def test_price_table_is_dated_and_sourced():
    as_of = datetime.date.fromisoformat(PRICES.as_of)
    assert as_of <= datetime.date(2026, 12, 31)
    for name, item in PRICES.items.items():
        assert item["source"].startswith("https://aws.amazon.com/"), name
        assert item["unit"], name
    assert PRICES.regions() <= set(CHECKED_REGIONS)
    assert "us-east-1" in PRICES.regions()


@pytest.mark.parametrize("name", ["sandbox", "production"])
def test_profiles_estimates_from_the_fixtures(request, name):
    assembly = request.getfixturevalue(name)
    result = cost.estimate(assembly.outdir, PRICES, profile=name)
    totals = result.stack_totals()
    assert {"SecurityBaseline", "Network", "Inference"} <= set(totals)
    endpoints = assembly.resources("Network", "AWS::EC2::VPCEndpoint")
    # one endpoint network interface per subnet (AZ) the endpoint is placed in
    az_count = sum(
        len(r["Properties"]["SubnetIds"])
        for r in endpoints.values()
        if r["Properties"].get("VpcEndpointType") == "Interface"
    )
    network = sum(line.monthly for line in result.idle if line.what.startswith("interface endpoint"))
    assert az_count and network == pytest.approx(az_count * 730 * 0.01)
    total, complete = result.total()
    assert complete and total > 0
    assert any(line.unit == "run" for line in result.per_unit)  # the training pipeline, per run
    report = cost.markdown([assembly.outdir], PRICES)
    assert f"${total:,.2f}" in report


def test_report_states_the_budget_beside_the_estimate(sandbox):  # proves G2
    report = cost.markdown([sandbox.outdir], PRICES)
    assert "Budget alarm: $150/month" in report


# --- G2: the sandbox's budget alarm ---------------------------------------------------------------


def budget_resources(sandbox) -> tuple[dict, str, str]:
    template = sandbox.template_json("SecurityBaseline")["Resources"]
    budgets = {k: v for k, v in template.items() if v["Type"] == "AWS::Budgets::Budget"}
    assert len(budgets) == 1
    (budget,) = budgets.values()
    topic_id = next(k for k, v in template.items() if v["Type"] == "AWS::SNS::Topic" and k.startswith("CostBudget"))
    key_id = next(k for k, v in template.items() if v["Type"] == "AWS::KMS::Key" and k.startswith("NotificationsKey"))
    return budget["Properties"], topic_id, key_id


def test_sandbox_budget_notifies_an_encrypted_topic(sandbox):  # proves G2
    properties, topic_id, key_id = budget_resources(sandbox)
    budget = properties["Budget"]
    assert budget["BudgetType"] == "COST" and budget["TimeUnit"] == "MONTHLY"
    assert budget["BudgetLimit"] == {"Amount": sandbox.config.governance.budget.monthly_limit_usd, "Unit": "USD"}
    assert sandbox.config.governance.budget.monthly_limit_usd == 150
    notifications = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"], n["Notification"]["ThresholdType"])
        for n in properties["NotificationsWithSubscribers"]
    }
    assert notifications == {
        ("ACTUAL", 80, "PERCENTAGE"),
        ("ACTUAL", 100, "PERCENTAGE"),
        ("FORECASTED", 100, "PERCENTAGE"),
    }
    for n in properties["NotificationsWithSubscribers"]:
        assert n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": topic_id}}]
    topic = sandbox.template_json("SecurityBaseline")["Resources"][topic_id]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


@pytest.fixture(scope="module")
def budget_decisions(sandbox):
    world = World.from_assembly(sandbox)
    _, topic_id, key_id = budget_resources(sandbox)
    stack = "SecurityBaseline"
    topic, key = world.arn(stack, topic_id), world.arn(stack, key_id)
    budgets = ServicePrincipal("budgets.amazonaws.com")

    def budget(account: str) -> dict:
        return {"aws:SourceAccount": account, "aws:SourceArn": f"arn:aws:budgets::{account}:budget/monthly"}

    cases = {
        "publish-this-account": world.request(budgets, "sns:Publish", topic, context=budget(ACCOUNT)),
        "publish-other-account": world.request(budgets, "sns:Publish", topic, context=budget(OTHER_ACCOUNT)),
        "key-this-account": world.request(budgets, "kms:GenerateDataKey", key, context=budget(ACCOUNT)),
        "decrypt-this-account": world.request(budgets, "kms:Decrypt", key, context=budget(ACCOUNT)),
        "key-other-account": world.request(budgets, "kms:GenerateDataKey", key, context=budget(OTHER_ACCOUNT)),
        "publish-other-service": world.request(
            ServicePrincipal("costalerts.amazonaws.com"), "sns:Publish", topic, context=budget(ACCOUNT)
        ),
    }
    return dict(zip(cases, evaluate(list(cases.values())), strict=True))


def test_budgets_of_this_account_may_publish_to_the_encrypted_topic(budget_decisions):  # proves G2
    for case in ("publish-this-account", "key-this-account", "decrypt-this-account"):
        assert budget_decisions[case].allowed, (case, budget_decisions[case].result)


def test_nobody_else_may_publish_through_the_budget_grants(budget_decisions):  # proves G2
    for case in ("publish-other-account", "key-other-account", "publish-other-service"):
        assert budget_decisions[case].denied, (case, budget_decisions[case].result)
