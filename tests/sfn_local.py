"""A local interpreter for Step Functions state machines written in the Amazon States Language with
QueryLanguage JSONata, for tests: it runs a definition's control flow against fake task results on a
virtual clock.

    execution = run(definition, {"bucket": "in", "key": "a.wav"}, {"transcribe:startTranscriptionJob": {...}})
    assert execution.status == "SUCCEEDED" and execution.elapsed == 30

The JSONata expressions are evaluated by the reference implementation (npm `jsonata` 2.0.6, the version Step
Functions documents) in one long-lived Node process (tests/sfn/jsonata_eval.mjs), with the functions Step
Functions adds ($partition, $range, $hash, $random, $uuid, $parse; $eval refused) and $now/$millis reading
the virtual clock. $random, $uuid and FULL jitter are seeded, so runs repeat exactly.

Sources quoted in the comments: the States Language specification (https://states-language.net/spec.html,
"the spec") and the Step Functions developer guide (https://docs.aws.amazon.com/step-functions/latest/dg/):
"Transforming data with JSONata" (transforming-data.html), "Passing data between states with variables"
(workflow-variables.html) and "Handling errors" (concepts-error-handling.html).

Supported: Task, Pass, Wait, Choice, Succeed, Fail, Parallel and Map (inline, no ItemReader/ResultWriter);
Arguments, Output, Assign, Condition, Items, ItemSelector; Retry (IntervalSeconds, MaxAttempts, BackoffRate,
MaxDelaySeconds, JitterStrategy) and Catch (ErrorEquals, Next, Output, Assign); Task TimeoutSeconds (a fake
result may take virtual time: `Took`) and the state machine's TimeoutSeconds. Not supported: JSONPath states,
HeartbeatSeconds, callbacks (.waitForTaskToken) beyond what the fake returns, Map failure tolerance,
distributed Map, payload size limits, the execution history.

Choices where the documents leave room (each the stricter reading, so a test fails rather than passes wrongly):
expressions are evaluated with no context value (`$` is undefined: use $states.input); a field whose expression
yields nothing (undefined) is States.QueryEvaluationError, and so is a Choice Condition that is not a boolean
(JSONata 2.0.6 compares a missing field as undefined, not false); a Choice rule's own Output/Assign apply when it
matches, else the state's; Parallel branches and Map iterations run one after another but concurrently on the
virtual clock (MaxConcurrency is ignored); $states.context.State.RetryCount counts all retries of the state.

The parts: sfn_jsonata.py (the Node bridge), sfn_errors.py (errors, Retry/Catch matching and retry delays),
sfn_states.py (the state handlers); this module holds the public API and re-exports what tests use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sfn_errors import DefinitionError, Failure, StepLimitExceeded, TaskError, TimedOut, Took
from sfn_jsonata import JsonataEngine, QueryError, engine
from sfn_states import DEFAULT_TASK_TIMEOUT, Runner, TaskCall, Tasks, iso, service_action

__all__ = [
    "DEFAULT_START",
    "DEFAULT_TASK_TIMEOUT",
    "FAILED",
    "PSEUDO_PARAMETERS",
    "SUCCEEDED",
    "TIMED_OUT",
    "DefinitionError",
    "Execution",
    "JsonataEngine",
    "QueryError",
    "StepLimitExceeded",
    "TaskCall",
    "TaskError",
    "Tasks",
    "Took",
    "definition_from_template",
    "engine",
    "run",
    "service_action",
]

SUCCEEDED, FAILED, TIMED_OUT = "SUCCEEDED", "FAILED", "TIMED_OUT"
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Execution:
    """The end of a run: status SUCCEEDED (output), FAILED or TIMED_OUT (error, cause)."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    states: list[str] = field(default_factory=list)  # every state entered, in order (Map/Parallel inner ones too)
    calls: list[TaskCall] = field(default_factory=list)
    elapsed: float = 0.0  # virtual seconds
    variables: dict[str, Any] = field(default_factory=dict)  # the top-level workflow variables at the end

    def calls_to(self, action: str) -> list[TaskCall]:
        """The calls whose resource is `action`, or ends with its short form (e.g. "s3:putObject")."""
        return [c for c in self.calls if c.resource == action or service_action(c.resource) == action]


PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}


def definition_from_template(definition_string: Any, resolve: Callable[[dict], str] | None = None) -> dict:
    """A state machine definition from a synthesized template's DefinitionString: a JSON string, or the
    {"Fn::Join": ["", [...]]} CDK writes when the definition holds tokens. Each non-string part is given by
    `resolve(part)` when that returns a string, else pseudo parameters by PSEUDO_PARAMETERS, {"Ref": X} by "X"
    and {"Fn::GetAtt": [X, A]} by "X.A" (so a test can assert which resource a state names)."""

    def part(value: Any) -> str:
        if isinstance(value, str):
            return value
        if resolve is not None and isinstance(resolved := resolve(value), str):
            return resolved
        if isinstance(value, dict) and "Ref" in value:
            return PSEUDO_PARAMETERS.get(value["Ref"], value["Ref"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return ".".join(target) if isinstance(target, list) else str(target)
        raise DefinitionError(f"cannot render {value!r} of the DefinitionString")

    if isinstance(definition_string, dict) and "Fn::Join" in definition_string:
        separator, parts = definition_string["Fn::Join"]
        definition_string = separator.join(part(p) for p in parts)
    if not isinstance(definition_string, str):
        raise DefinitionError(f"not a DefinitionString: {definition_string!r}")
    return json.loads(definition_string)


def run(
    definition: dict | str,
    input: Any = None,
    tasks: Tasks | None = None,
    *,
    context: dict | None = None,
    start: datetime = DEFAULT_START,
    seed: int = 1,
    max_steps: int = 1000,
) -> Execution:
    """Run `definition` (a dict or its JSON) on `input` to its end.

    `tasks` gives each Task's result: a function (resource, arguments) -> result, or a mapping from the resource
    ARN or its short form (service_action) to a result, a function of the arguments, or a list of results for
    successive calls (the last repeats). A result may be a `Took(seconds, result)`; raise or give a `TaskError`
    to fail the task. `context` overrides fields of $states.context (e.g. {"Execution": {"Name": "x"}}).
    A definition error raises DefinitionError; more than max_steps states entered raises StepLimitExceeded.
    """
    if isinstance(definition, str):
        definition = json.loads(definition)
    if definition.get("QueryLanguage") != "JSONata":
        raise DefinitionError('the definition must set "QueryLanguage": "JSONata" at the top level')
    input = {} if input is None else json.loads(json.dumps(input))
    execution_name = "local-execution"
    base = {
        "Execution": {
            "Id": f"arn:aws:states:us-east-1:123456789012:execution:local:{execution_name}",
            "Input": input,
            "Name": execution_name,
            "RoleArn": "arn:aws:iam::123456789012:role/local",
            "StartTime": iso(start),
            "RedriveCount": 0,
        },
        "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:local", "Name": "local"},
    }
    for key, value in (context or {}).items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    deadline = definition.get("TimeoutSeconds")
    runner = Runner(
        tasks or {},
        start=start,
        context=base,
        seed=seed,
        max_steps=max_steps,
        deadline=float(deadline) if deadline is not None else None,
        evaluator=engine(),
    )
    variables: dict[str, Any] = {}
    execution = Execution(status=SUCCEEDED, states=runner.states, calls=runner.calls, variables=variables)
    try:
        execution.output = runner.run_machine(definition, input, variables)
    except Failure as failure:
        execution.status, execution.error, execution.cause = FAILED, failure.error, failure.cause
    except TimedOut:
        # Spec, top-level fields: "TimeoutSeconds ... If the execution runs longer than the specified time, then
        # the execution fails with a States.Timeout Error Name" (Step Functions reports the status TIMED_OUT).
        execution.status, execution.error = TIMED_OUT, "States.Timeout"
        execution.cause = f"the execution ran longer than {deadline} s"
    execution.elapsed = runner.clock
    return execution
