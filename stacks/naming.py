"""Physical names derived from the profile, in one place.

Data buckets carry fixed names, <project>-<profile>-<purpose>-<account>-<region>, so the
private network's S3 gateway-endpoint policy can admit exactly the project's buckets by
prefix (N3) without depending on the stacks that create them.
"""

from __future__ import annotations

import aws_cdk as cdk

from config.model import ProjectConfig
from config.names import resource_prefix, stack_name

__all__ = ["resource_prefix", "stack_name"]  # with the aws_cdk-dependent names below


def bucket_name(config: ProjectConfig, purpose: str) -> str:
    return f"{resource_prefix(config)}{purpose}-{cdk.Aws.ACCOUNT_ID}-{config.region}"


def cdk_assets_bucket_name(config: ProjectConfig) -> str:
    return f"cdk-{config.deploy.bootstrap_qualifier}-assets-{cdk.Aws.ACCOUNT_ID}-{config.region}"


def deploy_role_arn(stack: cdk.Stack, config: ProjectConfig) -> str:
    """The CDK bootstrap's CloudFormation execution role: what deploys and deletes stacks."""
    qualifier = config.deploy.bootstrap_qualifier
    return stack.format_arn(
        service="iam",
        region="",
        resource="role",
        resource_name=f"cdk-{qualifier}-cfn-exec-role-{stack.account}-{config.region}",
    )


def glue_name(config: ProjectConfig, suffix: str) -> str:
    """Glue and Athena identifiers: lower case with underscores (Athena rejects hyphens unquoted)."""
    return f"{config.project_name}_{config.profile}_{suffix}".replace("-", "_")


def role_arn(stack: cdk.Stack, role_name: str) -> str:
    """The ARN a named role will have, for conditions that must not reference its stack."""
    return stack.format_arn(service="iam", region="", resource="role", resource_name=role_name)


def firehose_role_name(config: ProjectConfig) -> str:
    return f"{resource_prefix(config)}firehose-delivery"


def inference_role_name(config: ProjectConfig) -> str:
    return f"{resource_prefix(config)}inference-execution"


def pipeline_role_name(config: ProjectConfig) -> str:
    return f"{resource_prefix(config)}pipeline-execution"


def training_pipeline_name(config: ProjectConfig) -> str:
    return f"{resource_prefix(config)}training"


def training_models_prefix(config: ProjectConfig) -> str:
    """Where the training pipeline's jobs write model archives in the artifacts bucket
    (pipelines.training.TrainingPipelineSpec.models_prefix)."""
    return f"pipelines/{training_pipeline_name(config)}/models/"


def model_package_group_name(config: ProjectConfig) -> str:
    return f"{resource_prefix(config)}purchase-propensity"
