"""The local Step Functions interpreter (tests/sfn_local.py) on hand-written JSONata definitions: each test
states the behaviour it checks and where the States Language specification (https://states-language.net/spec.html)
or the Step Functions developer guide (https://docs.aws.amazon.com/step-functions/latest/dg/) says so."""

from __future__ import annotations

import json
import time

import pytest
from sfn_local import (
    FAILED,
    SUCCEEDED,
    TIMED_OUT,
    DefinitionError,
    StepLimitExceeded,
    TaskError,
    Took,
    definition_from_template,
    engine,
    run,
    service_action,
)

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


def test_success_path_arguments_output_assign():
    # transforming-data.html: Arguments are the task's input; Output (default $states.result) is the state's
    # output; Assign stores workflow variables, which later states read as $name. workflow-variables.html:
    # "Variables are assigned after the state's Output" - the same state's Output still sees the old value.
    definition = machine(
        {
            "Detect": {
                "Type": "Task",
                "Resource": DETECT,
                "Arguments": {"Text": "{% $states.input.text %}", "LanguageCode": "en"},
                "Assign": {"sentiment": "{% $states.result.Sentiment %}", "seen": "{% $seen + 1 %}"},
                "Output": {"before": "{% $seen %}", "input": "{% $states.input %}"},
                "Next": "Report",
            },
            "Report": {
                "Type": "Pass",
                "Output": {
                    "sentiment": "{% $sentiment %}",
                    "seen": "{% $seen %}",
                    "before": "{% $states.input.before %}",
                    "state": "{% $states.context.State.Name %}",
                    "at": "{% $states.context.State.EnteredTime %}",
                    "literal": "not {% an expression %} here",
                },
                "End": True,
            },
        },
        "Seed",
    )
    definition["States"]["Seed"] = {"Type": "Pass", "Assign": {"seen": 1}, "Next": "Detect"}
    execution = run(definition, {"text": "great"}, {"comprehend:detectSentiment": {"Sentiment": "POSITIVE"}})
    assert execution.status == SUCCEEDED, execution
    assert execution.states == ["Seed", "Detect", "Report"]
    assert execution.calls_to("comprehend:detectSentiment")[0].arguments == {"Text": "great", "LanguageCode": "en"}
    assert execution.output == {
        "sentiment": "POSITIVE",
        "seen": 2,
        "before": 1,
        "state": "Report",
        "at": "2026-01-01T00:00:00.000Z",
        "literal": "not {% an expression %} here",
    }
    assert execution.variables == {"seen": 2, "sentiment": "POSITIVE"}


def test_polling_loop_ends_by_status():
    # Spec, Wait State: "Seconds" delays the state's transition; Choice State: first matching rule's Next.
    fakes = {
        "transcribe:startTranscriptionJob": job("QUEUED"),
        "transcribe:getTranscriptionJob": [job("IN_PROGRESS"), job("IN_PROGRESS"), job("COMPLETED")],
    }
    execution = run(polling(), {"bucket": "in", "key": "call.wav"}, fakes)
    assert execution.status == SUCCEEDED, execution
    assert execution.output == {"job": "local-execution", "polls": 3}
    assert execution.elapsed == 30  # three Waits of 10 s on the virtual clock, no real sleeping
    assert [c.at for c in execution.calls_to("transcribe:getTranscriptionJob")] == [10, 20, 30]
    assert execution.calls[0].arguments == {
        "TranscriptionJobName": "local-execution",
        "Media": {"MediaFileUri": "s3://in/call.wav"},
    }
    assert execution.states == ["Start"] + ["Wait", "Get", "Done?"] * 3 + ["Succeeded"]


