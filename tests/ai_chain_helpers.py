"""Read the AI service chains' state machines (A1, and the chains to come) out of a synthesized assembly.

`definition(assembly, "SentimentStateMachine")` is the state machine's definition as Step Functions
receives it: the DefinitionString's Fn::Join resolved (bucket names, key ARNs, the region) the way
gates/resolve.py resolves every template of the assembly (account 111122223333), then parsed.
A local interpreter of the definition (tests/sfn_local.py) can run it as is.
"""

from __future__ import annotations

import json
from typing import Any

from gates.resolve import Templates

STACK = "AiServices"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
# A1 in the sandbox: the state machine's logical-id fragment and the Transcribe job-name prefix.
MACHINE = "SentimentStateMachine"
JOB_PREFIX = "secure-ml-sandbox-a1-"


def templates(assembly: Any) -> Templates:
    """Every stack of the assembly (a tests/conftest.py Assembly, or its cloud assembly directory)."""
    return Templates.from_outdir(getattr(assembly, "outdir", assembly))


def state_machine(assembly: Any, logical_id_fragment: str, stack: str = STACK) -> tuple[Templates, str, dict]:
    """(the resolver, the logical id, the resource) of the one state machine whose logical id contains
    `logical_id_fragment`."""
    world = templates(assembly)
    found = {
        logical: resource
        for logical, resource in world.stack(stack).resources.items()
        if resource["Type"] == STATE_MACHINE and logical_id_fragment in logical
    }
    if len(found) != 1:
        raise LookupError(f"{len(found)} state machines match {logical_id_fragment!r} in {stack}: {sorted(found)}")
    [(logical, resource)] = found.items()
    return world, logical, resource


def definition(assembly: Any, logical_id_fragment: str, stack: str = STACK) -> dict:
    """The definition of the state machine whose logical id contains `logical_id_fragment`, resolved."""
    world, _, resource = state_machine(assembly, logical_id_fragment, stack)
    return json.loads(world.resolve(stack, resource["Properties"]["DefinitionString"]))


def resolved(assembly: Any, logical_id: str, stack: str = STACK) -> dict:
    """A resource's Properties with every intrinsic resolved."""
    world = templates(assembly)
    return world.resolve(stack, world.resource(stack, logical_id)["Properties"])
