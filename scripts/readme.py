"""Regenerate the README's generated tables; a test fails when they are stale.

    make docs                           # rewrite the tables in README.md
    python -m scripts.readme            # check only (exit 1 when a table is stale)

Each table sits between `<!-- NAME:start ... -->` and `<!-- NAME:end -->` markers.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _profile_fields() -> str:
    from config.describe import table

    return table()


def _interface_endpoints() -> str:
    from ml_constructs.private_network import INTERFACE_ENDPOINTS
    from stacks.inference import InferenceStack
    from stacks.ingestion import IngestionStack
    from stacks.network import NetworkStack
    from stacks.pipelines import PipelinesStack
    from stacks.workspace import WorkspaceStack

    needed_by = {}
    for stack in (NetworkStack, WorkspaceStack, InferenceStack, IngestionStack, PipelinesStack):
        for name in stack.INTERFACE_ENDPOINTS:
            needed_by.setdefault(name, []).append(stack.__name__.removesuffix("Stack"))
    for name in WorkspaceStack.ACCESS_HOST_ENDPOINTS:
        needed_by.setdefault(name, []).append("Workspace when `workspace.access_host.enabled`")
    rows = ["| Endpoint | Service name | Created for | Endpoint policy | What it is for |", "|---|---|---|---|---|"]
    for name, spec in INTERFACE_ENDPOINTS.items():
        policy = (
            ", ".join(f"`{a}`" for a in spec.policy_actions) + " for this account's principals"
            if spec.policy_actions
            else "none: browser traffic, authorized by presigned URLs (N9, N13)"
        )
        created = ", ".join(needed_by.get(name, [])) or "on request (`extra_interface_endpoints`)"
        short = spec.service.short_name
        service = (
            f"aws.sagemaker.<region>.{short}" if short in ("notebook", "studio") else f"com.amazonaws.<region>.{short}"
        )
        rows.append(f"| `{name}` | `{service}` | {created} | {policy} | {spec.purpose} |")
    return "\n".join(rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "profile-fields": _profile_fields,
    "interface-endpoints": _interface_endpoints,
}


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- {name}:start[^>]*-->)\n?(.*?)\n?(<!-- {name}:end -->)", re.S)


def current(text: str, name: str) -> str:
    match = _pattern(name).search(text)
    if match is None:
        raise ValueError(f"README has no {name} section")
    return match.group(2)


def render(text: str) -> str:
    for name, produce in SECTIONS.items():
        body = produce()
        text = _pattern(name).sub(lambda m, body=body: f"{m.group(1)}\n{body}\n{m.group(3)}", text)
    return text


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    fresh = render(text)
    if argv == ["--write"]:
        README.write_text(fresh, encoding="utf-8")
        return 0
    if fresh != text:
        print("README tables are stale: run python -m scripts.readme --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
