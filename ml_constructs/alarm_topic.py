"""The alarm topic's resource policy: CloudWatch alarms of this account publish to it (E12)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from ml_constructs.keys import cloudwatch_alarms_arn


def allow_alarm_publications(topic: sns.Topic) -> None:
    """Let CloudWatch alarms of this account and region publish to `topic` (its alarm actions).

    CloudWatch publishes with its service principal; the statement is bound to this account's
    alarms (aws:SourceAccount, aws:SourceArn) so no other account's alarm can use the topic
    (CloudWatch User Guide, confused-deputy prevention). The topic's key must admit CloudWatch
    too (ServiceKey.allow_cloudwatch_alarms).
    """
    stack = cdk.Stack.of(topic)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsOfThisAccount",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": cloudwatch_alarms_arn(stack)},
            },
        )
    )
