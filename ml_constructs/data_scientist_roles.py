"""One attribute-based IAM role per data scientist, and where presigned URLs may come from (N8, N9, N13)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ml_constructs.iam import Statements, this_region_arn
from ml_constructs.owner_tags import (
    CREATE_WORK_ACTIONS,
    OWNER_TAG,
    PRINCIPAL_OWNER,
    USER_TAG_KEYS,
    OwnerTagProtection,
    tag_on_create,
)
from ml_constructs.sagemaker_guardrails import SageMakerGuardrailPolicy


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
