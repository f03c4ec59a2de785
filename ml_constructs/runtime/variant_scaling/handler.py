"""CloudFormation custom resources that keep endpoint autoscaling out of the way of updates (E4).

SageMaker refuses an UpdateEndpoint that changes the instance type of, or removes, a
variant registered with Application Auto Scaling ("Update endpoints that use auto scaling",
SageMaker Developer Guide): the variant must be deregistered first and registered again
after the update. Two resources of one stack do that around the endpoint:

- `Custom::VariantScalingHandoff` (the endpoint depends on it) does nothing on Create and
  Delete; on Update it deregisters the variants whose instance type is about to change or
  that are about to go, and registers again the declared variants that the endpoint already
  runs as declared but that are not registered (see "Rollback" below);
- `Custom::VariantScaling` (depends on the endpoint) owns each variant's scalable target and
  scaling policies: Create and Update register the targets and put the policies (both calls
  are upserts, so an unchanged variant is left as it is), drop policies and variants no longer
  declared, and Delete deregisters everything before CloudFormation deletes the endpoint. Its
  attributes are the policies' ARNs, for the alarms of step-scaling policies.

Both resources converge: they compare what the template declares with the endpoint as it is
(DescribeEndpoint, DescribeEndpointConfig) and what is registered (DescribeScalableTargets),
not with the previous template alone. That matters on a rollback: CloudFormation rolls back
only the resources it updated, sending each an Update with the old properties. When the
endpoint's update fails, the Handoff has already deregistered the changing variants while
the Scaling resource was never updated, so it gets no event; SageMaker has put the endpoint
back on its old configuration, and the Handoff's rollback Update finds those variants
running as the (old) template declares and unregistered, and registers them again with
their policies. Variants registered already are left to the Scaling resource, which runs
after the endpoint: registering new capacity bounds before the endpoint update could start
a scaling activity and make the update fail.

An endpoint that is Creating, Updating, SystemUpdating or RollingBack is polled until it
settles, within the function's remaining time (less a margin to answer CloudFormation); if it
does not, the resource fails with the endpoint's status, and the stack operation rolls back.
Throttling and concurrent updates (ThrottlingException, ConcurrentUpdateException) are retried
with exponential backoff.

CloudFormation passes every property as a string; the values are restored to the types the
Application Auto Scaling API declares, read from botocore's service model.
"""

from __future__ import annotations

import json
import logging
import random
import time
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

# Endpoint statuses (botocore's EndpointStatus) that change by themselves: wait for them to end.
SETTLING = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
IN_SERVICE = "InService"
# Error codes worth another attempt: Application Auto Scaling's and SageMaker's throttling, and
# Application Auto Scaling's "another request is modifying this target".
RETRIED = frozenset({"ThrottlingException", "Throttling", "ConcurrentUpdateException"})
MAX_ATTEMPTS = 8
FIRST_BACKOFF = 1.0  # seconds, doubled on each retry up to MAX_BACKOFF
MAX_BACKOFF = 20.0
POLL_INTERVAL = 15.0  # seconds between DescribeEndpoint calls while the endpoint settles
ANSWER_MARGIN = 30.0  # seconds kept to answer CloudFormation before the function times out
WAIT_WITHOUT_CONTEXT = 600.0  # the deadline when no Lambda context says how long is left

_client = None
_sagemaker = None
# The clock and sleep the waits use (tests replace them with a fake clock).
_now: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep
_deadline = float("inf")


def client():
    global _client
    if _client is None:
        _client = boto3.client("application-autoscaling")
    return _client


def sagemaker():
    global _sagemaker
    if _sagemaker is None:
        _sagemaker = boto3.client("sagemaker")
    return _sagemaker


class EndpointNotReady(Exception):
    """The endpoint is not in a state scaling can be registered on (or did not reach one in time)."""


