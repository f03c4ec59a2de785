"""Names derived from the profile alone, without aws_cdk: stacks/naming.py builds on them, and the
account scripts (preflight, smoke, teardown) use them without loading the CDK and every stack."""

from __future__ import annotations

from config.model import ProjectConfig


def stack_name(config: ProjectConfig, suffix: str) -> str:
    return f"{config.project_name}-{config.profile}-{suffix}"


def resource_prefix(config: ProjectConfig) -> str:
    """Prefix of every named resource of the profile (buckets, notebooks, domains)."""
    return f"{config.project_name}-{config.profile}-"