def test_polling_loop_bounded_by_max_polls():
    fakes = {"transcribe:startTranscriptionJob": job("QUEUED"), "transcribe:getTranscriptionJob": job("IN_PROGRESS")}
    execution = run(polling(max_polls=4), {"bucket": "in", "key": "call.wav"}, fakes)
    assert (execution.status, execution.error) == (FAILED, "Chain.PollLimit")
    assert execution.cause == "job local-execution still IN_PROGRESS after 4 polls"
    assert len(execution.calls_to(GET_JOB)) == 4 and execution.elapsed == 40


def test_polling_job_failure_goes_to_fail_state():
    fakes = {
        "transcribe:startTranscriptionJob": job("QUEUED"),
        "transcribe:getTranscriptionJob": [job("IN_PROGRESS"), job("FAILED")],
    }
    execution = run(polling(), {"bucket": "in", "key": "call.wav"}, fakes)
    assert (execution.status, execution.error, execution.cause) == (
        FAILED,
        "Transcribe.JobFailed",
        "job local-execution failed",
    )


def test_unbounded_loop_hits_the_step_limit():
    definition = machine({"Loop": {"Type": "Wait", "Seconds": 1, "Next": "Loop"}}, "Loop")
    with pytest.raises(StepLimitExceeded):
        run(definition, {}, max_steps=50)


def retrying(**retrier: object) -> dict:
    return machine(
        {
            "Call": {
                "Type": "Task",
                "Resource": DETECT,
                "Arguments": {"Text": "x", "attempt": "{% $states.context.State.RetryCount %}"},
                "Retry": [
                    {"ErrorEquals": ["Comprehend.TooManyRequestsException"], **retrier},
                    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 100},
                ],
                "End": True,
            }
        },
        "Call",
    )


def test_retry_backoff_intervals_capped_by_max_delay():
    # Spec, Retry: the first retry waits IntervalSeconds, each next one BackoffRate times the previous,
    # at most MaxAttempts retries; developer guide: MaxDelaySeconds caps the interval.
    throttled = TaskError("Comprehend.TooManyRequestsException", "slow down")
    definition = retrying(IntervalSeconds=2, BackoffRate=2, MaxAttempts=5, MaxDelaySeconds=10)
    execution = run(definition, {}, {DETECT: [throttled] * 5 + [{"Sentiment": "NEUTRAL"}]})
    assert execution.status == SUCCEEDED and execution.output == {"Sentiment": "NEUTRAL"}
    assert [c.at for c in execution.calls] == [0, 2, 6, 14, 24, 34]  # delays 2, 4, 8, 10 (cap), 10
    assert [c.arguments["attempt"] for c in execution.calls] == [0, 1, 2, 3, 4, 5]  # $states.context RetryCount
    assert execution.states == ["Call"]


def test_retry_exhausted_fails_with_the_task_error():
    # Spec, Retry: when MaxAttempts retries are used up the state fails (no Catch here: so does the execution).
    # The States.ALL retrier does not take over: the first Retrier that matches the error is the one used.
    throttled = TaskError("Comprehend.TooManyRequestsException", "slow down")
    execution = run(retrying(IntervalSeconds=1, MaxAttempts=2), {}, {DETECT: throttled})
    assert (execution.status, execution.error, execution.cause) == (
        FAILED,
        "Comprehend.TooManyRequestsException",
        "slow down",
    )
    assert [c.at for c in execution.calls] == [0, 1, 3]  # defaults: BackoffRate 2.0


def test_retry_defaults_and_max_attempts_zero():
    # Spec, Retry: IntervalSeconds defaults to 1, MaxAttempts to 3, BackoffRate to 2.0; MaxAttempts 0 never retries.
    throttled = TaskError("Comprehend.TooManyRequestsException")
    execution = run(retrying(), {}, {DETECT: throttled})
    assert [c.at for c in execution.calls] == [0, 1, 3, 7]
    # Spec, Retry: the first Retrier whose ErrorEquals holds the error is the one used; when it allows no
    # (more) retries, "normal error handling resumes" - the later States.ALL Retrier is not consulted.
    execution = run(retrying(MaxAttempts=0), {}, {DETECT: [throttled, {"ok": 1}]})
    assert execution.status == FAILED and [c.at for c in execution.calls] == [0]
    other = TaskError("Comprehend.InternalServerException")
    execution = run(retrying(MaxAttempts=0), {}, {DETECT: [other, {"ok": 1}]})
    assert execution.output == {"ok": 1} and [c.at for c in execution.calls] == [0, 100]


