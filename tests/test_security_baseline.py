"""The security baseline stack, control by control (patterns N10, N11, N12).

Each test names the pattern it proves and fails when the control is removed.
"""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from helpers import as_list, bucket_policy_for, denies_insecure_transport, statements, target

STACK = "SecurityBaseline"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def access_log_bucket_id(assembly) -> str:
    (bucket_id,) = [k for k in resources(assembly, "AWS::S3::Bucket") if k.startswith("AccessLogs")]
    return bucket_id


def data_buckets(assembly) -> dict[str, dict]:
    """Every bucket except the access-log destination, which cannot use SSE-KMS."""
    log_bucket = access_log_bucket_id(assembly)
    return {k: v for k, v in resources(assembly, "AWS::S3::Bucket").items() if k != log_bucket}


# --- N11: customer-managed keys -------------------------------------------------------


def test_n11_four_purpose_keys_all_rotated(profile):
    keys = resources(profile, "AWS::KMS::Key")
    assert len(keys) == 4
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["Properties"]["PendingWindowInDays"] == profile.config.security.kms_pending_window_days


def test_n11_keys_have_aliases_per_project_and_profile(profile):
    aliases = sorted(a["Properties"]["AliasName"] for a in resources(profile, "AWS::KMS::Alias").values())
    prefix = f"alias/{profile.config.project_name}/{profile.config.profile}"
    assert aliases == [f"{prefix}/audit", f"{prefix}/data", f"{prefix}/logs", f"{prefix}/notifications"]


def test_n11_grants_only_for_aws_resources(profile):
    """CT.KMS.PR.3: nobody can pass key access on with kms:CreateGrant."""
    for key in resources(profile, "AWS::KMS::Key").values():
        assert {
            "Sid": "DenyGrantsExceptForAwsResources",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
        } in statements(key["Properties"]["KeyPolicy"])


def test_n11_logs_key_serves_cloudwatch_logs_of_this_account_and_region_only(profile):
    logs_key = next(
        k for k in resources(profile, "AWS::KMS::Key").values() if "CloudWatch" in k["Properties"]["Description"]
    )
    (statement,) = [s for s in statements(logs_key["Properties"]["KeyPolicy"]) if "Service" in s["Principal"]]
    region = profile.config.region
    assert statement["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    context = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context == {"Fn::Join": ["", [f"arn:aws:logs:{region}:", {"Ref": "AWS::AccountId"}, ":log-group:*"]]}


def test_n11_only_the_data_key_names_no_service(profile):
    """The data key is used through IAM grants only; the others admit the services that use them."""
    for key in resources(profile, "AWS::KMS::Key").values():
        principals = [s["Principal"] for s in statements(key["Properties"]["KeyPolicy"])]
        services = [p["Service"] for p in principals if "Service" in p]
        if key["Properties"]["Description"].startswith("Data"):
            assert services == []
        else:
            assert services


def test_n11_data_buckets_use_sse_kms_with_bucket_key_and_block_sse_c(profile):
    keys = resources(profile, "AWS::KMS::Key")
    buckets = data_buckets(profile)
    assert buckets
    for bucket in buckets.values():
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert target(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) in keys
        assert rule["BucketKeyEnabled"] is True
        assert rule["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}


def test_n11_access_log_bucket_is_the_only_sse_s3_bucket(profile):
    """S3 cannot deliver server access logs to an SSE-KMS bucket; that bucket alone uses SSE-S3."""
    log_bucket = resources(profile, "AWS::S3::Bucket")[access_log_bucket_id(profile)]
    (rule,) = log_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert rule["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}


def test_n11_log_groups_encrypted_and_retained_per_profile(profile):
    keys = resources(profile, "AWS::KMS::Key")
    groups = resources(profile, "AWS::Logs::LogGroup")
    assert groups
    for group in groups.values():
        assert target(group["Properties"]["KmsKeyId"]) in keys
        assert group["Properties"]["RetentionInDays"] == profile.config.security.log_retention_days


def test_n11_notifications_key_admits_alarm_and_event_publishers_of_this_account(profile):
    (key,) = [
        k for k in resources(profile, "AWS::KMS::Key").values() if k["Properties"]["Description"].startswith("SNS")
    ]
    services = {
        s["Principal"]["Service"]: s for s in statements(key["Properties"]["KeyPolicy"]) if "Service" in s["Principal"]
    }
    budgets = ["budgets.amazonaws.com"] if profile.config.governance.budget.enabled else []  # G2, tests/test_cost.py
    assert sorted(services) == sorted(["cloudwatch.amazonaws.com", "events.amazonaws.com", *budgets])
    for statement in services.values():
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    this_account = {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert services["events.amazonaws.com"]["Condition"] == {"StringEquals": this_account}
    # CloudWatch: this account's alarms in this region only (confused-deputy prevention).
    alarms = services["cloudwatch.amazonaws.com"]
    assert alarms["Sid"] == "AllowCloudWatchAlarmsToPublishToEncryptedTopics"
    assert alarms["Condition"]["StringEquals"] == this_account
    assert alarms["Condition"]["ArnLike"] == {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                [f"arn:aws:cloudwatch:{profile.config.region}:", {"Ref": "AWS::AccountId"}, ":alarm:*"],
            ]
        }
    }


# --- N10: bucket policies and access ---------------------------------------------------


def test_n10_every_bucket_denies_plain_http_and_old_tls(profile):
    all_resources = profile.template_json(STACK)["Resources"]
    for bucket_id in resources(profile, "AWS::S3::Bucket"):
        policy = bucket_policy_for(all_resources, bucket_id)
        assert denies_insecure_transport(policy, bucket_id), bucket_id
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}}
            for s in statements(policy)
        ), bucket_id


