"""The profile teardown (scripts/teardown.py) against botocore's Stubber: no AWS calls.

Every client gets a Stubber through the injected client factory; a call nobody stubbed fails the
test, so a dry run that deletes anything fails. A recorder on every client keeps the order of
calls across services, so the tests can assert the order AWS accepts.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from scripts import teardown as td
from scripts import workspace_teardown as ws

REGION = "us-east-1"
ACCOUNT = "123456789012"
PREFIX = "secure-ml-sandbox-"
DOMAIN = "d-abc123def456"
FS = "fs-0000000a"
MOUNT_TARGET = "fsmt-00000001"
INBOUND, OUTBOUND = "sg-0inbound", "sg-0outbound"
VPC = "vpc-0project"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
API_ROLE = f"{PREFIX}inference-ApiCloudWatchRole-ABC"
ENDPOINT = f"endpoint/{PREFIX}realtime/variant/challenger"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/other"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def stack_id(suffix: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{PREFIX}{suffix}/1111"


class Account:
    """Stubbed clients, one per service, and the order of every call made through them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.clients: dict[str, object] = {}
        self.stubbers: dict[str, Stubber] = {}
        for service in td.SERVICES:
            client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
            client.meta.events.register("before-parameter-build.*.*", self._record)
            stubber = Stubber(client)
            stubber.activate()
            self.clients[service], self.stubbers[service] = client, stubber

    def _record(self, params, model, **_):
        self.calls.append((model.name, dict(params)))

    def factory(self, service: str):
        return self.clients[service]

    def __getitem__(self, service: str) -> Stubber:
        return self.stubbers[service]

    def index(self, operation: str, **params) -> int:
        for i, (name, called) in enumerate(self.calls):
            if name == operation and all(called.get(k) == v for k, v in params.items()):
                return i
        raise AssertionError(f"{operation} {params} was not called: {[c[0] for c in self.calls]}")

    def called(self, operation: str) -> bool:
        return any(name == operation for name, _ in self.calls)

    def verify(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def account():
    acct = Account()
    yield acct
    acct.verify()


def make(account: Account, clock: Clock | None = None, **overrides) -> tuple[td.Teardown, list[str]]:
    lines: list[str] = []
    clock = clock or Clock()
    settings = dict(
        prefix=PREFIX,
        region=REGION,
        removal_policy="destroy",
        production=False,
        bootstrap_qualifier="hnb659fds",
        catalog_encryption=False,
        manage_api_role=True,
        out=lines.append,
        sleep=clock.sleep,
        clock=clock,
    )
    settings.update(overrides)
    return td.Teardown(account.factory, **settings), lines


# Stub helpers


def stack(suffix: str, status: str = "CREATE_COMPLETE", protected: bool = False) -> dict:
    return {
        "StackName": f"{PREFIX}{suffix}",
        "StackId": stack_id(suffix),
        "CreationTime": T0,
        "StackStatus": status,
        "EnableTerminationProtection": protected,
    }


def missing(account: Account, suffix: str) -> None:
    account["cloudformation"].add_client_error(
        "describe_stacks",
        "ValidationError",
        f"Stack with id {PREFIX}{suffix} does not exist",
        expected_params={"StackName": f"{PREFIX}{suffix}"},
    )


def resource(resource_type: str, physical: str) -> dict:
    return {
        "LogicalResourceId": physical.replace("-", ""),
        "PhysicalResourceId": physical,
        "ResourceType": resource_type,
        "LastUpdatedTimestamp": T0,
        "ResourceStatus": "CREATE_COMPLETE",
    }


RESOURCES = {
    "inference": [resource("AWS::IAM::Role", API_ROLE)],
    "network": [resource("AWS::EC2::VPC", VPC), resource("AWS::EC2::Subnet", "subnet-0000000a")],
    "security-baseline": [resource("AWS::KMS::Key", KEY_ID)],
}


def deployed(account: Account, suffix: str, protected: bool = False) -> None:
    cfn = account["cloudformation"]
    cfn.add_response(
        "describe_stacks", {"Stacks": [stack(suffix, protected=protected)]}, {"StackName": PREFIX + suffix}
    )
    if suffix in RESOURCES:
        cfn.add_response(
            "list_stack_resources", {"StackResourceSummaries": RESOURCES[suffix]}, {"StackName": stack_id(suffix)}
        )


def stub_stacks(account: Account, present: set[str], protected: bool = False) -> None:
    for suffix in td.DELETION_ORDER:
        if suffix in present:
            deployed(account, suffix, protected)
        else:
            missing(account, suffix)


def tag() -> list[dict]:
    return [{"Key": ws.SAGEMAKER_TAG, "Value": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}"}]


def nfs_groups() -> list[dict]:
    return [
        {
            "GroupId": INBOUND,
            "GroupName": f"security-group-for-inbound-nfs-{DOMAIN}",
            "Tags": tag(),
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": OUTBOUND}]}
            ],
            "IpPermissionsEgress": [],
        },
        {
            "GroupId": OUTBOUND,
            "GroupName": f"security-group-for-outbound-nfs-{DOMAIN}",
            "Tags": tag(),
            "IpPermissions": [],
            "IpPermissionsEgress": [
                {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": INBOUND}]}
            ],
        },
    ]


def stub_efs_and_groups(account: Account, targets=(MOUNT_TARGET,)) -> None:
    file_system = {
        "OwnerId": ACCOUNT,
        "CreationToken": FS,
        "FileSystemId": FS,
        "CreationTime": T0,
        "LifeCycleState": "available",
        "NumberOfMountTargets": len(targets),
        "SizeInBytes": {"Value": 6144},
        "PerformanceMode": "generalPurpose",
        "Tags": tag(),
    }
    account["efs"].add_response("describe_file_systems", {"FileSystems": [file_system]}, {})
    account["efs"].add_response(
        "describe_mount_targets",
        {
            "MountTargets": [
                {"MountTargetId": t, "FileSystemId": FS, "SubnetId": "subnet-0000000a", "LifeCycleState": "available"}
                for t in targets
            ]
        },
        {"FileSystemId": FS},
    )
    account["ec2"].add_response("describe_security_groups", {"SecurityGroups": nfs_groups()}, {"Filters": ANY})


def stub_live_workspace(account: Account) -> None:
    sm = account["sagemaker"]
    sm.add_response("list_domains", {"Domains": [{"DomainId": DOMAIN, "DomainName": PREFIX.rstrip("-")}]}, {})
    sm.add_response("describe_domain", {"DomainId": DOMAIN, "Status": "InService"}, {"DomainId": DOMAIN})
    app = {
        "DomainId": DOMAIN,
        "SpaceName": "alice-space",
        "AppType": "JupyterLab",
        "AppName": "default",
        "Status": "InService",
    }
    sm.add_response("list_apps", {"Apps": [app]}, {"DomainIdEquals": DOMAIN})
    space = {"DomainId": DOMAIN, "SpaceName": "alice-space", "Status": "InService"}
    sm.add_response("list_spaces", {"Spaces": [space]}, {"DomainIdEquals": DOMAIN})
    stub_efs_and_groups(account)


AVAILABLE_ENI = {
    "NetworkInterfaceId": "eni-0available",
    "Status": "available",
    "Description": "[DO NOT DELETE] ENI managed by SageMaker for training job",
    "InterfaceType": "interface",
    "SubnetId": "subnet-0000000a",
    "RequesterId": "sagemaker.amazonaws.com",
}
LAMBDA_ENI = {
    "NetworkInterfaceId": "eni-0lambda",
    "Status": "in-use",
    "Description": "AWS Lambda VPC ENI-secure-ml-sandbox-invoke",
    "InterfaceType": "lambda",
    "SubnetId": "subnet-0000000a",
    "RequesterId": "AROAEXAMPLE:lambda",
}
ENDPOINT_ENI = {
    "NetworkInterfaceId": "eni-0vpce",
    "Status": "in-use",
    "Description": "VPC Endpoint Interface vpce-0123",
    "InterfaceType": "vpc_endpoint",
    "SubnetId": "subnet-0000000a",
}


def stub_enis(account: Account, enis) -> None:
    account["ec2"].add_response(
        "describe_network_interfaces",
        {"NetworkInterfaces": list(enis)},
        {"Filters": [{"Name": "vpc-id", "Values": [VPC]}]},
    )


def scalable_target(resource_id: str = ENDPOINT) -> dict:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": resource_id,
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": 1,
        "MaxCapacity": 2,
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/x",
        "CreationTime": T0,
    }


def stub_targets(account: Account, targets) -> None:
    account["application-autoscaling"].add_response(
        "describe_scalable_targets", {"ScalableTargets": list(targets)}, {"ServiceNamespace": "sagemaker"}
    )


def stub_buckets(account: Account, names) -> None:
    account["s3"].add_response("list_buckets", {"Buckets": [{"Name": n, "CreationDate": T0} for n in names]}, {})


def stub_api_account(account: Account, role: str | None = API_ROLE) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}" if role else None
    account["apigateway"].add_response("get_account", {"cloudwatchRoleArn": arn} if arn else {}, {})


