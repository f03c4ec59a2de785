"""Smoke check of the training pipeline: StartPipelineExecution, then its first step."""

from __future__ import annotations

import json

from scripts.smoke_common import CheckFailed


class PipelineChecks:
    """The checks of the training pipeline, mixed into Smoke (scripts/smoke.py)."""

    def check_training_pipeline(self) -> str:
        sagemaker = self.clients("sagemaker")
        name = self.names.training_pipeline
        arn = sagemaker.start_pipeline_execution(
            PipelineName=name,
            PipelineExecutionDisplayName=f"smoke-{self.today:%Y%m%d-%H%M%S}",
            PipelineExecutionDescription="make smoke",
        )["PipelineExecutionArn"]

        def first_step() -> str | None:
            steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn, SortOrder="Ascending")
            listed = steps.get("PipelineExecutionSteps", [])
            return json.dumps(listed[0]) if listed else None

        step = json.loads(self.wait("training-pipeline", f"the first step of {arn}", first_step))
        status = step.get("StepStatus", "Unknown")
        if status in ("Failed", "Stopped", "Stopping"):
            raise CheckFailed(f"{name}: first step {step['StepName']} {status}: {step.get('FailureReason', '')}")
        return f"{name} started ({arn}); first step {step['StepName']}: {status}"
