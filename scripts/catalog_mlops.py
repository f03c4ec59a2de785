"""The catalog's M, A and G patterns: training and MLOps pipelines, managed AI service chains,
governance and cost (see scripts/catalog.py)."""

from __future__ import annotations

from scripts.catalog_model import (
    PIPELINE,
    PLANNED,
    Pattern,
    S,
)

MLOPS_PATTERNS: tuple[Pattern, ...] = (
    # --- M: training and MLOps pipelines ------------------------------------------------------------------
    Pattern(
        "M1",
        "SageMaker Pipeline from the SDK",
        "A pipeline built with the SageMaker Python SDK and deployed by CDK: processing, training, "
        "evaluation, a metric condition, model registration.",
        ("Pipelines",),
        ("pipelines/training.py", "ml_constructs/training_pipeline.py"),
        (
            S(
                PIPELINE,
                contains=("AppSpecification", "AlgorithmSpecification", "GreaterThanOrEqualTo", "RegisterModel"),
            ),
        ),
    ),
    Pattern(
        "M2",
        "Isolated, encrypted jobs",
        "Training and processing steps with network isolation, VPC configuration, inter-container "
        "encryption, volume key and output key.",
        ("Pipelines",),
        ("pipelines/training.py", "ml_constructs/sagemaker_guardrails.py"),
        (
            S(
                PIPELINE,
                contains=(
                    "EnableNetworkIsolation",
                    "VpcConfig",
                    "EnableInterContainerTrafficEncryption",
                    "VolumeKmsKeyId",
                ),
            ),
        ),
    ),
    Pattern(
        "M3",
        "Spot with checkpoints",
        "Managed spot training with a checkpoint location in S3 and a maximum wait time.",
        ("Pipelines",),
        ("pipelines/training.py",),
        (S(PIPELINE, contains=("EnableManagedSpotTraining", "CheckpointConfig", "MaxWaitTimeInSeconds")),),
    ),
    Pattern(
        "M4",
        "Input mode and distribution per channel",
        "Input mode and S3 distribution type set per channel from config.",
        ("Pipelines",),
        ("pipelines/training.py",),
        (S(PIPELINE, contains=("InputMode", "S3DataDistributionType")),),
    ),
    Pattern(
        "M5",
        "Automatic model tuning",
        "A tuning step: Bayesian strategy, small log-scaled ranges, few parallel jobs, early stopping.",
        ("Pipelines",),
        ("pipelines/training.py",),
        (S(PIPELINE, contains=("HyperParameterTuningJobConfig", "Bayesian")),),
        note="On in production, off in the sandbox.",
    ),
    Pattern(
        "M6",
        "Registry, approval, deployment",
        "A model package group; the approval event deploys the approved package to the endpoint.",
        ("Pipelines",),
        ("ml_constructs/training_pipeline.py",),
        (S("AWS::SageMaker::ModelPackageGroup"), S("AWS::Events::Rule", contains=("Approved",))),
    ),
    Pattern(
        "M7",
        "Batch transform",
        "A transform step scores a whole dataset without a persistent endpoint.",
        ("Pipelines",),
        ("pipelines/training.py",),
        (S(PIPELINE, contains=("TransformInput",)),),
    ),
    # --- A: managed AI service chains ------------------------------------------------------------------
    Pattern(
        "A1",
        "Caller sentiment",
        "Transcribe then Comprehend: S3 upload, Step Functions service integrations, result JSON in S3.",
        ("AiServices",),
        (
            "ml_constructs/ai_sentiment.py",
            "ml_constructs/ai_sentiment_definition.py",
            "ml_constructs/ai_sentiment_access.py",
            "config/ai_services.py",
        ),
        (
            S(
                "AWS::StepFunctions::StateMachine",
                contains=("aws-sdk:transcribe:startTranscriptionJob", "aws-sdk:comprehend:detectSentiment"),
            ),
            S("AWS::Events::Rule", contains=("Object Created", "DeadLetterConfig")),
        ),
        note="On in the sandbox and demo profiles, off in production.",
    ),
    Pattern(
        "A2",
        "Universal translator",
        "Transcribe, Translate, Polly: the same shape as A1, audio out.",
        status=PLANNED,
    ),
    Pattern(
        "A3",
        "Voice assistant",
        "Transcribe, Lex, Polly: the same shape with a Lex bot.",
        status=PLANNED,
    ),
    Pattern(
        "A4",
        "Object and celebrity detection",
        "Rekognition on an S3 (or Kinesis Video) source; DeepLens is retired.",
        status=PLANNED,
    ),
    # --- G: governance and cost ------------------------------------------------------------------------------
    Pattern(
        "G1",
        "AWS Config rules",
        "AWS Config managed rules for SageMaker (notebook without direct internet, notebook KMS, endpoint "
        "configuration KMS) where Config is enabled, and an optional recorder.",
        ("Governance",),
        ("ml_constructs/config_rules.py", "ml_constructs/config_recorder.py"),
        (S("AWS::Config::ConfigRule"), S("AWS::Config::ConfigurationRecorder")),
    ),
    Pattern(
        "G2",
        "Idle cost and a budget",
        "A per-profile idle-cost estimate, and a budget alarm in the sandbox profile.",
        ("SecurityBaseline",),
        ("ml_constructs/cost_budget.py", "scripts/cost.py"),
        (S("AWS::Budgets::Budget"),),
    ),
)
