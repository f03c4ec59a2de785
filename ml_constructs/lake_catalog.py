"""The lake's Glue catalog, crawler, curation job and Athena workgroup (patterns I4, I5, I7-I10).

Glue and Athena have no L2 constructs in aws-cdk-lib, so these wrap the L1 resources with
the project's defaults: everything encrypted with the project's keys, Glue work inside the
private network, and the schema from ml_constructs.runtime.lake.schema.
"""

from __future__ import annotations

from ml_constructs.lake_crawler import LakeCrawler
from ml_constructs.lake_curation import CurationJob
from ml_constructs.lake_security import CatalogEncryption, GlueSecurity
from ml_constructs.lake_tables import (
    CURATED_PREFIX,
    LAKE_RUNTIME,
    LIBRARY_EXCLUDE,
    PARQUET_INPUT,
    PARQUET_OUTPUT,
    PARQUET_SERDE,
    RAW_PREFIX,
    LakeTables,
    lake_library,
)
from ml_constructs.lake_workgroup import LakeWorkgroup

__all__ = [
    "CURATED_PREFIX",
    "LAKE_RUNTIME",
    "LIBRARY_EXCLUDE",
    "PARQUET_INPUT",
    "PARQUET_OUTPUT",
    "PARQUET_SERDE",
    "RAW_PREFIX",
    "CatalogEncryption",
    "CurationJob",
    "GlueSecurity",
    "LakeCrawler",
    "LakeTables",
    "LakeWorkgroup",
    "lake_library",
]
