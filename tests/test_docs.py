"""The docs: generated sections current, links and anchors resolve, diagrams drawn from the synth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

from scripts import diagrams, docs

FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


@pytest.mark.parametrize("page", docs.pages(), ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(page: Path):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no file {resolved.relative_to(ROOT)}")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    assert "## Contents" in text
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in text or page.name not in {p.name for p in docs.pages()}
    assert "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20" in text
    assert "`ml_constructs/`" in text and "shadow" in text


def test_every_generated_section_is_on_exactly_one_page():
    marked = [name for page in docs.pages() for name in docs.names(page.read_text(encoding="utf-8"))]
    for name in [*docs.SECTIONS, *docs.ASSEMBLY_SECTIONS]:
        assert marked.count(name) == 1, name


def test_generated_sections_are_current():
    produced = docs.produce({})
    for page in docs.pages():
        text = page.read_text(encoding="utf-8")
        assert docs.render(text, produced) == text, f"{page.relative_to(ROOT)} is stale: run make docs"


@pytest.mark.parametrize("name", sorted(docs.ASSEMBLY_SECTIONS))
def test_sections_drawn_from_a_synth_match_this_sessions_synth(name, request):
    """The README's synth sample and cost summary, the architecture diagrams and the cost table (G2),
    against the templates synthesized here (each profile's session fixture)."""
    profiles_of, make = docs.ASSEMBLY_SECTIONS[name]
    assemblies = {p: request.getfixturevalue(p).outdir for p in profiles_of()}
    text = "".join(page.read_text(encoding="utf-8") for page in docs.pages())
    assert docs.current(text, name) == make(assemblies), f"{name} is stale: run make docs"


def test_architecture_page_names_its_profile():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"`{docs.diagram_profile()}` profile" in page


# A tiny hand-made assembly: two stacks, a provider to drop, a policy to fold, a cross-stack import.
BASE = {
    "Resources": {
        "Key1": {"Type": "AWS::KMS::Key", "Metadata": {"aws:cdk:path": "Base/DataKey/Resource"}},
        "Alias1": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"TargetKeyId": {"Ref": "Key1"}},
            "Metadata": {"aws:cdk:path": "Base/DataKey/Alias/Resource"},
        },
        "Bucket1": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"Encryption": {"Fn::GetAtt": ["Key1", "Arn"]}},
            "Metadata": {"aws:cdk:path": "Base/Store/Bucket/Resource"},
        },
        "Provider1": {
            "Type": "AWS::Lambda::Function",
            "Metadata": {"aws:cdk:path": "Base/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler"},
        },
        "Cleanup1": {
            "Type": "Custom::S3AutoDeleteObjects",
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider1", "Arn"]}, "Bucket": {"Ref": "Bucket1"}},
            "Metadata": {"aws:cdk:path": "Base/Store/Bucket/AutoDelete/Default"},
        },
        "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Metadata": {"aws:cdk:path": "Base/CDKMetadata/Default"}},
    },
    "Outputs": {
        "ExportKey": {"Value": {"Fn::GetAtt": ["Key1", "Arn"]}, "Export": {"Name": "base:KeyArn"}},
    },
}
APP = {
    "Resources": {
        "Role1": {"Type": "AWS::IAM::Role", "Metadata": {"aws:cdk:path": "App/Service/Role/Resource"}},
        "Policy1": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"Roles": [{"Ref": "Role1"}], "Doc": {"Fn::ImportValue": "base:KeyArn"}},
            "Metadata": {"aws:cdk:path": "App/Service/Role/Grants/Resource"},
        },
        "Fn1": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["Role1", "Arn"]}},
            "Metadata": {"aws:cdk:path": "App/Service/Function/Resource"},
        },
        "Queue1": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"Name": {"Fn::Sub": "${Fn1}-dlq-${AWS::Region}"}},
            "DependsOn": ["Fn1"],
            "Metadata": {"aws:cdk:path": "App/Dlq/Resource"},
        },
        "Guard1": {"Type": "AWS::IAM::ManagedPolicy", "Metadata": {"aws:cdk:path": "App/Guardrails/Resource"}},
    },
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    artifacts = {}
    for artifact_id, name, template in (("Base", "x-base", BASE), ("App", "x-app", APP)):
        (tmp_path / f"{artifact_id}.template.json").write_text(json.dumps(template))
        artifacts[f"{artifact_id}.assets"] = {"type": "cdk:asset-manifest"}
        artifacts[artifact_id] = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"{artifact_id}.template.json", "stackName": name},
        }
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return tmp_path


def test_diagrams_group_by_top_level_construct_and_drop_cdk_noise(tiny: Path):
    base, app = diagrams.load(tiny)
    assert base.groups == {"Key1": "DataKey", "Alias1": "DataKey", "Bucket1": "Store", "Cleanup1": "Store"}
    assert base.dropped == 2  # the provider function and CDK metadata
    chart = diagrams.flowchart(base, [base, app])
    assert 'n_DataKey["<b>DataKey</b><br/>KMS Key"]' in chart  # the alias is folded into its key
    assert 'n_Store["<b>Store</b><br/>S3 Bucket"]' in chart  # the auto-delete custom resource too
    assert "Provider" not in chart and "Metadata" not in chart
    assert chart.splitlines()[-1] == "  n_Store --> n_DataKey"


def test_diagrams_draw_references_and_cross_stack_imports(tiny: Path):
    base, app = diagrams.load(tiny)
    chart = diagrams.flowchart(app, [base, app])
    assert 'n_Service["<b>Service</b><br/>IAM Role, Lambda Function"]' in chart  # policy folded, not listed
    assert 'n_Guardrails["<b>Guardrails</b><br/>IAM ManagedPolicy"]' in chart  # listed: nothing else there
    assert 'subgraph s_Base["stack Base"]' in chart and 'x_Base_DataKey(["DataKey"])' in chart
    edges = [line.strip() for line in chart.splitlines() if "-->" in line]
    assert edges == sorted(edges)
    assert edges == ["n_Dlq --> n_Service", "n_Service --> x_Base_DataKey"]  # Sub + DependsOn; the import


def test_diagrams_expand_a_construct_that_holds_the_whole_stack(tiny: Path):
    only = {
        "Resources": {
            "A": {"Type": "AWS::EC2::VPC", "Metadata": {"aws:cdk:path": "Net/Network/Vpc/Resource"}},
            "B": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"VpcId": {"Ref": "A"}},
                "Metadata": {"aws:cdk:path": "Net/Network/Group/Resource"},
            },
        }
    }
    (tiny / "App.template.json").write_text(json.dumps(only))
    _, app = diagrams.load(tiny)
    assert app.prefix == ("Network",) and app.groups == {"A": "Vpc", "B": "Group"}
    chart = diagrams.flowchart(app, [app])
    assert 'subgraph g_Network["Network"]' in chart and "n_Group --> n_Vpc" in chart


def test_diagrams_are_deterministic(tiny: Path):
    assert diagrams.markdown(tiny, "tiny") == diagrams.markdown(tiny, "tiny")
    assert "`tiny` profile" in diagrams.markdown(tiny, "tiny")
