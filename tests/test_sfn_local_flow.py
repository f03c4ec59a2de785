"""The local Step Functions interpreter (tests/sfn_local.py), control flow on hand-written JSONata definitions: data
passing, polling loops, Choice, Wait, Parallel and Map; each test states the behaviour it checks and where the
States Language specification (https://states-language.net/spec.html) or the Step Functions developer guide
(https://docs.aws.amazon.com/step-functions/latest/dg/) says so."""

from __future__ import annotations

import pytest
from sfn_cases import DETECT, GET_JOB, job, machine, polling
from sfn_local import (
    FAILED,
    SUCCEEDED,
    StepLimitExceeded,
    Took,
    run,
)


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
