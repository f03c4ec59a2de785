"""The workspace stack: notebooks, Studio, roles and guardrails (N5, N6, N8, N9, N13, G1)."""

from __future__ import annotations

import base64

from helpers import target
from workspace_helpers import (
    imported,
    managed_policy,
    owners,
    resources,
    role_id,
)

from ml_constructs.sagemaker_workspace import on_start_script

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
