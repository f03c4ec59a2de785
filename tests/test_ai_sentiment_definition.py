"""A1 caller sentiment: the state machine's definition step by step (proves A1).

The definition is read from the synthesized sandbox template (tests/ai_chain_helpers.py), so what is
asserted is what Step Functions receives.
"""

from __future__ import annotations

import re

import pytest
from ai_chain_helpers import JOB_PREFIX, MACHINE, STACK, definition, state_machine
from authz import World

TASKS = (
    "Start transcription job",
    "Get transcription job",
    "Read transcript",
    "Detect sentiment",
    "Detect key phrases",
    "Write result",
)
REJECTIONS = {
    "Reject empty input": ("A1.EmptyInput", "{% $size <= 0 %}"),
    "Reject input too large": ("A1.InputTooLarge", "{% $size > 524288000 %}"),
    "Reject unsupported format": (
        "A1.UnsupportedMediaFormat",
        "{% $not($extension in ['mp3', 'wav', 'flac', 'm4a']) %}",
    ),
    "Reject object key": ("A1.UnsupportedObjectKey", None),
}


@pytest.fixture(scope="module")
def states(sandbox) -> dict:
    return definition(sandbox, MACHINE)["States"]


@pytest.fixture(scope="module")
def machine(sandbox) -> dict:
    _, _, resource = state_machine(sandbox, MACHINE)
    return resource


@pytest.fixture(scope="module")
def output_bucket(sandbox) -> str:
    world = World.from_assembly(sandbox)
    return world.physical_name(STACK, world.logical_id(STACK, "AWS::S3::Bucket", "SentimentOutputBucket"))


# --- The definition, step by step -------------------------------------------------------------------


def test_a1_standard_jsonata_machine_with_a_total_timeout(sandbox, machine):
    """proves A1: STANDARD type, JSONata, and TimeoutSeconds covering max_polls waits plus the steps after."""
    body = definition(sandbox, MACHINE)
    assert machine["Properties"]["StateMachineType"] == "STANDARD"
    assert body["QueryLanguage"] == "JSONata"
    assert body["StartAt"] == "Is an S3 object event?"
    sentiment = sandbox.config.ai_services.sentiment
    assert body["TimeoutSeconds"] == sentiment.poll_seconds * (sentiment.max_polls + 1) + 15 * 60


def test_a1_checks_the_event_shape_before_reading_it(states):
    """proves A1: a Pass state cannot catch, so an event without bucket and key goes to an error record."""
    check = states["Is an S3 object event?"]
    assert check["Type"] == "Choice"
    [rule] = check["Choices"]
    assert "$type($states.input.detail.bucket.name) = 'string'" in rule["Condition"]
    assert "$type($states.input.detail.object.key) = 'string'" in rule["Condition"]
    assert rule["Next"] == "Read event" and check["Default"] == "Reject malformed event"
    malformed = states["Reject malformed event"]
    assert malformed["Assign"]["event"] == "{% $states.input %}"
    assert malformed["Assign"]["error"] == "A1.MalformedEvent"
    assert malformed["Next"] == "Write error record"


def test_a1_reads_the_event_and_names_the_job_after_the_execution(states):
    """proves A1: the event is kept for error records; one deterministic job name per execution."""
    read = states["Read event"]
    assert read["Type"] == "Pass" and read["Next"] == "Validate input"
    assign = read["Assign"]
    assert assign["event"] == "{% $states.input %}"
    assert assign["bucket"] == "{% $states.input.detail.bucket.name %}"
    assert assign["key"] == "{% $states.input.detail.object.key %}"
    assert "$states.input.detail.object.size" in assign["size"]
    assert assign["jobName"] == "{% '" + JOB_PREFIX + "' & $states.context.Execution.Name %}"
    assert assign["polls"] == 0


