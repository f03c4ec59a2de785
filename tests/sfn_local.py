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
"""

from __future__ import annotations

import atexit
import json
import random
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "sfn" / "jsonata_eval.mjs"

SUCCEEDED, FAILED, TIMED_OUT = "SUCCEEDED", "FAILED", "TIMED_OUT"
# Developer guide, Task state: "TimeoutSeconds ... If not provided, the default value is 99999999."
DEFAULT_TASK_TIMEOUT = 99999999
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
# Errors no Retry or Catch sees (concepts-error-handling.html: States.ALL "can't catch the
# States.DataLimitExceeded terminal error or Runtime error types").
_TERMINAL = {"States.Runtime", "States.DataLimitExceeded"}


class DefinitionError(ValueError):
    """The definition is not one this interpreter (or Step Functions) accepts."""


class StepLimitExceeded(RuntimeError):
    """The run entered more states than max_steps: a loop the definition does not bound."""


@dataclass
class TaskError(Exception):
    """Raise (or return, or list) this from a fake to make the task fail with a named error."""

    error: str
    cause: str = ""

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}"


@dataclass(frozen=True)
class Took:
    """A fake's result that took `seconds` of virtual time (a TaskError here fails after that time)."""

    seconds: float
    result: Any = None


@dataclass(frozen=True)
class TaskCall:
    """One call of a Task state's resource: at virtual time `at` (seconds from the start)."""

    state: str
    resource: str
    arguments: Any
    at: float
    retry_count: int


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


def service_action(resource: str) -> str:
    """The short name of an integration resource: arn:aws:states:::aws-sdk:transcribe:getTranscriptionJob ->
    "transcribe:getTranscriptionJob"; arn:aws:states:::s3:putObject -> "s3:putObject"; other ARNs unchanged."""
    match = re.search(r":states:::(?:aws-sdk:)?(.+)$", resource)
    return match.group(1) if match else resource


# ---------------------------------------------------------------------------------------------- JSONata


class QueryError(Exception):
    """A JSONata expression failed: States.QueryEvaluationError."""


class JsonataEngine:
    """One Node process running the reference JSONata; evaluate() sends one template and waits for its value."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH (tests/sfn_local.py evaluates JSONata with Node)")
        if not (ROOT / "node_modules" / "jsonata").is_dir():
            raise RuntimeError("node_modules lacks jsonata: run `npm ci`")
        self._process = subprocess.Popen(
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            bufsize=1,
        )
        self._lock = threading.Lock()
        self.requests = 0

    def evaluate(
        self, template: Any, bindings: Mapping[str, Any], *, field: str = "", now_ms: int = 0, seed: int = 1
    ) -> Any:
        """`template` with every whole-string "{% expr %}" replaced by its value under `bindings`; `field` names
        it in error messages (e.g. "Arguments", "Choices[0]/Condition")."""
        request = json.dumps({"template": template, "bindings": bindings, "field": field, "now": now_ms, "seed": seed})
        with self._lock:
            assert self._process.stdin and self._process.stdout
            self._process.stdin.write(request + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
            self.requests += 1
        if not line:
            raise RuntimeError(f"the JSONata process ended (exit {self._process.poll()})")
        response = json.loads(line)
        if not response["ok"]:
            raise QueryError(response["error"])
        return response["value"]

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()


_engine: JsonataEngine | None = None


def engine() -> JsonataEngine:
    """The session's shared JSONata process (started on first use, ended at exit)."""
    global _engine
    if _engine is None or _engine._process.poll() is not None:
        _engine = JsonataEngine()
        atexit.register(_engine.close)
    return _engine


def has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("{%") and value.endswith("%}")
    if isinstance(value, list):
        return any(has_expression(v) for v in value)
    if isinstance(value, dict):
        return any(has_expression(v) for v in value.values())
    return False


# ---------------------------------------------------------------------------------------------- interpreter

