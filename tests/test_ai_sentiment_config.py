"""A1 caller sentiment: the configuration refuses what AWS does not accept (proves A1)."""

from __future__ import annotations

import re

import pytest
from conftest import with_changes

from config import ProjectConfig, load_config

# --- Config -------------------------------------------------------------------------------------------


def test_a1_config_refuses_what_aws_does_not_accept():
    """proves A1: language, media formats and sizes outside AWS's documented values are refused."""
    base = load_config("sandbox")
    bad = [
        ({"ai_services.sentiment.language_code": "sv-SE"}, "Comprehend's DetectSentiment"),
        ({"ai_services.sentiment.media_formats": ["aac"]}, "media_formats"),
        ({"ai_services.sentiment.max_media_mb": 4096}, "max_media_mb"),
        ({"ai_services.sentiment.sentiment_characters": 2000}, "sentiment_characters"),
    ]
    for changes, expected in bad:
        with pytest.raises(ValueError, match=re.escape(expected)):
            with_changes(base, **changes)
    assert (
        with_changes(base, **{"ai_services.sentiment.language_code": "de-DE"}).ai_services.sentiment.comprehend_language
        == "de"
    )


def test_a1_region_without_comprehend_is_refused_naming_the_switch():
    """proves A1: Transcribe and Comprehend must have endpoints in the region (botocore's endpoint data)."""
    data = load_config("sandbox").model_dump()
    data["region"] = "eu-north-1"
    data["governance"]["budget"]["enabled"] = False
    with pytest.raises(ValueError, match=r"ai_services\.sentiment\.enabled: comprehend has no endpoint in eu-north-1"):
        ProjectConfig.model_validate(data)
    data["ai_services"]["sentiment"]["enabled"] = False
    ProjectConfig.model_validate(data)


def test_a1_production_leaves_the_chain_off():
    """Production is the ML platform's profile; call recordings are personal data whose processing it does not
    take on by default (see config/production.yaml)."""
    assert load_config("production").ai_services.sentiment.enabled is False
    assert load_config("demo").ai_services.sentiment.enabled is True