def test_full_jitter_is_seeded_and_within_the_interval():
    throttled = TaskError("Comprehend.TooManyRequestsException")
    definition = retrying(IntervalSeconds=4, MaxAttempts=3, JitterStrategy="FULL")
    first = run(definition, {}, {DETECT: [throttled] * 3 + [{}]}, seed=3)
    again = run(definition, {}, {DETECT: [throttled] * 3 + [{}]}, seed=3)
    times = [c.at for c in first.calls]
    assert times == [c.at for c in again.calls]
    delays = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(0 <= d <= limit for d, limit in zip(delays, [4, 8, 16], strict=True)) and delays != [4, 8, 16]


def failure_record_machine() -> dict:
    return machine(
        {
            "Detect": {
                "Type": "Task",
                "Resource": DETECT,
                "Arguments": {"Text": "{% $states.input.text %}", "LanguageCode": "{% $states.input.language %}"},
                "Retry": [{"ErrorEquals": ["Comprehend.TooManyRequestsException"], "MaxAttempts": 2}],
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "WriteError",
                        "Assign": {"failedState": "Detect"},
                        "Output": {"input": "{% $states.input %}", "error": "{% $states.errorOutput %}"},
                    }
                ],
                "End": True,
            },
            "WriteError": {
                "Type": "Task",
                "Resource": PUT_OBJECT,
                "Arguments": {
                    "Bucket": "errors",
                    "Key": "{% 'errors/' & $states.context.Execution.Name & '.json' %}",
                    "Body": "{% $string({'state': $failedState, 'error': $states.input.error, "
                    "'input': $states.input.input}) %}",
                },
                "Next": "Failed",
            },
            "Failed": {
                "Type": "Fail",
                "Error": "{% $states.input.Error ? $states.input.Error : 'Chain.Failed' %}",
                "Cause": "{% 'error record written for ' & $failedState %}",
            },
        },
        "Detect",
    )


def test_catch_routes_the_error_output_to_the_error_record():
    # Spec, Catch: the error output has "Error" and "Cause"; transforming-data.html: a Catcher's Output and
    # Assign see it as $states.errorOutput (and $states.input is the failed state's input).
    malformed = {"text": "", "language": "xx"}
    fakes = {
        DETECT: TaskError("Comprehend.ValidationException", "Text must not be empty"),
        PUT_OBJECT: {"ETag": "e"},
    }
    execution = run(failure_record_machine(), malformed, fakes)
    assert execution.states == ["Detect", "WriteError", "Failed"]
    assert len(execution.calls_to("comprehend:detectSentiment")) == 1  # the Retrier does not match it
    put = execution.calls_to("s3:putObject")[0].arguments
    assert put["Key"] == "errors/local-execution.json"
    assert json.loads(put["Body"]) == {
        "state": "Detect",
        "error": {"Error": "Comprehend.ValidationException", "Cause": "Text must not be empty"},
        "input": malformed,
    }
    # Fail with expressions: Error and Cause evaluated (transforming-data.html, Fail state).
    assert (execution.status, execution.error, execution.cause) == (
        FAILED,
        "Chain.Failed",
        "error record written for Detect",
    )