Tasks = Callable[[str, Any], Any] | Mapping[str, Any]


class _Failure(Exception):
    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


class _TimedOut(Exception):
    pass


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _matches(names: list[str], error: str) -> bool:
    """Spec, "Error names": States.ALL "matches any known Error Name"; States.TaskFailed "matches any known
    Error Name except for States.Timeout" (Appendix A); terminal errors match nothing."""
    if error in _TERMINAL:
        return False
    if "States.ALL" in names or error in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout"


def _check_handlers(name: str, handlers: list[dict], kind: str) -> None:
    # Spec: "the reserved name States.ALL ... MUST appear alone in its ErrorEquals array and MUST appear in
    # the last Retrier/Catcher".
    for i, handler in enumerate(handlers):
        names = handler.get("ErrorEquals") or []
        if not names:
            raise DefinitionError(f"{name}: a {kind} has no ErrorEquals")
        if "States.ALL" in names and (len(names) > 1 or i != len(handlers) - 1):
            raise DefinitionError(f"{name}: States.ALL must be alone and in the last {kind}")


class _Runner:
    def __init__(
        self,
        tasks: Tasks,
        *,
        start: datetime,
        context: dict,
        seed: int,
        max_steps: int,
        deadline: float | None,
        evaluator: JsonataEngine,
    ) -> None:
        self.tasks = tasks
        self.start = start
        self.context = context
        self.clock = 0.0
        self.deadline = deadline
        self.max_steps = max_steps
        self.steps = 0
        self.random = random.Random(seed)
        self.seed = seed
        self.evaluations = 0
        self.states: list[str] = []
        self.calls: list[TaskCall] = []
        self.fake_cursor: dict[str, int] = {}
        self.evaluator = evaluator

    # -- time
    def advance(self, seconds: float) -> None:
        self.clock += max(0.0, seconds)
        if self.deadline is not None and self.clock >= self.deadline:
            self.clock = self.deadline
            raise _TimedOut

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.clock)

    # -- expressions
    def evaluate(self, template: Any, states: dict, variables: dict, *, state: str, field: str) -> Any:
        if not has_expression(template):
            return json.loads(json.dumps(template))
        self.evaluations += 1
        bindings = {**variables, "states": states}
        try:
            return self.evaluator.evaluate(
                template,
                bindings,
                field=field,
                now_ms=int(self.now().timestamp() * 1000),
                seed=self.seed * 7919 + self.evaluations,
            )
        except QueryError as error:
            # transforming-data.html: a failed JSONata evaluation is the error States.QueryEvaluationError; the
            # cause is worded as Step Functions words it.
            raise _Failure(
                "States.QueryEvaluationError",
                f"An error occurred while executing the state '{state}'. {error}",
            ) from None

    def state_context(self, name: str, entered: datetime, retry_count: int, extra: dict | None = None) -> dict:
        return {
            **self.context,
            "State": {"Name": name, "EnteredTime": _iso(entered), "RetryCount": retry_count},
            **(extra or {}),
        }

    # -- a machine (the top level, a Parallel branch, a Map item processor)
    def run_machine(self, machine: dict, data: Any, variables: dict) -> Any:
        states = machine.get("States") or {}
        name = machine.get("StartAt")
        if name not in states:
            raise DefinitionError(f"StartAt {name!r} is no state")
        while True:
            self.steps += 1
            if self.steps > self.max_steps:
                raise StepLimitExceeded(f"more than {self.max_steps} states entered; last {name!r}")
            state = states[name]
            language = state.get("QueryLanguage", machine.get("QueryLanguage", "JSONata"))
            if language != "JSONata":
                raise DefinitionError(f"{name}: only QueryLanguage JSONata is interpreted (got {language})")
            self.states.append(name)
            data, next_name = self.run_state(name, state, data, variables)
            if next_name is None:
                return data
            if next_name not in states:
                raise DefinitionError(f"{name}: Next {next_name!r} is no state")
            name = next_name

    def finish(self, state: dict, states_var: dict, variables: dict, default: Any, name: str, prefix: str = "") -> Any:
        """Output and Assign of a state that completed: both see the variables as they were on entry
        (workflow-variables.html: assigned values are available from the next state on)."""
        output = (
            self.evaluate(state["Output"], states_var, variables, state=name, field=prefix + "Output")
            if "Output" in state
            else default
        )
        assigned = (
            self.evaluate(state["Assign"], states_var, variables, state=name, field=prefix + "Assign")
            if "Assign" in state
            else {}
        )
        variables.update(assigned)
        return output

    def next_of(self, name: str, state: dict) -> str | None:
        if state.get("End"):
            return None
        if "Next" not in state:
            raise DefinitionError(f"{name}: neither Next nor End")
        return state["Next"]

    def run_state(self, name: str, state: dict, data: Any, variables: dict) -> tuple[Any, str | None]:
        kind = state.get("Type")
        if kind in ("Succeed", "Fail") and "Assign" in state:
            raise DefinitionError(f"{name}: a {kind} state has no Assign (workflow-variables.html)")
        entered = self.now()
        states_var = {"input": data, "context": self.state_context(name, entered, 0)}
        if kind == "Pass":
            return self.finish(state, states_var, variables, data, name), self.next_of(name, state)
        if kind == "Succeed":
            return self.finish(state, states_var, variables, data, name), None
        if kind == "Fail":
            error = self.evaluate(state.get("Error", ""), states_var, variables, state=name, field="Error")
            cause = self.evaluate(state.get("Cause", ""), states_var, variables, state=name, field="Cause")
            raise _Failure(str(error), str(cause))
        if kind == "Wait":
            return self.run_wait(name, state, states_var, variables, data)
        if kind == "Choice":
            return self.run_choice(name, state, states_var, variables, data)
        if kind in ("Task", "Parallel", "Map"):
            return self.run_with_handlers(name, state, data, variables, entered)
        raise DefinitionError(f"{name}: state type {kind!r} is not interpreted")

    def run_wait(self, name: str, state: dict, states_var: dict, variables: dict, data: Any) -> tuple[Any, str]:
        # Spec, Wait State: "Seconds" or "Timestamp" (an ISO-8601 time to wait until; a past one waits 0).
        if "Seconds" in state:
            seconds = self.evaluate(state["Seconds"], states_var, variables, state=name, field="Seconds")
            if not isinstance(seconds, int | float) or seconds < 0:
                raise _Failure("States.QueryEvaluationError", f"{name}: Seconds is not a non-negative number")
            self.advance(float(seconds))
        elif "Timestamp" in state:
            stamp = self.evaluate(state["Timestamp"], states_var, variables, state=name, field="Timestamp")
            try:
                until = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
            except ValueError:
                raise _Failure("States.QueryEvaluationError", f"{name}: Timestamp {stamp!r} is no timestamp") from None
            self.advance((until - self.now()).total_seconds())
        else:
            raise DefinitionError(f"{name}: a Wait needs Seconds or Timestamp")
        return self.finish(state, states_var, variables, data, name), self.next_of(name, state)

    def run_choice(self, name: str, state: dict, states_var: dict, variables: dict, data: Any) -> tuple[Any, str]:
        # Spec, Choice State: rules are tried in order, the first match's Next is taken, else Default, else
        # "the interpreter raises a run-time States.NoChoiceMatched error".
        for i, rule in enumerate(state.get("Choices") or []):
            if "Condition" not in rule:
                raise DefinitionError(f"{name}: Choices[{i}] has no Condition (JSONata rules use Condition)")
            verdict = self.evaluate(
                rule["Condition"], states_var, variables, state=name, field=f"Choices[{i}]/Condition"
            )
            if not isinstance(verdict, bool):
                raise _Failure("States.QueryEvaluationError", f"{name}: Choices[{i}]/Condition is not a boolean")
            if verdict:
                # A rule's own Output/Assign apply when it matches; otherwise the state's.
                fields = {
                    k: rule[k] if k in rule else state[k] for k in ("Output", "Assign") if k in rule or k in state
                }
                return self.finish(fields, states_var, variables, data, name), rule["Next"]
        if "Default" in state:
            return self.finish(state, states_var, variables, data, name), state["Default"]
        raise _Failure("States.NoChoiceMatched", f"no Choice rule of {name} matched and there is no Default")

    def run_with_handlers(
        self, name: str, state: dict, data: Any, variables: dict, entered: datetime
    ) -> tuple[Any, str | None]:
        retriers = state.get("Retry") or []
        catchers = state.get("Catch") or []
        _check_handlers(name, retriers, "Retrier")
        _check_handlers(name, catchers, "Catcher")
        attempts = [0] * len(retriers)  # spec: each Retrier counts its own retries
        retry_count = 0
        while True:
            states_var = {"input": data, "context": self.state_context(name, entered, retry_count)}
            try:
                result = self.attempt(name, state, states_var, variables, retry_count)
                states_var["result"] = result
                return self.finish(state, states_var, variables, result, name), self.next_of(name, state)
            except _Failure as failure:
                index = next((i for i, r in enumerate(retriers) if _matches(r["ErrorEquals"], failure.error)), None)
                if index is not None:
                    retrier = retriers[index]
                    # Spec, Retry: IntervalSeconds (default 1), MaxAttempts (default 3; 0 means never retry),
                    # BackoffRate (default 2.0) multiplies the interval on each attempt, MaxDelaySeconds caps it;
                    # JitterStrategy FULL randomizes the delay between 0 and that (seeded here).
                    if attempts[index] < int(retrier.get("MaxAttempts", 3)):
                        delay = (
                            float(retrier.get("IntervalSeconds", 1))
                            * float(retrier.get("BackoffRate", 2.0)) ** attempts[index]
                        )
                        if "MaxDelaySeconds" in retrier:
                            delay = min(delay, float(retrier["MaxDelaySeconds"]))
                        if retrier.get("JitterStrategy", "NONE") == "FULL":
                            delay = self.random.uniform(0, delay)
                        attempts[index] += 1
                        retry_count += 1
                        self.advance(delay)
                        continue
                for i, catcher in enumerate(catchers):
                    if _matches(catcher["ErrorEquals"], failure.error):
                        # Spec, Catch: the error output is a JSON object with "Error" and "Cause";
                        # transforming-data.html: in a Catcher $states.errorOutput holds it and is the default Output.
                        error_output = {"Error": failure.error, "Cause": failure.cause}
                        catch_var = {**states_var, "errorOutput": error_output}
                        catch_var.pop("result", None)
                        output = self.finish(catcher, catch_var, variables, error_output, name, f"Catch[{i}]/")
                        return output, catcher["Next"]
                raise

    def attempt(self, name: str, state: dict, states_var: dict, variables: dict, retry_count: int) -> Any:
        kind = state["Type"]
        if kind == "Task":
            return self.run_task(name, state, states_var, variables, retry_count)
        if kind == "Parallel":
            # Arguments, when given, are the branches' input (else the state input).
            branch_input = (
                self.evaluate(state["Arguments"], states_var, variables, state=name, field="Arguments")
                if "Arguments" in state
                else states_var["input"]
            )
            return self.run_branches([(branch, branch_input) for branch in state.get("Branches") or []], variables)
        # Map: Items (default the state input) must be an array; ItemSelector sees $states.context.Map.Item.
        items = self.evaluate(
            state.get("Items", "{% $states.input %}"), states_var, variables, state=name, field="Items"
        )
        if not isinstance(items, list):
            raise _Failure("States.QueryEvaluationError", f"{name}: Items is not an array")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is None:
            raise DefinitionError(f"{name}: a Map needs an ItemProcessor")
        jobs = []
        for index, item in enumerate(items):
            if "ItemSelector" in state:
                item_var = {
                    **states_var,
                    "context": {**states_var["context"], "Map": {"Item": {"Index": index, "Value": item}}},
                }
                item = self.evaluate(state["ItemSelector"], item_var, variables, state=name, field="ItemSelector")
            jobs.append((processor, item))
        return self.run_branches(jobs, variables)

    def run_branches(self, jobs: list[tuple[dict, Any]], variables: dict) -> list[Any]:
        """Parallel branches / Map iterations, one after another on the call record but concurrent on the clock
        (each starts at the state's start; the state ends with the slowest). A failing one fails the state
        with its error (spec, Parallel State: "If any branch fails ... the entire Parallel State fails")."""
        begin, end, results = self.clock, self.clock, []
        for machine, item in jobs:
            self.clock = begin
            # workflow-variables.html: inner states read the outer variables; what they assign stays inside.
            results.append(self.run_machine(machine, item, dict(variables)))
            end = max(end, self.clock)
        self.clock = end
        return results

    def run_task(self, name: str, state: dict, states_var: dict, variables: dict, retry_count: int) -> Any:
        resource = state.get("Resource")
        if not isinstance(resource, str):
            raise DefinitionError(f"{name}: Resource must be a string (render the template's Fn::Join first)")
        arguments = (
            self.evaluate(state["Arguments"], states_var, variables, state=name, field="Arguments")
            if "Arguments" in state
            else None
        )
        timeout = state.get("TimeoutSeconds", DEFAULT_TASK_TIMEOUT)
        if has_expression(timeout):
            timeout = self.evaluate(timeout, states_var, variables, state=name, field="TimeoutSeconds")
        self.calls.append(TaskCall(name, resource, arguments, self.clock, retry_count))
        try:
            outcome = self.call_fake(resource, arguments)
        except TaskError as error:
            outcome = error
        seconds = 0.0
        if isinstance(outcome, Took):
            seconds, outcome = outcome.seconds, outcome.result
        # Spec, Task State: a task that runs longer than TimeoutSeconds fails with States.Timeout.
        if seconds > float(timeout):
            self.advance(float(timeout))
            raise _Failure("States.Timeout", f"{name} ran longer than {timeout} s")
        self.advance(seconds)
        if isinstance(outcome, TaskError):
            raise _Failure(outcome.error, outcome.cause)
        return json.loads(json.dumps(outcome))

    def call_fake(self, resource: str, arguments: Any) -> Any:
        if callable(self.tasks):
            return self.tasks(resource, arguments)
        for key in (resource, service_action(resource)):
            if key in self.tasks:
                value = self.tasks[key]
                if isinstance(value, list):  # successive calls take successive entries; the last repeats
                    cursor = self.fake_cursor.get(key, 0)
                    self.fake_cursor[key] = cursor + 1
                    value = value[min(cursor, len(value) - 1)]
                return value(arguments) if callable(value) and not isinstance(value, TaskError) else value
        raise KeyError(f"no fake result for {resource} (nor {service_action(resource)})")


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
            "StartTime": _iso(start),
            "RedriveCount": 0,
        },
        "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:local", "Name": "local"},
    }
    for key, value in (context or {}).items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    deadline = definition.get("TimeoutSeconds")
    runner = _Runner(
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
    except _Failure as failure:
        execution.status, execution.error, execution.cause = FAILED, failure.error, failure.cause
    except _TimedOut:
        # Spec, top-level fields: "TimeoutSeconds ... If the execution runs longer than the specified time, then
        # the execution fails with a States.Timeout Error Name" (Step Functions reports the status TIMED_OUT).
        execution.status, execution.error = TIMED_OUT, "States.Timeout"
        execution.cause = f"the execution ran longer than {deadline} s"
    execution.elapsed = runner.clock
    return execution
