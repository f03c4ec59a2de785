"""The profile teardown (scripts/teardown.py) against botocore's Stubber: account-level settings.

No AWS calls; the stubbed account and stubs are shared (tests/teardown_account.py, tests/teardown_stubs.py).
"""

from __future__ import annotations

from teardown_account import (
    ACCOUNT,
    KEY_ID,
    REGION,
    account_fixture,  # noqa: F401 (the `account` fixture)
    make,
)
from teardown_stubs import (
    stub_api_account,
)

from scripts import teardown as td

# Account-level settings


def test_glue_catalog_encryption_naming_the_project_key_is_reset(account):
    teardown, lines = make(account, catalog_encryption=True)
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
    settings = {
        "DataCatalogEncryptionSettings": {
            "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": key_arn}
        }
    }
    glue = account["glue"]
    glue.add_response("get_data_catalog_encryption_settings", settings, {})
    assert teardown.glue_key([KEY_ID]) == key_arn
    glue.add_response("get_data_catalog_encryption_settings", settings, {})
    glue.add_response(
        "put_data_catalog_encryption_settings",
        {},
        {
            "DataCatalogEncryptionSettings": {
                "EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"},
                "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False},
            }
        },
    )
    teardown.reset_account_settings(td.Plan(key_ids=[KEY_ID], glue_key=key_arn))
    assert lines == ["reset the Glue Data Catalog encryption to disabled"]


def test_account_settings_of_someone_else_are_left_alone(account):
    teardown, _ = make(account, catalog_encryption=True)
    account["glue"].add_response(
        "get_data_catalog_encryption_settings",
        {
            "DataCatalogEncryptionSettings": {
                "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": "arn:aws:kms:x:1:key/other"}
            }
        },
    )
    assert teardown.glue_key([KEY_ID]) is None
    stub_api_account(account, role="OrganizationApiGatewayLogging")
    assert teardown.apigateway_role(None) is None
