"""The Makefile's targets: `make help` lists them, and the account-facing ones stop at once without
credentials (one line, no stack trace, no synth). Nothing here calls AWS or synthesizes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import aws_session

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = ROOT / "Makefile"
DEPLOY_PAGE = ROOT / "docs" / "deploy.md"

CREDENTIAL_TARGETS = ["bootstrap", "preflight", "diff", "deploy", "smoke", "destroy"]
ISSUE_TARGETS = {*CREDENTIAL_TARGETS, "help", "synth", "test", "bench", "lint", "format", "docs", "setup", "clean"}


def documented_targets() -> list[str]:
    """Targets whose rule follows a `## ` comment, in Makefile order (what `make help` must list)."""
    targets, commented = [], False
    for line in MAKEFILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            commented = True
            continue
        rule = re.match(r"^([A-Za-z][A-Za-z0-9_-]*):", line)
        if rule and commented:
            targets.append(rule.group(1))
        commented = False
    return targets


# Variables an outer make (`make test PROFILE=...`) or the shell would hand down to the Makefile.
INHERITED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PROFILE", "CONFIG", "OUT", "STACKS", "ARGS", "YES", "CONFIRM"}


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in (os.environ if env is None else env).items() if k not in INHERITED}
    # The timeout only keeps a hang from stalling the suite; nothing here asserts on time.
    return subprocess.run(
        ["make", "-s", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def no_credentials_env(home: Path) -> dict[str, str]:
    """No AWS_* variables, an empty HOME, no shared files, no metadata service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "no-such-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-such-credentials"),
    )
    return env


def test_every_target_the_issue_names_is_documented():
    assert not ISSUE_TARGETS - set(documented_targets())


def test_help_lists_every_documented_target():
    result = make("help")
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert listed == documented_targets()


@pytest.fixture(scope="module")
def setup_is_current():
    """The credential targets depend on `setup`; `make test` runs it first, so it has nothing to install."""
    assert shutil.which("make"), "GNU make is part of the quickstart's requirements"
    assert make("-q", "setup").returncode == 0, "run `make setup` first (make test does)"


@pytest.mark.parametrize("target", CREDENTIAL_TARGETS)
def test_without_credentials_a_target_stops_with_one_line(target, tmp_path, setup_is_current):
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "out"
    result = make(target, "PROFILE=sandbox", f"OUT={out}", env=no_credentials_env(home))
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert len(output.splitlines()) == 1, output
    assert "no AWS credentials" in output
    assert "Traceback" not in output
    assert not out.exists(), "a cloud assembly was written: synth ran before the credential check"


def test_with_credentials_the_check_passes(tmp_path):
    env = no_credentials_env(tmp_path)
    env.update(AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="example")
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "scripts.aws_session"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in no_credentials_env(tmp_path).items():
        if name == "HOME" or name.startswith("AWS_"):
            monkeypatch.setenv(name, value)


def test_session_or_exit_prints_one_line_and_exits_2(no_aws, capsys):
    assert not aws_session.has_credentials()
    with pytest.raises(SystemExit) as stop:
        aws_session.session_or_exit("us-east-1")
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [aws_session.NO_CREDENTIALS]


def test_a_missing_named_profile_is_one_line(no_aws, monkeypatch, capsys):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    assert aws_session.main([]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(aws_session.NO_CREDENTIALS) and "no-such-profile" in line


def test_session_or_exit_returns_a_session_in_the_region(no_aws, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    assert aws_session.has_credentials()
    assert aws_session.session_or_exit("eu-west-1").region_name == "eu-west-1"
    assert aws_session.require_credentials is aws_session.session_or_exit


def dry_run(*args: str) -> str:
    """`make -n`: the commands a target would run (the credential check is skipped under -n)."""
    result = make("-n", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_config_selects_the_file_for_cdk_and_the_scripts():
    assert "cdk synth --quiet -c profile=production " in dry_run("synth", "PROFILE=production")
    synth = dry_run("synth", "CONFIG=my.yaml")
    assert "-c config=my.yaml" in synth and "-c profile=" not in synth
    for target in ("bootstrap", "diff", "deploy"):
        commands = dry_run(target, "CONFIG=my.yaml")
        assert f"cdk {target} -c config=my.yaml" in commands and "-c profile=" not in commands
    for target, module in (("preflight", "preflight"), ("smoke", "smoke"), ("destroy", "teardown")):
        assert f"-m scripts.{module} --config my.yaml" in dry_run(target, "CONFIG=my.yaml")
        assert f"-m scripts.{module} --profile production" in dry_run(target, "PROFILE=production")


def test_deploy_runs_preflight_first_and_destroy_passes_its_confirmations():
    commands = dry_run("deploy").splitlines()
    preflight = next(i for i, c in enumerate(commands) if "-m scripts.preflight" in c)
    deploy = next(i for i, c in enumerate(commands) if "cdk deploy" in c)
    assert preflight < deploy
    assert "--all" in commands[deploy]
    with_args = dry_run("deploy", "ARGS=--require-approval never", "STACKS=Network Data").splitlines()
    assert [c for c in with_args if "--require-approval" in c] == [
        "npx --no-install cdk deploy -c profile=sandbox -o cdk.out --require-approval never Network Data"
    ]
    assert "--yes" not in dry_run("destroy") and "--confirm" not in dry_run("destroy")
    destroy = dry_run("destroy", "PROFILE=production", "YES=1", "CONFIRM=secure-ml-production-network")
    assert "--yes --confirm secure-ml-production-network" in destroy


def deploy_section() -> str:
    return DEPLOY_PAGE.read_text(encoding="utf-8")


def test_deploy_page_covers_every_account_target():
    section = deploy_section()
    for target in CREDENTIAL_TARGETS:
        assert f"make {target}" in section, f"docs/deploy.md does not mention `make {target}`"
    for setting in ("YES=1", "CONFIRM=", "PROFILE=", "CONFIG="):
        assert setting in section


def test_bootstrap_uses_the_profiles_qualifier():
    """`make bootstrap` creates the bootstrap the stacks synthesize against (deploy.bootstrap_qualifier)."""
    result = make("-n", "-s", "bootstrap", "PROFILE=sandbox")
    assert '--qualifier "$(.venv/bin/python -m scripts.qualifier --profile sandbox)"' in result.stdout
    printed = subprocess.run(
        [sys.executable, "-m", "scripts.qualifier", "--profile", "sandbox"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed.stdout.strip() == "hnb659fds"


def test_every_stack_synthesizes_against_the_profiles_bootstrap(profile):
    """The deploy role, asset bucket and version parameter all carry the profile's qualifier."""
    qualifier = profile.config.deploy.bootstrap_qualifier
    manifest = json.loads((profile.outdir / "manifest.json").read_text())
    stacks = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert stacks
    for artifact in stacks:
        assert f"cdk-{qualifier}-deploy-role-" in artifact["properties"]["assumeRoleArn"]
        template = json.loads((profile.outdir / artifact["properties"]["templateFile"]).read_text())
        assert template["Parameters"]["BootstrapVersion"]["Default"] == f"/cdk-bootstrap/{qualifier}/version"
