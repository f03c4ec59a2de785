"""The execution role of a data scientist's notebook, Studio apps and jobs (N8, N9)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.iam import SageMakerExecutionRole, Statements, this_region_arn
from ml_constructs.owner_tags import (
    BUCKET_ACTIONS,
    CREATE_WORK_ACTIONS,
    LIST_ONLY_ON_ANY_RESOURCE,
    OBJECT_ACTIONS,
    OWN_WORK_ACTIONS,
    OWNER_TAG,
    PRINCIPAL_OWNER,
    USER_TAG_KEYS,
    tag_on_create,
)


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
