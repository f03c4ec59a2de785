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
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from config.names import resource_prefix
from scripts import workspace_teardown as ws
from scripts.profile_args import add_profile_arguments, load_selected

# Creation order (stacks/__init__.py build_platform); deletion runs it backwards.
STACK_ORDER = (
    "security-baseline",
    "network",
    "data",
    "workspace",
    "inference",
    "lake",
    "ingestion",
    "pipelines",
    "governance",
)
DELETION_ORDER = tuple(reversed(STACK_ORDER))
# What each stack imports from (constructor arguments in build_platform).
DEPENDS_ON = {
    "network": ("security-baseline",),
    "data": ("security-baseline", "network"),
    "workspace": ("security-baseline", "network", "data"),
    "inference": ("security-baseline", "network", "data"),
    "lake": ("security-baseline", "network"),
    "ingestion": ("security-baseline", "network", "lake"),
    "pipelines": ("security-baseline", "network", "data", "inference"),
    "governance": ("security-baseline",),
}
SERVICES = ("cloudformation", "sagemaker", "efs", "ec2", "application-autoscaling", "s3", "glue", "apigateway")
IAM_PREFIX = {"efs": "elasticfilesystem"}
# Operations whose IAM action is not <prefix>:<operation>.
IAM_ACTION = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "ListObjectVersions": "s3:ListBucketVersions",
    "DeleteObjects": "s3:DeleteObjectVersion",
    "GetAccount": "apigateway:GET",
    "UpdateAccount": "apigateway:PATCH",
}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
}
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
GONE = ws.GONE | {
    "InvalidNetworkInterfaceID.NotFound",
    "ObjectNotFoundException",
    "NoSuchBucket",
    "NotFoundException",
    "EntityNotFoundException",
}
LAMBDA_ENI = "AWS Lambda VPC ENI"
STACK_GONE = {"DELETE_COMPLETE"}


class Refused(Exception):
    """The teardown will not run as asked (production without --confirm, retained data)."""


def error_code(error: ClientError) -> str:
    return ws.error_code(error)


def is_stack_missing(error: ClientError) -> bool:
    """CloudFormation's answer for a stack name that does not exist (ValidationError)."""
    return error_code(error) == "ValidationError" and "does not exist" in str(error)


@dataclass
class Stack:
    suffix: str
    name: str
    stack_id: str
    status: str
    termination_protection: bool = False
    resources: list[dict] = field(default_factory=list)

    def physical_ids(self, resource_type: str) -> list[str]:
        return [r["PhysicalResourceId"] for r in self.resources if r["ResourceType"] == resource_type]


@dataclass
class Plan:
    """Everything the teardown would delete or reset."""

    stacks: list[Stack] = field(default_factory=list)  # deletion order
    workspace: ws.Plan | None = None
    vpc_ids: list[str] = field(default_factory=list)
    enis: list[dict] = field(default_factory=list)
    scalable_targets: list[dict] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    key_ids: list[str] = field(default_factory=list)
    glue_key: str | None = None
    apigateway_role: str | None = None
    notes: list[str] = field(default_factory=list)


def describe_eni(eni: dict) -> str:
    what = eni.get("Description") or eni.get("InterfaceType") or "ENI"
    return f"ENI {eni['NetworkInterfaceId']} ({what}, {eni['Status']})"


def is_lambda_eni(eni: dict) -> bool:
    return eni.get("InterfaceType") == "lambda" or eni.get("Description", "").startswith(LAMBDA_ENI)


def is_orphan_eni(eni: dict) -> bool:
    """ENIs the services leave: available ones, Lambda's and SageMaker's. Never the VPC endpoints'
    or the NAT gateways' (their stack deletes them), nor EFS mount targets' (workspace clean-up)."""
    if eni.get("InterfaceType") not in (None, "interface", "lambda"):
        return False
    description = eni.get("Description", "")
    if description.startswith(("VPC Endpoint Interface", "EFS mount target")):
        return False
    requester = (eni.get("RequesterId") or "").lower()
    return (
        eni["Status"] == "available"
        or is_lambda_eni(eni)
        or "sagemaker" in requester
        or "sagemaker" in description.lower()
    )