BUCKET = f"{PREFIX}artifacts-{ACCOUNT}-{REGION}"
SANDBOX_STACKS = {"inference", "workspace", "data", "network", "security-baseline"}


def stub_known_orphans_plan(account: Account) -> None:
    """A sandbox account with every orphan the teardown knows, seen before anything is deleted."""
    stub_stacks(account, SANDBOX_STACKS)
    stub_live_workspace(account)
    stub_enis(account, [AVAILABLE_ENI, LAMBDA_ENI, ENDPOINT_ENI])
    stub_targets(account, [scalable_target(), scalable_target("endpoint/someone-else/variant/a")])
    stub_buckets(account, [BUCKET, "someone-elses-bucket"])
    stub_api_account(account)


def stub_deleted(account: Account, suffix: str, progress: int = 0) -> None:
    cfn = account["cloudformation"]
    cfn.add_response("delete_stack", {}, {"StackName": stack_id(suffix)})
    for _ in range(progress):
        cfn.add_response(
            "describe_stacks", {"Stacks": [stack(suffix, "DELETE_IN_PROGRESS")]}, {"StackName": stack_id(suffix)}
        )
    cfn.add_response("describe_stacks", {"Stacks": [stack(suffix, "DELETE_COMPLETE")]}, {"StackName": stack_id(suffix)})


