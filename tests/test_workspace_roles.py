"""The workspace stack: notebooks, Studio, roles and guardrails (N5, N6, N8, N9, N13, G1)."""

from __future__ import annotations

import pytest
from helpers import as_list, statements, target
from workspace_helpers import (
    by_sid,
    imported,
    managed_policy,
    owners,
    resources,
    role_id,
)

# --- N8: execution role, PassRole, guardrails --------------------------------------------------------


def test_n8_guardrails_attached_to_every_role_that_creates_sagemaker_work(profile):
    guardrail_id, _ = managed_policy(profile, "N8 guardrails")
    roles = resources(profile, "AWS::IAM::Role")
    creators = [k for k, v in roles.items() if v["Properties"]["Description"].startswith("SageMaker execution role")]
    creators += [k for k, v in roles.items() if v["Properties"]["Description"].startswith("Data scientist")]
    # Per data scientist: their role and their execution role; plus the Studio domain's default role.
    assert len(creators) == 1 + 2 * len(owners(profile))
    attached = {target(r) for r in resources(profile, "AWS::IAM::ManagedPolicy")[guardrail_id]["Properties"]["Roles"]}
    for role in creators:
        managed = {target(a) for a in roles[role]["Properties"].get("ManagedPolicyArns", [])}
        assert role in attached or guardrail_id in managed, role


