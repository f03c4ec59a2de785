"""A1 caller sentiment: audio upload -> Amazon Transcribe -> Amazon Comprehend -> result JSON in S3.

One Step Functions state machine (STANDARD, JSONata) driven by the input bucket's EventBridge events,
calling the services through AWS SDK service integrations; no glue Lambda.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ml_constructs.acknowledgments import (
    AWS_SOLUTIONS,
    CONTROL_TOWER,
    acknowledge,
    acknowledge_imported_reference,
    is_imported,
)
from ml_constructs.ai_sentiment_access import acknowledge_chain_wildcards, grant_chain_access, wildcard_reasons
from ml_constructs.ai_sentiment_definition import (
    ERRORS,
    KEY_PATTERN,
    RESULTS,
    RETRY_BACKOFF_RATE,
    RETRY_INTERVAL,
    RETRY_MAX_ATTEMPTS,
    RETRY_MAX_DELAY,
    TRANSCRIPTS,
    build_definition,
)
from ml_constructs.cfn import drop_redundant_dependency
from ml_constructs.iam import ManagedPolicyRole
from ml_constructs.log_group import EncryptedLogGroup
from ml_constructs.secure_bucket import SecureBucket

__all__ = [
    "ERRORS",
    "KEY_PATTERN",
    "RESULTS",
    "RETRY_BACKOFF_RATE",
    "RETRY_INTERVAL",
    "RETRY_MAX_ATTEMPTS",
    "RETRY_MAX_DELAY",
    "TRANSCRIPTS",
    "CallerSentiment",
    "acknowledge_chain_wildcards",
    "build_definition",
    "grant_chain_access",
    "wildcard_reasons",
]

# Time the steps after transcription take at most (reads, two Comprehend calls, writes, retries included).
_AFTER_TRANSCRIPTION = cdk.Duration.minutes(15)
# How long EventBridge keeps retrying to start an execution before the event goes to the dead-letter queue.
_MAX_EVENT_AGE = cdk.Duration.hours(24)


class CallerSentiment(Construct):
    """A1: Transcribe then Comprehend for each audio file uploaded under `input_prefix`.

    - input and output buckets (SecureBucket: SSE-KMS with the project's data key, TLS only, versioned,
      access-logged, events to EventBridge);
    - an EventBridge rule on "Object Created" under the input prefix starts the state machine; its target
      retries (`target_retry_attempts`, `target_max_event_age`) and then sends the event to an encrypted
      dead-letter queue, so no upload is dropped silently;
    - the state machine validates the upload (size above zero and at most `max_media_bytes`, an accepted
      media format from the key's extension, a key of Transcribe's output-key characters), starts a
      Transcribe job whose output the data key encrypts, polls it every `poll_seconds` at most `max_polls`
      times (plus a TimeoutSeconds over the whole execution), reads the transcript, runs DetectSentiment on
      its first `sentiment_characters` characters (DetectSentiment takes 5,000 bytes; the result says
      whether the text was truncated: truncation, not batching, keeps one call per upload) and
      DetectKeyPhrases on its first `key_phrase_characters`, and writes a result JSON under `results/`;
    - every Task retries throttling and service errors with backoff and catches everything else into one
      failure branch that writes an error record (the original event, the error and its cause) under
      `errors/` and ends in a Fail state;
    - logs of every execution (level ALL, execution data included) go to a log group encrypted with the
      logs key; X-Ray tracing is on.

    Transcribe reads the media and writes the transcript with the credentials of the caller of
    StartTranscriptionJob (no DataAccessRoleArn: that role applies only to deferred job execution), so the
    state machine role is granted the input objects, the transcripts prefix and the data key, the key only
    through S3 or Transcribe (kms:ViaService).

    Network: the state machine runs in AWS's Step Functions service, outside the project VPC. Transcribe and
    Comprehend are called by Step Functions over AWS's network (no VPC endpoint is involved), and the buckets
    are reached the same way, so they carry no VPC-endpoint-only policy (the data stack's buckets do).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        queue_key: kms.IKey,
        access_log_bucket: s3.IBucket,
        language_code: str,
        comprehend_language: str,
        media_formats: Sequence[str],
        max_media_bytes: int,
        poll_seconds: int,
        max_polls: int,
        sentiment_characters: int,
        key_phrase_characters: int,
        log_retention: int,
        input_prefix: str = "calls/",
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        noncurrent_version_expiration: cdk.Duration = cdk.Duration.days(90),
        target_retry_attempts: int = 8,
        target_max_event_age: cdk.Duration = _MAX_EVENT_AGE,
    ) -> None:
        super().__init__(scope, construct_id)

        def bucket(construct_id: str) -> s3.Bucket:
            return SecureBucket(
                self,
                construct_id,
                encryption_key=data_key,
                access_log_bucket=access_log_bucket,
                removal_policy=removal_policy,
                noncurrent_version_expiration=noncurrent_version_expiration,
            ).bucket

        self.input_bucket = bucket("Input")
        self.output_bucket = bucket("Output")
        self.input_prefix = input_prefix
        self.job_prefix = f"{name_prefix}a1-"
        self.max_polls = max_polls
        self.poll_seconds = poll_seconds
        key_arn = data_key.key_arn

        # --- Definition: the states, in this construct (ml_constructs/ai_sentiment_definition.py) ---------
        start_state = build_definition(
            self,
            output_bucket=self.output_bucket,
            key_arn=key_arn,
            job_prefix=self.job_prefix,
            language_code=language_code,
            comprehend_language=comprehend_language,
            media_formats=media_formats,
            max_media_bytes=max_media_bytes,
            poll_seconds=poll_seconds,
            max_polls=max_polls,
            sentiment_characters=sentiment_characters,
            key_phrase_characters=key_phrase_characters,
        )

        # --- State machine ---------------------------------------------------------------------------------
        self.log_group = EncryptedLogGroup(
            self,
            "Logs",
            encryption_key=logs_key,
            retention=log_retention,
            removal_policy=removal_policy,
            log_group_name=f"/aws/vendedlogs/states/{name_prefix}a1-sentiment",
        ).log_group
        self.timeout = cdk.Duration.seconds(poll_seconds * (max_polls + 1) + _AFTER_TRANSCRIPTION.to_seconds())
        role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="A1 caller-sentiment state machine: the calls its states make, on this chain's resources",
            policy_description="A1: Transcribe, Comprehend, the chain's bucket prefixes and the data key",
        )
        self.role = role
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            role=role,
            state_machine_name=f"{name_prefix}a1-sentiment",
            state_machine_type=sfn.StateMachineType.STANDARD,
            query_language=sfn.QueryLanguage.JSONATA,
            definition_body=sfn.DefinitionBody.from_chainable(start_state),
            timeout=self.timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            removal_policy=removal_policy,
        )
        drop_redundant_dependency(self.state_machine.node.default_child, role.node.default_child)
        grant_chain_access(
            role,
            input_bucket=self.input_bucket,
            output_bucket=self.output_bucket,
            input_prefix=input_prefix,
            key_arn=key_arn,
        )

        # --- Trigger -----------------------------------------------------------------------------------------
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=queue_key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            redrive_allow_policy=sqs.RedriveAllowPolicy(redrive_permission=sqs.RedrivePermission.DENY_ALL),
        )
        queue = self.dead_letters.node.default_child
        acknowledge(
            queue,
            f"{CONTROL_TOWER}sqs_dlq_check",
            "This queue is itself the dead-letter queue of the upload rule's target: uploads whose execution "
            "could not be started wait here for an operator; it is no queue's source (RedriveAllowPolicy denyAll).",
        )
        if is_imported(self, queue_key):
            acknowledge_imported_reference(
                queue, "sqs_queue_encrypted_check", "KmsMasterKeyId (the project's notifications key)", queue_key
            )
        self.rule = events.Rule(
            self,
            "Uploads",
            description="A1: audio uploaded under the input prefix -> caller-sentiment state machine",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [self.input_bucket.bucket_name]},
                    "object": {"key": [{"prefix": input_prefix}]},
                },
            ),
        )
        self.rule.add_target(
            targets.SfnStateMachine(
                self.state_machine,
                role=ManagedPolicyRole(
                    self,
                    "EventsRole",
                    assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
                    description="A1 upload rule: starts the caller-sentiment state machine",
                    policy_description="A1: start executions of the caller-sentiment state machine",
                ),
                dead_letter_queue=self.dead_letters,
                retry_attempts=target_retry_attempts,
                max_event_age=target_max_event_age,
            )
        )
        acknowledge(
            queue,
            f"{AWS_SOLUTIONS}SQS3",
            "This queue is the dead-letter queue of the upload rule's target (EventBridge DeadLetterConfig, which "
            "cdk-nag does not follow); a dead-letter queue needs no dead-letter queue of its own.",
        )
        acknowledge_chain_wildcards(role, input_prefix=input_prefix, job_prefix=self.job_prefix)
