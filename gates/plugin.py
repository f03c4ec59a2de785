"""The IAM grammar gate (gates/iam.py) as a CDK validation plugin, registered in stacks/gates.py.

Findings fail synthesis and go to validation-report.json under the plugin name `IAM.Grammar`,
one rule id per finding, so each is acknowledged on its own construct like a cdk-nag finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
import jsii

from gates.iam import PLUGIN_NAME, AuthorizationData, Finding, check
from gates.resolve import Templates


@jsii.implements(cdk.IPolicyValidationPluginBeta1)
class IamGrammarChecks:
    """Registers the gate with `cdk.Validations.of(app).add_plugins(IamGrammarChecks())`."""

    def __init__(self, data: AuthorizationData | None = None) -> None:
        self._data = data

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str | None:
        return None

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    def validate(self, context: cdk.IPolicyValidationContextBeta1) -> cdk.PolicyValidationPluginReportBeta1:
        data = self._data or AuthorizationData()
        paths = {Path(p).name.removesuffix(".template.json"): p for p in context.template_paths}
        templates = Templates(
            {name: json.loads(Path(path).read_text()) for name, path in paths.items()}, region=_region(paths)
        )
        grouped: dict[str, list[Finding]] = {}
        for finding in check(templates, data):
            grouped.setdefault(finding.rule, []).append(finding)
        violations = [
            cdk.PolicyViolationBeta1(
                rule_name=rule,
                description=findings[0].message,
                fix="Name an action, resource and condition key AWS authorizes together "
                "(Service Authorization Reference), or acknowledge the finding with its reason.",
                severity="error",
                violating_resources=[
                    cdk.PolicyViolatingResourceBeta1(
                        resource_logical_id=f.logical_id, template_path=paths[f.stack], locations=[f.location]
                    )
                    for f in findings
                    if f.stack in paths
                ],
            )
            for rule, findings in sorted(grouped.items())
        ]
        return cdk.PolicyValidationPluginReportBeta1(success=not violations, violations=violations)


def _region(paths: Mapping[str, str]) -> str:
    """The assembly's region from its manifest (ARN shapes only; any region gives the same verdicts)."""
    for path in paths.values():
        manifest = Path(path).with_name("manifest.json")
        if manifest.is_file():
            for artifact in json.loads(manifest.read_text()).get("artifacts", {}).values():
                if artifact.get("type") == "aws:cloudformation:stack":
                    return artifact["environment"].rsplit("/", 1)[-1]
    return "us-east-1"
