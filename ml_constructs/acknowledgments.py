"""One place to acknowledge a policy finding, so every acknowledgment has the same shape.

cdk-nag 3 and the cfn-guard validator report through CDK's validation plugins; a finding is
acknowledged with `Validations.of(construct).acknowledge(...)` on the narrowest construct.
The id must carry its pack prefix (`AwsSolutions::AwsSolutions-S1`,
`cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check`): without it the finding is
hidden but missing from the report's suppressed list, so a reviewer could not see it.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

# Prefixes of the packs registered in stacks/gates.py.
AWS_SOLUTIONS = "AwsSolutions::AwsSolutions-"
HIPAA = "HIPAA.Security::HIPAA.Security-"
NIST = "NIST.800.53.R5::NIST.800.53.R5-"
PCI = "PCI.DSS.321::PCI.DSS.321-"
CONTROL_TOWER = "cdk-validator-cfnguard::"

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
