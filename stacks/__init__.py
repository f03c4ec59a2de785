"""Stacks compose constructs and wire them; `build_platform` is the whole app for a profile."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from config.model import ProjectConfig
from stacks.gates import register_gates
from stacks.security_baseline import SecurityBaselineStack


@dataclass(frozen=True)
class Platform:
    """The stacks of one profile, by role, for wiring and for tests."""

    security: SecurityBaselineStack

    def all(self) -> list[cdk.Stack]:
        return [self.security]


def build_platform(app: cdk.App, config: ProjectConfig) -> Platform:
    """Create every stack of `config`'s profile in `app`, with the policy gates registered."""
    register_gates(app)
    env = cdk.Environment(account=config.account, region=config.region)
    common = {"env": env, "termination_protection": config.termination_protection}

    def name(suffix: str) -> str:
        return f"{config.project_name}-{config.profile}-{suffix}"

    security = SecurityBaselineStack(
        app,
        "SecurityBaseline",
        config=config,
        stack_name=name("security-baseline"),
        description="Secure ML reference architecture: KMS keys, access-log bucket, CloudTrail (N10-N12)",
        **common,
    )
    platform = Platform(security=security)
    for stack in platform.all():
        for key, value in config.tags.items():
            cdk.Tags.of(stack).add(key, value)
    return platform
