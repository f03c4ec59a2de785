"""Smoke test of a deployed profile: does each part of the platform answer? (`make smoke`)

    python -m scripts.smoke --profile sandbox [--config path.yaml] [--timeout-minutes N] [--from-vpc]

Run after `make deploy`. Each check prints one line, `PASS <check>: <reason>` or
`FAIL <check>: <reason>`, with a progress line every minute of a long wait and a timeout per
wait (`--timeout-minutes`, default 20); a summary follows. The exit code is 0 when every check
passed, 1 when any failed, 2 when the profile or the credentials are unusable. Checks follow
the profile's switches (a component that is off is not checked); none is skipped silently.

Checks, in order:

- ingestion: sample events (the lake schema, ml_constructs/runtime/lake/schema.py) to the Kinesis
  stream `<prefix>events` (or to the Firehose delivery stream of the same name by Direct PUT when
  `ingestion.stream.enabled` is false), then waits for new objects under the raw zone's partition
  prefix `events/year=YYYY/month=MM/day=DD/` (Firehose buffers up to `ingestion.delivery.buffer_seconds`);
- crawler: starts `<prefix>lake-crawler` and waits for READY and a successful last crawl;
- athena-query: runs the named query `ingested-events-per-hour-for-day` of the workgroup `<prefix>lake`
  for today's partition and waits for SUCCEEDED;
- endpoint realtime/<variant>: InvokeEndpoint with TargetVariant, once per production variant; then
  the shadow-test endpoint (its production variant answers, the shadow gets a copy), the serverless
  endpoint, the asynchronous endpoint (an input object under `async/inputs/` of the inference
  bucket, InvokeEndpointAsync, then the result or failure object) and the inference-pipeline
  endpoint (JSON instances through preprocess, the model and postprocess);
- api: POST /predict signed with SigV4 (service execute-api). A private API (`inference.api.access:
  private`) answers only inside the VPC: pass `--from-vpc` when running there (the access host);
  without it the check fails and says so;
- scaling: every autoscaled variant has its scalable target (Application Auto Scaling);
- alarms: every endpoint alarm exists and has its actions enabled;
- training-pipeline: StartPipelineExecution, then the status of its first step.

The lake and data buckets admit requests only through the project's S3 VPC endpoint (N10). From
outside the VPC only the CDK deploy role (`cdk-<qualifier>-cfn-exec-role-<account>-<region>`), the
account's AWS service-linked roles and the stack's auto-delete provider may use them (the raw zone
also admits the Firehose delivery role; the inference bucket the inference execution role). The S3
steps (ingestion, asynchronous input and output) therefore fail with AccessDenied elsewhere, and the
check says to run from inside the VPC or with the deploy role.

IAM permissions the smoke test needs (for the README):

    sts:GetCallerIdentity
    cloudformation:DescribeStacks                         (the inference stack's API URL output)
    kinesis:PutRecords  or  firehose:PutRecordBatch       (with the data key: kms:GenerateDataKey)
    s3:ListBucket (raw zone), s3:PutObject + s3:GetObject (inference bucket, async/), kms:Encrypt,
        kms:Decrypt, kms:GenerateDataKey on the data key
    glue:StartCrawler, glue:GetCrawler
    athena:ListNamedQueries, athena:GetNamedQuery, athena:StartQueryExecution, athena:GetQueryExecution,
        plus glue:GetDatabase/GetTable/GetPartitions and S3 read of the lake and write of the results
    sagemaker:InvokeEndpoint, sagemaker:InvokeEndpointAsync
    apigateway:GET (/restapis, the fallback lookup of the API), execute-api:Invoke on POST /predict
    application-autoscaling:DescribeScalableTargets
    cloudwatch:DescribeAlarms
    sagemaker:StartPipelineExecution, sagemaker:ListPipelineExecutionSteps (the pipeline runs as its own
        role: no iam:PassRole)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TextIO

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from config.model import ProjectConfig
from config.names import resource_prefix, stack_name
from ml_constructs.runtime.inference_api.handler import FEATURES
from ml_constructs.runtime.lake import schema
from scripts.profile_args import add_profile_arguments, load_selected

# Mirrors of stacks/naming.py and ml_constructs/lake_catalog.py, which import aws_cdk (seconds of
# start-up); tests/test_smoke.py checks that they agree.
RAW_PREFIX = "events/"
ASYNC_INPUT_PREFIX = "async/inputs/"
LAKE_QUERY = "ingested-events-per-hour-for-day"
API_STAGE = "v1"
CLOCK_SKEW_SECONDS = 30  # objects older than the send time by more than this are from earlier runs

PASS, FAIL = "PASS", "FAIL"
SAMPLE_ROW = {  # a returning visitor with items in the cart (models/data/sessions.csv's columns)
    "session_seconds": 298.5,
    "pages_viewed": 6,
    "cart_items": 2,
    "price_eur": 26.84,
    "days_since_last_visit": 13.3,
    "is_returning": 1,
}
THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
}
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
NOT_FOUND = {
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NoSuchBucket",
    "NoSuchKey",
    "NotFoundException",
    "EntityNotFoundException",
    "StreamNotFound",
    "404",
}
ENDPOINT_ERRORS = {"ModelError", "ModelNotReadyException", "ServiceUnavailable", "InternalFailure"}

ClientFactory = Callable[[str], Any]
HttpSender = Callable[[str, str, dict, bytes], tuple[int, bytes]]


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class CheckFailed(Exception):
    """A check's failure with the reason to print."""


