"""Smoke check of the inference REST API: POST /predict signed with SigV4."""

from __future__ import annotations

import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from scripts.smoke_common import API_STAGE, SAMPLE_ROW, CheckFailed


class ApiChecks:
    """The checks of the REST API, mixed into Smoke (scripts/smoke.py)."""

    def api_url(self) -> str:
        stack = self.names.stack("inference")
        outputs = self.clients("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
        for output in outputs:
            value = output.get("OutputValue", "")
            if "Endpoint" in output.get("OutputKey", "") and ".execute-api." in value:
                return value.rstrip("/") + "/predict"
        name = f"{self.names.prefix}inference"
        for page in self.clients("apigateway").get_paginator("get_rest_apis").paginate():
            for api in page.get("items", []):
                if api["name"] == name:
                    return f"https://{api['id']}.execute-api.{self.config.region}.amazonaws.com/{API_STAGE}/predict"
        raise CheckFailed(f"not found: REST API {name} (no API URL among the outputs of {stack})")

    def check_api(self) -> str:
        url = self.api_url()
        if self.config.inference.api.access == "private" and not self.from_vpc:
            raise CheckFailed(
                f"{url} is a private API that answers only through the VPC's execute-api endpoint; run the "
                "smoke test inside the VPC (the access host) with --from-vpc"
            )
        if self.credentials is None:
            raise CheckFailed("no credentials to sign the request with")
        body = json.dumps({"instances": [SAMPLE_ROW]}).encode()
        request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(self.credentials, "execute-api", self.config.region).add_auth(request)
        try:
            status, answer = self.http("POST", url, dict(request.headers.items()), body)
        except OSError as error:
            raise CheckFailed(f"cannot reach {url}: {error}") from None
        text = answer.decode(errors="replace")
        if status != 200:
            raise CheckFailed(f"POST {url} answered HTTP {status}: {text[:200]}")
        try:
            predictions = json.loads(text)["predictions"]
        except (ValueError, KeyError, TypeError):
            raise CheckFailed(f"POST {url} answered 200 without predictions: {text[:200]}") from None
        return f"POST {url} answered {predictions}"
