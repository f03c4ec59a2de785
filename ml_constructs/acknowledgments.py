"""One place to acknowledge a policy finding, so every acknowledgment has the same shape.

cdk-nag 3 and the cfn-guard validator report through CDK's validation plugins; a finding is
acknowledged with `Validations.of(construct).acknowledge(...)` on the narrowest construct.
The id must carry its pack prefix (`AwsSolutions::AwsSolutions-S1`,
`cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check`): without it the finding is
hidden but missing from the report's suppressed list, so a reviewer could not see it.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import jsii
from constructs import IConstruct, IValidation

# Prefixes of the packs registered in stacks/gates.py.
AWS_SOLUTIONS = "AwsSolutions::AwsSolutions-"
HIPAA = "HIPAA.Security::HIPAA.Security-"
NIST = "NIST.800.53.R5::NIST.800.53.R5-"
PCI = "PCI.DSS.321::PCI.DSS.321-"
CONTROL_TOWER = "cdk-validator-cfnguard::"
IAM_GRAMMAR = "IAM.Grammar::"  # gates/iam.py: actions, resources, condition keys vs AWS's authorization data

COMPLIANCE_PACKS = (HIPAA, NIST, PCI)

_MIN_REASON = 40


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one finding on `scope` with a reason a security reviewer can check.

    `finding` is the full, pack-prefixed id (use the prefixes above). The reason must say
    why the control does not apply or what compensates for it; a short or empty reason is
    a programming error.
    """
    if "::" not in finding:
        raise ValueError(f"acknowledgment id {finding!r} lacks its pack prefix (e.g. {AWS_SOLUTIONS}S1)")
    if len(reason.strip()) < _MIN_REASON:
        raise ValueError(f"acknowledgment of {finding} needs a specific reason, got {reason!r}")
    if finding in acknowledged_on(scope):
        return
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def acknowledged_on(scope: IConstruct) -> dict[str, str]:
    """Findings acknowledged directly on `scope`, with their reasons (from construct metadata)."""
    found: dict[str, str] = {}
    for entry in scope.node.metadata:
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
            found.update(entry.data)
    return found


def acknowledge_compliance(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge the same rule in the HIPAA, NIST 800-53 R5 and PCI DSS packs, one by one.

    The three compliance packs share rule names (e.g. S3BucketReplicationEnabled); each
    finding is still acknowledged separately so the report lists all three.
    """
    for pack in COMPLIANCE_PACKS:
        acknowledge(scope, f"{pack}{rule}", reason)


def flatten_cfn_reference(value: object) -> str:
    """A CloudFormation value as cdk-nag prints it in finding ids (port of its flattenCfnReference)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten_cfn_reference(item) for item in items)
        if "Fn::Sub" in value:
            return flatten_cfn_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_cfn_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_cfn_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def wildcard_findings(policy_document: dict) -> dict[str, set[str]]:
    """AwsSolutions-IAM5 findings of a resolved policy document, by statement Sid."""
    found: dict[str, set[str]] = {}
    for statement in policy_document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "")
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        for action in actions if isinstance(actions, list) else [actions]:
            if "*" in action:
                found.setdefault(sid, set()).add(f"Action::{action}")
        for resource in resources if isinstance(resources, list) else [resources]:
            flat = flatten_cfn_reference(resource)
            if "*" in flat:
                found.setdefault(sid, set()).add(f"Resource::{flat}")
    return found


@jsii.implements(IValidation)
class _AcknowledgeWildcards:
    def __init__(self, policy: cdk.CfnResource, reasons: dict[str, str]) -> None:
        self._policy = policy
        self._reasons = reasons

    def validate(self) -> list[str]:
        document = cdk.Stack.of(self._policy).resolve(self._policy.policy_document)
        findings = wildcard_findings(document)
        errors = [
            f"{self._policy.node.path}: a reason is given for statement {sid!r}, which grants no wildcard"
            for sid in sorted(set(self._reasons) - set(findings))
        ]
        for sid, ids in sorted(findings.items()):
            reason = self._reasons.get(sid)
            if reason is None:
                continue  # left for the gate to report
            for finding in sorted(ids):
                acknowledge(self._policy, f"{AWS_SOLUTIONS}IAM5[{finding}]", reason)
        return errors


def acknowledge_wildcards(policy: cdk.CfnResource, reasons: dict[str, str]) -> None:
    """Acknowledge each AwsSolutions-IAM5 finding of `policy`, with the reason of its statement.

    `reasons` maps statement Sids to why their wildcards are needed. The finding ids are
    computed the way cdk-nag computes them, once CDK has resolved cross-stack references
    (an imported bucket ARN appears as its export name), so every finding is acknowledged
    one by one with the reason of the statement that caused it; a wildcard in a statement
    without a reason stays a finding.
    """
    policy.node.add_validation(_AcknowledgeWildcards(policy, reasons))


def is_imported(scope: IConstruct, referenced: IConstruct) -> bool:
    """True when `referenced` lives in another stack, so `scope`'s template imports it."""
    return cdk.Stack.of(referenced).node.path != cdk.Stack.of(scope).node.path


def acknowledge_imported_reference(resource: IConstruct, finding: str, what: str, referenced: IConstruct) -> None:
    """A rule that cannot follow a cross-stack reference, acknowledged for one resource.

    `finding` is a Control Tower rule name (the pack prefix is added) or a full, prefixed id.
    The cfn-guard rules, and a few cdk-nag rules, accept only a literal or a resource of the
    same template; stacks here share keys, buckets and network objects through
    CloudFormation exports (stateful stacks apart from compute), which those rules read as
    missing. The tests assert the imported value itself.
    """
    source = cdk.Stack.of(referenced).node.id
    acknowledge(
        resource,
        finding if "::" in finding else f"{CONTROL_TOWER}{finding}",
        f"{what} is set: it is imported from the {source} stack with Fn::ImportValue. The rule "
        "recognises only literals or resources in the same template, and this project keeps "
        "stateful and network resources apart from the stacks that use them.",
    )
