"""Detective controls behind the profile switch governance.config_rules (G1)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.config_recorder import ConfigRecorder
from ml_constructs.config_rules import SageMakerConfigRules
from stacks.naming import resource_prefix
from stacks.security_baseline import SecurityBaselineStack, removal_policy


class GovernanceStack(cdk.Stack):
    """AWS Config managed rules for SageMaker, and the account's recorder when the profile says
    `governance.config_recorder: create` (with `existing`, the account already records)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = resource_prefix(config)
        self.recorder: ConfigRecorder | None = None
        if config.governance.config_recorder == "create":
            self.recorder = ConfigRecorder(
                self,
                "Recorder",
                name=f"{prefix}recorder",
                encryption_key=security.audit_key,
                access_log_bucket=security.access_log_bucket,
                retention=cdk.Duration.days(config.security.log_retention_days),
                noncurrent_version_expiration=cdk.Duration.days(config.security.noncurrent_version_expiration_days),
                removal_policy=removal_policy(config),
            )
        self.rules = SageMakerConfigRules(self, "SageMakerRules", name_prefix=prefix)
        if self.recorder is not None:
            # A rule created before the recorder runs evaluates nothing until the next change.
            for rule in self.rules.rules.values():
                rule.node.add_dependency(self.recorder.started)
