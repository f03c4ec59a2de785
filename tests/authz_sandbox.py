"""The synthesized sandbox for the authorization tests (tests/test_authz_sandbox.py, tests/test_authz_handlers.py).

The shared `sandbox_world` fixture, and the IAM requests the handlers' Stubber tests make, each
with whether the role the deployed function runs as authorizes it.
"""

from __future__ import annotations

import pytest
from authz import GENERATED, Request, World


@pytest.fixture(name="sandbox_world", scope="module")
def sandbox_world_fixture(sandbox_all_on) -> World:
    """The sandbox with the endpoints and the approval path it leaves to the demo turned back on,
    under the sandbox's names (the handlers' tests name sandbox resources)."""
    return World.from_assembly(sandbox_all_on)


TEST_ACCOUNT = "123456789012"  # the account the handlers' tests write in their ARNs

# The approval handler (ml_constructs/runtime/approval) as tests/test_approval.py drives it: every
# IAM request its stubbed calls make, as (action, resource ARN with <account>), and whether the
# role the Pipelines stack gives the function authorizes it today.
APPROVAL_AUTHORIZED = {
    ("sagemaker:DescribeModelPackage", "model-package/secure-ml-sandbox-purchase-propensity/3"),
    ("sagemaker:DescribeEndpoint", "endpoint/secure-ml-sandbox-realtime"),
    ("sagemaker:DescribeEndpointConfig", "endpoint-config/realtimeconfig75197f61-abc"),
    ("sagemaker:CreateModel", "model/secure-ml-sandbox-purchase-propensity-v3"),
    ("sagemaker:AddTags", "model/secure-ml-sandbox-purchase-propensity-v3"),
    ("iam:PassRole", "role/secure-ml-sandbox-inference-execution"),
    ("sagemaker:UpdateEndpoint", "endpoint/secure-ml-sandbox-realtime"),
    # UpdateEndpoint also authorizes on the configuration it switches to (SwitchToApprovedConfigs).
    ("sagemaker:UpdateEndpoint", "endpoint-config/secure-ml-sandbox-realtime-challenger-v3"),
    # Allowed since the N8 guardrail tests sagemaker:VolumeKmsKeyArn, the key the action carries.
    ("sagemaker:CreateEndpointConfig", "endpoint-config/secure-ml-sandbox-realtime-challenger-v3"),
}
# Requests the role does not authorize: open findings, reported to the constructs' owner and left
# out of the assertions until fixed (then they move to APPROVAL_AUTHORIZED). None today.
APPROVAL_OPEN_FINDINGS: dict[tuple[str, str], str] = {}

NOTEBOOK_AUTHORIZED = {
    ("sagemaker:DescribeNotebookInstance", "notebook-instance/secure-ml-sandbox-alice"),
    ("sagemaker:StopNotebookInstance", "notebook-instance/secure-ml-sandbox-alice"),
}

# The variant-scaling custom resource (ml_constructs/runtime/variant_scaling) as
# tests/test_variant_scaling.py and tests/test_variant_scaling_policies.py drive it, the deployed
# endpoints' properties included (test_e4_template_properties_are_what_the_api_accepts). Application
# Auto Scaling calls are mapped by hand (tests/authz.py, HAND_MAPPED): the scalable target's id is
# generated, and the service checks the caller for the service-linked role, the endpoint and the alarms it manages.
SCALED_ENDPOINTS = {
    # endpoint name: (endpoint configuration's physical name in the world, target-tracked variants)
    "secure-ml-sandbox-realtime": ("secure-ml-sandbox-inference-realtimeconfig75197f61", ("champion", "challenger")),
    # E2: the shadow-test endpoint scales its production variant only (the shadow has a fixed count).
    "secure-ml-sandbox-shadow-test": ("secure-ml-sandbox-inference-shadowtestconfig641afc60", ("champion",)),
    "secure-ml-sandbox-async": ("secure-ml-sandbox-inference-asyncconfigcd91d9ba", ("async",)),
    "secure-ml-sandbox-pipeline": ("secure-ml-sandbox-inference-pipelineconfigb4814dbc", ("pipeline",)),
}
VARIANT_SCALING_AUTHORIZED = {
    *(
        (f"application-autoscaling:{operation}", f"scalable-target/{GENERATED}")
        for operation in (
            "RegisterScalableTarget",
            "DeregisterScalableTarget",
            "PutScalingPolicy",
            "DeleteScalingPolicy",
        )
    ),
    (
        "iam:CreateServiceLinkedRole",
        "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    ),
    # The hand-off reads what is registered and what the endpoint runs (tests' CONFIG), to register
    # again after a rolled-back update; DescribeScalableTargets has no resource type.
    ("application-autoscaling:DescribeScalableTargets", "*"),
    ("sagemaker:DescribeEndpointConfig", "endpoint-config/realtimeconfig75197f61-a1b2c3d4"),
    ("sagemaker:DescribeEndpointConfig", "endpoint-config/realtimeconfignew-e5f6"),
    *(
        request
        for endpoint, (config, variants) in SCALED_ENDPOINTS.items()
        for request in (
            ("sagemaker:DescribeEndpoint", f"endpoint/{endpoint}"),
            ("sagemaker:UpdateEndpointWeightsAndCapacities", f"endpoint/{endpoint}"),
            ("sagemaker:DescribeEndpointConfig", f"endpoint-config/{config}"),
            *(
                (
                    f"cloudwatch:{action}",
                    f"alarm:TargetTracking-endpoint/{endpoint}/variant/{variant}-{alarm}-{GENERATED}",
                )
                for variant in variants
                for alarm in ("AlarmHigh", "AlarmLow")
                for action in ("PutMetricAlarm", "DescribeAlarms", "DeleteAlarms")
            ),
        )
    ),
}

# The inference API function (ml_constructs/runtime/inference_api) as tests/test_inference_api.py
# drives it, through the VPC's sagemaker.runtime interface endpoint (its policy is evaluated too).
INFERENCE_API_AUTHORIZED = {
    ("sagemaker:InvokeEndpoint", "endpoint/secure-ml-sandbox-realtime"),
}


def short(request: Request, world: World) -> tuple[str, str]:
    """(action, resource) with the ARN's prefix up to the account dropped."""
    resource = request.resource.split(f":{world.account}:", 1)[-1]
    return request.action, resource
