"""The data-science workspace: roles, notebook instances and a Studio domain (N5, N6, N8, N9, N13)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
# Tags IAM decisions rely on (N9): after creation nobody but the deployment role (CloudFormation's
# execution role, which carries none of the workspace's policies) may change or remove them.
PROTECTED_TAG_KEYS = (OWNER_TAG,)
# The tag keys people and their code may set, and only when they create a resource.
USER_TAG_KEYS = (OWNER_TAG, "project", "experiment")
# Create calls whose Tags SageMaker authorizes as sagemaker:AddTags with sagemaker:TaggingAction set
# to the call's name (Service Authorization Reference, sagemaker:TaggingAction).
TAG_ON_CREATE_ACTIONS = (
    "CreateTrainingJob",
    "CreateProcessingJob",
    "CreateHyperParameterTuningJob",
    "CreateTransformJob",
    "CreateModel",
    "CreateNotebookInstance",
    "CreateUserProfile",
    "CreateApp",
    "CreateSpace",
)
# Jobs and models a user's code starts: created only tagged owner=<the role's owner>, then
# described and stopped only while they carry that tag.
CREATE_WORK_ACTIONS = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateModel",
)
OWN_WORK_ACTIONS = (
    "sagemaker:ListTags",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:StopProcessingJob",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:StopHyperParameterTuningJob",
    "sagemaker:DescribeTransformJob",
    "sagemaker:StopTransformJob",
    "sagemaker:DescribeModel",
    # The notebook's idle-stop program (runtime/notebook_autostop.py) on its own instance.
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:StopNotebookInstance",
)

# Studio's own app and space listings: actions without resource types, granted only on "*".
LIST_ONLY_ON_ANY_RESOURCE = ("sagemaker:ListApps", "sagemaker:ListSpaces")


def owner_execution_role_name(role_name_prefix: str, owner: str) -> str:
    """The name of `owner`'s execution role (data scientists may pass only theirs, by this name)."""
    return f"{role_name_prefix}{owner}"


