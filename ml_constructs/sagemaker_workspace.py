"""The data-science workspace: roles, notebook instances and a Studio domain (N5, N6, N8, N9, N13)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_imported_reference, is_imported
from ml_constructs.iam import SageMakerExecutionRole, Statements, this_region_arn
from ml_constructs.sagemaker_guardrails import SageMakerGuardrailPolicy

RUNTIME = Path(__file__).resolve().parent / "runtime"
OWNER_TAG = "owner"
PRINCIPAL_OWNER = "${aws:PrincipalTag/owner}"
OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
BUCKET_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
# What the workspace's execution role may do in SageMaker, from a notebook or Studio.
WORKSPACE_SAGEMAKER_ACTIONS = (
    "sagemaker:AddTags",
    "sagemaker:ListTags",
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:StopProcessingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:StopHyperParameterTuningJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:DescribeTransformJob",
    "sagemaker:StopTransformJob",
    "sagemaker:CreateModel",
    "sagemaker:DescribeModel",
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:StopNotebookInstance",
    "sagemaker:DescribeDomain",
    "sagemaker:DescribeUserProfile",
    "sagemaker:CreateApp",
    "sagemaker:DescribeApp",
    "sagemaker:DeleteApp",
    "sagemaker:CreateSpace",
    "sagemaker:DescribeSpace",
    "sagemaker:UpdateSpace",
    "sagemaker:DeleteSpace",
)

# Studio's own app and space listings: actions without resource types, granted only on "*".
LIST_ONLY_ON_ANY_RESOURCE = ("sagemaker:ListApps", "sagemaker:ListSpaces")


class WorkspaceExecutionRole(Construct):
    """The role notebooks, Studio apps and the jobs they start run as (N8).

    Scoped to the project's data buckets and data key; SageMaker actions only in this
    account and region, under the N8 guardrails (attached by the workspace), and it may pass
    only itself, only to SageMaker.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        read_write_buckets: Sequence[s3.IBucket],
        data_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = SageMakerExecutionRole(
            self,
            "Role",
            description="SageMaker execution role of the workspace: notebooks, Studio and their jobs",
            policy_description="Workspace execution role: project buckets and key, SageMaker jobs in the VPC",
        )
        grants = self.role.statements
        grants.allow(
            "ProjectBucketObjects",
            OBJECT_ACTIONS,
            [b.arn_for_objects("*") for b in read_write_buckets],
            wildcard_reason="Objects of the project's two data buckets only, whose keys jobs choose at "
            "run time; the buckets admit requests only through the VPC endpoint.",
        )
        grants.allow("ProjectBuckets", BUCKET_ACTIONS, [b.bucket_arn for b in read_write_buckets])
        self.role.use_data_key(data_key.key_arn)
        grants.allow(
            "SageMakerWorkInThisAccount",
            WORKSPACE_SAGEMAKER_ACTIONS,
            [this_region_arn(self, "sagemaker", "*")],
            wildcard_reason="Listed SageMaker job, model, notebook and Studio app actions on this "
            "account's and region's resources, whose names users choose; how jobs may be created is "
            "enforced by the N8 guardrail denies attached to this role.",
        )
        grants.allow(
            "ListStudioAppsAndSpaces",
            LIST_ONLY_ON_ANY_RESOURCE,
            ["*"],
            wildcard_reason='sagemaker:ListApps and ListSpaces authorize only Resource "*" (Service Authorization '
            "Reference: no resource types); they list names, no data.",
        )
        grants.allow(
            "PassOnlyItselfToSageMaker",
            ("iam:PassRole",),
            [self.role.role_arn],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
        grants.acknowledge(self.role.grants_policy.node.default_child)


class DataScientistRoles(Construct):
    """One IAM role per data scientist, attribute-based (N8, N9, N13).

    Each role carries the tag owner=<name>. A shared customer-managed policy grants, through
    ${aws:PrincipalTag/owner}, access only to SageMaker resources tagged with the same owner:
    their notebook, their Studio profile, the jobs they created (creation requires the
    owner tag). Presigned notebook and Studio URLs can be requested only through the VPC's
    SageMaker API endpoint or from `source_cidrs` (N13). iam:PassRole is limited to the
    workspace execution role and to SageMaker (N8); the N8 guardrails are attached.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Sequence[str],
        role_name_prefix: str,
        execution_role: iam.IRole,
        data_key: kms.IKey,
        guardrails: SageMakerGuardrailPolicy,
        api_endpoint_id: str,
        source_cidrs: Sequence[str] = (),
        studio_domain_id: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owned = {"StringEquals": {f"sagemaker:ResourceTag/{OWNER_TAG}": PRINCIPAL_OWNER}}
        self.access_policy = iam.ManagedPolicy(
            self,
            "AccessPolicy",
            description="Data scientists: own notebooks, Studio profile and jobs only (tag owner)",
        )
        access = Statements(self.access_policy.add_statements)
        access.allow(
            "ReadSageMakerMetadata",
            ("sagemaker:Describe*", "sagemaker:List*", "sagemaker:Search", "sagemaker:GetSearchSuggestions"),
            ["*"],
            wildcard_reason="Read-only metadata of SageMaker resources (Describe*, List*, Search): no data "
            "and no artifacts; the console and SDK call them on resources of every type before a data "
            "scientist acts on their own.",
        )
        own_only = "Requires sagemaker:ResourceTag/owner to equal the caller's aws:PrincipalTag/owner (N9)."
        notebooks = this_region_arn(self, "sagemaker", "notebook-instance/*")
        access.allow(
            "OperateOwnNotebooks",
            ("sagemaker:StartNotebookInstance", "sagemaker:StopNotebookInstance"),
            [notebooks],
            owned,
            wildcard_reason=own_only,
        )
        url_targets = [("Notebook", "sagemaker:CreatePresignedNotebookInstanceUrl", notebooks)]
        if studio_domain_id is not None:
            profiles = this_region_arn(self, "sagemaker", f"user-profile/{studio_domain_id}/*")
            url_targets.append(("StudioProfile", "sagemaker:CreatePresignedDomainUrl", profiles))
        url_reason = (
            "Requires the resource's owner tag to equal the caller's principal tag, and the request to "
            "come through the VPC's SageMaker API endpoint or from an allowed network (N9, N13)."
        )
        for label, action, resource in url_targets:
            access.allow(
                f"Own{label}UrlThroughVpcEndpoint",
                (action,),
                [resource],
                {"StringEquals": {**owned["StringEquals"], "aws:SourceVpce": api_endpoint_id}},
                wildcard_reason=url_reason,
            )
            if source_cidrs:
                access.allow(
                    f"Own{label}UrlFromAllowedNetworks",
                    (action,),
                    [resource],
                    {**owned, "IpAddress": {"aws:SourceIp": list(source_cidrs)}},
                    wildcard_reason=url_reason,
                )
        sagemaker_resources = this_region_arn(self, "sagemaker", "*")
        access.allow(
            "CreateWorkTaggedAsOwn",
            (
                "sagemaker:CreateTrainingJob",
                "sagemaker:CreateProcessingJob",
                "sagemaker:CreateHyperParameterTuningJob",
                "sagemaker:CreateTransformJob",
                "sagemaker:CreateModel",
                "sagemaker:AddTags",
            ),
            [sagemaker_resources],
            {"StringEquals": {f"aws:RequestTag/{OWNER_TAG}": PRINCIPAL_OWNER}},
            wildcard_reason="Names are chosen at run time; every created resource must carry "
            "aws:RequestTag/owner equal to the caller's principal tag (N9), and the N8 guardrails decide "
            "how it may be configured.",
        )
        access.allow(
            "StopOwnWork",
            (
                "sagemaker:StopTrainingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:StopHyperParameterTuningJob",
                "sagemaker:StopTransformJob",
                "sagemaker:DeleteModel",
            ),
            [sagemaker_resources],
            owned,
            wildcard_reason=own_only,
        )
        access.allow(
            "PassOnlyTheExecutionRoleToSageMaker",
            ("iam:PassRole",),
            [execution_role.role_arn],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
        access.allow("DescribeDataKey", ("kms:DescribeKey",), [data_key.key_arn])
        # kms:GrantIsForAWSResource exists only on CreateGrant, ListGrants and RevokeGrant.
        access.allow(
            "DataKeyForJobVolumes",
            ("kms:CreateGrant",),
            [data_key.key_arn],
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
        access.allow(
            "ReadSageMakerLogs",
            ("logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"),
            [this_region_arn(self, "logs", "log-group:/aws/sagemaker/*")],
            wildcard_reason="Read-only access to SageMaker's own log groups, named per job at run time.",
        )
        access.acknowledge(self.access_policy.node.default_child)

        self.roles: dict[str, iam.Role] = {}
        for name in names:
            role = iam.Role(
                self,
                name,
                role_name=f"{role_name_prefix}{name}",
                description=f"Data scientist {name}: own SageMaker resources only (tag {OWNER_TAG}={name})",
                assumed_by=iam.AccountRootPrincipal().with_conditions({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                managed_policies=[self.access_policy],
                max_session_duration=cdk.Duration.hours(4),
            )
            cdk.Tags.of(role).add(OWNER_TAG, name)
            guardrails.attach_to(role)
            cdk.CfnOutput(role, "Arn", value=role.role_arn, description=f"Role {name} assumes (MFA required)")
            self.roles[name] = role


class NotebookInstances(Construct):
    """One private notebook instance per data scientist (N5).

    In a private subnet with the workload security group, DirectInternetAccess and
    RootAccess disabled, IMDSv2 only, the volume encrypted with the data key, tagged with its
    owner, and a lifecycle configuration that needs no internet: it stops the instance after
    `idle_stop_minutes` without activity and installs Python packages from the project's
    wheelhouse in S3.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        owners: Sequence[str],
        name_prefix: str,
        execution_role: iam.IRole,
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
                role_arn=execution_role.role_arn,
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


class StudioDomain(Construct):
    """A SageMaker Studio domain reachable only inside the VPC (N6).

    VpcOnly network access, IAM authentication, KMS (data key) for the domain's storage,
    the workload security group as the default for users and shared spaces, notebook output
    sharing off, and one user profile per data scientist tagged with its owner (N9).
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
