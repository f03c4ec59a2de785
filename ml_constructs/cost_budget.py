"""A monthly cost budget with notifications to an encrypted SNS topic (pattern G2).

G2 — "Cost: endpoints and notebooks bill while idle": a real-time endpoint at minimum capacity,
a notebook left running and the interface endpoints bill every hour whether or not anything
uses them, so the profile estimates its idle cost (`make cost`) and the sandbox carries a
budget alarm that says when the month's actual or forecasted cost passes the limit.

AWS Budgets publishes with its service principal `budgets.amazonaws.com`. The topic policy lets
it publish only for budgets of this account (aws:SourceAccount, and aws:SourceArn
`arn:<partition>:budgets::<account>:*`, as the AWS Cost Management User Guide, "Creating an
Amazon SNS topic for budget notifications", writes it: confused-deputy prevention). The topic is
encrypted with the project's notifications key, so the key policy lets Budgets use the key under
the same two conditions (SNS Developer Guide, "Enable compatibility between event sources from
AWS services and encrypted topics").
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

BUDGETS_SERVICE = "budgets.amazonaws.com"

# (notification type, threshold in % of the limit): early warning, limit reached, limit forecast.
NOTIFICATIONS = (("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100))


def budgets_source_arn(stack: cdk.Stack) -> str:
    """Every budget of the stack's account (Budgets is global: the ARN has no region)."""
    return f"arn:{stack.partition}:budgets::{stack.account}:*"


class CostBudget(Construct):
    """AWS::Budgets::Budget (monthly, COST) notifying an SNS topic encrypted with `notifications_key`.

    `notifications_key` must be a key of the same stack (its key policy gets the Budgets
    statement). Subscribe people or a chat integration to `topic` to receive the notifications.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        budget_name: str,
        monthly_limit_usd: float,
        notifications_key: kms.Key,
        topic_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        from_this_account = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": budgets_source_arn(stack)},
        }
        notifications_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBudgetsOfThisAccountToPublishToEncryptedTopics",
                principals=[iam.ServicePrincipal(BUDGETS_SERVICE)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=from_this_account,
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topic_name,
            display_name="Cost budget notifications",
            master_key=notifications_key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBudgetsOfThisAccount",
                principals=[iam.ServicePrincipal(BUDGETS_SERVICE)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_this_account,
            )
        )
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=budget_name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_limit_usd, unit="USD"),
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=self.topic.topic_arn)
                    ],
                )
                for kind, threshold in NOTIFICATIONS
            ],
        )
        # Budgets checks that it may publish when the budget is created: the policy comes first.
        policy = self.topic.node.try_find_child("Policy")
        if policy is not None:
            self.budget.node.add_dependency(policy)
