"""Read a synthesized cloud assembly and report what the gates found.

`python -m scripts.gate_report cdk.out` prints, after `make synth`:
- every stack with its resource count,
- per policy pack: findings, acknowledged findings, and the verdict,
- acknowledgments that no finding needed (stale ones are a defect: the control they excuse
  is now in place, or the rule id is misspelt),
- cfn-lint's verdict on every template,
and exits non-zero when anything is open. The tests use the same functions.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ACK_METADATA = "aws:cdk:acknowledged-rules"
# The packs stacks/gates.py registers. A pack with neither findings nor acknowledgments is
# left out of validation-report.json, so the summary lists them all by name.
PACKS = (
    "AwsSolutions",
    "HIPAA.Security",
    "NIST.800.53.R5",
    "PCI.DSS.321",
    "cdk-validator-cfnguard",
    "IAM.Grammar",
)


@dataclass(frozen=True)
class StackInfo:
    artifact_id: str
    stack_name: str
    region: str
    template: Path
    resource_types: Counter

    @property
    def resource_count(self) -> int:
        return sum(self.resource_types.values())


@dataclass(frozen=True)
class Acknowledgment:
    path: str  # construct path the acknowledgment was placed on, without the leading slash
    finding: str
    reason: str


@dataclass(frozen=True)
class PackResult:
    name: str
    conclusion: str
    open_findings: list[dict]
    acknowledged: list[dict]


def stacks(outdir: Path) -> list[StackInfo]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    found = []
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        template = outdir / artifact["properties"]["templateFile"]
        resources = json.loads(template.read_text()).get("Resources", {})
        found.append(
            StackInfo(
                artifact_id=artifact_id,
                stack_name=artifact["properties"].get("stackName", artifact_id),
                region=artifact["environment"].rsplit("/", 1)[-1],
                template=template,
                resource_types=Counter(r["Type"] for r in resources.values()),
            )
        )
    return found


def pack_results(outdir: Path) -> list[PackResult]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return [
        PackResult(
            name=plugin["pluginName"],
            conclusion=plugin["conclusion"],
            open_findings=plugin.get("violations", []),
            acknowledged=plugin.get("suppressedViolations", []),
        )
        for plugin in report["pluginReports"]
    ]


def acknowledgments(outdir: Path) -> list[Acknowledgment]:
    """Every acknowledgment of a registered pack, read from each stack's construct metadata.

    aws-cdk-lib itself acknowledges findings of its built-in CloudFormation-Validate plugin
    (e.g. on flow logs); those are not the project's and are left out.
    """
    found = []
    for info in stacks(outdir):
        metadata_file = info.template.with_name(f"{info.artifact_id}.metadata.json")
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == ACK_METADATA:
                    for finding, reason in entry["data"].items():
                        if finding.partition("::")[0] in PACKS:
                            found.append(Acknowledgment(path.lstrip("/"), finding, reason))
    return found


def unused_acknowledgments(outdir: Path) -> list[Acknowledgment]:
    """Acknowledgments that suppressed nothing: stale, misspelt, or placed on the wrong construct."""
    used = {
        (violation.get("acknowledgedAt", ""), violation["acknowledgedId"])
        for pack in pack_results(outdir)
        for violation in pack.acknowledged
    }
    return [ack for ack in acknowledgments(outdir) if (ack.path, ack.finding) not in used]


def iam_documents(outdir: Path) -> int:
    """How many policy documents the IAM gate (gates/iam.py) checked in this assembly."""
    from gates.iam import policy_documents
    from gates.resolve import Templates

    return sum(1 for _ in policy_documents(Templates.from_outdir(outdir)))


def cfn_lint(infos: list[StackInfo]) -> list[str]:
    """cfn-lint errors and warnings for each stack's template, in its region, one line each."""
    from cfnlint.api import lint  # imported here: cfn-lint takes a second to load

    findings = []
    for info in infos:
        for match in lint(info.template.read_text(), regions=[info.region]):
            findings.append(f"{info.template.name}:{match.linenumber}: {match.rule.id} {match.message}")
    return findings


def print_reserved_concurrency(infos: list[StackInfo]) -> list[tuple[str, str, int]]:
    """Print (and return) every Lambda function with ReservedConcurrentExecutions, by stack.

    A reservation fails to create in a new account (quota 10, 100 must stay unreserved), so the
    profile switch deploy.lambda_reserved_concurrency decides; this says where it is on.
    """
    found = []
    for info in infos:
        resources = json.loads(info.template.read_text()).get("Resources", {})
        for logical_id, resource in resources.items():
            reserved = resource.get("Properties", {}).get("ReservedConcurrentExecutions")
            if resource["Type"] == "AWS::Lambda::Function" and reserved is not None:
                path = resource.get("Metadata", {}).get("aws:cdk:path", f"{info.artifact_id}/{logical_id}")
                found.append((info.artifact_id, path, reserved))
    print(f"\nReserved Lambda concurrency: {len(found)} function(s) (deploy.lambda_reserved_concurrency)")
    for _artifact, path, reserved in found:
        print(f"  {path:<70} {reserved:>4}")
    return found


def main(argv: list[str]) -> int:
    outdir = Path(argv[0] if argv else "cdk.out")
    if not (outdir / "manifest.json").is_file():
        print(f"no cloud assembly in {outdir}; run make synth first", file=sys.stderr)
        return 2
    infos = stacks(outdir)
    problems = 0
    print(f"\nCloud assembly: {outdir}/")
    for info in infos:
        print(f"  {info.artifact_id:<22} {info.stack_name:<40} {info.resource_count:>4} resources")
    print(f"  {'total':<63} {sum(i.resource_count for i in infos):>4} resources")

    print("\nPolicy gates (validation plugins, every synth):")
    results = {pack.name: pack for pack in pack_results(outdir)}
    for name in [*PACKS, *sorted(set(results) - set(PACKS))]:
        pack = results.get(name, PackResult(name, "success", [], []))
        problems += len(pack.open_findings)
        print(
            f"  {pack.name:<24} {pack.conclusion:<8} open findings: {len(pack.open_findings):<3}"
            f" acknowledged: {len(pack.acknowledged)}"
        )
    acks = acknowledgments(outdir)
    print(f"  {len(acks)} acknowledgments, each on one construct with its reason")
    print(f"  IAM.Grammar checked {iam_documents(outdir)} policy documents against AWS's authorization data")
    stale = unused_acknowledgments(outdir)
    for ack in stale:
        print(f"  STALE acknowledgment {ack.finding} on {ack.path}: no finding needs it")
    problems += len(stale)

    lint = cfn_lint(infos)
    print(f"\ncfn-lint: {len(lint)} errors/warnings in {len(infos)} templates")
    for line in lint:
        print(f"  {line}")
    problems += len(lint)

    print_reserved_concurrency(infos)

    print(f"\nReports: {outdir}/validation-report.json (findings and acknowledgments with reasons),")
    print(f"         {outdir}/*.template.json (templates), {outdir}/*.metadata.json (construct metadata)")
    if problems:
        print(f"\n{problems} open problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
