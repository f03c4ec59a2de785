"""Autoscaling of endpoint variants that never blocks an endpoint update or deletion (E4, E9).

SageMaker refuses to update an endpoint when the update changes the instance type of, or
removes, a variant registered with Application Auto Scaling; the documented procedure is
to deregister the variant, update, and register again. With plain
AWS::ApplicationAutoScaling resources CloudFormation cannot follow it: the scalable
target depends on the endpoint, so it is updated or deleted only after the endpoint update
has already failed. Here one custom resource before the endpoint hands the affected
variants off, and one after it registers the targets and puts the policies, so such a
change deploys (and rolls back) as one stack update. The handler is in
runtime/variant_scaling/handler.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ml_constructs.iam import this_region_arn
from ml_constructs.python_function import python_function
from ml_constructs.runtime.variant_scaling.handler import DIMENSION, HANDOFF, NAMESPACE, SCALING

HANDLER_DIR = Path(__file__).resolve().parent / "runtime" / "variant_scaling"
SERVICE_LINKED_ROLE_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
SERVICE_LINKED_ROLE = (
    f"aws-service-role/{SERVICE_LINKED_ROLE_SERVICE}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
ENDPOINT_NAMESPACE = "AWS/SageMaker"


def invocations_tracking(
    name: str, invocations_per_instance: int, scale_in_cooldown: cdk.Duration, scale_out_cooldown: cdk.Duration
) -> dict:
    """Target tracking on SageMakerVariantInvocationsPerInstance (E4), as PutScalingPolicy takes it."""
    return {
        "PolicyName": name,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": invocations_per_instance,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleInCooldown": scale_in_cooldown.to_seconds(),
            "ScaleOutCooldown": scale_out_cooldown.to_seconds(),
        },
    }


def backlog_tracking(name: str, endpoint_name: str, backlog_per_instance: int) -> dict:
    """Target tracking on an asynchronous endpoint's queued requests per instance (E9)."""
    return {
        "PolicyName": name,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": backlog_per_instance,
            "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance",
                "Namespace": ENDPOINT_NAMESPACE,
                "Dimensions": [{"Name": "EndpointName", "Value": endpoint_name}],
                "Statistic": "Average",
            },
            "ScaleInCooldown": 600,
            "ScaleOutCooldown": 300,
        },
    }


def first_instance(name: str) -> dict:
    """A step policy adding one instance, for the alarm on requests waiting at zero capacity (E9).

    Target tracking cannot leave zero (its metric is per instance), hence the step policy.
    """
    return {
        "PolicyName": name,
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Average",
            "Cooldown": 300,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    }


@dataclass(frozen=True)
class ScaledVariant:
    """One variant's capacity bounds and policies (PutScalingPolicy's own field names)."""

    name: str
    instance_type: str
    min_capacity: int
    max_capacity: int
    policies: Sequence[dict] = field(default_factory=tuple)


