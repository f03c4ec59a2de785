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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from config.model import ProjectConfig
from config.names import stack_name
from scripts.profile_args import add_profile_arguments, load_selected

# Operation -> the IAM action it needs; also the list the docstring (and README) give.
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

TOOLKIT_STACK = "CDKToolkit"
# DefaultStackSynthesizer's minimum bootstrap version (the templates' CheckBootstrapVersion rule).
MIN_BOOTSTRAP_VERSION = 6
# Lambda refuses a reservation that leaves fewer than this many executions unreserved.
MIN_UNRESERVED = 100
# Every stack description starts with this (stacks/__init__.py, build_platform).
DESCRIPTION_PREFIX = "Secure ML reference architecture"
STACK_PENDING = ("_IN_PROGRESS",)

# Stack name suffix -> whether the profile deploys it (stacks/__init__.py, build_platform; a test
# compares this with the stacks build_platform creates for the shipped profiles).
STACKS: dict[str, Callable[[ProjectConfig], bool]] = {
    "security-baseline": lambda c: True,
    "network": lambda c: True,
    "data": lambda c: True,
    "workspace": lambda c: c.workspace.enabled,
    "inference": lambda c: c.inference.enabled,
    "lake": lambda c: c.ingestion.enabled,
    "ingestion": lambda c: c.ingestion.enabled,
    "pipelines": lambda c: c.pipelines.enabled,
    "governance": lambda c: c.governance.config_rules,
}

# Reserved concurrency per function when deploy.lambda_reserved_concurrency is on:
# (function, where the number is set, whether the profile deploys it, reserved executions).
RESERVATIONS: tuple[tuple[str, str, Callable[[ProjectConfig], bool], Callable[[ProjectConfig], int]], ...] = (
    (
        "S3 prefix-list lookup (network)",
        "ml_constructs/private_network.py AwsServicePrefixList._settle_handler",
        lambda c: True,
        lambda c: 1,
    ),
    (
        "variant scaling provider (inference)",
        "ml_constructs/variant_scaling.py VariantScalingProvider",
        lambda c: c.inference.enabled,
        lambda c: 2,
    ),
    (
        "inference API handler (inference)",
        "ml_constructs/inference_api.py InferenceApi",
        lambda c: c.inference.enabled and c.inference.api.enabled,
        lambda c: 20,
    ),
    (
        "approval deployment (pipelines)",
        "ml_constructs/training_pipeline.py ApprovalDeployment",
        lambda c: c.pipelines.enabled and c.pipelines.deploy_on_approval.enabled and c.inference.enabled,
        lambda c: 1,
    ),
    (
        "record transformation (ingestion)",
        "stacks/ingestion.py: ingestion.transform.reserved_concurrency",
        lambda c: c.ingestion.enabled,
        lambda c: c.ingestion.transform.reserved_concurrency,
    ),
)

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


# --- checks: each takes the profile and the client factory and returns its lines --------------


