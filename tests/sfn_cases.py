"""Shared definitions and fakes for the tests of the local Step Functions interpreter (tests/sfn_local.py):
test_sfn_local_flow.py, test_sfn_local_errors.py and test_sfn_local_api.py."""

from __future__ import annotations

START_JOB = "arn:aws:states:::aws-sdk:transcribe:startTranscriptionJob"
GET_JOB = "arn:aws:states:::aws-sdk:transcribe:getTranscriptionJob"
DETECT = "arn:aws:states:::aws-sdk:comprehend:detectSentiment"
PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject"


def machine(states: dict, start: str, **top: object) -> dict:
    return {"QueryLanguage": "JSONata", "StartAt": start, "States": states, **top}


def polling(max_polls: int = 5, *, timeout: int | None = None) -> dict:
    """Start a job, then Wait -> Get -> Choice until it completes, fails, or max_polls is reached."""
    return machine(
        {
            "Start": {
                "Type": "Task",
                "Resource": START_JOB,
                "Arguments": {
                    "TranscriptionJobName": "{% $states.context.Execution.Name %}",
                    "Media": {"MediaFileUri": "{% 's3://' & $states.input.bucket & '/' & $states.input.key %}"},
                },
                "Assign": {"job": "{% $states.result.TranscriptionJob.TranscriptionJobName %}", "polls": 0},
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 10, "Next": "Get"},
            "Get": {
                "Type": "Task",
                "Resource": GET_JOB,
                "Arguments": {"TranscriptionJobName": "{% $job %}"},
                "Assign": {"polls": "{% $polls + 1 %}", "status": "{% $states.result.TranscriptionJob.Status %}"},
                "Next": "Done?",
            },
            "Done?": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $status = 'COMPLETED' %}", "Next": "Succeeded"},
                    {"Condition": "{% $status = 'FAILED' %}", "Next": "JobFailed"},
                    {"Condition": f"{{% $polls >= {max_polls} %}}", "Next": "TooManyPolls"},
                ],
                "Default": "Wait",
            },
            "Succeeded": {"Type": "Succeed", "Output": {"job": "{% $job %}", "polls": "{% $polls %}"}},
            "JobFailed": {"Type": "Fail", "Error": "Transcribe.JobFailed", "Cause": "{% 'job ' & $job & ' failed' %}"},
            "TooManyPolls": {
                "Type": "Fail",
                "Error": "Chain.PollLimit",
                "Cause": "{% 'job ' & $job & ' still ' & $status & ' after ' & $string($polls) & ' polls' %}",
            },
        },
        "Start",
        **({"TimeoutSeconds": timeout} if timeout else {}),
    )


def job(status: str) -> dict:
    return {
        "TranscriptionJob": {
            "TranscriptionJobName": "local-execution",
            "TranscriptionJobStatus": status,
            "Status": status,
        }
    }


def retrying(**retrier: object) -> dict:
    return machine(
        {
            "Call": {
                "Type": "Task",
                "Resource": DETECT,
                "Arguments": {"Text": "x", "attempt": "{% $states.context.State.RetryCount %}"},
                "Retry": [
                    {"ErrorEquals": ["Comprehend.ThrottlingException"], **retrier},
                    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 100},
                ],
                "End": True,
            }
        },
        "Call",
    )
