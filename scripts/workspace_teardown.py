"""Clean up what deleting the Workspace stack leaves behind (dry run unless --apply).

CloudFormation deletes the Studio domain and the user profiles it created, but:
- apps (JupyterLab, Code Editor ...) and spaces that data scientists created in Studio are
  not in the template, and a user profile or domain with apps or spaces cannot be deleted:
  the stack deletion fails. They must go first.
- SageMaker creates the domain's home EFS file system with a mount target in each of the
  domain's subnets, and two security groups for NFS between the apps and the file system
  (security-group-for-inbound-nfs-<domain id>, security-group-for-outbound-nfs-<domain id>),
  all tagged ManagedByAmazonSageMakerResource=<domain ARN>. DeleteDomain keeps the EFS unless
  it is called with RetentionPolicy HomeEfsFileSystem=Delete, and AWS::SageMaker::Domain has
  no such property; the groups stay in either case. They hold ENIs in the private subnets, so
  the Network stack cannot be deleted after them.

    python -m scripts.workspace_teardown --profile sandbox            # before `cdk destroy`: plan
    python -m scripts.workspace_teardown --profile sandbox --apply    # delete apps and spaces
    (cdk destroy the Workspace stack)
    python -m scripts.workspace_teardown --profile sandbox --apply    # delete EFS and NFS groups

Run with the deployment role's credentials. The domain is found by its name
(<project>-<profile>) while it exists, afterwards in the newest deleted Workspace stack
(CloudFormation keeps deleted stacks' resources listable by stack id for 90 days), or given
with --domain-id. Only resources tagged with, or named after, that one domain are touched.
The EFS and the NFS groups are deleted only once the domain is gone. Deleting the EFS deletes
every user's Studio home directory.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

SAGEMAKER_TAG = "ManagedByAmazonSageMakerResource"
NFS_GROUP_NAMES = ("security-group-for-inbound-nfs-{}", "security-group-for-outbound-nfs-{}")
DOMAIN_TYPE = "AWS::SageMaker::Domain"

# Errors that mean "already gone", per service.
GONE = {
    "ResourceNotFound",  # SageMaker
    "FileSystemNotFound",
    "MountTargetNotFound",  # EFS
    "InvalidGroup.NotFound",
    "InvalidPermission.NotFound",  # EC2
}


@dataclass
class Clients:
    sagemaker: object
    efs: object
    ec2: object
    cloudformation: object


@dataclass
class Plan:
    """What the teardown would delete for one domain."""

    domain_id: str
    domain_exists: bool
    apps: list[dict] = field(default_factory=list)
    spaces: list[str] = field(default_factory=list)
    file_systems: dict[str, list[str]] = field(default_factory=dict)  # file system -> mount targets
    security_groups: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"domain {self.domain_id}: {'exists' if self.domain_exists else 'deleted'}"]
        out += [f"app {describe_app(app)}" for app in self.apps]
        out += [f"space {name}" for name in self.spaces]
        for fs, targets in self.file_systems.items():
            out += [f"EFS mount target {target} of {fs}" for target in targets]
            out.append(f"EFS file system {fs}")
        out += [f"security group {g['GroupId']} ({g['GroupName']})" for g in self.security_groups]
        return out


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def paginate(client, operation: str, key: str, **kwargs) -> Iterable[dict]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def owned_by(tags: Iterable[dict], domain_id: str, region: str) -> bool:
    """Whether SageMaker's tag names this domain: arn:<partition>:sagemaker:<region>:<account>:domain/<id>."""
    for tag in tags:
        if tag.get("Key") == SAGEMAKER_TAG:
            parts = tag.get("Value", "").split(":")
            return len(parts) == 6 and parts[2:4] == ["sagemaker", region] and parts[5] == f"domain/{domain_id}"
    return False


def describe_app(app: dict) -> str:
    owner = app.get("SpaceName") or app.get("UserProfileName")
    return f"{app['AppType']}/{app['AppName']} of {owner}"


# Finding the domain


