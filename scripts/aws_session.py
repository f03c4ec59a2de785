"""The one credential check every account-facing command runs first.

`python -m scripts.aws_session` exits 0 when AWS credentials resolve and otherwise prints one line on
stderr and exits 2. It imports boto3 only (never aws_cdk), so `make deploy` and friends fail in about a
second instead of after a synth. The Makefile runs it with `AWS_EC2_METADATA_DISABLED=true` unless that
variable is already set, so a laptop without credentials never waits on the instance metadata service;
on an EC2 instance that should use its role, set `AWS_EC2_METADATA_DISABLED=false`.

Scripts import it:

    from scripts.aws_session import session_or_exit
    session = session_or_exit(region)   # a boto3.Session whose credentials resolve, else SystemExit(2)

The check only resolves credentials locally (environment, shared files, SSO cache, credential process,
container or instance role); it does not call STS. Who the credentials are is preflight's business.
"""

from __future__ import annotations

import sys

import boto3
import botocore.session
from botocore.exceptions import BotoCoreError

NO_CREDENTIALS = "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run aws sso login"
EXIT_NO_CREDENTIALS = 2

# Keep a metadata-service lookup short when it is not disabled: one attempt, one second.
_METADATA_SETTINGS = {"metadata_service_timeout": 1, "metadata_service_num_attempts": 1}


def _session(profile_region: str | None) -> boto3.Session:
    core = botocore.session.Session()
    for name, value in _METADATA_SETTINGS.items():
        if core.get_config_variable(name) in (None, 0):
            core.set_config_variable(name, value)
    return boto3.Session(botocore_session=core, region_name=profile_region)


def _problem(profile_region: str | None) -> tuple[boto3.Session | None, str | None]:
    """The session and None when credentials resolve, else None and the one-line reason."""
    try:
        session = _session(profile_region)
        credentials = session.get_credentials()
        if credentials is None:
            return None, NO_CREDENTIALS
        frozen = credentials.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            return None, NO_CREDENTIALS
    except BotoCoreError as error:
        # A named profile that does not exist, an expired SSO token, a failing credential_process.
        reason = " ".join(str(error).split())
        return None, f"{NO_CREDENTIALS} ({reason})"
    return session, None


def has_credentials(profile_region: str | None = None) -> bool:
    """Whether AWS credentials resolve here, without printing anything."""
    return _problem(profile_region)[1] is None


def session_or_exit(profile_region: str | None = None) -> boto3.Session:
    """A boto3 Session (in `profile_region` when given) whose credentials resolve.

    Otherwise print one line on stderr and raise SystemExit(2): no stack trace.
    """
    session, problem = _problem(profile_region)
    if session is None:
        print(problem, file=sys.stderr)
        raise SystemExit(EXIT_NO_CREDENTIALS)
    return session


# The name the lifecycle scripts may import as well.
require_credentials = session_or_exit


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when credentials resolve, 2 (with one line on stderr) when they do not."""
    del argv
    try:
        session_or_exit()
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
