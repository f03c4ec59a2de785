"""A1 caller sentiment: what the state machine's role may do beside the calls CDK grants for its Task states.

The statements Transcribe needs (it works with the caller's permissions), the data key through S3 and
Transcribe only, and the acknowledgment of each wildcard of the role's policy with its reason.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IValidation

from ml_constructs.acknowledgments import AWS_SOLUTIONS, acknowledge, wildcard_findings
from ml_constructs.ai_sentiment_definition import ERRORS, RESULTS, TRANSCRIPTS
from ml_constructs.iam import ManagedPolicyRole


def grant_chain_access(
    role: ManagedPolicyRole,
    *,
    input_bucket: s3.IBucket,
    output_bucket: s3.IBucket,
    input_prefix: str,
    key_arn: str,
) -> None:
    """Add the statements the state machine's calls need beyond their own actions: StartTranscriptionJob
    into the chain's output only, Transcribe's reads and writes of the buckets, and the data key."""
    stack = cdk.Stack.of(role)
    output = output_bucket.bucket_name
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="StartTranscriptionJobsIntoTheChainOutput",
            actions=["transcribe:StartTranscriptionJob"],
            resources=["*"],
            conditions={
                "StringEquals": {
                    "transcribe:OutputBucketName": output,
                    "transcribe:OutputEncryptionKMSKeyId": key_arn,
                },
                "StringLike": {"transcribe:OutputKey": f"{TRANSCRIPTS}*"},
            },
        )
    )
    # Transcribe uses the caller's permissions on S3: it reads the uploaded media and writes the
    # transcript (StartTranscriptionJob, no DataAccessRoleArn).
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="TranscribeReadsUploads",
            actions=["s3:GetObject"],
            resources=[input_bucket.arn_for_objects(f"{input_prefix}*")],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="TranscribeWritesTranscripts",
            actions=["s3:PutObject"],
            resources=[output_bucket.arn_for_objects(f"{TRANSCRIPTS}*")],
        )
    )
    region = stack.region
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="DataKeyThroughS3AndTranscribe",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            resources=[key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": [f"s3.{region}.amazonaws.com", f"transcribe.{region}.amazonaws.com"]}
            },
        )
    )


def acknowledge_chain_wildcards(role: ManagedPolicyRole, *, input_prefix: str, job_prefix: str) -> None:
    """Acknowledge each AwsSolutions-IAM5 finding of the role's policy with its reason, at synthesis."""
    policy = role.grants_policy.node.default_child
    policy.node.add_validation(_AcknowledgeChainWildcards(policy, wildcard_reasons(input_prefix, job_prefix)))


def wildcard_reasons(input_prefix: str, job_prefix: str) -> dict[str, str]:
    """Why each wildcard of the role's policy is needed, by the end of its AwsSolutions-IAM5 finding."""
    per_upload = (
        "Object keys are per upload (the uploaded name, or the execution that handles it); the grant is "
        "limited to this chain's bucket and to the one prefix the state reads or writes."
    )
    return {
        "Resource::*": (
            "Only actions without a resource type take '*': CloudWatch Logs log delivery (Step Functions "
            "logging), X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* (tracing), Comprehend "
            "DetectSentiment/DetectKeyPhrases, and Transcribe StartTranscriptionJob, narrowed by its "
            "transcribe:OutputBucketName/OutputKey/OutputEncryptionKMSKeyId conditions to this chain's output "
            "(Service Authorization Reference: no resource types)."
        ),
        f"/{input_prefix}*": per_upload,
        f"/{TRANSCRIPTS}*": per_upload,
        f"/{RESULTS}*": per_upload,
        f"/{ERRORS}*": per_upload,
        f"transcription-job/{job_prefix}*": (
            "Transcription jobs are named per execution (the chain's prefix and the execution name), so "
            "the grant covers this chain's job names only."
        ),
    }


@jsii.implements(IValidation)
class _AcknowledgeChainWildcards:
    """Acknowledge each AwsSolutions-IAM5 finding of the state machine's policy, one by one, with the
    reason whose key ends the finding; CDK writes the task statements without Sids, so
    `acknowledge_wildcards` (by Sid) cannot name them. A wildcard no reason explains stays a finding."""

    def __init__(self, policy: cdk.CfnResource, reasons: dict[str, str]) -> None:
        self._policy = policy
        self._reasons = reasons

    def validate(self) -> list[str]:
        document = cdk.Stack.of(self._policy).resolve(self._policy.policy_document)
        for findings in wildcard_findings(document).values():
            for finding in sorted(findings):
                for suffix, reason in self._reasons.items():
                    if finding.endswith(suffix) and (suffix != "Resource::*" or finding == suffix):
                        acknowledge(self._policy, f"{AWS_SOLUTIONS}IAM5[{finding}]", reason)
                        break
        return []
