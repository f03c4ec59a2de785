"""A1 caller sentiment: the state machine's definition (JSONata states), built inside `CallerSentiment`.

`build_definition` creates the states with the construct itself as their scope, so their construct paths
(and the synthesized definition) are those of the states written inline in the construct.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

# Prefixes of the output bucket: Transcribe's transcripts, the chain's results and its error records.
TRANSCRIPTS, RESULTS, ERRORS = "transcripts/", "results/", "errors/"

# Throttling and transient service errors each Task retries (Step Functions names SDK errors
# <Service>.<Exception>); bounded attempts with exponential backoff, full jitter and a delay cap.
_RETRY = {
    "transcribe": ("Transcribe.LimitExceededException", "Transcribe.InternalFailureException"),
    # DetectSentiment / DetectKeyPhrases model no throttling error: throttling arrives as AWS's common
    # ThrottlingException ("Common Errors", Comprehend API Reference), which Step Functions names Comprehend.*.
    "comprehend": ("Comprehend.ThrottlingException", "Comprehend.InternalServerException"),
    "s3": ("S3.SdkClientException", "S3.S3Exception"),
}
RETRY_INTERVAL = cdk.Duration.seconds(2)
RETRY_MAX_ATTEMPTS = 5
RETRY_BACKOFF_RATE = 2.0
RETRY_MAX_DELAY = cdk.Duration.seconds(60)

# S3 object keys the chain accepts: the characters Transcribe's OutputKey allows (botocore `transcribe`),
# so names derived from the key stay valid and no URL encoding is involved.
KEY_PATTERN = r"^[a-zA-Z0-9!_.*'()/-]{1,900}$"


def build_definition(
    scope: Construct,
    *,
    output_bucket: s3.IBucket,
    key_arn: str,
    job_prefix: str,
    language_code: str,
    comprehend_language: str,
    media_formats: Sequence[str],
    max_media_bytes: int,
    poll_seconds: int,
    max_polls: int,
    sentiment_characters: int,
    key_phrase_characters: int,
) -> sfn.IChainable:
    """Create the chain's states in `scope` (the `CallerSentiment` construct) and return the start state.

    `output_bucket` receives transcripts, results and error records; `key_arn` is the data key that encrypts
    them; Transcribe jobs are named `job_prefix` plus the execution name.
    """
    stack = cdk.Stack.of(scope)
    output = output_bucket.bucket_name

    def retry(task: sfn.TaskStateBase, service: str) -> None:
        task.add_retry(
            errors=list(_RETRY[service]),
            interval=RETRY_INTERVAL,
            max_attempts=RETRY_MAX_ATTEMPTS,
            backoff_rate=RETRY_BACKOFF_RATE,
            max_delay=RETRY_MAX_DELAY,
            jitter_strategy=sfn.JitterType.FULL,
        )

    def call(state: str, service: str, action: str, parameters: dict, resources: list[str], **kwargs):
        task = tasks.CallAwsService.jsonata(
            scope,
            state,
            state_name=state,
            service=service,
            action=action[0].lower() + action[1:],
            iam_action=f"{service}:{action}",
            iam_resources=resources,
            parameters=parameters,
            **kwargs,
        )
        retry(task, service)
        return task

    # --- Failure branch: an error record under errors/, then Fail ------------------------------------
    failed = sfn.Fail.jsonata(scope, "Failed", state_name="Failed", error="{% $error %}", cause="{% $cause %}")
    record_not_written = sfn.Fail.jsonata(
        scope,
        "ErrorRecordNotWritten",
        state_name="Error record not written",
        error="A1.ErrorRecordNotWritten",
        cause="{% 'the error record could not be written: ' & $string($states.errorOutput) %}",
    )
    write_error = call(
        "Write error record",
        "s3",
        "PutObject",
        {
            "Bucket": output,
            "Key": "{% '" + ERRORS + "' & $states.context.Execution.Name & '.json' %}",
            "ContentType": "application/json",
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": key_arn,
            "Body": (
                "{% $string({'execution': $states.context.Execution.Id, 'input': $event, "
                "'error': $error, 'cause': $cause}) %}"
            ),
        },
        [output_bucket.arn_for_objects(f"{ERRORS}*")],
    )
    write_error.add_catch(record_not_written, errors=["States.ALL"])
    write_error.next(failed)

    def catch(task: sfn.TaskStateBase) -> None:
        task.add_catch(
            write_error,
            errors=["States.ALL"],
            assign={"error": "{% $states.errorOutput.Error %}", "cause": "{% $states.errorOutput.Cause %}"},
        )

    def reject(state: str, error: str, cause: str) -> sfn.Pass:
        return sfn.Pass.jsonata(scope, state, state_name=state, assign={"error": error, "cause": cause}).next(
            write_error
        )

    # --- Input ----------------------------------------------------------------------------------------
    read_event = sfn.Pass.jsonata(
        scope,
        "ReadEvent",
        state_name="Read event",
        comment="Keep the event for error records; name the job after the execution (one job per upload).",
        assign={
            "event": "{% $states.input %}",
            "bucket": "{% $states.input.detail.bucket.name %}",
            "key": "{% $states.input.detail.object.key %}",
            "size": "{% $exists($states.input.detail.object.size) ? $states.input.detail.object.size : 0 %}",
            "extension": "{% $lowercase($split($states.input.detail.object.key, '.')[-1]) %}",
            "jobName": "{% '" + job_prefix + "' & $states.context.Execution.Name %}",
            "polls": 0,
        },
    )
    # A Pass state cannot catch: an event without the fields Read event reads would end the execution
    # with no error record, so the event's shape is checked first (never a silent drop).
    is_object_event = sfn.Choice.jsonata(scope, "IsObjectEvent", state_name="Is an S3 object event?")
    malformed = sfn.Pass.jsonata(
        scope,
        "RejectMalformedEvent",
        state_name="Reject malformed event",
        assign={
            "event": "{% $states.input %}",
            "error": "A1.MalformedEvent",
            "cause": "the input is not an S3 Object Created event with detail.bucket.name, detail.object.key",
        },
    ).next(write_error)
    is_object_event.when(
        sfn.Condition.jsonata(
            "{% $type($states.input.detail.bucket.name) = 'string' and "
            "$type($states.input.detail.object.key) = 'string' %}"
        ),
        read_event,
    ).otherwise(malformed)
    formats = "[" + ", ".join(f"'{f}'" for f in media_formats) + "]"
    validate = sfn.Choice.jsonata(scope, "ValidateInput", state_name="Validate input")
    read_event.next(validate)

    # --- Transcription: start, then a bounded polling loop --------------------------------------------
    # A custom state, not CallAwsService: StartTranscriptionJob authorizes only "*", so the role's statement
    # (below) is narrowed by the transcribe:Output* condition keys, which CallAwsService cannot write.
    start = sfn.CustomState(
        scope,
        "Start transcription job",
        state_json={
            "Type": "Task",
            "Resource": f"arn:{stack.partition}:states:::aws-sdk:transcribe:startTranscriptionJob",
            "Arguments": {
                "TranscriptionJobName": "{% $jobName %}",
                "LanguageCode": language_code,
                "MediaFormat": "{% $extension %}",
                "Media": {"MediaFileUri": "{% 's3://' & $bucket & '/' & $key %}"},
                "OutputBucketName": output,
                "OutputKey": "{% '" + TRANSCRIPTS + "' & $jobName & '.json' %}",
                "OutputEncryptionKMSKeyId": key_arn,
            },
        },
    )
    retry(start, "transcribe")
    wait = sfn.Wait.jsonata(
        scope,
        "WaitForTranscription",
        state_name="Wait for transcription",
        time=sfn.WaitTime.duration(cdk.Duration.seconds(poll_seconds)),
        assign={"polls": "{% $polls + 1 %}"},
    )
    get_job = call(
        "Get transcription job",
        "transcribe",
        "GetTranscriptionJob",
        {"TranscriptionJobName": "{% $jobName %}"},
        [stack.format_arn(service="transcribe", resource="transcription-job", resource_name=f"{job_prefix}*")],
        assign={
            "status": "{% $states.result.TranscriptionJob.TranscriptionJobStatus %}",
            # FailureReason is only present on FAILED jobs; an absent field would fail the state
            # (States.QueryEvaluationError) on every ordinary poll.
            "failureReason": (
                "{% $exists($states.result.TranscriptionJob.FailureReason) "
                "? $states.result.TranscriptionJob.FailureReason : null %}"
            ),
        },
    )
    job_done = sfn.Choice.jsonata(scope, "TranscriptionDone", state_name="Transcription done?")
    transcription_failed = reject(
        "Transcription failed",
        "A1.TranscriptionFailed",
        "{% 'Transcribe job ' & $jobName & ' failed: ' & $string($failureReason) %}",
    )
    timed_out = reject(
        "Transcription timed out",
        "A1.TranscriptionTimedOut",
        "{% 'Transcribe job ' & $jobName & ' was not done after ' & $string($polls) & ' polls of "
        + str(poll_seconds)
        + " s' %}",
    )

    # --- Analysis and result --------------------------------------------------------------------------
    read_transcript = call(
        "Read transcript",
        "s3",
        "GetObject",
        {"Bucket": output, "Key": "{% '" + TRANSCRIPTS + "' & $jobName & '.json' %}"},
        [output_bucket.arn_for_objects(f"{TRANSCRIPTS}*")],
        assign={"text": "{% $join($parse($states.result.Body).results.transcripts.transcript, ' ') %}"},
    )
    has_text = sfn.Choice.jsonata(scope, "TranscriptHasText", state_name="Transcript has text?")
    no_speech = reject(
        "Empty transcript",
        "A1.EmptyTranscript",
        "{% 'Transcribe found no speech in s3://' & $bucket & '/' & $key %}",
    )
    detect_sentiment = call(
        "Detect sentiment",
        "comprehend",
        "DetectSentiment",
        {"Text": f"{{% $substring($text, 0, {sentiment_characters}) %}}", "LanguageCode": comprehend_language},
        ["*"],
        assign={"sentiment": "{% $states.result %}"},
    )
    detect_key_phrases = call(
        "Detect key phrases",
        "comprehend",
        "DetectKeyPhrases",
        {"Text": f"{{% $substring($text, 0, {key_phrase_characters}) %}}", "LanguageCode": comprehend_language},
        ["*"],
        assign={"keyPhrases": "{% $states.result.KeyPhrases %}"},
    )
    write_result = call(
        "Write result",
        "s3",
        "PutObject",
        {
            "Bucket": output,
            "Key": "{% '" + RESULTS + "' & $jobName & '.json' %}",
            "ContentType": "application/json",
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": key_arn,
            "Body": (
                "{% $string({'input': {'bucket': $bucket, 'key': $key, 'size': $size}, "
                "'transcriptionJob': $jobName, "
                "'transcript': 's3://" + output + "/" + TRANSCRIPTS + "' & $jobName & '.json', "
                "'languageCode': '" + comprehend_language + "', "
                "'transcriptCharacters': $length($text), "
                f"'sentimentTruncated': $length($text) > {sentiment_characters}, "
                f"'keyPhrasesTruncated': $length($text) > {key_phrase_characters}, "
                "'sentiment': $sentiment.Sentiment, 'sentimentScore': $sentiment.SentimentScore, "
                "'keyPhrases': $keyPhrases}) %}"
            ),
        },
        [output_bucket.arn_for_objects(f"{RESULTS}*")],
    )
    done = sfn.Succeed.jsonata(scope, "Done", state_name="Done")

    for task in (start, get_job, read_transcript, detect_sentiment, detect_key_phrases, write_result):
        catch(task)

    max_bytes = max_media_bytes
    validate.when(
        sfn.Condition.jsonata("{% $size <= 0 %}"),
        reject("Reject empty input", "A1.EmptyInput", "{% 's3://' & $bucket & '/' & $key & ' is empty' %}"),
    ).when(
        sfn.Condition.jsonata(f"{{% $size > {max_bytes} %}}"),
        reject(
            "Reject input too large",
            "A1.InputTooLarge",
            f"{{% 's3://' & $bucket & '/' & $key & ' has ' & $string($size) & ' bytes; the limit is {max_bytes}' %}}",
        ),
    ).when(
        sfn.Condition.jsonata(f"{{% $not($extension in {formats}) %}}"),
        reject(
            "Reject unsupported format",
            "A1.UnsupportedMediaFormat",
            f"{{% 's3://' & $bucket & '/' & $key & ': the extension ' & $extension & ' is not one of "
            f"{', '.join(media_formats)}' %}}",
        ),
    ).when(
        sfn.Condition.jsonata(f"{{% $not($contains($key, /{KEY_PATTERN}/)) %}}"),
        reject(
            "Reject object key",
            "A1.UnsupportedObjectKey",
            "{% 's3://' & $bucket & '/' & $key & ': the key has characters Transcribe output keys refuse' %}",
        ),
    ).otherwise(start)
    start.next(wait)
    wait.next(get_job)
    get_job.next(job_done)
    job_done.when(sfn.Condition.jsonata("{% $status = 'COMPLETED' %}"), read_transcript).when(
        sfn.Condition.jsonata("{% $status = 'FAILED' %}"), transcription_failed
    ).when(sfn.Condition.jsonata(f"{{% $polls >= {max_polls} %}}"), timed_out).otherwise(wait)
    read_transcript.next(has_text)
    has_text.when(sfn.Condition.jsonata("{% $length($trim($text)) > 0 %}"), detect_sentiment).otherwise(no_speech)
    detect_sentiment.next(detect_key_phrases)
    detect_key_phrases.next(write_result)
    write_result.next(done)

    return is_object_event
