"""The training pipeline's definition for the flow tests (tests/test_authz_flows.py): its S3 locations.

Evaluates the S3 locations the definition names (processing inputs and outputs, training channels,
output and checkpoints, transform input and output, model registration's ModelDataUrl) the way one
execution would name them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from authz import AuthzError, World

ALLOWED, EXPLICIT, IMPLICIT = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
OTHER_ACCOUNT = "444455556666"
TEST_ACCOUNT = "123456789012"  # the account tests/test_approval.py writes in its ARNs
EXECUTION = "execution-1"  # a pipeline execution id
JOB = "training-job-1"  # a job name SageMaker generates


# --- The pipeline definition's S3 locations --------------------------------------------------------

OUTPUT_SECTIONS = ("ProcessingOutputConfig", "OutputDataConfig", "TransformOutput", "CheckpointConfig")
URI_KEYS = ("S3Uri", "S3OutputPath", "ModelDataUrl")


def pipeline_name(world: World) -> str:
    logical = world.logical_id("Pipelines", "AWS::SageMaker::Pipeline", "TrainingPipeline")
    return str(world.resolve("Pipelines", world.resource("Pipelines", logical)["Properties"]["PipelineName"]))


def pipeline_definition(world: World) -> dict:
    """The training pipeline's definition, every CloudFormation value resolved."""
    logical = world.logical_id("Pipelines", "AWS::SageMaker::Pipeline", "TrainingPipeline")
    body = world.resolve("Pipelines", world.resource("Pipelines", logical)["Properties"]["PipelineDefinition"])
    return json.loads(body["PipelineDefinitionBody"])


class _Definition:
    """Evaluates the definition's S3 locations the way one execution would name them."""

    def __init__(self, definition: dict) -> None:
        self.parameters = {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}
        self.steps = {s["Name"]: s for s in definition["Steps"]}

    def value(self, node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and "Std:Join" in node:
            join = node["Std:Join"]
            return join["On"].join(self.value(v) for v in join["Values"])
        if isinstance(node, dict) and "Get" in node:
            return self.get(node["Get"])
        raise AuthzError(f"cannot evaluate {node!r} in the pipeline definition")

    def get(self, path: str) -> str:
        if path == "Execution.PipelineExecutionId":
            return EXECUTION
        if path.startswith("Parameters."):
            return str(self.parameters[path.removeprefix("Parameters.")])
        step_name, _, rest = path.removeprefix("Steps.").partition(".")
        step = self.steps[step_name]["Arguments"]
        if rest.startswith("ProcessingOutputConfig.Outputs["):
            name = rest.split("'")[1]
            (output,) = [o for o in step["ProcessingOutputConfig"]["Outputs"] if o["OutputName"] == name]
            return self.value(output["S3Output"]["S3Uri"])
        if rest == "ModelArtifacts.S3ModelArtifacts":
            return f"{self.value(step['OutputDataConfig']['S3OutputPath'])}/{JOB}/output/model.tar.gz"
        if rest.startswith("BestTrainingJob.") or rest.endswith("TrainingJobName"):
            return JOB
        raise AuthzError(f"cannot evaluate Get {path} in the pipeline definition")

    def locations(self) -> Iterator[tuple[str, str, str]]:
        """(step, role of the location: input | output | checkpoint, s3 URI) of every location."""

        def walk(step: str, node: Any, sections: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in URI_KEYS:
                        uri = self.value(value)
                        if "CheckpointConfig" in sections:
                            kind = "checkpoint"
                        elif any(s in OUTPUT_SECTIONS for s in sections):
                            kind = "output"
                        else:
                            kind = "input"
                        yield step, kind, uri
                    else:
                        yield from walk(step, value, (*sections, key))
            elif isinstance(node, list):
                for item in node:
                    yield from walk(step, item, sections)

        for name, step in self.steps.items():
            yield from walk(name, step.get("Arguments", {}), ())


def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise AuthzError(f"{uri} is no S3 URI")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key.rstrip("/")


def is_object(key: str) -> bool:
    return "." in key.rsplit("/", 1)[-1]
