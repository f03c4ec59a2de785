"""Policy gates run on every synth as CDK validation plugins.

cdk-nag 3.x packs (AwsSolutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1) and the
AWS Control Tower proactive controls through the cfn-guard validator, and the project's IAM
grammar gate (gates/iam.py: actions, resources and condition keys against AWS's Service
Authorization data). An unacknowledged
finding fails synthesis; findings and acknowledgments are written to
`<outdir>/validation-report.json`.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

from gates.plugin import IamGrammarChecks


def register_gates(app: cdk.App) -> None:
    validations = cdk.Validations.of(app)
    for pack in (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks):
        validations.add_plugins(pack(app))
    validations.add_plugins(CfnGuardValidator(control_tower_rules_enabled=True))
    validations.add_plugins(IamGrammarChecks())
