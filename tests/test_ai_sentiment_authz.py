"""A1 caller sentiment: the authorization of every call the state machine's states make (proves A1).

Each case is evaluated against the synthesized sandbox template (tests/authz.py).
"""

from __future__ import annotations

import pytest
from ai_chain_helpers import JOB_PREFIX, MACHINE, STACK, definition
from authz import Decision, World, evaluate
from authz_example import ALLOWED, EXPLICIT, IMPLICIT

# --- Authorization: each call the states make, and a denied sibling of each --------------------------

EXECUTION = "0f6c6c1e-6f0b-4a4e-9c55-3b1d2e9a7d10"
JOB = JOB_PREFIX + EXECUTION


def authz_cases(world: World) -> dict[str, tuple]:
    role = world.principal(STACK, world.logical_id(STACK, "AWS::IAM::Role", "SentimentRole"))
    events_role = world.principal(STACK, world.logical_id(STACK, "AWS::IAM::Role", "SentimentEventsRole"))
    input_arn = world.arn(STACK, world.logical_id(STACK, "AWS::S3::Bucket", "SentimentInputBucket"))
    output_arn = world.arn(STACK, world.logical_id(STACK, "AWS::S3::Bucket", "SentimentOutputBucket"))
    output = output_arn.rsplit(":", 1)[-1]
    datasets = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket"))
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    logs_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "LogsKey"))
    machine = world.arn(STACK, world.logical_id(STACK, "AWS::StepFunctions::StateMachine", "SentimentStateMachine"))
    job = f"arn:aws:transcribe:{world.region}:{world.account}:transcription-job/{JOB}"
    via_s3 = {"kms:ViaService": f"s3.{world.region}.amazonaws.com", "aws:ViaAWSService": "true"}
    start_context = {
        "transcribe:OutputBucketName": output,
        "transcribe:OutputKey": f"transcripts/{JOB}.json",
        "transcribe:OutputEncryptionKMSKeyId": data_key,
    }
    return {
        # Start transcription job: the call, then what Transcribe does with the caller's permissions.
        "start-transcription-job": (
            role,
            "transcribe:StartTranscriptionJob",
            "*",
            start_context,
            ALLOWED,
            "Start transcription job",
        ),
        "start-job-into-another-bucket": (
            role,
            "transcribe:StartTranscriptionJob",
            "*",
            {**start_context, "transcribe:OutputBucketName": "elsewhere"},
            IMPLICIT,
            None,
        ),
        "start-job-unencrypted-output": (
            role,
            "transcribe:StartTranscriptionJob",
            "*",
            {k: v for k, v in start_context.items() if k != "transcribe:OutputEncryptionKMSKeyId"},
            IMPLICIT,
            None,
        ),
        "transcribe-reads-the-upload": (
            role,
            "s3:GetObject",
            f"{input_arn}/calls/call-1.mp3",
            {},
            ALLOWED,
            "Start transcription job",
        ),
        "transcribe-reads-nothing-else-of-the-input": (
            role,
            "s3:GetObject",
            f"{input_arn}/other/call-1.mp3",
            {},
            IMPLICIT,
            None,
        ),
        "transcribe-writes-the-transcript": (
            role,
            "s3:PutObject",
            f"{output_arn}/transcripts/{JOB}.json",
            {},
            ALLOWED,
            "Start transcription job",
        ),
        "transcribe-decrypts-the-upload-with-the-data-key": (
            role,
            "kms:Decrypt",
            data_key,
            via_s3,
            ALLOWED,
            "Start transcription job",
        ),
        "transcribe-encrypts-the-transcript-with-the-data-key": (
            role,
            "kms:GenerateDataKey",
            data_key,
            via_s3,
            ALLOWED,
            "Start transcription job",
        ),
        "data-key-not-directly": (role, "kms:Decrypt", data_key, {}, IMPLICIT, None),
        "logs-key-not-at-all": (role, "kms:Decrypt", logs_key, via_s3, IMPLICIT, None),
        # Polling.
        "get-transcription-job": (role, "transcribe:GetTranscriptionJob", job, {}, ALLOWED, "Get transcription job"),
        "get-another-transcription-job": (
            role,
            "transcribe:GetTranscriptionJob",
            job.replace(JOB_PREFIX, "someone-else-"),
            {},
            IMPLICIT,
            None,
        ),
        # Read transcript, Comprehend, results and error records.
        "read-the-transcript": (
            role,
            "s3:GetObject",
            f"{output_arn}/transcripts/{JOB}.json",
            {},
            ALLOWED,
            "Read transcript",
        ),
        "read-no-results": (role, "s3:GetObject", f"{output_arn}/results/{JOB}.json", {}, IMPLICIT, None),
        "detect-sentiment": (role, "comprehend:DetectSentiment", "*", {}, ALLOWED, "Detect sentiment"),
        "detect-key-phrases": (role, "comprehend:DetectKeyPhrases", "*", {}, ALLOWED, "Detect key phrases"),
        "detect-no-pii": (role, "comprehend:DetectPiiEntities", "*", {}, IMPLICIT, None),
        "write-the-result": (role, "s3:PutObject", f"{output_arn}/results/{JOB}.json", {}, ALLOWED, "Write result"),
        "write-the-error-record": (
            role,
            "s3:PutObject",
            f"{output_arn}/errors/{EXECUTION}.json",
            {},
            ALLOWED,
            "Write error record",
        ),
        "write-nothing-into-the-input": (role, "s3:PutObject", f"{input_arn}/calls/forged.mp3", {}, IMPLICIT, None),
        # Denied by the identity policy and, explicitly, by the data buckets' VPC-endpoint perimeter (N10).
        "write-nothing-into-the-data-buckets": (role, "s3:PutObject", f"{datasets}/raw/x.csv", {}, EXPLICIT, None),
        # The rule's target.
        "rule-starts-the-machine": (events_role, "states:StartExecution", machine, {}, ALLOWED, None),
        "rule-starts-nothing-else": (events_role, "states:StartExecution", machine + "-other", {}, IMPLICIT, None),
    }


@pytest.fixture(scope="module")
def authz_decisions(sandbox) -> dict[str, tuple[Decision, str]]:
    world = World.from_assembly(sandbox)
    cases = authz_cases(world)
    requests = [
        world.request(p, action, resource, context=context) for p, action, resource, context, _, _ in cases.values()
    ]
    return {name: (decision, case[4]) for (name, case), decision in zip(cases.items(), evaluate(requests), strict=True)}


def test_a1_role_makes_each_call_of_its_states_and_nothing_beside(authz_decisions):
    """proves A1: every (action, resource) a state calls is allowed; each denied sibling is denied."""
    wrong = {
        name: (decision.result, expected, decision.reason)
        for name, (decision, expected) in authz_decisions.items()
        if decision.result != expected
    }
    assert not wrong, wrong


def test_a1_every_task_of_the_definition_has_an_authorization_case(sandbox):
    """proves A1: a Task added to the definition without an allowed authorization case fails here."""
    world = World.from_assembly(sandbox)
    covered = {case[5] for case in authz_cases(world).values() if case[4] == ALLOWED and case[5]}
    states = definition(sandbox, MACHINE)["States"]
    assert {name for name, state in states.items() if state["Type"] == "Task"} == covered
