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

IAM permissions the smoke test needs (docs/deploy.md lists them):

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
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from config.model import ProjectConfig
from config.names import resource_prefix, stack_name
from ml_constructs.runtime.inference_api.handler import FEATURES
from ml_constructs.runtime.lake import schema
from scripts.profile_args import add_profile_arguments, load_selected
from scripts.smoke_api import ApiChecks
from scripts.smoke_common import (
    API_STAGE,
    ASYNC_INPUT_PREFIX,
    CLOCK_SKEW_SECONDS,
    DENIED,
    ENDPOINT_ERRORS,
    FAIL,
    LAKE_QUERY,
    NOT_FOUND,
    PASS,
    RAW_PREFIX,
    SAMPLE_ROW,
    THROTTLING,
    CheckFailed,
    ClientFactory,
    Clock,
    HttpSender,
    Names,
    Result,
    SystemClock,
    _duration,
    describe_error,
    session_client_factory,
    urllib_sender,
)
from scripts.smoke_endpoints import EndpointChecks
from scripts.smoke_lake import LakeChecks
from scripts.smoke_pipeline import PipelineChecks

__all__ = [
    "FEATURES",
    "resource_prefix",
    "schema",
    "stack_name",
    "API_STAGE",
    "ASYNC_INPUT_PREFIX",
    "CLOCK_SKEW_SECONDS",
    "DENIED",
    "ENDPOINT_ERRORS",
    "FAIL",
    "LAKE_QUERY",
    "NOT_FOUND",
    "PASS",
    "RAW_PREFIX",
    "SAMPLE_ROW",
    "THROTTLING",
    "ApiChecks",
    "CheckFailed",
    "ClientFactory",
    "Clock",
    "EndpointChecks",
    "HttpSender",
    "LakeChecks",
    "Names",
    "PipelineChecks",
    "Result",
    "Smoke",
    "SystemClock",
    "describe_error",
    "main",
    "parse_args",
    "session_client_factory",
    "urllib_sender",
]


@dataclass
class Smoke(LakeChecks, EndpointChecks, ApiChecks, PipelineChecks):
    """The run: reporting, waiting and the order of the checks (the checks themselves live in the mixins)."""

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
