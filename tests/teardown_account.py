"""The profile teardown (scripts/teardown.py) against botocore's Stubber: the stubbed account,
the clock and the teardown under test.

Every client gets a Stubber through the injected client factory; a call nobody stubbed fails the
test, so a dry run that deletes anything fails. A recorder on every client keeps the order of
calls across services, so the tests can assert the order AWS accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from scripts import teardown as td

REGION = "us-east-1"
ACCOUNT = "123456789012"
PREFIX = "secure-ml-sandbox-"
DOMAIN = "d-abc123def456"
FS = "fs-0000000a"
MOUNT_TARGET = "fsmt-00000001"
INBOUND, OUTBOUND = "sg-0inbound", "sg-0outbound"
VPC = "vpc-0project"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
API_ROLE = f"{PREFIX}inference-ApiCloudWatchRole-ABC"
ENDPOINT = f"endpoint/{PREFIX}realtime/variant/challenger"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/other"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def stack_id(suffix: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{PREFIX}{suffix}/1111"


class Account:
    """Stubbed clients, one per service, and the order of every call made through them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.clients: dict[str, object] = {}
        self.stubbers: dict[str, Stubber] = {}
        for service in td.SERVICES:
            client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
            client.meta.events.register("before-parameter-build.*.*", self._record)
            stubber = Stubber(client)
            stubber.activate()
            self.clients[service], self.stubbers[service] = client, stubber

    def _record(self, params, model, **_):
        self.calls.append((model.name, dict(params)))

    def factory(self, service: str):
        return self.clients[service]

    def __getitem__(self, service: str) -> Stubber:
        return self.stubbers[service]

    def index(self, operation: str, **params) -> int:
        for i, (name, called) in enumerate(self.calls):
            if name == operation and all(called.get(k) == v for k, v in params.items()):
                return i
        raise AssertionError(f"{operation} {params} was not called: {[c[0] for c in self.calls]}")

    def called(self, operation: str) -> bool:
        return any(name == operation for name, _ in self.calls)

    def verify(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(name="account")
def account_fixture():
    """A stubbed account; the test fails if a stubbed response is left unused."""
    acct = Account()
    yield acct
    acct.verify()


def make(account: Account, clock: Clock | None = None, **overrides) -> tuple[td.Teardown, list[str]]:
    lines: list[str] = []
    clock = clock or Clock()
    settings = dict(
        prefix=PREFIX,
        region=REGION,
        removal_policy="destroy",
        production=False,
        bootstrap_qualifier="hnb659fds",
        catalog_encryption=False,
        manage_api_role=True,
        out=lines.append,
        sleep=clock.sleep,
        clock=clock,
    )
    settings.update(overrides)
    return td.Teardown(account.factory, **settings), lines
