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


def test_n5_notebook_waits_for_its_role_permissions(sandbox):
    for notebook in resources(sandbox, "AWS::SageMaker::NotebookInstance").values():
        policy_id, _ = managed_policy(sandbox, "Workspace execution role")
        assert policy_id in notebook["DependsOn"]


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
    assert "/etc/cron.d/secure-ml-autostop" in script
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
    creators = [role_id(profile, "SageMaker execution role")] + [
        k for k, v in roles.items() if v["Properties"]["Description"].startswith("Data scientist")
    ]
    assert len(creators) == 1 + len(owners(profile))
    attached = {target(r) for r in resources(profile, "AWS::IAM::ManagedPolicy")[guardrail_id]["Properties"]["Roles"]}
    for role in creators:
        managed = {target(a) for a in roles[role]["Properties"].get("ManagedPolicyArns", [])}
        assert role in attached or guardrail_id in managed, role


def test_n8_execution_role_is_scoped_to_project_buckets_and_key(profile):
    _, policy = managed_policy(profile, "Workspace execution role")
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


def test_n8_execution_role_trusts_sagemaker_of_this_account_only(profile):
    role = resources(profile, "AWS::IAM::Role")[role_id(profile, "SageMaker execution role")]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_n8_pass_role_only_the_execution_role_only_to_sagemaker(profile):
    execution = role_id(profile, "SageMaker execution role")
    for description in ("Workspace execution role", "Data scientists"):
        _, policy = managed_policy(profile, description)
        passes = [
            s for s in statements(policy["Properties"]["PolicyDocument"]) if "iam:PassRole" in as_list(s["Action"])
        ]
        assert len(passes) == 1
        (statement,) = passes
        assert target(statement["Resource"]) == execution
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


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
        "OwnNotebookUrlThroughVpcEndpoint",
        "OwnStudioProfileUrlThroughVpcEndpoint",
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


# --- N13: where presigned URLs may come from --------------------------------------------------------------


def url_statements(assembly) -> dict[str, dict]:
    _, policy = managed_policy(assembly, "Data scientists")
    return {
        sid: s
        for sid, s in by_sid(policy["Properties"]["PolicyDocument"]).items()
        if any("CreatePresigned" in a for a in as_list(s["Action"]))
    }


def test_n13_presigned_urls_only_through_the_api_endpoint_by_default(profile):
    urls = url_statements(profile)
    assert set(urls) == {"OwnNotebookUrlThroughVpcEndpoint", "OwnStudioProfileUrlThroughVpcEndpoint"}
    for statement in urls.values():
        assert imported(statement["Condition"]["StringEquals"]["aws:SourceVpce"], "SageMakerApi")


def test_n13_presigned_urls_also_from_configured_networks(variant):
    urls = url_statements(variant)
    assert set(urls) == {
        "OwnNotebookUrlThroughVpcEndpoint",
        "OwnStudioProfileUrlThroughVpcEndpoint",
        "OwnNotebookUrlFromAllowedNetworks",
        "OwnStudioProfileUrlFromAllowedNetworks",
    }
    for sid in ("OwnNotebookUrlFromAllowedNetworks", "OwnStudioProfileUrlFromAllowedNetworks"):
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
