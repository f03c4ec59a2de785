"""The lake's Athena workgroup and named queries (part of ml_constructs/lake_catalog.py; I10)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_imported_reference, is_imported
from ml_constructs.runtime.lake import queries


class LakeWorkgroup(Construct):
    """Athena workgroup for the lake and its named queries (I10).

    Enforces its configuration (clients cannot override the result location or encryption),
    engine version 3, results SSE-KMS with the data key in the results bucket, a
    bytes-scanned cutoff per query, CloudWatch metrics; named queries prune by partition.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        database_name: str,
        results_bucket: s3.IBucket,
        key: kms.IKey,
        bytes_scanned_cutoff: int,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=name,
            description="Secure ML reference architecture: queries over the event lake",
            state="ENABLED",
            recursive_delete_option=removal_policy == cdk.RemovalPolicy.DESTROY,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=results_bucket.s3_url_for_object("results/"),
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
        self.workgroup.apply_removal_policy(removal_policy)
        if is_imported(self, key):
            acknowledge_imported_reference(
                self.workgroup,
                "athena_workgroup_results_encrypted_at_rest_kms_check",
                "ResultConfiguration.EncryptionConfiguration (SSE_KMS with the project's data key)",
                key,
            )
        self.queries = {}
        for query in queries.named_queries(database_name):
            named = athena.CfnNamedQuery(
                self,
                query.name,
                name=query.name,
                description=f"{query.description}. Parameters: {', '.join(query.parameters)}",
                database=database_name,
                query_string=query.sql,
                work_group=name,
            )
            named.add_resource_dependency(self.workgroup)
            self.queries[query.name] = named