def tag_keys_with(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """USER_TAG_KEYS and `extra` (the profile's stack-wide tags, which SageMaker copies from a domain
    or user profile onto the apps it launches), without repeats."""
    return tuple(dict.fromkeys((*USER_TAG_KEYS, *extra)))


def tag_on_create(owner_value: str, tag_keys: Sequence[str] = USER_TAG_KEYS) -> dict:
    """Conditions of an AddTags that only tags a resource being created, as `owner_value`."""
    return {
        "StringEquals": {
            "sagemaker:TaggingAction": list(TAG_ON_CREATE_ACTIONS),
            f"aws:RequestTag/{OWNER_TAG}": owner_value,
        },
        "ForAllValues:StringEquals": {"aws:TagKeys": list(tag_keys)},
    }


class OwnerTagProtection(Construct):
    """Deny changing or removing the tags access decisions rely on (N9).

    Attached to every role of the workspace (data scientists and execution roles). Tags can be
    set only by the Create call that makes the resource (sagemaker:TaggingAction names it);
    sagemaker:DeleteTags carries no sagemaker:TaggingAction, so removing a protected tag is
    denied outright. The deployment role (the CDK bootstrap CloudFormation execution role)
    carries none of these policies, so stacks still create and update the tags: an identity
    policy deny is enough, no SCP or resource policy is needed.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Owner tags: deny changing or removing tags that access decisions rely on (N9)",
        )
        protected = {"ForAnyValue:StringEquals": {"aws:TagKeys": list(PROTECTED_TAG_KEYS)}}
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="DenyRetaggingProtectedKeys",
                effect=iam.Effect.DENY,
                actions=["sagemaker:AddTags"],
                resources=["*"],
                conditions={**protected, "StringNotEquals": {"sagemaker:TaggingAction": list(TAG_ON_CREATE_ACTIONS)}},
            ),
            iam.PolicyStatement(
                sid="DenyRemovingProtectedKeys",
                effect=iam.Effect.DENY,
                actions=["sagemaker:DeleteTags"],
                resources=["*"],
                conditions=protected,
            ),
        )

    def attach_to(self, *roles: iam.IRole) -> None:
        for role in roles:
            self.policy.attach_to_role(role)


class WorkspaceExecutionRole(Construct):
    """The role a data scientist's notebook, Studio apps and the jobs they start run as (N8, N9).

    With an `owner`, the role is theirs alone: named by owner_execution_role_name, tagged
    owner=<name>, scoped to the project's data buckets and data key, and in SageMaker it acts
    only on its owner's resources: jobs and models it creates must carry owner=<name> and it
    describes and stops only resources tagged so (sagemaker:ResourceTag/owner =
    ${aws:PrincipalTag/owner}), including its notebook instance (idle stop); in Studio only the
    owner's user profile, private spaces and their apps (sagemaker:OwnerUserProfileArn). It may
    pass only itself, only to SageMaker. Without an owner it is the Studio domain's default: the
    basics of a SageMaker execution role and nothing on anyone's resources.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        read_write_buckets: Sequence[s3.IBucket] = (),
        data_key: kms.IKey | None = None,
        owner: str | None = None,
        role_name: str | None = None,
        studio_domain_id: str | None = None,
        tag_keys: Sequence[str] = USER_TAG_KEYS,
    ) -> None:
        super().__init__(scope, construct_id)
        if owner is None:
            self.role = SageMakerExecutionRole(
                self,
                "Role",
                description="SageMaker execution role of the Studio domain defaults: no access to users' resources",
                policy_description="Studio domain default execution role: logs, images and VPC interfaces only",
            )
            self.role.statements.acknowledge(self.role.grants_policy.node.default_child)
            return
        self.role = SageMakerExecutionRole(
            self,
            "Role",
            role_name=role_name,
            description=f"SageMaker execution role of {owner}'s notebook, Studio apps and jobs ({OWNER_TAG}={owner})",
            policy_description=f"Execution role of {owner}: project buckets and key, own SageMaker resources only",
        )
        cdk.Tags.of(self.role).add(OWNER_TAG, owner)
        grants = self.role.statements
        grants.allow(
            "ProjectBucketObjects",
            OBJECT_ACTIONS,
            [b.arn_for_objects("*") for b in read_write_buckets],
            wildcard_reason="Objects of the project's two data buckets only, whose keys jobs choose at "
            "run time; the buckets admit requests only through the VPC endpoint.",
        )
        grants.allow("ProjectBuckets", BUCKET_ACTIONS, [b.bucket_arn for b in read_write_buckets])
        if data_key is not None:
            self.role.use_data_key(data_key.key_arn)
        sagemaker_resources = this_region_arn(self, "sagemaker", "*")
        own_only = (
            "Only resources tagged owner=<this role's owner> "
            "(sagemaker:ResourceTag/owner = aws:PrincipalTag/owner, N9)."
        )
        grants.allow(
            "CreateWorkTaggedAsOwner",
            CREATE_WORK_ACTIONS,
            [sagemaker_resources],
            {"StringEquals": {f"aws:RequestTag/{OWNER_TAG}": PRINCIPAL_OWNER}},
            wildcard_reason="Job and model names are chosen at run time; every one must carry "
            "aws:RequestTag/owner equal to this role's owner tag (N9), and the N8 guardrails decide how "
            "it may be configured.",
        )
        grants.allow(
            "TagOnlyAtCreationAsOwner",
            ("sagemaker:AddTags",),
            [sagemaker_resources],
            tag_on_create(PRINCIPAL_OWNER, tag_keys),
            wildcard_reason="Tags only on the Create call that makes the resource (sagemaker:TaggingAction), "
            "owner equal to this role's owner, keys from a fixed list (N9).",
        )
        grants.allow(
            "OperateOwnWork",
            OWN_WORK_ACTIONS,
            [sagemaker_resources],
            {"StringEquals": {f"sagemaker:ResourceTag/{OWNER_TAG}": PRINCIPAL_OWNER}},
            wildcard_reason=own_only,
        )
        if studio_domain_id is not None:
            self._studio(grants, studio_domain_id, owner)
        grants.allow(
            "PassOnlyItselfToSageMaker",
            ("iam:PassRole",),
            [self.role.role_arn],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
        grants.acknowledge(self.role.grants_policy.node.default_child)

    def _studio(self, grants: Statements, domain_id: str, owner: str) -> None:
        """What Studio's JupyterLab and Code Editor apps call as the execution role, on the owner's
        profile, private spaces and apps only (SageMaker Developer Guide, "Restrict access to spaces")."""
        profile = this_region_arn(self, "sagemaker", f"user-profile/{domain_id}/{owner}")
        grants.allow(
            "ListStudioAppsAndSpaces",
            LIST_ONLY_ON_ANY_RESOURCE,
            ["*"],
            wildcard_reason='sagemaker:ListApps and ListSpaces authorize only Resource "*" (Service Authorization '
            "Reference: no resource types); they list names, no data.",
        )
        grants.allow(
            "DescribeDomainAndOwnProfile",
            ("sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile"),
            [this_region_arn(self, "sagemaker", f"domain/{domain_id}"), profile],
        )
        grants.allow(
            "DescribeSpacesAndApps",
            ("sagemaker:DescribeSpace", "sagemaker:DescribeApp"),
            [
                this_region_arn(self, "sagemaker", f"space/{domain_id}/*"),
                this_region_arn(self, "sagemaker", f"app/{domain_id}/*"),
            ],
            wildcard_reason="Space and app metadata of this domain only (names and status, no data): Studio lists "
            "them beside the user's own; changes are limited to the owner's below.",
        )
        grants.allow(
            "OwnPrivateSpaces",
            ("sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"),
            [this_region_arn(self, "sagemaker", f"space/{domain_id}/*")],
            {"StringEquals": {"sagemaker:OwnerUserProfileArn": profile, "sagemaker:SpaceSharingType": "Private"}},
            wildcard_reason="Space names are chosen in Studio; only private spaces owned by this role's user "
            "profile (sagemaker:OwnerUserProfileArn).",
        )
        grants.allow(
            "AppsOfOwnSpaces",
            ("sagemaker:CreateApp", "sagemaker:DeleteApp"),
            [this_region_arn(self, "sagemaker", f"app/{domain_id}/*")],
            {"StringEquals": {"sagemaker:OwnerUserProfileArn": profile}},
            wildcard_reason="App names are chosen in Studio; only apps of spaces owned by this role's user "
            "profile (sagemaker:OwnerUserProfileArn).",
        )
        grants.allow(
            "AppsOfOwnProfile",
            ("sagemaker:CreateApp", "sagemaker:DeleteApp"),
            [this_region_arn(self, "sagemaker", f"app/{domain_id}/{owner}/*")],
            {"Null": {"sagemaker:OwnerUserProfileArn": "true"}},
            wildcard_reason="Apps that run directly under this role's user profile (the ARN names the profile), "
            "not in a space.",
        )


@dataclass(frozen=True)
class UrlAccess:
    """From where presigned notebook and Studio URLs may be requested and used (N13).

    AWS evaluates the policy on CreatePresignedNotebookInstanceUrl / CreatePresignedDomainUrl for
    the call and again for every HTTP request and WebSocket frame of the session, so a path through
    the VPC names both the SageMaker API endpoint and the notebook (or Studio) endpoint in
    aws:SourceVpce, and may narrow the callers to addresses of the VPC with aws:VpcSourceIp (with
    aws:SourceVpc). Requests through a VPC endpoint never carry aws:SourceIp: callers over the
    internet are admitted by aws:SourceIp alone, in a statement of its own (statements are ORed,
    condition blocks of one statement ANDed).
    """

    vpc_id: str
    api_endpoint_id: str
    notebook_endpoint_id: str | None = None
    studio_endpoint_id: str | None = None
    through_vpc_endpoints: bool = True
    vpc_source_cidrs: Sequence[str] = ()
    internet_cidrs: Sequence[str] = ()

    def conditions(self, browser_endpoint_id: str | None) -> dict[str, dict]:
        """Statement label -> conditions (besides ownership) for a URL whose session goes through
        `browser_endpoint_id` (the notebook or Studio endpoint)."""
        found: dict[str, dict] = {}
        if self.through_vpc_endpoints:
            endpoints = [self.api_endpoint_id] + ([browser_endpoint_id] if browser_endpoint_id else [])
            vpc: dict = {"StringEquals": {"aws:SourceVpce": endpoints}}
            if self.vpc_source_cidrs:
                vpc = {
                    "StringEquals": {"aws:SourceVpce": endpoints, "aws:SourceVpc": self.vpc_id},
                    "IpAddress": {"aws:VpcSourceIp": list(self.vpc_source_cidrs)},
                }
            found["ThroughVpcEndpoints"] = vpc
        if self.internet_cidrs:
            found["FromInternetCidrs"] = {"IpAddress": {"aws:SourceIp": list(self.internet_cidrs)}}
        return found


class DataScientistRoles(Construct):
    """One IAM role per data scientist, attribute-based (N8, N9, N13).

    Each role carries the tag owner=<name>. A shared customer-managed policy grants, through
    ${aws:PrincipalTag/owner}, access only to SageMaker resources tagged with the same owner:
    their notebook, their Studio profile and its apps, the jobs they created (creation requires
    the owner tag, and tags can be set only by the creating call, OwnerTagProtection). Presigned
    notebook and Studio URLs follow `url_access` (N13). iam:PassRole is limited to the caller's
    own execution role (named `execution_role_prefix` + owner) and to SageMaker (N8); the N8
    guardrails and the owner-tag protection are attached.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Sequence[str],
        role_name_prefix: str,
        execution_role_prefix: str,
        data_key: kms.IKey,
        guardrails: SageMakerGuardrailPolicy,
        tag_protection: OwnerTagProtection,
        url_access: UrlAccess,
        studio_domain_id: str | None = None,
        tag_keys: Sequence[str] = USER_TAG_KEYS,
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
        url_targets = [
            ("Notebook", "sagemaker:CreatePresignedNotebookInstanceUrl", notebooks, url_access.notebook_endpoint_id)
        ]
        if studio_domain_id is not None:
            profiles = this_region_arn(self, "sagemaker", f"user-profile/{studio_domain_id}/*")
            url_targets.append(
                ("StudioProfile", "sagemaker:CreatePresignedDomainUrl", profiles, url_access.studio_endpoint_id)
            )
            own_profile = this_region_arn(self, "sagemaker", f"user-profile/{studio_domain_id}/{PRINCIPAL_OWNER}")
            apps = this_region_arn(self, "sagemaker", f"app/{studio_domain_id}/*")
            access.allow(
                "StopOwnStudioApps",
                ("sagemaker:DeleteApp",),
                [apps],
                {"StringEquals": {"sagemaker:OwnerUserProfileArn": own_profile}},
                wildcard_reason="Apps of the spaces the caller's own user profile owns (sagemaker:OwnerUserProfileArn "
                "names the profile named like the caller's owner tag).",
            )
            access.allow(
                "StopOwnProfileApps",
                ("sagemaker:DeleteApp",),
                [this_region_arn(self, "sagemaker", f"app/{studio_domain_id}/{PRINCIPAL_OWNER}/*")],
                {"Null": {"sagemaker:OwnerUserProfileArn": "true"}},
                wildcard_reason="Apps that run directly under the caller's own user profile (the ARN names it).",
            )
        url_reason = (
            "Requires the resource's owner tag to equal the caller's principal tag, and the request to "
            "come through the VPC's SageMaker API and notebook/Studio endpoints or from an allowed network (N9, N13)."
        )
        for label, action, resource, browser_endpoint in url_targets:
            for path, conditions in url_access.conditions(browser_endpoint).items():
                merged = {**conditions, "StringEquals": {**owned["StringEquals"], **conditions.get("StringEquals", {})}}
                access.allow(f"Own{label}Url{path}", (action,), [resource], merged, wildcard_reason=url_reason)
        sagemaker_resources = this_region_arn(self, "sagemaker", "*")
        access.allow(
            "CreateWorkTaggedAsOwn",
            CREATE_WORK_ACTIONS,
            [sagemaker_resources],
            {"StringEquals": {f"aws:RequestTag/{OWNER_TAG}": PRINCIPAL_OWNER}},
            wildcard_reason="Names are chosen at run time; every created resource must carry "
            "aws:RequestTag/owner equal to the caller's principal tag (N9), and the N8 guardrails decide "
            "how it may be configured.",
        )
        access.allow(
            "TagOnlyAtCreationAsOwn",
            ("sagemaker:AddTags",),
            [sagemaker_resources],
            tag_on_create(PRINCIPAL_OWNER, tag_keys),
            wildcard_reason="Tags only on the Create call that makes the resource (sagemaker:TaggingAction), owner "
            "equal to the caller's principal tag, keys from a fixed list (N9).",
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
        stack = cdk.Stack.of(self)
        access.allow(
            "PassOnlyOwnExecutionRoleToSageMaker",
            ("iam:PassRole",),
            [f"arn:{stack.partition}:iam::{stack.account}:role/{execution_role_prefix}{PRINCIPAL_OWNER}"],
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
            tag_protection.attach_to(role)
            cdk.CfnOutput(role, "Arn", value=role.role_arn, description=f"Role {name} assumes (MFA required)")
            self.roles[name] = role


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
