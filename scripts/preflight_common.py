"""Shared pieces of preflight (scripts/preflight.py): the permissions it needs, result lines, error handling."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from botocore.exceptions import ClientError

# Operation -> the IAM action it needs; also the list the docstring (and docs/deploy.md) give.
PERMISSIONS = {
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "DescribeStacks": "cloudformation:DescribeStacks",
    "ListExports": "cloudformation:ListExports",
    "ListImports": "cloudformation:ListImports",
    "GetParameter": "ssm:GetParameter",
    "GetAccountSettings": "lambda:GetAccountSettings",
    "ListServiceQuotas": "servicequotas:ListServiceQuotas",
    "DescribeConfigurationRecorders": "config:DescribeConfigurationRecorders",
    "DescribeConfigurationRecorderStatus": "config:DescribeConfigurationRecorderStatus",
    "DescribeTrails": "cloudtrail:DescribeTrails",
    "ListMonitoringSchedules": "sagemaker:ListMonitoringSchedules",
}
SERVICES = ("sts", "cloudformation", "ssm", "lambda", "service-quotas", "config", "cloudtrail", "sagemaker")

ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
}


ClientFactory = Callable[[str], object]


@dataclass(frozen=True)
class Result:
    status: str  # PASS, WARN or FAIL
    check: str
    reason: str
    fix: str | None = None

    def line(self) -> str:
        text = f"{self.status} {self.check}: {self.reason}"
        return f"{text}; fix: {self.fix}" if self.fix else text


def passed(check: str, reason: str) -> Result:
    return Result("PASS", check, reason)


def warn(check: str, reason: str, fix: str | None = None) -> Result:
    return Result("WARN", check, reason, fix)


def fail(check: str, reason: str, fix: str | None = None) -> Result:
    return Result("FAIL", check, reason, fix)


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def error_message(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Message", "")


def failure(check: str, exc: Exception) -> Result:
    """A FAIL line for an error nobody expected: access denied, throttling, anything else."""
    if isinstance(exc, ClientError):
        operation = exc.operation_name
        permission = PERMISSIONS.get(operation, operation)
        code = error_code(exc)
        if code in ACCESS_DENIED:
            return fail(
                check,
                f"access denied on {operation}: the credentials lack {permission}",
                f"grant {permission} to the identity running preflight (see scripts/preflight.py)",
            )
        if code in THROTTLED:
            return fail(check, f"{operation} still throttled after retries ({code})", "run preflight again later")
        return fail(check, f"{operation} failed: {code}: {error_message(exc)}")
    return fail(check, f"{type(exc).__name__}: {exc}")


def paginate(client: object, operation: str, key: str, **kwargs) -> Iterable[dict]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])
