"""The training pipeline, built with the SageMaker Python SDK (patterns M1-M5, M7).

    PrepareFeatures (processing) -> Train (built-in XGBoost) or Tune -> Evaluate (processing,
    evaluation.json) -> CheckAuc: AUC >= threshold ? RegisterModel (PendingManualApproval)
    [+ CreateModel -> BatchTransform of the test set] : AucBelowThreshold (fail)

Every job runs in the private subnets with inter-container traffic encryption and the data
key on its volumes and outputs, isolated from the network unless its step is declared an
exception (M2); such a step's job carries a tag naming it, which is what the pipeline
role's guardrail exception admits. Training uses managed spot with checkpoints (M3); each
channel has its own input mode and S3 distribution (M4).

`build()` returns the definition JSON with `${Name}` placeholders for the values that
exist only at deploy time (bucket names, the key ARN, subnets, the security group, the
assets); the stack substitutes them with Fn::Sub. The definition is deterministic: job
names are left to SageMaker, nothing depends on the machine or the clock.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ml_constructs.instance_storage import volume_key_for
from pipelines import sdk

ISOLATION_EXCEPTION_TAG = "network-isolation-exception"  # the guardrail's (ml_constructs.sagemaker_guardrails)
# Steps that may be declared unable to run isolated: their jobs carry the exception tag.
# The batch-transform model is the built-in algorithm's, which always runs isolated.
EXCEPTABLE_STEPS = ("prepare", "train", "evaluate")
STEP_NAMES = {
    "prepare": "PrepareFeatures",
    "train": "Train",
    "tune": "Tune",
    "evaluate": "Evaluate",
    "transform": "BatchTransform",
}

# The Create call that runs each step that may be declared an exception (the guardrail's action).
STEP_ACTIONS = {
    "prepare": "sagemaker:CreateProcessingJob",
    "evaluate": "sagemaker:CreateProcessingJob",
    "train": "sagemaker:CreateTrainingJob",
}


def exception_job(step: str, tuned: bool) -> tuple[str, str]:
    """For a step declared unable to run isolated: the Create action that runs its job, and the
    value of the ISOLATION_EXCEPTION_TAG its job carries (with tuning, training is the Tune step)."""
    if step == "train" and tuned:
        return "sagemaker:CreateHyperParameterTuningJob", STEP_NAMES["tune"]
    return STEP_ACTIONS[step], STEP_NAMES[step]


# Fn::Sub variables the stack supplies; AWS::Partition and AWS::AccountId are CloudFormation's.
ARTIFACTS_BUCKET = "ArtifactsBucket"
DATA_KEY = "DataKeyArn"
SECURITY_GROUP = "SecurityGroup"
ASSETS_BUCKET = "AssetsBucket"
PREPARE_SCRIPT = "PrepareScriptKey"
EVALUATE_SCRIPT = "EvaluateScriptKey"
TRAINING_DATA = "TrainingDataKey"


def subnet_variable(index: int) -> str:
    return f"Subnet{index}"


def placeholder(name: str) -> str:
    return "${" + name + "}"


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    input_mode: str
    distribution: str


@dataclass(frozen=True)
class RangeSpec:
    name: str
    min: float
    max: float
    scaling: str
    integer: bool = False


@dataclass(frozen=True)
class TuningSpec:
    max_jobs: int
    max_parallel_jobs: int
    early_stopping: bool
    ranges: Sequence[RangeSpec]


@dataclass(frozen=True)
class TrainingPipelineSpec:
    """What the pipeline does, in plain values (the stack translates the profile into this)."""

    name: str
    region: str
    role_name: str
    model_package_group: str
    subnet_count: int
    xgboost_image: str
    processing_image: str
    processing_instance_type: str
    processing_volume_gb: int
    processing_max_runtime_seconds: int
    training_instance_type: str
    training_instance_count: int
    training_volume_gb: int
    spot: bool
    max_runtime_seconds: int
    max_wait_seconds: int
    hyperparameters: Mapping[str, str | int | float]
    channels: Sequence[ChannelSpec]
    auc_threshold: float
    inference_instance_types: Sequence[str]
    transform_instance_type: str | None = None
    tuning: TuningSpec | None = None
    not_isolated: Sequence[str] = field(default_factory=tuple)  # of EXCEPTABLE_STEPS

    def __post_init__(self) -> None:
        unknown = set(self.not_isolated) - set(EXCEPTABLE_STEPS)
        if unknown:
            raise ValueError(f"only {', '.join(EXCEPTABLE_STEPS)} may run without isolation, not {sorted(unknown)}")

    @property
    def artifacts_prefix(self) -> str:
        """Everything the pipeline writes lives under this key prefix of the artifacts bucket."""
        return f"pipelines/{self.name}/"

    @property
    def models_prefix(self) -> str:
        """Where training jobs write their model archives (one folder per job)."""
        return f"{self.artifacts_prefix}models/"

    @property
    def output_prefix(self) -> str:
        return f"s3://{placeholder(ARTIFACTS_BUCKET)}/{self.artifacts_prefix.rstrip('/')}"


def variables(spec: TrainingPipelineSpec) -> list[str]:
    """The Fn::Sub variables a definition built from `spec` refers to."""
    return [
        ARTIFACTS_BUCKET,
        ASSETS_BUCKET,
        DATA_KEY,
        EVALUATE_SCRIPT,
        PREPARE_SCRIPT,
        SECURITY_GROUP,
        TRAINING_DATA,
        *(subnet_variable(i) for i in range(spec.subnet_count)),
    ]


def build(spec: TrainingPipelineSpec) -> str:
    """The pipeline definition JSON, with ${...} placeholders for the stack to substitute."""
    with sdk.offline(spec.region):
        definition = _Builder(spec).pipeline().definition()
    found = set(re.findall(r"\$\{([^}]+)\}", definition))
    unknown = found - set(variables(spec)) - {"AWS::Partition", "AWS::AccountId"}
    if unknown:
        raise ValueError(f"the definition refers to unknown placeholders: {sorted(unknown)}")
    json.loads(definition)
    return definition


class _Builder:
    def __init__(self, spec: TrainingPipelineSpec) -> None:
        self.spec = spec
        self.session = sdk.pipeline_session(spec.region, placeholder(ARTIFACTS_BUCKET))
        self.role = f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{spec.role_name}"
        self.key = placeholder(DATA_KEY)
        self.subnets = [placeholder(subnet_variable(i)) for i in range(spec.subnet_count)]
        self.security_groups = [placeholder(SECURITY_GROUP)]

    def isolated(self, step: str) -> bool:
        return step not in self.spec.not_isolated

    def tags(self, step: str) -> list[dict] | None:
        """The tag that lets a declared exception through the pipeline role's guardrail."""
        if self.isolated(step):
            return None
        _, name = exception_job(step, tuned=self.spec.tuning is not None)
        return [{"Key": ISOLATION_EXCEPTION_TAG, "Value": name}]

    def network(self, step: str):
        from sagemaker.core.network import NetworkConfig

        return NetworkConfig(
            enable_network_isolation=self.isolated(step),
            security_group_ids=self.security_groups,
            subnets=self.subnets,
            encrypt_inter_container_traffic=True,
        )

    def execution_path(self, *parts: str):
        from sagemaker.core.workflow.execution_variables import ExecutionVariables
        from sagemaker.core.workflow.functions import Join

        return Join(on="/", values=[self.spec.output_prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, *parts])

    def processor(self, step: str, image: str):
        from sagemaker.core.processing import ScriptProcessor

        spec = self.spec
        return ScriptProcessor(
            role=self.role,
            image_uri=image,
            command=["python3"],
            instance_type=spec.processing_instance_type,
            instance_count=1,
            volume_size_in_gb=spec.processing_volume_gb,
            # None on types with local storage: SageMaker refuses a volume key there (instance_storage).
            volume_kms_key=volume_key_for(spec.processing_instance_type, self.key),
            output_kms_key=self.key,
            max_runtime_in_seconds=spec.processing_max_runtime_seconds,
            base_job_name=STEP_NAMES[step].lower(),
            sagemaker_session=self.session,
            network_config=self.network(step),
            tags=self.tags(step),
        )

    @staticmethod
    def s3_input(name: str, uri, local_path: str):
        from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

        return ProcessingInput(
            input_name=name,
            s3_input=ProcessingS3Input(
                s3_uri=uri,
                local_path=local_path,
                s3_data_type="S3Prefix",
                s3_input_mode="File",
                s3_data_distribution_type="FullyReplicated",
            ),
        )

    def s3_output(self, step: str, name: str):
        from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(
                s3_uri=self.execution_path(step, name),
                local_path=f"/opt/ml/processing/{name}",
                s3_upload_mode="EndOfJob",
            ),
        )

    def pipeline(self):
        from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
        from sagemaker.core.workflow.functions import Join, JsonGet
        from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
        from sagemaker.core.workflow.pipeline_definition_config import PipelineDefinitionConfig
        from sagemaker.core.workflow.properties import PropertyFile
        from sagemaker.mlops.workflow.condition_step import ConditionStep
        from sagemaker.mlops.workflow.fail_step import FailStep
        from sagemaker.mlops.workflow.pipeline import Pipeline
        from sagemaker.mlops.workflow.steps import ProcessingStep

        spec = self.spec
        assets = f"s3://{placeholder(ASSETS_BUCKET)}"
        input_data = ParameterString("InputData", default_value=f"{assets}/{placeholder(TRAINING_DATA)}")
        threshold = ParameterFloat("AucThreshold", default_value=spec.auc_threshold)
        approval = ParameterString("ModelApprovalStatus", default_value="PendingManualApproval")

        prepare = ProcessingStep(
            name=STEP_NAMES["prepare"],
            step_args=self.processor("prepare", spec.processing_image).run(
                code=f"{assets}/{placeholder(PREPARE_SCRIPT)}",
                inputs=[self.s3_input("raw", input_data, "/opt/ml/processing/input")],
                outputs=[self.s3_output("prepare", name) for name in ("train", "validation", "test")],
                arguments=["--train-shards", str(spec.training_instance_count)],
            ),
        )

        def prepared(name: str):
            return prepare.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri

        train, model_data = self.training(prepared)

        report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
        evaluate = ProcessingStep(
            name=STEP_NAMES["evaluate"],
            step_args=self.processor("evaluate", spec.xgboost_image).run(
                code=f"{assets}/{placeholder(EVALUATE_SCRIPT)}",
                inputs=[
                    self.s3_input("model", model_data, "/opt/ml/processing/model"),
                    self.s3_input("test", prepared("test"), "/opt/ml/processing/test"),
                ],
                outputs=[self.s3_output("evaluate", "evaluation")],
            ),
            property_files=[report],
        )
        report_uri = evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri
        passed = [self.registration(model_data, Join(on="/", values=[report_uri, "evaluation.json"]), approval)]
        if spec.transform_instance_type:
            passed += self.batch_transform(model_data, prepared("test"))
        check = ConditionStep(
            name="CheckAuc",
            conditions=[
                ConditionGreaterThanOrEqualTo(
                    left=JsonGet(step_name=evaluate.name, property_file=report, json_path="metrics.auc.value"),
                    right=threshold,
                )
            ],
            if_steps=passed,
            else_steps=[
                FailStep(
                    name="AucBelowThreshold",
                    error_message=Join(on=" ", values=["Test AUC is below the threshold", threshold]),
                )
            ],
        )
        return Pipeline(
            name=spec.name,
            parameters=[input_data, threshold, approval],
            steps=[prepare, train, evaluate, check],
            sagemaker_session=self.session,
            pipeline_experiment_config=None,
            pipeline_definition_config=PipelineDefinitionConfig(use_custom_job_prefix=False),
        )

    def trainer(self):
        from sagemaker.core.shapes import StoppingCondition, Tag
        from sagemaker.core.training.configs import CheckpointConfig, Compute, Networking, OutputDataConfig
        from sagemaker.train import ModelTrainer

        spec = self.spec
        step = "train"
        return ModelTrainer(
            training_image=spec.xgboost_image,
            role=self.role,
            base_job_name=STEP_NAMES[step].lower(),
            sagemaker_session=self.session,
            # The job's default; each channel states its own mode (M4), the algorithm reads all in train's.
            training_input_mode=next(c.input_mode for c in spec.channels if c.name == "train"),
            compute=Compute(
                instance_type=spec.training_instance_type,
                instance_count=spec.training_instance_count,
                volume_size_in_gb=spec.training_volume_gb,
                volume_kms_key_id=volume_key_for(spec.training_instance_type, self.key),
                enable_managed_spot_training=spec.spot,
            ),
            networking=Networking(
                subnets=self.subnets,
                security_group_ids=self.security_groups,
                enable_network_isolation=self.isolated(step),
                enable_inter_container_traffic_encryption=True,
            ),
            stopping_condition=StoppingCondition(
                max_runtime_in_seconds=spec.max_runtime_seconds,
                max_wait_time_in_seconds=spec.max_wait_seconds if spec.spot else None,
            ),
            output_data_config=OutputDataConfig(
                s3_output_path=f"s3://{placeholder(ARTIFACTS_BUCKET)}/{spec.models_prefix.rstrip('/')}",
                kms_key_id=self.key,
                compression_type="GZIP",
            ),
            # Per execution: a spot job resumes from what it finds there, which must not be an older run's.
            checkpoint_config=CheckpointConfig(
                s3_uri=self.execution_path("checkpoints"), local_path="/opt/ml/checkpoints"
            )
            if spec.spot
            else None,
            hyperparameters={
                "objective": "binary:logistic",
                "eval_metric": "auc",
                **{k: spec.hyperparameters[k] for k in sorted(spec.hyperparameters)},
            },
            tags=[Tag(key=t["Key"], value=t["Value"]) for t in self.tags(step) or ()] or None,
            environment={},
        )

    def channels(self, prepared) -> list:
        from sagemaker.core.shapes import Channel, DataSource, S3DataSource

        return [
            Channel(
                channel_name=channel.name,
                content_type="text/csv",
                input_mode=channel.input_mode,
                data_source=DataSource(
                    s3_data_source=S3DataSource(
                        s3_data_type="S3Prefix",
                        s3_uri=prepared(channel.name),
                        s3_data_distribution_type=channel.distribution,
                    )
                ),
            )
            for channel in self.spec.channels
        ]

    def training(self, prepared):
        """The Train step, or the Tune step (M5); and where the chosen model's archive lands."""
        from sagemaker.mlops.workflow.steps import TrainingStep, TuningStep

        tuning = self.spec.tuning
        if tuning is None:
            step = TrainingStep(
                name=STEP_NAMES["train"],
                step_args=self.trainer().train(input_data_config=self.channels(prepared), wait=False, logs=False),
            )
            return step, step.properties.ModelArtifacts.S3ModelArtifacts
        from sagemaker.core.parameter import ContinuousParameter, IntegerParameter

        ranges = {
            r.name: (IntegerParameter if r.integer else ContinuousParameter)(
                int(r.min) if r.integer else r.min, int(r.max) if r.integer else r.max, scaling_type=r.scaling
            )
            for r in sorted(tuning.ranges, key=lambda r: r.name)
        }
        tuner = _secure_tuner_class()(
            model_trainer=self.trainer(),
            objective_metric_name="validation:auc",
            objective_type="Maximize",
            hyperparameter_ranges=ranges,
            strategy="Bayesian",
            max_jobs=tuning.max_jobs,
            max_parallel_jobs=tuning.max_parallel_jobs,
            early_stopping_type="Auto" if tuning.early_stopping else "Off",
            base_tuning_job_name=STEP_NAMES["tune"].lower(),
        )
        step = TuningStep(name=STEP_NAMES["tune"], step_args=tuner.tune(inputs=self.channels(prepared), wait=False))
        bucket = placeholder(ARTIFACTS_BUCKET)
        return step, step.get_top_model_s3_uri(top_k=0, s3_bucket=bucket, prefix=self.spec.models_prefix.rstrip("/"))

    def model_builder(self, model_data, **extra):
        from sagemaker.serve.model_builder import ModelBuilder

        return ModelBuilder(
            s3_model_data_url=model_data,
            image_uri=self.spec.xgboost_image,
            role_arn=self.role,
            sagemaker_session=self.session,
            instance_type=self.spec.inference_instance_types[0],
            # Left to default, it creates a random temporary directory (unused offline).
            model_path=_empty_model_path(),
            # The default ({"auto": True}) would inject script-mode variables into a built-in algorithm.
            dependencies={},
            **extra,
        )

    def registration(self, model_data, report, approval):
        from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
        from sagemaker.mlops.workflow.model_step import ModelStep

        spec = self.spec
        return ModelStep(
            name="RegisterModel",
            step_args=self.model_builder(model_data).register(
                model_package_group_name=spec.model_package_group,
                content_types=["text/csv"],
                response_types=["text/csv"],
                inference_instances=list(spec.inference_instance_types),
                transform_instances=[spec.transform_instance_type or spec.inference_instance_types[0]],
                approval_status=approval,
                model_metrics=ModelMetrics(
                    model_statistics=MetricsSource(s3_uri=report, content_type="application/json")
                ),
            ),
        )

    def batch_transform(self, model_data, test_data) -> list:
        """Score the test set without an endpoint (M7): a model in the VPC, then a transform job."""
        from sagemaker.core.training.configs import Networking
        from sagemaker.core.transformer import Transformer
        from sagemaker.mlops.workflow.model_step import ModelStep
        from sagemaker.mlops.workflow.steps import TransformStep

        spec = self.spec
        model = ModelStep(
            name="CreateModel",
            step_args=self.model_builder(
                model_data,
                network=Networking(
                    subnets=self.subnets,
                    security_group_ids=self.security_groups,
                    enable_network_isolation=True,
                ),
            ).build(model_name=f"{spec.name}-batch"),
        )
        transformer = Transformer(
            model_name=model.properties.ModelName,
            instance_count=1,
            instance_type=spec.transform_instance_type,
            strategy="MultiRecord",
            assemble_with="Line",
            accept="text/csv",
            output_path=self.execution_path("transform"),
            output_kms_key=self.key,
            volume_kms_key=volume_key_for(spec.transform_instance_type, self.key),
            base_transform_job_name=STEP_NAMES["transform"].lower(),
            sagemaker_session=self.session,
        )
        transform = TransformStep(
            name=STEP_NAMES["transform"],
            step_args=transformer.transform(
                data=test_data,
                content_type="text/csv",
                split_type="Line",
                input_filter="$[1:]",  # the test set's first column is the label
                join_source="Input",
                wait=False,
                logs=False,
            ),
        )
        return [model, transform]


def _empty_model_path() -> str:
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / "secure-ml-model-builder"
    path.mkdir(exist_ok=True)
    return str(path)


@functools.cache
def _secure_tuner_class():
    """Defined on first use: the SDK's modules are imported lazily, only when a definition is built."""
    from sagemaker.train.tuner import HyperparameterTuner

    class SecureTuner(HyperparameterTuner):
        """The SDK's tuner drops the trainer's network isolation, inter-container encryption and
        volume key from the training job definition (sagemaker-train 1.27); put them back (M2)."""

        def _build_training_job_definition(self, inputs):
            definition = super()._build_training_job_definition(inputs)
            trainer = self.model_trainer
            definition.enable_network_isolation = trainer.networking.enable_network_isolation
            definition.enable_inter_container_traffic_encryption = (
                trainer.networking.enable_inter_container_traffic_encryption
            )
            definition.resource_config.volume_kms_key_id = trainer.compute.volume_kms_key_id
            return definition

    return SecureTuner
