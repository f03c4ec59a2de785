"""The inference section's other endpoints, its API and its alarms (E8-E12)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.base import Name, StrictModel


class ServerlessConfig(StrictModel):
    """Serverless endpoint for infrequent traffic (E8)."""

    enabled: bool = Field(default=False, description="Deploy a serverless endpoint.")
    model: Name | None = Field(default=None, description="Model it serves; must be declared without network isolation.")
    memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = Field(default=2048, description="Memory per invocation.")
    max_concurrency: int = Field(default=5, ge=1, le=200, description="Concurrent invocations at most.")


class AsyncConfig(StrictModel):
    """Asynchronous endpoint: requests queued, results in S3, notifications on SNS (E9)."""

    enabled: bool = Field(default=False, description="Deploy an asynchronous endpoint.")
    model: Name | None = Field(default=None, description="Model it serves.")
    instance_type: str = Field(default="ml.m5.large", description="Hosting instance type.")
    max_capacity: int = Field(default=2, ge=1, le=20, description="Most instances; it scales to zero when idle.")
    max_concurrent_invocations_per_instance: int = Field(
        default=4, ge=1, le=1000, description="Requests one instance works on at once."
    )
    backlog_per_instance: int = Field(
        default=5, ge=1, le=1000, description="Queued requests per instance that autoscaling aims for."
    )


class PipelineConfig(StrictModel):
    """Inference pipeline: preprocess -> model -> postprocess, one endpoint (E10)."""

    enabled: bool = Field(default=False, description="Deploy the three-container pipeline endpoint.")
    model: Name | None = Field(default=None, description="The model between pre- and post-processing.")
    instance_type: str = Field(default="ml.m5.large", description="Hosting instance type.")
    instance_count: int = Field(default=1, ge=1, le=20, description="Instances (2 or more spread across zones).")


class ApiConfig(StrictModel):
    """The REST API in front of the real-time endpoint (E11)."""

    enabled: bool = Field(default=True, description="Deploy the API Gateway -> Lambda -> endpoint path.")
    access: Literal["private", "regional"] = Field(
        default="private",
        description="private: reachable only through the VPC's execute-api endpoint; regional: public, IAM-signed.",
    )
    rate_limit: int = Field(default=50, ge=1, le=10000, description="Steady requests per second the stage admits.")
    burst_limit: int = Field(default=100, ge=1, le=5000, description="Burst of requests the stage admits.")
    waf: bool = Field(default=False, description="Attach an AWS WAF web ACL with AWS managed rules (regional only).")
    manage_account_logging_role: bool = Field(
        default=True,
        description=(
            "Set the account's API Gateway CloudWatch role (one per account and region) so execution logs work; "
            "off where another stack manages it."
        ),
    )

    @model_validator(mode="after")
    def _waf(self) -> ApiConfig:
        if self.waf and self.access == "private":
            raise ValueError(
                "inference.api.waf: a private API is reachable only through the VPC endpoint; attach WAF to a "
                "regional API (access: regional)"
            )
        return self


class AlarmsConfig(StrictModel):
    """CloudWatch alarms per variant, also the guardrails' rollback triggers (E12, E3)."""

    model_latency_ms: int = Field(
        default=500, ge=1, le=600000, description="Alarm when p99 model latency exceeds this."
    )
    errors_5xx: int = Field(default=5, ge=1, le=100000, description="Alarm when 5XX errors per minute exceed this.")
    errors_4xx: int = Field(default=50, ge=1, le=100000, description="Alarm when 4XX errors per minute exceed this.")
    evaluation_minutes: int = Field(
        default=3, ge=1, le=60, description="Consecutive breaching minutes before alarming."
    )
