"""Preflight checks of the live stacks (scripts/preflight.py): names taken by someone else, stale exports."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from config.model import ProjectConfig
from config.names import stack_name
from scripts.preflight_common import ClientFactory, Result, error_code, error_message, fail, paginate, passed, warn

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
    "ai-services": lambda c: c.ai_services.enabled,
}


def live_stacks(client: ClientFactory, context: dict) -> dict[str, dict]:
    """Every live stack of the account and region by name (DescribeStacks lists no deleted ones)."""
    if "stacks" not in context:
        paginator = client("cloudformation").get_paginator("describe_stacks")
        context["stacks"] = {s["StackName"]: s for page in paginator.paginate() for s in page.get("Stacks", [])}
    return context["stacks"]


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
