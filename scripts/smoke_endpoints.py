"""Smoke checks of the SageMaker endpoints, their scaling and their alarms."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from ml_constructs.runtime.inference_api.handler import FEATURES
from scripts.smoke_common import ASYNC_INPUT_PREFIX, SAMPLE_ROW, CheckFailed


class EndpointChecks:
    """The checks of the endpoints, their scaling and alarms, mixed into Smoke (scripts/smoke.py)."""

    def csv_row(self) -> bytes:
        return (",".join(repr(float(SAMPLE_ROW[name])) for name in FEATURES) + "\n").encode()

    def invoke(self, endpoint: str, variant: str | None = None, *, json_body: bool = False) -> str:
        """One InvokeEndpoint: a CSV row in the models' feature order, or the inference pipeline's JSON."""
        if json_body:
            payload, content_type = json.dumps({"instances": [SAMPLE_ROW]}).encode(), "application/json"
        else:
            payload, content_type = self.csv_row(), "text/csv"
        request = {"EndpointName": endpoint, "ContentType": content_type, "Accept": content_type, "Body": payload}
        if variant:
            request["TargetVariant"] = variant
        answer = self.clients("sagemaker-runtime").invoke_endpoint(**request)
        body = answer["Body"].read().decode().strip()
        served = answer.get("InvokedProductionVariant", "?")
        if variant and served != variant:
            raise CheckFailed(f"{endpoint}: asked for variant {variant}, served by {served}")
        return f"{endpoint} answered {body[:200]!r} (variant {served})"

    def check_endpoints(self) -> None:
        inference = self.config.inference
        prefix = self.names.prefix
        realtime = inference.active_realtime
        for variant in realtime.variants if realtime else []:
            self.run_check(
                f"endpoint realtime/{variant.name}", lambda v=variant.name: self.invoke(f"{prefix}realtime", v)
            )
        if inference.active_shadow_test is not None:
            self.run_check("endpoint shadow-test", lambda: self.invoke(f"{prefix}shadow-test"))
        if inference.serverless.enabled:
            self.run_check("endpoint serverless", lambda: self.invoke(f"{prefix}serverless"))
        if inference.asynchronous.enabled:
            self.run_check("endpoint async", self.check_async, denied_hint=self.s3_hint("inference"))
        if inference.pipeline.enabled:  # preprocess (JSON in) -> XGBoost -> postprocess (JSON out)
            self.run_check("endpoint pipeline", lambda: self.invoke(f"{prefix}pipeline", json_body=True))

    def check_async(self) -> str:
        bucket = self.names.bucket("inference")
        key = f"{ASYNC_INPUT_PREFIX}smoke-{self.today:%Y%m%dT%H%M%S}.csv"
        s3 = self.clients("s3")
        s3.put_object(Bucket=bucket, Key=key, Body=self.csv_row(), ContentType="text/csv")
        endpoint = f"{self.names.prefix}async"
        answer = self.clients("sagemaker-runtime").invoke_endpoint_async(
            EndpointName=endpoint, InputLocation=f"s3://{bucket}/{key}", ContentType="text/csv", Accept="text/csv"
        )
        locations = {"result": answer["OutputLocation"], "failure": answer.get("FailureLocation")}

        def exists(uri: str | None) -> bool:
            if not uri:
                return False
            where, _, path = uri.removeprefix("s3://").partition("/")
            try:
                s3.head_object(Bucket=where, Key=path)
            except ClientError as error:
                if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

        def outcome() -> str | None:
            for kind, uri in locations.items():
                if exists(uri):
                    return kind
            return None

        # From zero instances the first one takes minutes (scale from zero on the backlog alarm).
        kind = self.wait("endpoint async", f"the result at {locations['result']}", outcome)
        if kind == "failure":
            raise CheckFailed(f"{endpoint} wrote a failure to {locations['failure']}")
        return f"{endpoint} wrote its result to {locations['result']}"

    def scaled_variants(self) -> list[tuple[str, str]]:
        """(endpoint, variant) of every autoscaled variant: production variants of the instance endpoints."""
        inference = self.config.inference
        prefix = self.names.prefix
        realtime, shadow = inference.active_realtime, inference.active_shadow_test
        scaled = [(f"{prefix}realtime", v.name) for v in realtime.variants] if realtime else []
        if shadow is not None:
            scaled += [(f"{prefix}shadow-test", v.name) for v in shadow.variants]
        if inference.asynchronous.enabled:
            scaled.append((f"{prefix}async", "async"))
        if inference.pipeline.enabled:
            scaled.append((f"{prefix}pipeline", "pipeline"))
        return scaled

    def check_scaling(self) -> str:
        expected = [f"endpoint/{e}/variant/{v}" for e, v in self.scaled_variants()]
        found: dict[str, dict] = {}
        paginator = self.clients("application-autoscaling").get_paginator("describe_scalable_targets")
        for start in range(0, len(expected), 50):
            for page in paginator.paginate(
                ServiceNamespace="sagemaker",
                ResourceIds=expected[start : start + 50],
                ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            ):
                for target in page.get("ScalableTargets", []):
                    found[target["ResourceId"]] = target
        missing = [r for r in expected if r not in found]
        if missing:
            raise CheckFailed(f"no scalable target for {', '.join(missing)}")
        suspended = [r for r, t in found.items() if any(t.get("SuspendedState", {}).values())]
        if suspended:
            raise CheckFailed(f"scaling suspended for {', '.join(sorted(suspended))}")
        ranges = ", ".join(f"{r} {found[r]['MinCapacity']}-{found[r]['MaxCapacity']}" for r in expected)
        return f"{len(expected)} scalable targets registered ({ranges})"

    def expected_alarms(self) -> list[str]:
        inference = self.config.inference
        prefix = self.names.prefix
        kinds = ("latency", "errors5xx", "errors4xx")
        realtime, shadow = inference.active_realtime, inference.active_shadow_test
        endpoints = [(f"{prefix}realtime", [*realtime.variants, *realtime.shadow_variants])] if realtime else []
        if shadow is not None:
            endpoints.append((f"{prefix}shadow-test", [*shadow.variants, *shadow.shadow_variants]))
        names = [f"{e}-{v.name}-{k}" for e, variants in endpoints for v in variants for k in kinds]
        if inference.asynchronous.enabled:
            names += [f"{prefix}async-async-{k}" for k in (*kinds, "waiting-at-zero")]
        if inference.pipeline.enabled:
            names += [f"{prefix}pipeline-pipeline-{k}" for k in kinds]
        return names

    def check_alarms(self) -> str:
        expected = self.expected_alarms()
        found: dict[str, dict] = {}
        paginator = self.clients("cloudwatch").get_paginator("describe_alarms")
        for page in paginator.paginate(AlarmNamePrefix=self.names.prefix, AlarmTypes=["MetricAlarm"]):
            for alarm in page.get("MetricAlarms", []):
                found[alarm["AlarmName"]] = alarm
        missing = [n for n in expected if n not in found]
        if missing:
            raise CheckFailed(f"{len(missing)} alarm(s) missing: {', '.join(missing)}")
        disabled = [n for n in expected if not found[n].get("ActionsEnabled", False)]
        if disabled:
            raise CheckFailed(f"actions disabled on {', '.join(disabled)}")
        in_alarm = [n for n in expected if found[n].get("StateValue") == "ALARM"]
        state = f"; in ALARM now: {', '.join(in_alarm)}" if in_alarm else ""
        return f"{len(expected)} alarms exist with actions enabled{state}"
