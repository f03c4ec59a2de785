"""The notebook idle-stop program the lifecycle configuration installs (pattern N5).

Runs with botocore's Stubber: the same calls it makes on a real notebook instance.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from ml_constructs.runtime import notebook_autostop as autostop

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=60)
NAME = "secure-ml-sandbox-alice"


def session(state: str = "idle", minutes_ago: int = 90, connections: int = 0) -> dict:
    last = (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return {"kernel": {"execution_state": state, "last_activity": last, "connections": connections}}


@pytest.fixture
def sagemaker():
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("sessions", "idle"),
    [
        ([session()], True),
        ([session(), session(minutes_ago=61)], True),
        ([session(minutes_ago=10)], False),
        ([session(state="busy")], False),
        ([session(connections=1)], False),
        ([session(), session(state="busy")], False),
    ],
)
def test_kernels_idle(sessions, idle):
    assert autostop.kernels_idle(sessions, NOW, LIMIT, ignore_connections=False) is idle


def test_open_browser_tab_can_be_ignored():
    assert autostop.kernels_idle([session(connections=2)], NOW, LIMIT, ignore_connections=True)


def test_stops_an_idle_notebook(sagemaker):
    client, stubber = sagemaker
    stubber.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": NAME})
    assert autostop.run(client, NAME, [session()], NOW, LIMIT) is True


def test_leaves_a_busy_notebook_running(sagemaker):
    client, _ = sagemaker
    assert autostop.run(client, NAME, [session(state="busy")], NOW, LIMIT) is False


@pytest.mark.parametrize(("started_minutes_ago", "stops"), [(120, True), (5, False)])
def test_without_kernels_the_last_start_decides(sagemaker, started_minutes_ago, stops):
    client, stubber = sagemaker
    stubber.add_response(
        "describe_notebook_instance",
        {"NotebookInstanceName": NAME, "LastModifiedTime": NOW - timedelta(minutes=started_minutes_ago)},
        {"NotebookInstanceName": NAME},
    )
    if stops:
        stubber.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": NAME})
    assert autostop.run(client, NAME, [], NOW, LIMIT) is stops


def test_api_errors_surface_to_the_cron_log(sagemaker):
    client, stubber = sagemaker
    stubber.add_client_error("stop_notebook_instance", "AccessDeniedException", http_status_code=400)
    with pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
        autostop.run(client, NAME, [session()], NOW, LIMIT)


def test_main_reads_the_instance_identity_and_uses_its_region(tmp_path, sagemaker, capsys):
    client, stubber = sagemaker
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "ResourceArn": f"arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/{NAME}",
                "ResourceName": NAME,
            }
        )
    )
    stubber.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": NAME})
    regions = []

    def factory(service, region_name):
        regions.append((service, region_name))
        return client

    code = autostop.main(
        ["--idle-minutes", "0"],
        client_factory=factory,
        sessions_fetcher=lambda: [session()],
        metadata_path=str(metadata),
    )
    assert code == 0
    assert regions == [("sagemaker", "eu-west-1")]
    assert f"{NAME}: idle, stopping" in capsys.readouterr().out
