"""Preflight (scripts/preflight.py) against botocore's Stubber: the shared `aws` fixture and stubs.

Every client is a real boto3 client with a Stubber; the factory hands out only the stubbed
services, a call nobody stubbed fails the test, and each test ends with no stubbed response left.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from config import load_config
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


@pytest.fixture(name="aws")
def aws_fixture():
    """(clients by service name, their Stubbers): real boto3 clients, every one stubbed."""
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
