"""The approval path's handler against SageMaker's API model (pattern M6).

botocore's Stubber checks every request against the SageMaker service model and answers in
its shapes, including its error codes; the handler runs unchanged against a real account.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from ml_constructs.runtime.approval import handler

ACCOUNT = "123456789012"
GROUP = "secure-ml-sandbox-purchase-propensity"
ENDPOINT = "secure-ml-sandbox-realtime"
PACKAGE = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/{GROUP}/3"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/secure-ml-sandbox-inference-execution"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0f2b1c3d-0000-4000-8000-000000000001"
NOW = datetime(2026, 11, 21, tzinfo=UTC)

CURRENT_CONFIG = {
    "EndpointConfigName": "RealtimeConfig75197F61-abc",
    "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/realtimeconfig75197f61-abc",
    "ProductionVariants": [
        {
            "VariantName": "champion",
            "ModelName": "Model-champion-123",
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": 90.0,
        },
        {
            "VariantName": "challenger",
            "ModelName": "Model-challenger-456",
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": 10.0,
        },
    ],
    "DataCaptureConfig": {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://secure-ml-sandbox-inference-123456789012-us-east-1/capture/realtime",
        "KmsKeyId": KEY,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    },
    "KmsKeyId": KEY,
    "CreationTime": NOW,
}


@pytest.fixture
def sagemaker(monkeypatch):
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(handler, "_client", client)
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("VARIANT_NAME", "challenger")
    monkeypatch.setenv("VARIANT_WEIGHT", "")
    monkeypatch.setenv("MODEL_PACKAGE_GROUP", GROUP)
    monkeypatch.setenv("MODEL_ROLE_ARN", ROLE)
    monkeypatch.setenv("SUBNET_IDS", "subnet-0a,subnet-0b")
    monkeypatch.setenv("SECURITY_GROUP_IDS", "sg-0c")
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def approved_event(arn: str = PACKAGE) -> dict:
    return {
        "version": "0",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "account": ACCOUNT,
        "region": "us-east-1",
        "detail": {"ModelPackageGroupName": GROUP, "ModelPackageArn": arn, "ModelApprovalStatus": "Approved"},
    }


def expect_package(stubber, status: str = "Approved", group: str = GROUP) -> None:
    stubber.add_response(
        "describe_model_package",
        {
            "ModelPackageName": GROUP,
            "ModelPackageGroupName": group,
            "ModelPackageVersion": 3,
            "ModelPackageArn": PACKAGE,
            "CreationTime": NOW,
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "ModelApprovalStatus": status,
        },
        {"ModelPackageName": PACKAGE},
    )


def expect_endpoint(stubber, status: str = "InService", config: dict = CURRENT_CONFIG) -> None:
    stubber.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{ENDPOINT}",
            "EndpointConfigName": config["EndpointConfigName"],
            "EndpointStatus": status,
            "CreationTime": NOW,
            "LastModifiedTime": NOW,
        },
        {"EndpointName": ENDPOINT},
    )
    stubber.add_response("describe_endpoint_config", config, {"EndpointConfigName": config["EndpointConfigName"]})


def expect_model(stubber, error: str | None = None) -> None:
    request = {
        "ModelName": f"{GROUP}-v3",
        "Containers": [{"ModelPackageName": PACKAGE}],
        "ExecutionRoleArn": ROLE,
        "VpcConfig": {"Subnets": ["subnet-0a", "subnet-0b"], "SecurityGroupIds": ["sg-0c"]},
        "EnableNetworkIsolation": True,
        "Tags": [{"Key": "model-package", "Value": PACKAGE}],
    }
    if error:
        stubber.add_client_error("create_model", "ValidationException", error, expected_params=request)
    else:
        stubber.add_response("create_model", {"ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/x"}, request)


def new_variants(weight: float = 10.0) -> list[dict]:
    variants = copy.deepcopy(CURRENT_CONFIG["ProductionVariants"])
    variants[1]["ModelName"] = f"{GROUP}-v3"
    variants[1]["InitialVariantWeight"] = weight
    return variants


def expect_config_and_update(stubber, weight: float = 10.0, error: str | None = None) -> None:
    name = f"{ENDPOINT}-challenger-v3"
    request = {
        "EndpointConfigName": name,
        "ProductionVariants": new_variants(weight),
        "DataCaptureConfig": CURRENT_CONFIG["DataCaptureConfig"],
        "KmsKeyId": KEY,
    }
    if error:
        stubber.add_client_error("create_endpoint_config", "ValidationException", error, expected_params=request)
    else:
        stubber.add_response(
            "create_endpoint_config",
            {"EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/new"},
            request,
        )
    stubber.add_response(
        "update_endpoint",
        {"EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{ENDPOINT}"},
        {
            "EndpointName": ENDPOINT,
            "EndpointConfigName": name,
            "RetainAllVariantProperties": True,
            "ExcludeRetainedVariantProperties": [
                {"VariantPropertyType": "DesiredWeight"},
                {"VariantPropertyType": "DataCaptureConfig"},
            ],
            "RetainDeploymentConfig": True,
        },
    )


def test_m6_approved_package_becomes_the_challenger_under_the_endpoint_s_guardrails(sagemaker):
    expect_package(sagemaker)
    expect_endpoint(sagemaker)
    expect_model(sagemaker)
    expect_config_and_update(sagemaker)
    result = handler.handler(approved_event())
    assert result == {
        "deployed": f"{GROUP}-v3",
        "variant": "challenger",
        "endpoint_config": f"{ENDPOINT}-challenger-v3",
    }


def test_m6_configured_weight_applies_to_the_variant(sagemaker, monkeypatch):
    monkeypatch.setenv("VARIANT_WEIGHT", "25.0")
    expect_package(sagemaker)
    expect_endpoint(sagemaker)
    expect_model(sagemaker)
    expect_config_and_update(sagemaker, weight=25.0)
    assert handler.handler(approved_event())["deployed"] == f"{GROUP}-v3"


def test_m6_a_retried_event_reuses_the_model_and_configuration(sagemaker):
    expect_package(sagemaker)
    expect_endpoint(sagemaker)
    expect_model(sagemaker, error=f'Cannot create already existing model "{GROUP}-v3".')
    expect_config_and_update(sagemaker, error="Cannot create already existing endpoint configuration")
    assert handler.handler(approved_event())["deployed"] == f"{GROUP}-v3"


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_m6_a_package_no_longer_approved_is_left_alone(sagemaker, status):
    expect_package(sagemaker, status=status)
    assert handler.handler(approved_event()) == {"skipped": f"package is {status}, not Approved"}


def test_m6_a_package_of_another_group_is_left_alone(sagemaker):
    expect_package(sagemaker, group="someone-elses-models")
    assert "someone-elses-models" in handler.handler(approved_event())["skipped"]


def test_m6_a_variant_already_serving_the_version_is_left_alone(sagemaker):
    serving = copy.deepcopy(CURRENT_CONFIG)
    serving["ProductionVariants"] = new_variants()
    expect_package(sagemaker)
    expect_endpoint(sagemaker, config=serving)
    assert handler.handler(approved_event()) == {"skipped": f"challenger already serves {GROUP}-v3"}


def test_m6_a_busy_endpoint_makes_lambda_retry(sagemaker):
    expect_package(sagemaker)
    expect_endpoint(sagemaker, status="Updating")
    with pytest.raises(handler.EndpointBusy, match="Updating"):
        handler.handler(approved_event())


def test_m6_an_unknown_variant_is_an_error(sagemaker, monkeypatch):
    monkeypatch.setenv("VARIANT_NAME", "canary")
    expect_package(sagemaker)
    expect_endpoint(sagemaker)
    with pytest.raises(ValueError, match="no variant 'canary'"):
        handler.handler(approved_event())


def test_m6_other_sagemaker_errors_fail_the_invocation(sagemaker):
    expect_package(sagemaker)
    expect_endpoint(sagemaker)
    sagemaker.add_client_error("create_model", "ResourceLimitExceeded", "too many models")
    with pytest.raises(handler.ClientError, match="ResourceLimitExceeded"):
        handler.handler(approved_event())
