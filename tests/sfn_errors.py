"""Errors of the local Step Functions interpreter (tests/sfn_local.py): the exceptions a test sees or raises,
the failures a run carries, and the Retry/Catch rules - which handler matches an error, how long a retry waits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

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


class Failure(Exception):
    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


class TimedOut(Exception):
    pass


def matches(names: list[str], error: str) -> bool:
    """Spec, "Error names": States.ALL "matches any known Error Name"; States.TaskFailed "matches any known
    Error Name except for States.Timeout" (Appendix A); terminal errors match nothing."""
    if error in _TERMINAL:
        return False
    if "States.ALL" in names or error in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout"


def check_handlers(name: str, handlers: list[dict], kind: str) -> None:
    # Spec: "the reserved name States.ALL ... MUST appear alone in its ErrorEquals array and MUST appear in
    # the last Retrier/Catcher".
    for i, handler in enumerate(handlers):
        names = handler.get("ErrorEquals") or []
        if not names:
            raise DefinitionError(f"{name}: a {kind} has no ErrorEquals")
        if "States.ALL" in names and (len(names) > 1 or i != len(handlers) - 1):
            raise DefinitionError(f"{name}: States.ALL must be alone and in the last {kind}")


def retry_delay(retrier: dict, attempt: int, rng: random.Random) -> float:
    """The wait before retry `attempt` (counted from 0) that `retrier` allows."""
    # Spec, Retry: IntervalSeconds (default 1), BackoffRate (default 2.0) multiplies the interval on each
    # attempt, MaxDelaySeconds caps it; JitterStrategy FULL randomizes the delay between 0 and that (seeded here).
    delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** attempt
    if "MaxDelaySeconds" in retrier:
        delay = min(delay, float(retrier["MaxDelaySeconds"]))
    if retrier.get("JitterStrategy", "NONE") == "FULL":
        delay = rng.uniform(0, delay)
    return delay