def test_a1_empty_large_unsupported_inputs_end_in_the_failure_branch(states):
    """proves A1: each documented input limit has a Choice rule leading to a rejection that writes the error record."""
    validate = states["Validate input"]
    assert validate["Type"] == "Choice" and validate["Default"] == "Start transcription job"
    rules = {rule["Next"]: rule["Condition"] for rule in validate["Choices"]}
    assert list(rules) == list(REJECTIONS)
    for state, (error, condition) in REJECTIONS.items():
        if condition:
            assert rules[state] == condition
        rejection = states[state]
        assert rejection["Type"] == "Pass" and rejection["Next"] == "Write error record"
        assert rejection["Assign"]["error"] == error
        assert "$key" in rejection["Assign"]["cause"]
    # 500 MiB (the sandbox's max_media_mb) within Transcribe's 2 GB batch limit.
    assert 524288000 <= 2048 * 1024 * 1024
    key_rule = rules["Reject object key"]
    pattern = re.search(r"/(\^.*\$)/", key_rule).group(1)
    assert re.fullmatch(pattern, "calls/2026/agent-7_call.mp3")
    assert not re.fullmatch(pattern, "calls/a call with spaces.mp3")


def test_a1_starts_the_transcription_job_into_the_encrypted_output(states, output_bucket, sandbox):
    """proves A1: StartTranscriptionJob through the AWS SDK integration, output encrypted with the data key."""
    start = states["Start transcription job"]
    assert start["Resource"] == "arn:aws:states:::aws-sdk:transcribe:startTranscriptionJob"
    arguments = start["Arguments"]
    assert arguments["TranscriptionJobName"] == "{% $jobName %}"
    assert arguments["LanguageCode"] == "en-US"
    assert arguments["MediaFormat"] == "{% $extension %}"
    assert arguments["Media"] == {"MediaFileUri": "{% 's3://' & $bucket & '/' & $key %}"}
    assert arguments["OutputBucketName"] == output_bucket
    assert arguments["OutputKey"] == "{% 'transcripts/' & $jobName & '.json' %}"
    world = World.from_assembly(sandbox)
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    assert arguments["OutputEncryptionKMSKeyId"] == data_key
    assert start["Next"] == "Wait for transcription"


def test_a1_bounded_polling_loop(states, sandbox):
    """proves A1: Wait -> GetTranscriptionJob -> Choice on status, a poll counter capped at max_polls."""
    sentiment = sandbox.config.ai_services.sentiment
    wait = states["Wait for transcription"]
    assert wait["Type"] == "Wait" and wait["Seconds"] == sentiment.poll_seconds == 15
    assert wait["Assign"] == {"polls": "{% $polls + 1 %}"}
    assert wait["Next"] == "Get transcription job"
    get = states["Get transcription job"]
    assert get["Resource"] == "arn:aws:states:::aws-sdk:transcribe:getTranscriptionJob"
    assert get["Arguments"] == {"TranscriptionJobName": "{% $jobName %}"}
    assert get["Assign"]["status"] == "{% $states.result.TranscriptionJob.TranscriptionJobStatus %}"
    assert get["Next"] == "Transcription done?"
    done = states["Transcription done?"]
    assert [(c["Condition"], c["Next"]) for c in done["Choices"]] == [
        ("{% $status = 'COMPLETED' %}", "Read transcript"),
        ("{% $status = 'FAILED' %}", "Transcription failed"),
        (f"{{% $polls >= {sentiment.max_polls} %}}", "Transcription timed out"),
    ]
    assert done["Default"] == "Wait for transcription"
    for state, error in (
        ("Transcription failed", "A1.TranscriptionFailed"),
        ("Transcription timed out", "A1.TranscriptionTimedOut"),
    ):
        assert states[state]["Assign"]["error"] == error
        assert states[state]["Next"] == "Write error record"


