"""The inference API's Lambda handler against SageMaker runtime's real API shapes (pattern E11).

botocore's Stubber checks every request against the service model, and returns the
service's own error codes; the handler runs unchanged against a real endpoint.
"""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ml_constructs.runtime.inference_api import handler

INSTANCE = {
    "session_seconds": 240.0,
    "pages_viewed": 7,
    "cart_items": 2,
    "price_eur": 19.9,
    "days_since_last_visit": 3.5,
    "is_returning": 1,
}
CSV = b"240.0,7.0,2.0,19.9,3.5,1.0\n"
# The function's environment as the sandbox's Inference stack sets it (tests/test_authz_handlers.py checks).
ENDPOINT = "secure-ml-sandbox-realtime"
ALLOWED_VARIANTS = "champion,challenger"


@pytest.fixture
def runtime(monkeypatch):
    client = boto3.client(
        "sagemaker-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(handler, "_client", client)
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("ALLOWED_VARIANTS", ALLOWED_VARIANTS)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def event(body: object = None, headers: dict | None = None) -> dict:
    return {
        "resource": "/predict",
        "path": "/predict",
        "httpMethod": "POST",
        "headers": headers or {"Content-Type": "application/json"},
        "requestContext": {"identity": {"userArn": "arn:aws:sts::123456789012:assumed-role/app/session"}},
        "body": json.dumps(body if body is not None else {"instances": [INSTANCE]}),
        "isBase64Encoded": False,
    }


def expect_invoke(
    stubber, body: bytes = CSV, variant: str | None = None, answer: bytes = b"0.83\n", served: str = "champion"
):
    request = {
        "EndpointName": ENDPOINT,
        "ContentType": "text/csv",
        "Accept": "text/csv",
        "Body": body,
    }
    if variant:
        request["TargetVariant"] = variant
    stubber.add_response(
        "invoke_endpoint",
        {
            "Body": StreamingBody(io.BytesIO(answer), len(answer)),
            "ContentType": "text/csv",
            "InvokedProductionVariant": served,
        },
        request,
    )


def answer(result: dict) -> tuple[int, dict]:
    return result["statusCode"], json.loads(result["body"])


def test_e11_prediction_through_the_endpoint(runtime):
    expect_invoke(runtime)
    status, body = answer(handler.handler(event()))
    assert status == 200
    assert body == {"predictions": [{"purchase_probability": 0.83}], "variant": "champion"}


def test_e11_several_instances_in_feature_order(runtime):
    second = {**INSTANCE, "cart_items": 0, "is_returning": 0}
    expect_invoke(runtime, body=CSV + b"240.0,7.0,0.0,19.9,3.5,0.0\n", answer=b"0.83\n0.12\n")
    result = handler.handler(event({"instances": [INSTANCE, second]}))
    assert answer(result)[1]["predictions"] == [{"purchase_probability": 0.83}, {"purchase_probability": 0.12}]
    assert result["headers"]["X-Invoked-Variant"] == "champion"


def test_e11_caller_may_pin_a_configured_variant(runtime):
    expect_invoke(runtime, variant="challenger", served="challenger")
    status, body = answer(handler.handler(event(headers={"x-target-variant": "challenger"})))
    assert (status, body["variant"]) == (200, "challenger")


def test_e11_pinning_an_unknown_variant_is_refused_before_any_call(runtime):
    status, body = answer(handler.handler(event(headers={"X-Target-Variant": "shadow"})))
    assert status == 400 and "champion, challenger" in body["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rows": []}, "expected"),
        ({"instances": []}, "send 1 to 100 instances"),
        ({"instances": [{"session_seconds": 1}]}, "lacks pages_viewed"),
        ({"instances": [{**INSTANCE, "price_eur": "cheap"}]}, "must be numbers"),
        ({"instances": [{**INSTANCE, "is_returning": True}]}, "must be numbers"),
    ],
)
def test_e11_bad_requests_are_400_without_calling_the_endpoint(runtime, body, message):
    status, answer_body = answer(handler.handler(event(body)))
    assert status == 400 and message in answer_body["message"]


def test_e11_body_that_is_not_json(runtime):
    bad = event()
    bad["body"] = "{not json"
    assert handler.handler(bad)["statusCode"] == 400


@pytest.mark.parametrize(
    ("code", "http_status", "status"),
    [
        ("ValidationError", 400, 400),
        ("ThrottlingException", 400, 429),
        ("ModelNotReadyException", 429, 503),
        ("ServiceUnavailable", 503, 503),
        ("InternalFailure", 500, 502),
        ("InternalDependencyException", 424, 502),
        ("AccessDeniedException", 403, 500),
    ],
)
def test_e11_endpoint_errors_map_to_what_a_client_can_act_on(runtime, code, http_status, status):
    runtime.add_client_error(
        "invoke_endpoint", service_error_code=code, service_message=f"{code} happened", http_status_code=http_status
    )
    result_status, body = answer(handler.handler(event()))
    assert (result_status, body["error"]) == (status, code)


def test_e11_model_error_passes_the_containers_status(runtime):
    runtime.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message="Received server error (500) from primary",
        http_status_code=424,
        modeled_fields={"OriginalStatusCode": 500, "OriginalMessage": "boom", "LogStreamArn": "arn:aws:logs:x"},
    )
    status, body = answer(handler.handler(event()))
    assert status == 502
    assert body == {"message": "Received server error (500) from primary", "error": "ModelError", "modelStatus": 500}


def test_e11_client_is_built_once_with_bounded_retries(monkeypatch):
    monkeypatch.setattr(handler, "_client", None)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    first = handler.client()
    assert handler.client() is first
    assert first.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}  # 2 retries
    assert first.meta.config.read_timeout == 20
