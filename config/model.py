"""Typed model of a deployment profile (`config/<profile>.yaml`).

Every field carries its documentation in `description`; `python -m config.describe` prints
them as the table docs/profiles.md shows ("Every field"), and a test keeps the two in step.

The model is strict on purpose: an unknown key, a wrong type, an out-of-range value or a
missing required field is a configuration error that stops synthesis before any template
is written (see `config.loader`). Stacks translate this model into construct props;
constructs never import it.

Each section has its own module (config/security.py, network.py, workspace.py, ingestion.py,
governance.py, inference.py, pipelines.py, ai_services.py); this one holds the top level, ProjectConfig, with
the validators that look across sections, and re-exports every section's public names.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from config import regional
from config.ai_services import AiServicesConfig, SentimentConfig
from config.base import StrictModel
from config.governance import BudgetConfig, DeployConfig, GovernanceConfig
from config.inference import InferenceConfig
from config.ingestion import (
    MIN_CONVERSION_BUFFER_MB,
    PARTITIONABLE_COLUMNS,
    SHARD_READ_MB,
    SHARD_WRITE_MB,
    SHARD_WRITE_RECORDS,
    DeliveryConfig,
    IngestionConfig,
    LakeLifecycleConfig,
    StreamConfig,
    TransformConfig,
)
from config.network import InterfaceEndpointName, NetworkConfig
from config.pipelines import PipelinesConfig
from config.security import LOG_RETENTION_DAYS, LogRetentionDays, SecurityConfig, TrailConfig
from config.workspace import (
    AccessHostConfig,
    DataScientist,
    NotebookConfig,
    StudioConfig,
    WorkspaceAccessConfig,
    WorkspaceConfig,
)

__all__ = [
    "LOG_RETENTION_DAYS",
    "MIN_CONVERSION_BUFFER_MB",
    "PARTITIONABLE_COLUMNS",
    "SHARD_READ_MB",
    "SHARD_WRITE_MB",
    "SHARD_WRITE_RECORDS",
    "AccessHostConfig",
    "AccountId",
    "AiServicesConfig",
    "BudgetConfig",
    "DataScientist",
    "DeliveryConfig",
    "DeployConfig",
    "GovernanceConfig",
    "InferenceConfig",
    "IngestionConfig",
    "InterfaceEndpointName",
    "LakeLifecycleConfig",
    "LogRetentionDays",
    "NetworkConfig",
    "NotebookConfig",
    "PipelinesConfig",
    "ProjectConfig",
    "ProjectName",
    "Region",
    "SecurityConfig",
    "SentimentConfig",
    "StreamConfig",
    "StudioConfig",
    "TagKey",
    "TagValue",
    "TrailConfig",
    "TransformConfig",
    "WorkspaceAccessConfig",
    "WorkspaceConfig",
]

ProjectName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"),
]
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]


def _known_region(value: str) -> str:
    problem = regional.region_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# A region of the aws partition that offers SageMaker, from botocore's endpoint data (config/regional.py).
Region = Annotated[str, AfterValidator(_known_region)]


def _not_aws_reserved(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key {key!r} uses the reserved 'aws:' prefix")
    return key


TagKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[\w .:/=+\-@]+$"),
    AfterValidator(_not_aws_reserved),
]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w .:/=+\-@]*$")]


class ProjectConfig(StrictModel):
    """One deployment profile: where the project deploys and how strict it is."""

    project_name: ProjectName = Field(
        default="secure-ml",
        description=(
            "Prefix of every stack name and of named resources: 3-20 characters, lower-case "
            "letters, digits and hyphens, starting with a letter."
        ),
    )
    profile: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,19}$")] = Field(
        description="Name of this profile (sandbox, production, ...); part of every stack name.",
    )
    account: AccountId | None = Field(
        default=None,
        description=(
            "12-digit AWS account id to pin the stacks to. Null leaves the stacks "
            "account-agnostic: the deploy credentials decide the account."
        ),
    )
    region: Region = Field(default="us-east-1", description="AWS region of every stack, e.g. eu-west-1.")
    removal_policy: Literal["destroy", "retain"] = Field(
        description=(
            "What happens to stateful resources (keys, buckets, log groups) when a stack is "
            "deleted: 'destroy' deletes them and empties buckets first (sandbox), 'retain' "
            "keeps them (production)."
        ),
    )
    termination_protection: bool = Field(
        description="Turn on CloudFormation termination protection for every stack.",
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict,
        max_length=40,
        description="Tags applied to every taggable resource (keys must not start with 'aws:').",
    )
    security: SecurityConfig = Field(description="Security baseline settings.")
    network: NetworkConfig = Field(description="Private network (N1-N4, N14).")
    workspace: WorkspaceConfig = Field(description="Data-science workspace (N5-N9, N13).")
    inference: InferenceConfig = Field(
        default_factory=InferenceConfig, description="Real-time inference: A/B variants, guardrails (E1-E13)."
    )
    ingestion: IngestionConfig = Field(
        default_factory=IngestionConfig, description="Streaming ingestion lake (I1-I11)."
    )
    pipelines: PipelinesConfig = Field(
        default_factory=PipelinesConfig, description="Training pipeline, model registry, approval path (M1-M7)."
    )
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig, description="Detective controls (G1).")
    ai_services: AiServicesConfig = Field(
        default_factory=AiServicesConfig, description="Managed AI service chains (A1 caller sentiment so far)."
    )
    deploy: DeployConfig = Field(default_factory=DeployConfig, description="Deployment settings.")

    @field_validator("account", mode="before")
    @classmethod
    def _account_is_quoted(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(
                'write the account id as a quoted string ("123456789012"); unquoted, YAML '
                "reads it as a number and drops leading zeros"
            )
        return value

    @model_validator(mode="after")
    def _bucket_names_fit(self) -> ProjectConfig:
        # Data buckets are named <project>-<profile>-<purpose>-<account>-<region>; S3 allows 63.
        longest = len(self.project_name) + len(self.profile) + len("--datasets-123456789012-") + len(self.region)
        if longest > 63:
            raise ValueError(
                f"project_name and profile are too long together ({len(self.project_name)} + "
                f"{len(self.profile)} characters): bucket names <project>-<profile>-<purpose>-<account>-"
                f"<region> would exceed S3's 63; shorten them by {longest - 63}"
            )
        return self

    @model_validator(mode="after")
    def _approved_models_have_somewhere_to_go(self) -> ProjectConfig:
        deployment = self.pipelines.deploy_on_approval
        if not (self.pipelines.enabled and deployment.enabled):
            return self
        if not self.inference.enabled:
            raise ValueError(
                "pipelines.deploy_on_approval needs inference.enabled (it deploys approved models to the real-time "
                "endpoint); turn one on or set pipelines.deploy_on_approval.enabled: false"
            )
        realtime = self.inference.active_realtime
        if realtime is None:
            raise ValueError(
                "pipelines.deploy_on_approval needs inference.realtime.enabled (it deploys approved models to a "
                "variant of the real-time endpoint); turn it on or set pipelines.deploy_on_approval.enabled: false"
            )
        variants = [v.name for v in realtime.variants]
        if deployment.variant not in variants:
            raise ValueError(
                f"pipelines.deploy_on_approval.variant {deployment.variant!r} is not a variant of the real-time "
                f"endpoint ({', '.join(variants)})"
            )
        return self

    @model_validator(mode="after")
    def _vpc_source_cidrs_inside_the_vpc(self) -> ProjectConfig:
        vpc = ipaddress.ip_network(self.network.cidr)
        for index, cidr in enumerate(self.workspace.access.vpc_source_cidrs):
            network = ipaddress.ip_network(cidr)
            if network.version != vpc.version or not network.subnet_of(vpc):
                raise ValueError(
                    f"workspace.access.vpc_source_cidrs[{index}]: {cidr} is not inside network.cidr {vpc} "
                    "(aws:VpcSourceIp holds addresses of the VPC; public networks go in internet_cidrs)"
                )
        return self

    @model_validator(mode="before")
    @classmethod
    def _catalog_encryption_follows_removal_policy(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("removal_policy") != "destroy":
            return data
        ingestion = data.get("ingestion", {})
        if isinstance(ingestion, dict) and "catalog_encryption" not in ingestion:
            data = {**data, "ingestion": {**ingestion, "catalog_encryption": False}}
        return data

    @model_validator(mode="after")
    def _catalog_key_outlives_the_setting(self) -> ProjectConfig:
        if self.ingestion.enabled and self.ingestion.catalog_encryption and self.removal_policy == "destroy":
            raise ValueError(
                "ingestion.catalog_encryption is true while removal_policy is 'destroy': the Glue Data Catalog "
                "encryption setting is one per account and region and stays after the stacks are deleted, but "
                "teardown deletes the data key it names (after kms_pending_window_days), so every Glue catalog "
                "call in the account would then fail. Set ingestion.catalog_encryption: false, or use "
                "removal_policy: retain."
            )
        return self

    @model_validator(mode="after")
    def _features_exist_in_region(self) -> ProjectConfig:
        problems = regional.problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _teardown_must_be_possible(self) -> ProjectConfig:
        if self.removal_policy == "destroy" and self.security.trail.object_lock_retention_days:
            raise ValueError(
                "security.trail.object_lock_retention_days is set while removal_policy is "
                "'destroy': objects under Object Lock retention cannot be deleted, so the "
                "trail bucket could never be emptied on teardown. Use removal_policy: retain "
                "or set object_lock_retention_days: null."
            )
        return self
