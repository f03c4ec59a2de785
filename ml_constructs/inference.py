"""SageMaker hosting: isolated models, guarded endpoints, autoscaling, monitoring (N7, E1-E10, E12, E13).

SageMaker hosting has no L2 construct in aws-cdk-lib; these wrap the L1 resources with the
project's rules: every model isolated inside the VPC unless an exception is declared, every
instance-backed endpoint configuration KMS-encrypted, endpoint updates guarded by alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_compliance
from ml_constructs.iam import SageMakerExecutionRole
from ml_constructs.instance_storage import INSTANCE_STORE_ENCRYPTION_DOC, volume_key_for
from ml_constructs.keys import cloudwatch_alarms_arn
from ml_constructs.variant_scaling import (
    ENDPOINT_NAMESPACE,
    ScaledVariant,
    VariantScaling,
    VariantScalingProvider,
    backlog_tracking,
    first_instance,
    invocations_tracking,
)

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
# Script mode inside the framework container: code/ of the model archive, extracted to /opt/ml/model.
SCRIPT_DIRECTORY = "/opt/ml/model/code"


LOCAL_STORAGE_NO_KEY = (
    "A variant runs on an instance type with local NVMe storage, which SageMaker's KmsKeyId does not encrypt "
    "(botocore CreateEndpointConfigInput.KmsKeyId; the API reference said the call fails): that storage is "
    f"encrypted with XTS-AES-256 by the instance's hardware module, always ({INSTANCE_STORE_ENCRYPTION_DOC})."
)


def model_artifact(scope: Construct, construct_id: str, name: str) -> assets.Asset:
    """A shipped model.tar.gz (scripts/build_models.py) as a CDK file asset (E13)."""
    return assets.Asset(scope, construct_id, path=str(MODELS_DIR / "artifacts" / f"{name}.tar.gz"))


class InferenceRole(Construct):
    """The execution role SageMaker models, endpoints and monitoring jobs run with.

    It reads exactly the shipped artifacts and baseline, writes only the inference bucket's
    capture, asynchronous-result and report prefixes, uses the data key for volumes and
    outputs, publishes only to the project's inference topics, and may pull images and place
    network interfaces in the VPC. It has a fixed name: the inference bucket, which otherwise
    admits requests only through the VPC endpoint, names it as the one writer from SageMaker's
    hosting service.
    """

    def __init__(self, scope: Construct, construct_id: str, *, role_name: str) -> None:
        super().__init__(scope, construct_id)
        self.role = SageMakerExecutionRole(
            self,
            "Role",
            role_name=role_name,
            description="SageMaker models, endpoints and monitoring jobs of the inference stack",
            policy_description="Inference: shipped artifacts, inference bucket, data key, images, VPC",
        )
        self.grants = self.role.statements

    def read(self, sid: str, *items: assets.Asset) -> None:
        self.grants.allow(sid, ("s3:GetObject",), [a.bucket.arn_for_objects(a.s3_object_key) for a in items])

    def finish(
        self, *, output_bucket: s3.IBucket, prefixes: Sequence[str], data_key: kms.IKey, topics: Sequence[sns.ITopic]
    ) -> None:
        """Grants that need the whole stack's resources, then the wildcard acknowledgments."""
        self.grants.allow(
            "WriteInferenceOutputs",
            ("s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"),
            [output_bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
            wildcard_reason="Objects under the inference bucket's capture, asynchronous-result and report prefixes, "
            "named by SageMaker per request and per job.",
        )
        self.grants.allow("ListInferenceBucket", ("s3:ListBucket", "s3:GetBucketLocation"), [output_bucket.bucket_arn])
        self.role.use_data_key(data_key.key_arn)
        if topics:
            self.grants.allow("PublishInferenceNotifications", ("sns:Publish",), [t.topic_arn for t in topics])
            # SageMaker publishes asynchronous results as this role; SNS then encrypts each message
            # with the topic's key on the publisher's behalf, so the publisher needs the key too (SNS
            # Developer Guide, "Managing Amazon SNS encryption keys": publishers to an SSE topic need
            # kms:GenerateDataKey* and kms:Decrypt on its key), and only through SNS.
            keys = list(dict.fromkeys(t.master_key.key_arn for t in topics if t.master_key is not None))
            if keys:
                stack = cdk.Stack.of(self)
                self.grants.allow(
                    "NotificationsKeyThroughSns",
                    ("kms:GenerateDataKey*", "kms:Decrypt"),
                    keys,
                    {"StringEquals": {"kms:ViaService": f"sns.{stack.region}.amazonaws.com"}},
                    wildcard_reason="kms:GenerateDataKey* as the SNS Developer Guide lists it for publishers to "
                    "encrypted topics; only on the topics' key and only through SNS in this region.",
                )
        self.grants.acknowledge(self.role.grants_policy.node.default_child)


def allow_alarm_publications(topic: sns.Topic) -> None:
    """Let CloudWatch alarms of this account and region publish to `topic` (its alarm actions).

    CloudWatch publishes with its service principal; the statement is bound to this account's
    alarms (aws:SourceAccount, aws:SourceArn) so no other account's alarm can use the topic
    (CloudWatch User Guide, confused-deputy prevention). The topic's key must admit CloudWatch
    too (ServiceKey.allow_cloudwatch_alarms).
    """
    stack = cdk.Stack.of(topic)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsOfThisAccount",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": cloudwatch_alarms_arn(stack)},
            },
        )
    )