def find_domain(clients: Clients, domain_name: str, stack_name: str) -> str | None:
    """The domain's id: a live domain by name, else the one of the newest deleted stack."""
    for domain in paginate(clients.sagemaker, "list_domains", "Domains"):
        if domain["DomainName"] == domain_name:
            return domain["DomainId"]
    deleted = [
        s
        for s in paginate(
            clients.cloudformation, "list_stacks", "StackSummaries", StackStatusFilter=["DELETE_COMPLETE"]
        )
        if s["StackName"] == stack_name
    ]
    for stack in sorted(deleted, key=lambda s: s.get("DeletionTime") or s["CreationTime"], reverse=True):
        for resource in paginate(
            clients.cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=stack["StackId"]
        ):
            if resource["ResourceType"] == DOMAIN_TYPE and resource.get("PhysicalResourceId"):
                return resource["PhysicalResourceId"]
    return None


def domain_exists(clients: Clients, domain_id: str) -> bool:
    try:
        status = clients.sagemaker.describe_domain(DomainId=domain_id)["Status"]
    except ClientError as error:
        if error_code(error) in GONE:
            return False
        raise
    return status != "Deleted"


# Planning


def plan(clients: Clients, domain_id: str) -> Plan:
    region = clients.sagemaker.meta.region_name
    result = Plan(domain_id, domain_exists(clients, domain_id))
    if result.domain_exists:
        result.apps = [
            app
            for app in paginate(clients.sagemaker, "list_apps", "Apps", DomainIdEquals=domain_id)
            if app["DomainId"] == domain_id and app["Status"] != "Deleted"
        ]
        result.spaces = [
            space["SpaceName"]
            for space in paginate(clients.sagemaker, "list_spaces", "Spaces", DomainIdEquals=domain_id)
            if space["DomainId"] == domain_id and space["Status"] != "Deleting"
        ]
    for fs in paginate(clients.efs, "describe_file_systems", "FileSystems"):
        if owned_by(fs.get("Tags", []), domain_id, region):
            targets = paginate(clients.efs, "describe_mount_targets", "MountTargets", FileSystemId=fs["FileSystemId"])
            result.file_systems[fs["FileSystemId"]] = [t["MountTargetId"] for t in targets]
    names = [name.format(domain_id) for name in NFS_GROUP_NAMES]
    result.security_groups = [
        group
        for group in paginate(
            clients.ec2,
            "describe_security_groups",
            "SecurityGroups",
            Filters=[{"Name": "group-name", "Values": names}],
        )
        if group["GroupName"] in names and owned_by(group.get("Tags", []), domain_id, region)
    ]
    return result


# Deleting


def ignore_gone(call: Callable[[], object]) -> bool:
    """Run a delete call; False when the resource was already gone."""
    try:
        call()
    except ClientError as error:
        if error_code(error) in GONE:
            return False
        raise
    return True


def wait_until(done: Callable[[], bool], what: str, sleep: Callable[[float], None], attempts: int, delay: float):
    for _ in range(attempts):
        if done():
            return
        sleep(delay)
    if not done():
        raise TimeoutError(f"timed out waiting for {what}")


def gone(describe: Callable[[], dict], is_gone: Callable[[dict], bool] = lambda _: False) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return is_gone(describe())
        except ClientError as error:
            if error_code(error) in GONE:
                return True
            raise

    return check


def delete_domain_contents(
    clients: Clients, work: Plan, out: Callable[[str], None], sleep: Callable[[float], None], attempts: int = 120
) -> None:
    """Apps, then spaces: what keeps CloudFormation from deleting the user profiles and domain."""
    sm = clients.sagemaker
    for app in work.apps:
        key = {k: app[k] for k in ("DomainId", "AppType", "AppName", "UserProfileName", "SpaceName") if app.get(k)}
        if app["Status"] not in ("Deleting",):
            ignore_gone(lambda key=key: sm.delete_app(**key))
            out(f"deleting app {describe_app(app)}")
        wait_until(
            gone(lambda key=key: sm.describe_app(**key), lambda r: r["Status"] in ("Deleted", "Failed")),
            f"app {describe_app(app)}",
            sleep,
            attempts,
            10,
        )
    for name in work.spaces:
        ignore_gone(lambda name=name: sm.delete_space(DomainId=work.domain_id, SpaceName=name))
        out(f"deleting space {name}")
        wait_until(
            gone(lambda name=name: sm.describe_space(DomainId=work.domain_id, SpaceName=name)),
            f"space {name}",
            sleep,
            attempts,
            10,
        )


