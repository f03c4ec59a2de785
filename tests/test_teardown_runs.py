"""The profile teardown (scripts/teardown.py) against botocore's Stubber: the dry run and the real run.

No AWS calls; the stubbed account and stubs are shared (tests/teardown_account.py, tests/teardown_stubs.py).
"""

from __future__ import annotations

from botocore.stub import ANY
from teardown_account import (
    ACCOUNT,
    API_ROLE,
    DOMAIN,
    ENDPOINT,
    FS,
    INBOUND,
    MOUNT_TARGET,
    OUTBOUND,
    PREFIX,
    account_fixture,  # noqa: F401 (the `account` fixture)
    stack_id,
)
from teardown_stubs import (
    AVAILABLE_ENI,
    BUCKET,
    ENDPOINT_ENI,
    LAMBDA_ENI,
    SANDBOX_STACKS,
    run_main,
    scalable_target,
    stub_buckets,
    stub_deleted,
    stub_efs_and_groups,
    stub_enis,
    stub_known_orphans_plan,
    stub_targets,
)

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
