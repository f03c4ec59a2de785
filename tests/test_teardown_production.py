"""The profile teardown (scripts/teardown.py) against botocore's Stubber: production refusals and confirmation.

No AWS calls; the stubbed account and stubs are shared (tests/teardown_account.py, tests/teardown_stubs.py).
"""

from __future__ import annotations

import pytest
from teardown_account import (
    DOMAIN,
    PREFIX,
    account_fixture,  # noqa: F401 (the `account` fixture)
    make,
    stack_id,
)
from teardown_stubs import (
    stub_deleted,
    stub_efs_and_groups,
)

from scripts import teardown as td
from scripts import workspace_teardown as ws

# Production


def test_production_is_refused_without_confirm():
    def no_clients(service):
        raise AssertionError("no client may be created")

    lines: list[str] = []
    assert td.main(["--profile", "production", "--yes"], client_factory=no_clients, out=lines.append) == 2
    assert lines[0].startswith("FAIL refusing to tear down a production profile: pass --confirm secure-ml-production")
    lines.clear()
    argv = ["--profile", "production", "--confirm", "secure-ml-sandbox", "--yes"]
    assert td.main(argv, client_factory=no_clients, out=lines.append) == 2


def test_destroying_retained_data_is_refused_even_when_confirmed():
    with pytest.raises(td.Refused, match="not implemented"):
        td.check_production(
            production=True,
            prefix="secure-ml-production-",
            confirm="secure-ml-production-security-baseline",
            destroy_retained_data=True,
        )


@pytest.mark.parametrize(
    "confirm", ["secure-ml-production", "secure-ml-production-", "secure-ml-production-security-baseline"]
)
def test_production_accepts_the_prefix_or_the_security_baseline_name(confirm):
    td.check_production(production=True, prefix="secure-ml-production-", confirm=confirm, destroy_retained_data=False)


def test_confirmed_production_lifts_termination_protection_and_keeps_the_home_efs(account):
    teardown, lines = make(account, removal_policy="retain", production=True)
    cfn = account["cloudformation"]
    cfn.add_response(
        "update_termination_protection",
        {},
        {"StackName": stack_id("workspace"), "EnableTerminationProtection": False},
    )
    stub_deleted(account, "workspace")
    protected = td.Stack("workspace", f"{PREFIX}workspace", stack_id("workspace"), "CREATE_COMPLETE", True)
    assert teardown.delete_stack(protected) is True
    account["sagemaker"].add_client_error("describe_domain", "ResourceNotFound")
    stub_efs_and_groups(account)
    teardown.clean_workspace_after(td.Plan(workspace=ws.Plan(DOMAIN, False)))
    assert not account.called("DeleteFileSystem") and not account.called("DeleteMountTarget")
    assert "retained (removal_policy: retain): the home EFS fs-0000000a" in lines[-1]
    teardown.empty_buckets()  # retained: not even listed
    assert not account.called("ListBuckets")
