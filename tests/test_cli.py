"""The app through its real entry points: `python app.py` and the pinned CDK CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"
BAD_CONFIG = """\
profile: broken
removal_policy: keep
termination_protection: false
colour: blue
security:
  log_retention_days: 30
  noncurrent_version_expiration_days: 30
  access_log_expiration_days: 90
network:
  availability_zones: 2
workspace:
  data_scientists: [{name: alice}]
"""
EXPECTED_LINES = [
    "removal_policy: Input should be 'destroy' or 'retain' (got 'keep')",
    "colour: unknown key; allowed keys here:",
    "security.log_retention_days: Input should be 365, 400, 545",
]


def offline_env(**extra: str) -> dict[str, str]:
    """No credentials, no region, no metadata endpoint: synthesis must not need AWS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        **extra,
    )
    return env


def cdk_synth(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CDK), "synth", "--quiet", "-o", str(outdir), *args],
        cwd=ROOT,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def bad_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "broken.yaml"
    path.write_text(BAD_CONFIG)
    return path


def assert_refused(result: subprocess.CompletedProcess, outdir: Path) -> None:
    assert result.returncode != 0
    for line in EXPECTED_LINES:
        assert line in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not list(outdir.glob("*.template.json")), "a template was written for a bad config"


def test_app_refuses_bad_config_without_traceback(bad_config: Path, tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=offline_env(CDK_CONTEXT_JSON=json.dumps({"config": str(bad_config)}), CDK_OUTDIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"Invalid configuration in {bad_config} (3 problems):")
    assert_refused(result, tmp_path)


def test_cli_refuses_bad_config(bad_config: Path, tmp_path: Path):
    assert_refused(cdk_synth(tmp_path, "-c", f"config={bad_config}"), tmp_path)


def test_cli_refuses_unknown_profile(tmp_path: Path):
    result = cdk_synth(tmp_path, "-c", "profile=staging")
    assert result.returncode != 0
    assert "profile: no profile named 'staging'; available: demo, production, sandbox" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_synth_offline_matches_the_tested_templates(production, tmp_path: Path):
    """The CLI, without credentials, writes exactly the templates the tests inspect."""
    result = cdk_synth(tmp_path, "-c", "profile=production")
    assert result.returncode == 0, result.stderr
    for template in production.outdir.glob("*.template.json"):
        assert (tmp_path / template.name).read_text() == template.read_text(), template.name
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest == json.loads((production.outdir / "manifest.json").read_text())


def test_app_refuses_an_endpoint_list_that_omits_what_a_stack_needs(tmp_path: Path):
    """Checked while building the stacks, still before any template is written."""
    sandbox = (ROOT / "config" / "sandbox.yaml").read_text()
    config = tmp_path / "short.yaml"
    config.write_text(sandbox.replace("  extra_interface_endpoints: []", "  interface_endpoints: [sagemaker.api, sts]"))
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=offline_env(CDK_CONTEXT_JSON=json.dumps({"config": str(config)}), CDK_OUTDIR=str(tmp_path / "out")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "network.interface_endpoints: 'notebook' is missing; WorkspaceStack needs it" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "out").glob("*.template.json"))
