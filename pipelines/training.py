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

import json
import re

from pipelines import sdk
from pipelines.training_jobs import _JobSteps
from pipelines.training_spec import (
    ARTIFACTS_BUCKET,
    ASSETS_BUCKET,
    DATA_KEY,
    EVALUATE_SCRIPT,
    EXCEPTABLE_STEPS,
    ISOLATION_EXCEPTION_TAG,
    PREPARE_SCRIPT,
    SECURITY_GROUP,
    STEP_ACTIONS,
    STEP_NAMES,
    TRAINING_DATA,
    ChannelSpec,
    RangeSpec,
    TrainingPipelineSpec,
    TuningSpec,
    exception_job,
    placeholder,
    subnet_variable,
    variables,
)
from pipelines.training_trainer import _TrainingSteps

__all__ = [
    "ARTIFACTS_BUCKET",
    "ASSETS_BUCKET",
    "DATA_KEY",
    "EVALUATE_SCRIPT",
    "EXCEPTABLE_STEPS",
    "ISOLATION_EXCEPTION_TAG",
    "PREPARE_SCRIPT",
    "SECURITY_GROUP",
    "STEP_ACTIONS",
    "STEP_NAMES",
    "TRAINING_DATA",
    "ChannelSpec",
    "RangeSpec",
    "TrainingPipelineSpec",
    "TuningSpec",
    "exception_job",
    "placeholder",
    "subnet_variable",
    "variables",
    "build",
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


class _Builder(_JobSteps, _TrainingSteps):
    """The pipeline: PrepareFeatures, Train or Tune, Evaluate, then CheckAuc (the module docstring)."""

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