def run_main(account: Account, argv, answer: str = "", clock: Clock | None = None) -> tuple[int, list[str]]:
    lines: list[str] = []
    clock = clock or Clock()
    code = td.main(
        argv,
        client_factory=account.factory,
        stdin=io.StringIO(answer),
        out=lines.append,
        sleep=clock.sleep,
        clock=clock,
    )
    return code, lines


# The dry run and the real run


def test_the_dry_run_lists_every_known_orphan_and_deletes_nothing(account):
    stub_known_orphans_plan(account)
    code, lines = run_main(account, ["--profile", "sandbox"], answer="n\n")
    text = "\n".join(lines)
    assert code == 0
    assert lines[-1] == "nothing deleted"
    stacks = [line.split()[1] for line in lines if line.startswith("  stack ")]
    assert stacks == [f"{PREFIX}{s}" for s in ("inference", "workspace", "data", "network", "security-baseline")]
    for orphan in (
        "app JupyterLab/default of alice-space",
        "space alice-space",
        f"EFS mount target {MOUNT_TARGET} of {FS}",
        f"EFS file system {FS}",
        f"security group {INBOUND}",
        f"security group {OUTBOUND}",
        "ENI eni-0available",
        "ENI eni-0lambda",
        f"scaling registration {ENDPOINT}",
        f"bucket {BUCKET}",
        f"API Gateway CloudWatch role arn:aws:iam::{ACCOUNT}:role/{API_ROLE}",
    ):
        assert orphan in text, orphan
    for not_ours in ("eni-0vpce", "someone-else", "someone-elses-bucket"):
        assert not_ours not in text
    assert "wait for Lambda to release it" in text
    assert not any(name.startswith(("Delete", "Deregister", "Update", "Put", "Revoke")) for name, _ in account.calls)


