"""One synthesized profile as the security-controls report reads it: its resources, the cdk-nag findings,
and the rules that guard each resource type (scripts/report.py renders)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scripts.report_rules import CONTROL_TOWER, control_tower_rules, nag_rules

# --- an assembly -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    stack: str  # artifact id
    logical_id: str
    type: str
    path: str  # aws:cdk:path
    body: dict
    template: str  # template file name
    line: int  # line of the logical id in the template


@dataclass(frozen=True)
class Finding:
    pack: str
    rule: str
    description: str
    path: str  # construct path of the violating construct
    acknowledged_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    outdir: Path

    @property
    def manifest(self) -> dict:
        return json.loads((self.outdir / "manifest.json").read_text())

    def resources(self) -> list[Resource]:
        found = []
        for artifact_id, artifact in sorted(self.manifest["artifacts"].items()):
            if artifact["type"] != "aws:cloudformation:stack":
                continue
            name = artifact["properties"]["templateFile"]
            text = (self.outdir / name).read_text()
            lines = {line.strip(): number for number, line in reversed(list(enumerate(text.splitlines(), 1)))}
            for logical_id, body in sorted(json.loads(text).get("Resources", {}).items()):
                path = body.get("Metadata", {}).get("aws:cdk:path", f"{artifact_id}/{logical_id}")
                line = lines.get(f'"{logical_id}": {{', 1)
                found.append(Resource(artifact_id, logical_id, body["Type"], path, body, name, line))
        return found

    def fqn_types(self) -> dict[str, str]:
        """L1 construct class (fqn) -> CloudFormation type, from tree.json."""
        found: dict[str, str] = {}

        def walk(node: dict) -> None:
            kind = node.get("attributes", {}).get("aws:cdk:cloudformation:type")
            fqn = node.get("constructInfo", {}).get("fqn")
            if kind and fqn:
                found[fqn] = kind
            for child in node.get("children", {}).values():
                walk(child)

        walk(json.loads((self.outdir / "tree.json").read_text())["tree"])
        return found

    def findings(self) -> tuple[list[Finding], list[Finding]]:
        """(open, acknowledged) findings, one per violating construct, sorted; stack traces unread."""
        report = self.outdir / "validation-report.json"
        if not report.is_file():
            return [], []
        open_, acknowledged = set(), set()
        for plugin in json.loads(report.read_text())["pluginReports"]:
            for violation in plugin.get("violations", []):
                for construct in violation["violatingConstructs"]:
                    open_.add(
                        Finding(
                            plugin["pluginName"],
                            violation["ruleName"],
                            violation["description"],
                            construct["constructPath"],
                        )
                    )
            for violation in plugin.get("suppressedViolations", []):
                for construct in violation["violatingConstructs"]:
                    acknowledged.add(
                        Finding(
                            plugin["pluginName"],
                            violation["ruleName"],
                            violation["description"],
                            construct["constructPath"],
                            violation["acknowledgedId"],
                            violation["reason"],
                        )
                    )
        return sorted(open_, key=_finding_key), sorted(acknowledged, key=_finding_key)


def _finding_key(finding: Finding) -> tuple:
    return (finding.pack, finding.rule, finding.path, finding.acknowledged_id, finding.reason, finding.description)


def guarding_rules(profile: Profile) -> dict[str, dict[str, list[str]]]:
    """CloudFormation type -> pack -> the rules that evaluate resources of that type."""
    fqn_types = profile.fqn_types()
    by_type: dict[str, dict[str, set[str]]] = {}
    for pack, rules in nag_rules().items():
        for rule, fqns in rules.items():
            for fqn in fqns:
                if fqn in fqn_types:
                    by_type.setdefault(fqn_types[fqn], {}).setdefault(pack, set()).add(rule)
    for rule, (control, types) in control_tower_rules().items():
        for kind in types:
            by_type.setdefault(kind, {}).setdefault(CONTROL_TOWER, set()).add(f"{control} ({rule})")
    return {kind: {pack: sorted(rules) for pack, rules in packs.items()} for kind, packs in by_type.items()}


def parse_profiles(args: Iterable[str]) -> list[Profile]:
    """`NAME=DIR` or `DIR` (named after the directory) for each assembly."""
    profiles = []
    for arg in args:
        name, _, directory = arg.rpartition("=") if "=" in arg else (Path(arg).name, "", arg)
        path = Path(directory)
        if not (path / "manifest.json").is_file():
            raise SystemExit(f"no cloud assembly in {path}: make assemblies")
        profiles.append(Profile(name, path))
    return profiles
