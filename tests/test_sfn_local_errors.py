"""The local Step Functions interpreter (tests/sfn_local.py), error handling on hand-written JSONata definitions:
Retry, Catch, States.QueryEvaluationError and timeouts; each test states the behaviour it checks and where the
States Language specification (https://states-language.net/spec.html) or the Step Functions developer guide
(https://docs.aws.amazon.com/step-functions/latest/dg/) says so."""

from __future__ import annotations

import json

from sfn_cases import DETECT, GET_JOB, PUT_OBJECT, job, machine, polling, retrying
from sfn_local import (
    FAILED,
    SUCCEEDED,
    TIMED_OUT,
    TaskError,
    Took,
    run,
)


def test_retry_backoff_intervals_capped_by_max_delay():
    # Spec, Retry: the first retry waits IntervalSeconds, each next one BackoffRate times the previous,
    # at most MaxAttempts retries; developer guide: MaxDelaySeconds caps the interval.
    throttled = TaskError("Comprehend.ThrottlingException", "slow down")
    definition = retrying(IntervalSeconds=2, BackoffRate=2, MaxAttempts=5, MaxDelaySeconds=10)
    execution = run(definition, {}, {DETECT: [throttled] * 5 + [{"Sentiment": "NEUTRAL"}]})
    assert execution.status == SUCCEEDED and execution.output == {"Sentiment": "NEUTRAL"}
    assert [c.at for c in execution.calls] == [0, 2, 6, 14, 24, 34]  # delays 2, 4, 8, 10 (cap), 10
    assert [c.arguments["attempt"] for c in execution.calls] == [0, 1, 2, 3, 4, 5]  # $states.context RetryCount
    assert execution.states == ["Call"]


def test_retry_exhausted_fails_with_the_task_error():
    # Spec, Retry: when MaxAttempts retries are used up the state fails (no Catch here: so does the execution).
    # The States.ALL retrier does not take over: the first Retrier that matches the error is the one used.
    throttled = TaskError("Comprehend.ThrottlingException", "slow down")
    execution = run(retrying(IntervalSeconds=1, MaxAttempts=2), {}, {DETECT: throttled})
    assert (execution.status, execution.error, execution.cause) == (
        FAILED,
        "Comprehend.ThrottlingException",
        "slow down",
    )
    assert [c.at for c in execution.calls] == [0, 1, 3]  # defaults: BackoffRate 2.0


def test_retry_defaults_and_max_attempts_zero():
    # Spec, Retry: IntervalSeconds defaults to 1, MaxAttempts to 3, BackoffRate to 2.0; MaxAttempts 0 never retries.
    throttled = TaskError("Comprehend.ThrottlingException")
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
    throttled = TaskError("Comprehend.ThrottlingException")
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
                "Retry": [{"ErrorEquals": ["Comprehend.ThrottlingException"], "MaxAttempts": 2}],
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
