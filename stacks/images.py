"""SageMaker container image URIs, from the SageMaker Python SDK's own image data (N7, E13).

The SDK ships, for every algorithm and framework version, the registry account of every
region; resolving through it keeps templates correct per region without a hand-kept table.
No AWS call is made: these images come from the SDK's bundled JSON.
"""

from __future__ import annotations

import functools

from config import ConfigError, regional


@functools.cache
def image_uri(family: str, version: str | None, region: str, instance_type: str | None = None) -> str:
    """The image URI for `family`:`version` in `region`; ConfigError when the SDK has none.

    The lookup itself lives in `config.regional`, which refuses a profile whose region lacks an
    image before any stack is built; this error is the backstop for a lookup the table misses.
    """
    try:
        return regional.image_uri(family, version, region, instance_type)
    except ValueError as error:
        raise ConfigError(
            "the selected profile",
            [f"SageMaker image {family}:{version or 'latest'} for instance {instance_type} in {region}: {error}"],
        ) from None
