"""The SageMaker Python SDK, used offline: pipeline definitions are built at synth time.

Building a definition with the SDK must not reach AWS or the network, whatever credentials
the machine has, and must give the same bytes everywhere. Measured on SDK 3.27
(../shared/facts.md):

- the SDK looks up a region, probes the instance metadata service, and validates roles with
  IAM unless AWS_DEFAULT_REGION, AWS_EC2_METADATA_DISABLED and SAGEMAKER_VALIDATE_ROLE=false
  are set; `offline()` sets them only while a definition is built, then restores them;
- its telemetry threads call S3 unless the SDK config says TelemetryOptOut; the session
  carries that config;
- `default_bucket()` and `expand_role()` call STS, S3 and IAM; the session answers both
  itself, roles must be written as ARNs, and every S3 location is explicit;
- the session's boto3 clients have fake credentials and refuse to send any request, so a
  code path that would call AWS fails loudly instead of using the machine's credentials;
- with a config present, the SDK validates the whole config against its JSON schema on every
  lookup (about 75 per definition, 0.2 s each); `offline()` validates ours once and skips
  re-validating that same object.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator

SDK_CONFIG = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
_ENVIRONMENT = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "SAGEMAKER_VALIDATE_ROLE": "false",
}


class OfflineRequest(RuntimeError):
    """The SDK tried to call AWS while building a definition."""


def _refuse(request, **_kwargs) -> None:
    raise OfflineRequest(f"the SageMaker SDK tried to call AWS while building a definition: {request.url}")


@contextlib.contextmanager
def offline(region: str) -> Iterator[None]:
    """Environment and SDK settings for building definitions without AWS, restored afterwards."""
    saved = {name: os.environ.get(name) for name in (*_ENVIRONMENT, "AWS_DEFAULT_REGION")}
    os.environ.update({**_ENVIRONMENT, "AWS_DEFAULT_REGION": region})
    from sagemaker.core.config.config_manager import SageMakerConfig

    original = SageMakerConfig.__dict__["validate_sagemaker_config"]
    SageMakerConfig.validate_sagemaker_config(SDK_CONFIG)

    def validate(sagemaker_config=None):
        if sagemaker_config is SDK_CONFIG:
            return None
        return original.__func__(sagemaker_config)

    SageMakerConfig.validate_sagemaker_config = staticmethod(validate)
    # The SDK narrates at INFO and WARNING what it leaves out of a definition; synth output stays ours.
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Running within a PipelineSession")
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="sagemaker")
            yield
    finally:
        logging.disable(logging.NOTSET)
        SageMakerConfig.validate_sagemaker_config = original
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pipeline_session(region: str, bucket: str):
    """A PipelineSession that answers its own bucket and roles and can send no request."""
    import boto3
    import botocore.session
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    core = botocore.session.Session()
    core.set_credentials("offline", "offline")
    core.get_component("event_emitter").register("before-send", _refuse)
    boto = boto3.Session(botocore_session=core, region_name=region)

    class OfflinePipelineSession(PipelineSession):
        def default_bucket(self) -> str:
            return bucket

        def expand_role(self, role: str) -> str:
            return role

    return OfflinePipelineSession(boto_session=boto, default_bucket=bucket, sagemaker_config=SDK_CONFIG)
