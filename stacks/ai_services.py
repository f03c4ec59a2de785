"""Managed AI service chains behind the profile's ai_services switches (A1)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.ai_sentiment import CallerSentiment
from stacks.naming import resource_prefix
from stacks.security_baseline import SecurityBaselineStack, removal_policy


class AiServicesStack(cdk.Stack):
    """Serverless chains of AWS AI services: S3 upload -> EventBridge -> Step Functions -> result JSON.

    Outside the VPC by nature (Step Functions, Transcribe and Comprehend are regional AWS services); it
    takes the data, logs and notifications keys and the access-log bucket from the security baseline.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = resource_prefix(config)
        self.sentiment: CallerSentiment | None = None
        sentiment = config.ai_services.sentiment
        if sentiment.enabled:
            self.sentiment = CallerSentiment(
                self,
                "Sentiment",
                name_prefix=prefix,
                data_key=security.data_key,
                logs_key=security.logs_key,
                queue_key=security.notifications_key,
                access_log_bucket=security.access_log_bucket,
                language_code=sentiment.language_code,
                comprehend_language=sentiment.comprehend_language,
                media_formats=sentiment.media_formats,
                max_media_bytes=sentiment.max_media_mb * 1024 * 1024,
                poll_seconds=sentiment.poll_seconds,
                max_polls=sentiment.max_polls,
                sentiment_characters=sentiment.sentiment_characters,
                key_phrase_characters=sentiment.key_phrase_characters,
                log_retention=config.security.log_retention_days,
                removal_policy=removal_policy(config),
                noncurrent_version_expiration=cdk.Duration.days(config.security.noncurrent_version_expiration_days),
            )