def test_n10_every_bucket_private_without_acls(profile):
    for bucket in resources(profile, "AWS::S3::Bucket").values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert "AccessControl" not in props


def test_n10_every_bucket_versioned_with_lifecycle_hygiene(profile):
    expected_noncurrent = profile.config.security.noncurrent_version_expiration_days
    for bucket_id, bucket in resources(profile, "AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
        assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
        noncurrent = rules["ExpireNoncurrentVersions"]["NoncurrentVersionExpiration"]["NoncurrentDays"]
        if bucket_id != access_log_bucket_id(profile):
            assert noncurrent == expected_noncurrent
        assert all(r["Status"] == "Enabled" for r in rules.values())


def test_n10_every_data_bucket_logs_access_to_the_log_bucket(profile):
    log_bucket = access_log_bucket_id(profile)
    for bucket in data_buckets(profile).values():
        logging = bucket["Properties"]["LoggingConfiguration"]
        assert target(logging["DestinationBucketName"]) == log_bucket
        assert logging["LogFilePrefix"].endswith("/")
        assert logging["TargetObjectKeyFormat"] == {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}}


def test_n10_log_bucket_admits_log_delivery_only_from_project_buckets(profile):
    all_resources = profile.template_json(STACK)["Resources"]
    log_bucket = access_log_bucket_id(profile)
    policy = bucket_policy_for(all_resources, log_bucket)
    logging_service = {"Service": "logging.s3.amazonaws.com"}
    allows = [s for s in statements(policy) if s["Principal"] == logging_service and s["Effect"] == "Allow"]
    assert allows
    for statement in allows:
        assert statement["Action"] == "s3:PutObject"
        for resource in as_list(statement["Resource"]):
            # Each source bucket may write only under its own prefix of the log bucket.
            base, prefix = resource["Fn::Join"][1]
            assert target(base) == log_bucket and prefix.endswith("/*") and prefix != "/*"
    (deny,) = [s for s in statements(policy) if s["Principal"] == logging_service and s["Effect"] == "Deny"]
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_n10_log_bucket_expires_logs_per_profile(profile):
    log_bucket = resources(profile, "AWS::S3::Bucket")[access_log_bucket_id(profile)]
    rules = {r["Id"]: r for r in log_bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireAccessLogs"]["ExpirationInDays"] == profile.config.security.access_log_expiration_days


def test_every_bucket_sends_events_to_eventbridge_without_a_notification_lambda(profile):
    """CT.S3.PR.4, via the CloudFormation property rather than CDK's notification custom resource."""
    for bucket in resources(profile, "AWS::S3::Bucket").values():
        assert bucket["Properties"]["NotificationConfiguration"] == {
            "EventBridgeConfiguration": {"EventBridgeEnabled": True}
        }
    assert not resources(profile, "Custom::S3BucketNotifications")


# --- N12: CloudTrail -------------------------------------------------------------------


def trail(assembly) -> dict:
    (found,) = resources(assembly, "AWS::CloudTrail::Trail").values()
    return found["Properties"]


def test_n12_trail_validates_encrypts_and_covers_all_regions(profile):
    props = trail(profile)
    keys = resources(profile, "AWS::KMS::Key")
    assert props["EnableLogFileValidation"] is True
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["IsLogging"] is True
    assert props["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
    assert keys[target(props["KMSKeyId"])]["Properties"]["Description"].startswith("CloudTrail")
    assert props["TrailName"] == f"{profile.config.project_name}-{profile.config.profile}-trail"


def test_n12_trail_streams_to_an_encrypted_log_group(profile):
    props = trail(profile)
    assert target(props["CloudWatchLogsLogGroupArn"]) in resources(profile, "AWS::Logs::LogGroup")
    assert target(props["CloudWatchLogsRoleArn"]) in resources(profile, "AWS::IAM::Role")


def test_n12_only_this_trail_may_use_the_audit_key(profile):
    props = trail(profile)
    audit_key = resources(profile, "AWS::KMS::Key")[target(props["KMSKeyId"])]
    trail_statements = [
        s
        for s in statements(audit_key["Properties"]["KeyPolicy"])
        if s["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    ]
    assert {s["Action"] for s in trail_statements} == {"kms:GenerateDataKey*", "kms:DescribeKey"}
    for statement in trail_statements:
        source_arn = statement["Condition"]["StringEquals"]["aws:SourceArn"]
        assert source_arn["Fn::Join"][1][-1] == f":trail/{props['TrailName']}"


def test_n12_trail_bucket_refuses_delivery_from_other_trails(profile):
    props = trail(profile)
    bucket_id = target(props["S3BucketName"])
    policy = bucket_policy_for(profile.template_json(STACK)["Resources"], bucket_id)
    (deny,) = [s for s in statements(policy) if s.get("Sid") == "DenyCloudTrailDeliveryForOtherTrails"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert deny["Condition"]["StringNotEquals"]["aws:SourceArn"]["Fn::Join"][1][-1] == f":trail/{props['TrailName']}"


def test_n12_trail_log_files_kept_for_the_log_retention(profile):
    bucket = resources(profile, "AWS::S3::Bucket")[target(trail(profile)["S3BucketName"])]
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireTrailLogFiles"]["ExpirationInDays"] == profile.config.security.log_retention_days


def test_n12_production_trail_files_under_object_lock(production):
    bucket = resources(production, "AWS::S3::Bucket")[target(trail(production)["S3BucketName"])]
    assert bucket["Properties"]["ObjectLockEnabled"] is True
    assert bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "GOVERNANCE",
        "Days": production.config.security.trail.object_lock_retention_days,
    }


def test_n12_sandbox_trail_bucket_can_be_emptied(sandbox):
    bucket = resources(sandbox, "AWS::S3::Bucket")[target(trail(sandbox)["S3BucketName"])]
    assert "ObjectLockConfiguration" not in bucket["Properties"]


def test_n12_trail_switch_for_accounts_with_an_organization_trail(variant):
    assert not variant.resources(STACK, "AWS::CloudTrail::Trail")
    # Keys and the access-log bucket stay: other stacks still need them.
    assert len(variant.resources(STACK, "AWS::KMS::Key")) == 4
    assert len(variant.resources(STACK, "AWS::S3::Bucket")) == 1


# --- Removal policies and protection from the profile ---------------------------------

STATEFUL = ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Logs::LogGroup")


def test_sandbox_destroys_stateful_resources_and_empties_buckets(sandbox):
    for resource_type in STATEFUL:
        for resource in resources(sandbox, resource_type).values():
            assert resource["DeletionPolicy"] == "Delete", resource_type
            assert resource["UpdateReplacePolicy"] == "Delete", resource_type
    auto_delete = resources(sandbox, "Custom::S3AutoDeleteObjects")
    emptied = {target(r["Properties"]["BucketName"]) for r in auto_delete.values()}
    assert emptied == set(resources(sandbox, "AWS::S3::Bucket"))


def test_production_retains_stateful_resources(production):
    for resource_type in STATEFUL:
        for resource in resources(production, resource_type).values():
            assert resource["DeletionPolicy"] == "Retain", resource_type
            assert resource["UpdateReplacePolicy"] == "Retain", resource_type
    assert not resources(production, "Custom::S3AutoDeleteObjects")
    assert not resources(production, "AWS::Lambda::Function")


@pytest.mark.parametrize(("fixture", "protected"), [("sandbox", False), ("production", True)])
def test_termination_protection_from_profile(request, fixture, protected):
    assembly = request.getfixturevalue(fixture)
    properties = assembly.manifest_stack(STACK)["properties"]
    assert properties.get("terminationProtection", False) is protected
    assert properties["stackName"] == f"{assembly.config.project_name}-{assembly.config.profile}-security-baseline"


def test_profile_tags_on_every_taggable_resource(profile):
    template = profile.template(STACK)
    for key, value in profile.config.tags.items():
        for resource_type in ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::CloudTrail::Trail"):
            template.all_resources_properties(resource_type, {"Tags": Match.array_with([{"Key": key, "Value": value}])})


def test_stack_is_environment_pinned_to_the_configured_region(profile):
    environment = profile.manifest_stack(STACK)["environment"]
    assert environment == f"aws://unknown-account/{profile.config.region}"


def test_no_wildcard_principal_allows_anything(profile):
    """Every statement open to '*' is a Deny: nothing in the baseline is granted to everyone."""
    for resource in profile.template_json(STACK)["Resources"].values():
        props = resource.get("Properties", {})
        for document in (props.get("KeyPolicy"), props.get("PolicyDocument")):
            if not document:
                continue
            for statement in statements(document):
                principal = statement.get("Principal")
                if principal in ("*", {"AWS": "*"}):
                    assert statement["Effect"] == "Deny", statement
                assert "*" not in as_list(statement.get("Action")), statement


def test_trail_waits_for_its_bucket_policy_and_delivery_policy_only(profile):
    """The redundant DependsOn on the delivery role is pruned (cfn-lint W3005); needed ones stay."""
    (found,) = resources(profile, "AWS::CloudTrail::Trail").values()
    depends = found["DependsOn"]
    kinds = sorted(profile.template_json(STACK)["Resources"][d]["Type"] for d in depends)
    assert kinds == ["AWS::IAM::Policy", "AWS::S3::BucketPolicy"]
