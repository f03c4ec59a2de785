"""Preflight (scripts/preflight.py) against botocore's Stubber: stack-name collisions, exports of stacks turned off.

No test calls AWS; the fixture and stubs are shared (tests/preflight_stubs.py).
"""

from __future__ import annotations

from preflight_stubs import (
    ROOT,
    SANDBOX,
    aws_fixture,  # noqa: F401 (the `aws` fixture)
    stack,
    statuses,
    stub_stacks,
    tweak,
)

from scripts import preflight

# --- stack-name collisions ---------------------------------------------------------------------


def test_stack_names_pass_when_nothing_exists_or_the_stacks_are_this_profiles(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("someone-elses-stack")])
    assert preflight.check_stack_names(SANDBOX, client, {})[0].line() == (
        "PASS stack-names: none of the profile's stacks exists yet"
    )
    stub_stacks(stubbers, [stack("secure-ml-sandbox-network"), stack("secure-ml-sandbox-data")])
    [result] = preflight.check_stack_names(SANDBOX, client, {})
    assert result.status == "PASS" and "2 existing" in result.reason


def test_stack_names_fail_for_a_stack_of_another_project_or_profile(aws):
    client, stubbers = aws
    stub_stacks(
        stubbers,
        [
            stack("secure-ml-sandbox-network", description="Team X network"),
            stack("secure-ml-sandbox-data", tags={"project": "secure-ml", "environment": "alice-test"}),
        ],
    )
    results = preflight.check_stack_names(SANDBOX, client, {})
    assert statuses(results) == ["FAIL", "FAIL"]
    assert "not created by this project" in results[0].reason
    assert "environment=alice-test" in results[1].reason and "profile:" in results[1].fix


def test_stack_names_fail_for_a_copied_profile_that_kept_the_name(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("secure-ml-sandbox-network")])
    [result] = preflight.check_stack_names(SANDBOX, client, {"shipped_profile": "config/sandbox.yaml"})
    assert result.status == "FAIL" and "would overwrite the real sandbox" in result.reason


def test_stack_names_warn_while_a_stack_is_busy(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("secure-ml-sandbox-network", status="UPDATE_IN_PROGRESS")])
    assert statuses(preflight.check_stack_names(SANDBOX, client, {})) == ["WARN"]


def test_stack_names_and_descriptions_match_build_platform():
    from stacks.naming import stack_name

    source = (ROOT / "stacks/__init__.py").read_text()
    assert f'description=f"{preflight.DESCRIPTION_PREFIX}: {{summary}}"' in source
    for suffix in preflight.STACKS:
        assert f'"{suffix}",' in source, suffix
        assert preflight.stack_name(SANDBOX, suffix) == stack_name(SANDBOX, suffix)


def test_every_stack_build_platform_creates_is_known_to_preflight_and_teardown(demo):
    """The demo creates every stack: each must be checked by preflight and ordered by the teardown
    (a stack missing from the teardown order would be left behind, holding its imports)."""
    from scripts.teardown_common import DEPENDS_ON, STACK_ORDER

    created = {stack.stack_name for stack in demo.platform.all()}
    expected = {
        preflight.stack_name(demo.config, s) for s, deployed in preflight.STACKS.items() if deployed(demo.config)
    }
    assert created == expected
    assert set(STACK_ORDER) == set(preflight.STACKS)
    assert set(DEPENDS_ON) == set(STACK_ORDER) - {"security-baseline"}


def test_shipped_profile_is_named_only_for_a_copy(tmp_path):
    copy = tmp_path / "mine.yaml"
    copy.write_text((ROOT / "config/sandbox.yaml").read_text())
    assert preflight.shipped_profile(SANDBOX, str(copy)) == "config/sandbox.yaml"
    assert preflight.shipped_profile(SANDBOX, str(ROOT / "config/sandbox.yaml")) is None
    assert preflight.shipped_profile(SANDBOX, None) is None


# --- exports of stacks the profile turns off ---------------------------------------------------

NO_INGESTION = tweak(SANDBOX, "ingestion.enabled", False)
LAKE_ID = "arn:aws:cloudformation:us-east-1:111122223333:stack/secure-ml-sandbox-lake/1"


def stub_exports(stubbers, importers):
    cfn = stubbers["cloudformation"]
    stub_stacks(stubbers, [stack("secure-ml-sandbox-lake"), stack("secure-ml-sandbox-network")])
    exports = [
        {"ExportingStackId": LAKE_ID, "Name": "lake-bucket", "Value": "b"},
        {"ExportingStackId": "arn:aws:cloudformation:us-east-1:1:stack/other/1", "Name": "other", "Value": "v"},
    ]
    cfn.add_response("list_exports", {"Exports": exports}, {})
    if importers:
        cfn.add_response("list_imports", {"Imports": importers}, {"ExportName": "lake-bucket"})
    else:
        cfn.add_client_error(
            "list_imports",
            "ValidationError",
            "Export 'lake-bucket' is not imported by any stack.",
            expected_params={"ExportName": "lake-bucket"},
        )


def test_an_export_still_imported_from_a_stack_turned_off_fails_naming_the_importer(aws):
    client, stubbers = aws
    stub_exports(stubbers, ["secure-ml-sandbox-pipelines"])
    [result] = preflight.check_stale_exports(NO_INGESTION, client, {})
    assert result.status == "FAIL"
    assert (
        "secure-ml-sandbox-lake is off" in result.reason and "imported by secure-ml-sandbox-pipelines" in result.reason
    )


def test_a_stack_turned_off_without_importers_warns(aws):
    client, stubbers = aws
    stub_exports(stubbers, [])
    [result] = preflight.check_stale_exports(NO_INGESTION, client, {})
    assert result.status == "WARN" and "cdk destroy secure-ml-sandbox-lake" in result.fix


def test_no_stack_turned_off_passes_without_listing_exports(aws):
    client, stubbers = aws
    stub_stacks(stubbers, [stack("secure-ml-sandbox-lake")])
    assert preflight.check_stale_exports(SANDBOX, client, {})[0].status == "PASS"
