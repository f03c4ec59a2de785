"""The training pipeline, its model registry and the approval path (M1-M7)."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3_assets as assets
from constructs import Construct

from config.model import ProjectConfig
from config.pipelines import SKLEARN_VERSION, XGBOOST_VERSION, PipelinesConfig
from ml_constructs.inference import MODELS_DIR
from ml_constructs.sagemaker_guardrails import SageMakerGuardrailPolicy
from ml_constructs.training_pipeline import ApprovalDeployment, PipelineExecutionRole, TrainingPipeline
from pipelines import training
from stacks.data import DataStack
from stacks.images import image_uri
from stacks.inference import InferenceStack
from stacks.naming import model_package_group_name, pipeline_role_name, training_pipeline_name
from stacks.network import NetworkStack
from stacks.security_baseline import SecurityBaselineStack, removal_policy

SCRIPTS = Path(training.__file__).resolve().parent / "scripts"


def isolation_exceptions(settings: PipelinesConfig, not_isolated: list[str]) -> dict[str, list[str]]:
    """For the pipeline role's guardrails: each Create action, with the steps that may run it unisolated."""
    exceptions: dict[str, list[str]] = {}
    for step in not_isolated:
        action, name = training.exception_job(step, tuned=settings.tuning.enabled)
        exceptions.setdefault(action, []).append(name)
    return exceptions


class PipelinesStack(cdk.Stack):
    """The SageMaker pipeline built with the SDK at synth time, deployed with its role and group."""

    INTERFACE_ENDPOINTS = {
        "sagemaker.api": "the approval function creating models and updating the endpoint",
        "sts": "credentials of the pipeline's jobs and of the approval function",
        "logs": "logs of the pipeline's jobs and of the approval function",
        "monitoring": "metrics of the pipeline's jobs",
        "ecr.api": "the jobs' container images",
        "ecr.dkr": "the jobs' container images",
        "kms": "the data key on job volumes and outputs",
    }

    @classmethod
    def interface_endpoints_for(cls, config: ProjectConfig) -> dict[str, str]:
        return dict(cls.INTERFACE_ENDPOINTS) if config.pipelines.enabled else {}

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        network: NetworkStack,
        data: DataStack,
        inference: InferenceStack | None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        net = network.network
        net.require_endpoints(self.interface_endpoints_for(config), "the pipelines stack")
        settings: PipelinesConfig = config.pipelines
        spec = pipeline_spec(config)
        self.pipeline_name = spec.name
        self.model_package_group = spec.model_package_group

        inputs = {
            training.PREPARE_SCRIPT: assets.Asset(self, "PrepareScript", path=str(SCRIPTS / "prepare.py")),
            training.EVALUATE_SCRIPT: assets.Asset(self, "EvaluateScript", path=str(SCRIPTS / "evaluate.py")),
            training.TRAINING_DATA: assets.Asset(self, "SampleData", path=str(MODELS_DIR / "data" / "sessions.csv")),
        }
        self.role = PipelineExecutionRole(
            self,
            "ExecutionRole",
            role_name=spec.role_name,
            artifacts=data.artifacts,
            prefix=spec.artifacts_prefix,
            datasets=data.datasets,
            data_key=security.data_key,
            model_package_group=self.model_package_group,
            inputs=list(inputs.values()),
        )
        self.guardrails = SageMakerGuardrailPolicy(
            self, "Guardrails", isolation_exceptions=isolation_exceptions(settings, list(spec.not_isolated))
        )
        self.guardrails.attach_to(self.role.role)

        definition = training.build(spec)
        subnet_ids = net.subnet_ids()
        variables = {
            training.ARTIFACTS_BUCKET: data.artifacts.bucket_name,
            training.DATA_KEY: security.data_key.key_arn,
            training.SECURITY_GROUP: net.workload_security_group.security_group_id,
            training.ASSETS_BUCKET: inputs[training.TRAINING_DATA].s3_bucket_name,
            **{name: asset.s3_object_key for name, asset in inputs.items()},
            **{training.subnet_variable(i): subnet for i, subnet in enumerate(subnet_ids)},
        }
        self.training = TrainingPipeline(
            self,
            "Training",
            pipeline_name=self.pipeline_name,
            model_package_group=self.model_package_group,
            definition=definition,
            variables=variables,
            role=self.role.role,
        )
        self.training.pipeline.node.add_dependency(self.role.role.grants_policy, self.guardrails.policy)

        self.approval = None
        deployment = settings.deploy_on_approval
        if deployment.enabled and inference is not None and inference.realtime is not None:
            self.approval = ApprovalDeployment(
                self,
                "Approval",
                model_package_group=self.model_package_group,
                endpoint_name=inference.realtime.endpoint_name,
                variant=deployment.variant,
                weight=deployment.weight,
                model_role=inference.role.role,
                models_bucket=data.artifacts,
                models_prefix=spec.models_prefix,
                data_key=security.data_key,
                queue_key=security.notifications_key,
                vpc=net.vpc,
                subnets=net.workload_subnets,
                subnet_ids=subnet_ids,
                model_security_group=net.workload_security_group,
                endpoints_security_group=net.endpoint_security_group,
                logs_key=security.logs_key,
                log_retention=config.security.log_retention_days,
                removal_policy=removal_policy(config),
                reserve_concurrency=config.deploy.lambda_reserved_concurrency,
            )
            self.guardrails.attach_to(self.approval.role)