def test_the_real_run_removes_them_in_an_order_aws_accepts(account):
    stub_known_orphans_plan(account)
    sm, efs, ec2 = (account[s] for s in ("sagemaker", "efs", "ec2"))
    # Inference stack, then the scaling registration it left.
    stub_deleted(account, "inference", progress=1)
    stub_targets(account, [scalable_target()])
    account["application-autoscaling"].add_response(
        "deregister_scalable_target",
        {},
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": ENDPOINT,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        },
    )
    # Apps and spaces, the Workspace stack, then its EFS and NFS groups.
    key = {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "default", "SpaceName": "alice-space"}
    sm.add_response("delete_app", {}, key)
    sm.add_response("describe_app", {"Status": "Deleted"}, key)
    sm.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "alice-space"})
    sm.add_client_error("describe_space", "ResourceNotFound")
    stub_deleted(account, "workspace")
    sm.add_client_error("describe_domain", "ResourceNotFound")
    stub_efs_and_groups(account)
    efs.add_response("delete_mount_target", {}, {"MountTargetId": MOUNT_TARGET})
    efs.add_response("describe_mount_targets", {"MountTargets": []}, {"FileSystemId": FS})
    efs.add_response("delete_file_system", {}, {"FileSystemId": FS})
    ec2.add_response("revoke_security_group_ingress", {}, {"GroupId": INBOUND, "IpPermissions": ANY})
    ec2.add_response("revoke_security_group_egress", {}, {"GroupId": OUTBOUND, "IpPermissions": ANY})
    ec2.add_response("delete_security_group", {}, {"GroupId": INBOUND})
    ec2.add_response("delete_security_group", {}, {"GroupId": OUTBOUND})
    stub_deleted(account, "data")
    # ENIs before the Network stack: the available one at once, Lambda's once released.
    stub_enis(account, [AVAILABLE_ENI, LAMBDA_ENI, ENDPOINT_ENI])
    ec2.add_response("delete_network_interface", {}, {"NetworkInterfaceId": "eni-0available"})
    ec2.add_response(
        "describe_network_interfaces",
        {"NetworkInterfaces": [{**LAMBDA_ENI, "Status": "available"}]},
        {"NetworkInterfaceIds": ["eni-0lambda"]},
    )
    ec2.add_response("delete_network_interface", {}, {"NetworkInterfaceId": "eni-0lambda"})
    stub_deleted(account, "network")
    stub_deleted(account, "security-baseline")
    stub_buckets(account, [])  # the auto-delete providers emptied them; the stacks deleted them
    account["apigateway"].add_response(
        "update_account", {}, {"patchOperations": [{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}]}
    )

    code, lines = run_main(account, ["--profile", "sandbox", "--yes"])

    assert code == 0, lines
    assert lines[-1] == "teardown complete"
    assert any("... secure-ml-sandbox-inference: DELETE_IN_PROGRESS" in line for line in lines)
    at = account.index
    delete = {s: at("DeleteStack", StackName=stack_id(s)) for s in SANDBOX_STACKS}
    assert delete["inference"] < delete["workspace"] < delete["data"] < delete["network"] < delete["security-baseline"]
    assert delete["inference"] < at("DeregisterScalableTarget")
    assert at("DeleteApp") < at("DeleteSpace") < delete["workspace"]
    assert delete["workspace"] < at("DeleteMountTarget") < at("DeleteFileSystem") < at("DeleteSecurityGroup")
    assert at("RevokeSecurityGroupIngress") < at("DeleteSecurityGroup", GroupId=INBOUND)
    assert at("DeleteNetworkInterface", NetworkInterfaceId="eni-0available") < delete["network"]
    assert at("DeleteNetworkInterface", NetworkInterfaceId="eni-0lambda") < delete["network"]
    # Security groups and subnets last: the NFS groups before the Network stack, which holds the rest.
    assert at("DeleteSecurityGroup", GroupId=OUTBOUND) < delete["network"]
    assert delete["security-baseline"] < at("UpdateAccount")
    assert all(p.get("NetworkInterfaceId") != "eni-0vpce" for n, p in account.calls if n == "DeleteNetworkInterface")


# Failures


def test_throttling_is_retried_with_back_off(account):
    clock = Clock()
    teardown, _ = make(account, clock)
    cfn = account["cloudformation"]
    cfn.add_client_error("describe_stacks", "Throttling", "Rate exceeded", http_status_code=400)
    cfn.add_client_error("describe_stacks", "Throttling", "Rate exceeded", http_status_code=400)
    deployed(account, "data")
    found = teardown.find_stack("data")
    assert found.name == f"{PREFIX}data" and found.status == "CREATE_COMPLETE"
    assert clock.sleeps == [1, 2]


