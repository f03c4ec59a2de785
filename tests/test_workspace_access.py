"""The workspace stack: notebooks, Studio, roles and guardrails (N5, N6, N8, N9, N13, G1)."""

from __future__ import annotations

import pytest
from helpers import as_list, statements
from workspace_helpers import (
    OWNED,
    by_sid,
    imported,
    managed_policy,
    resources,
)

# --- N13: where presigned URLs may come from --------------------------------------------------------------


def url_statements(assembly) -> dict[str, dict]:
    _, policy = managed_policy(assembly, "Data scientists")
    return {
        sid: s
        for sid, s in by_sid(policy["Properties"]["PolicyDocument"]).items()
        if any("CreatePresigned" in a for a in as_list(s["Action"]))
    }


def test_n13_presigned_urls_only_through_the_vpc_endpoints_by_default(profile):
    """The session's every request and WebSocket frame is authorized again: the condition admits
    both the SageMaker API endpoint and the notebook (Studio) endpoint the browser goes through."""
    assert profile.config.workspace.access.mode == "vpc-endpoints"
    urls = url_statements(profile)
    assert set(urls) == {"OwnNotebookUrlThroughVpcEndpoints", "OwnStudioProfileUrlThroughVpcEndpoints"}
    for sid, browser in (
        ("OwnNotebookUrlThroughVpcEndpoints", "Notebook"),
        ("OwnStudioProfileUrlThroughVpcEndpoints", "Studio"),
    ):
        condition = urls[sid]["Condition"]
        assert set(condition) == {"StringEquals"}, sid
        endpoints = condition["StringEquals"]["aws:SourceVpce"]
        notebooks = profile.config.workspace.notebooks.enabled
        if browser == "Notebook" and not notebooks:
            # No notebook, so no notebook endpoint (it bills per zone-hour): only the API endpoint is named,
            # and a URL for a notebook that does not exist opens nothing (production).
            (api,) = as_list(endpoints)
            assert imported(api, "SageMakerApi"), sid
            continue
        api, browser_endpoint = endpoints
        assert imported(api, "SageMakerApi") and imported(browser_endpoint, browser), sid
        assert condition["StringEquals"]["sagemaker:ResourceTag/owner"] == "${aws:PrincipalTag/owner}"


def test_n13_presigned_urls_from_a_vpc_range_and_from_the_internet(variant):
    """Mode both: through the endpoints only from the VPC range (aws:VpcSourceIp with aws:SourceVpc),
    and over the internet from the office range (aws:SourceIp, which requests through an endpoint
    never carry), each in a statement of its own (conditions of one statement are ANDed)."""
    urls = url_statements(variant)
    assert set(urls) == {
        "OwnNotebookUrlThroughVpcEndpoints",
        "OwnStudioProfileUrlThroughVpcEndpoints",
        "OwnNotebookUrlFromInternetCidrs",
        "OwnStudioProfileUrlFromInternetCidrs",
    }
    for sid in ("OwnNotebookUrlThroughVpcEndpoints", "OwnStudioProfileUrlThroughVpcEndpoints"):
        condition = urls[sid]["Condition"]
        assert condition["IpAddress"] == {"aws:VpcSourceIp": ["10.40.0.0/20"]}
        assert imported(condition["StringEquals"]["aws:SourceVpc"], "NetworkVpc")
        assert len(condition["StringEquals"]["aws:SourceVpce"]) == 2
    for sid in ("OwnNotebookUrlFromInternetCidrs", "OwnStudioProfileUrlFromInternetCidrs"):
        assert urls[sid]["Condition"] == {"StringEquals": OWNED, "IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}


def test_n13_no_other_statement_allows_presigned_urls(profile):
    for resource in resources(profile, "AWS::IAM::ManagedPolicy").values():
        for statement in statements(resource["Properties"]["PolicyDocument"]):
            if statement["Effect"] == "Allow" and statement["Sid"] not in url_statements(profile):
                assert not any("CreatePresigned" in a for a in as_list(statement["Action"])), statement["Sid"]


# --- G1: AWS Config rules behind a switch ------------------------------------------------------------------


def test_g1_config_rules_for_sagemaker_when_switched_on(production):
    rules = production.resources("Governance", "AWS::Config::ConfigRule")
    identifiers = sorted(r["Properties"]["Source"]["SourceIdentifier"] for r in rules.values())
    assert identifiers == sorted(
        [
            "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS",
            "SAGEMAKER_NOTEBOOK_INSTANCE_KMS_KEY_CONFIGURED",
            "SAGEMAKER_NOTEBOOK_INSTANCE_ROOT_ACCESS_CHECK",
            "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC",
            "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED",
        ]
    )
    assert all(r["Properties"]["Source"]["Owner"] == "AWS" for r in rules.values())


def test_g1_no_config_rules_when_switched_off(sandbox):
    assert sandbox.platform.governance is None
    assert not (sandbox.outdir / "Governance.template.json").exists()


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_variant_gives_every_data_scientist_a_notebook_and_a_profile(variant, name):
    notebooks = [
        n["Properties"]["NotebookInstanceName"] for n in resources(variant, "AWS::SageMaker::NotebookInstance").values()
    ]
    assert f"secure-ml-{variant.config.profile}-{name}" in notebooks
    profiles = [p["Properties"]["UserProfileName"] for p in resources(variant, "AWS::SageMaker::UserProfile").values()]
    assert name in profiles
