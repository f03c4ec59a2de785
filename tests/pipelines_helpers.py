"""Helpers shared by the training pipeline's template tests (tests/test_pipelines_*.py)."""

from __future__ import annotations

import json

STACK = "Pipelines"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def imported(value, fragment: str) -> bool:
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def pipeline_resource(assembly) -> dict:
    (pipeline,) = resources(assembly, "AWS::SageMaker::Pipeline").values()
    return pipeline["Properties"]


def body_and_variables(assembly) -> tuple[str, dict]:
    body, variables = pipeline_resource(assembly)["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]
    return body, variables


def definition(assembly) -> dict:
    return json.loads(body_and_variables(assembly)[0])


def steps(assembly) -> dict[str, dict]:
    """Every step by name, the condition's branches included."""
    found = {}
    pending = list(definition(assembly)["Steps"])
    while pending:
        step = pending.pop(0)
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            pending += step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]
    return found


def resolve(assembly, value):
    """A definition string as CloudFormation will see it: ${Name} -> its Fn::Sub variable."""
    _, variables = body_and_variables(assembly)
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return variables[value[2:-1]]
    return value


def parameter(assembly, name: str) -> dict:
    return next(p for p in definition(assembly)["Parameters"] if p["Name"] == name)


def get(reference: dict) -> str:
    return reference["Get"]


def job_steps(assembly) -> dict[str, dict]:
    return {n: s for n, s in steps(assembly).items() if s["Type"] in ("Processing", "Training", "Tuning")}
