"""AWS Config managed rules that detect SageMaker drift from the N5/N7/E7 controls (pattern G1)."""

from __future__ import annotations

from aws_cdk import aws_config as config
from constructs import Construct

# Managed rule identifiers, each with what it detects.
SAGEMAKER_RULES = {
    "NotebookNoDirectInternet": (
        "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS",
        "notebook instances with direct internet access",
    ),
    "NotebookKmsKey": ("SAGEMAKER_NOTEBOOK_INSTANCE_KMS_KEY_CONFIGURED", "notebook instances without a KMS key"),
    "NotebookRootAccess": ("SAGEMAKER_NOTEBOOK_INSTANCE_ROOT_ACCESS_CHECK", "notebook instances with root access"),
    "NotebookInsideVpc": ("SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC", "notebook instances outside a VPC"),
    "EndpointConfigKmsKey": (
        "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED",
        "endpoint configurations without a KMS key",
    ),
}


class SageMakerConfigRules(Construct):
    """Detective twins of the preventive controls: they flag resources created outside CDK.

    Needs an AWS Config configuration recorder in the account and region (Control Tower
    accounts have one); the rules report to AWS Config and Security Hub.
    """

    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.rules = {
            construct_id: config.ManagedRule(
                self,
                construct_id,
                identifier=identifier,
                config_rule_name=f"{name_prefix}{identifier.lower().replace('_', '-')}",
                description=f"Flags {detects} (secure-ml pattern G1)",
            )
            for construct_id, (identifier, detects) in SAGEMAKER_RULES.items()
        }
