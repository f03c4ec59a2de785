"""The models and instance-backed real-time endpoints of the inference section (N7, E1-E7)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from config.base import CronSchedule, Name, StrictModel

# Shipped artifacts (scripts/build_models.py writes them to models/artifacts/).
ModelArtifact = Literal["champion", "challenger"]
ImageFamily = Literal["xgboost", "sklearn", "pytorch", "tensorflow", "mxnet", "chainer", "coach-tensorflow"]
ImageVersion = Annotated[str, StringConstraints(pattern=r"^[0-9][0-9a-z.\-]*$")]

# The notes (N7): "PyTorch, RL, SKLearn, Chainer containers do not support network isolation".
NO_NETWORK_ISOLATION = {
    "pytorch": "PyTorch",
    "sklearn": "Scikit-learn",
    "chainer": "Chainer",
    "coach-tensorflow": "reinforcement learning (Coach)",
}


class ModelConfig(StrictModel):
    """A model: a shipped artifact in a SageMaker container image."""

    name: Name = Field(description="Model name, referenced by variants.")
    artifact: ModelArtifact = Field(
        description="Shipped model.tar.gz (scripts/build_models.py): champion or challenger."
    )
    image_family: ImageFamily = Field(
        default="xgboost", description="Container image family (the SageMaker SDK's name)."
    )
    image_version: ImageVersion = Field(
        default="3.0-5", description="Container image version; 3.0-5 matches the shipped artifacts (XGBoost 3.0.5)."
    )
    network_isolation: bool = Field(
        default=True, description="Run the container without any network access (N7). Off needs an exception reason."
    )
    network_isolation_exception: str | None = Field(
        default=None,
        min_length=30,
        description="Why this model runs without network isolation (and, for serverless, outside the VPC).",
    )

    @model_validator(mode="after")
    def _isolation(self) -> ModelConfig:
        if self.network_isolation and self.image_family in NO_NETWORK_ISOLATION:
            raise ValueError(
                f"inference model {self.name!r}: network_isolation is true but "
                f"{NO_NETWORK_ISOLATION[self.image_family]} containers do not support network isolation "
                "(they fetch code from S3 at start; the notes, N7). "
                "Use an image that runs isolated, or set network_isolation: false with a network_isolation_exception"
            )
        if not self.network_isolation and not self.network_isolation_exception:
            raise ValueError(
                f"inference model {self.name!r}: network_isolation: false needs network_isolation_exception, "
                "the reason a reviewer will read (N7)"
            )
        return self


class VariantConfig(StrictModel):
    """A production variant of the real-time endpoint (E1, E4, E5)."""

    name: Name = Field(description="Variant name (also the autoscaling resource id).")
    model: Name = Field(description="Model this variant serves.")
    weight: float = Field(description="Share of traffic, relative to the other variants' weights (E1).")
    instance_type: str = Field(default="ml.m5.large", description="Hosting instance type, e.g. ml.m5.large.")
    initial_instance_count: int = Field(default=1, ge=1, le=100, description="Instances when the endpoint is created.")
    min_capacity: int = Field(default=1, ge=1, le=100, description="Autoscaling minimum (E4).")
    max_capacity: int = Field(default=2, ge=1, le=100, description="Autoscaling maximum (E4).")


class ShadowVariantConfig(StrictModel):
    """A shadow variant: receives a copy of requests, its answers are only logged (E2)."""

    name: Name = Field(description="Shadow variant name.")
    model: Name = Field(description="Model under test.")
    sampling_weight: float = Field(
        default=1.0, gt=0, le=1, description="Share of requests copied to the shadow variant, 0-1 (1 = every request)."
    )
    instance_type: str = Field(default="ml.m5.large", description="Hosting instance type.")
    initial_instance_count: int = Field(default=1, ge=1, le=10, description="Instances of the shadow variant.")


class AutoscalingConfig(StrictModel):
    """Target tracking on SageMakerVariantInvocationsPerInstance (E4)."""

    target_invocations_per_instance: int = Field(
        default=100, ge=1, le=100000, description="Invocations per instance per minute the scaling aims for."
    )
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600, description="Wait after scaling in.")
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600, description="Wait after scaling out.")


class DeploymentGuardrailsConfig(StrictModel):
    """How endpoint updates shift traffic, and when they roll back (E3)."""

    mode: Literal["canary", "linear", "all-at-once", "rolling"] = Field(
        default="canary",
        description="Blue/green canary, linear or all at once, or a rolling update; all roll back on alarms.",
    )
    traffic_percent: int = Field(
        default=10, ge=1, le=50, description="Canary size, or each linear step, in percent of capacity."
    )
    wait_seconds: int = Field(default=300, ge=0, le=3600, description="Wait between traffic shifts (canary/linear).")
    baking_seconds: int = Field(
        default=600, ge=0, le=3600, description="Watch the alarms this long with all traffic shifted before finishing."
    )


class DataCaptureConfig(StrictModel):
    """Requests and responses captured to S3 (E6)."""

    enabled: bool = Field(default=True, description="Capture requests and responses to the inference bucket (KMS).")
    sampling_percent: int = Field(default=20, ge=1, le=100, description="Share of requests captured.")


class MonitoringConfig(StrictModel):
    """Model Monitor data-quality schedule against a baseline (E6)."""

    enabled: bool = Field(
        default=False,
        description=(
            "Opt-in: run a data-quality monitoring schedule on captured data. Off by default because AWS closed "
            "SageMaker Model Monitor to new customers (effective 2026-07-30) and its resources are missing in some "
            "regions; turn it on only in an account that already uses Model Monitor. Data capture stays on."
        ),
    )
    schedule: CronSchedule = Field(default="cron(0 * ? * * *)", description="When the monitoring job runs (hourly).")
    instance_type: str = Field(default="ml.m5.large", description="Instance of the monitoring job.")
    baseline_constraints: (
        Literal["shipped"] | Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9.\-]{3,63}/.+")]
    ) = Field(
        default="shipped",
        description="'shipped' (models/baseline/constraints.json) or the s3:// URI of a constraints.json baseline.",
    )


class EndpointRolloutConfig(StrictModel):
    """What every instance-backed real-time endpoint declares: variants, scaling, guardrails, capture."""

    variants: list[VariantConfig] = Field(min_length=1, max_length=10, description="Production variants (E1).")
    shadow_variants: list[ShadowVariantConfig] = Field(
        default_factory=list,
        description=(
            "Shadow variants (E2): at most one, and only beside exactly one production variant "
            "(CreateEndpointConfig's rule)."
        ),
    )
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig, description="Autoscaling (E4).")
    deployment: DeploymentGuardrailsConfig = Field(
        default_factory=DeploymentGuardrailsConfig, description="Deployment guardrails (E3)."
    )
    data_capture: DataCaptureConfig = Field(default_factory=DataCaptureConfig, description="Data capture (E6).")


class RealtimeConfig(EndpointRolloutConfig):
    """The A/B real-time endpoint `<project>-<profile>-realtime` (E1-E7): weighted production variants.

    The approval path (pipelines.deploy_on_approval) and the inference API target it.
    """

    enabled: bool = Field(
        default=True,
        description=(
            "Deploy the A/B endpoint. Its instances bill every hour, busy or idle: off (a cheap sandbox, "
            "docs/sandbox.md) leaves serverless and async inference, the API then fronts the serverless "
            "endpoint and pipelines.deploy_on_approval must be off."
        ),
    )
    monitoring: MonitoringConfig = Field(
        default_factory=MonitoringConfig, description="Model Monitor data-quality schedule, opt-in (E6)."
    )


class ShadowTestConfig(EndpointRolloutConfig):
    """The shadow-test endpoint `<project>-<profile>-shadow-test` (E2): one production variant answers every
    request, one shadow variant gets a copy of `sampling_weight` of them and its answers are only captured."""

    enabled: bool = Field(default=True, description="Deploy the shadow-test endpoint.")
    variants: list[VariantConfig] = Field(
        min_length=1,
        max_length=10,
        description="The production variant: exactly one, it answers every request (E2; weight 1 is usual).",
    )
    shadow_variants: list[ShadowVariantConfig] = Field(
        min_length=1,
        description=(
            "The shadow variant under test (E2): exactly one, beside exactly one production variant "
            "(CreateEndpointConfig's rule)."
        ),
    )
