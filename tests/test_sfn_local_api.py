"""The local Step Functions interpreter (tests/sfn_local.py), its surface: the functions Step Functions adds to
JSONata, definition errors, speed and definitions from synthesized templates; each test states the behaviour it
checks and where the States Language specification (https://states-language.net/spec.html) or the Step Functions
developer guide (https://docs.aws.amazon.com/step-functions/latest/dg/) says so."""

from __future__ import annotations

import time

import pytest
from sfn_cases import DETECT, GET_JOB, job, machine, polling, retrying
from sfn_local import (
    SUCCEEDED,
    DefinitionError,
    TaskError,
    definition_from_template,
    engine,
    run,
    service_action,
)


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
