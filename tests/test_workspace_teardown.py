"""The workspace teardown (scripts/workspace_teardown.py) against botocore's Stubber.

Each client's Stubber checks the calls and their order; a call nobody stubbed fails the test,
so a dry run that deletes anything, or a delete that touches another domain, fails.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from scripts import workspace_teardown as teardown

REGION = "us-east-1"
ACCOUNT = "123456789012"
DOMAIN = "d-abc123def456"
OTHER = "d-other0000000"
NAME = "secure-ml-sandbox"
STACK = "secure-ml-sandbox-workspace"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/1111"
FS, OTHER_FS, UNTAGGED_FS = "fs-0000000a", "fs-0000000b", "fs-0000000c"
INBOUND, OUTBOUND = "sg-0inbound", "sg-0outbound"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def arn(domain: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{domain}"


def tag(domain: str) -> list[dict]:
    return [{"Key": teardown.SAGEMAKER_TAG, "Value": arn(domain)}]


@pytest.fixture
def aws():
    def client(service):
        return boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")

    clients = teardown.Clients(client("sagemaker"), client("efs"), client("ec2"), client("cloudformation"))
    stubbers = {name: Stubber(getattr(clients, name)) for name in ("sagemaker", "efs", "ec2", "cloudformation")}
    for stubber in stubbers.values():
        stubber.activate()
    yield clients, stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def run(clients, apply=False, **kwargs):
    lines, sleeps = [], []
    plan = teardown.teardown(
        clients, domain_name=NAME, stack_name=STACK, apply=apply, out=lines.append, sleep=sleeps.append, **kwargs
    )
    return plan, lines, sleeps


def fs(fs_id, tags):
    return {
        "OwnerId": ACCOUNT,
        "CreationToken": fs_id,
        "FileSystemId": fs_id,
        "CreationTime": T0,
        "LifeCycleState": "available",
        "NumberOfMountTargets": 1,
        "SizeInBytes": {"Value": 6144},
        "PerformanceMode": "generalPurpose",
        "Tags": tags,
    }


def mount_target(mt_id, fs_id=FS):
    return {"MountTargetId": mt_id, "FileSystemId": fs_id, "SubnetId": "subnet-0000000a", "LifeCycleState": "available"}


def groups() -> list[dict]:
    """SageMaker's NFS pair: inbound admits 2049 from outbound, outbound sends 2049 to inbound."""
    return [
        {
            "GroupId": INBOUND,
            "GroupName": f"security-group-for-inbound-nfs-{DOMAIN}",
            "Tags": tag(DOMAIN),
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": OUTBOUND}]}
            ],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        },
        {
            "GroupId": OUTBOUND,
            "GroupName": f"security-group-for-outbound-nfs-{DOMAIN}",
            "Tags": tag(DOMAIN),
            "IpPermissions": [],
            "IpPermissionsEgress": [
                {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": INBOUND}]}
            ],
        },
        # Named after the domain but tagged with another one: not ours.
        {"GroupId": "sg-0imposter", "GroupName": f"security-group-for-inbound-nfs-{DOMAIN}", "Tags": tag(OTHER)},
    ]


def app(name, status="InService", owner=("UserProfileName", "alice")):
    return {"DomainId": DOMAIN, owner[0]: owner[1], "AppType": "JupyterLab", "AppName": name, "Status": status}


def stub_live_domain(stubbers, apps, spaces):
    sm = stubbers["sagemaker"]
    sm.add_response(
        "list_domains",
        {"Domains": [{"DomainId": OTHER, "DomainName": "someone-else"}], "NextToken": "page2"},
        {},
    )
    sm.add_response("list_domains", {"Domains": [{"DomainId": DOMAIN, "DomainName": NAME}]}, {"NextToken": "page2"})
    sm.add_response("describe_domain", {"DomainId": DOMAIN, "Status": "InService"}, {"DomainId": DOMAIN})
    sm.add_response("list_apps", {"Apps": apps}, {"DomainIdEquals": DOMAIN})
    sm.add_response(
        "list_spaces",
        {"Spaces": [{"DomainId": DOMAIN, "SpaceName": s, "Status": "InService"} for s in spaces]},
        {"DomainIdEquals": DOMAIN},
    )


def stub_leftovers(stubbers, targets=("fsmt-00000001",)):
    efs, ec2 = stubbers["efs"], stubbers["ec2"]
    efs.add_response(
        "describe_file_systems",
        {"FileSystems": [fs(FS, tag(DOMAIN)), fs(OTHER_FS, tag(OTHER)), fs(UNTAGGED_FS, [])]},
        {},
    )
    efs.add_response(
        "describe_mount_targets", {"MountTargets": [mount_target(t) for t in targets]}, {"FileSystemId": FS}
    )
    ec2.add_response("describe_security_groups", {"SecurityGroups": groups()}, {"Filters": ANY})


