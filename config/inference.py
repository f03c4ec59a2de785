"""The inference section of a profile (patterns E1-E13, N7).

Variant setups that cannot work are refused here, before synthesis: weights that are all
zero, duplicate names, capacities that do not nest, instance types SageMaker does not host,
models asking for network isolation in a container family that cannot run isolated (N7),
and feature combinations AWS documents as unsupported, quoting the documentation (the rows of
config/aws_rules.py: E2 shadow variants, E3 guardrails, E6 monitoring jobs, E8 serverless).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from config import aws_rules
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

# AWS's documented exclusions live in one table (config/aws_rules.py); the names below are
# kept for the modules and tests that cite them.
GUARDRAILS_DOC = aws_rules.GUARDRAILS_DOC
SHADOW_DOC = aws_rules.SHADOW_DOC
SERVERLESS_DOC = aws_rules.SERVERLESS_DOC
SERVERLESS_EXCLUSION = aws_rules.SERVERLESS_EXCLUSION

RULE = aws_rules.rule


def _hosting(path: str, instance_type: str) -> list[str]:
    return list(filter(None, [aws_rules.instance_type_problem(path, instance_type, "hosting")]))


def _inf1(instance_type: str) -> bool:
    return instance_type.startswith("ml.inf1.")


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


class InferenceConfig(StrictModel):
    """Real-time inference: models, the A/B endpoint and its options (E1-E13)."""

    enabled: bool = Field(default=False, description="Deploy the inference stack.")
    high_availability: bool = Field(
        default=False,
        description="Require at least 2 instances on every instance-backed variant, spread across zones (E5).",
    )
    models: list[ModelConfig] = Field(default_factory=list, max_length=10, description="Models (N7, E13).")
    realtime: RealtimeConfig | None = Field(default=None, description="The A/B real-time endpoint (E1-E7).")
    shadow_test: ShadowTestConfig | None = Field(
        default=None, description="The shadow-test endpoint: one production and one shadow variant (E2-E7)."
    )
    serverless: ServerlessConfig = Field(default_factory=ServerlessConfig, description="Serverless endpoint (E8).")
    asynchronous: AsyncConfig = Field(default_factory=AsyncConfig, description="Asynchronous endpoint (E9).")
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig, description="Inference pipeline (E10).")
    api: ApiConfig = Field(default_factory=ApiConfig, description="REST API in front of the real-time endpoint (E11).")
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig, description="Alarms and rollback triggers (E12).")

    def model(self, name: str) -> ModelConfig:
        return next(m for m in self.models if m.name == name)

    @model_validator(mode="after")
    def _consistent(self) -> InferenceConfig:
        if not self.enabled:
            return self
        problems: list[str] = []
        names = [m.name for m in self.models]
        problems += [
            f"inference.models: model name {n!r} is used twice"
            for n in sorted({n for n in names if names.count(n) > 1})
        ]
        if self.realtime is None:
            problems.append("inference.realtime: required when inference is enabled")
        else:
            problems += self._realtime_problems(self.realtime, set(names))
        if self.shadow_test is not None and self.shadow_test.enabled:
            problems += self._endpoint_problems("inference.shadow_test", self.shadow_test, set(names))
        problems += self._option_problems(set(names))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _realtime_problems(self, realtime: RealtimeConfig, models: set[str]) -> list[str]:
        problems = self._endpoint_problems("inference.realtime", realtime, models)
        monitoring = realtime.monitoring
        if monitoring.enabled and realtime.data_capture.enabled:
            field = "inference.realtime.monitoring.instance_type"
            found = aws_rules.instance_type_problem(field, monitoring.instance_type, "monitoring")
            if found:  # types with local storage are fine: the job takes no volume key then (aws_rules)
                problems.append(found)
        return problems

    def _endpoint_problems(self, path: str, endpoint: EndpointRolloutConfig, models: set[str]) -> list[str]:
        """AWS's rules for one instance-backed endpoint at `path` (the A/B or the shadow-test endpoint)."""
        problems = []
        variants = endpoint.variants
        all_names = [v.name for v in variants] + [s.name for s in endpoint.shadow_variants]
        twice = sorted({n for n in all_names if all_names.count(n) > 1})
        problems += [f"{path}: variant name {n!r} is used twice" for n in twice]
        if any(v.weight < 0 for v in variants):
            problems.append(f"{path}.variants: weights must not be negative")
        elif all(v.weight == 0 for v in variants):
            problems.append(f"{path}.variants: weights are all zero, so no variant would receive traffic")
        for i, v in enumerate(variants):
            where = f"{path}.variants[{i}]"
            if v.model not in models:
                problems.append(f"{where}.model {v.model!r} is not one of inference.models")
            if v.min_capacity > v.max_capacity:
                problems.append(f"{where}: min_capacity {v.min_capacity} is greater than max_capacity {v.max_capacity}")
            elif not v.min_capacity <= v.initial_instance_count <= v.max_capacity:
                problems.append(
                    f"{where}: initial_instance_count {v.initial_instance_count} is outside "
                    f"min_capacity..max_capacity ({v.min_capacity}..{v.max_capacity})"
                )
            if self.high_availability and (v.min_capacity < 2 or v.initial_instance_count < 2):
                problems.append(
                    f"{where}: high_availability needs min_capacity and initial_instance_count of at least 2, so "
                    "SageMaker spreads the variant's instances across availability zones (E5)"
                )
            problems += _hosting(f"{where}.instance_type", v.instance_type)
        deployment = endpoint.deployment
        shadows = endpoint.shadow_variants
        inf1 = [f"{path}.variants[{i}]" for i, v in enumerate(variants) if _inf1(v.instance_type)]
        if inf1 and (deployment.mode != "all-at-once" or deployment.baking_seconds):
            mode = deployment.mode if deployment.mode != "all-at-once" else "all-at-once with a baking period"
            problems.append(
                RULE("guardrails-not-on-inf1").problem(field=inf1[0], mode=mode, deployment=f"{path}.deployment")
            )
        # A shadow variant is a variant of the endpoint too: the safe reading of "multi-variant".
        if deployment.mode == "rolling" and len(variants) + len(shadows) > 1:
            problems.append(
                RULE("rolling-needs-one-variant").problem(
                    field=f"{path}.deployment.mode", count=len(variants) + len(shadows)
                )
            )
        if len(shadows) > 1:
            problems.append(
                RULE("at-most-one-shadow-variant").problem(field=f"{path}.shadow_variants", count=len(shadows))
            )
        if shadows and len(variants) != 1:
            problems.append(
                RULE("shadow-needs-one-production-variant").problem(
                    field=f"{path}.shadow_variants", variants=f"{path}.variants", count=len(variants)
                )
            )
        for i, shadow in enumerate(shadows):
            where = f"{path}.shadow_variants[{i}]"
            if shadow.model not in models:
                problems.append(f"{where}.model {shadow.model!r} is not one of inference.models")
            problems += _hosting(f"{where}.instance_type", shadow.instance_type)
            if _inf1(shadow.instance_type) or inf1:
                problems.append(RULE("shadow-not-on-inf1").problem(field=where))
        used = {v.model for v in variants} | {s.model for s in shadows}
        for name in sorted(used & models):
            if not self.model(name).network_isolation:
                problems.append(
                    f"{path}: model {name!r} runs without network isolation; the real-time endpoint "
                    "serves only isolated models inside the VPC (N7)"
                )
        return problems

    def _option_problems(self, models: set[str]) -> list[str]:
        problems = []
        options = (("serverless", self.serverless), ("asynchronous", self.asynchronous), ("pipeline", self.pipeline))
        for key, option in options:
            if not option.enabled:
                continue
            if option.model is None or option.model not in models:
                problems.append(f"inference.{key}.model must name one of inference.models")
                continue
            model = self.model(option.model)
            if key == "serverless" and model.network_isolation:
                problems.append(RULE("serverless-no-vpc-or-isolation").problem(model=model.name))
            if key != "serverless" and not model.network_isolation:
                problems.append(
                    f"inference.{key}.model {model.name!r} must run with network isolation inside the VPC (N7)"
                )
            if key == "pipeline" and model.image_family != "xgboost":
                problems.append(
                    "inference.pipeline.model must be an xgboost model: the shipped pre/post steps run in its image"
                )
            if key != "serverless":
                problems += _hosting(f"inference.{key}.instance_type", option.instance_type)
        if self.high_availability and self.pipeline.enabled and self.pipeline.instance_count < 2:
            problems.append("inference.pipeline.instance_count must be at least 2 with high_availability (E5)")
        return problems
