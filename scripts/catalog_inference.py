"""The catalog's E patterns: real-time inference (see scripts/catalog.py)."""

from __future__ import annotations

from scripts.catalog_model import (
    DOCUMENTED,
    ENDPOINT_CONFIG,
    Pattern,
    S,
)

INFERENCE_PATTERNS: tuple[Pattern, ...] = (
    # --- E: real-time inference --------------------------------------------------------------------------
    Pattern(
        "E1",
        "A/B production variants",
        "An endpoint configuration with two or more weighted production variants (weights from config).",
        ("Inference",),
        ("ml_constructs/guarded_endpoint.py",),
        (S(ENDPOINT_CONFIG, contains=('"InitialVariantWeight"',), path="Inference/Realtime/"),),
    ),
    Pattern(
        "E2",
        "Shadow test",
        "A separate shadow-test endpoint configuration: exactly one production and one shadow variant.",
        ("Inference",),
        ("ml_constructs/guarded_endpoint.py",),
        (S(ENDPOINT_CONFIG, contains=('"ShadowProductionVariants"',)),),
    ),
    Pattern(
        "E3",
        "Deployment guardrails",
        "Blue/green updates with canary or linear traffic shifting and automatic rollback on alarms.",
        ("Inference",),
        ("ml_constructs/guarded_endpoint.py",),
        (S("AWS::SageMaker::Endpoint", contains=('"AutoRollbackConfiguration"', '"BlueGreenUpdatePolicy"')),),
    ),
    Pattern(
        "E4",
        "Variant autoscaling",
        "An Application Auto Scaling target per variant with target tracking on invocations per instance "
        "and scale-in / scale-out cooldowns (registered by a custom resource after the endpoint is up).",
        ("Inference",),
        ("ml_constructs/variant_scaling.py", "ml_constructs/guarded_endpoint.py"),
        (S("Custom::VariantScaling", contains=("SageMakerVariantInvocationsPerInstance", '"ScaleInCooldown"')),),
    ),
    Pattern(
        "E5",
        "Several instances in production",
        "The production profile keeps at least two instances on every variant, so SageMaker spreads them across zones.",
        ("Inference",),
        ("ml_constructs/guarded_endpoint.py", "config/inference.py"),
        (S("Custom::VariantScaling", contains=('"MinCapacity":2',)),),
    ),
    Pattern(
        "E6",
        "Data capture and opt-in monitoring",
        "Data capture to S3 with KMS on the real-time endpoints; a data-quality monitoring schedule as an "
        "opt-in (Model Monitor is closed to new customers and missing in some regions).",
        ("Inference",),
        (
            "ml_constructs/guarded_endpoint.py",
            "ml_constructs/data_quality_monitor.py",
        ),
        (
            S(ENDPOINT_CONFIG, contains=('"DataCaptureConfig"', '"EnableCapture":true')),
            S("AWS::SageMaker::MonitoringSchedule"),
        ),
    ),
    Pattern(
        "E7",
        "KMS on endpoint storage",
        "KmsKeyId on every endpoint configuration with instance variants.",
        ("Inference",),
        ("ml_constructs/guarded_endpoint.py",),
        (S(ENDPOINT_CONFIG, contains=('"KmsKeyId"', '"InstanceType"')),),
    ),
    Pattern(
        "E8",
        "Serverless inference",
        "A serverless variant with memory size and maximum concurrency.",
        ("Inference",),
        ("ml_constructs/serverless_endpoint.py",),
        (S(ENDPOINT_CONFIG, contains=('"ServerlessConfig"',)),),
    ),
    Pattern(
        "E9",
        "Asynchronous inference",
        "Output and failure paths in S3 with KMS, and SNS notifications.",
        ("Inference",),
        ("ml_constructs/guarded_endpoint.py",),
        (S(ENDPOINT_CONFIG, contains=('"AsyncInferenceConfig"', '"S3FailurePath"', '"NotificationConfig"')),),
    ),
    Pattern(
        "E10",
        "Inference pipeline",
        "A pipeline model of ordered containers: pre-process, predict, post-process.",
        ("Inference",),
        ("ml_constructs/hosted_model.py",),
        (S("AWS::SageMaker::Model", contains=('"Containers"',)),),
    ),
    Pattern(
        "E11",
        "API Gateway, Lambda, endpoint",
        "A REST API with IAM authorization, throttling and access logs, calling a Lambda in the VPC that "
        "invokes the endpoint through sagemaker.runtime.",
        ("Inference",),
        ("ml_constructs/inference_api.py",),
        (S("AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Method"),),
    ),
    Pattern(
        "E12",
        "Alarms and a dashboard",
        "Alarms on ModelLatency and Invocation5XXErrors, and a dashboard.",
        ("Inference",),
        (
            "ml_constructs/guarded_endpoint.py",
            "ml_constructs/alarm_topic.py",
        ),
        (
            S("AWS::CloudWatch::Alarm", contains=('"MetricName":"ModelLatency"',)),
            S("AWS::CloudWatch::Alarm", contains=('"MetricName":"Invocation5XXErrors"',)),
            S("AWS::CloudWatch::Dashboard"),
        ),
    ),
    Pattern(
        "E13",
        "Shipped model artifacts",
        "Small, reproducibly built model.tar.gz artifacts (tested to load and predict) shipped as assets, so "
        "a sandbox deploy comes up InService.",
        ("Inference",),
        ("ml_constructs/hosted_model.py", "scripts/build_models.py", "stacks/images.py"),
        (S("AWS::SageMaker::Model", contains=("ModelDataUrl", "cdk-hnb659fds-assets")),),
    ),
    Pattern(
        "E14",
        "Elastic Inference (retired)",
        "AWS retired Elastic Inference; the config has no accelerator field, and GPU or Inferentia instance "
        "types replace it.",
        ("Inference",),
        ("config/inference.py",),
        status=DOCUMENTED,
        note="Documented in docs/inference.md; a test keeps AcceleratorType out of every endpoint configuration.",
    ),
)