def session_client_factory(session: Any) -> ClientFactory:
    """Clients of `session`, with standard retries (throttling backs off) and bounded timeouts."""
    config = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=70)
    cache: dict[str, Any] = {}

    def factory(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, config=config)
        return cache[service]

    return factory


def urllib_sender(method: str, url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - https URL built here
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def describe_error(error: Exception, *, denied_hint: str = "", not_found_hint: str = "") -> str:
    """One line for an AWS error: access denied, not found, throttled, an endpoint error, or other."""
    if isinstance(error, CheckFailed):
        return str(error)
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
        operation = error.operation_name
        if code in DENIED:
            return f"access denied ({operation}: {message or code}){'; ' + denied_hint if denied_hint else ''}"
        if code in NOT_FOUND or "not found" in message.lower() or "does not exist" in message.lower():
            hint = not_found_hint or "is the profile deployed (make deploy) in this account and region?"
            return f"not found ({operation}: {message or code}); {hint}"
        if code in THROTTLING:
            return f"throttled ({operation}: {code}) after the standard retries; rerun later or raise the quota"
        if code in ENDPOINT_ERRORS:
            status = error.response.get("OriginalStatusCode")
            extra = f", container status {status}" if status else ""
            return f"endpoint error {code}{extra}: {message}"
        return f"{operation} failed: {code}: {message}"
    if isinstance(error, BotoCoreError):
        return f"cannot call AWS: {' '.join(str(error).split())}"
    return f"{type(error).__name__}: {error}"


@dataclass
class Result:
    check: str
    status: str
    reason: str


@dataclass
class Names:
    """Physical names of the profile (stacks/naming.py)."""

    config: ProjectConfig
    account: str

    @property
    def prefix(self) -> str:
        return resource_prefix(self.config)

    def stack(self, suffix: str) -> str:
        return stack_name(self.config, suffix)

    def bucket(self, purpose: str) -> str:
        return f"{self.prefix}{purpose}-{self.account}-{self.config.region}"

    def glue(self, suffix: str) -> str:
        return f"{self.config.project_name}_{self.config.profile}_{suffix}".replace("-", "_")

    def deploy_role(self) -> str:
        qualifier = self.config.deploy.bootstrap_qualifier
        return f"cdk-{qualifier}-cfn-exec-role-{self.account}-{self.config.region}"

    @property
    def training_pipeline(self) -> str:
        return f"{self.prefix}training"


@dataclass
class Smoke:
    config: ProjectConfig
    clients: ClientFactory
    clock: Clock
    out: TextIO
    timeout_seconds: float = 20 * 60
    poll_seconds: float = 15
    progress_seconds: float = 60
    from_vpc: bool = False
    http: HttpSender = urllib_sender
    credentials: Any = None
    account: str | None = None
    results: list[Result] = field(default_factory=list)
    today: datetime | None = None

    # -- reporting ---------------------------------------------------------------------------------

    def report(self, check: str, status: str, reason: str) -> None:
        self.results.append(Result(check, status, reason))
        print(f"{status} {check}: {reason}", file=self.out, flush=True)

    def run_check(self, check: str, body: Callable[[], str], **hints: str) -> bool:
        try:
            reason = body()
        except (ClientError, BotoCoreError, CheckFailed) as error:
            self.report(check, FAIL, describe_error(error, **hints))
            return False
        except (KeyError, IndexError, TypeError, ValueError) as error:  # an answer not shaped as documented
            self.report(check, FAIL, f"unexpected answer: {type(error).__name__}: {error}")
            return False
        self.report(check, PASS, reason)
        return True

    def wait(self, check: str, what: str, probe: Callable[[], str | None]) -> str:
        """Call `probe` until it returns a value, printing progress; CheckFailed on timeout."""
        start = self.clock.now()
        last_progress = start
        while True:
            value = probe()
            if value is not None:
                return value
            now = self.clock.now()
            elapsed = now - start
            if elapsed >= self.timeout_seconds:
                raise CheckFailed(f"timed out after {_duration(elapsed)} waiting for {what}")
            if now - last_progress >= self.progress_seconds:
                print(
                    f"  ... {check}: waiting for {what} ({_duration(elapsed)} of {_duration(self.timeout_seconds)})",
                    file=self.out,
                    flush=True,
                )
                last_progress = now
            self.clock.sleep(min(self.poll_seconds, max(self.timeout_seconds - elapsed, 0.001)))

    # -- the run -----------------------------------------------------------------------------------

    def run(self) -> int:
        self.today = self.today or datetime.now(UTC)
        if self.account is None:
            try:
                self.account = self.config.account or self.clients("sts").get_caller_identity()["Account"]
            except (ClientError, BotoCoreError) as error:
                self.report("identity", FAIL, describe_error(error))
                return self.summary()
        self.names = Names(self.config, self.account)
        ingestion = self.config.ingestion
        if ingestion.enabled:
            self.run_check("ingestion", self.check_ingestion, denied_hint=self.s3_hint("raw"))
            self.run_check("crawler", self.check_crawler)
            self.run_check("athena-query", self.check_athena)
        inference = self.config.inference
        if inference.enabled:
            self.check_endpoints()
            if inference.api.enabled:
                self.run_check("api", self.check_api)
            self.run_check("scaling", self.check_scaling)
            self.run_check("alarms", self.check_alarms)
        if self.config.pipelines.enabled:
            self.run_check("training-pipeline", self.check_training_pipeline)
        return self.summary()

    def summary(self) -> int:
        failed = [r for r in self.results if r.status == FAIL]
        passed = len(self.results) - len(failed)
        line = f"smoke {self.config.profile}: {passed} passed, {len(failed)} failed"
        if failed:
            line += f" ({', '.join(r.check for r in failed)})"
        print(line, file=self.out, flush=True)
        return 1 if failed else 0

    def s3_hint(self, purpose: str) -> str:
        return (
            f"the bucket {self.names.bucket(purpose)} admits only requests through the project's S3 VPC endpoint; "
            f"from outside the VPC only the deploy role {self.names.deploy_role()}, AWS service-linked roles "
            "and the stack's auto-delete provider may use it: run from inside the VPC (the access host) "
            "or with the deploy role"
        )

    # -- ingestion and the lake --------------------------------------------------------------------

    def sample_events(self, count: int = 5) -> list[dict]:
        stamp = self.today.strftime("%Y%m%dT%H%M%S")
        types = schema.EVENT_TYPES
        events = []
        for n in range(count):
            event_type = types[n % len(types)]
            events.append(
                {
                    "event_id": f"smoke-{stamp}-{n}",
                    "event_time": self.today.isoformat().replace("+00:00", "Z"),
                    "event_type": event_type,
                    "customer_id": "smoke-customer",
                    "product_id": f"smoke-product-{n}",
                    "category": "smoke",
                    "quantity": 0 if event_type == "view" else 1,
                    "price": 9.99,
                    "channel": "web",
                }
            )
        return events

    def partition_prefix(self) -> str:
        day = self.today
        return f"{RAW_PREFIX}year={day:%Y}/month={day:%m}/day={day:%d}/"

    def check_ingestion(self) -> str:
        events = self.sample_events()
        stream_name = f"{self.names.prefix}events"
        payloads = [(json.dumps(e) + "\n").encode() for e in events]
        if self.config.ingestion.stream.enabled:
            answer = self.clients("kinesis").put_records(
                StreamName=stream_name,
                Records=[{"Data": p, "PartitionKey": e["event_id"]} for p, e in zip(payloads, events, strict=True)],
            )
            target = f"Kinesis stream {stream_name}"
        else:
            answer = self.clients("firehose").put_record_batch(
                DeliveryStreamName=stream_name, Records=[{"Data": p} for p in payloads]
            )
            target = f"Firehose stream {stream_name} (Direct PUT)"
        failed = answer.get("FailedRecordCount", answer.get("FailedPutCount", 0))
        if failed:
            raise CheckFailed(f"{failed} of {len(events)} records rejected by {target}")
        bucket = self.names.bucket("raw")
        prefix = self.partition_prefix()
        sent_at = self.today - timedelta(seconds=CLOCK_SKEW_SECONDS)
        s3 = self.clients("s3")

        def new_object() -> str | None:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    if item["LastModified"] >= sent_at:
                        return item["Key"]
            return None

        key = self.wait("ingestion", f"Parquet objects under s3://{bucket}/{prefix}", new_object)
        return f"{len(events)} events to {target}; Parquet object s3://{bucket}/{key}"

    def check_crawler(self) -> str:
        glue = self.clients("glue")
        name = f"{self.names.prefix}lake-crawler"
        try:
            glue.start_crawler(Name=name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "CrawlerRunningException":
                raise

        def finished() -> str | None:
            crawler = glue.get_crawler(Name=name)["Crawler"]
            if crawler.get("State") != "READY":
                return None
            return crawler.get("LastCrawl", {}).get("Status", "UNKNOWN")

        status = self.wait("crawler", f"crawler {name} to be READY", finished)
        if status != "SUCCEEDED":
            raise CheckFailed(f"crawler {name} finished with {status}")
        return f"crawler {name} ran and is READY (last crawl SUCCEEDED)"

    def check_athena(self) -> str:
        athena = self.clients("athena")
        workgroup = f"{self.names.prefix}lake"
        ids: list[str] = []
        for page in athena.get_paginator("list_named_queries").paginate(WorkGroup=workgroup):
            ids += page.get("NamedQueryIds", [])
        query = None
        for query_id in ids:
            named = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
            if named["Name"] == LAKE_QUERY:
                query = named
                break
        if query is None:
            raise CheckFailed(f"not found: named query {LAKE_QUERY} in workgroup {workgroup}")
        day = self.today
        execution = athena.start_query_execution(
            QueryString=query["QueryString"],
            QueryExecutionContext={"Database": query["Database"]},
            WorkGroup=workgroup,
            ExecutionParameters=[f"'{day:%Y}'", f"'{day:%m}'", f"'{day:%d}'"],
        )["QueryExecutionId"]

        def done() -> str | None:
            status = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Status"]
            if status["State"] in ("QUEUED", "RUNNING"):
                return None
            return json.dumps(status)

        status = json.loads(self.wait("athena-query", f"query {execution}", done))
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason", "no reason given")
            raise CheckFailed(f"named query {LAKE_QUERY} {status['State']}: {reason}")
        return f"named query {LAKE_QUERY} SUCCEEDED in workgroup {workgroup} ({execution})"

    # -- inference ---------------------------------------------------------------------------------

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
        for variant in inference.realtime.variants:
            self.run_check(
                f"endpoint realtime/{variant.name}", lambda v=variant.name: self.invoke(f"{prefix}realtime", v)
            )
        shadow = inference.shadow_test
        if shadow is not None and shadow.enabled:
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

    def scaled_variants(self) -> list[tuple[str, str]]:
        """(endpoint, variant) of every autoscaled variant: production variants of the instance endpoints."""
        inference = self.config.inference
        prefix = self.names.prefix
        scaled = [(f"{prefix}realtime", v.name) for v in inference.realtime.variants]
        if inference.shadow_test is not None and inference.shadow_test.enabled:
            scaled += [(f"{prefix}shadow-test", v.name) for v in inference.shadow_test.variants]
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
        endpoints = [(f"{prefix}realtime", [*inference.realtime.variants, *inference.realtime.shadow_variants])]
        if inference.shadow_test is not None and inference.shadow_test.enabled:
            shadow = inference.shadow_test
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

    def check_training_pipeline(self) -> str:
        sagemaker = self.clients("sagemaker")
        name = self.names.training_pipeline
        arn = sagemaker.start_pipeline_execution(
            PipelineName=name,
            PipelineExecutionDisplayName=f"smoke-{self.today:%Y%m%d-%H%M%S}",
            PipelineExecutionDescription="make smoke",
        )["PipelineExecutionArn"]

        def first_step() -> str | None:
            steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn, SortOrder="Ascending")
            listed = steps.get("PipelineExecutionSteps", [])
            return json.dumps(listed[0]) if listed else None

        step = json.loads(self.wait("training-pipeline", f"the first step of {arn}", first_step))
        status = step.get("StepStatus", "Unknown")
        if status in ("Failed", "Stopped", "Stopping"):
            raise CheckFailed(f"{name}: first step {step['StepName']} {status}: {step.get('FailureReason', '')}")
        return f"{name} started ({arn}); first step {step['StepName']}: {status}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 < value <= 24 * 60:
        raise argparse.ArgumentTypeError("give 0 < minutes <= 1440")
    return value


def parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.smoke", description=__doc__.split("\n\n")[0])
    add_profile_arguments(parser)
    parser.add_argument("--timeout-minutes", type=_minutes, default=20, help="limit of each wait (default 20)")
    parser.add_argument(
        "--from-vpc", action="store_true", help="running inside the VPC (the access host): call the private API"
    )
    return parser.parse_args(list(argv) if argv is not None else None)


def _default_session(region: str) -> Any:
    from scripts.aws_session import session_or_exit

    return session_or_exit(region)


def main(
    argv: Iterable[str] | None = None,
    *,
    client_factory: ClientFactory | None = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
    http: HttpSender | None = None,
    credentials: Any = None,
    today: datetime | None = None,
) -> int:
    args = parse_args(argv)
    out = out or sys.stdout
    config = load_selected(args)
    if config is None:
        return 2
    if client_factory is None:
        try:
            session = _default_session(config.region)
        except SystemExit as stop:
            return int(stop.code or 2)
        client_factory = session_client_factory(session)
        credentials = session.get_credentials()
    smoke = Smoke(
        config=config,
        clients=client_factory,
        clock=clock or SystemClock(),
        out=out,
        timeout_seconds=args.timeout_minutes * 60,
        from_vpc=args.from_vpc,
        http=http or urllib_sender,
        credentials=credentials,
        today=today,
    )
    return smoke.run()


if __name__ == "__main__":
    sys.exit(main())
