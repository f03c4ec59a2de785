"""A1 caller sentiment: the chain's trigger, storage, logging and tracing (proves A1).

Read from the synthesized sandbox template (tests/ai_chain_helpers.py).
"""

from __future__ import annotations

import pytest
from ai_chain_helpers import MACHINE, STACK, resolved, state_machine
from authz import World


@pytest.fixture(scope="module")
def machine(sandbox) -> dict:
    _, _, resource = state_machine(sandbox, MACHINE)
    return resource


# --- Trigger, storage, logging, tracing -------------------------------------------------------------


def test_a1_upload_rule_targets_the_machine_with_retries_and_a_dead_letter_queue(sandbox):
    """proves A1: EventBridge Object Created under calls/ of the input bucket; the target retries, then the DLQ."""
    world = World.from_assembly(sandbox)
    rule = resolved(sandbox, world.logical_id(STACK, "AWS::Events::Rule", "SentimentUploads"))
    input_bucket = world.physical_name(STACK, world.logical_id(STACK, "AWS::S3::Bucket", "SentimentInputBucket"))
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [input_bucket]}, "object": {"key": [{"prefix": "calls/"}]}},
    }
    [target] = rule["Targets"]
    assert target["Arn"].endswith(":stateMachine:secure-ml-sandbox-a1-sentiment")
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}
    queue_id = world.logical_id(STACK, "AWS::SQS::Queue", "SentimentDeadLetters")
    assert target["DeadLetterConfig"]["Arn"] == world.arn(STACK, queue_id)
    queue = resolved(sandbox, queue_id)
    notifications = world.arn(
        "SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "NotificationsKey")
    )
    assert notifications.endswith(queue["KmsMasterKeyId"]) or queue["KmsMasterKeyId"] == notifications


def test_a1_buckets_are_kms_encrypted_with_the_data_key_and_send_events(sandbox):
    """proves A1: both buckets SSE-KMS with the project's data key, EventBridge notifications on."""
    world = World.from_assembly(sandbox)
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    for prefix in ("SentimentInputBucket", "SentimentOutputBucket"):
        bucket = resolved(sandbox, world.logical_id(STACK, "AWS::S3::Bucket", prefix))
        [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        default = rule["ServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms" and default["KMSMasterKeyID"] == data_key
        assert bucket["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}


def test_a1_logs_everything_to_an_encrypted_log_group_with_tracing(sandbox, machine):
    """proves A1: logging level ALL with execution data to a log group encrypted with the logs key; X-Ray on."""
    world = World.from_assembly(sandbox)
    properties = world.resolve(STACK, machine["Properties"])
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is True
    assert properties["TracingConfiguration"] == {"Enabled": True}
    group_id = world.logical_id(STACK, "AWS::Logs::LogGroup", "SentimentLogsLogGroup")
    group = resolved(sandbox, group_id)
    logs_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "LogsKey"))
    assert group["KmsKeyId"] == logs_key
    assert logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"] == world.arn(STACK, group_id)
