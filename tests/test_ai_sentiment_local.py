"""A1 (caller sentiment) run locally: the synthesized definition's control flow on tests/sfn_local.py.

The definition is read from the sandbox template (tests/ai_chain_helpers.py) and run against fake
service answers shaped like the real ones (botocore's transcribe/comprehend/s3 output shapes), on a
virtual clock: the success path, and the failure path for malformed, empty, unsupported and stuck inputs,
each ending in an error record under errors/ (never a silent drop).
"""

from __future__ import annotations

import json

import pytest
from ai_chain_helpers import MACHINE, definition
from sfn_local import FAILED, SUCCEEDED, TaskError, run

TRANSCRIPT = {
    "jobName": "job",
    "results": {"transcripts": [{"transcript": "Thanks for calling, the new plan works great."}], "items": []},
}


def event(key: str = "calls/call-1.wav", size: int = 48_000) -> dict:
    """An EventBridge "Object Created" event from S3 (the fields the rule matches and the machine reads)."""
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": "secure-ml-sandbox-a1-input"}, "object": {"key": key, "size": size}},
    }


def services(*, statuses=("IN_PROGRESS", "COMPLETED"), sentiment=None) -> dict:
    jobs = [{"TranscriptionJob": {"TranscriptionJobName": "job", "TranscriptionJobStatus": s}} for s in statuses]
    return {
        "transcribe:startTranscriptionJob": {"TranscriptionJob": {"TranscriptionJobStatus": "IN_PROGRESS"}},
        "transcribe:getTranscriptionJob": jobs,
        "s3:getObject": {"Body": json.dumps(TRANSCRIPT), "ContentType": "application/json"},
        "comprehend:detectSentiment": sentiment
        or {
            "Sentiment": "POSITIVE",
            "SentimentScore": {"Positive": 0.97, "Negative": 0.01, "Neutral": 0.02, "Mixed": 0.0},
        },
        "comprehend:detectKeyPhrases": {"KeyPhrases": [{"Text": "the new plan", "Score": 0.99}]},
        "s3:putObject": {"ETag": '"abc"'},
    }


@pytest.fixture(scope="module")
def a1(sandbox) -> dict:
    return definition(sandbox, MACHINE)


def puts(execution) -> list[dict]:
    return [call.arguments for call in execution.calls_to("s3:putObject")]


def test_a1_success_path_writes_the_sentiment_result(a1):
    """proves A1: upload -> transcription (polled until COMPLETED) -> sentiment and key phrases -> result JSON."""
    execution = run(a1, event(), services())
    assert execution.status == SUCCEEDED, (execution.error, execution.cause)
    assert execution.states.count("Wait for transcription") == 2  # IN_PROGRESS, then COMPLETED
    [start] = [c.arguments for c in execution.calls_to("transcribe:startTranscriptionJob")]
    assert start["Media"] == {"MediaFileUri": "s3://secure-ml-sandbox-a1-input/calls/call-1.wav"}
    assert start["MediaFormat"] == "wav"
    [sentiment] = [c.arguments for c in execution.calls_to("comprehend:detectSentiment")]
    assert sentiment["Text"] == TRANSCRIPT["results"]["transcripts"][0]["transcript"]
    [result] = puts(execution)
    assert result["Key"].startswith("results/") and result["ServerSideEncryption"] == "aws:kms"
    body = json.loads(result["Body"])
    assert "POSITIVE" in json.dumps(body) and "the new plan" in json.dumps(body)


@pytest.mark.parametrize(
    ("name", "input"),
    [
        ("malformed", {"nonsense": 1}),
        ("empty", event(size=0)),
        ("unsupported", event(key="calls/notes.txt")),
        ("too-large", event(size=3 * 1024**3)),
    ],
)
def test_a1_bad_inputs_end_in_an_error_record(a1, name, input):
    """proves A1: malformed, empty, unsupported or too large inputs fail with a readable error record."""
    execution = run(a1, input, services())
    assert execution.status == FAILED
    assert execution.error.startswith("A1."), execution.error
    assert not execution.calls_to("transcribe:startTranscriptionJob")
    [record] = puts(execution)
    assert record["Key"].startswith("errors/")
    body = json.loads(record["Body"])
    assert body["input"] == input and body["error"] == execution.error and body["cause"]


def test_a1_polling_is_bounded(a1, sandbox):
    """proves A1: a job that never finishes ends after max_polls waits, with an error record, not a busy loop."""
    settings = sandbox.config.ai_services.sentiment
    execution = run(a1, event(), services(statuses=("IN_PROGRESS",)), max_steps=5000)
    assert execution.status == FAILED and execution.error == "A1.TranscriptionTimedOut"
    assert execution.states.count("Wait for transcription") == settings.max_polls
    assert execution.elapsed >= settings.max_polls * settings.poll_seconds
    assert puts(execution)[0]["Key"].startswith("errors/")


def test_a1_failed_transcription_keeps_its_reason(a1):
    """proves A1: a FAILED job's FailureReason reaches the error record."""
    failed = {
        "TranscriptionJob": {
            "TranscriptionJobName": "job",
            "TranscriptionJobStatus": "FAILED",
            "FailureReason": "The media format doesn't match the file",
        }
    }
    tasks = services()
    tasks["transcribe:getTranscriptionJob"] = [failed]
    execution = run(a1, event(), tasks)
    assert execution.status == FAILED and execution.error == "A1.TranscriptionFailed"
    assert "doesn't match the file" in json.loads(puts(execution)[0]["Body"])["cause"]


def test_a1_throttling_is_retried_with_backoff(a1):
    """proves A1: a throttled Comprehend call is retried (bounded, backing off) and the run still succeeds."""
    tasks = services()
    answer = tasks["comprehend:detectSentiment"]
    tasks["comprehend:detectSentiment"] = [
        TaskError("Comprehend.ThrottlingException", "Rate exceeded"),
        TaskError("Comprehend.ThrottlingException", "Rate exceeded"),
        answer,
    ]
    execution = run(a1, event(), tasks)
    assert execution.status == SUCCEEDED, (execution.error, execution.cause)
    assert len(execution.calls_to("comprehend:detectSentiment")) == 3


def test_a1_a_service_error_that_is_not_retried_ends_in_an_error_record(a1):
    """proves A1: an access-denied answer goes through Catch to the error record, keeping the original event."""
    tasks = services()
    tasks["comprehend:detectSentiment"] = TaskError("Comprehend.AccessDeniedException", "not authorized")
    execution = run(a1, event(), tasks)
    assert execution.status == FAILED and execution.error == "Comprehend.AccessDeniedException"
    record = json.loads(puts(execution)[0]["Body"])
    assert record["input"] == event() and "not authorized" in record["cause"]
