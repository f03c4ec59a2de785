"""The inference section of a profile (patterns E1-E13, N7).

Variant setups that cannot work are refused here, before synthesis: weights that are all
zero, duplicate names, capacities that do not nest, instance types SageMaker does not host,
models asking for network isolation in a container family that cannot run isolated (N7),
and feature combinations AWS documents as unsupported, quoting the documentation (the rows of
config/aws_rules.py: E2 shadow variants, E3 guardrails, E6 monitoring jobs, E8 serverless).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from config import aws_rules
from config.base import StrictModel
from config.inference_endpoints import (
    NO_NETWORK_ISOLATION,
    AutoscalingConfig,
    DataCaptureConfig,
    DeploymentGuardrailsConfig,
    EndpointRolloutConfig,
    ImageFamily,
    ImageVersion,
    ModelArtifact,
    ModelConfig,
    MonitoringConfig,
    RealtimeConfig,
    ShadowTestConfig,
    ShadowVariantConfig,
    VariantConfig,
)
from config.inference_options import AlarmsConfig, ApiConfig, AsyncConfig, PipelineConfig, ServerlessConfig

__all__ = [
    "GUARDRAILS_DOC",
    "NO_NETWORK_ISOLATION",
    "RULE",
    "SERVERLESS_DOC",
    "SERVERLESS_EXCLUSION",
    "SHADOW_DOC",
    "AlarmsConfig",
    "ApiConfig",
    "AsyncConfig",
    "AutoscalingConfig",
    "DataCaptureConfig",
    "DeploymentGuardrailsConfig",
    "EndpointRolloutConfig",
    "ImageFamily",
    "ImageVersion",
    "InferenceConfig",
    "ModelArtifact",
    "ModelConfig",
    "MonitoringConfig",
    "PipelineConfig",
    "RealtimeConfig",
    "ServerlessConfig",
    "ShadowTestConfig",
    "ShadowVariantConfig",
    "VariantConfig",
]

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
    api: ApiConfig = Field(
        default_factory=ApiConfig,
        description="REST API in front of the real-time endpoint, or the serverless one when real-time is off (E11).",
    )
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig, description="Alarms and rollback triggers (E12).")

    def model(self, name: str) -> ModelConfig:
        return next(m for m in self.models if m.name == name)

    @property
    def active_realtime(self) -> RealtimeConfig | None:
        """The A/B endpoint's settings when inference deploys it, else None."""
        return self.realtime if self.enabled and self.realtime is not None and self.realtime.enabled else None

    @property
    def active_shadow_test(self) -> ShadowTestConfig | None:
        """The shadow-test endpoint's settings when inference deploys it, else None."""
        shadow = self.shadow_test
        return shadow if self.enabled and shadow is not None and shadow.enabled else None

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
            problems.append("inference.realtime: required when inference is enabled (enabled: false turns it off)")
        elif self.realtime.enabled:
            problems += self._realtime_problems(self.realtime, set(names))
        if self.api.enabled and self.active_realtime is None and not self.serverless.enabled:
            problems.append(
                "inference.api needs an endpoint to front: inference.realtime.enabled or inference.serverless.enabled"
            )
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
