"""The data-science workspace: roles, notebook instances and a Studio domain (N5, N6, N8, N9, N13)."""

from __future__ import annotations

from ml_constructs.data_scientist_roles import DataScientistRoles, UrlAccess
from ml_constructs.notebook_instances import RUNTIME, NotebookInstances, on_start_script
from ml_constructs.owner_tags import (
    BUCKET_ACTIONS,
    CREATE_WORK_ACTIONS,
    LIST_ONLY_ON_ANY_RESOURCE,
    OBJECT_ACTIONS,
    OWN_WORK_ACTIONS,
    OWNER_TAG,
    PRINCIPAL_OWNER,
    PROTECTED_TAG_KEYS,
    TAG_ON_CREATE_ACTIONS,
    USER_TAG_KEYS,
    OwnerTagProtection,
    owner_execution_role_name,
    tag_keys_with,
    tag_on_create,
)
from ml_constructs.studio_domain import StudioDomain
from ml_constructs.workspace_execution_role import WorkspaceExecutionRole

__all__ = [
    "BUCKET_ACTIONS",
    "CREATE_WORK_ACTIONS",
    "DataScientistRoles",
    "LIST_ONLY_ON_ANY_RESOURCE",
    "NotebookInstances",
    "OBJECT_ACTIONS",
    "OWNER_TAG",
    "OWN_WORK_ACTIONS",
    "OwnerTagProtection",
    "PRINCIPAL_OWNER",
    "PROTECTED_TAG_KEYS",
    "RUNTIME",
    "StudioDomain",
    "TAG_ON_CREATE_ACTIONS",
    "USER_TAG_KEYS",
    "UrlAccess",
    "WorkspaceExecutionRole",
    "on_start_script",
    "owner_execution_role_name",
    "tag_keys_with",
    "tag_on_create",
]
