"""The state handlers of the local Step Functions interpreter (tests/sfn_local.py): a Runner walks a machine's
states on the virtual clock - Pass, Succeed, Fail, Wait, Choice, and Task, Parallel and Map with their Retry and
Catch - calling the fakes for Task results."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sfn_errors import (
    DefinitionError,
    Failure,
    StepLimitExceeded,
    TaskError,
    TimedOut,
    Took,
    check_handlers,
    matches,
    retry_delay,
)
from sfn_jsonata import JsonataEngine, QueryError, has_expression

# Developer guide, Task state: "TimeoutSeconds ... If not provided, the default value is 99999999."
DEFAULT_TASK_TIMEOUT = 99999999


@dataclass(frozen=True)
class TaskCall:
    """One call of a Task state's resource: at virtual time `at` (seconds from the start)."""

    state: str
    resource: str
    arguments: Any
    at: float
    retry_count: int


def service_action(resource: str) -> str:
    """The short name of an integration resource: arn:aws:states:::aws-sdk:transcribe:getTranscriptionJob ->
    "transcribe:getTranscriptionJob"; arn:aws:states:::s3:putObject -> "s3:putObject"; other ARNs unchanged."""
    match = re.search(r":states:::(?:aws-sdk:)?(.+)$", resource)
    return match.group(1) if match else resource


Tasks = Callable[[str, Any], Any] | Mapping[str, Any]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Runner:
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
            raise TimedOut

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
            raise Failure(
                "States.QueryEvaluationError",
                f"An error occurred while executing the state '{state}'. {error}",
            ) from None

    def state_context(self, name: str, entered: datetime, retry_count: int, extra: dict | None = None) -> dict:
        return {
            **self.context,
            "State": {"Name": name, "EnteredTime": iso(entered), "RetryCount": retry_count},
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
            raise Failure(str(error), str(cause))
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
                raise Failure("States.QueryEvaluationError", f"{name}: Seconds is not a non-negative number")
            self.advance(float(seconds))
        elif "Timestamp" in state:
            stamp = self.evaluate(state["Timestamp"], states_var, variables, state=name, field="Timestamp")
            try:
                until = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
            except ValueError:
                raise Failure("States.QueryEvaluationError", f"{name}: Timestamp {stamp!r} is no timestamp") from None
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
                raise Failure("States.QueryEvaluationError", f"{name}: Choices[{i}]/Condition is not a boolean")
            if verdict:
                # A rule's own Output/Assign apply when it matches; otherwise the state's.
                fields = {
                    k: rule[k] if k in rule else state[k] for k in ("Output", "Assign") if k in rule or k in state
                }
                return self.finish(fields, states_var, variables, data, name), rule["Next"]
        if "Default" in state:
            return self.finish(state, states_var, variables, data, name), state["Default"]
        raise Failure("States.NoChoiceMatched", f"no Choice rule of {name} matched and there is no Default")

    def run_with_handlers(
        self, name: str, state: dict, data: Any, variables: dict, entered: datetime
    ) -> tuple[Any, str | None]:
        retriers = state.get("Retry") or []
        catchers = state.get("Catch") or []
        check_handlers(name, retriers, "Retrier")
        check_handlers(name, catchers, "Catcher")
        attempts = [0] * len(retriers)  # spec: each Retrier counts its own retries
        retry_count = 0
        while True:
            states_var = {"input": data, "context": self.state_context(name, entered, retry_count)}
            try:
                result = self.attempt(name, state, states_var, variables, retry_count)
                states_var["result"] = result
                return self.finish(state, states_var, variables, result, name), self.next_of(name, state)
            except Failure as failure:
                index = next((i for i, r in enumerate(retriers) if matches(r["ErrorEquals"], failure.error)), None)
                if index is not None:
                    retrier = retriers[index]
                    # Spec, Retry: MaxAttempts (default 3; 0 means never retry) bounds this Retrier's retries.
                    if attempts[index] < int(retrier.get("MaxAttempts", 3)):
                        delay = retry_delay(retrier, attempts[index], self.random)
                        attempts[index] += 1
                        retry_count += 1
                        self.advance(delay)
                        continue
                for i, catcher in enumerate(catchers):
                    if matches(catcher["ErrorEquals"], failure.error):
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
            raise Failure("States.QueryEvaluationError", f"{name}: Items is not an array")
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
            raise Failure("States.Timeout", f"{name} ran longer than {timeout} s")
        self.advance(seconds)
        if isinstance(outcome, TaskError):
            raise Failure(outcome.error, outcome.cause)
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
