"""Private SageMaker notebook instances, one per data scientist, with an idle stop (N5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_imported_reference, is_imported
from ml_constructs.owner_tags import OWNER_TAG

RUNTIME = Path(__file__).resolve().parent / "runtime"


class NotebookInstances(Construct):
    """One private notebook instance per data scientist (N5).

    In a private subnet with the workload security group, DirectInternetAccess and
    RootAccess disabled, IMDSv2 only, the volume encrypted with the data key, tagged with its
    owner, running as its owner's execution role (N9), and a lifecycle configuration that
    needs no internet: it stops the instance after `idle_stop_minutes` without activity and
    installs Python packages from the project's wheelhouse in S3.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        owners: Sequence[str],
        name_prefix: str,
        execution_roles: Mapping[str, iam.IRole],
        subnet_id: str,
        security_group: ec2.ISecurityGroup,
        data_key: kms.IKey,
        wheelhouse: str,
        instance_type: str = "ml.t3.medium",
        volume_size_gb: int = 20,
        idle_stop_minutes: int | None = 60,
        platform_identifier: str = "notebook-al2023-v1",
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.lifecycle = sagemaker.CfnNotebookInstanceLifecycleConfig(
            self,
            "Lifecycle",
            notebook_instance_lifecycle_config_name=f"{name_prefix}on-start",
            on_start=[
                sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty(
                    content=cdk.Fn.base64(on_start_script(idle_stop_minutes, wheelhouse))
                )
            ],
        )
        self.instances: dict[str, sagemaker.CfnNotebookInstance] = {}
        for owner in owners:
            instance = sagemaker.CfnNotebookInstance(
                self,
                owner,
                notebook_instance_name=f"{name_prefix}{owner}",
                instance_type=instance_type,
                role_arn=execution_roles[owner].role_arn,
                subnet_id=subnet_id,
                security_group_ids=[security_group.security_group_id],
                direct_internet_access="Disabled",
                root_access="Disabled",
                kms_key_id=data_key.key_id,
                volume_size_in_gb=volume_size_gb,
                platform_identifier=platform_identifier,
                lifecycle_config_name=self.lifecycle.attr_notebook_instance_lifecycle_config_name,
                instance_metadata_service_configuration=sagemaker.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
                    minimum_instance_metadata_service_version="2"
                ),
                tags=[cdk.CfnTag(key=OWNER_TAG, value=owner)],
            )
            instance.apply_removal_policy(removal_policy)
            if is_imported(self, security_group):
                for rule in (
                    "sagemaker_notebook_no_direct_internet_access_check",
                    "sagemaker_notebook_instance_inside_vpc_check",
                ):
                    acknowledge_imported_reference(
                        instance,
                        rule,
                        "DirectInternetAccess is Disabled and SubnetId/SecurityGroupIds (a private "
                        "subnet and the workload security group of the private network)",
                        security_group,
                    )
            self.instances[owner] = instance


def on_start_script(idle_stop_minutes: int | None, wheelhouse: str) -> str:
    """The on-start script with the autostop program and settings filled in."""
    template = (RUNTIME / "notebook_on_start.sh").read_text(encoding="utf-8")
    program = (RUNTIME / "notebook_autostop.py").read_text(encoding="utf-8").rstrip("\n")
    return (
        template.replace("__AUTOSTOP_PY__", program)
        .replace("__IDLE_MINUTES__", "" if idle_stop_minutes is None else str(idle_stop_minutes))
        .replace("__WHEELHOUSE__", wheelhouse)
    )
