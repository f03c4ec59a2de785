"""Helpers shared by the inference stack's template tests (tests/test_inference_*.py)."""

from __future__ import annotations

from helpers import target

STACK = "Inference"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def imported(value, fragment: str) -> bool:
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def endpoint(assembly, name: str) -> dict:
    (found,) = [
        e["Properties"]
        for e in resources(assembly, "AWS::SageMaker::Endpoint").values()
        if e["Properties"]["EndpointName"].endswith(f"-{name}")
    ]
    return found


def endpoint_config(assembly, name: str) -> dict:
    return resources(assembly, "AWS::SageMaker::EndpointConfig")[
        target(endpoint(assembly, name)["EndpointConfigName"])
    ]["Properties"]


def model_of(assembly, variant: dict) -> dict:
    return resources(assembly, "AWS::SageMaker::Model")[target(variant["ModelName"])]["Properties"]


def autoscaling_of(assembly, name: str) -> tuple[str, dict, str, dict]:
    """(logical id, properties) of the endpoint's Handoff and Scaling custom resources."""
    endpoint_name = endpoint(assembly, name)["EndpointName"]

    def one(kind: str) -> tuple[str, dict]:
        ((logical_id, props),) = [
            (k, r["Properties"])
            for k, r in resources(assembly, kind).items()
            if r["Properties"]["EndpointName"] == endpoint_name
        ]
        return logical_id, props

    return (*one("Custom::VariantScalingHandoff"), *one("Custom::VariantScaling"))


def scaled_variants(assembly, name: str) -> dict[str, dict]:
    return {v["VariantName"]: v for v in autoscaling_of(assembly, name)[3]["Variants"]}
