"""API Gateway -> Lambda -> SageMaker endpoint (pattern E11).

POST /predict with {"instances": [{feature: value, ...}, ...]}. The function turns the
instances into CSV rows in the model's feature order, calls InvokeEndpoint through the VPC's
sagemaker.runtime interface endpoint, and answers with one purchase probability per
instance and the variant that served it. A caller may pin a variant for testing with the
X-Target-Variant header (only configured variants are accepted).

SageMaker's errors map to HTTP answers a client can act on: a model error is 502 (with the
container's status), bad input 400, throttling 429, an endpoint not ready or unavailable 503.
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

FEATURES = (
    "session_seconds",
    "pages_viewed",
    "cart_items",
    "price_eur",
    "days_since_last_visit",
    "is_returning",
)
MAX_INSTANCES = 100
ERROR_STATUS = {
    "ModelError": 502,
    "ValidationError": 400,
    "ThrottlingException": 429,
    "ModelNotReadyException": 503,
    "ServiceUnavailable": 503,
    "InternalFailure": 502,
    "InternalDependencyException": 502,
}

_client = None


def client():
    """One SageMaker runtime client per container, with bounded retries and timeouts."""
    global _client
    if _client is None:
        _client = boto3.client(
            "sagemaker-runtime",
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=20),
        )
    return _client


def response(status: int, body: dict, headers: dict | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


class BadRequest(ValueError):
    pass


def to_csv(payload: object) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("instances"), list):
        raise BadRequest('expected {"instances": [{feature: value, ...}, ...]}')
    instances = payload["instances"]
    if not 1 <= len(instances) <= MAX_INSTANCES:
        raise BadRequest(f"send 1 to {MAX_INSTANCES} instances")
    rows = []
    for index, instance in enumerate(instances):
        if not isinstance(instance, dict):
            raise BadRequest(f"instance {index} is not an object")
        missing = [name for name in FEATURES if name not in instance]
        if missing:
            raise BadRequest(f"instance {index} lacks {', '.join(missing)}")
        values = [instance[name] for name in FEATURES]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise BadRequest(f"instance {index}: features must be numbers")
        rows.append(",".join(repr(float(v)) for v in values))
    return "\n".join(rows) + "\n"


def target_variant(event: dict) -> str | None:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    variant = headers.get("x-target-variant")
    if variant is None:
        return None
    allowed = [v for v in os.environ.get("ALLOWED_VARIANTS", "").split(",") if v]
    if variant not in allowed:
        raise BadRequest(f"X-Target-Variant must be one of {', '.join(allowed)}")
    return variant


def handler(event: dict, _context: object = None) -> dict:
    try:
        body = to_csv(json.loads(event.get("body") or "null"))
        variant = target_variant(event)
    except (json.JSONDecodeError, BadRequest) as error:
        return response(400, {"message": str(error)})
    request = {
        "EndpointName": os.environ["ENDPOINT_NAME"],
        "ContentType": "text/csv",
        "Accept": "text/csv",
        "Body": body.encode(),
    }
    if variant:
        request["TargetVariant"] = variant
    try:
        result = client().invoke_endpoint(**request)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        status = ERROR_STATUS.get(code, 500)
        detail = {"message": error.response["Error"].get("Message", code), "error": code}
        if code == "ModelError":
            detail["modelStatus"] = error.response.get("OriginalStatusCode")
        LOG.warning(json.dumps({"invoke_endpoint_error": code, "status": status}))
        return response(status, detail)
    scores = [float(s) for s in result["Body"].read().decode().replace("\n", ",").split(",") if s.strip()]
    served_by = result.get("InvokedProductionVariant", "")
    return response(
        200,
        {"predictions": [{"purchase_probability": s} for s in scores], "variant": served_by},
        {"X-Invoked-Variant": served_by},
    )
