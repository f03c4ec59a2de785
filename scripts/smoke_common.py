"""Shared pieces of the smoke test (scripts/smoke.py): names, errors, results, clock and clients."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from config.model import ProjectConfig
from config.names import resource_prefix, stack_name

# Mirrors of stacks/naming.py and ml_constructs/lake_catalog.py, which import aws_cdk (seconds of
# start-up); tests/test_smoke_checks.py checks that they agree.
RAW_PREFIX = "events/"
ASYNC_INPUT_PREFIX = "async/inputs/"
LAKE_QUERY = "ingested-events-per-hour-for-day"
API_STAGE = "v1"
CLOCK_SKEW_SECONDS = 30  # objects older than the send time by more than this are from earlier runs

PASS, FAIL = "PASS", "FAIL"
SAMPLE_ROW = {  # a returning visitor with items in the cart (models/data/sessions.csv's columns)
    "session_seconds": 298.5,
    "pages_viewed": 6,
    "cart_items": 2,
    "price_eur": 26.84,
    "days_since_last_visit": 13.3,
    "is_returning": 1,
}
THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
}
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
NOT_FOUND = {
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NoSuchBucket",
    "NoSuchKey",
    "NotFoundException",
    "EntityNotFoundException",
    "StreamNotFound",
    "404",
}
ENDPOINT_ERRORS = {"ModelError", "ModelNotReadyException", "ServiceUnavailable", "InternalFailure"}

ClientFactory = Callable[[str], Any]
HttpSender = Callable[[str, str, dict, bytes], tuple[int, bytes]]


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class CheckFailed(Exception):
    """A check's failure with the reason to print."""


def session_client_factory(session: Any) -> ClientFactory:
    """Clients of `session`, with standard retries (throttling backs off) and bounded timeouts."""
    config = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=70)
    cache: dict[str, Any] = {}

    def factory(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, config=config)
        return cache[service]

    return factory


def urllib_sender(method: str, url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - https URL built here
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def describe_error(error: Exception, *, denied_hint: str = "", not_found_hint: str = "") -> str:
    """One line for an AWS error: access denied, not found, throttled, an endpoint error, or other."""
    if isinstance(error, CheckFailed):
        return str(error)
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
        operation = error.operation_name
        if code in DENIED:
            return f"access denied ({operation}: {message or code}){'; ' + denied_hint if denied_hint else ''}"
        if code in NOT_FOUND or "not found" in message.lower() or "does not exist" in message.lower():
            hint = not_found_hint or "is the profile deployed (make deploy) in this account and region?"
            return f"not found ({operation}: {message or code}); {hint}"
        if code in THROTTLING:
            return f"throttled ({operation}: {code}) after the standard retries; rerun later or raise the quota"
        if code in ENDPOINT_ERRORS:
            status = error.response.get("OriginalStatusCode")
            extra = f", container status {status}" if status else ""
            return f"endpoint error {code}{extra}: {message}"
        return f"{operation} failed: {code}: {message}"
    if isinstance(error, BotoCoreError):
        return f"cannot call AWS: {' '.join(str(error).split())}"
    return f"{type(error).__name__}: {error}"


@dataclass
class Result:
    check: str
    status: str
    reason: str


@dataclass
class Names:
    """Physical names of the profile (stacks/naming.py)."""

    config: ProjectConfig
    account: str

    @property
    def prefix(self) -> str:
        return resource_prefix(self.config)

    def stack(self, suffix: str) -> str:
        return stack_name(self.config, suffix)

    def bucket(self, purpose: str) -> str:
        return f"{self.prefix}{purpose}-{self.account}-{self.config.region}"

    def glue(self, suffix: str) -> str:
        return f"{self.config.project_name}_{self.config.profile}_{suffix}".replace("-", "_")

    def deploy_role(self) -> str:
        qualifier = self.config.deploy.bootstrap_qualifier
        return f"cdk-{qualifier}-cfn-exec-role-{self.account}-{self.config.region}"

    @property
    def training_pipeline(self) -> str:
        return f"{self.prefix}training"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
