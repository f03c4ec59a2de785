"""The security section of a profile: keys, logs, buckets and the audit trail (N10, N11, N12)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from config.base import StrictModel

# CloudWatch Logs accepts only these retention periods. Values below one year are not
# offered: the Control Tower proactive control CT.CLOUDWATCH.PR.2 requires at least 365
# days, and this project keeps every gate green by construction rather than by waiver.
LOG_RETENTION_DAYS = (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

LogRetentionDays = Literal[365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]


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