class Teardown:
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

    # Planning

    def stack_name(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"

    def find_stack(self, suffix: str) -> Stack | None:
        name = self.stack_name(suffix)
        try:
            stacks = self.call("cloudformation", "describe_stacks", StackName=name)["Stacks"]
        except ClientError as error:
            if is_stack_missing(error):
                return None
            raise
        live = [s for s in stacks if s["StackStatus"] not in STACK_GONE]
        if not live:
            return None
        s = live[0]
        stack = Stack(suffix, name, s["StackId"], s["StackStatus"], bool(s.get("EnableTerminationProtection")))
        if suffix in ("security-baseline", "network", "inference"):
            stack.resources = list(
                self.pages("cloudformation", "list_stack_resources", "StackResourceSummaries", StackName=s["StackId"])
            )
        return stack

    def project_vpcs(self, network: Stack | None) -> list[str]:
        if network is not None:
            return network.physical_ids("AWS::EC2::VPC")
        # The Network stack is gone (or half gone): CloudFormation's own tag still names it.
        filters = [{"Name": "tag:aws:cloudformation:stack-name", "Values": [self.stack_name("network")]}]
        return [v["VpcId"] for v in self.pages("ec2", "describe_vpcs", "Vpcs", Filters=filters)]

    def orphan_enis(self, vpc_ids: list[str]) -> list[dict]:
        if not vpc_ids:
            return []
        filters = [{"Name": "vpc-id", "Values": vpc_ids}]
        return [
            e
            for e in self.pages("ec2", "describe_network_interfaces", "NetworkInterfaces", Filters=filters)
            if is_orphan_eni(e)
        ]

    def scalable_targets(self) -> list[dict]:
        prefix = f"endpoint/{self.prefix}"
        return [
            t
            for t in self.pages(
                "application-autoscaling", "describe_scalable_targets", "ScalableTargets", ServiceNamespace="sagemaker"
            )
            if t["ResourceId"].startswith(prefix)
        ]

    def buckets(self) -> list[str]:
        listed = self.call("s3", "list_buckets").get("Buckets", [])
        return sorted(b["Name"] for b in listed if b["Name"].startswith(self.prefix))

    def glue_key(self, key_ids: list[str]) -> str | None:
        """The project key the account's catalog encryption names, when the profile turned it on."""
        if not self.catalog_encryption:
            return None
        settings = self.call("glue", "get_data_catalog_encryption_settings")["DataCatalogEncryptionSettings"]
        named = [
            settings.get("EncryptionAtRest", {}).get("SseAwsKmsKeyId", ""),
            settings.get("ConnectionPasswordEncryption", {}).get("AwsKmsKeyId", ""),
        ]
        for key in named:
            if key and any(key_id in key for key_id in key_ids):
                return key
        return None

    def apigateway_role(self, inference: Stack | None) -> str | None:
        """API Gateway's CloudWatch role, when it is the project's (the Inference stack's role)."""
        if not self.manage_api_role:
            return None
        arn = self.call("apigateway", "get_account").get("cloudwatchRoleArn") or ""
        role = arn.rsplit("/", 1)[-1]
        if not role:
            return None
        ours = set(inference.physical_ids("AWS::IAM::Role")) if inference else set()
        if role in ours or role.startswith(self.stack_name("inference")):
            return arn
        return None

    def plan(self) -> Plan:
        plan = Plan()
        found = {suffix: self.find_stack(suffix) for suffix in DELETION_ORDER}
        plan.stacks = [s for s in found.values() if s]
        workspace = ws.find_domain(self.ws_clients, self.prefix.rstrip("-"), self.stack_name("workspace"))
        if workspace:
            plan.workspace = ws.plan(self.ws_clients, workspace)
        plan.vpc_ids = self.project_vpcs(found["network"])
        plan.enis = self.orphan_enis(plan.vpc_ids)
        plan.scalable_targets = self.scalable_targets()
        plan.buckets = self.buckets()
        security = found["security-baseline"]
        plan.key_ids = security.physical_ids("AWS::KMS::Key") if security else []
        plan.glue_key = self.glue_key(plan.key_ids)
        plan.apigateway_role = self.apigateway_role(found["inference"])
        return plan

    def show(self, plan: Plan) -> None:
        out = self.out
        out(f"Teardown plan for {self.prefix.rstrip('-')} in {self.region} (removal_policy: {self.removal_policy})")
        out("stacks, in deletion order:")
        for s in plan.stacks:
            protected = " (termination protection: lifted with --confirm)" if s.termination_protection else ""
            out(f"  stack {s.name} [{s.status}]{protected}")
        if not plan.stacks:
            out("  none deployed")
        out("left behind by CloudFormation:")
        lines = []
        if plan.workspace:
            lines += [f"workspace: {line}" for line in plan.workspace.lines()]
        for eni in plan.enis:
            if eni["Status"] == "available":
                action = "delete"
            elif is_lambda_eni(eni):
                action = "wait for Lambda to release it, then delete"
            else:
                action = "wait until its owner's stack deletion releases it, then delete what remains"
            lines.append(f"{describe_eni(eni)} in {eni.get('SubnetId')}: {action}")
        lines += [
            f"scaling registration {t['ResourceId']} ({t['ScalableDimension']}): deregister if the stack leaves it"
            for t in plan.scalable_targets
        ]
        for bucket in plan.buckets:
            if self.removal_policy == "retain":
                lines.append(f"bucket {bucket}: retained with its data (removal_policy: retain)")
            else:
                lines.append(
                    f"bucket {bucket}: emptied by its stack's auto-delete provider (exempt from the VPC-endpoint-only"
                    " policy); if it remains, emptied with your credentials"
                )
        if plan.glue_key:
            lines.append(f"Glue Data Catalog encryption with the project key {plan.glue_key}: reset to disabled")
        if plan.apigateway_role:
            lines.append(f"API Gateway CloudWatch role {plan.apigateway_role}: cleared")
        for line in lines or ["nothing"]:
            out(f"  {line}")

    # Running

    def delete_stack(self, stack: Stack) -> bool:
        """DeleteStack, then poll until it is gone (the stack_delete_complete waiter's acceptors, with
        a progress line and an injectable clock). False on DELETE_FAILED or timeout."""
        if stack.termination_protection:
            self.call(
                "cloudformation",
                "update_termination_protection",
                StackName=stack.stack_id,
                EnableTerminationProtection=False,
            )
            self.out(f"lifted the termination protection of {stack.name}")
        self.call("cloudformation", "delete_stack", StackName=stack.stack_id)
        self.out(f"deleting stack {stack.name}")
        start = self.clock()
        while True:
            try:
                status = self.call("cloudformation", "describe_stacks", StackName=stack.stack_id)["Stacks"][0][
                    "StackStatus"
                ]
            except ClientError as error:
                if not is_stack_missing(error):
                    raise
                status = "DELETE_COMPLETE"
            elapsed = self.clock() - start
            if status == "DELETE_COMPLETE":
                self.out(f"deleted stack {stack.name} ({elapsed:.0f}s)")
                return True
            if status == "DELETE_FAILED":
                self.report_failed_resources(stack)
                return False
            if elapsed >= self.stack_timeout:
                self.fail(
                    f"stack {stack.name} still {status} after {elapsed:.0f}s: check its events in the "
                    "CloudFormation console and run the teardown again"
                )
                return False
            self.out(f"  ... {stack.name}: {status} ({elapsed:.0f}s)")
            self.sleep(self.poll)

    def report_failed_resources(self, stack: Stack) -> None:
        failed = []
        for event in self.pages("cloudformation", "describe_stack_events", "StackEvents", StackName=stack.stack_id):
            if event["LogicalResourceId"] == stack.name and event["ResourceStatus"] == "DELETE_IN_PROGRESS":
                break  # the start of this deletion
            if event["ResourceStatus"] == "DELETE_FAILED" and event["LogicalResourceId"] != stack.name:
                failed.append(
                    f"{event['LogicalResourceId']} ({event['ResourceType']}): {event.get('ResourceStatusReason', '')}"
                )
        self.fail(f"stack {stack.name}: DELETE_FAILED" + ("; " + "; ".join(failed) if failed else ""))

    def clean_workspace_before(self, plan: Plan) -> None:
        work = plan.workspace
        if work and work.domain_exists and (work.apps or work.spaces):
            self.step(
                "Studio apps and spaces",
                lambda: ws.delete_domain_contents(self.ws_clients, work, self.out, self.sleep),
            )

    def clean_workspace_after(self, plan: Plan) -> None:
        if not plan.workspace:
            return

        def run() -> None:
            work = ws.plan(self.ws_clients, plan.workspace.domain_id)
            if work.domain_exists:
                self.out(f"  domain {work.domain_id} still exists: its EFS and NFS groups stay")
                return
            if self.removal_policy == "retain" and work.file_systems:
                self.out(
                    f"  retained (removal_policy: retain): the home EFS {', '.join(work.file_systems)} with every "
                    "user's Studio home directory; its mount targets and NFS groups stay in the Network stack's subnets"
                )
                return
            ws.delete_leftovers(self.ws_clients, work, self.out, self.sleep)

        self.step("workspace EFS and NFS security groups", run)

    def deregister_targets(self) -> None:
        for target in self.scalable_targets():
            self.step(f"scaling registration {target['ResourceId']}", lambda t=target: self.deregister(t))

    def deregister(self, target: dict) -> None:
        self.call(
            "application-autoscaling",
            "deregister_scalable_target",
            ServiceNamespace="sagemaker",
            ResourceId=target["ResourceId"],
            ScalableDimension=target["ScalableDimension"],
        )
        self.out(f"deregistered {target['ResourceId']}")

    def release_enis(self, plan: Plan) -> None:
        for eni in self.orphan_enis(plan.vpc_ids):
            self.step(describe_eni(eni), lambda e=eni: self.release_eni(e))

    def release_eni(self, eni: dict) -> None:
        eni_id = eni["NetworkInterfaceId"]
        start, status = self.clock(), eni["Status"]
        while status != "available":
            if self.clock() - start >= self.eni_timeout:
                raise TimeoutError(
                    f"still {status} after {self.clock() - start:.0f}s; Lambda releases a function's ENIs up to "
                    "about 20 minutes after the function is deleted: run the teardown again later"
                )
            self.out(f"  ... waiting for {eni_id} to be released ({status})")
            self.sleep(self.poll)
            found = self.call("ec2", "describe_network_interfaces", NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
            if not found:
                return
            status = found[0]["Status"]
        self.call("ec2", "delete_network_interface", NetworkInterfaceId=eni_id)
        self.out(f"deleted ENI {eni_id} ({eni.get('Description') or eni.get('InterfaceType')})")

    def empty_buckets(self) -> None:
        if self.removal_policy == "retain":
            return
        for bucket in self.buckets():
            self.out(f"bucket {bucket} outlived its stack: emptying it with the caller's credentials")
            if not self.step(f"bucket {bucket}", lambda b=bucket: self.empty_bucket(b)):
                self.out(
                    f"  {bucket} admits only the project's VPC endpoint, the deployment role "
                    f"(cdk-{self.qualifier}-cfn-exec-role-*) and the auto-delete provider: run the teardown as the "
                    "deployment role, or empty it from inside the VPC, then delete it"
                )

    def empty_bucket(self, bucket: str) -> None:
        """Every object version and delete marker, then the bucket."""
        count, markers = 0, {}
        while True:
            page = self.call("s3", "list_object_versions", Bucket=bucket, **markers)
            keys = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if keys:
                self.call("s3", "delete_objects", Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                count += len(keys)
            if not page.get("IsTruncated"):
                break
            markers = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
        self.call("s3", "delete_bucket", Bucket=bucket)
        self.out(f"deleted bucket {bucket} ({count} object versions)")

    def reset_account_settings(self, plan: Plan) -> None:
        if plan.glue_key:

            def glue() -> None:
                if not self.glue_key(plan.key_ids):
                    return
                self.call(
                    "glue",
                    "put_data_catalog_encryption_settings",
                    DataCatalogEncryptionSettings={
                        "EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"},
                        "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False},
                    },
                )
                self.out("reset the Glue Data Catalog encryption to disabled")

            self.step("Glue Data Catalog encryption", glue)
        if plan.apigateway_role:

            def apigateway() -> None:
                self.call(
                    "apigateway",
                    "update_account",
                    patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}],
                )
                self.out(f"cleared API Gateway's CloudWatch role {plan.apigateway_role}")

            self.step("API Gateway CloudWatch role", apigateway)

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