@dataclass(frozen=True)
class Container:
    image: str
    model_data: str
    environment: dict[str, str] = field(default_factory=dict)


class HostedModel(Construct):
    """A SageMaker model: network-isolated and in the private subnets unless declared otherwise (N7).

    One container is a plain model; several make an inference pipeline whose containers run
    in order, each one's output the next one's input (E10).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role: InferenceRole,
        containers: Sequence[Container],
        subnet_ids: Sequence[str] | None,
        security_group: ec2.ISecurityGroup | None,
        network_isolation: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        definitions = [
            sagemaker.CfnModel.ContainerDefinitionProperty(
                image=c.image, model_data_url=c.model_data, environment=c.environment or None
            )
            for c in containers
        ]
        in_vpc = subnet_ids is not None and security_group is not None
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=role.role.role_arn,
            primary_container=definitions[0] if len(definitions) == 1 else None,
            containers=definitions if len(definitions) > 1 else None,
            inference_execution_config=(
                sagemaker.CfnModel.InferenceExecutionConfigProperty(mode="Serial") if len(definitions) > 1 else None
            ),
            enable_network_isolation=network_isolation,
            vpc_config=(
                sagemaker.CfnModel.VpcConfigProperty(
                    subnets=list(subnet_ids), security_group_ids=[security_group.security_group_id]
                )
                if in_vpc
                else None
            ),
        )
        self.model.add_resource_dependency(role.role.grants_policy.node.default_child)


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


class ServerlessEndpoint(Construct):
    """A serverless endpoint for infrequent traffic: no instances, scales to zero (E8).

    AWS runs serverless containers outside customer VPCs and offers no instance volume, so
    this endpoint's model is declared without isolation (the profile states why) and its
    configuration has no KMS key; the findings that expect either are acknowledged with
    AWS's documented feature exclusions.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        model: HostedModel,
        memory_mb: int,
        max_concurrency: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name="serverless",
                    model_name=model.model.attr_model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=memory_mb, max_concurrency=max_concurrency
                    ),
                )
            ],
        )
        acknowledge_compliance(
            self.config,
            "SageMakerEndpointConfigurationKMSKeyConfigured",
            "Serverless Inference has no instance storage volume to encrypt and does not accept a KmsKeyId "
            "(SageMaker serverless feature exclusions); the model artifact is encrypted in S3.",
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self, "Endpoint", endpoint_name=endpoint_name, endpoint_config_name=self.config.attr_endpoint_config_name
        )


class DataQualityMonitor(Construct):
    """Model Monitor data-quality schedule on an endpoint's captured data (E6).

    Compares captured requests with the constraints baseline on a schedule; the job runs
    network-isolated in the private subnets with inter-container encryption, KMS on its
    volume and its reports, and publishes violation metrics to CloudWatch.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule_name: str,
        endpoint: GuardedEndpoint,
        image: str,
        role: InferenceRole,
        constraints_uri: str,
        reports_uri: str,
        data_key: kms.IKey,
        subnet_ids: Sequence[str],
        security_group: ec2.ISecurityGroup,
        schedule: str,
        instance_type: str,
    ) -> None:
        super().__init__(scope, construct_id)
        job = sagemaker.CfnDataQualityJobDefinition
        self.job_definition = job(
            self,
            "JobDefinition",
            job_definition_name=f"{schedule_name}-job",
            role_arn=role.role.role_arn,
            data_quality_app_specification=job.DataQualityAppSpecificationProperty(image_uri=image),
            data_quality_baseline_config=job.DataQualityBaselineConfigProperty(
                constraints_resource=job.ConstraintsResourceProperty(s3_uri=constraints_uri)
            ),
            data_quality_job_input=job.DataQualityJobInputProperty(
                endpoint_input=job.EndpointInputProperty(
                    endpoint_name=endpoint.endpoint_name,
                    local_path="/opt/ml/processing/input/endpoint",
                    s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated",
                )
            ),
            data_quality_job_output_config=job.MonitoringOutputConfigProperty(
                kms_key_id=data_key.key_arn,
                monitoring_outputs=[
                    job.MonitoringOutputProperty(
                        s3_output=job.S3OutputProperty(
                            local_path="/opt/ml/processing/output", s3_uri=reports_uri, s3_upload_mode="EndOfJob"
                        )
                    )
                ],
            ),
            job_resources=job.MonitoringResourcesProperty(
                cluster_config=job.ClusterConfigProperty(
                    instance_count=1,
                    instance_type=instance_type,
                    volume_size_in_gb=20,
                    volume_kms_key_id=volume_key_for(instance_type, data_key.key_arn),
                )
            ),
            network_config=job.NetworkConfigProperty(
                enable_network_isolation=True,
                enable_inter_container_traffic_encryption=True,
                vpc_config=job.VpcConfigProperty(
                    subnets=list(subnet_ids), security_group_ids=[security_group.security_group_id]
                ),
            ),
            stopping_condition=job.StoppingConditionProperty(max_runtime_in_seconds=1800),
        )
        self.job_definition.add_resource_dependency(endpoint.endpoint)
        self.job_definition.add_resource_dependency(role.role.grants_policy.node.default_child)
        self.schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Schedule",
            monitoring_schedule_name=schedule_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=f"{schedule_name}-job",
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(schedule_expression=schedule),
            ),
        )
        self.schedule.add_resource_dependency(self.job_definition)
