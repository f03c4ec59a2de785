"""The bridge to the offline IAM policy simulator (tests/authz.py): one Node process per batch of requests."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from authz_requests import AuthzError, Decision, Request

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "authz" / "simulate.mjs"


@cache
def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise AuthzError("node is not on PATH (the simulator runs on the pinned Node)")
    if not (ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise AuthzError("node_modules lacks @cloud-copilot/iam-simulate: run `npm ci`")
    return node


def evaluate(requests: Sequence[Request], *, timeout: float = 120) -> list[Decision]:
    """Decisions for all `requests`, from one Node process."""
    if not requests:
        return []
    payload = {"requests": [{"id": str(i), "simulation": r.simulation()} for i, r in enumerate(requests)]}
    completed = subprocess.run(
        [_node(), str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise AuthzError(f"the simulator failed ({completed.returncode}): {completed.stderr[-3000:]}")
    decisions = []
    for request, result in zip(requests, json.loads(completed.stdout)["results"], strict=True):
        if result["result"] == "Error":
            raise AuthzError(f"the simulator refused {request.describe()}: {json.dumps(result['errors'])[:3000]}")
        ignored = result.get("ignoredContextKeys", [])
        stated = [key for key in ignored if key in request.context]
        if stated:
            raise AuthzError(
                f"{request.describe()} states context keys {stated} that {request.action} never carries "
                "(the simulator ignores them, so the test could not fail on them)"
            )
        decisions.append(
            Decision(
                request=request,
                result=result["result"],
                denials=result.get("denials", []),
                grants=result.get("grants", []),
                ignored_context_keys=ignored,
                explain=result.get("explain", {}),
            )
        )
    return decisions