def test_a1_reads_the_transcript_and_respects_comprehend_limits(states, output_bucket):
    """proves A1: S3 GetObject of the transcript; DetectSentiment gets at most 1,250 characters (<= 5,000 UTF-8
    bytes), DetectKeyPhrases at most 25,000 (< 100 KB); an empty transcript is a failure, not a Comprehend error."""
    read = states["Read transcript"]
    assert read["Resource"] == "arn:aws:states:::aws-sdk:s3:getObject"
    assert read["Arguments"] == {"Bucket": output_bucket, "Key": "{% 'transcripts/' & $jobName & '.json' %}"}
    assert "$parse($states.result.Body).results.transcripts.transcript" in read["Assign"]["text"]
    has_text = states["Transcript has text?"]
    assert has_text["Choices"] == [{"Condition": "{% $length($trim($text)) > 0 %}", "Next": "Detect sentiment"}]
    assert has_text["Default"] == "Empty transcript"
    assert states["Empty transcript"]["Assign"]["error"] == "A1.EmptyTranscript"
    sentiment = states["Detect sentiment"]
    assert sentiment["Resource"] == "arn:aws:states:::aws-sdk:comprehend:detectSentiment"
    assert sentiment["Arguments"] == {"Text": "{% $substring($text, 0, 1250) %}", "LanguageCode": "en"}
    assert 1250 * 4 <= 5000
    phrases = states["Detect key phrases"]
    assert phrases["Resource"] == "arn:aws:states:::aws-sdk:comprehend:detectKeyPhrases"
    assert phrases["Arguments"] == {"Text": "{% $substring($text, 0, 25000) %}", "LanguageCode": "en"}
    assert sentiment["Next"] == "Detect key phrases" and phrases["Next"] == "Write result"


def test_a1_writes_the_result_json_encrypted(states, output_bucket):
    """proves A1: the result JSON (sentiment, scores, key phrases, truncation flags) under results/, SSE-KMS."""
    write = states["Write result"]
    assert write["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    arguments = write["Arguments"]
    assert arguments["Bucket"] == output_bucket
    assert arguments["Key"] == "{% 'results/' & $jobName & '.json' %}"
    assert arguments["ServerSideEncryption"] == "aws:kms"
    assert arguments["SSEKMSKeyId"].startswith("arn:aws:kms:us-east-1:111122223333:key/")
    for field in (
        "'sentiment': $sentiment.Sentiment",
        "'sentimentScore'",
        "'keyPhrases': $keyPhrases",
        "'sentimentTruncated'",
    ):
        assert field in arguments["Body"]
    assert write["Next"] == "Done" and states["Done"]["Type"] == "Succeed"


def test_a1_every_task_retries_with_backoff_and_catches_into_the_error_record(states):
    """proves A1: bounded retries with exponential backoff and a delay cap; everything else to the failure branch."""
    for name in (*TASKS, "Write error record"):
        state = states[name]
        assert state["Type"] == "Task", name
        [retry] = state["Retry"]
        assert retry["ErrorEquals"] and "States.ALL" not in retry["ErrorEquals"], name
        assert retry["MaxAttempts"] == 5 and retry["BackoffRate"] == 2, name
        assert retry["IntervalSeconds"] == 2 and retry["MaxDelaySeconds"] == 60, name
        assert retry["JitterStrategy"] == "FULL", name
    for name in TASKS:
        [catch] = states[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "Write error record", name
        assert catch["Assign"] == {
            "error": "{% $states.errorOutput.Error %}",
            "cause": "{% $states.errorOutput.Cause %}",
        }


def test_a1_failure_branch_keeps_the_input_and_fails(states, output_bucket):
    """proves A1: the error record holds the original event, the error and its cause; then a Fail state."""
    record = states["Write error record"]
    assert record["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    arguments = record["Arguments"]
    assert arguments["Bucket"] == output_bucket
    assert arguments["Key"] == "{% 'errors/' & $states.context.Execution.Name & '.json' %}"
    assert arguments["ServerSideEncryption"] == "aws:kms"
    assert "'input': $event" in arguments["Body"] and "'error': $error" in arguments["Body"]
    assert "'cause': $cause" in arguments["Body"]
    assert record["Next"] == "Failed"
    assert record["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "Error record not written"}]
    assert states["Failed"] == {"Type": "Fail", "Error": "{% $error %}", "Cause": "{% $cause %}"}
    assert states["Error record not written"]["Type"] == "Fail"


def test_a1_every_state_is_reachable_and_no_state_dangles(sandbox):
    """proves A1: the states in the definition are exactly those reachable from StartAt; every Next exists."""
    body = definition(sandbox, MACHINE)
    states = body["States"]
    seen, todo = set(), [body["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        targets = [state.get("Next"), state.get("Default")]
        targets += [c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])]
        todo += [t for t in targets if t]
    assert seen == set(states)
    terminal = {n for n, s in states.items() if s["Type"] in ("Succeed", "Fail")}
    assert terminal == {"Done", "Failed", "Error record not written"}
