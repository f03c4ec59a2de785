"""The quota table of docs/deploy.md is what the sandbox profile needs (E1-E5 hosting, M1/M3/M7 jobs).

Counts come from config/quotas.py, which reads the profile: every endpoint's variants at their
autoscaling maxima, doubled for a blue/green update's green fleet (E3), and the pipeline's jobs.
"""

from __future__ import annotations

import re

from conftest import ROOT

from config import load_config
from config.quotas import BLUE_GREEN_FACTOR, hosting_at_creation, hosting_instances, instance_quotas


def quota_table() -> dict[str, int]:
    page = (ROOT / "docs" / "deploy.md").read_text()
    section = page.split("<!-- sandbox-quotas:start", 1)[1].split("<!-- sandbox-quotas:end -->", 1)[0]
    return {name: int(count) for name, count in re.findall(r"^\| `([^`]+)` \| (\d+) \|", section, re.M)}


def test_quota_table_matches_the_sandbox_profile():
    assert quota_table() == instance_quotas(load_config("sandbox"))


def test_deploy_page_states_the_hosting_instances_at_creation():
    (created,) = hosting_at_creation(load_config("sandbox")).values()
    page = (ROOT / "docs" / "deploy.md").read_text()
    assert f"{created} hosting instance{'' if created == 1 else 's'} at creation" in page
    assert f"bare minimum to create the stacks is {created} `ml.m5.large for endpoint usage`" in page


def test_e1_e2_e3_hosting_counts_both_real_time_endpoints_at_blue_green_peak():
    """Both rollouts (A/B and shadow test) are counted, the shadow variant at its fixed count, and the peak
    is twice the autoscaling maxima: blue/green provisions a full green fleet before shifting traffic.
    The demo profile deploys both (the sandbox leaves them out, docs/sandbox.md)."""
    config = load_config("demo")
    hosting = hosting_instances(config)
    assert {(h.endpoint, h.variant) for h in hosting} >= {
        ("realtime", "champion"),
        ("realtime", "challenger"),
        ("shadow-test", "champion"),
        ("shadow-test", "shadow"),
    }
    assert not any(h.endpoint == "serverless" for h in hosting)
    peak = instance_quotas(config)["ml.m5.large for endpoint usage"]
    assert peak == BLUE_GREEN_FACTOR * sum(h.maximum for h in hosting)


def test_spot_off_and_monitoring_on_change_the_quotas():
    from conftest import with_changes

    config = with_changes(
        load_config("demo"),  # monitoring watches the A/B endpoint, which the sandbox leaves to the demo
        **{"pipelines.training.spot": False, "inference.realtime.monitoring.enabled": True},
    )
    quotas = instance_quotas(config)
    assert "ml.m5.large for spot training job usage" not in quotas
    assert quotas["ml.m5.large for training job usage"] == 1
    assert quotas["ml.m5.large for processing job usage"] == 2  # the pipeline's step + the monitoring job