def test_query_evaluation_error_is_caught():
    # transforming-data.html: a JSONata expression that fails raises States.QueryEvaluationError, which a
    # Catcher can handle; a field that yields nothing (undefined) is such a failure.
    execution = run(failure_record_machine(), {"text": "hi"}, {PUT_OBJECT: {}})
    assert execution.states == ["Detect", "WriteError", "Failed"]
    assert not execution.calls_to(DETECT)
    error = json.loads(execution.calls_to(PUT_OBJECT)[0].arguments["Body"])["error"]
    # The wording Step Functions uses for this failure (seen in the cause of real executions).
    assert error == {
        "Error": "States.QueryEvaluationError",
        "Cause": "An error occurred while executing the state 'Detect'. The JSONata expression "
        "'$states.input.language' specified for the field 'Arguments/LanguageCode' returned nothing (undefined).",
    }


def test_task_timeout_is_states_timeout_and_task_failed_does_not_match_it():
    # Spec, Task State: TimeoutSeconds exceeded -> States.Timeout; Appendix A: States.TaskFailed "matches any
    # known Error Name except for States.Timeout".
    definition = machine(
        {
            "Slow": {
                "Type": "Task",
                "Resource": DETECT,
                "TimeoutSeconds": 30,
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 5}],
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}],
                "End": True,
            },
            "TimedOut": {"Type": "Pass", "End": True},
        },
        "Slow",
    )
    execution = run(definition, {}, {DETECT: Took(45, {"Sentiment": "MIXED"})})
    assert execution.status == SUCCEEDED and execution.states == ["Slow", "TimedOut"]
    assert execution.output["Error"] == "States.Timeout" and execution.elapsed == 30
    assert len(execution.calls) == 1  # not retried by the States.TaskFailed Retrier
    fast = run(definition, {}, {DETECT: Took(29, {"Sentiment": "MIXED"})})
    assert fast.output == {"Sentiment": "MIXED"} and fast.elapsed == 29


def test_state_machine_timeout_is_timed_out():
    # Spec, top-level fields: TimeoutSeconds - "If the execution runs longer than the specified time, then the
    # execution fails with a States.Timeout Error Name"; no Catch sees it (concepts-error-handling.html:
    # catchers are "not for top-level state machine execution failures").
    fakes = {"transcribe:startTranscriptionJob": job("QUEUED"), "transcribe:getTranscriptionJob": job("IN_PROGRESS")}
    execution = run(polling(max_polls=100, timeout=35), {"bucket": "in", "key": "k"}, fakes)
    assert (execution.status, execution.error) == (TIMED_OUT, "States.Timeout")
    assert execution.elapsed == 35 and len(execution.calls_to(GET_JOB)) == 3


def choosing(default: bool) -> dict:
    return machine(
        {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.format = 'wav' %}", "Next": "Wav", "Output": {"kind": "audio"}},
                    {"Condition": "{% $states.input.size > 100 %}", "Next": "TooBig"},
                ],
                **({"Default": "Other"} if default else {}),
            },
            "Wav": {"Type": "Succeed"},
            "TooBig": {"Type": "Fail", "Error": "Chain.TooLarge"},
            "Other": {"Type": "Pass", "Output": {"unsupported": "{% $states.input.format %}"}, "End": True},
        },
        "Route",
    )


def test_choice_rules_default_and_no_choice_matched():
    # Spec, Choice State: rules are tried in order; "Default" is taken when none matches; without it "the
    # interpreter raises a run-time States.NoChoiceMatched error".
    assert run(choosing(True), {"format": "wav", "size": 500}).output == {"kind": "audio"}
    assert run(choosing(True), {"format": "ogg", "size": 500}).error == "Chain.TooLarge"
    assert run(choosing(True), {"format": "ogg", "size": 5}).output == {"unsupported": "ogg"}
    execution = run(choosing(False), {"format": "ogg", "size": 5})
    assert (execution.status, execution.error) == (FAILED, "States.NoChoiceMatched")


