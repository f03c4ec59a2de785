"""Security baseline: keys, the access-log bucket and the audit trail (N10, N11, N12).

Stateful and long-lived: every other stack takes its keys and log bucket as constructor
arguments, so compute stacks can be torn down and rebuilt without touching it.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.audit_trail import AuditTrail
from ml_constructs.cost_budget import CostBudget
from ml_constructs.keys import ServiceKey
from ml_constructs.secure_bucket import AccessLogBucket


class SecurityBaselineStack(cdk.Stack):
    """Customer-managed keys per purpose, the S3 access-log bucket and CloudTrail."""

    def __init__(self, scope: Construct, construct_id: str, *, config: ProjectConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        security = config.security
        removal = removal_policy(config)
        pending = cdk.Duration.days(security.kms_pending_window_days)
        alias_prefix = f"alias/{config.project_name}/{config.profile}"

        def key(construct_id: str, purpose: str, description: str) -> ServiceKey:
            return ServiceKey(
                self,
                construct_id,
                description=description,
                alias=f"{alias_prefix}/{purpose}",
                removal_policy=removal,
                pending_window=pending,
            )

        self.data_key = key("DataKey", "data", "Data at rest: S3 data, SageMaker volumes and outputs (N11)").key
        logs_key = key("LogsKey", "logs", "CloudWatch Logs of the project (N11, N12)")
        logs_key.allow_cloudwatch_logs()
        self.logs_key = logs_key.key
        self.audit_key = key("AuditKey", "audit", "CloudTrail log files and their bucket (N12)").key
        notifications = key("NotificationsKey", "notifications", "SNS topics: alarms, asynchronous results (N11)")
        notifications.allow_cloudwatch_alarms()
        notifications.allow_service_publishers("events.amazonaws.com")
        self.notifications_key = notifications.key

        self.access_log_bucket = AccessLogBucket(
            self,
            "AccessLogs",
            expiration=cdk.Duration.days(security.access_log_expiration_days),
            removal_policy=removal,
        ).bucket

        # G2: the account's monthly cost budget. Here because this stack exists in every profile, lives as
        # long as the account's use of the project, and owns the notifications key the topic is encrypted
        # with (the key policy needs the Budgets statement); the governance stack exists only with Config rules.
        self.budget: CostBudget | None = None
        budget = config.governance.budget
        if budget.enabled:
            self.budget = CostBudget(
                self,
                "CostBudget",
                budget_name=f"{config.project_name}-{config.profile}-monthly",
                monthly_limit_usd=budget.monthly_limit_usd,
                notifications_key=self.notifications_key,
                topic_name=f"{config.project_name}-{config.profile}-budget",
            )

        self.trail: AuditTrail | None = None
        if security.trail.enabled:
            lock_days = security.trail.object_lock_retention_days
            self.trail = AuditTrail(
                self,
                "AuditTrail",
                trail_name=f"{config.project_name}-{config.profile}-trail",
                encryption_key=self.audit_key,
                logs_key=self.logs_key,
                access_log_bucket=self.access_log_bucket,
                log_retention=security.log_retention_days,
                removal_policy=removal,
                multi_region=security.trail.multi_region,
                noncurrent_version_expiration=cdk.Duration.days(security.noncurrent_version_expiration_days),
                object_lock_retention=cdk.Duration.days(lock_days) if lock_days else None,
            )


def removal_policy(config: ProjectConfig) -> cdk.RemovalPolicy:
    """The profile's choice for every stateful resource."""
    return cdk.RemovalPolicy.DESTROY if config.removal_policy == "destroy" else cdk.RemovalPolicy.RETAIN
