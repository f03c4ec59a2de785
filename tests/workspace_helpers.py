"""Helpers shared by the workspace stack's template tests (tests/test_workspace_*.py)."""

from __future__ import annotations

from helpers import statements

STACK = "Workspace"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def imported(value: dict, fragment: str) -> bool:
    """True when `value` is an Fn::ImportValue whose export name contains `fragment`."""
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def managed_policy(assembly, description_start: str) -> tuple[str, dict]:
    (found,) = [
        (k, v)
        for k, v in resources(assembly, "AWS::IAM::ManagedPolicy").items()
        if v["Properties"]["Description"].startswith(description_start)
    ]
    return found


def by_sid(document: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in statements(document)}


def owners(assembly) -> list[str]:
    return [d.name for d in assembly.config.workspace.data_scientists]


def role_id(assembly, description_start: str) -> str:
    (found,) = [
        k
        for k, v in resources(assembly, "AWS::IAM::Role").items()
        if v["Properties"]["Description"].startswith(description_start)
    ]
    return found


OWNED = {"sagemaker:ResourceTag/owner": "${aws:PrincipalTag/owner}"}