def test_throttling_that_persists_is_a_fail_line_and_the_run_goes_on(account):
    teardown, lines = make(account, throttle_attempts=2)
    for _ in range(2):
        account["application-autoscaling"].add_client_error("describe_scalable_targets", "ThrottlingException")
    assert teardown.step("scaling registrations", teardown.deregister_targets) is False
    assert lines == ["FAIL scaling registrations: still throttled after 2 attempts (ThrottlingException); run again"]


def test_access_denied_names_the_permission_and_the_rest_continues(account):
    teardown, lines = make(account)
    plan = td.Plan(vpc_ids=[VPC])
    stub_enis(account, [AVAILABLE_ENI, {**AVAILABLE_ENI, "NetworkInterfaceId": "eni-0second"}])
    account["ec2"].add_client_error("delete_network_interface", "UnauthorizedOperation", http_status_code=403)
    account["ec2"].add_response("delete_network_interface", {}, {"NetworkInterfaceId": "eni-0second"})
    teardown.release_enis(plan)
    assert lines[0].startswith("FAIL ENI eni-0available")
    assert lines[0].endswith("access denied: the caller needs ec2:DeleteNetworkInterface")
    assert lines[1].startswith("deleted ENI eni-0second")


def test_a_bucket_the_caller_may_not_empty_is_listed_with_the_reason(account):
    teardown, lines = make(account)
    stub_buckets(account, [BUCKET])
    account["s3"].add_client_error("list_object_versions", "AccessDenied", http_status_code=403)
    teardown.empty_buckets()
    assert f"FAIL bucket {BUCKET}: access denied: the caller needs s3:ListBucketVersions" in lines
    assert "cdk-hnb659fds-cfn-exec-role-*" in lines[-1]


def test_a_leftover_bucket_is_emptied_page_by_page_then_deleted(account):
    teardown, lines = make(account)
    s3 = account["s3"]
    stub_buckets(account, [BUCKET])
    version = {"Key": "a", "VersionId": "v1", "IsLatest": True, "LastModified": T0}
    s3.add_response(
        "list_object_versions",
        {
            "Versions": [version],
            "DeleteMarkers": [{"Key": "b", "VersionId": "v2"}],
            "IsTruncated": True,
            "NextKeyMarker": "b",
            "NextVersionIdMarker": "v2",
        },
        {"Bucket": BUCKET},
    )
    s3.add_response("delete_objects", {}, {"Bucket": BUCKET, "Delete": ANY})
    s3.add_response(
        "list_object_versions",
        {"Versions": [{**version, "Key": "c"}], "IsTruncated": False},
        {"Bucket": BUCKET, "KeyMarker": "b", "VersionIdMarker": "v2"},
    )
    s3.add_response("delete_objects", {}, {"Bucket": BUCKET, "Delete": ANY})
    s3.add_response("delete_bucket", {}, {"Bucket": BUCKET})
    teardown.empty_buckets()
    assert lines[-1] == f"deleted bucket {BUCKET} (3 object versions)"


def test_not_found_means_already_gone(account):
    teardown, lines = make(account)
    stub_targets(account, [scalable_target()])
    account["application-autoscaling"].add_client_error("deregister_scalable_target", "ObjectNotFoundException")
    plan = td.Plan(vpc_ids=[VPC])
    stub_enis(account, [AVAILABLE_ENI])
    account["ec2"].add_client_error("delete_network_interface", "InvalidNetworkInterfaceID.NotFound")
    teardown.deregister_targets()
    teardown.release_enis(plan)
    assert teardown.failures == []
    assert lines[0] == f"  scaling registration {ENDPOINT}: already gone"
    assert lines[1].startswith("  ENI eni-0available (") and lines[1].endswith(": already gone")
    assert len(lines) == 2


def test_a_stack_already_gone_is_not_planned(account):
    teardown, _ = make(account)
    missing(account, "governance")
    account["cloudformation"].add_response(
        "describe_stacks", {"Stacks": [stack("data", "DELETE_COMPLETE")]}, {"StackName": f"{PREFIX}data"}
    )
    assert teardown.find_stack("governance") is None
    assert teardown.find_stack("data") is None


