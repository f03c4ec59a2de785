"""Mermaid diagrams of every stack, drawn from a synthesized cloud assembly (docs/architecture.md).

    python -m scripts.diagrams build/assembly/sandbox     # print the diagrams
    make docs                                             # put them into docs/architecture.md

Reads the assembly's manifest.json and each stack's template, so the diagrams cannot drift from
what `cdk synth` writes:

- one node per top-level construct of the stack (the second segment of each resource's
  `aws:cdk:path` metadata); when one construct holds the whole stack, its children are the nodes
  instead (and so on, one level at a time);
- a node's label is the construct's name and the kinds of resource it holds; IAM policies,
  Lambda permissions, resource policies, security-group rules and similar attachments are folded
  into their construct and not listed (unless the construct holds nothing else);
- CDK metadata and CDK's custom-resource providers (`Custom::...Provider`, the `AWS<hash>`
  singleton function) are dropped;
- an arrow A --> B means a resource of A refers to one of B (Ref, Fn::GetAtt, Fn::Sub,
  DependsOn); an arrow to a node in another stack's box is a cross-stack reference
  (Fn::ImportValue of that stack's export).

Everything is sorted, so the same assembly always gives the same text.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# Listed in a node's label only when the construct holds nothing else: attachments of their owner.
FOLDED_TYPES = frozenset(
    {
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::InstanceProfile",
        "AWS::Lambda::Permission",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::KMS::Alias",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::Logs::LogStream",
        "AWS::ApiGateway::Account",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Model",
        "AWS::ApiGateway::RequestValidator",
        "Custom::S3AutoDeleteObjects",
        "Custom::VpcRestrictDefaultSG",
        "Custom::AWS",
    }
)
DROPPED_TYPES = frozenset({"AWS::CDK::Metadata"})
# CDK's own providers: top-level constructs named like these are not drawn.
PROVIDER = re.compile(r"^(Custom::.*Provider|AWS[0-9a-f]{32}|LogRetention[0-9a-f]{32}|BucketNotificationsHandler.*)$")
SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


@dataclass
class Stack:
    """One stack of the assembly, its resources grouped into nodes."""

    artifact_id: str
    stack_name: str
    template: dict
    prefix: tuple[str, ...] = ()  # construct path shared by every node (when a construct was expanded)
    groups: dict[str, str] = field(default_factory=dict)  # logical id -> node name
    dropped: int = 0

    @property
    def resources(self) -> dict[str, dict]:
        return self.template.get("Resources", {})


def _path(resource: dict) -> list[str]:
    return resource.get("Metadata", {}).get("aws:cdk:path", "").split("/")[1:]


def group_resources(stack: Stack) -> None:
    """Assign each drawn resource to a node: its top-level construct, expanded while there is only one."""
    paths = {}
    for logical_id, resource in stack.resources.items():
        parts = _path(resource)
        if resource.get("Type") in DROPPED_TYPES or not parts or PROVIDER.match(parts[0]):
            stack.dropped += 1
            continue
        paths[logical_id] = parts
    depth = 1
    while True:
        names = {tuple(parts[:depth]) for parts in paths.values()}
        deeper = all(len(parts) > depth + 1 for parts in paths.values())
        if len(names) != 1 or not deeper:
            break
        depth += 1
    stack.prefix = tuple(next(iter(paths.values()))[: depth - 1]) if paths else ()
    stack.groups = {lid: parts[depth - 1] for lid, parts in paths.items()}


def _references(value: object) -> tuple[set[str], set[str]]:
    """Logical ids a template value refers to, and the export names it imports."""
    refs: set[str] = set()
    imports: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), *_ = node.items()
                if key == "Ref" and isinstance(arg, str):
                    refs.add(arg)
                    return
                if key == "Fn::GetAtt":
                    target = arg[0] if isinstance(arg, list) else str(arg).split(".")[0]
                    refs.add(target)
                    return
                if key == "Fn::ImportValue" and isinstance(arg, str):
                    imports.add(arg)
                    return
                if key == "Fn::Sub":
                    text, variables = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})
                    for name in SUB_VARIABLE.findall(text):
                        name = name.split(".")[0]
                        if name not in variables:
                            refs.add(name)
                    walk(variables)
                    return
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return refs, imports


def load(assembly: Path) -> list[Stack]:
    """The assembly's stacks, in the manifest's (deployment) order, grouped."""
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    stacks = []
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template = json.loads((assembly / properties["templateFile"]).read_text(encoding="utf-8"))
        stack = Stack(artifact_id, properties.get("stackName", artifact_id), template)
        group_resources(stack)
        stacks.append(stack)
    return stacks


def _exports(stacks: list[Stack]) -> dict[str, tuple[str, str]]:
    """Export name -> (exporting stack's artifact id, node that owns the exported value)."""
    found = {}
    for stack in stacks:
        for output in stack.template.get("Outputs", {}).values():
            name = output.get("Export", {}).get("Name")
            if not isinstance(name, str):
                continue
            refs, _ = _references(output.get("Value"))
            owners = sorted({stack.groups[r] for r in refs if r in stack.groups})
            if owners:
                found[name] = (stack.artifact_id, owners[0])
    return found


def _node_id(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", part) for part in parts)


def _kind(resource_type: str) -> str:
    parts = resource_type.split("::")
    return " ".join(parts[1:]) if parts[0] == "AWS" else resource_type


def _label(name: str, types: list[str]) -> str:
    shown = [t for t in types if t not in FOLDED_TYPES] or types
    counts = Counter(_kind(t) for t in shown)
    kinds = [f"{kind} ×{n}" if n > 1 else kind for kind, n in sorted(counts.items())]
    lines = [", ".join(kinds[i : i + 3]) for i in range(0, len(kinds), 3)]
    return "<br/>".join([f"<b>{name}</b>", *lines])


def flowchart(stack: Stack, stacks: list[Stack]) -> str:
    """The Mermaid flowchart of one stack (with the nodes of other stacks it imports from)."""
    exports = _exports(stacks)
    types: dict[str, list[str]] = defaultdict(list)
    edges: set[tuple[str, str]] = set()
    external: dict[str, set[str]] = defaultdict(set)
    for logical_id, resource in stack.resources.items():
        source = stack.groups.get(logical_id)
        if source is None:
            continue
        types[source].append(resource["Type"])
        refs, imports = _references({k: v for k, v in resource.items() if k != "Metadata"})
        depends = resource.get("DependsOn", [])
        refs |= set([depends] if isinstance(depends, str) else depends)
        for ref in refs:
            target = stack.groups.get(ref)
            if target is not None and target != source:
                edges.add((_node_id("n", source), _node_id("n", target)))
        for name in imports:
            if name in exports:
                other, target = exports[name]
                external[other].add(target)
                edges.add((_node_id("n", source), _node_id("x", other, target)))
    lines = ["flowchart LR"]
    indent = "  "
    if stack.prefix:
        lines.append(f'  subgraph {_node_id("g", *stack.prefix)}["{"/".join(stack.prefix)}"]')
        indent = "    "
    for name in sorted(types):
        lines.append(f'{indent}{_node_id("n", name)}["{_label(name, sorted(types[name]))}"]')
    if stack.prefix:
        lines.append("  end")
    order = [s.artifact_id for s in stacks]
    for other in sorted(external, key=order.index):
        lines.append(f'  subgraph {_node_id("s", other)}["stack {other}"]')
        for target in sorted(external[other]):
            lines.append(f'    {_node_id("x", other, target)}(["{target}"])')
        lines.append("  end")
        lines.append(f"  style {_node_id('s', other)} stroke-dasharray: 5 5")
    lines.extend(f"  {a} --> {b}" for a, b in sorted(edges))
    return "\n".join(lines)


def markdown(assembly: Path, profile: str) -> str:
    """Every stack's flowchart under its own heading, for docs/architecture.md."""
    stacks = load(assembly)
    out = [
        f"Generated by `make docs` from the synthesized `{profile}` profile "
        f"(`cdk synth -c profile={profile}`, {len(stacks)} stacks)."
    ]
    for stack in stacks:
        drawn = len(stack.groups)
        nodes = len(set(stack.groups.values()))
        out += [
            "",
            f"### {stack.artifact_id}",
            "",
            f"`{stack.stack_name}`: {len(stack.resources)} resources, {drawn} drawn as {nodes} constructs.",
            "",
            "```mermaid",
            flowchart(stack, stacks),
            "```",
        ]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    assembly = Path(argv[0])
    print(markdown(assembly, assembly.name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
