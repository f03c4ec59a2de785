"""The JSONata bridge of the local Step Functions interpreter (tests/sfn_local.py): one long-lived Node process
(tests/sfn/jsonata_eval.mjs) running the reference implementation, npm `jsonata` 2.0.6, with the functions Step
Functions adds and $now/$millis reading the virtual clock."""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "sfn" / "jsonata_eval.mjs"


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
