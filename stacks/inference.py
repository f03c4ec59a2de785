"""Real-time inference in the private network (N7, E1-E13)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_s3_assets as assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from config.inference import AutoscalingConfig, DeploymentGuardrailsConfig, EndpointRolloutConfig, InferenceConfig
from config.model import ProjectConfig
from ml_constructs.inference import (
    MODELS_DIR,
    SCRIPT_DIRECTORY,
    AlarmThresholds,
    Autoscaling,
    Container,
    DataQualityMonitor,
    GuardedEndpoint,
    Guardrails,
    HostedModel,
    InferenceRole,
    ServerlessEndpoint,
    Variant,
    allow_alarm_publications,
    model_artifact,
)
from ml_constructs.inference_api import InferenceApi
from ml_constructs.variant_scaling import VariantScalingProvider
from stacks.data import DataStack
from stacks.images import image_uri
from stacks.naming import inference_role_name, resource_prefix
from stacks.network import NetworkStack
from stacks.security_baseline import SecurityBaselineStack, removal_policy

CAPTURE_PREFIX = "capture/"
ASYNC_PREFIX = "async/"
REPORTS_PREFIX = "monitoring/"


class InferenceStack(cdk.Stack):
    """Models, the A/B and shadow-test endpoints with guardrails, serverless, async and pipeline endpoints,
    the API."""

    INTERFACE_ENDPOINTS = {
        "sagemaker.runtime": "the API function invoking the endpoint",
        "execute-api": "callers in the VPC reaching the private inference API",
        "sts": "credentials of the API function",
        "logs": "logs of the API function",
        "monitoring": "metrics of the endpoints",
        "ecr.api": "endpoint container images",
        "ecr.dkr": "endpoint container images",
        "kms": "the data key for endpoint volumes and outputs",
    }

    @classmethod
    def interface_endpoints_for(cls, config: ProjectConfig) -> dict[str, str]:
        """Credentials, logs, metrics and keys always; container images only with instance-backed
        endpoints in the VPC (serverless runs outside it); the runtime and execute-api only for the API."""
        settings = config.inference
        if not settings.enabled:
            return {}
        names = ["sts", "logs", "monitoring", "kms"]
        instance_backed = [
            settings.active_realtime,
            settings.active_shadow_test,
            settings.asynchronous.enabled,
            settings.pipeline.enabled,
        ]
        if any(instance_backed):
            names += ["ecr.api", "ecr.dkr"]
        if settings.api.enabled:
            names.append("sagemaker.runtime")
            if settings.api.access == "private":
                names.append("execute-api")
        return {name: cls.INTERFACE_ENDPOINTS[name] for name in names}

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        network: NetworkStack,
        data: DataStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        net = network.network
        net.require_endpoints(self.interface_endpoints_for(config), "the inference stack")
        settings: InferenceConfig = config.inference
        # Either may be off (inference.realtime.enabled, inference.shadow_test.enabled): a cheap
        # sandbox keeps only the endpoints that cost nothing idle (docs/sandbox.md).
        realtime = settings.active_realtime
        prefix = resource_prefix(config)
        region = config.region
        bucket = data.inference
        subnet_ids = net.subnet_ids()
        workloads = net.workload_security_group

        self.role = InferenceRole(self, "ExecutionRole", role_name=inference_role_name(config))
        artifacts = {name: model_artifact(self, f"{name.title()}Artifact", name) for name in ("champion", "challenger")}
        self.role.read("ReadModelArtifacts", *artifacts.values())

        def image(family: str, version: str | None, instance_type: str | None) -> str:
            return image_uri(family, version, region, instance_type)

        shadow_test = settings.active_shadow_test
        rollouts = [r for r in (realtime, shadow_test) if r is not None]
        self.models: dict[str, HostedModel] = {}
        for model in settings.models:
            users = [
                v.instance_type
                for endpoint in rollouts
                for v in [*endpoint.variants, *endpoint.shadow_variants]
                if v.model == model.name
            ]
            isolated = model.network_isolation
            self.models[model.name] = HostedModel(
                self,
                f"Model-{model.name}",
                role=self.role,
                containers=[
                    Container(
                        image(model.image_family, model.image_version, users[0] if users else None),
                        artifacts[model.artifact].s3_object_url,
                    )
                ],
                subnet_ids=subnet_ids if isolated else None,
                security_group=workloads if isolated else None,
                network_isolation=isolated,
            )

        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{prefix}inference-alarms",
            display_name="Inference alarms",
            master_key=security.notifications_key,
            enforce_ssl=True,
        )
        allow_alarm_publications(self.alarm_topic)
        thresholds = AlarmThresholds(**settings.alarms.model_dump())
        guardrails = Guardrails(**(realtime.deployment if realtime else DeploymentGuardrailsConfig()).model_dump())
        provider = VariantScalingProvider(
            self,
            "VariantScaling",
            endpoint_name_prefix=prefix,
            logs_key=security.logs_key,
            environment_key=security.data_key,
            log_retention=config.security.log_retention_days,
            removal_policy=removal_policy(config),
            reserve_concurrency=config.deploy.lambda_reserved_concurrency,
        )

        def autoscaling_of(endpoint: EndpointRolloutConfig | None) -> Autoscaling:
            scaling = endpoint.autoscaling if endpoint else AutoscalingConfig()
            return Autoscaling(
                provider,
                invocations_per_instance=scaling.target_invocations_per_instance,
                scale_in_cooldown=cdk.Duration.seconds(scaling.scale_in_cooldown_seconds),
                scale_out_cooldown=cdk.Duration.seconds(scaling.scale_out_cooldown_seconds),
            )

        autoscaling = autoscaling_of(realtime)

        def variant(spec, weight: float, model: HostedModel | None = None) -> Variant:
            return Variant(
                name=spec.name,
                model=model or self.models[spec.model],
                weight=weight,
                instance_type=spec.instance_type,
                initial_instance_count=spec.initial_instance_count,
                min_capacity=getattr(spec, "min_capacity", spec.initial_instance_count),
                max_capacity=getattr(spec, "max_capacity", spec.initial_instance_count),
            )

        def rollout(construct_id: str, name: str, endpoint: EndpointRolloutConfig) -> GuardedEndpoint:
            """One real-time endpoint: A/B (E1) or shadow test (E2), guarded, scaled, captured, alarmed."""
            capture = endpoint.data_capture
            production = endpoint.variants
            return GuardedEndpoint(
                self,
                construct_id,
                endpoint_name=f"{prefix}{name}",
                variants=[variant(v, v.weight) for v in production],
                # The shadow's weight over the production variant's is the share of requests copied.
                shadow_variants=[
                    variant(s, s.sampling_weight * production[0].weight) for s in endpoint.shadow_variants
                ],
                data_key=security.data_key,
                guardrails=Guardrails(**endpoint.deployment.model_dump()),
                alarms=thresholds,
                alarm_topic=self.alarm_topic,
                data_capture=(
                    sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                        enable_capture=True,
                        initial_sampling_percentage=capture.sampling_percent,
                        destination_s3_uri=bucket.s3_url_for_object(f"{CAPTURE_PREFIX}{name}"),
                        kms_key_id=security.data_key.key_arn,
                        capture_options=[
                            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=mode)
                            for mode in ("Input", "Output")
                        ],
                        capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                            csv_content_types=["text/csv"], json_content_types=["application/json"]
                        ),
                    )
                    if capture.enabled
                    else None
                ),
                autoscaling=autoscaling_of(endpoint),
            )

        self.realtime = rollout("Realtime", "realtime", realtime) if realtime else None
        endpoints = [self.realtime] if self.realtime else []
        self.shadow_test = rollout("ShadowTest", "shadow-test", shadow_test) if shadow_test else None
        if self.shadow_test:
            endpoints.append(self.shadow_test)

        self.monitor = None
        if realtime and realtime.monitoring.enabled and realtime.data_capture.enabled:
            baseline = realtime.monitoring.baseline_constraints
            if baseline == "shipped":
                constraints = assets.Asset(self, "Baseline", path=str(MODELS_DIR / "baseline" / "constraints.json"))
                self.role.read("ReadMonitoringBaseline", constraints)
                baseline = constraints.s3_object_url
            self.monitor = DataQualityMonitor(
                self,
                "DataQuality",
                schedule_name=f"{prefix}realtime-data-quality",
                endpoint=self.realtime,
                image=image("model-monitor", None, None),
                role=self.role,
                constraints_uri=baseline,
                reports_uri=bucket.s3_url_for_object(f"{REPORTS_PREFIX}realtime"),
                data_key=security.data_key,
                subnet_ids=subnet_ids,
                security_group=workloads,
                schedule=realtime.monitoring.schedule,
                instance_type=realtime.monitoring.instance_type,
            )

        self.serverless = None
        if settings.serverless.enabled:
            self.serverless = ServerlessEndpoint(
                self,
                "Serverless",
                endpoint_name=f"{prefix}serverless",
                model=self.models[settings.serverless.model],
                memory_mb=settings.serverless.memory_mb,
                max_concurrency=settings.serverless.max_concurrency,
            )

        topics: list[sns.ITopic] = []
        self.asynchronous = None
        if settings.asynchronous.enabled:
            options = settings.asynchronous
            outcomes = {
                name: sns.Topic(
                    self,
                    f"Async{name.title()}Topic",
                    topic_name=f"{prefix}async-{name}",
                    master_key=security.notifications_key,
                    enforce_ssl=True,
                )
                for name in ("success", "error")
            }
            topics += outcomes.values()
            self.asynchronous = GuardedEndpoint(
                self,
                "Async",
                endpoint_name=f"{prefix}async",
                variants=[
                    Variant("async", self.models[options.model], 1.0, options.instance_type, 1, 0, options.max_capacity)
                ],
                data_key=security.data_key,
                guardrails=Guardrails("all-at-once", guardrails.traffic_percent, 0, guardrails.baking_seconds),
                alarms=thresholds,
                alarm_topic=self.alarm_topic,
                async_config=sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
                    client_config=sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                        max_concurrent_invocations_per_instance=options.max_concurrent_invocations_per_instance
                    ),
                    output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                        s3_output_path=bucket.s3_url_for_object(f"{ASYNC_PREFIX}results"),
                        s3_failure_path=bucket.s3_url_for_object(f"{ASYNC_PREFIX}failures"),
                        kms_key_id=security.data_key.key_arn,
                        notification_config=sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                            success_topic=outcomes["success"].topic_arn, error_topic=outcomes["error"].topic_arn
                        ),
                    ),
                ),
                autoscaling=Autoscaling(provider, backlog_per_instance=options.backlog_per_instance),
            )
            endpoints.append(self.asynchronous)

        self.pipeline = None
        if settings.pipeline.enabled:
            options = settings.pipeline
            predictor = settings.model(options.model)
            xgboost = image(predictor.image_family, predictor.image_version, options.instance_type)
            steps = {
                name: model_artifact(self, f"{name.title()}Artifact", name) for name in ("preprocess", "postprocess")
            }
            self.role.read("ReadPipelineCode", *steps.values())

            def script(step: str) -> Container:
                environment = {"SAGEMAKER_PROGRAM": f"{step}.py", "SAGEMAKER_SUBMIT_DIRECTORY": SCRIPT_DIRECTORY}
                return Container(xgboost, steps[step].s3_object_url, environment)

            pipeline_model = HostedModel(
                self,
                "Model-pipeline",
                role=self.role,
                containers=[
                    script("preprocess"),
                    Container(xgboost, artifacts[predictor.artifact].s3_object_url),
                    script("postprocess"),
                ],
                subnet_ids=subnet_ids,
                security_group=workloads,
            )
            count = options.instance_count
            self.pipeline = GuardedEndpoint(
                self,
                "Pipeline",
                endpoint_name=f"{prefix}pipeline",
                variants=[Variant("pipeline", pipeline_model, 1.0, options.instance_type, count, count, count * 2)],
                data_key=security.data_key,
                guardrails=Guardrails("all-at-once", guardrails.traffic_percent, 0, guardrails.baking_seconds),
                alarms=thresholds,
                alarm_topic=self.alarm_topic,
                autoscaling=autoscaling,
            )
            endpoints.append(self.pipeline)

        self.api = None
        if settings.api.enabled:
            api = settings.api
            # The A/B endpoint when there is one, else the serverless endpoint (validated in config).
            target, variants = (
                (self.realtime.endpoint_name, [v.name for v in realtime.variants])
                if self.realtime
                else (f"{prefix}serverless", ["serverless"])
            )
            self.api = InferenceApi(
                self,
                "Api",
                api_name=f"{prefix}inference",
                endpoint_name=target,
                variants=variants,
                vpc=net.vpc,
                subnets=net.workload_subnets,
                endpoints_security_group=net.endpoint_security_group,
                logs_key=security.logs_key,
                log_retention=config.security.log_retention_days,
                rate_limit=api.rate_limit,
                burst_limit=api.burst_limit,
                execute_api_endpoint=net.interface_endpoints["execute-api"] if api.access == "private" else None,
                waf=api.waf,
                manage_account_logging_role=api.manage_account_logging_role,
                removal_policy=removal_policy(config),
                environment_key=security.data_key,
                reserve_concurrency=config.deploy.lambda_reserved_concurrency,
            )

        self.role.finish(
            output_bucket=bucket,
            prefixes=[CAPTURE_PREFIX, ASYNC_PREFIX, REPORTS_PREFIX],
            data_key=security.data_key,
            topics=topics,
        )
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{prefix}inference",
            widgets=[[widget] for endpoint in endpoints for widget in endpoint.dashboard_widgets()],
        )
