"""The notebook idle-stop program and on-start script against the platform that runs them (N5).

The on-start script runs autostop.py with the first Python on the instance that imports boto3:
the JupyterSystemEnv, else the platform's system Python. The oldest of these is the system
Python, so the program is compiled and its logic exercised with that version's interpreter,
here, in a subprocess (the pure functions need nothing beyond the standard library; the
SageMaker client is a fake). A missing interpreter fails the test: CI runs on this image.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from config import load_config
from ml_constructs.sagemaker_workspace import RUNTIME, on_start_script

ROOT = Path(__file__).resolve().parent.parent
AUTOSTOP = RUNTIME / "notebook_autostop.py"

# The system Python of each notebook platform the profiles may select. AL2023's
# /usr/bin/python3 "will remain as Python 3.9 for the life of AL2023" (Amazon Linux 2023 User
# Guide, "Python in AL2023", https://docs.aws.amazon.com/linux/al2023/ug/python.html);
# notebook-al2023-v1 is AL2023 ("AL2023 notebook instances",
# https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-al2023.html).
PLATFORM_SYSTEM_PYTHON = {"notebook-al2023-v1": (3, 9)}
OLDEST_PYTHON = min(PLATFORM_SYSTEM_PYTHON.values())


def interpreter(version: tuple[int, int]) -> str:
    """A python<major>.<minor> on this machine: on PATH or in pyenv, checked by running it."""
    name = "python{}.{}".format(*version)
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [
        shutil.which(name),
        *sorted(glob.glob(f"{pyenv_root}/versions/{version[0]}.{version[1]}.*/bin/{name}")),
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "{}.{}".format(*version):
            return candidate
    pytest.fail(
        f"{name} is not installed (looked on PATH and in {pyenv_root}/versions): the notebook "
        f"platform's system Python must be available to test the idle-stop program under it"
    )


@pytest.mark.parametrize("profile", ["sandbox", "production"])
def test_profiles_select_a_platform_with_a_known_system_python(profile):
    platform = load_config(profile).workspace.notebooks.platform_identifier
    assert platform in PLATFORM_SYSTEM_PYTHON, f"add {platform}'s system Python to PLATFORM_SYSTEM_PYTHON"


def test_autostop_compiles_under_the_platforms_oldest_python(tmp_path):
    python = interpreter(OLDEST_PYTHON)
    result = subprocess.run(
        [
            python,
            "-c",
            "import sys, py_compile; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
            str(AUTOSTOP),
            str(tmp_path / "autostop.pyc"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


SELF_CHECK = textwrap.dedent(
    """
    import importlib.util, json, sys, tempfile
    from datetime import datetime, timedelta, timezone

    spec = importlib.util.spec_from_file_location("autostop", sys.argv[1])
    autostop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(autostop)

    now = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
    limit = timedelta(minutes=60)

    def session(state="idle", minutes_ago=90, connections=0):
        last = (now - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
        return {"kernel": {"execution_state": state, "last_activity": last, "connections": connections}}

    # Jupyter's timestamps, in the forms 3.9's fromisoformat rejects unaided.
    assert autostop.parse_time("2026-11-21T10:15:02.123456Z") == datetime(
        2026, 11, 21, 10, 15, 2, 123456, tzinfo=timezone.utc)
    assert autostop.parse_time("2026-11-21T10:15:02.1Z").microsecond == 100000
    assert autostop.parse_time("2026-11-21T10:15:02Z").tzinfo is not None
    assert autostop.kernels_idle([session()], now, limit, False)
    assert not autostop.kernels_idle([session(state="busy")], now, limit, False)
    assert not autostop.kernels_idle([session(connections=1)], now, limit, False)
    assert autostop.kernels_idle([session(connections=1)], now, limit, True)

    class Client:
        def __init__(self):
            self.calls = []

        def describe_notebook_instance(self, **kwargs):
            self.calls.append(("describe_notebook_instance", kwargs))
            return {"LastModifiedTime": now - timedelta(minutes=120)}

        def stop_notebook_instance(self, **kwargs):
            self.calls.append(("stop_notebook_instance", kwargs))

    client = Client()
    assert autostop.run(client, "nb", [], now, limit) is True
    assert [c[0] for c in client.calls] == ["describe_notebook_instance", "stop_notebook_instance"]

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ResourceArn": "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/nb",
                   "ResourceName": "nb"}, handle)
    client = Client()
    regions = []
    def factory(service, region_name):
        regions.append(region_name)
        return client
    code = autostop.main(["--idle-minutes", "0"], client_factory=factory,
                         sessions_fetcher=lambda: [session()], metadata_path=handle.name)
    assert code == 0 and regions == ["eu-west-1"], (code, regions)
    assert client.calls == [("stop_notebook_instance", {"NotebookInstanceName": "nb"})]
    print("self-check passed on", sys.version.split()[0])
    """
)


def test_autostop_logic_runs_under_the_platforms_oldest_python():
    python = interpreter(OLDEST_PYTHON)
    result = subprocess.run(
        [python, "-I", "-c", SELF_CHECK, str(AUTOSTOP)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-check passed on {}.{}".format(*OLDEST_PYTHON) in result.stdout


def test_on_start_script_is_valid_bash():
    for script in (on_start_script(60, "s3://bucket/notebook-wheelhouse/"), on_start_script(None, "s3://b/w/")):
        result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr


def units(script: str) -> dict[str, str]:
    """The systemd unit files the on-start script writes, by the heredoc that writes them."""
    found = {}
    lines = script.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith('cat > "$AUTOSTOP_UNIT.') and line.strip().endswith("<<UNIT"):
            kind = line.split('"$AUTOSTOP_UNIT.', 1)[1].split('"', 1)[0]
            end = lines.index("UNIT", index)
            found[kind] = "\n".join(lines[index + 1 : end])
    return found


def test_on_start_runs_the_idle_check_from_a_systemd_timer_not_cron():
    script = on_start_script(45, "s3://bucket/notebook-wheelhouse/")
    assert "/etc/cron" not in script and "crontab" not in script
    assert "AUTOSTOP_UNIT=/etc/systemd/system/secure-ml-autostop" in script
    unit = units(script)
    assert set(unit) == {"service", "timer"}
    assert "Type=oneshot" in unit["service"]
    assert "ExecStart=$AUTOSTOP_COMMAND" in unit["service"]
    assert 'AUTOSTOP_COMMAND="$PYTHON $TOOLS/autostop.py --idle-minutes $IDLE_MINUTES"' in script
    assert 'IDLE_MINUTES="45"' in script
    assert "OnUnitActiveSec=5min" in unit["timer"] and "WantedBy=timers.target" in unit["timer"]
    assert "systemctl enable --now secure-ml-autostop.timer" in script
    # Without systemd: a background loop, so the lifecycle script still ends at once.
    fallback = next(line for line in script.splitlines() if "while sleep 300" in line)
    assert fallback.strip().startswith("nohup ") and fallback.rstrip().endswith("&")


def test_on_start_prefers_the_jupyter_system_python_and_says_when_none_has_boto3():
    script = on_start_script(60, "s3://bucket/notebook-wheelhouse/")
    loop = next(line for line in script.splitlines() if line.startswith("for candidate in"))
    assert loop.index("JupyterSystemEnv/bin/python") < loop.index("/usr/bin/python3")
    assert "no Python with boto3 on this instance" in script


def test_on_start_installs_and_runs_the_timer(tmp_path):
    """Run the script's idle-stop part with systemctl and the paths stubbed: it writes both
    units with the interpreter it found, and enables the timer."""
    script = on_start_script(30, "s3://bucket/notebook-wheelhouse/")
    part = script.split("# The first Python on the instance", 1)[1].split("# Dependencies without internet", 1)[0]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/systemctl.log\n')
    (bin_dir / "systemctl").chmod(0o755)
    fake_python = tmp_path / "home/anaconda3/envs/JupyterSystemEnv/bin/python"
    fake_python.parent.mkdir(parents=True)
    fake_python.write_text("#!/bin/sh\nexit 0\n")  # "imports boto3"
    fake_python.chmod(0o755)
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    (tmp_path / "units").mkdir()
    part = (
        part.replace("/etc/systemd/system/", f"{tmp_path}/units/")
        .replace("/run/systemd/system", f"{tmp_path}/run/systemd/system")
        .replace("/var/log/", f"{tmp_path}/")
    )
    prologue = (
        f'set -euo pipefail\nIDLE_MINUTES="30"\nHOME_DIR={tmp_path}/home\nTOOLS={tmp_path}/tools\nmkdir -p "$TOOLS"\n'
    )
    result = subprocess.run(
        ["bash", "-c", prologue + "# The first Python on the instance" + part],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    service = (tmp_path / "units/secure-ml-autostop.service").read_text()
    assert f"ExecStart={fake_python} {tmp_path}/tools/autostop.py --idle-minutes 30" in service
    assert f"StandardOutput=append:{tmp_path}/secure-ml-autostop.log" in service
    assert "OnUnitActiveSec=5min" in (tmp_path / "units/secure-ml-autostop.timer").read_text()
    assert (tmp_path / "tools/autostop.py").read_text() == AUTOSTOP.read_text().rstrip("\n") + "\n"
    assert (tmp_path / "systemctl.log").read_text().splitlines() == [
        "daemon-reload",
        "enable --now secure-ml-autostop.timer",
    ]
