"""The pipelines section of a profile: the training pipeline and its approval path (M1-M7).

A setup that could not run is refused before synthesis: a spot wait shorter than the
training time, channel input modes the built-in algorithm cannot read, tuning without a
validation channel to score on, tuning ranges that are empty or not positive on a log
scale, more parallel tuning jobs than jobs, a step without network isolation and without
a stated reason, a deployment of approved models to a variant the inference section
does not declare, or an instance type SageMaker does not offer for the job, or one with local
instance storage, where AWS refuses the volume KMS key every job here sets (config/aws_rules.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config import aws_rules
from config.base import InstanceType, Name, StrictModel

InputMode = Literal["File", "Pipe", "FastFile"]
Distribution = Literal["FullyReplicated", "ShardedByS3Key"]

# The built-in XGBoost algorithm (the sagemaker-xgboost container in algorithm mode) declares
# File and Pipe for its train and validation channels and fails a job whose channel asks for
# another mode; and it reads every channel the way it reads `train`, so a validation channel
# in another mode than train's is found empty. FastFile (streamed, seen as files) serves
# containers that read their own channels: script mode or your own image.
ALGORITHM_INPUT_MODES = ("File", "Pipe")

# Container images of the pipeline's jobs (resolved per region through the SageMaker SDK):
# the built-in algorithm the shipped models are built for (scripts/build_models.py), and the
# scikit-learn image of the processing steps.
XGBOOST_VERSION = "3.0-5"
SKLEARN_VERSION = "1.4-2"


class ChannelConfig(StrictModel):
    """How one training channel reaches the algorithm (M4)."""

    input_mode: InputMode = Field(
        default="File",
        description="File (copy to the volume first), Pipe (stream) or FastFile (stream on demand, seekable); "
        "the built-in XGBoost algorithm takes File or Pipe, one mode for all channels.",
    )
    distribution: Distribution = Field(
        default="FullyReplicated",
        description="FullyReplicated (every instance reads all) or ShardedByS3Key (each instance a share).",
    )


def _channels() -> dict[str, ChannelConfig]:
    return {"train": ChannelConfig(), "validation": ChannelConfig()}


class StepIsolation(StrictModel):
    """Network isolation of one job step (M2); off only with the reason beside it."""

    network_isolation: bool = Field(default=True, description="Run the step's container without network access.")
    network_isolation_exception: str | None = Field(
        default=None,
        min_length=40,
        description="Why this step cannot run isolated (required when network_isolation is false); the guardrail "
        "exception covers this step only.",
    )

    @model_validator(mode="after")
    def _reason_with_exception(self) -> StepIsolation:
        if not self.network_isolation and not self.network_isolation_exception:
            raise ValueError(
                "network_isolation: false needs network_isolation_exception (why the step cannot be isolated)"
            )
        if self.network_isolation and self.network_isolation_exception:
            raise ValueError("network_isolation_exception is only for steps with network_isolation: false")
        return self


class ProcessingConfig(StrictModel):
    """Resources of the processing steps (feature preparation, evaluation)."""

    instance_type: InstanceType = Field(default="ml.m5.large", description="Processing instance type.")
    volume_size_gb: int = Field(default=30, ge=1, le=512, description="Storage volume per instance.")
    max_runtime_seconds: int = Field(default=3600, ge=60, le=86400, description="Stop a processing job after this.")


class TrainingConfig(StrictModel):
    """The training step: the built-in XGBoost algorithm (M1), managed spot with checkpoints (M3),
    each channel with its input mode and S3 distribution (M4)."""

    instance_type: InstanceType = Field(default="ml.m5.large", description="Training instance type.")
    instance_count: int = Field(default=1, ge=1, le=20, description="Training instances.")
    volume_size_gb: int = Field(default=30, ge=1, le=512, description="Storage volume per instance.")
    spot: bool = Field(default=True, description="Managed spot training (up to 90% cheaper; may be interrupted).")
    max_runtime_seconds: int = Field(default=3600, ge=60, le=432000, description="Training time limit.")
    max_wait_seconds: int = Field(
        default=7200, ge=60, le=432000, description="Spot: training time plus time waiting for capacity."
    )
    hyperparameters: dict[str, str | int | float] = Field(
        default_factory=lambda: {"num_round": 200, "max_depth": 5, "eta": 0.2, "subsample": 0.8},
        description="XGBoost hyperparameters besides objective and eval_metric (binary:logistic, auc).",
    )
    channels: dict[Literal["train", "validation"], ChannelConfig] = Field(
        default_factory=_channels, description="Input mode and S3 distribution per channel (M4)."
    )

    @model_validator(mode="after")
    def _spot_wait_covers_runtime(self) -> TrainingConfig:
        if self.spot and self.max_wait_seconds < self.max_runtime_seconds:
            raise ValueError(
                f"max_wait_seconds ({self.max_wait_seconds}) must be at least max_runtime_seconds "
                f"({self.max_runtime_seconds}): with spot, the wait includes the training time"
            )
        if "train" not in self.channels:
            raise ValueError("channels: the algorithm needs a train channel")
        modes = {name: channel.input_mode for name, channel in sorted(self.channels.items())}
        unsupported = {name: mode for name, mode in modes.items() if mode not in ALGORITHM_INPUT_MODES}
        if unsupported:
            raise ValueError(
                "channels: the built-in XGBoost algorithm reads File or Pipe input only, not "
                + ", ".join(f"{mode} ({name})" for name, mode in unsupported.items())
            )
        if len(set(modes.values())) > 1:
            raise ValueError(
                "channels: the built-in XGBoost algorithm reads every channel in the train channel's mode; "
                "give all channels one input_mode (got "
                + ", ".join(f"{name}: {mode}" for name, mode in modes.items())
                + ")"
            )
        reserved = {"objective", "eval_metric"} & set(self.hyperparameters)
        if reserved:
            raise ValueError(f"hyperparameters: {', '.join(sorted(reserved))} are set by the pipeline")
        return self


class RangeConfig(StrictModel):
    """One hyperparameter range of the tuning job."""

    min: float = Field(description="Lowest value of the range.")
    max: float = Field(description="Highest value of the range.")
    scaling: Literal["Linear", "Logarithmic", "Auto"] = Field(
        default="Logarithmic", description="How the tuner samples: Logarithmic suits ranges spanning magnitudes."
    )
    integer: bool = Field(default=False, description="An integer hyperparameter (e.g. max_depth).")

    @model_validator(mode="after")
    def _sensible(self) -> RangeConfig:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if self.scaling == "Logarithmic" and self.min <= 0:
            raise ValueError(f"a Logarithmic range needs min > 0 (got {self.min})")
        return self


def _ranges() -> dict[str, RangeConfig]:
    return {
        "eta": RangeConfig(min=0.01, max=0.5),
        "alpha": RangeConfig(min=0.001, max=10.0),
        "lambda": RangeConfig(min=0.001, max=10.0),
        "max_depth": RangeConfig(min=3, max=10, scaling="Linear", integer=True),
    }


class TuningConfig(StrictModel):
    """Automatic model tuning in place of a single training job (M5)."""

    enabled: bool = Field(default=False, description="Tune instead of training once.")
    max_jobs: int = Field(default=10, ge=1, le=500, description="Training jobs in total.")
    max_parallel_jobs: int = Field(
        default=2, ge=1, le=100, description="Jobs at once: few, so Bayesian search learns from finished ones."
    )
    early_stopping: bool = Field(default=True, description="Stop jobs that are unlikely to beat the best one.")
    ranges: dict[str, RangeConfig] = Field(default_factory=_ranges, description="Hyperparameter ranges.")

    @model_validator(mode="after")
    def _parallel_within_total(self) -> TuningConfig:
        if self.max_parallel_jobs > self.max_jobs:
            raise ValueError(f"max_parallel_jobs ({self.max_parallel_jobs}) exceeds max_jobs ({self.max_jobs})")
        if self.enabled and not self.ranges:
            raise ValueError("ranges: tuning needs at least one hyperparameter range")
        return self


class EvaluationConfig(StrictModel):
    """The quality gate between training and registration (M1)."""

    auc_threshold: float = Field(
        default=0.7, gt=0.5, le=1.0, description="Register only models whose test AUC reaches this (a run parameter)."
    )


class TransformConfig(StrictModel):
    """Batch transform of the test set by the new model, no endpoint (M7)."""

    enabled: bool = Field(default=True, description="Score the test set with a batch transform step.")
    instance_type: InstanceType = Field(default="ml.m5.large", description="Transform instance type.")


class ApprovalDeploymentConfig(StrictModel):
    """What approving a model package does (M6)."""

    enabled: bool = Field(default=True, description="Deploy approved packages to the real-time endpoint.")
    variant: Name = Field(default="challenger", description="The production variant that gets the approved model.")
    weight: float | None = Field(
        default=None, ge=0, description="Its weight after the update; null keeps the endpoint's current weight."
    )


class PipelinesConfig(StrictModel):
    """The training pipeline, its model registry and approval path (M1-M7)."""

    enabled: bool = Field(default=False, description="Deploy the training pipeline stack.")
    processing: ProcessingConfig = Field(default_factory=ProcessingConfig, description="Processing steps.")
    training: TrainingConfig = Field(default_factory=TrainingConfig, description="Training step (M1, M3, M4).")
    tuning: TuningConfig = Field(default_factory=TuningConfig, description="Tuning step option (M5).")
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig, description="Quality gate (M1).")
    transform: TransformConfig = Field(default_factory=TransformConfig, description="Batch transform option (M7).")
    steps: dict[Literal["prepare", "train", "evaluate"], StepIsolation] = Field(
        default_factory=dict,
        description="Per step: network isolation and, where it is off, the reason (M2). Steps not listed run isolated.",
    )
    deploy_on_approval: ApprovalDeploymentConfig = Field(
        default_factory=ApprovalDeploymentConfig, description="Approval path (M6)."
    )

    @model_validator(mode="after")
    def _tuning_scores_on_validation(self) -> PipelinesConfig:
        if self.tuning.enabled and "validation" not in self.training.channels:
            raise ValueError("tuning maximizes validation:auc: training.channels needs a validation channel")
        return self

    @model_validator(mode="after")
    def _instance_types_exist(self) -> PipelinesConfig:
        """Each job's instance type is one SageMaker offers for that kind of job. Types with local
        instance storage are accepted: their jobs are built without a volume key (config/aws_rules.py,
        `*-local-storage-no-volume-key`)."""
        jobs = [
            ("processing", self.processing.instance_type),
            ("training", self.training.instance_type),
            ("transform", self.transform.instance_type),
        ]
        problems = [
            found
            for kind, instance_type in jobs
            if (found := aws_rules.instance_type_problem(f"pipelines.{kind}.instance_type", instance_type, kind))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def isolation(self, step: str) -> StepIsolation:
        return self.steps.get(step, StepIsolation())