def test_choice_condition_must_be_boolean():
    # A Condition must yield true or false. JSONata 2.0.6 compares a missing field to anything as undefined
    # (not false), so a Condition on a field the input lacks is States.QueryEvaluationError: a malformed input
    # ends in the error path unless the Condition guards with $exists().
    execution = run(choosing(True), {"format": "ogg"})
    assert (execution.status, execution.error) == (FAILED, "States.QueryEvaluationError")
    assert "'Choices[1]/Condition' returned nothing" in execution.cause
    guarded = choosing(True)
    guarded["States"]["Route"]["Choices"][1]["Condition"] = (
        "{% $exists($states.input.size) and $states.input.size > 100 %}"
    )
    assert run(guarded, {"format": "ogg"}).output == {"unsupported": "ogg"}
    bad = choosing(True)
    bad["States"]["Route"]["Choices"][0]["Condition"] = "{% $states.input.format %}"
    assert "not a boolean" in run(bad, {"format": "ogg"}).cause


def test_wait_timestamp_and_context():
    definition = machine(
        {
            "Until": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "Next": "Now"},
            "Now": {
                "Type": "Pass",
                "Output": {
                    "now": "{% $now() %}",
                    "start": "{% $states.context.Execution.StartTime %}",
                    "name": "{% $states.context.Execution.Name %}",
                },
                "End": True,
            },
        },
        "Until",
    )
    execution = run(definition, {"at": "2026-01-01T01:00:00Z"}, context={"Execution": {"Name": "run-7"}})
    assert execution.elapsed == 3600
    assert execution.output == {"now": "2026-01-01T01:00:00.000Z", "start": "2026-01-01T00:00:00.000Z", "name": "run-7"}


def test_parallel_and_map():
    # Spec, Parallel State: output is an array of the branches' outputs, in order; Map State: an array of
    # the iterations' outputs. Branches run concurrently: the state takes as long as the slowest.
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Labels",
                        "States": {"Labels": {"Type": "Task", "Resource": "rekognition:detectLabels", "End": True}},
                    },
                    {
                        "StartAt": "Text",
                        "States": {"Text": {"Type": "Task", "Resource": "rekognition:detectText", "End": True}},
                    },
                ],
                "Output": "{% $merge($states.result) %}",
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.Labels %}",
                "ItemSelector": {
                    "name": "{% $states.context.Map.Item.Value %}",
                    "i": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": {
                    "StartAt": "Up",
                    "States": {
                        "Up": {
                            "Type": "Pass",
                            "Output": "{% $uppercase($states.input.name) & $string($states.input.i) %}",
                            "End": True,
                        }
                    },
                },
                "End": True,
            },
        },
        "Both",
    )
    fakes = {
        "rekognition:detectLabels": Took(3, {"Labels": ["cat", "dog"]}),
        "rekognition:detectText": Took(5, {"Text": []}),
    }
    execution = run(definition, {}, fakes)
    assert execution.status == SUCCEEDED, execution
    assert execution.output == ["CAT0", "DOG1"] and execution.elapsed == 5


def test_parallel_branch_failure_is_caught_and_scopes_stay_apart():
    # Spec, Parallel State: a failing branch fails the whole state, which its Catch may handle by the branch's
    # error name. workflow-variables.html: inner states read outer variables; what they assign stays inside.
    # A caught state's own Assign is not applied; the Catcher's is.
    definition = machine(
        {
            "Init": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "Both"},
            "Both": {
                "Type": "Parallel",
                "Arguments": {"seen": "{% $outer %}"},
                "Branches": [
                    {
                        "StartAt": "Set",
                        "States": {
                            "Set": {
                                "Type": "Pass",
                                "Assign": {"inner": 1},
                                "Output": "{% $states.input %}",
                                "End": True,
                            }
                        },
                    },
                    {
                        "StartAt": "Boom",
                        "States": {
                            "Boom": {"Type": "Fail", "Error": "Chain.Broken", "Cause": "{% $states.input.seen %}"}
                        },
                    },
                ],
                "Assign": {"notSet": True},
                "Catch": [
                    {
                        "ErrorEquals": ["Chain.Broken"],
                        "Assign": {"caught": "{% $states.errorOutput.Cause %}"},
                        "Next": "After",
                    }
                ],
                "End": True,
            },
            "After": {"Type": "Pass", "Output": "{% $states.input %}", "End": True},
        },
        "Init",
    )
    execution = run(definition)
    assert execution.status == SUCCEEDED, execution
    assert execution.output == {"Error": "Chain.Broken", "Cause": "o"}
    assert execution.variables == {"outer": "o", "caught": "o"}
    assert execution.states == ["Init", "Both", "Set", "Boom", "After"]


