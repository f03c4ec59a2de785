"""Preflight checks of the account (scripts/preflight.py): identity, CDK bootstrap, Lambda concurrency,
SageMaker quotas, the Config recorder, an organization trail and Model Monitor.

Each check takes the profile and the client factory and returns its lines."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from config.model import ProjectConfig
from scripts.preflight_common import ACCESS_DENIED, ClientFactory, Result, error_code, error_message, fail, passed, warn

TOOLKIT_STACK = "CDKToolkit"
# DefaultStackSynthesizer's minimum bootstrap version (the templates' CheckBootstrapVersion rule).
MIN_BOOTSTRAP_VERSION = 6
# Lambda refuses a reservation that leaves fewer than this many executions unreserved.
MIN_UNRESERVED = 100


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
    realtime = config.inference.active_realtime
    return bool(realtime and realtime.monitoring.enabled and realtime.data_capture.enabled)


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


def recorder_name(config: ProjectConfig) -> str:
    """The recorder stacks/governance.py creates with `config_recorder: create`; a test keeps them equal."""
    return f"{config.project_name}-{config.profile}-recorder"
