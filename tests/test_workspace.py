"""The workspace stack: notebooks, Studio, roles and guardrails (N5, N6, N8, N9, N13, G1)."""

from __future__ import annotations

import base64

import pytest
from helpers import as_list, statements, target

from ml_constructs.sagemaker_workspace import on_start_script

STACK = "Workspace"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def imported(value: dict, fragment: str) -> bool:
    """True when `value` is an Fn::ImportValue whose export name contains `fragment`."""
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def managed_policy(assembly, description_start: str) -> tuple[str, dict]:
    (found,) = [
        (k, v)
        for k, v in resources(assembly, "AWS::IAM::ManagedPolicy").items()
        if v["Properties"]["Description"].startswith(description_start)
    ]
    return found


def by_sid(document: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in statements(document)}


def owners(assembly) -> list[str]:
    return [d.name for d in assembly.config.workspace.data_scientists]


# --- N5: notebook instances ------------------------------------------------------------------


def test_n5_one_locked_down_notebook_per_data_scientist(sandbox):
    notebooks = resources(sandbox, "AWS::SageMaker::NotebookInstance")
    assert len(notebooks) == len(owners(sandbox))
    for notebook in notebooks.values():
        props = notebook["Properties"]
        assert props["DirectInternetAccess"] == "Disabled"
        assert props["RootAccess"] == "Disabled"
        assert imported(props["KmsKeyId"], "DataKey")
        assert imported(props["SubnetId"], "WorkloadsSubnet1")
        assert [imported(g, "WorkloadSecurityGroup") for g in props["SecurityGroupIds"]] == [True]
        assert props["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
        assert target(props["LifecycleConfigName"]) in resources(
            sandbox, "AWS::SageMaker::NotebookInstanceLifecycleConfig"
        )
        assert {"Key": "owner", "Value": props["NotebookInstanceName"].rsplit("-", 1)[-1]} in props["Tags"]


def test_n5_notebook_runs_as_its_owners_role_and_waits_for_its_permissions(sandbox):
    for notebook in resources(sandbox, "AWS::SageMaker::NotebookInstance").values():
        owner = notebook["Properties"]["NotebookInstanceName"].rsplit("-", 1)[-1]
        policy_id, _ = managed_policy(sandbox, f"Execution role of {owner}:")
        assert policy_id in notebook["DependsOn"]
        assert target(notebook["Properties"]["RoleArn"]) == role_id(sandbox, f"SageMaker execution role of {owner}'s")


def lifecycle_script(assembly) -> str:
    (config,) = resources(assembly, "AWS::SageMaker::NotebookInstanceLifecycleConfig").values()
    (hook,) = config["Properties"]["OnStart"]
    parts = hook["Content"]["Fn::Base64"]["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else "<token>" for p in parts)


def test_n5_lifecycle_stops_idle_notebooks_without_internet(sandbox):
    script = lifecycle_script(sandbox)
    minutes = sandbox.config.workspace.notebooks.idle_stop_minutes
    assert f'IDLE_MINUTES="{minutes}"' in script
    assert "def kernels_idle(" in script and "stop_notebook_instance" in script
    assert "secure-ml-autostop.timer" in script
    assert "/etc/cron" not in script and "crontab" not in script
    for line in script.splitlines():
        if "http://" in line or "https://" in line:
            assert "https://localhost:8443" in line, line
    assert "pip install --no-index" in script
    assert not any(tool in script for tool in ("wget ", "curl ", "git clone"))


def test_n5_lifecycle_fits_sagemakers_limit(sandbox):
    script = on_start_script(60, "s3://" + "b" * 63 + "/notebook-wheelhouse/")
    assert len(base64.b64encode(script.encode())) <= 16384


def test_n5_lifecycle_installs_from_the_project_wheelhouse(sandbox):
    (config,) = resources(sandbox, "AWS::SageMaker::NotebookInstanceLifecycleConfig").values()
    parts = config["Properties"]["OnStart"][0]["Content"]["Fn::Base64"]["Fn::Join"][1]
    tokens = [p for p in parts if not isinstance(p, str)]
    assert any(imported(t, "ArtifactsBucket") for t in tokens)


def test_n5_idle_stop_can_be_switched_off(variant):
    assert 'IDLE_MINUTES=""' in lifecycle_script(variant)


def test_n5_production_has_no_notebooks(production):
    assert not resources(production, "AWS::SageMaker::NotebookInstance")


# --- N6: Studio ---------------------------------------------------------------------------------


def test_n6_studio_domain_is_vpc_only_with_kms_and_default_groups(profile):
    (domain,) = resources(profile, "AWS::SageMaker::Domain").values()
    props = domain["Properties"]
    assert props["AppNetworkAccessType"] == "VpcOnly"
    assert props["AuthMode"] == "IAM"
    assert imported(props["KmsKeyId"], "DataKey")
    assert imported(props["VpcId"], "NetworkVpc")
    assert len(props["SubnetIds"]) == profile.config.network.availability_zones
    for settings in (props["DefaultUserSettings"], props["DefaultSpaceSettings"]):
        assert [imported(g, "WorkloadSecurityGroup") for g in settings["SecurityGroups"]] == [True]
    assert props["DefaultUserSettings"]["SharingSettings"] == {"NotebookOutputOption": "Disabled"}


def test_n6_one_user_profile_per_data_scientist_tagged_owner(profile):
    profiles = resources(profile, "AWS::SageMaker::UserProfile")
    names = sorted(p["Properties"]["UserProfileName"] for p in profiles.values())
    assert names == sorted(owners(profile))
    for user in profiles.values():
        name = user["Properties"]["UserProfileName"]
        assert {"Key": "owner", "Value": name} in user["Properties"]["Tags"]
        assert [imported(g, "WorkloadSecurityGroup") for g in user["Properties"]["UserSettings"]["SecurityGroups"]] == [
            True
        ]


def test_studio_and_notebooks_follow_the_profile_removal_policy(sandbox, production):
    for assembly, expected in ((sandbox, "Delete"), (production, "Retain")):
        for resource_type in (
            "AWS::SageMaker::Domain",
            "AWS::SageMaker::UserProfile",
            "AWS::SageMaker::NotebookInstance",
        ):
            for resource in resources(assembly, resource_type).values():
                assert resource["DeletionPolicy"] == expected, resource_type


# --- N8: execution role, PassRole, guardrails --------------------------------------------------------


def role_id(assembly, description_start: str) -> str:
    (found,) = [
        k
        for k, v in resources(assembly, "AWS::IAM::Role").items()
        if v["Properties"]["Description"].startswith(description_start)
    ]
    return found


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


OWNED = {"sagemaker:ResourceTag/owner": "${aws:PrincipalTag/owner}"}


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


# --- N13: where presigned URLs may come from --------------------------------------------------------------


def url_statements(assembly) -> dict[str, dict]:
    _, policy = managed_policy(assembly, "Data scientists")
    return {
        sid: s
        for sid, s in by_sid(policy["Properties"]["PolicyDocument"]).items()
        if any("CreatePresigned" in a for a in as_list(s["Action"]))
    }


def test_n13_presigned_urls_only_through_the_vpc_endpoints_by_default(profile):
    """The session's every request and WebSocket frame is authorized again: the condition admits
    both the SageMaker API endpoint and the notebook (Studio) endpoint the browser goes through."""
    assert profile.config.workspace.access.mode == "vpc-endpoints"
    urls = url_statements(profile)
    assert set(urls) == {"OwnNotebookUrlThroughVpcEndpoints", "OwnStudioProfileUrlThroughVpcEndpoints"}
    for sid, browser in (
        ("OwnNotebookUrlThroughVpcEndpoints", "Notebook"),
        ("OwnStudioProfileUrlThroughVpcEndpoints", "Studio"),
    ):
        condition = urls[sid]["Condition"]
        assert set(condition) == {"StringEquals"}, sid
        api, browser_endpoint = condition["StringEquals"]["aws:SourceVpce"]
        assert imported(api, "SageMakerApi") and imported(browser_endpoint, browser), sid
        assert condition["StringEquals"]["sagemaker:ResourceTag/owner"] == "${aws:PrincipalTag/owner}"


def test_n13_presigned_urls_from_a_vpc_range_and_from_the_internet(variant):
    """Mode both: through the endpoints only from the VPC range (aws:VpcSourceIp with aws:SourceVpc),
    and over the internet from the office range (aws:SourceIp, which requests through an endpoint
    never carry), each in a statement of its own (conditions of one statement are ANDed)."""
    urls = url_statements(variant)
    assert set(urls) == {
        "OwnNotebookUrlThroughVpcEndpoints",
        "OwnStudioProfileUrlThroughVpcEndpoints",
        "OwnNotebookUrlFromInternetCidrs",
        "OwnStudioProfileUrlFromInternetCidrs",
    }
    for sid in ("OwnNotebookUrlThroughVpcEndpoints", "OwnStudioProfileUrlThroughVpcEndpoints"):
        condition = urls[sid]["Condition"]
        assert condition["IpAddress"] == {"aws:VpcSourceIp": ["10.20.0.0/20"]}
        assert imported(condition["StringEquals"]["aws:SourceVpc"], "NetworkVpc")
        assert len(condition["StringEquals"]["aws:SourceVpce"]) == 2
    for sid in ("OwnNotebookUrlFromInternetCidrs", "OwnStudioProfileUrlFromInternetCidrs"):
        assert urls[sid]["Condition"] == {"StringEquals": OWNED, "IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}


def test_n13_no_other_statement_allows_presigned_urls(profile):
    for resource in resources(profile, "AWS::IAM::ManagedPolicy").values():
        for statement in statements(resource["Properties"]["PolicyDocument"]):
            if statement["Effect"] == "Allow" and statement["Sid"] not in url_statements(profile):
                assert not any("CreatePresigned" in a for a in as_list(statement["Action"])), statement["Sid"]


# --- G1: AWS Config rules behind a switch ------------------------------------------------------------------


def test_g1_config_rules_for_sagemaker_when_switched_on(production):
    rules = production.resources("Governance", "AWS::Config::ConfigRule")
    identifiers = sorted(r["Properties"]["Source"]["SourceIdentifier"] for r in rules.values())
    assert identifiers == sorted(
        [
            "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS",
            "SAGEMAKER_NOTEBOOK_INSTANCE_KMS_KEY_CONFIGURED",
            "SAGEMAKER_NOTEBOOK_INSTANCE_ROOT_ACCESS_CHECK",
            "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC",
            "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED",
        ]
    )
    assert all(r["Properties"]["Source"]["Owner"] == "AWS" for r in rules.values())


def test_g1_no_config_rules_when_switched_off(sandbox):
    assert sandbox.platform.governance is None
    assert not (sandbox.outdir / "Governance.template.json").exists()


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_variant_gives_every_data_scientist_a_notebook_and_a_profile(variant, name):
    notebooks = [
        n["Properties"]["NotebookInstanceName"] for n in resources(variant, "AWS::SageMaker::NotebookInstance").values()
    ]
    assert f"secure-ml-sandbox-{name}" in notebooks
    profiles = [p["Properties"]["UserProfileName"] for p in resources(variant, "AWS::SageMaker::UserProfile").values()]
    assert name in profiles