def test_a_stack_stuck_deleting_times_out_with_a_clear_message(account):
    clock = Clock()
    teardown, lines = make(account, clock, stack_timeout=90, poll=30)
    cfn = account["cloudformation"]
    cfn.add_response("delete_stack", {}, {"StackName": stack_id("data")})
    for _ in range(4):  # t = 0, 30, 60, 90
        cfn.add_response("describe_stacks", {"Stacks": [stack("data", "DELETE_IN_PROGRESS")]})
    assert teardown.delete_stack(td.Stack("data", f"{PREFIX}data", stack_id("data"), "CREATE_COMPLETE")) is False
    assert clock.sleeps == [30, 30, 30]
    assert lines[-1].startswith(f"FAIL stack {PREFIX}data still DELETE_IN_PROGRESS after 90s")
    assert sum("... secure-ml-sandbox-data: DELETE_IN_PROGRESS" in line for line in lines) == 3


def test_a_lambda_eni_never_released_times_out(account):
    clock = Clock()
    teardown, lines = make(account, clock, eni_timeout=60, poll=30)
    stub_enis(account, [LAMBDA_ENI])
    for _ in range(2):
        account["ec2"].add_response(
            "describe_network_interfaces", {"NetworkInterfaces": [LAMBDA_ENI]}, {"NetworkInterfaceIds": ["eni-0lambda"]}
        )
    teardown.release_enis(td.Plan(vpc_ids=[VPC]))
    assert not account.called("DeleteNetworkInterface")
    assert "still in-use after 60s" in lines[-1] and lines[-1].startswith("FAIL ENI eni-0lambda")


def test_a_partial_failure_halfway_reports_continues_what_is_safe_and_exits_1(account):
    stub_stacks(account, {"inference", "workspace", "data", "network", "security-baseline"})
    account["sagemaker"].add_response("list_domains", {"Domains": []}, {})
    account["cloudformation"].add_response(
        "list_stacks", {"StackSummaries": []}, {"StackStatusFilter": ["DELETE_COMPLETE"]}
    )
    stub_enis(account, [])
    stub_targets(account, [])
    stub_buckets(account, [])
    stub_api_account(account, role=None)
    cfn = account["cloudformation"]
    stub_deleted(account, "inference")
    stub_targets(account, [])
    cfn.add_response("delete_stack", {}, {"StackName": stack_id("workspace")})
    cfn.add_response("describe_stacks", {"Stacks": [stack("workspace", "DELETE_FAILED")]})
    event = {"StackId": stack_id("workspace"), "EventId": "e", "StackName": f"{PREFIX}workspace", "Timestamp": T0}
    cfn.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                {**event, "LogicalResourceId": f"{PREFIX}workspace", "ResourceStatus": "DELETE_FAILED"},
                {
                    **event,
                    "LogicalResourceId": "StudioUserAlice",
                    "ResourceType": "AWS::SageMaker::UserProfile",
                    "ResourceStatus": "DELETE_FAILED",
                    "ResourceStatusReason": "user profile has apps",
                },
                {**event, "LogicalResourceId": f"{PREFIX}workspace", "ResourceStatus": "DELETE_IN_PROGRESS"},
                {**event, "LogicalResourceId": "Older", "ResourceStatus": "DELETE_FAILED"},
            ]
        },
        {"StackName": stack_id("workspace")},
    )
    stub_enis(account, [AVAILABLE_ENI])  # releasing an available ENI is safe whatever failed
    account["ec2"].add_response("delete_network_interface", {}, {"NetworkInterfaceId": "eni-0available"})
    stub_buckets(account, [])

    code, lines = run_main(account, ["--profile", "sandbox", "--yes"])

    assert code == 1
    failed = f"FAIL stack {PREFIX}workspace: DELETE_FAILED; StudioUserAlice (AWS::SageMaker::UserProfile): "
    assert failed + "user profile has apps" in lines
    assert not any("Older" in line for line in lines)
    for suffix in ("data", "network", "security-baseline"):
        assert f"FAIL stack {PREFIX}{suffix}: skipped, {PREFIX}workspace still imports its outputs" in lines
        assert all(p.get("StackName") != stack_id(suffix) for n, p in account.calls if n == "DeleteStack")
    assert account.index("DeleteStack", StackName=stack_id("inference")) < account.index("DeleteNetworkInterface")
    assert "teardown incomplete: 4 failure(s)" in lines


