"""Stubbed calls as IAM requests (tests/authz.py): actions and resource ARNs from the Service Authorization
data, or from HAND_MAPPED for the operations whose parameters name no resource of that data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from authz_recording import ApiCall
from authz_requests import AuthzError, Principal, Request
from authz_world import World

from gates.iam import AuthorizationData


@cache
def _authorization_data() -> AuthorizationData:
    """The Service Authorization data the IAM gate reads (and the simulator evaluates with)."""
    return AuthorizationData()


def _iam_actions(service: str) -> dict:
    actions = _authorization_data().actions(service)
    if actions is None:
        raise AuthzError(f"no IAM actions data for service prefix {service!r}")
    return actions


def _arn_for(
    resource_type: dict, params: dict, *, partition: str, region: str, account: str, lower: bool
) -> str | None:
    """An ARN of `resource_type` for the call's parameters, or None when they do not name one."""
    template = resource_type["arn"]
    variables = re.findall(r"\$\{(\w+)\}", template)
    fixed = {"Partition": partition, "Region": region, "Account": account}
    named = [v for v in variables if v not in fixed]
    if len(named) == 1 and isinstance(params.get(named[0]), str) and params[named[0]].startswith("arn:"):
        # The parameter is itself the resource's ARN (ModelPackageName, RoleArn, ...).
        value = params[named[0]]
        pattern = re.escape(template)
        for variable in variables:
            pattern = pattern.replace(re.escape("${" + variable + "}"), ".+")
        return value if re.fullmatch(pattern, value) else None
    values = dict(fixed)
    for variable in named:
        value = params.get(variable)
        if not isinstance(value, str):
            return None
        values[variable] = value.lower() if lower else value
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)


def _tag_context(tags: Any) -> dict[str, Any]:
    if not tags:
        return {}
    pairs = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags)
    pairs = list(pairs)
    return {**{f"aws:RequestTag/{k}": v for k, v in pairs}, "aws:TagKeys": [k for k, _ in pairs]}


def _sagemaker_context(operation: str, params: dict, region: str, account: str) -> dict[str, Any]:
    """SageMaker's condition keys as the Service Authorization Reference defines them."""
    context: dict[str, Any] = {}
    if "EnableNetworkIsolation" in params:
        context["sagemaker:NetworkIsolation"] = params["EnableNetworkIsolation"]
    vpc = params.get("VpcConfig")
    if vpc:
        context["sagemaker:VpcSubnets"] = vpc.get("Subnets", [])
        context["sagemaker:VpcSecurityGroupIds"] = vpc.get("SecurityGroupIds", [])
    if operation == "CreateEndpointConfig":
        variants = [*params.get("ProductionVariants", []), *params.get("ShadowProductionVariants", [])]
        types = sorted({v["InstanceType"] for v in variants if "InstanceType" in v})
        if types:
            context["sagemaker:InstanceTypes"] = types
        models = sorted({v["ModelName"] for v in variants if "ModelName" in v})
        if models:
            context["sagemaker:ModelArn"] = [f"arn:aws:sagemaker:{region}:{account}:model/{m.lower()}" for m in models]
        if params.get("KmsKeyId"):
            # The deprecated key and its replacement: AWS documents both names for volume keys.
            context["sagemaker:VolumeKmsKey"] = params["KmsKeyId"]
            context["sagemaker:VolumeKmsKeyArn"] = params["KmsKeyId"]
    if operation.startswith("Create"):
        context.update(_tag_context(params.get("Tags")))
    return context