def check_identity(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    identity = client("sts").get_caller_identity()
    account = identity["Account"]
    context["account"] = account
    where = f"account {account} ({identity['Arn']}), region {config.region}"
    if config.account and config.account != account:
        return [
            fail(
                "identity",
                f"credentials resolve to {where} but the profile pins account {config.account}",
                f"use credentials for account {config.account}, or change `account` in the profile",
            )
        ]
    pinned = "pinned by the profile" if config.account else "profile is account-agnostic"
    return [passed("identity", f"{where}; {pinned}")]


def check_bootstrap(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    qualifier = config.deploy.bootstrap_qualifier
    account = context.get("account", "<account>")
    fix = f"make bootstrap PROFILE={config.profile} (cdk bootstrap --qualifier {qualifier} aws://{account}/{config.region})"
    try:
        stacks = client("cloudformation").describe_stacks(StackName=TOOLKIT_STACK)["Stacks"]
    except ClientError as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in error_message(exc):
            return [fail("bootstrap", f"no {TOOLKIT_STACK} stack in {config.region}", fix)]
        raise
    stack = stacks[0]
    status = stack["StackStatus"]
    if not status.endswith("_COMPLETE") or "ROLLBACK" in status or status.startswith("DELETE"):
        return [fail("bootstrap", f"{TOOLKIT_STACK} is {status}", fix)]
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    found_qualifier = parameters.get("Qualifier")
    if found_qualifier != qualifier:
        return [
            fail(
                "bootstrap",
                f"{TOOLKIT_STACK} has qualifier {found_qualifier!r}, the profile expects {qualifier!r}",
                f"{fix}, or set deploy.bootstrap_qualifier: {found_qualifier}",
            )
        ]
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    parameter = f"/cdk-bootstrap/{qualifier}/version"
    try:
        ssm_version = client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return [fail("bootstrap", f"SSM parameter {parameter} not found (the stacks' version check reads it)", fix)]
        raise
    stack_version = outputs.get("BootstrapVersion")
    if stack_version is not None and stack_version != ssm_version:
        return [
            fail(
                "bootstrap",
                f"{TOOLKIT_STACK} output BootstrapVersion {stack_version} differs from {parameter} {ssm_version}",
                fix,
            )
        ]
    if not ssm_version.isdigit() or int(ssm_version) < MIN_BOOTSTRAP_VERSION:
        return [fail("bootstrap", f"bootstrap version {ssm_version} is older than {MIN_BOOTSTRAP_VERSION}", fix)]
    return [passed("bootstrap", f"{TOOLKIT_STACK} {status}, qualifier {qualifier}, version {ssm_version}")]


def reserved_concurrency(config: ProjectConfig) -> dict[str, int]:
    """Function -> executions the profile reserves (empty when reservations are off)."""
    if not config.deploy.lambda_reserved_concurrency:
        return {}
    return {name: amount(config) for name, _, deployed, amount in RESERVATIONS if deployed(config)}


def check_lambda_concurrency(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    limits = client("lambda").get_account_settings()["AccountLimit"]
    quota = limits["ConcurrentExecutions"]
    unreserved = limits["UnreservedConcurrentExecutions"]
    reservations = reserved_concurrency(config)
    if not reservations:
        return [
            passed(
                "lambda-concurrency",
                f"the profile reserves none (deploy.lambda_reserved_concurrency: false); quota {quota}",
            )
        ]
    needed = sum(reservations.values())
    left = unreserved - needed
    detail = ", ".join(f"{name} {count}" for name, count in reservations.items())
    reason = f"the profile reserves {needed} ({detail}); quota {quota}, unreserved now {unreserved}, left {left}"
    if left < MIN_UNRESERVED:
        return [
            fail(
                "lambda-concurrency",
                f"{reason}: Lambda requires {MIN_UNRESERVED} to stay unreserved",
                f"request at least {quota + MIN_UNRESERVED - left} 'Concurrent executions' (Service Quotas, "
                "AWS Lambda), or set deploy.lambda_reserved_concurrency: false",
            )
        ]
    return [passed("lambda-concurrency", reason)]


def service_quotas(client: ClientFactory) -> dict[str, float]:
    paginator = client("service-quotas").get_paginator("list_service_quotas")
    found: dict[str, float] = {}
    for page in paginator.paginate(ServiceCode="sagemaker"):
        for quota in page.get("Quotas", []):
            found[quota["QuotaName"]] = quota.get("Value", 0.0)
    return found


def check_sagemaker_quotas(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    from config.quotas import instance_quotas

    needed = instance_quotas(config)
    if not needed:
        return [passed("sagemaker-quota", "the profile runs no SageMaker instances")]
    quotas = service_quotas(client)
    results = []
    for name, count in needed.items():
        check = f"sagemaker-quota {name}"
        if name not in quotas:
            results.append(
                warn(
                    check,
                    f"Service Quotas lists no such quota in {config.region}; the profile needs {count}",
                    "check the instance type is offered in the region, and the quota in the Service Quotas console",
                )
            )
        elif quotas[name] < count:
            results.append(
                fail(
                    check,
                    f"quota {quotas[name]:g}, the profile needs {count} at once (blue/green updates included)",
                    f"request an increase of '{name}' to at least {count} (Service Quotas, Amazon SageMaker)",
                )
            )
        else:
            results.append(passed(check, f"quota {quotas[name]:g}, the profile needs {count} at once"))
    return results


def check_config_recorder(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    governance = config.governance
    if not governance.config_rules:
        return [passed("config-recorder", "governance.config_rules is off: no recorder needed")]
    service = client("config")
    recorders = service.describe_configuration_recorders().get("ConfigurationRecorders", [])
    names = [r["name"] for r in recorders]
    if governance.config_recorder == "create":
        ours = recorder_name(config)
        others = [n for n in names if n != ours]
        if others:
            return [
                fail(
                    "config-recorder",
                    f"recorder {', '.join(others)} already exists in {config.region} and AWS allows one per region",
                    "set governance.config_recorder: existing",
                )
            ]
        state = "exists (this profile's)" if names else "none yet"
        return [passed("config-recorder", f"config_recorder: create and {state}")]
    if not names:
        return [
            fail(
                "config-recorder",
                f"no AWS Config recorder in {config.region}: the Config rules would evaluate nothing",
                "set governance.config_recorder: create, or set up AWS Config in the region",
            )
        ]
    statuses = service.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    recording = [s["name"] for s in statuses if s.get("recording")]
    if not recording:
        return [
            fail(
                "config-recorder",
                f"recorder {', '.join(names)} exists but is not recording",
                f"aws configservice start-configuration-recorder --configuration-recorder-name {names[0]}",
            )
        ]
    return [passed("config-recorder", f"recorder {', '.join(recording)} is recording")]


def check_organization_trail(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    if not config.security.trail.enabled:
        return [passed("organization-trail", "security.trail.enabled is off: the profile creates no trail")]
    trails = client("cloudtrail").describe_trails(includeShadowTrails=True).get("trailList", [])
    organization = sorted({t["Name"] for t in trails if t.get("IsOrganizationTrail")})
    if organization:
        return [
            warn(
                "organization-trail",
                f"organization trail {', '.join(organization)} already records this account; the profile adds its own",
                "set security.trail.enabled: false to avoid paying twice for the same events",
            )
        ]
    return [passed("organization-trail", "no organization trail records this account: the profile's trail is needed")]


def monitoring_on(config: ProjectConfig) -> bool:
    realtime = config.inference.realtime
    return bool(config.inference.enabled and realtime and realtime.monitoring.enabled and realtime.data_capture.enabled)


def check_model_monitor(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    if not monitoring_on(config):
        return [passed("model-monitor", "inference.realtime.monitoring is off")]
    fix = "set inference.realtime.monitoring.enabled: false (data capture stays on)"
    try:
        client("sagemaker").list_monitoring_schedules(MaxResults=1)
    except ClientError as exc:
        message = error_message(exc)
        if error_code(exc) in ACCESS_DENIED or "not available" in message.lower():
            return [
                fail(
                    "model-monitor",
                    f"ListMonitoringSchedules refused ({error_code(exc)}: {message}): AWS closed Model Monitor to "
                    "new customers on 2026-07-30, or the credentials lack sagemaker:ListMonitoringSchedules",
                    fix,
                )
            ]
        raise
    return [passed("model-monitor", "SageMaker answers ListMonitoringSchedules in this account")]


def live_stacks(client: ClientFactory, context: dict) -> dict[str, dict]:
    """Every live stack of the account and region by name (DescribeStacks lists no deleted ones)."""
    if "stacks" not in context:
        paginator = client("cloudformation").get_paginator("describe_stacks")
        context["stacks"] = {s["StackName"]: s for page in paginator.paginate() for s in page.get("Stacks", [])}
    return context["stacks"]


def recorder_name(config: ProjectConfig) -> str:
    """The recorder stacks/governance.py creates with `config_recorder: create`; a test keeps them equal."""
    return f"{config.project_name}-{config.profile}-recorder"


def profile_stacks(config: ProjectConfig) -> dict[str, bool]:
    """Each stack name the profile can have -> whether it deploys it."""
    return {stack_name(config, suffix): deployed(config) for suffix, deployed in STACKS.items()}


def check_stack_names(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    existing = live_stacks(client, context)
    ours = [name for name, deployed in profile_stacks(config).items() if deployed and name in existing]
    if not ours:
        return [passed("stack-names", "none of the profile's stacks exists yet")]
    fix = "give the profile its own `profile:` name (or project_name) so its stacks get their own names"
    results = []
    shipped = context.get("shipped_profile")
    if shipped is not None:
        results.append(
            fail(
                "stack-names",
                f"{', '.join(ours)} exist and belong to the profile in {shipped}; a copied profile that kept "
                f"profile: {config.profile} would overwrite the real {config.profile}",
                fix,
            )
        )
    for name in ours:
        stack = existing[name]
        tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
        wrong = {k: tags.get(k) for k, v in config.tags.items() if tags.get(k) != v}
        description = stack.get("Description", "")
        if not description.startswith(DESCRIPTION_PREFIX):
            results.append(
                fail("stack-names", f"stack {name} exists but was not created by this project ({description!r})", fix)
            )
        elif wrong:
            found = ", ".join(f"{k}={v}" for k, v in wrong.items())
            results.append(
                fail("stack-names", f"stack {name} exists with other tags ({found}): another profile deployed it", fix)
            )
        elif stack["StackStatus"].endswith(STACK_PENDING):
            results.append(
                warn("stack-names", f"stack {name} is {stack['StackStatus']}", "wait for the operation to finish")
            )
    if not results:
        results.append(
            passed("stack-names", f"{len(ours)} existing stack(s) belong to this profile: the deploy updates them")
        )
    return results


def paginate(client: object, operation: str, key: str, **kwargs) -> Iterable[dict]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def check_stale_exports(config: ProjectConfig, client: ClientFactory, context: dict) -> list[Result]:
    existing = live_stacks(client, context)
    turned_off = {
        existing[name]["StackId"]: name
        for name, deployed in profile_stacks(config).items()
        if not deployed and name in existing
    }
    if not turned_off:
        return [passed("stale-exports", "no deployed stack is turned off by the profile")]
    cloudformation = client("cloudformation")
    exports = [e for e in paginate(cloudformation, "list_exports", "Exports") if e["ExportingStackId"] in turned_off]
    results = []
    for export in exports:
        try:
            importers = list(paginate(cloudformation, "list_imports", "Imports", ExportName=export["Name"]))
        except ClientError as exc:
            if error_code(exc) == "ValidationError" and "not imported" in error_message(exc):
                continue
            raise
        if importers:
            stack = turned_off[export["ExportingStackId"]]
            results.append(
                fail(
                    "stale-exports",
                    f"{stack} is off in the profile but its export {export['Name']} is imported by "
                    f"{', '.join(sorted(importers))}: CloudFormation cannot delete it",
                    f"turn the stack back on, or remove the import from {', '.join(sorted(importers))} first",
                )
            )
    if not results:
        names = ", ".join(sorted(turned_off.values()))
        results.append(
            warn(
                "stale-exports",
                f"{names} still deployed but off in the profile (nothing imports from it); deploy leaves it in place",
                f"cdk destroy {names} when it is no longer needed",
            )
        )
    return results


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
