"""How the account scripts select a profile: `--profile NAME` or `--config PATH`, as the Makefile's
`PROFILE=` / `CONFIG=` pass them, loaded and validated by the project's config loader."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config import ConfigError, ProjectConfig


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="profile name (config/<profile>.yaml); default sandbox")
    parser.add_argument("--config", help="path to a profile YAML file instead of --profile")


def _to_stderr(error: ConfigError) -> None:
    print(error.render(), file=sys.stderr)


def load_selected(args: argparse.Namespace, report: Callable[[ConfigError], None] = _to_stderr) -> ProjectConfig | None:
    """The selected profile, or None after `report` has shown why it is not valid (one line per problem)."""
    from config import ConfigError, load_config

    try:
        return load_config(args.profile, args.config)
    except ConfigError as error:
        report(error)
        return None
