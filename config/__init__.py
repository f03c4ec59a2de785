"""Deployment profiles: YAML files beside this module, validated by `config.model`."""

from config.loader import ConfigError, load_config, parse_config
from config.model import ProjectConfig

__all__ = ["ConfigError", "ProjectConfig", "load_config", "parse_config"]