def not_isolated_steps(settings: PipelinesConfig) -> list[str]:
    return [step for step in training.EXCEPTABLE_STEPS if not settings.isolation(step).network_isolation]


def pipeline_spec(config: ProjectConfig) -> training.TrainingPipelineSpec:
    """The profile's pipeline in the SDK builder's terms."""
    settings = config.pipelines
    region = config.region
    train = settings.training
    tuning = settings.tuning
    realtime = config.inference.active_realtime
    hosting = [v.instance_type for v in realtime.variants] if realtime else []
    return training.TrainingPipelineSpec(
        name=training_pipeline_name(config),
        region=region,
        role_name=pipeline_role_name(config),
        model_package_group=model_package_group_name(config),
        subnet_count=config.network.availability_zones,
        xgboost_image=image_uri("xgboost", XGBOOST_VERSION, region, train.instance_type),
        processing_image=image_uri("sklearn", SKLEARN_VERSION, region, settings.processing.instance_type),
        processing_instance_type=settings.processing.instance_type,
        processing_volume_gb=settings.processing.volume_size_gb,
        processing_max_runtime_seconds=settings.processing.max_runtime_seconds,
        training_instance_type=train.instance_type,
        training_instance_count=train.instance_count,
        training_volume_gb=train.volume_size_gb,
        spot=train.spot,
        max_runtime_seconds=train.max_runtime_seconds,
        max_wait_seconds=train.max_wait_seconds,
        hyperparameters=train.hyperparameters,
        channels=[
            training.ChannelSpec(name, channel.input_mode, channel.distribution)
            for name, channel in sorted(train.channels.items())
        ],
        auc_threshold=settings.evaluation.auc_threshold,
        inference_instance_types=sorted(set(hosting)) or [settings.transform.instance_type],
        transform_instance_type=settings.transform.instance_type if settings.transform.enabled else None,
        tuning=training.TuningSpec(
            max_jobs=tuning.max_jobs,
            max_parallel_jobs=tuning.max_parallel_jobs,
            early_stopping=tuning.early_stopping,
            ranges=[
                training.RangeSpec(name, r.min, r.max, r.scaling, r.integer)
                for name, r in sorted(tuning.ranges.items())
            ],
        )
        if tuning.enabled
        else None,
        not_isolated=tuple(not_isolated_steps(settings)),
    )
