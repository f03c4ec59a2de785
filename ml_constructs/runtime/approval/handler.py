"""Approved model package -> the real-time endpoint's challenger variant (pattern M6).

EventBridge calls this function when a package of the project's model package group is
approved ("SageMaker Model Package State Change"). It checks the package is approved now
(events can arrive late or twice), creates a model from it inside the private subnets with
network isolation and the inference execution role, and updates the endpoint with a copy of
its current configuration in which one variant serves the new model:

- `RetainAllVariantProperties` keeps every variant's autoscaled instance count, while the
  weights of the new configuration apply (DesiredWeight excluded), so the variant gets
  `VARIANT_WEIGHT` when it is set and keeps its weight otherwise;
- `RetainDeploymentConfig` reuses the endpoint's deployment guardrails (blue/green traffic
  shifting with rollback on the variants' alarms), so the new model is rolled out, and
  rolled back, the way the stack deploys it.

Each step is idempotent: a retried event finds the model, the configuration or the update
already there and carries on. An endpoint that is busy updating raises, and the invocation is
retried by Lambda; what still fails lands in the dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

_client = None


class EndpointBusy(RuntimeError):
    """The endpoint is not InService; Lambda retries the event later."""


def client():
    global _client
    if _client is None:
        _client = boto3.client("sagemaker", config=Config(retries={"max_attempts": 5, "mode": "standard"}))
    return _client


def settings() -> dict:
    return {
        "endpoint": os.environ["ENDPOINT_NAME"],
        "variant": os.environ["VARIANT_NAME"],
        "weight": float(os.environ["VARIANT_WEIGHT"]) if os.environ.get("VARIANT_WEIGHT") else None,
        "group": os.environ["MODEL_PACKAGE_GROUP"],
        "role": os.environ["MODEL_ROLE_ARN"],
        "subnets": os.environ["SUBNET_IDS"].split(","),
        "security_groups": os.environ["SECURITY_GROUP_IDS"].split(","),
    }


def already_exists(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ValidationException" and "already exist" in (
        error.response["Error"].get("Message", "")
    )


def create_model(name: str, package_arn: str, config: dict) -> None:
    try:
        client().create_model(
            ModelName=name,
            Containers=[{"ModelPackageName": package_arn}],
            ExecutionRoleArn=config["role"],
            VpcConfig={"Subnets": config["subnets"], "SecurityGroupIds": config["security_groups"]},
            EnableNetworkIsolation=True,
            Tags=[{"Key": "model-package", "Value": package_arn}],
        )
    except ClientError as error:
        if not already_exists(error):
            raise
        LOG.info("model %s exists already", name)


def endpoint_config(name: str, current: dict, variant: str, model: str, weight: float | None) -> None:
    """A copy of `current` in which `variant` serves `model` (and has `weight`, when given)."""
    variants = []
    for production in current["ProductionVariants"]:
        production = dict(production)
        if production["VariantName"] == variant:
            production["ModelName"] = model
            if weight is not None:
                production["InitialVariantWeight"] = weight
        variants.append(production)
    request = {"EndpointConfigName": name, "ProductionVariants": variants}
    for key in ("DataCaptureConfig", "KmsKeyId", "ShadowProductionVariants", "AsyncInferenceConfig"):
        if current.get(key):
            request[key] = current[key]
    try:
        client().create_endpoint_config(**request)
    except ClientError as error:
        if not already_exists(error):
            raise
        LOG.info("endpoint configuration %s exists already", name)


def deploy(package_arn: str, config: dict) -> dict:
    package = client().describe_model_package(ModelPackageName=package_arn)
    if package["ModelPackageGroupName"] != config["group"]:
        return {"skipped": f"package of group {package['ModelPackageGroupName']}, not {config['group']}"}
    if package["ModelApprovalStatus"] != "Approved":
        return {"skipped": f"package is {package['ModelApprovalStatus']}, not Approved"}
    version = package["ModelPackageVersion"]
    model = f"{config['group']}-v{version}"[:63]
    endpoint = client().describe_endpoint(EndpointName=config["endpoint"])
    current = client().describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variants = {v["VariantName"]: v for v in current["ProductionVariants"]}
    if config["variant"] not in variants:
        raise ValueError(f"endpoint {config['endpoint']} has no variant {config['variant']!r}")
    if variants[config["variant"]]["ModelName"] == model:
        return {"skipped": f"{config['variant']} already serves {model}"}
    if endpoint["EndpointStatus"] != "InService":
        raise EndpointBusy(f"endpoint {config['endpoint']} is {endpoint['EndpointStatus']}; retrying later")
    create_model(model, package_arn, config)
    name = f"{config['endpoint']}-{config['variant']}-v{version}"[:63]
    endpoint_config(name, current, config["variant"], model, config["weight"])
    client().update_endpoint(
        EndpointName=config["endpoint"],
        EndpointConfigName=name,
        RetainAllVariantProperties=True,
        ExcludeRetainedVariantProperties=[
            {"VariantPropertyType": "DesiredWeight"},
            {"VariantPropertyType": "DataCaptureConfig"},
        ],
        RetainDeploymentConfig=True,
    )
    return {"deployed": model, "variant": config["variant"], "endpoint_config": name}


def handler(event: dict, _context: object = None) -> dict:
    detail = event["detail"]
    result = deploy(detail["ModelPackageArn"], settings())
    LOG.info(json.dumps({"package": detail["ModelPackageArn"], **result}))
    return result