def call(method: Callable[..., dict], **params) -> dict:
    """`method(**params)`, retried with exponential backoff on throttling and concurrent updates."""
    delay = FIRST_BACKOFF
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return method(**params)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code not in RETRIED or attempt == MAX_ATTEMPTS or _now() + delay > _deadline:
                raise
            LOG.warning("%s: %s, attempt %d, retrying in %.1f s", method.__name__, code, attempt, delay)
            _sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, MAX_BACKOFF)
    raise AssertionError("unreachable")


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
        call(client().deregister_scalable_target, **target(endpoint_name, variant))
        LOG.info("deregistered %s/%s", endpoint_name, variant)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ObjectNotFoundException":
            raise


def delete_policy(endpoint_name: str, variant: str, policy_name: str) -> None:
    try:
        call(client().delete_scaling_policy, PolicyName=policy_name, **target(endpoint_name, variant))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ObjectNotFoundException":
            raise


def variants_of(properties: dict) -> dict[str, dict]:
    return {v["VariantName"]: v for v in properties.get("Variants", [])}


def register(endpoint_name: str, name: str, variant: dict, previous: dict | None) -> dict[str, str]:
    """Register one variant with its bounds, drop the policies `previous` had and it has not, and
    put its policies; answer the policies' ARNs."""
    capacity = typed(
        "RegisterScalableTarget", {"MinCapacity": variant["MinCapacity"], "MaxCapacity": variant["MaxCapacity"]}
    )
    call(client().register_scalable_target, **target(endpoint_name, name), **capacity)
    policies = {p["PolicyName"]: p for p in variant.get("Policies", [])}
    for policy_name in sorted({p["PolicyName"] for p in (previous or {}).get("Policies", [])} - set(policies)):
        delete_policy(endpoint_name, name, policy_name)
    arns = {}
    for policy_name, policy in sorted(policies.items()):
        answer = call(client().put_scaling_policy, **target(endpoint_name, name), **typed("PutScalingPolicy", policy))
        arns[policy_name] = answer["PolicyARN"]
    LOG.info("%s/%s: %s to %s instances, policies %s", endpoint_name, name, *capacity.values(), sorted(policies))
    return arns


def settled_endpoint(endpoint_name: str) -> dict | None:
    """DescribeEndpoint once the endpoint has stopped changing by itself; None if there is none.

    Raises EndpointNotReady when it is still changing when the deadline comes."""
    while True:
        try:
            endpoint = call(sagemaker().describe_endpoint, EndpointName=endpoint_name)
        except ClientError as error:
            # SageMaker answers a missing endpoint with ValidationException "Could not find endpoint".
            if error.response["Error"]["Code"] == "ValidationException" and "Could not find" in str(error):
                return None
            raise
        status = endpoint["EndpointStatus"]
        if status not in SETTLING:
            return endpoint
        if _now() + POLL_INTERVAL > _deadline:
            raise EndpointNotReady(
                f"endpoint {endpoint_name} is still {status}; scaling was left as it is. Retry the stack "
                "operation once the endpoint is InService (or continue the rollback)."
            )
        LOG.info("endpoint %s is %s, waiting %.0f s", endpoint_name, status, POLL_INTERVAL)
        _sleep(POLL_INTERVAL)


def running_instance_types(endpoint: dict) -> dict[str, str | None]:
    """Each production variant the endpoint runs now, with its instance type (None if serverless)."""
    config = call(sagemaker().describe_endpoint_config, EndpointConfigName=endpoint["EndpointConfigName"])
    return {v["VariantName"]: v.get("InstanceType") for v in config["ProductionVariants"]}


def registered(endpoint_name: str, variants: list[str]) -> set[str]:
    """The variants among `variants` that have a scalable target."""
    if not variants:
        return set()
    ids = {target(endpoint_name, v)["ResourceId"]: v for v in variants}
    found, token = set(), None
    while True:
        page = call(
            client().describe_scalable_targets,
            ServiceNamespace=NAMESPACE,
            ScalableDimension=DIMENSION,
            ResourceIds=sorted(ids),
            **({"NextToken": token} if token else {}),
        )
        found |= {ids[t["ResourceId"]] for t in page["ScalableTargets"] if t["ResourceId"] in ids}
        token = page.get("NextToken")
        if not token:
            return found