class VariantScalingProvider(Construct):
    """The deployment-time function behind VariantScaling, shared by a stack's endpoints.

    It may act only on SageMaker variant scalable targets (the Application Auto Scaling
    condition keys), on endpoints named with `endpoint_name_prefix`, and on the alarms
    target tracking creates for them.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name_prefix: str,
        logs_key: kms.IKey,
        environment_key: kms.IKey,
        log_retention: int,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        reserve_concurrency: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        parts = python_function(
            self,
            description="CloudFormation: hand endpoint variants off to and back from Application Auto Scaling",
            code=HANDLER_DIR,
            handler="handler.handler",
            role_description="Registers and deregisters the project's endpoint variants with Application Auto Scaling",
            policy_description="Scale the project's endpoint variants and write the function's own logs",
            logs_key=logs_key,
            log_retention=log_retention,
            # Long enough to wait for an endpoint that is still updating or rolling back (the handler
            # polls DescribeEndpoint until 30 s before this timeout, then fails with the status).
            timeout=cdk.Duration.minutes(10),
            environment_key=environment_key,
            reserved_concurrency=2 if reserve_concurrency else None,
            outside_vpc="Deployment-time custom-resource handler: it calls the Application Auto Scaling API only "
            "while CloudFormation updates an endpoint, and answers CloudFormation's pre-signed S3 URL; the VPC has "
            "no endpoint for either, and the workloads' subnets stay without internet access.",
            no_dead_letter_queue="CloudFormation custom-resource handler: every failure is reported to "
            "CloudFormation, which fails and rolls back the stack operation; a dead-letter queue would hold "
            "nothing to act on.",
            removal_policy=removal_policy,
        )
        self.function = parts.function
        grants = parts.grants
        grants.allow(
            "VariantScalableTargets",
            (
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:DeleteScalingPolicy",
            ),
            ["*"],
            conditions={
                "StringEquals": {
                    "application-autoscaling:service-namespace": NAMESPACE,
                    "application-autoscaling:scalable-dimension": DIMENSION,
                }
            },
            wildcard_reason="Scalable targets are named by generated ids, so these actions are granted on '*' "
            "and narrowed by Application Auto Scaling's condition keys to SageMaker variant instance counts.",
        )
        grants.allow(
            "ReadScalableTargets",
            ("application-autoscaling:DescribeScalableTargets",),
            ["*"],
            wildcard_reason="DescribeScalableTargets has no resource type or condition key (Service Authorization "
            "Reference); the hand-off reads which variants are registered, to register again those a failed "
            "update left without scaling.",
        )
        endpoints = this_region_arn(self, "sagemaker", f"endpoint/{endpoint_name_prefix}*")
        grants.allow(
            "ProjectEndpoints",
            ("sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"),
            [endpoints],
            wildcard_reason="The project's endpoints, by their name prefix: the handler waits for an endpoint to "
            "settle and Application Auto Scaling checks the caller may describe and resize the variant it registers.",
        )
        grants.allow(
            "ProjectEndpointConfigs",
            ("sagemaker:DescribeEndpointConfig",),
            [this_region_arn(self, "sagemaker", "endpoint-config/*")],
            wildcard_reason="CloudFormation names endpoint configurations (they are replaced on every change); "
            "describing one reveals no data; registration checks it and the hand-off reads the running instance "
            "types from it.",
        )
        grants.allow(
            "TargetTrackingAlarms",
            ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"),
            [this_region_arn(self, "cloudwatch", f"alarm:TargetTracking-endpoint/{endpoint_name_prefix}*")],
            wildcard_reason="Target tracking creates and deletes its own alarms, named after the scalable target "
            "with a generated suffix; only those of the project's endpoints.",
        )
        grants.allow(
            "ScalingServiceLinkedRole",
            ("iam:CreateServiceLinkedRole",),
            [f"arn:{stack.partition}:iam::{stack.account}:role/{SERVICE_LINKED_ROLE}"],
            conditions={"StringLike": {"iam:AWSServiceName": SERVICE_LINKED_ROLE_SERVICE}},
        )


@jsii.implements(cloudwatch.IAlarmAction)
class _PolicyAction:
    def __init__(self, policy_arn: str) -> None:
        self._arn = policy_arn

    def bind(self, _scope: Construct, _alarm: cloudwatch.IAlarm) -> cloudwatch.AlarmActionConfig:
        return cloudwatch.AlarmActionConfig(alarm_action_arn=self._arn)


class VariantScaling(Construct):
    """The scalable targets and policies of one endpoint's variants, around its updates (E4).

    `Handoff` (the endpoint depends on it) deregisters variants whose instance type changes or
    that are removed, and registers again declared variants the endpoint runs unchanged but that
    are not registered (after a failed update, on CloudFormation's rollback); `Scaling` (depends
    on the endpoint) registers every variant with its bounds and puts its policies, and
    deregisters them before the endpoint is deleted.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider: VariantScalingProvider,
        endpoint: sagemaker.CfnEndpoint,
        endpoint_name: str,
        variants: Sequence[ScaledVariant],
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        token = provider.function.function_arn
        declared = [
            {
                "VariantName": v.name,
                "InstanceType": v.instance_type,
                "MinCapacity": v.min_capacity,
                "MaxCapacity": v.max_capacity,
                "Policies": list(v.policies),
            }
            for v in variants
        ]
        handoff = cdk.CustomResource(
            self,
            "Handoff",
            service_token=token,
            resource_type=HANDOFF,
            # The declared variants too: on a rollback the hand-off registers again the variants the
            # endpoint still runs as declared (the handler's docstring).
            properties={
                "EndpointName": endpoint_name,
                "InstanceTypes": {v.name: v.instance_type for v in variants},
                "Variants": declared,
            },
        )
        endpoint.node.add_dependency(handoff)
        self.resource = cdk.CustomResource(
            self,
            "Scaling",
            service_token=token,
            resource_type=SCALING,
            properties={"EndpointName": endpoint_name, "Variants": declared},
        )
        self.resource.node.add_dependency(endpoint)

    def policy_action(self, policy_name: str) -> cloudwatch.IAlarmAction:
        """An alarm action that runs the named step-scaling policy (its ARN as registered)."""
        return _PolicyAction(self.resource.get_att_string(policy_name))
