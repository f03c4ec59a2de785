"""Tear a profile down: its stacks in reverse order, then what CloudFormation cannot remove.

    python -m scripts.teardown --profile sandbox                  # plan, then ask (y/N)
    python -m scripts.teardown --profile sandbox --yes            # plan, then run without asking
    python -m scripts.teardown --profile production --confirm secure-ml-production-security-baseline

The plan comes first and deletes nothing: the profile's deployed stacks in reverse dependency
order (Governance, Pipelines, Ingestion, Lake, Inference, Workspace, Data, Network,
SecurityBaseline), and what CloudFormation leaves behind:
- Studio apps and spaces (they block the domain's deletion), the domain's home EFS with its
  mount targets and the two NFS security groups (scripts/workspace_teardown.py);
- ENIs SageMaker and Lambda leave in the project's VPC (found by the Network stack's VPC):
  available ones are deleted, Lambda's in-use ones are waited for, then deleted;
- Application Auto Scaling registrations of the project's endpoints
  (endpoint/<project>-<profile>-*) that outlive the endpoints;
- the project's buckets (<project>-<profile>-*): their policies admit only the VPC endpoint, the
  deployment role and the stack's auto-delete provider, which empties them when a profile with
  removal_policy: destroy deletes the stack. A bucket still there afterwards is emptied with the
  caller's credentials, which works only for the deployment role (run as it) or from inside the VPC;
  otherwise it is listed with the reason;
- account-level settings the profile changed: the Glue Data Catalog encryption when
  ingestion.catalog_encryption named the project's key (reset to disabled), and API Gateway's
  CloudWatch role when inference.api.manage_account_logging_role pointed it at the project's role
  (cleared).

Run order: apps/spaces before the Workspace stack, EFS (mount targets first) and NFS groups after
it; scaling registrations after the Inference stack; ENIs after the compute stacks and before the
Network stack, whose deletion removes the subnets and security groups last; buckets and
account-level settings at the end. A stack that ends DELETE_FAILED is reported with the resources
that failed (DescribeStackEvents); the stacks it imports from are skipped, the rest continues; the
summary lists every failure and the exit code is 1.

Production (removal_policy: retain, or the profile named production) is refused unless --confirm
names the profile's stack-name prefix (<project>-<profile>) or its SecurityBaseline stack; the
termination protection is then lifted per stack, and retained data (keys, buckets, log groups)
stays: CloudFormation keeps what the profile retains. --destroy-retained-data is refused: deleting
retained data is deliberately not implemented.

Errors: throttling is retried (botocore standard mode, and here with back-off), access denied
prints a FAIL line naming the IAM permission, not-found means already gone, a stack or resource
that does not finish deleting times out with a message naming it.

IAM permissions the caller needs (besides what the CDK deployment role needs to delete the stacks,
when CloudFormation runs as that role):
    cloudformation:DescribeStacks, cloudformation:ListStackResources, cloudformation:ListStacks,
    cloudformation:DescribeStackEvents, cloudformation:DeleteStack,
    cloudformation:UpdateTerminationProtection (production only)
    sagemaker:ListDomains, sagemaker:DescribeDomain, sagemaker:ListApps, sagemaker:DescribeApp,
    sagemaker:DeleteApp, sagemaker:ListSpaces, sagemaker:DescribeSpace, sagemaker:DeleteSpace
    elasticfilesystem:DescribeFileSystems, elasticfilesystem:DescribeMountTargets,
    elasticfilesystem:DeleteMountTarget, elasticfilesystem:DeleteFileSystem
    ec2:DescribeSecurityGroups, ec2:RevokeSecurityGroupIngress, ec2:RevokeSecurityGroupEgress,
    ec2:DeleteSecurityGroup, ec2:DescribeVpcs, ec2:DescribeNetworkInterfaces, ec2:DeleteNetworkInterface
    application-autoscaling:DescribeScalableTargets, application-autoscaling:DeregisterScalableTarget
    s3:ListAllMyBuckets, s3:ListBucketVersions, s3:DeleteObjectVersion, s3:DeleteBucket
    glue:GetDataCatalogEncryptionSettings, glue:PutDataCatalogEncryptionSettings
    apigateway:GET, apigateway:PATCH (on arn:aws:apigateway:<region>::/account)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from config.names import resource_prefix
from scripts import workspace_teardown as ws
from scripts.profile_args import add_profile_arguments, load_selected
from scripts.teardown_cleanup import TeardownCleanup
from scripts.teardown_common import (
    ACCESS_DENIED,
    DELETION_ORDER,
    DEPENDS_ON,
    GONE,
    IAM_ACTION,
    IAM_PREFIX,
    LAMBDA_ENI,
    SERVICES,
    STACK_GONE,
    STACK_ORDER,
    THROTTLED,
    Plan,
    Refused,
    Stack,
    describe_eni,
    error_code,
    is_lambda_eni,
    is_orphan_eni,
    is_stack_missing,
)
from scripts.teardown_plan import TeardownPlanning

__all__ = [
    "ACCESS_DENIED",
    "DELETION_ORDER",
    "DEPENDS_ON",
    "GONE",
    "IAM_ACTION",
    "IAM_PREFIX",
    "LAMBDA_ENI",
    "SERVICES",
    "STACK_GONE",
    "STACK_ORDER",
    "THROTTLED",
    "Plan",
    "Refused",
    "Stack",
    "describe_eni",
    "error_code",
    "is_lambda_eni",
    "is_orphan_eni",
    "is_stack_missing",
    "Teardown",
    "TeardownCleanup",
    "TeardownPlanning",
    "check_production",
    "main",
    "ws",
]


class Teardown(TeardownPlanning, TeardownCleanup):
    """Plans (TeardownPlanning, scripts/teardown_plan.py), then runs (TeardownCleanup, scripts/teardown_cleanup.py)."""

    def __init__(
        self,
        client: Callable[[str], object],
        *,
        prefix: str,
        region: str,
        removal_policy: str,
        production: bool,
        bootstrap_qualifier: str,
        catalog_encryption: bool,
        manage_api_role: bool,
        out: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        stack_timeout: float = 7200,
        eni_timeout: float = 1800,
        poll: float = 30,
        throttle_attempts: int = 5,
    ) -> None:
        self.clients = {name: client(name) for name in SERVICES}
        self.prefix = prefix  # <project>-<profile>-
        self.region = region
        self.removal_policy = removal_policy
        self.production = production
        self.qualifier = bootstrap_qualifier
        self.catalog_encryption = catalog_encryption
        self.manage_api_role = manage_api_role
        self.out, self.sleep, self.clock = out, sleep, clock
        self.stack_timeout, self.eni_timeout, self.poll = stack_timeout, eni_timeout, poll
        self.throttle_attempts = throttle_attempts
        self.failures: list[str] = []
        self.ws_clients = ws.Clients(*(self.clients[n] for n in ("sagemaker", "efs", "ec2", "cloudformation")))
        self.actions: dict[str, str] = {}
        for name, c in self.clients.items():
            service_prefix = IAM_PREFIX.get(name, name)
            for operation in c.meta.service_model.operation_names:
                self.actions.setdefault(operation, IAM_ACTION.get(operation, f"{service_prefix}:{operation}"))

    # Calls and errors

    def call(self, service: str, operation: str, **kwargs) -> dict:
        """One API call, retried with back-off while throttled (on top of botocore's standard mode)."""
        method = getattr(self.clients[service], operation)
        for attempt in range(self.throttle_attempts):
            try:
                return method(**kwargs)
            except ClientError as error:
                if error_code(error) not in THROTTLED or attempt == self.throttle_attempts - 1:
                    raise
                self.sleep(min(2**attempt, 20))
        raise AssertionError("unreachable")

    def pages(self, service: str, operation: str, key: str, token: str = "NextToken", **kwargs):
        while True:
            page = self.call(service, operation, **kwargs)
            yield from page.get(key, [])
            if not page.get(token):
                return
            kwargs[token] = page[token]

    def fail(self, line: str) -> None:
        self.failures.append(line)
        self.out(f"FAIL {line}")

    def report(self, what: str, error: ClientError) -> bool:
        """Report a failed call; True when it only means the resource is already gone."""
        code = error_code(error)
        if code in GONE:
            self.out(f"  {what}: already gone")
            return True
        if code in ACCESS_DENIED:
            permission = self.actions.get(error.operation_name, error.operation_name)
            self.fail(f"{what}: access denied: the caller needs {permission}")
        elif code in THROTTLED:
            self.fail(f"{what}: still throttled after {self.throttle_attempts} attempts ({code}); run again")
        else:
            message = error.response.get("Error", {}).get("Message", "")
            self.fail(f"{what}: {code}: {message}")
        return False

    def step(self, what: str, action: Callable[[], object]) -> bool:
        """Run one clean-up step; report (not raise) what stops it. False when the action failed or
        returned False."""
        try:
            return action() is not False
        except ClientError as error:
            return self.report(what, error)
        except TimeoutError as error:
            self.fail(f"{what}: {error}")
            return False

    # Running

    def run(self, plan: Plan) -> int:
        by_suffix = {s.suffix: s for s in plan.stacks}
        blocked: dict[str, str] = {}  # stack suffix -> the stack still importing from it
        for suffix in DELETION_ORDER:
            if suffix == "workspace":
                self.clean_workspace_before(plan)
            if suffix == "network":
                self.release_enis(plan)
            stack = by_suffix.get(suffix)
            if stack is not None:
                if suffix in blocked:
                    self.fail(f"stack {stack.name}: skipped, {blocked[suffix]} still imports its outputs")
                    ok = False
                else:
                    ok = self.step(f"stack {stack.name}", lambda s=stack: self.delete_stack(s))
                if not ok:
                    for dependency in DEPENDS_ON.get(suffix, ()):
                        blocked.setdefault(dependency, stack.name)
            if suffix == "workspace":
                self.clean_workspace_after(plan)
            if suffix == "inference":
                self.step("scaling registrations", self.deregister_targets)
        self.step("buckets", self.empty_buckets)
        self.reset_account_settings(plan)
        if self.removal_policy == "retain":
            self.out("retained by the profile (removal_policy: retain): keys, buckets and log groups stay")
        if self.failures:
            self.out(f"teardown incomplete: {len(self.failures)} failure(s)")
            for line in self.failures:
                self.out(f"  - {line}")
            return 1
        self.out("teardown complete")
        return 0


def check_production(*, production: bool, prefix: str, confirm: str | None, destroy_retained_data: bool) -> None:
    """Raise Refused unless a production teardown is confirmed by name; never destroy retained data."""
    if destroy_retained_data:
        raise Refused(
            "--destroy-retained-data: deleting retained data is not implemented; the teardown never deletes what "
            "the profile retains (delete such buckets and keys by hand, deliberately)"
        )
    if not production:
        return
    accepted = {prefix, prefix.rstrip("-"), f"{prefix}security-baseline"}
    if confirm not in accepted:
        raise Refused(
            f"refusing to tear down a production profile: pass --confirm {prefix.rstrip('-')} (the stack-name "
            f"prefix) or --confirm {prefix}security-baseline; retained data stays either way"
        )


def main(
    argv: list[str] | None = None,
    client_factory: Callable[[str], object] | None = None,
    stdin=None,
    out: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_profile_arguments(parser)
    parser.add_argument("--yes", action="store_true", help="run after the plan without asking")
    parser.add_argument("--confirm", help="production: the stack-name prefix or the SecurityBaseline stack name")
    parser.add_argument("--destroy-retained-data", action="store_true", help="refused: retained data stays")
    args = parser.parse_args(argv)

    config = load_selected(args, report=lambda error: out(f"FAIL {error}"))
    if config is None:
        return 2
    prefix = resource_prefix(config)
    production = config.removal_policy == "retain" or config.profile == "production"
    try:
        check_production(
            production=production,
            prefix=prefix,
            confirm=args.confirm,
            destroy_retained_data=args.destroy_retained_data,
        )
    except Refused as refusal:
        out(f"FAIL {refusal}")
        return 2
    if client_factory is None:
        from botocore.config import Config

        from scripts.aws_session import session_or_exit

        session = session_or_exit(config.region)
        retries = Config(retries={"mode": "standard", "max_attempts": 10})

        def client_factory(name: str) -> object:
            return session.client(name, config=retries)

    api = config.inference.api
    teardown = Teardown(
        client_factory,
        prefix=prefix,
        region=config.region,
        removal_policy=config.removal_policy,
        production=production,
        bootstrap_qualifier=config.deploy.bootstrap_qualifier,
        catalog_encryption=config.ingestion.enabled and config.ingestion.catalog_encryption,
        manage_api_role=config.inference.enabled and api.enabled and api.manage_account_logging_role,
        out=out,
        sleep=sleep,
        clock=clock,
    )
    try:
        plan = teardown.plan()
    except ClientError as error:
        teardown.report("planning (nothing deleted)", error)
        return 1
    teardown.show(plan)
    if not args.yes:
        out("Delete all of the above? [y/N] ")
        answer = (stdin or sys.stdin).readline().strip().lower()
        if answer not in ("y", "yes"):
            out("nothing deleted")
            return 0
    return teardown.run(plan)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