def handoff(event: dict) -> dict:
    """Before the endpoint update: let go of the variants the update changes or removes, and take
    back the declared variants the endpoint runs as declared but nothing has registered."""
    if event["RequestType"] != "Update":
        return {}
    properties = event["ResourceProperties"]
    endpoint_name = properties["EndpointName"]
    declared = variants_of(properties)
    # Templates older than the Variants property declare instance types only.
    wanted = {n: v["InstanceType"] for n, v in declared.items()} or properties.get("InstanceTypes", {})
    endpoint = settled_endpoint(endpoint_name)
    if endpoint is None:
        return {}
    running = running_instance_types(endpoint)
    for variant, instance_type in sorted(running.items()):
        if wanted.get(variant) != instance_type:
            deregister(endpoint_name, variant)
    if endpoint["EndpointStatus"] != IN_SERVICE:
        LOG.info("endpoint %s is %s: nothing registered again", endpoint_name, endpoint["EndpointStatus"])
        return {}
    unchanged = sorted(n for n in declared if running.get(n) == declared[n]["InstanceType"])
    already = registered(endpoint_name, unchanged)
    old = variants_of(event.get("OldResourceProperties", {}))
    for name in unchanged:
        if name not in already:
            LOG.info("%s/%s runs as declared but is not registered: registering it again", endpoint_name, name)
            register(endpoint_name, name, declared[name], old.get(name))
    return {}


def scaling(event: dict) -> dict:
    """Make the registered targets and policies what the template declares; answer the ARNs."""
    properties = event["ResourceProperties"]
    endpoint_name = properties["EndpointName"]
    declared = variants_of(properties)
    if event["RequestType"] == "Delete":
        for variant in sorted(declared):
            deregister(endpoint_name, variant)
        return {}
    endpoint = settled_endpoint(endpoint_name)
    if endpoint is None or endpoint["EndpointStatus"] != IN_SERVICE:
        status = "missing" if endpoint is None else endpoint["EndpointStatus"]
        raise EndpointNotReady(f"endpoint {endpoint_name} is {status}: its variants cannot be registered")
    running = {v["VariantName"] for v in endpoint.get("ProductionVariants", [])}
    missing = sorted(set(declared) - running)
    if missing:
        raise EndpointNotReady(
            f"endpoint {endpoint_name} runs {sorted(running)}, not the declared variants {missing} "
            f"(configuration {endpoint['EndpointConfigName']})"
        )
    old = event.get("OldResourceProperties", {})
    # A renamed endpoint gets a new physical id; CloudFormation's Delete of the old one cleans up.
    previous = variants_of(old) if old.get("EndpointName") == endpoint_name else {}
    for variant in sorted(set(previous) - set(declared)):
        deregister(endpoint_name, variant)
    arns = {}
    for name, variant in sorted(declared.items()):
        arns |= register(endpoint_name, name, variant, previous.get(name))
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
    global _deadline
    LOG.info("%s %s %s", event["RequestType"], event["ResourceType"], event["LogicalResourceId"])
    remaining = (
        context.get_remaining_time_in_millis() / 1000 if context is not None else WAIT_WITHOUT_CONTEXT + ANSWER_MARGIN
    )
    _deadline = _now() + remaining - ANSWER_MARGIN
    try:
        data = HANDLERS[event["ResourceType"]](event)
    except Exception as error:  # every failure must reach CloudFormation, or the stack waits an hour
        LOG.exception("failed")
        send(event, "FAILED", f"{type(error).__name__}: {error}", {})
        return
    send(event, "SUCCESS", "", data)
