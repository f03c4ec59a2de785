"""Typed model of a deployment profile (`config/<profile>.yaml`).

Every field carries its documentation in `description`; `python -m config.describe` prints
them as the table the README shows, and a test keeps the two in step.

The model is strict on purpose: an unknown key, a wrong type, an out-of-range value or a
missing required field is a configuration error that stops synthesis before any template
is written (see `config.loader`). Stacks translate this model into construct props;
constructs never import it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# CloudWatch Logs accepts only these retention periods. Values below one year are not
# offered: the Control Tower proactive control CT.CLOUDWATCH.PR.2 requires at least 365
# days, and this project keeps every gate green by construction rather than by waiver.
LOG_RETENTION_DAYS = (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

LogRetentionDays = Literal[365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

ProjectName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"),
]
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[
    str,
    StringConstraints(
        pattern=r"^(us|eu|ap|ca|sa|me|af|il|mx)-(gov-)?"
        r"(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d$"
    ),
]


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


class StrictModel(BaseModel):
    """Base for every section: unknown keys are errors, defaults are validated, nothing mutates."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class TrailConfig(StrictModel):
    """CloudTrail for the account (pattern N12)."""

    enabled: bool = Field(
        default=True,
        description=(
            "Create a CloudTrail trail for this account. Set false only when an organization "
            "trail already records this account's management events (N12)."
        ),
    )
    multi_region: bool = Field(
        default=True,
        description="Record API calls in every region, not only the deployment region.",
    )
    object_lock_retention_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description=(
            "Default S3 Object Lock retention (GOVERNANCE mode) for trail log files. "
            "Null leaves Object Lock off, which a profile that destroys its buckets on "
            "teardown needs."
        ),
    )


class SecurityConfig(StrictModel):
    """Security baseline: keys, logs, buckets and the audit trail (N10, N11, N12)."""

    log_retention_days: LogRetentionDays = Field(
        description=(
            "Retention of every CloudWatch log group the project creates. One of "
            "365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 "
            "(CloudWatch's periods of at least a year, CT.CLOUDWATCH.PR.2)."
        ),
    )
    kms_pending_window_days: int = Field(
        default=30,
        ge=7,
        le=30,
        description="Waiting period before a deleted customer-managed KMS key is destroyed (7-30 days).",
    )
    noncurrent_version_expiration_days: int = Field(
        ge=1,
        le=3650,
        description=(
            "Days a replaced or deleted object version stays recoverable in every versioned "
            "bucket before its lifecycle rule expires it."
        ),
    )
    access_log_expiration_days: int = Field(
        ge=90,
        le=3650,
        description=(
            "Days S3 server access logs are kept in the access-log bucket (at least 90, "
            "so an investigation can still read a quarter's requests)."
        ),
    )
    trail: TrailConfig = Field(default_factory=TrailConfig, description="CloudTrail settings (N12).")


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
    def _teardown_must_be_possible(self) -> ProjectConfig:
        if self.removal_policy == "destroy" and self.security.trail.object_lock_retention_days:
            raise ValueError(
                "security.trail.object_lock_retention_days is set while removal_policy is "
                "'destroy': objects under Object Lock retention cannot be deleted, so the "
                "trail bucket could never be emptied on teardown. Use removal_policy: retain "
                "or set object_lock_retention_days: null."
            )
        return self
