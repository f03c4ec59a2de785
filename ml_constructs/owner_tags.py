"""The workspace's owner tags: who may set which tag, and the deny on changing them afterwards (N9)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

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