def delete_leftovers(
    clients: Clients, work: Plan, out: Callable[[str], None], sleep: Callable[[float], None], attempts: int = 60
) -> None:
    """The home EFS (mount targets first), then the NFS groups (their cross references first)."""
    efs, ec2 = clients.efs, clients.ec2
    for fs, targets in work.file_systems.items():
        for target in targets:
            ignore_gone(lambda target=target: efs.delete_mount_target(MountTargetId=target))
            out(f"deleting EFS mount target {target}")
        wait_until(
            gone(lambda fs=fs: efs.describe_mount_targets(FileSystemId=fs), lambda r: not r["MountTargets"]),
            f"the mount targets of {fs}",
            sleep,
            attempts,
            10,
        )
        ignore_gone(lambda fs=fs: efs.delete_file_system(FileSystemId=fs))
        out(f"deleted EFS file system {fs}")
    ids = {g["GroupId"] for g in work.security_groups}
    for group in work.security_groups:
        for direction, key, revoke in (
            ("ingress", "IpPermissions", ec2.revoke_security_group_ingress),
            ("egress", "IpPermissionsEgress", ec2.revoke_security_group_egress),
        ):
            referencing = [
                {
                    **{k: rule[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in rule},
                    "UserIdGroupPairs": [{"GroupId": pair["GroupId"]} for pair in rule["UserIdGroupPairs"]],
                }
                for rule in group.get(key, [])
                if any(pair.get("GroupId") in ids for pair in rule.get("UserIdGroupPairs", []))
            ]
            if referencing:
                ignore_gone(lambda: revoke(GroupId=group["GroupId"], IpPermissions=referencing))  # noqa: B023
                out(f"revoked the {direction} rules of {group['GroupId']} that reference the NFS groups")
    for group in work.security_groups:
        # The ENIs of the deleted mount targets take a while to go: DependencyViolation until then.
        for attempt in range(attempts):
            try:
                ignore_gone(lambda: ec2.delete_security_group(GroupId=group["GroupId"]))  # noqa: B023
                break
            except ClientError as error:
                if error_code(error) != "DependencyViolation" or attempt == attempts - 1:
                    raise
                sleep(10)
        out(f"deleted security group {group['GroupId']} ({group['GroupName']})")


def teardown(
    clients: Clients,
    *,
    domain_name: str,
    stack_name: str,
    domain_id: str | None = None,
    apply: bool = False,
    out: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> Plan | None:
    """Plan (and with apply, run) the clean-up of one domain; returns the plan."""
    domain_id = domain_id or find_domain(clients, domain_name, stack_name)
    if domain_id is None:
        out(f"no domain {domain_name} and no deleted stack {stack_name} with one: nothing to clean up")
        return None
    work = plan(clients, domain_id)
    verb = "to delete: " if apply else "would delete: "
    out(f"domain {domain_id}: {'exists' if work.domain_exists else 'deleted'}")
    for line in work.lines()[1:]:
        out(f"  {verb}{line}")
    if work.domain_exists and (work.file_systems or work.security_groups):
        out("  the EFS and NFS security groups are deleted once the domain is: run again after the stack deletion")
    if not apply:
        out("dry run: nothing deleted (--apply deletes)")
        return work
    if work.domain_exists:
        delete_domain_contents(clients, work, out, sleep)
    else:
        delete_leftovers(clients, work, out, sleep)
    return work


def main(argv: list[str] | None = None, session_factory: Callable[..., object] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True, help="project profile (config/<profile>.yaml)")
    parser.add_argument("--apply", action="store_true", help="delete (default: print what would be deleted)")
    parser.add_argument("--domain-id", help="the domain, when neither its name nor the deleted stack finds it")
    args = parser.parse_args(argv)

    from botocore.config import Config

    from config import load_config
    from stacks.naming import resource_prefix, stack_name

    config = load_config(args.profile)
    if session_factory is None:
        import boto3

        session_factory = boto3.Session
    session = session_factory(region_name=config.region)
    retries = Config(retries={"mode": "standard", "max_attempts": 10})
    clients = Clients(*(session.client(name, config=retries) for name in ("sagemaker", "efs", "ec2", "cloudformation")))
    teardown(
        clients,
        domain_name=resource_prefix(config).rstrip("-"),
        stack_name=stack_name(config, "workspace"),
        domain_id=args.domain_id,
        apply=args.apply,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
