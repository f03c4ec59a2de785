"""Detective controls behind the profile switch governance.config_rules (G1)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.config_rules import SageMakerConfigRules
from stacks.naming import resource_prefix


class GovernanceStack(cdk.Stack):
    """AWS Config managed rules for SageMaker (needs a Config recorder in the account)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: ProjectConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.rules = SageMakerConfigRules(self, "SageMakerRules", name_prefix=resource_prefix(config))