# --- Calls mapped by hand ---
#
# Application Auto Scaling names a scalable target in its ARN by an id it generates at
# registration (`scalable-target/<id>`, not the call's ResourceId), so no parameter names the
# ScalableTarget resource the Service Authorization Reference requires. The request states it
# with GENERATED for the id: only a grant on every id (narrowed by the service's condition keys)
# can authorize it, which is the only grant that can be written before the id exists.
#
# The service also authorizes the caller for what it will do on the caller's behalf:
# - RegisterScalableTarget creates the service-linked role of the target service when the account
#   has none yet, with the caller's iam:CreateServiceLinkedRole ("Service-linked roles for
#   Application Auto Scaling", Application Auto Scaling User Guide);
# - it validates that the caller may use the target resource and CloudWatch before it accepts a
#   call ("Permissions validation for API calls on target resources", same guide): for a SageMaker
#   variant sagemaker:DescribeEndpoint, DescribeEndpointConfig and
#   UpdateEndpointWeightsAndCapacities ("Auto scaling prerequisites", SageMaker Developer Guide),
#   for a target tracking policy the CloudWatch alarm actions on the alarms it creates, named
#   `TargetTracking-<ResourceId>-AlarmHigh-<id>` and `...-AlarmLow-<id>` ("Permissions required for
#   API actions on target services and CloudWatch", Application Auto Scaling User Guide).
# Only SageMaker variants are mapped: any other target fails loudly until it is added here.
GENERATED = "generated-id"
SAGEMAKER_VARIANT = ("sagemaker", "sagemaker:variant:DesiredInstanceCount")
SCALING_SERVICE_LINKED_ROLE = (
    "sagemaker.application-autoscaling.amazonaws.com",
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
)
TARGET_TRACKING_ALARM_ACTIONS = ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms")


