"""Check an account before a deploy: read-only, one line per check, exit 1 on any FAIL.

    python -m scripts.preflight --profile sandbox
    python -m scripts.preflight --config path/to/profile.yaml

Each line reads `PASS|WARN|FAIL <check>: <reason>[; fix: <fix>]`, then a summary line. Exit codes:
0 no FAIL, 1 at least one FAIL, 2 preflight could not run (invalid profile, no credentials).

Checks:
- identity: the account and region the credentials resolve to; a pinned `account` must match.
- bootstrap: the CDK bootstrap stack (CDKToolkit) exists, completed, with `deploy.bootstrap_qualifier`,
  and its version (the stack's BootstrapVersion output and SSM /cdk-bootstrap/<qualifier>/version).
- lambda-concurrency: with `deploy.lambda_reserved_concurrency`, the reservations leave 100 unreserved.
- sagemaker-quota: every instance quota of config/quotas.py (blue/green doubling included) is high enough.
- config-recorder: with `governance.config_rules`, a recording recorder exists (`existing`), or none
  exists yet (`create`: AWS allows one per region).
- organization-trail: with `security.trail.enabled`, WARN when an organization trail already records.
- model-monitor: with monitoring on, SageMaker answers ListMonitoringSchedules.
- stack-names: a live stack with one of the profile's names was created by this project and profile.
- stale-exports: a deployed stack that the profile turns off exports nothing another stack imports.

Throttled calls are retried (botocore standard retry mode); what still fails, and AccessDenied,
become a FAIL naming the call and the IAM permission it needs. Instances already running in the
account are not subtracted from the quotas (Service Quotas reports the limit, not the usage).
On a redeploy, the profile's own Lambda reservations already count against the unreserved
executions, so lambda-concurrency errs on the strict side there.

IAM permissions preflight needs (all read-only, `Resource: "*"`):
    sts:GetCallerIdentity
    cloudformation:DescribeStacks
    cloudformation:ListExports
    cloudformation:ListImports
    ssm:GetParameter            (arn:aws:ssm:<region>:<account>:parameter/cdk-bootstrap/*)
    lambda:GetAccountSettings
    servicequotas:ListServiceQuotas
    config:DescribeConfigurationRecorders
    config:DescribeConfigurationRecorderStatus
    cloudtrail:DescribeTrails
    sagemaker:ListMonitoringSchedules
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from config.model import ProjectConfig
from config.names import stack_name
from scripts.preflight_account import (
    MIN_BOOTSTRAP_VERSION,
    MIN_UNRESERVED,
    RESERVATIONS,
    TOOLKIT_STACK,
    check_bootstrap,
    check_config_recorder,
    check_identity,
    check_lambda_concurrency,
    check_model_monitor,
    check_organization_trail,
    check_sagemaker_quotas,
    monitoring_on,
    recorder_name,
    reserved_concurrency,
    service_quotas,
)
from scripts.preflight_common import (
    ACCESS_DENIED,
    PERMISSIONS,
    SERVICES,
    THROTTLED,
    ClientFactory,
    Result,
    error_code,
    error_message,
    fail,
    failure,
    paginate,
    passed,
    warn,
)
from scripts.preflight_stacks import (
    DESCRIPTION_PREFIX,
    STACK_PENDING,
    STACKS,
    check_stack_names,
    check_stale_exports,
    live_stacks,
    profile_stacks,
)
from scripts.profile_args import add_profile_arguments, load_selected

__all__ = [
    "stack_name",
    "ACCESS_DENIED",
    "PERMISSIONS",
    "SERVICES",
    "THROTTLED",
    "ClientFactory",
    "Result",
    "error_code",
    "error_message",
    "fail",
    "failure",
    "paginate",
    "passed",
    "warn",
    "MIN_BOOTSTRAP_VERSION",
    "MIN_UNRESERVED",
    "RESERVATIONS",
    "TOOLKIT_STACK",
    "check_bootstrap",
    "check_config_recorder",
    "check_identity",
    "check_lambda_concurrency",
    "check_model_monitor",
    "check_organization_trail",
    "check_sagemaker_quotas",
    "monitoring_on",
    "recorder_name",
    "reserved_concurrency",
    "service_quotas",
    "DESCRIPTION_PREFIX",
    "STACK_PENDING",
    "STACKS",
    "check_stack_names",
    "check_stale_exports",
    "live_stacks",
    "profile_stacks",
    "CHECKS",
    "client_factory",
    "main",
    "run_checks",
    "shipped_profile",
    "summary",
]


CHECKS: tuple[tuple[str, Callable[[ProjectConfig, ClientFactory, dict], list[Result]]], ...] = (
    ("identity", check_identity),
    ("bootstrap", check_bootstrap),
    ("lambda-concurrency", check_lambda_concurrency),
    ("sagemaker-quota", check_sagemaker_quotas),
    ("config-recorder", check_config_recorder),
    ("organization-trail", check_organization_trail),
    ("model-monitor", check_model_monitor),
    ("stack-names", check_stack_names),
    ("stale-exports", check_stale_exports),
)


def run_checks(config: ProjectConfig, client: ClientFactory, context: dict | None = None) -> list[Result]:
    """Every check, in order; an error in one becomes its FAIL line and the others still run."""
    context = {} if context is None else context
    results: list[Result] = []
    for name, check in CHECKS:
        try:
            results.extend(check(config, client, context))
        except (ClientError, BotoCoreError) as exc:
            results.append(failure(name, exc))
    return results


def summary(config: ProjectConfig, results: list[Result]) -> str:
    counts = {status: sum(r.status == status for r in results) for status in ("PASS", "WARN", "FAIL")}
    verdict = "not ready to deploy" if counts["FAIL"] else "ready to deploy"
    return (
        f"preflight {config.project_name}-{config.profile} in {config.region}: {counts['PASS']} passed, "
        f"{counts['WARN']} warnings, {counts['FAIL']} failed: {verdict}"
    )


def shipped_profile(config: ProjectConfig, config_path: str | None) -> str | None:
    """The shipped profile file a `--config` copy shares its profile name with, if any."""
    from config.loader import CONFIG_DIR

    if config_path is None:
        return None
    shipped = CONFIG_DIR / f"{config.profile}.yaml"
    if shipped.is_file() and shipped.resolve() != Path(config_path).resolve():
        return f"config/{shipped.name}"
    return None


def _session_or_exit(region: str):
    """scripts/aws_session.py's helper: a session whose credentials resolve, else one line and exit 2."""
    from scripts.aws_session import session_or_exit

    return session_or_exit(region)


def client_factory(session: object) -> ClientFactory:
    from botocore.config import Config

    retries = Config(retries={"mode": "standard", "max_attempts": 10})
    cache: dict[str, object] = {}

    def client(service: str) -> object:
        if service not in cache:
            cache[service] = session.client(service, config=retries)
        return cache[service]

    return client


def main(argv: list[str] | None = None, clients: ClientFactory | None = None, out=print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_profile_arguments(parser)
    args = parser.parse_args(argv)
    config = load_selected(args)
    if config is None:
        return 2
    if clients is None:
        try:
            clients = client_factory(_session_or_exit(config.region))
        except SystemExit as stop:  # no credentials: the helper printed the one line
            return int(stop.code or 2)
    context = {"shipped_profile": shipped_profile(config, args.config)}
    results = run_checks(config, clients, context)
    for result in results:
        out(result.line())
    out(summary(config, results))
    return 1 if any(r.status == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