def test_dry_run_with_a_live_domain_lists_everything_and_deletes_nothing(aws):
    clients, stubbers = aws
    stub_live_domain(
        stubbers,
        [app("default"), app("old", status="Deleted"), app("shared", owner=("SpaceName", "team"))],
        ["team"],
    )
    stub_leftovers(stubbers)
    plan, lines, _ = run(clients)
    assert plan.domain_exists and [a["AppName"] for a in plan.apps] == ["default", "shared"]
    assert plan.spaces == ["team"]
    assert plan.file_systems == {FS: ["fsmt-00000001"]}
    assert [g["GroupId"] for g in plan.security_groups] == [INBOUND, OUTBOUND]
    assert "  would delete: app JupyterLab/default of alice" in lines
    assert f"  would delete: EFS file system {FS}" in lines
    assert not any(OTHER_FS in line or UNTAGGED_FS in line or "imposter" in line for line in lines)
    assert lines[-1] == "dry run: nothing deleted (--apply deletes)"


def test_apply_with_a_live_domain_deletes_apps_then_spaces_and_keeps_the_efs(aws):
    clients, stubbers = aws
    alice = app("default")
    shared = app("shared", owner=("SpaceName", "team"))
    stub_live_domain(stubbers, [alice, shared], ["team"])
    stub_leftovers(stubbers)
    sm = stubbers["sagemaker"]
    alice_key = {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "default", "UserProfileName": "alice"}
    shared_key = {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "shared", "SpaceName": "team"}
    sm.add_response("delete_app", {}, alice_key)
    sm.add_response("describe_app", {"Status": "Deleting"}, alice_key)
    sm.add_response("describe_app", {"Status": "Deleted"}, alice_key)
    sm.add_client_error("delete_app", "ResourceNotFound", http_status_code=404, expected_params=shared_key)
    sm.add_client_error("describe_app", "ResourceNotFound", http_status_code=404, expected_params=shared_key)
    sm.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "team"})
    sm.add_client_error(
        "describe_space",
        "ResourceNotFound",
        http_status_code=404,
        expected_params={"DomainId": DOMAIN, "SpaceName": "team"},
    )
    plan, lines, sleeps = run(clients, apply=True)
    assert sleeps == [10]
    assert lines.index("deleting app JupyterLab/default of alice") < lines.index("deleting space team")
    assert any("run again after the stack deletion" in line for line in lines)
    # No EFS or EC2 call beyond the listing: Stubber would have failed on an unstubbed delete.


def stub_deleted_domain(stubbers):
    sm, cfn = stubbers["sagemaker"], stubbers["cloudformation"]
    sm.add_response("list_domains", {"Domains": []}, {})
    cfn.add_response(
        "list_stacks",
        {
            "StackSummaries": [
                {"StackName": "other-stack", "StackId": "x", "CreationTime": T0, "StackStatus": "DELETE_COMPLETE"},
                {
                    "StackName": STACK,
                    "StackId": STACK_ID,
                    "CreationTime": T0,
                    "DeletionTime": datetime(2026, 11, 30, tzinfo=UTC),
                    "StackStatus": "DELETE_COMPLETE",
                },
            ]
        },
        {"StackStatusFilter": ["DELETE_COMPLETE"]},
    )
    cfn.add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": "StudioDomain",
                    "PhysicalResourceId": DOMAIN,
                    "ResourceType": "AWS::SageMaker::Domain",
                    "LastUpdatedTimestamp": T0,
                    "ResourceStatus": "DELETE_COMPLETE",
                }
            ]
        },
        {"StackName": STACK_ID},
    )
    sm.add_client_error(
        "describe_domain", "ResourceNotFound", http_status_code=404, expected_params={"DomainId": DOMAIN}
    )


