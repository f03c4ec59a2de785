"""The Train or Tune step of the training pipeline (pipelines/training.py): managed spot with
checkpoints (M3), a channel per input mode and distribution (M4), Bayesian tuning (M5)."""

from __future__ import annotations

import functools

from ml_constructs.instance_storage import volume_key_for
from pipelines.training_spec import ARTIFACTS_BUCKET, STEP_NAMES, placeholder


class _TrainingSteps:
    """The trainer, its channels and the Train or Tune step, mixed into the builder."""

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
