#!/usr/bin/env python3
"""CDK app entry point: the only place that reads the environment.

Select a profile with `-c profile=NAME` (default: sandbox) or any file with
`-c config=PATH`. A bad configuration is reported field by field on stderr and the app
exits with status 2 before any template is written.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk

from config import ConfigError, load_config
from stacks import build_platform


def main() -> int:
    app = cdk.App()
    profile = app.node.try_get_context("profile")
    config_path = app.node.try_get_context("config")
    try:
        config = load_config(profile=profile, config_path=config_path)
        build_platform(app, config)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
