"""The profile teardown (scripts/teardown.py) against botocore's Stubber: stubbed stacks,
workspace leftovers, ENIs, scaling targets, buckets and the API Gateway account.
"""

from __future__ import annotations

import io

from botocore.stub import ANY
from teardown_account import (
    ACCOUNT,
    API_ROLE,
    DOMAIN,
    ENDPOINT,
    FS,
    INBOUND,
    KEY_ID,
    MOUNT_TARGET,
    OUTBOUND,
    PREFIX,
    REGION,
    T0,
    VPC,
    Account,
    Clock,
    stack_id,
)

from scripts import teardown as td
from scripts import workspace_teardown as ws


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
