"""An instance-backed endpoint guarded by alarms: variants, shadow, autoscaling, capture (E1-E7, E9, E12).

Every instance-backed endpoint configuration is KMS-encrypted and its updates are guarded by alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_compliance
from ml_constructs.hosted_model import HostedModel
from ml_constructs.instance_storage import INSTANCE_STORE_ENCRYPTION_DOC, volume_key_for
from ml_constructs.variant_scaling import (
    ENDPOINT_NAMESPACE,
    ScaledVariant,
    VariantScaling,
    VariantScalingProvider,
    backlog_tracking,
    first_instance,
    invocations_tracking,
)

LOCAL_STORAGE_NO_KEY = (
    "A variant runs on an instance type with local NVMe storage, which SageMaker's KmsKeyId does not encrypt "
    "(botocore CreateEndpointConfigInput.KmsKeyId; the API reference said the call fails): that storage is "
    f"encrypted with XTS-AES-256 by the instance's hardware module, always ({INSTANCE_STORE_ENCRYPTION_DOC})."
)


@dataclass(frozen=True)
class Variant:
    name: str
    model: HostedModel
    weight: float
    instance_type: str
    initial_instance_count: int
    min_capacity: int
    max_capacity: int


@dataclass(frozen=True)
class Guardrails:
    mode: str  # canary | linear | all-at-once | rolling
    traffic_percent: int
    wait_seconds: int
    baking_seconds: int


@dataclass(frozen=True)
class AlarmThresholds:
    model_latency_ms: int
    errors_5xx: int
    errors_4xx: int
    evaluation_minutes: int


@dataclass(frozen=True)
class Autoscaling:
    """How an endpoint's variants scale: on invocations per instance (E4), or for an asynchronous
    endpoint on its queue, from zero instances (E9, `backlog_per_instance`)."""

    provider: VariantScalingProvider
    invocations_per_instance: int = 100
    scale_in_cooldown: cdk.Duration = cdk.Duration.minutes(5)
    scale_out_cooldown: cdk.Duration = cdk.Duration.minutes(1)
    backlog_per_instance: int | None = None


def _variant_metric(endpoint_name: str, variant: str, metric: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=ENDPOINT_NAMESPACE,
        metric_name=metric,
        dimensions_map={"EndpointName": endpoint_name, "VariantName": variant},
        statistic=statistic,
        period=cdk.Duration.minutes(1),
    )


class GuardedEndpoint(Construct):
    """An instance-backed endpoint whose updates are guarded by alarms (E1-E5, E7, E12).

    - endpoint configuration with the variants' weights (E1), or one production variant with one
      shadow variant (E2, whose weight over the production variant's is the share copied to it),
      the data key on every instance volume (E7), and data capture (E6) when given;
    - blue/green canary, linear or all-at-once traffic shifting, or a rolling update, with
      automatic rollback on the variants' latency and 5XX alarms (E3);
    - new weights apply on update while autoscaled instance counts are kept
      (RetainAllVariantProperties, DesiredWeight excluded);
    - per variant, with `autoscaling`: a scalable target with target tracking on invocations
      per instance (E4), or on the queue from zero instances for an asynchronous endpoint (E9),
      handed off around updates that SageMaker would otherwise refuse (VariantScaling);
    - per variant: alarms on p99 ModelLatency, Invocation5XXErrors and Invocation4XXErrors
      that notify the alarm topic (E12); a shadow variant's alarms notify but are no rollback
      triggers (its answers are only captured), and it is not autoscaled (fixed instance count).

    The endpoint has a fixed name, so alarms refer to it by name and the endpoint can refer to
    its rollback alarms without a reference cycle.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variants: Sequence[Variant],
        data_key: kms.IKey,
        guardrails: Guardrails,
        alarms: AlarmThresholds,
        alarm_topic: sns.ITopic,
        shadow_variants: Sequence[Variant] = (),
        data_capture: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None = None,
        async_config: sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty | None = None,
        autoscaling: Autoscaling | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self.alarms: dict[str, list[cloudwatch.Alarm]] = {}
        action = cw_actions.SnsAction(alarm_topic)
        for variant in variants:
            self.alarms[variant.name] = self._variant_alarms(variant.name, alarms, action)
        rollback = [a for variant_alarms in self.alarms.values() for a in variant_alarms[:2]]
        # A shadow variant's answers never reach callers: its alarms notify, they do not roll back.
        for variant in shadow_variants:
            self.alarms[variant.name] = self._variant_alarms(variant.name, alarms, action)

        self.config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            # None when a variant has local instance storage: hardware-encrypted, the key would not
            # cover it (and the API reference said the call fails): ml_constructs.instance_storage.
            kms_key_id=volume_key_for([v.instance_type for v in (*variants, *shadow_variants)], data_key.key_arn),
            production_variants=[self._variant(v) for v in variants],
            shadow_production_variants=[self._variant(v) for v in shadow_variants] or None,
            data_capture_config=data_capture,
            async_inference_config=async_config,
        )
        if self.config.kms_key_id is None:
            acknowledge_compliance(self.config, "SageMakerEndpointConfigurationKMSKeyConfigured", LOCAL_STORAGE_NO_KEY)
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=self.config.attr_endpoint_config_name,
            deployment_config=sagemaker.CfnEndpoint.DeploymentConfigProperty(
                auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                    alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.alarm_name) for a in rollback]
                ),
                **self._update_policy(guardrails),
            ),
            retain_all_variant_properties=True,
            exclude_retained_variant_properties=[
                sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight"),
                sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DataCaptureConfig"),
            ],
        )
        self.scaling = None
        if autoscaling is not None:
            self._autoscale(variants, autoscaling)

    @staticmethod
    def _variant(variant: Variant) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=variant.name,
            model_name=variant.model.model.attr_model_name,
            initial_variant_weight=variant.weight,
            instance_type=variant.instance_type,
            initial_instance_count=variant.initial_instance_count,
        )

    @staticmethod
    def _update_policy(guardrails: Guardrails) -> dict:
        if guardrails.mode == "rolling":
            return {
                "rolling_update_policy": sagemaker.CfnEndpoint.RollingUpdatePolicyProperty(
                    maximum_batch_size=sagemaker.CfnEndpoint.CapacitySizeProperty(
                        type="CAPACITY_PERCENT", value=guardrails.traffic_percent
                    ),
                    wait_interval_in_seconds=max(guardrails.wait_seconds, 1),
                    maximum_execution_timeout_in_seconds=3600,
                )
            }
        size = sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=guardrails.traffic_percent)
        routing = sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
            type={"canary": "CANARY", "linear": "LINEAR", "all-at-once": "ALL_AT_ONCE"}[guardrails.mode],
            canary_size=size if guardrails.mode == "canary" else None,
            linear_step_size=size if guardrails.mode == "linear" else None,
            wait_interval_in_seconds=guardrails.wait_seconds if guardrails.mode != "all-at-once" else None,
        )
        return {
            "blue_green_update_policy": sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=routing,
                termination_wait_in_seconds=guardrails.baking_seconds,
                maximum_execution_timeout_in_seconds=3600,
            )
        }

    def _variant_alarms(
        self, variant: str, thresholds: AlarmThresholds, action: cloudwatch.IAlarmAction
    ) -> list[cloudwatch.Alarm]:
        """p99 latency and 5XX (rollback triggers), then 4XX (clients' errors: notify only)."""
        specs = [
            ("Latency", "ModelLatency", "p99", thresholds.model_latency_ms * 1000, "p99 model latency (microseconds)"),
            ("Errors5xx", "Invocation5XXErrors", "Sum", thresholds.errors_5xx, "5XX errors per minute"),
            ("Errors4xx", "Invocation4XXErrors", "Sum", thresholds.errors_4xx, "4XX errors per minute"),
        ]
        created = []
        for construct_id, metric, statistic, threshold, what in specs:
            alarm = cloudwatch.Alarm(
                self,
                f"{variant}-{construct_id}",
                alarm_name=f"{self.endpoint_name}-{variant}-{construct_id.lower()}",
                alarm_description=f"{self.endpoint_name}/{variant}: {what} above {threshold}",
                metric=_variant_metric(self.endpoint_name, variant, metric, statistic),
                threshold=threshold,
                evaluation_periods=thresholds.evaluation_minutes,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            created.append(alarm)
        return created

    def _autoscale(self, variants: Sequence[Variant], autoscaling: Autoscaling) -> None:
        backlog = autoscaling.backlog_per_instance

        def policies(variant: str) -> list[dict]:
            if backlog is not None:
                return [
                    backlog_tracking(f"{variant}-backlog", self.endpoint_name, backlog),
                    first_instance(f"{variant}-first-instance"),
                ]
            return [
                invocations_tracking(
                    f"{variant}-invocations",
                    autoscaling.invocations_per_instance,
                    autoscaling.scale_in_cooldown,
                    autoscaling.scale_out_cooldown,
                )
            ]

        self.scaling = VariantScaling(
            self,
            "Autoscaling",
            provider=autoscaling.provider,
            endpoint=self.endpoint,
            endpoint_name=self.endpoint_name,
            variants=[
                ScaledVariant(v.name, v.instance_type, v.min_capacity, v.max_capacity, policies(v.name))
                for v in variants
            ],
        )
        if backlog is not None:
            for variant in variants:
                self._waiting_at_zero(variant.name)

    def _waiting_at_zero(self, variant: str) -> None:
        """Requests queued while no instance runs: start the first one (AWS's scale-from-zero recipe)."""
        alarm = cloudwatch.Alarm(
            self,
            f"{variant}-WaitingAtZero",
            alarm_name=f"{self.endpoint_name}-{variant}-waiting-at-zero",
            alarm_description=f"{self.endpoint_name}/{variant}: requests queued with no instance; adds one",
            metric=cloudwatch.Metric(
                namespace=ENDPOINT_NAMESPACE,
                metric_name="HasBacklogWithoutCapacity",
                dimensions_map={"EndpointName": self.endpoint_name},
                statistic="Average",
                period=cdk.Duration.minutes(1),
            ),
            threshold=1,
            evaluation_periods=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self.scaling.policy_action(f"{variant}-first-instance"))

    def dashboard_widgets(self) -> list[cloudwatch.IWidget]:
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.TextWidget(markdown=f"## {self.endpoint_name}", width=24, height=1)
        ]
        for variant in self.alarms:
            widgets += [
                cloudwatch.GraphWidget(
                    title=f"{variant}: invocations",
                    left=[_variant_metric(self.endpoint_name, variant, "Invocations", "Sum")],
                    width=6,
                ),
                cloudwatch.GraphWidget(
                    title=f"{variant}: model latency",
                    left=[
                        _variant_metric(self.endpoint_name, variant, "ModelLatency", stat) for stat in ("p50", "p99")
                    ],
                    width=6,
                ),
                cloudwatch.GraphWidget(
                    title=f"{variant}: errors",
                    left=[
                        _variant_metric(self.endpoint_name, variant, name, "Sum")
                        for name in ("Invocation4XXErrors", "Invocation5XXErrors")
                    ],
                    width=6,
                ),
                cloudwatch.AlarmStatusWidget(title=f"{variant}: alarms", alarms=self.alarms[variant], width=6),
            ]
        return widgets
