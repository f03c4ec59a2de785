"""The training pipeline's plain-value spec and its Fn::Sub placeholders (pipelines/training.py builds from it).

Steps declared unable to run isolated (M2) carry the ISOLATION_EXCEPTION_TAG; each channel has its
own input mode and S3 distribution (M4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