def test_after_the_stack_deletion_apply_deletes_efs_then_nfs_groups_in_order(aws):
    clients, stubbers = aws
    stub_deleted_domain(stubbers)
    stub_leftovers(stubbers, targets=("fsmt-00000001", "fsmt-00000002"))
    efs, ec2 = stubbers["efs"], stubbers["ec2"]
    efs.add_response("delete_mount_target", {}, {"MountTargetId": "fsmt-00000001"})
    efs.add_client_error(
        "delete_mount_target",
        "MountTargetNotFound",
        http_status_code=404,
        expected_params={"MountTargetId": "fsmt-00000002"},
    )
    efs.add_response("describe_mount_targets", {"MountTargets": [mount_target("fsmt-00000001")]}, {"FileSystemId": FS})
    efs.add_response("describe_mount_targets", {"MountTargets": []}, {"FileSystemId": FS})
    efs.add_response("delete_file_system", {}, {"FileSystemId": FS})
    ec2.add_response(
        "revoke_security_group_ingress",
        {"Return": True},
        {
            "GroupId": INBOUND,
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": OUTBOUND}]}
            ],
        },
    )
    ec2.add_response(
        "revoke_security_group_egress",
        {"Return": True},
        {
            "GroupId": OUTBOUND,
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": INBOUND}]}
            ],
        },
    )
    ec2.add_client_error(
        "delete_security_group", "DependencyViolation", http_status_code=400, expected_params={"GroupId": INBOUND}
    )
    ec2.add_response("delete_security_group", {}, {"GroupId": INBOUND})
    ec2.add_client_error(
        "delete_security_group", "InvalidGroup.NotFound", http_status_code=400, expected_params={"GroupId": OUTBOUND}
    )
    plan, lines, sleeps = run(clients, apply=True)
    assert not plan.domain_exists and plan.domain_id == DOMAIN
    assert sleeps == [10, 10]  # one for the mount targets, one for the ENI still attached to the group
    order = [line for line in lines if line.startswith(("deleting", "deleted", "revoked"))]
    assert order == [
        "deleting EFS mount target fsmt-00000001",
        "deleting EFS mount target fsmt-00000002",
        f"deleted EFS file system {FS}",
        f"revoked the ingress rules of {INBOUND} that reference the NFS groups",
        f"revoked the egress rules of {OUTBOUND} that reference the NFS groups",
        f"deleted security group {INBOUND} (security-group-for-inbound-nfs-{DOMAIN})",
        f"deleted security group {OUTBOUND} (security-group-for-outbound-nfs-{DOMAIN})",
    ]


def test_after_the_stack_deletion_dry_run_deletes_nothing(aws):
    clients, stubbers = aws
    stub_deleted_domain(stubbers)
    stub_leftovers(stubbers)
    plan, lines, _ = run(clients)
    assert f"  would delete: security group {OUTBOUND} (security-group-for-outbound-nfs-{DOMAIN})" in lines
    assert lines[-1].startswith("dry run")


def test_an_explicit_domain_id_skips_the_lookup(aws):
    clients, stubbers = aws
    stubbers["sagemaker"].add_client_error(
        "describe_domain", "ResourceNotFound", http_status_code=404, expected_params={"DomainId": DOMAIN}
    )
    stubbers["efs"].add_response("describe_file_systems", {"FileSystems": [fs(OTHER_FS, tag(OTHER))]}, {})
    stubbers["ec2"].add_response("describe_security_groups", {"SecurityGroups": []}, {"Filters": ANY})
    plan, lines, _ = run(clients, apply=True, domain_id=DOMAIN)
    assert plan.file_systems == {} and plan.security_groups == []


def test_nothing_to_do_without_a_domain(aws):
    clients, stubbers = aws
    stubbers["sagemaker"].add_response("list_domains", {"Domains": []}, {})
    stubbers["cloudformation"].add_response(
        "list_stacks", {"StackSummaries": []}, {"StackStatusFilter": ["DELETE_COMPLETE"]}
    )
    plan, lines, _ = run(clients, apply=True)
    assert plan is None and "nothing to clean up" in lines[0]


def test_other_errors_surface(aws):
    clients, stubbers = aws
    stubbers["sagemaker"].add_client_error("describe_domain", "AccessDeniedException", http_status_code=400)
    with pytest.raises(clients.sagemaker.exceptions.ClientError, match="AccessDenied"):
        run(clients, domain_id=DOMAIN)


@pytest.mark.parametrize(
    ("value", "owned"),
    [
        (arn(DOMAIN), True),
        (f"arn:aws-cn:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}", True),
        (arn(OTHER), False),
        (f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:domain/{DOMAIN}", False),
        (f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}-x", False),
        (f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/{DOMAIN}/alice", False),
    ],
)
def test_owned_by_matches_exactly_one_domain(value, owned):
    assert teardown.owned_by([{"Key": teardown.SAGEMAKER_TAG, "Value": value}], DOMAIN, REGION) is owned


def test_cli_uses_the_profiles_names_and_region(aws, monkeypatch):
    clients, stubbers = aws
    calls = []

    def fake_teardown(got, **kwargs):
        calls.append(kwargs)

    class Session:
        def __init__(self, region_name):
            self.region_name = region_name

        def client(self, name, config):
            assert config.retries == {"mode": "standard", "max_attempts": 10}
            return getattr(clients, name)

    monkeypatch.setattr(teardown, "teardown", fake_teardown)
    assert teardown.main(["--profile", "sandbox"], session_factory=Session) == 0
    assert calls == [{"domain_name": "secure-ml-sandbox", "stack_name": STACK, "domain_id": None, "apply": False}]
