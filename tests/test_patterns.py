"""The pattern catalog (scripts/catalog.py) against the code, the tests and the synthesized profiles."""

from __future__ import annotations

import contextlib
import json

import pytest

from scripts import catalog
from scripts.catalog import DOCUMENTED, IMPLEMENTED, PATTERNS, PLANNED

IMPLEMENTED_PATTERNS = [p for p in PATTERNS if p.status == IMPLEMENTED]


def test_the_id_pattern_finds_citations_and_nothing_else():
    cited = catalog.cited_ids
    assert cited("# proves N5: private notebooks") == {"N5"}
    assert cited('"""The private network stack (patterns N1, N2, N3, N4, N12, N14)."""') == {
        "N1",
        "N2",
        "N3",
        "N4",
        "N12",
        "N14",
    }
    assert cited("# --- I4, I5: Parquet and partitions ---") == {"I4", "I5"}
    assert cited("(N7, E1-E13)") == {"N7", *(f"E{n}" for n in range(1, 14))}
    assert cited("M1/M5/M7 jobs, N9/N13") == {"M1", "M5", "M7", "N9", "N13"}
    assert cited('id="E2-two-production-variants"') == {"E2"}
    # Instance types, GPU names, ruff codes, pack rule ids and dotted names are not pattern IDs.
    for text in (
        "ml.m5.large",
        "ml.g5.xlarge and ml.inf2.xlarge",
        "g4dn, g5, p4d, m5d",
        "# noqa: E402",
        "N802 I001 E501",
        "NVIDIA A10G",
        "AwsSolutions-IAM5 AwsSolutions-SM1 AwsSolutions-APIG3",
        "CT.S3.PR.10 CT.LAMBDA.PR.3",
        "sha e1f0a2 M2x E1a",
        "us-east-1",
    ):
        assert cited(text) == set(), text


def test_the_catalog_defines_each_id_once_in_a_known_status():
    ids = [p.id for p in PATTERNS]
    assert len(ids) == len(set(ids))
    expected = {
        *(f"N{n}" for n in range(1, 15)),
        *(f"I{n}" for n in range(1, 12)),
        *(f"E{n}" for n in range(1, 15)),
        *(f"M{n}" for n in range(1, 8)),
        *(f"A{n}" for n in range(1, 5)),
        *(f"G{n}" for n in range(1, 3)),
    }
    assert set(ids) == expected
    for p in PATTERNS:
        assert p.status in (IMPLEMENTED, DOCUMENTED, PLANNED), p.id
        assert p.title and p.rule, p.id
        # Only implemented patterns have selectors; planned ones name no stack or module.
        assert bool(p.selectors) == (p.status == IMPLEMENTED), p.id
        if p.status == PLANNED:
            assert not p.stacks and not p.modules, p.id
        for module in p.modules:
            assert (catalog.ROOT / module).is_file(), f"{p.id}: {module} does not exist"


def test_every_id_cited_in_code_or_tests_is_in_the_catalog():
    undefined = {
        pattern_id: sorted(files)
        for pattern_id, files in catalog.citations().items()
        if pattern_id not in catalog.BY_ID
    }
    assert undefined == {}


def test_planned_patterns_are_cited_nowhere_as_implemented():
    planned = {p.id for p in PATTERNS if p.status == PLANNED}
    assert planned == {f"A{n}" for n in range(2, 5)}  # spelt out here, this file would cite them
    cited = catalog.citations()
    proofs = catalog.proving_tests()
    assert {i: sorted(cited[i]) for i in planned if i in cited} == {}
    assert {i: sorted(proofs[i]) for i in planned if i in proofs} == {}


def test_every_pattern_that_is_not_planned_has_a_proving_test():
    proofs = catalog.proving_tests()
    missing = [p.id for p in PATTERNS if p.status != PLANNED and not proofs.get(p.id)]
    assert missing == []


def test_the_proving_test_scanner_reads_sections_docstrings_and_proves_comments(tmp_path):
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_sample.py").write_text(
        '"""Module about things (pattern M6)."""\n\n\n'
        "def test_before_any_section():\n    pass\n\n\n"
        "# --- N1, N2: network ---------------------------\n\n\n"
        "def test_in_section():\n    pass\n\n\n"
        'def test_with_docstring():\n    """E3: guardrails."""\n\n\n'
        "def test_with_comment():\n    # proves I7: crawler\n    pass\n\n\n"
        "def helper():\n    # proves G1\n    pass\n"
    )
    (tests / "test_module.py").write_text('"""The handler (pattern M6)."""\n\n\ndef test_one():\n    pass\n')
    found = catalog.proving_tests(tests, tmp_path)
    assert found == {
        "N1": {
            "tests/test_sample.py::test_in_section",
            "tests/test_sample.py::test_with_docstring",
            "tests/test_sample.py::test_with_comment",
        },
        "N2": {
            "tests/test_sample.py::test_in_section",
            "tests/test_sample.py::test_with_docstring",
            "tests/test_sample.py::test_with_comment",
        },
        "E3": {"tests/test_sample.py::test_with_docstring"},
        "I7": {"tests/test_sample.py::test_with_comment"},
        "M6": {"tests/test_module.py::test_one"},
    }


def _assemblies(request: pytest.FixtureRequest) -> list:
    """The shipped profiles, the variant (switches both profiles leave off, e.g. N14's egress), and
    the demo profile where the suite defines it."""
    found = [request.getfixturevalue(name) for name in ("sandbox", "production", "variant")]
    with contextlib.suppress(pytest.FixtureLookupError):
        found.append(request.getfixturevalue("demo"))
    return found


def test_every_implemented_pattern_matches_resources_in_a_synthesized_profile(request):
    resources = []
    stacks = set()
    for assembly in _assemblies(request):
        for template in sorted(assembly.outdir.glob("*.template.json")):
            stacks.add(template.name.removesuffix(".template.json"))
            resources += json.loads(template.read_text()).get("Resources", {}).values()
    unmatched = [p.id for p in IMPLEMENTED_PATTERNS if not any(p.matches(r) for r in resources)]
    assert unmatched == []
    # Each selector finds something too: a stale alternative would describe resources that no longer exist.
    stale = [
        (p.id, s.describe())
        for p in IMPLEMENTED_PATTERNS
        for s in p.selectors
        if not any(s.matches(r) for r in resources)
    ]
    assert stale == []
    unknown_stacks = {p.id: sorted(set(p.stacks) - stacks) for p in PATTERNS if set(p.stacks) - stacks}
    assert unknown_stacks == {}


def test_e14_elastic_inference_is_retired_nothing_asks_for_an_accelerator(profile):
    """E14: no endpoint configuration names an Elastic Inference accelerator, and the config has no field
    for one (GPU and Inferentia instance types replace it)."""
    from config.inference import InferenceConfig

    for template in profile.outdir.glob("*.template.json"):
        for resource in json.loads(template.read_text()).get("Resources", {}).values():
            if resource["Type"] == "AWS::SageMaker::EndpointConfig":
                for variant in resource["Properties"].get("ProductionVariants", []):
                    assert "AcceleratorType" not in variant
    assert "accelerator" not in json.dumps(InferenceConfig.model_json_schema()).lower()
    guide = (catalog.ROOT / "docs" / "inference.md").read_text()
    assert "**Elastic Inference (E14)** is retired by AWS" in guide


def test_docs_patterns_md_is_what_the_generator_writes():
    assert catalog.DOC.read_text() == catalog.render(), "run: python -m scripts.catalog --write"
