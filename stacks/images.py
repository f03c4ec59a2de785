"""SageMaker container image URIs, from the SageMaker Python SDK's own image data (N7, E13).

The SDK ships, for every algorithm and framework version, the registry account of every
region; resolving through it keeps templates correct per region without a hand-kept table.
No AWS call is made: these images come from the SDK's bundled JSON.
"""

from __future__ import annotations

import functools

from config import ConfigError


@functools.cache
def image_uri(family: str, version: str | None, region: str, instance_type: str | None = None) -> str:
    """The image URI for `family`:`version` in `region`; ConfigError when the SDK has none."""
    from sagemaker.core import image_uris  # ~2 s import: only when an inference stack is built

    try:
        return image_uris.retrieve(family, region=region, version=version, instance_type=instance_type)
    except ValueError as error:
        raise ConfigError(
            "the selected profile",
            [f"SageMaker image {family}:{version or 'latest'} for instance {instance_type} in {region}: {error}"],
        ) from None
