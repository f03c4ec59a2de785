"""Recording the calls of botocore Stubber tests (tests/authz.py): a child pytest with `-p authz` appends each
stubbed call to a file (AUTHZ_RECORD_CALLS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from authz_requests import AuthzError
from authz_simulator import ROOT

# --- Requests from botocore Stubber tests ---------------------------------------------------------


@dataclass(frozen=True)
class ApiCall:
    """One call a client made under botocore's Stubber."""

    service: str  # botocore's service name, e.g. "sagemaker"
    signing_name: str  # the IAM service prefix, e.g. "sagemaker" also for "sagemaker-runtime"
    operation: str  # e.g. "CreateModel"
    params: dict
    region: str
    test: str = ""

    def rebased(self, old_account: str, new_account: str) -> ApiCall:
        """The call with every mention of the tests' account replaced by the world's."""
        params = json.loads(json.dumps(self.params, default=str).replace(old_account, new_account))
        return ApiCall(self.service, self.signing_name, self.operation, params, self.region, self.test)


RECORD_ENV = "AUTHZ_RECORD_CALLS"


def _install_recorder(path: Path, current_test: list[str]) -> None:
    """Patch botocore's Stubber so that every call of a stubbed client is appended to `path`."""
    from botocore.stub import Stubber

    activate = Stubber.activate

    def recording_activate(self) -> None:
        client = self.client

        def record(params, model, **_):
            call = {
                "service": client.meta.service_model.service_name,
                "signing_name": client.meta.service_model.signing_name,
                "operation": model.name,
                "params": params,
                "region": client.meta.region_name,
                "test": current_test[0],
            }
            with path.open("a") as out:
                out.write(json.dumps(call, default=str) + "\n")

        client.meta.events.register("provide-client-params", record, unique_id=f"authz-record-{id(client)}")
        activate(self)

    Stubber.activate = recording_activate


_CURRENT_TEST = [""]


def record_stubbed_calls(*test_paths: str, tmp_path: Path) -> list[ApiCall]:
    """Run the given test modules in a child pytest and return every call their stubbed clients
    made. The tests must pass: calls of a failing test prove nothing about the handler."""
    path = tmp_path / "calls.jsonl"
    path.unlink(missing_ok=True)
    env = {
        **os.environ,
        RECORD_ENV: str(path),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "authz", *test_paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise AuthzError(f"recording {test_paths} failed:\n{completed.stdout[-3000:]}{completed.stderr[-2000:]}")
    if not path.exists():
        raise AuthzError(f"{test_paths} made no stubbed call")
    return [ApiCall(**json.loads(line)) for line in path.read_text().splitlines()]
