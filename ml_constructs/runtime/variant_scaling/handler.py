"""CloudFormation custom resources that keep endpoint autoscaling out of the way of updates (E4).

SageMaker refuses an UpdateEndpoint that changes the instance type of, or removes, a
variant registered with Application Auto Scaling ("Update endpoints that use auto scaling",
SageMaker Developer Guide): the variant must be deregistered first and registered again
after the update. Two resources of one stack do that around the endpoint:

- `Custom::VariantScalingHandoff` (the endpoint depends on it) does nothing on Create and
  Delete; on Update it deregisters the variants whose instance type changed or that are gone;
- `Custom::VariantScaling` (depends on the endpoint) owns each variant's scalable target and
  scaling policies: Create and Update register the targets and put the policies (both calls
  are upserts, so an unchanged variant is left as it is), drop policies and variants no longer
  declared, and Delete deregisters everything before CloudFormation deletes the endpoint. Its
  attributes are the policies' ARNs, for the alarms of step-scaling policies.

A rollback is the same update in reverse, so it runs through the same two steps.
CloudFormation passes every property as a string; the values are restored to the types the
Application Auto Scaling API declares, read from botocore's service model.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable

import boto3
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
HANDOFF = "Custom::VariantScalingHandoff"
SCALING = "Custom::VariantScaling"

_client = None


def client():
    global _client
    if _client is None:
        _client = boto3.client("application-autoscaling")
    return _client


def target(endpoint_name: str, variant: str) -> dict:
    """The three values that name a variant's scalable target in every call."""
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": f"endpoint/{endpoint_name}/variant/{variant}",
        "ScalableDimension": DIMENSION,
    }


def typed(operation: str, values: dict) -> dict:
    """`values` (strings from CloudFormation) with the types of `operation`'s input members."""
    shape = client().meta.service_model.operation_model(operation).input_shape

    def convert(member, value):
        kind = member.type_name
        if kind == "structure":
            return {key: convert(member.members[key], item) for key, item in value.items()}
        if kind == "list":
            return [convert(member.member, item) for item in value]
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("double", "float"):
            return float(value)
        if kind == "boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
        return value

    return {key: convert(shape.members[key], value) for key, value in values.items()}


def deregister(endpoint_name: str, variant: str) -> None:
    """Deregister a variant (its policies go with it); one that is not registered is fine."""
    try:
        client().deregister_scalable_target(**target(endpoint_name, variant))
        LOG.info("deregistered %s/%s", endpoint_name, variant)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ObjectNotFoundException":
            raise


def delete_policy(endpoint_name: str, variant: str, policy_name: str) -> None:
    try:
        client().delete_scaling_policy(PolicyName=policy_name, **target(endpoint_name, variant))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ObjectNotFoundException":
            raise


def handoff(event: dict) -> dict:
    """Before the endpoint update: let go of variants whose instance type changes or that go."""
    if event["RequestType"] != "Update":
        return {}
    before = event["OldResourceProperties"]["InstanceTypes"]
    after = event["ResourceProperties"]["InstanceTypes"]
    endpoint_name = event["OldResourceProperties"]["EndpointName"]
    for variant, instance_type in sorted(before.items()):
        if after.get(variant) != instance_type:
            deregister(endpoint_name, variant)
    return {}


def variants_of(properties: dict) -> dict[str, dict]:
    return {v["VariantName"]: v for v in properties.get("Variants", [])}


def scaling(event: dict) -> dict:
    """Make the registered targets and policies what the template declares; answer the ARNs."""
    properties = event["ResourceProperties"]
    endpoint_name = properties["EndpointName"]
    declared = variants_of(properties)
    if event["RequestType"] == "Delete":
        for variant in sorted(declared):
            deregister(endpoint_name, variant)
        return {}
    old = event.get("OldResourceProperties", {})
    # A renamed endpoint gets a new physical id; CloudFormation's Delete of the old one cleans up.
    previous = variants_of(old) if old.get("EndpointName") == endpoint_name else {}
    for variant in sorted(set(previous) - set(declared)):
        deregister(endpoint_name, variant)
    arns = {}
    for name, variant in sorted(declared.items()):
        capacity = typed(
            "RegisterScalableTarget",
            {"MinCapacity": variant["MinCapacity"], "MaxCapacity": variant["MaxCapacity"]},
        )
        client().register_scalable_target(**target(endpoint_name, name), **capacity)
        policies = {p["PolicyName"]: p for p in variant.get("Policies", [])}
        for policy_name in sorted(
            {p["PolicyName"] for p in previous.get(name, {}).get("Policies", [])} - set(policies)
        ):
            delete_policy(endpoint_name, name, policy_name)
        for policy_name, policy in sorted(policies.items()):
            answer = client().put_scaling_policy(**target(endpoint_name, name), **typed("PutScalingPolicy", policy))
            arns[policy_name] = answer["PolicyARN"]
        LOG.info("%s/%s: %s to %s instances, policies %s", endpoint_name, name, *capacity.values(), sorted(policies))
    return arns


HANDLERS: dict[str, Callable[[dict], dict]] = {HANDOFF: handoff, SCALING: scaling}


def physical_id(event: dict) -> str:
    kind = event["ResourceType"].removeprefix("Custom::")
    return f"{event['ResourceProperties']['EndpointName']}/{kind}"


def send(event: dict, status: str, reason: str, data: dict) -> None:
    """Answer CloudFormation through the pre-signed response URL."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:1000],
            "PhysicalResourceId": physical_id(event),
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def handler(event: dict, context: object) -> None:
    LOG.info("%s %s %s", event["RequestType"], event["ResourceType"], event["LogicalResourceId"])
    try:
        data = HANDLERS[event["ResourceType"]](event)
    except Exception as error:  # every failure must reach CloudFormation, or the stack waits an hour
        LOG.exception("failed")
        send(event, "FAILED", f"{type(error).__name__}: {error}", {})
        return
    send(event, "SUCCESS", "", data)