def _scalable_target_requests(
    world: World, principal: Principal, call: ApiCall, label: str, context: Mapping[str, Any]
) -> list[Request]:
    """The requests of an Application Auto Scaling call on a SageMaker variant (see above)."""
    params = call.params
    namespace, dimension = params.get("ServiceNamespace"), params.get("ScalableDimension")
    variant = re.fullmatch(r"endpoint/([^/]+)/variant/([^/]+)", str(params.get("ResourceId", "")))
    if (namespace, dimension) != SAGEMAKER_VARIANT or variant is None:
        raise AuthzError(f"{label}: only SageMaker variant scalable targets are mapped, not {params}")
    account, region, partition = world.account, call.region, world.partition

    def request(action: str, resource: str, derived: Mapping[str, Any] | None = None) -> Request:
        # Requests the service makes to check the caller, not through the caller's network path.
        return world.request(principal, action, resource, derived_context=derived, label=f"{label} (checked)")

    keys: dict[str, Any] = {
        "application-autoscaling:service-namespace": namespace,
        "application-autoscaling:scalable-dimension": dimension,
    }
    if call.operation == "RegisterScalableTarget":
        keys.update(_tag_context(params.get("Tags")))
    target = f"arn:{partition}:application-autoscaling:{region}:{account}:scalable-target/{GENERATED}"
    requests = [
        world.request(
            principal,
            f"application-autoscaling:{call.operation}",
            target,
            context=context,
            derived_context=keys,
            label=label,
        )
    ]
    endpoint_name = variant[1]
    if call.operation == "RegisterScalableTarget":
        service, role = SCALING_SERVICE_LINKED_ROLE
        requests.append(
            request(
                "iam:CreateServiceLinkedRole",
                f"arn:{partition}:iam::{account}:role/{role}",
                {"iam:AWSServiceName": service},
            )
        )
        endpoint = f"arn:{partition}:sagemaker:{region}:{account}:endpoint/{endpoint_name.lower()}"
        requests.append(request("sagemaker:DescribeEndpoint", endpoint))
        requests.append(request("sagemaker:UpdateEndpointWeightsAndCapacities", endpoint))
        found = world._find(
            "AWS::SageMaker::Endpoint",
            lambda s, _, r: world.resolve(s, r["Properties"].get("EndpointName")) == endpoint_name,
        )
        if found is None:
            raise AuthzError(f"{label}: no endpoint {endpoint_name} in this world, so no configuration to describe")
        config = str(world.resolve(found[0], found[2]["Properties"]["EndpointConfigName"])).lower()
        requests.append(
            request(
                "sagemaker:DescribeEndpointConfig",
                f"arn:{partition}:sagemaker:{region}:{account}:endpoint-config/{config}",
            )
        )
    if call.operation == "PutScalingPolicy" and params.get("PolicyType") == "TargetTrackingScaling":
        for alarm in ("AlarmHigh", "AlarmLow"):
            name = f"TargetTracking-{params['ResourceId']}-{alarm}-{GENERATED}"
            for action in TARGET_TRACKING_ALARM_ACTIONS:
                requests.append(request(action, f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"))
    return requests


HAND_MAPPED = {
    ("application-autoscaling", operation): _scalable_target_requests
    for operation in ("RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy", "DeleteScalingPolicy")
}


def requests_for_call(
    world: World, principal: Principal, call: ApiCall, *, context: Mapping[str, Any] | None = None
) -> list[Request]:
    """The IAM requests one API call makes: its action on each resource type the Service
    Authorization Reference requires, plus what its parameters imply (iam:PassRole for a role
    handed to the service, sagemaker:AddTags for tags on a Create call). `context` holds keys
    of the call's own requests (the VPC endpoint the client reaches the service through);
    HAND_MAPPED operations are stated by their own functions."""
    if call.region != world.region:
        raise AuthzError(f"{call.operation} ran in {call.region}, the world is in {world.region}")
    prefix = call.signing_name
    label = f"{call.test} {call.service}.{call.operation}"
    if (prefix, call.operation) in HAND_MAPPED:
        return HAND_MAPPED[prefix, call.operation](world, principal, call, label, context or {})
    actions = _iam_actions(prefix)
    details = actions.get(call.operation.lower())
    if details is None:
        raise AuthzError(f"{prefix}:{call.operation} is no IAM action; map {call.service} {call.operation} by hand")
    action = f"{prefix}:{details['name']}"
    types = _authorization_data().resource_types(prefix)
    lower = prefix == "sagemaker"  # SageMaker ARNs carry names in lower case
    derived = (
        _sagemaker_context(call.operation, call.params, call.region, world.account) if prefix == "sagemaker" else {}
    )
    requests: list[Request] = []
    required = [r for r in details["resourceTypes"] if r["required"]]
    for resource_type in required:
        arn = _arn_for(
            types[resource_type["name"]],
            call.params,
            partition=world.partition,
            region=call.region,
            account=world.account,
            lower=lower,
        )
        if arn is None:
            raise AuthzError(
                f"{label}: no parameter names its {resource_type['name']} ({types[resource_type['name']]['arn']})"
            )
        requests.append(world.request(principal, action, arn, context=context, derived_context=derived, label=label))
    if not details["resourceTypes"]:
        requests.append(world.request(principal, action, "*", context=context, derived_context=derived, label=label))
    elif not required:
        raise AuthzError(f"{label}: {action} has only optional resource types; map it by hand")
    for key in ("ExecutionRoleArn", "RoleArn"):
        if isinstance(call.params.get(key), str):
            requests.append(
                world.request(
                    principal,
                    "iam:PassRole",
                    call.params[key],
                    derived_context={"iam:PassedToService": f"{prefix}.amazonaws.com"},
                    label=f"{label} (passes {key})",
                )
            )
    if prefix == "sagemaker" and call.operation.startswith("Create") and call.params.get("Tags") and requests:
        requests.append(
            world.request(
                principal,
                "sagemaker:AddTags",
                requests[0].resource,
                context=context,
                derived_context={**_tag_context(call.params["Tags"]), "sagemaker:TaggingAction": call.operation},
                label=f"{label} (tags on create)",
            )
        )
    return requests


def unique(requests: Iterable[Request]) -> list[Request]:
    """`requests` without repeats (the same call stubbed by several tests)."""
    seen, kept = set(), []
    for request in requests:
        key = json.dumps([request.action, request.resource, request.full_context()], sort_keys=True)
        if key not in seen:
            seen.add(key)
            kept.append(request)
    return kept