def test_an_error_while_planning_deletes_nothing(account):
    account["cloudformation"].add_client_error("describe_stacks", "AccessDenied", http_status_code=403)
    code, lines = run_main(account, ["--profile", "sandbox", "--yes"])
    assert code == 1
    assert lines == ["FAIL planning (nothing deleted): access denied: the caller needs cloudformation:DescribeStacks"]


# Account-level settings


def test_glue_catalog_encryption_naming_the_project_key_is_reset(account):
    teardown, lines = make(account, catalog_encryption=True)
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
    settings = {
        "DataCatalogEncryptionSettings": {
            "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": key_arn}
        }
    }
    glue = account["glue"]
    glue.add_response("get_data_catalog_encryption_settings", settings, {})
    assert teardown.glue_key([KEY_ID]) == key_arn
    glue.add_response("get_data_catalog_encryption_settings", settings, {})
    glue.add_response(
        "put_data_catalog_encryption_settings",
        {},
        {
            "DataCatalogEncryptionSettings": {
                "EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"},
                "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False},
            }
        },
    )
    teardown.reset_account_settings(td.Plan(key_ids=[KEY_ID], glue_key=key_arn))
    assert lines == ["reset the Glue Data Catalog encryption to disabled"]


def test_account_settings_of_someone_else_are_left_alone(account):
    teardown, _ = make(account, catalog_encryption=True)
    account["glue"].add_response(
        "get_data_catalog_encryption_settings",
        {
            "DataCatalogEncryptionSettings": {
                "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": "arn:aws:kms:x:1:key/other"}
            }
        },
    )
    assert teardown.glue_key([KEY_ID]) is None
    stub_api_account(account, role="OrganizationApiGatewayLogging")
    assert teardown.apigateway_role(None) is None


# Production


def test_production_is_refused_without_confirm():
    def no_clients(service):
        raise AssertionError("no client may be created")

    lines: list[str] = []
    assert td.main(["--profile", "production", "--yes"], client_factory=no_clients, out=lines.append) == 2
    assert lines[0].startswith("FAIL refusing to tear down a production profile: pass --confirm secure-ml-production")
    lines.clear()
    argv = ["--profile", "production", "--confirm", "secure-ml-sandbox", "--yes"]
    assert td.main(argv, client_factory=no_clients, out=lines.append) == 2


def test_destroying_retained_data_is_refused_even_when_confirmed():
    with pytest.raises(td.Refused, match="not implemented"):
        td.check_production(
            production=True,
            prefix="secure-ml-production-",
            confirm="secure-ml-production-security-baseline",
            destroy_retained_data=True,
        )


@pytest.mark.parametrize(
    "confirm", ["secure-ml-production", "secure-ml-production-", "secure-ml-production-security-baseline"]
)
def test_production_accepts_the_prefix_or_the_security_baseline_name(confirm):
    td.check_production(production=True, prefix="secure-ml-production-", confirm=confirm, destroy_retained_data=False)


def test_confirmed_production_lifts_termination_protection_and_keeps_the_home_efs(account):
    teardown, lines = make(account, removal_policy="retain", production=True)
    cfn = account["cloudformation"]
    cfn.add_response(
        "update_termination_protection",
        {},
        {"StackName": stack_id("workspace"), "EnableTerminationProtection": False},
    )
    stub_deleted(account, "workspace")
    protected = td.Stack("workspace", f"{PREFIX}workspace", stack_id("workspace"), "CREATE_COMPLETE", True)
    assert teardown.delete_stack(protected) is True
    account["sagemaker"].add_client_error("describe_domain", "ResourceNotFound")
    stub_efs_and_groups(account)
    teardown.clean_workspace_after(td.Plan(workspace=ws.Plan(DOMAIN, False)))
    assert not account.called("DeleteFileSystem") and not account.called("DeleteMountTarget")
    assert "retained (removal_policy: retain): the home EFS fs-0000000a" in lines[-1]
    teardown.empty_buckets()  # retained: not even listed
    assert not account.called("ListBuckets")
