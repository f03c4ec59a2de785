"""A SageMaker Studio domain reachable only inside the VPC (N6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ml_constructs.owner_tags import OWNER_TAG


class StudioDomain(Construct):
    """A SageMaker Studio domain reachable only inside the VPC (N6).

    VpcOnly network access, IAM authentication, KMS (data key) for the domain's storage,
    the workload security group as the default for users and shared spaces, notebook output
    sharing off, and one user profile per data scientist tagged with its owner and running as
    the owner's execution role (assign_execution_roles, N9); `execution_role` is the domain's
    default, for anything not run by a user profile.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        owners: Sequence[str],
        vpc_id: str,
        subnet_ids: Sequence[str],
        security_group: ec2.ISecurityGroup,
        execution_role: iam.IRole,
        data_key: kms.IKey,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        security_groups = [security_group.security_group_id]
        self.domain = sagemaker.CfnDomain(
            self,
            "Domain",
            domain_name=domain_name,
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=vpc_id,
            subnet_ids=list(subnet_ids),
            kms_key_id=data_key.key_arn,
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
                execution_role=execution_role.role_arn,
                security_groups=security_groups,
                sharing_settings=sagemaker.CfnDomain.SharingSettingsProperty(notebook_output_option="Disabled"),
            ),
            default_space_settings=sagemaker.CfnDomain.DefaultSpaceSettingsProperty(
                execution_role=execution_role.role_arn, security_groups=security_groups
            ),
        )
        self.domain.apply_removal_policy(removal_policy)
        self.user_profiles: dict[str, sagemaker.CfnUserProfile] = {}
        for owner in owners:
            profile = sagemaker.CfnUserProfile(
                self,
                owner,
                domain_id=self.domain.attr_domain_id,
                user_profile_name=owner,
                user_settings=sagemaker.CfnUserProfile.UserSettingsProperty(
                    execution_role=execution_role.role_arn, security_groups=security_groups
                ),
                tags=[cdk.CfnTag(key=OWNER_TAG, value=owner)],
            )
            profile.apply_removal_policy(removal_policy)
            self.user_profiles[owner] = profile

    def assign_execution_roles(self, roles: Mapping[str, iam.IRole]) -> None:
        """Run each owner's user profile (its apps and spaces) as the owner's execution role."""
        for owner, profile in self.user_profiles.items():
            settings = profile.user_settings
            profile.user_settings = sagemaker.CfnUserProfile.UserSettingsProperty(
                execution_role=roles[owner].role_arn, security_groups=settings.security_groups
            )
