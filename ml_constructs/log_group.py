"""CloudWatch log groups encrypted with a customer-managed key (patterns N11, N12)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_imported_reference, is_imported

# CloudWatch Logs' retention periods of a year or more (CT.CLOUDWATCH.PR.2), by day count.
_RETENTION = {
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def retention_days(days: int) -> logs.RetentionDays:
    """The CloudWatch retention period for `days`; only periods of a year or more exist here."""
    try:
        return _RETENTION[days]
    except KeyError:
        allowed = ", ".join(str(d) for d in _RETENTION)
        raise ValueError(f"log retention of {days} days is not offered; use one of {allowed}") from None


class EncryptedLogGroup(Construct):
    """A log group encrypted with a KMS key, kept at least a year (N11, N12).

    The key must allow the regional CloudWatch Logs service principal
    (`ServiceKey.allow_cloudwatch_logs`); CT.CLOUDWATCH.PR.2/3 and the compliance packs'
    CloudWatchLogGroupEncrypted / CloudWatchLogGroupRetentionPeriod rules hold by construction.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        retention: int,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        log_group_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            encryption_key=encryption_key,
            retention=retention_days(retention),
            removal_policy=removal_policy,
            log_group_name=log_group_name,
        )
        if is_imported(self, encryption_key):
            acknowledge_imported_reference(
                self.log_group.node.default_child,
                "cloudwatch_log_group_encrypted_check",
                "KmsKeyId (the project's logs key)",
                encryption_key,
            )
