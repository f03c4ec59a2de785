"""Stop this SageMaker notebook instance once it has been idle for a while (pattern N5).

Installed by the notebook lifecycle configuration and run every five minutes by a systemd
timer on the instance (AL2023 ships without cron). It runs under the first Python there that
imports boto3 (the JupyterSystemEnv, else /usr/bin/python3), so it keeps to Python 3.9, the
system Python of AL2023 (tests/test_notebook_platform.py). It needs no internet: Jupyter's
REST API is on localhost, and the one AWS call, sagemaker:StopNotebookInstance, goes through
the VPC's SageMaker API interface endpoint (private DNS resolves the regional endpoint name
to it).

Idle means: every kernel is idle, without open browser connections, and its last activity
is older than the limit; with no kernel at all, the instance's last start is older than it.
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
import sys
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

METADATA = "/opt/ml/metadata/resource-metadata.json"
SESSIONS_URL = "https://localhost:8443/api/sessions"


UTC = timezone.utc  # noqa: UP017 - datetime.UTC is Python 3.11+, AL2023's python3 is 3.9
_FRACTION = re.compile(r"\.(\d+)")


def parse_time(value: str) -> datetime:
    """Jupyter's timestamps, e.g. 2026-11-21T10:15:02.123456Z.

    Python 3.9's fromisoformat takes neither "Z" nor fractions other than 3 or 6 digits.
    """
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value.replace("Z", "+00:00"), count=1)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def kernels_idle(sessions: Iterable[dict], now: datetime, limit: timedelta, ignore_connections: bool) -> bool:
    for session in sessions:
        kernel = session.get("kernel") or {}
        if kernel.get("execution_state") != "idle":
            return False
        if not ignore_connections and kernel.get("connections", 0) > 0:
            return False
        if now - parse_time(kernel["last_activity"]) < limit:
            return False
    return True


def notebook_identity(metadata_path: str = METADATA) -> tuple[str, str]:
    """The instance's name and region, from the metadata file SageMaker writes on it."""
    with open(metadata_path, encoding="utf-8") as handle:
        metadata = json.load(handle)
    region = metadata["ResourceArn"].split(":")[3]
    return metadata["ResourceName"], region


def fetch_sessions(url: str = SESSIONS_URL) -> list[dict]:
    """Jupyter's sessions; its certificate on localhost is self-signed, and nothing leaves the host."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, context=context, timeout=10) as response:  # noqa: S310 - localhost
        return json.load(response)


def run(
    client,
    name: str,
    sessions: list[dict],
    now: datetime,
    limit: timedelta,
    ignore_connections: bool = False,
) -> bool:
    """Stop the instance when idle; returns whether a stop was requested."""
    if sessions:
        idle = kernels_idle(sessions, now, limit, ignore_connections)
    else:
        started = client.describe_notebook_instance(NotebookInstanceName=name)["LastModifiedTime"]
        idle = now - started >= limit
    if idle:
        client.stop_notebook_instance(NotebookInstanceName=name)
    return idle


def main(
    argv: list[str] | None = None,
    client_factory: Callable[..., object] | None = None,
    sessions_fetcher: Callable[[], list[dict]] = fetch_sessions,
    metadata_path: str = METADATA,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-minutes", type=int, required=True)
    parser.add_argument("--ignore-connections", action="store_true")
    args = parser.parse_args(argv)
    name, region = notebook_identity(metadata_path)
    if client_factory is None:
        import boto3  # present in the notebook's JupyterSystemEnv

        client_factory = boto3.client
    client = client_factory("sagemaker", region_name=region)
    stopped = run(
        client,
        name,
        sessions_fetcher(),
        datetime.now(UTC),
        timedelta(minutes=args.idle_minutes),
        args.ignore_connections,
    )
    print(f"{datetime.now(UTC).isoformat()} {name}: {'idle, stopping' if stopped else 'active'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
