"""The profile teardown (scripts/teardown.py) against botocore's Stubber: failures, retries and time-outs.

No AWS calls; the stubbed account and stubs are shared (tests/teardown_account.py, tests/teardown_stubs.py).
"""

from __future__ import annotations

from botocore.stub import ANY
from teardown_account import (
    ENDPOINT,
    PREFIX,
    T0,
    VPC,
    Clock,
    account_fixture,  # noqa: F401 (the `account` fixture)
    make,
    stack_id,
)
from teardown_stubs import (
    AVAILABLE_ENI,
    BUCKET,
    LAMBDA_ENI,
    deployed,
    missing,
    run_main,
    scalable_target,
    stack,
    stub_api_account,
    stub_buckets,
    stub_deleted,
    stub_enis,
    stub_stacks,
    stub_targets,
)

from scripts import teardown as td

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
