"""SageMaker hosting: isolated models, guarded endpoints, autoscaling, monitoring (N7, E1-E10, E12, E13).

SageMaker hosting has no L2 construct in aws-cdk-lib; these wrap the L1 resources with the
project's rules: every model isolated inside the VPC unless an exception is declared, every
instance-backed endpoint configuration KMS-encrypted, endpoint updates guarded by alarms.
"""

from __future__ import annotations

from ml_constructs.alarm_topic import allow_alarm_publications
from ml_constructs.data_quality_monitor import DataQualityMonitor
from ml_constructs.guarded_endpoint import (
    LOCAL_STORAGE_NO_KEY,
    AlarmThresholds,
    Autoscaling,
    GuardedEndpoint,
    Guardrails,
    Variant,
)
from ml_constructs.hosted_model import MODELS_DIR, SCRIPT_DIRECTORY, Container, HostedModel, model_artifact
from ml_constructs.inference_role import InferenceRole
from ml_constructs.serverless_endpoint import ServerlessEndpoint

__all__ = [
    "LOCAL_STORAGE_NO_KEY",
    "MODELS_DIR",
    "SCRIPT_DIRECTORY",
    "AlarmThresholds",
    "Autoscaling",
    "Container",
    "DataQualityMonitor",
    "GuardedEndpoint",
    "Guardrails",
    "HostedModel",
    "InferenceRole",
    "ServerlessEndpoint",
    "Variant",
    "allow_alarm_publications",
    "model_artifact",
]