def test_aws_functions_and_eval_refused():
    definition = machine(
        {
            "F": {
                "Type": "Pass",
                "Output": {
                    "p": "{% $partition([1,2,3,4,5], 2) %}",
                    "r": "{% $range(0, 10, 5) %}",
                    "h": "{% $hash('abc', 'SHA-256') %}",
                    "j": "{% $parse('{\"a\": [1]}') %}",
                    "u": "{% $length($uuid()) %}",
                },
                "End": True,
            }
        },
        "F",
    )
    out = run(definition).output
    assert out["p"] == [[1, 2], [3, 4], [5]] and out["r"] == [0, 5, 10] and out["j"] == {"a": [1]}
    assert out["h"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" and out["u"] == 36
    refused = machine({"F": {"Type": "Pass", "Output": "{% $eval('1') %}", "End": True}}, "F")
    assert run(refused).error == "States.QueryEvaluationError"


def test_definition_errors():
    with pytest.raises(DefinitionError):
        run({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})  # JSONPath by default
    bad = retrying()
    bad["States"]["Call"]["Retry"].reverse()  # States.ALL must be the last Retrier
    with pytest.raises(DefinitionError):
        run(bad, {}, {DETECT: TaskError("X")})
    assert service_action(GET_JOB) == "transcribe:getTranscriptionJob"
    assert service_action("arn:aws-cn:states:::s3:putObject") == "s3:putObject"


def test_runs_are_fast():
    fakes = {
        "transcribe:startTranscriptionJob": job("QUEUED"),
        "transcribe:getTranscriptionJob": [job("IN_PROGRESS")] * 3 + [job("COMPLETED")],
    }
    engine()
    began = time.perf_counter()
    for _ in range(10):
        assert run(polling(), {"bucket": "in", "key": "k"}, fakes).status == SUCCEEDED
    per_run = (time.perf_counter() - began) / 10
    assert per_run < 0.5, f"{per_run * 1000:.0f} ms per run"


def test_definition_from_a_synthesized_template():
    # What CDK writes when the definition names a resource: a Fn::Join of strings and intrinsic functions.
    rendered = {
        "Fn::Join": [
            "",
            [
                '{"QueryLanguage":"JSONata","StartAt":"Put","States":{"Put":{"Type":"Task","Resource":"arn:',
                {"Ref": "AWS::Partition"},
                ':states:::aws-sdk:s3:putObject","Arguments":{"Bucket":"',
                {"Ref": "OutputBucketABC123"},
                '","Key":"{% $states.input.key %}","SSEKMSKeyId":"',
                {"Fn::GetAtt": ["KeyDEF456", "Arn"]},
                '"},"End":true}}}',
            ],
        ]
    }
    definition = definition_from_template(rendered)
    execution = run(definition, {"key": "r.json"}, {"s3:putObject": {"ETag": "e"}})
    assert execution.calls[0].resource == "arn:aws:states:::aws-sdk:s3:putObject"
    assert execution.calls[0].arguments == {
        "Bucket": "OutputBucketABC123",
        "Key": "r.json",
        "SSEKMSKeyId": "KeyDEF456.Arn",
    }
    resolved = definition_from_template(rendered, lambda part: "in" if part == {"Ref": "OutputBucketABC123"} else None)
    assert resolved["States"]["Put"]["Arguments"]["Bucket"] == "in"