@pytest.mark.parametrize("owner", ["alice", "bob"])
def test_n8_execution_role_is_scoped_to_project_buckets_and_key(production, owner):
    _, policy = managed_policy(production, f"Execution role of {owner}:")
    sids = by_sid(policy["Properties"]["PolicyDocument"])
    objects = sids["ProjectBucketObjects"]["Resource"]
    assert len(objects) == 2 and all(imported(r["Fn::Join"][1][0], "Bucket") for r in objects)
    assert all(imported(r, "DataKey") for r in as_list(sids["DataKeyForVolumesAndOutputs"]["Resource"]))
    assert sids["DataKeyGrantsForSageMakerVolumes"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    for statement in statements(policy["Properties"]["PolicyDocument"]):
        assert not any(a.endswith(":*") or a == "*" for a in as_list(statement["Action"])), statement["Sid"]
        if statement["Resource"] == "*":
            assert statement["Sid"] in {
                "SageMakerMetrics",
                "RegistryLogin",
                "VpcNetworkInterfaces",
                "ListStudioAppsAndSpaces",  # actions with no resource types: "*" is their only resource
            }
    assert sids["ListStudioAppsAndSpaces"]["Action"] == ["sagemaker:ListApps", "sagemaker:ListSpaces"]


def test_n8_execution_roles_trust_sagemaker_of_this_account_only(profile):
    roles = resources(profile, "AWS::IAM::Role")
    execution = [r for r in roles.values() if r["Properties"]["Description"].startswith("SageMaker execution role")]
    assert len(execution) == 1 + len(owners(profile))
    for role in execution:
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def pass_role_statement(policy: dict) -> dict:
    passes = [s for s in statements(policy["Properties"]["PolicyDocument"]) if "iam:PassRole" in as_list(s["Action"])]
    assert len(passes) == 1
    (statement,) = passes
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    return statement


def test_n8_each_execution_role_passes_only_itself_to_sagemaker(profile):
    for owner in owners(profile):
        _, policy = managed_policy(profile, f"Execution role of {owner}:")
        execution = role_id(profile, f"SageMaker execution role of {owner}'s")
        assert target(pass_role_statement(policy)["Resource"]) == execution
        name = resources(profile, "AWS::IAM::Role")[execution]["Properties"]["RoleName"]
        assert name == f"{profile.config.project_name}-{profile.config.profile}-exec-{owner}"


def test_n8_data_scientists_pass_only_their_own_execution_role(profile):
    _, policy = managed_policy(profile, "Data scientists")
    resource = pass_role_statement(policy)["Resource"]
    parts = resource["Fn::Join"][1]
    prefix = f"{profile.config.project_name}-{profile.config.profile}-exec-"
    assert parts[-1] == f":role/{prefix}${{aws:PrincipalTag/owner}}"


def test_n9_studio_domain_default_role_reaches_no_users_resources(profile):
    _, policy = managed_policy(profile, "Studio domain default execution role")
    for statement in statements(policy["Properties"]["PolicyDocument"]):
        assert not any(a.startswith(("sagemaker:", "s3:", "iam:")) for a in as_list(statement["Action"]))
    for user in resources(profile, "AWS::SageMaker::UserProfile").values():
        owner = user["Properties"]["UserProfileName"]
        role = target(user["Properties"]["UserSettings"]["ExecutionRole"])
        assert role == role_id(profile, f"SageMaker execution role of {owner}'s")


# --- N9: attribute-based access --------------------------------------------------------------------


def test_n9_each_data_scientist_role_carries_its_owner_tag_and_needs_mfa(profile):
    roles = {
        v["Properties"]["RoleName"]: v
        for v in resources(profile, "AWS::IAM::Role").values()
        if v["Properties"]["Description"].startswith("Data scientist")
    }
    prefix = f"{profile.config.project_name}-{profile.config.profile}-ds-"
    assert sorted(roles) == sorted(prefix + name for name in owners(profile))
    for name, role in roles.items():
        assert {"Key": "owner", "Value": name.removeprefix(prefix)} in role["Properties"]["Tags"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_n9_data_scientists_act_only_on_resources_tagged_as_theirs(profile):
    _, policy = managed_policy(profile, "Data scientists")
    sids = by_sid(policy["Properties"]["PolicyDocument"])
    for sid in (
        "OperateOwnNotebooks",
        "StopOwnWork",
        "OwnNotebookUrlThroughVpcEndpoints",
        "OwnStudioProfileUrlThroughVpcEndpoints",
    ):
        assert sids[sid]["Condition"]["StringEquals"]["sagemaker:ResourceTag/owner"] == "${aws:PrincipalTag/owner}", sid
    assert sids["CreateWorkTaggedAsOwn"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/owner": "${aws:PrincipalTag/owner}"}
    }
    # Every statement that can change something is conditioned on ownership.
    unconditioned = {s["Sid"] for s in statements(policy["Properties"]["PolicyDocument"]) if "Condition" not in s}
    # DescribeKey of the data key reads its metadata; kms:GrantIsForAWSResource (on the grant
    # statement) is a key DescribeKey never carries, so it cannot share that condition.
    assert unconditioned == {"ReadSageMakerMetadata", "ReadSageMakerLogs", "DescribeDataKey"}
    assert sids["DescribeDataKey"]["Action"] == "kms:DescribeKey"


def test_n9_tags_only_at_creation_and_owner_tags_never_change(profile):
    """AddTags is granted only with sagemaker:TaggingAction (the creating call), the owner tag equal
    to the caller's and keys from a fixed list; a deny on every workspace role keeps the owner tag
    from being changed or removed afterwards (DeleteTags carries no TaggingAction: denied outright)."""
    _, protection = managed_policy(profile, "Owner tags")
    sids = by_sid(protection["Properties"]["PolicyDocument"])
    assert {s["Effect"] for s in sids.values()} == {"Deny"}
    retag, remove = sids["DenyRetaggingProtectedKeys"], sids["DenyRemovingProtectedKeys"]
    assert retag["Action"] == "sagemaker:AddTags" and remove["Action"] == "sagemaker:DeleteTags"
    assert retag["Condition"]["ForAnyValue:StringEquals"] == {"aws:TagKeys": ["owner"]}
    assert "CreateTrainingJob" in retag["Condition"]["StringNotEquals"]["sagemaker:TaggingAction"]
    assert remove["Condition"] == {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}
    roles = resources(profile, "AWS::IAM::Role")
    workspace_roles = {
        k
        for k, v in roles.items()
        if v["Properties"]["Description"].startswith(("SageMaker execution role", "Data scientist"))
    }
    attached = {target(r) for r in protection["Properties"]["Roles"]}
    assert workspace_roles == attached
    for description in ("Data scientists", "Execution role of alice:"):
        if description.startswith("Execution") and "alice" not in owners(profile):
            continue
        _, policy = managed_policy(profile, description)
        taggers = [
            s for s in statements(policy["Properties"]["PolicyDocument"]) if "sagemaker:AddTags" in as_list(s["Action"])
        ]
        (statement,) = taggers
        assert statement["Action"] == "sagemaker:AddTags"
        condition = statement["Condition"]
        assert condition["StringEquals"]["aws:RequestTag/owner"] == "${aws:PrincipalTag/owner}"
        assert "CreateApp" in condition["StringEquals"]["sagemaker:TaggingAction"]
        # The profile's stack-wide tags too: SageMaker copies a user profile's tags onto its apps.
        keys = list(dict.fromkeys(["owner", "project", "experiment", *sorted(profile.config.tags)]))
        assert condition["ForAllValues:StringEquals"] == {"aws:TagKeys": keys}
