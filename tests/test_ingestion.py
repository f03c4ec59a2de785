"""The ingestion lake's templates (patterns I1-I11, and N10 for the lake buckets)."""

from __future__ import annotations

import pytest
from helpers import as_list, bucket_policy_for, statements, target

from config import ProjectConfig
from ml_constructs.runtime.lake import schema

INGESTION = "Ingestion"
LAKE = "Lake"


def one(assembly, stack: str, resource_type: str) -> dict:
    (found,) = assembly.resources(stack, resource_type).values()
    return found["Properties"]


def imported(value, fragment: str) -> bool:
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def delivery(assembly) -> dict:
    return one(assembly, INGESTION, "AWS::KinesisFirehose::DeliveryStream")


def destination(assembly) -> dict:
    return delivery(assembly)["ExtendedS3DestinationConfiguration"]


# --- I1: Kinesis source ----------------------------------------------------------------------


@pytest.fixture(params=["demo", "production"])
def streamed(request):
    """The profiles with a Kinesis source stream (the sandbox puts to Firehose directly: docs/sandbox.md)."""
    return request.getfixturevalue(request.param)


def test_i1_stream_encrypted_with_the_data_key(streamed):
    stream = one(streamed, INGESTION, "AWS::Kinesis::Stream")
    assert stream["StreamEncryption"]["EncryptionType"] == "KMS"
    assert imported(stream["StreamEncryption"]["KeyId"], "DataKey")
    assert stream["RetentionPeriodHours"] == streamed.config.ingestion.stream.retention_hours


def test_i1_demo_provisions_the_shards_its_throughput_needs(demo):
    stream = one(demo, INGESTION, "AWS::Kinesis::Stream")
    assert stream["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert stream["ShardCount"] == demo.config.ingestion.stream.required_shards() == 1


def test_i1_production_stream_is_on_demand(production):
    stream = one(production, INGESTION, "AWS::Kinesis::Stream")
    assert stream["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert "ShardCount" not in stream


def test_i1_firehose_reads_the_stream(streamed):
    props = delivery(streamed)
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    streams = streamed.resources(INGESTION, "AWS::Kinesis::Stream")
    assert target(props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"]) in streams


@pytest.mark.parametrize("name", ["sandbox", "variant"])
def test_i1_without_a_stream_firehose_takes_direct_put_with_kms(request, name):
    variant = request.getfixturevalue(name)
    assert not variant.config.ingestion.stream.enabled
    assert not variant.resources(INGESTION, "AWS::Kinesis::Stream")
    props = delivery(variant)
    assert props["DeliveryStreamType"] == "DirectPut"
    encryption = props["DeliveryStreamEncryptionConfigurationInput"]
    assert encryption["KeyType"] == "CUSTOMER_MANAGED_CMK" and imported(encryption["KeyARN"], "DataKey")


# --- I2, I11: delivery to S3 ------------------------------------------------------------------


def test_i2_delivery_to_the_raw_zone_with_kms_buffering_and_logging(profile):
    props = destination(profile)
    assert imported(props["BucketARN"], "RawBucket")
    assert imported(props["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"], "DataKey")
    delivery_config = profile.config.ingestion.delivery
    assert props["BufferingHints"] == {
        "IntervalInSeconds": delivery_config.buffer_seconds,
        "SizeInMBs": delivery_config.buffer_mb,
    }
    logging = props["CloudWatchLoggingOptions"]
    group = profile.resources(INGESTION, "AWS::Logs::LogGroup")[target(logging["LogGroupName"])]
    assert logging["Enabled"] is True and imported(group["Properties"]["KmsKeyId"], "LogsKey")


def test_i11_failed_records_kept_under_an_error_prefix_and_sources_backed_up(profile):
    props = destination(profile)
    assert props["ErrorOutputPrefix"].startswith("errors/!{firehose:error-output-type}/")
    assert props["S3BackupMode"] == "Enabled"
    backup = props["S3BackupConfiguration"]
    assert backup["Prefix"].startswith("source-backup/")
    assert backup["ErrorOutputPrefix"].startswith("errors/")
    assert imported(backup["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"], "DataKey")


# --- I3: transformation Lambda ----------------------------------------------------------------


def test_i3_transformation_lambda_with_a_real_timeout_in_the_vpc(profile):
    function = one(profile, INGESTION, "AWS::Lambda::Function")
    transform_config = profile.config.ingestion.transform
    assert function["Runtime"] == "python3.14"
    assert function["Handler"] == "transform.handler"
    assert function["Timeout"] == transform_config.timeout_seconds > 3
    if profile.config.deploy.lambda_reserved_concurrency:
        assert function["ReservedConcurrentExecutions"] == transform_config.reserved_concurrency
    else:
        assert "ReservedConcurrentExecutions" not in function
    assert function["VpcConfig"]["SubnetIds"] and function["VpcConfig"]["SecurityGroupIds"]
    group = profile.resources(INGESTION, "AWS::Logs::LogGroup")[target(function["LoggingConfig"]["LogGroup"])]
    assert group["Properties"]["RetentionInDays"] == profile.config.security.log_retention_days
    assert imported(group["Properties"]["KmsKeyId"], "LogsKey")


def test_i3_transformation_group_allows_no_traffic(profile):
    groups = profile.resources(INGESTION, "AWS::EC2::SecurityGroup")
    (group,) = groups.values()
    assert "SecurityGroupIngress" not in group["Properties"]
    assert group["Properties"]["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"


def test_i3_firehose_calls_the_transformation_with_retries(profile):
    (processor,) = destination(profile)["ProcessingConfiguration"]["Processors"]
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert processor["Type"] == "Lambda"
    assert target(parameters["LambdaArn"]) in profile.resources(INGESTION, "AWS::Lambda::Function")
    assert parameters["NumberOfRetries"] == "3"


# --- I4, I5: Parquet and partitions ----------------------------------------------------------------


def test_i4_json_converted_to_parquet_with_the_glue_schema(profile):
    conversion = destination(profile)["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "OpenXJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    schema_config = conversion["SchemaConfiguration"]
    assert imported(schema_config["TableName"], "RawEvents")
    assert schema_config["DatabaseName"] == one(profile, LAKE, "AWS::Glue::Database")["DatabaseInput"]["Name"]
    assert destination(profile)["BufferingHints"]["SizeInMBs"] >= 64


def test_i4_glue_table_columns_are_the_declared_schema(profile):
    partition_field = profile.config.ingestion.delivery.partition_field
    tables = {
        t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"]
        for t in profile.resources(LAKE, "AWS::Glue::Table").values()
    }
    raw = tables[schema.DATABASE_TABLE]["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in raw["Columns"]] == [
        (c.name, c.glue_type) for c in schema.data_columns(partition_field)
    ]
    assert raw["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    for table in tables.values():
        assert [k["Name"] for k in table["PartitionKeys"]] == list(schema.partition_keys(partition_field))


def test_i5_event_time_hive_partitions_by_dynamic_partitioning(profile):
    props = destination(profile)
    keys = schema.partition_keys(profile.config.ingestion.delivery.partition_field)
    assert props["DynamicPartitioningConfiguration"] == {"Enabled": True}
    assert props["Prefix"] == "events/" + "".join(f"{k}=!{{partitionKeyFromLambda:{k}}}/" for k in keys)


def test_i5_production_partitions_by_date_and_product_category(production):
    assert destination(production)["Prefix"].endswith(
        "hour=!{partitionKeyFromLambda:hour}/category=!{partitionKeyFromLambda:category}/"
    )


def test_i5_arrival_time_partitions(variant):
    props = destination(variant)
    assert "DynamicPartitioningConfiguration" not in props or props["DynamicPartitioningConfiguration"] == {
        "Enabled": False
    }
    assert (
        props["Prefix"]
        == "events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    )


# --- I6: lifecycle ------------------------------------------------------------------------------------


def lake_buckets(assembly) -> dict[str, dict]:
    return assembly.resources(LAKE, "AWS::S3::Bucket")


def test_i6_lake_objects_age_through_storage_classes(profile):
    lifecycle = profile.config.ingestion.lifecycle
    for bucket in lake_buckets(profile).values():
        rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
        transitions = rules["AgeLakeObjects"]["Transitions"]
        assert transitions[0] == {
            "StorageClass": "STANDARD_IA",
            "TransitionInDays": lifecycle.infrequent_access_after_days,
        }
        assert transitions[0]["TransitionInDays"] >= 30
        assert transitions[1] == {"StorageClass": "GLACIER", "TransitionInDays": lifecycle.glacier_after_days}
        assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


def test_i6_glacier_transition_can_be_left_out(variant):
    for bucket in lake_buckets(variant).values():
        rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
        assert [t["StorageClass"] for t in rules["AgeLakeObjects"]["Transitions"]] == ["STANDARD_IA"]


# --- I7, I8: crawler, security configuration, catalog encryption ----------------------------------


def test_i7_crawler_schedule_exclusions_recrawl_and_security(profile):
    crawler = one(profile, INGESTION, "AWS::Glue::Crawler")
    assert crawler["Schedule"] == {"ScheduleExpression": profile.config.ingestion.crawler_schedule}
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    security = one(profile, INGESTION, "AWS::Glue::SecurityConfiguration")
    assert crawler["CrawlerSecurityConfiguration"] == security["Name"]
    targets = crawler["Targets"]["S3Targets"]
    assert len(targets) == 2
    for s3_target in targets:
        assert "**.metadata" in s3_target["Exclusions"]
        assert (
            s3_target["ConnectionName"] == one(profile, INGESTION, "AWS::Glue::Connection")["ConnectionInput"]["Name"]
        )


def test_i8_glue_security_configuration_encrypts_everything_with_kms(profile):
    config = one(profile, INGESTION, "AWS::Glue::SecurityConfiguration")["EncryptionConfiguration"]
    (s3_encryption,) = config["S3Encryptions"]
    assert s3_encryption["S3EncryptionMode"] == "SSE-KMS" and imported(s3_encryption["KmsKeyArn"], "DataKey")
    assert config["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert imported(config["CloudWatchEncryption"]["KmsKeyArn"], "LogsKey")
    assert config["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"


def test_i8_data_catalog_encrypted_when_the_profile_owns_the_setting(production):
    settings = one(production, LAKE, "AWS::Glue::DataCatalogEncryptionSettings")["DataCatalogEncryptionSettings"]
    assert settings["EncryptionAtRest"]["CatalogEncryptionMode"] == "SSE-KMS"
    assert imported(settings["EncryptionAtRest"]["SseAwsKmsKeyId"], "DataKey")
    assert settings["ConnectionPasswordEncryption"]["ReturnConnectionPasswordEncrypted"] is True


def test_i8_sandbox_leaves_the_account_wide_catalog_setting_alone(sandbox, variant):
    # The setting is one per account and region and outlives teardown; the sandbox deletes the
    # data key 7 days after teardown, which would break every catalog call in the account.
    assert sandbox.config.removal_policy == "destroy" and not sandbox.config.ingestion.catalog_encryption
    for assembly in (sandbox, variant):
        assert not assembly.resources(LAKE, "AWS::Glue::DataCatalogEncryptionSettings")


def test_i8_catalog_encryption_refused_when_teardown_deletes_its_key(sandbox):
    data = sandbox.config.model_dump()
    data["ingestion"]["catalog_encryption"] = True
    with pytest.raises(ValueError) as error:
        ProjectConfig.model_validate(data)
    message = str(error.value)
    assert "ingestion.catalog_encryption" in message and "removal_policy" in message
    data["removal_policy"] = "retain"
    assert ProjectConfig.model_validate(data).ingestion.catalog_encryption


def test_i8_glue_runs_inside_the_private_network(profile):
    connection = one(profile, INGESTION, "AWS::Glue::Connection")["ConnectionInput"]
    assert connection["ConnectionType"] == "NETWORK"
    requirements = connection["PhysicalConnectionRequirements"]
    assert imported(requirements["SubnetId"], "WorkloadsSubnet1")
    assert [imported(g, "WorkloadSecurityGroup") for g in requirements["SecurityGroupIdList"]] == [True]


# --- I9: curation job ------------------------------------------------------------------------------


def test_i9_curation_job_with_bookmarks_security_and_schedule(profile):
    job = one(profile, INGESTION, "AWS::Glue::Job")
    args = job["DefaultArguments"]
    assert job["Command"]["Name"] == "glueetl"
    assert job["Command"]["ScriptLocation"]["Fn::Sub"].endswith(".py")
    assert args["--job-bookmark-option"] == "job-bookmark-enable"
    assert args["--extra-py-files"]["Fn::Sub"].endswith(".zip")
    assert args["--partition_field"] == (profile.config.ingestion.delivery.partition_field or "none")
    assert job["SecurityConfiguration"] == one(profile, INGESTION, "AWS::Glue::SecurityConfiguration")["Name"]
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert job["NumberOfWorkers"] == profile.config.ingestion.etl_workers
    trigger = one(profile, INGESTION, "AWS::Glue::Trigger")
    assert trigger["Type"] == "SCHEDULED" and trigger["Schedule"] == profile.config.ingestion.etl_schedule
    assert trigger["Actions"] == [{"JobName": job["Name"]}]


def test_i9_glue_script_is_valid_python_using_bookmarks():
    import ast

    from ml_constructs.lake_catalog import LAKE_RUNTIME

    source = (LAKE_RUNTIME / "glue_job.py").read_text()
    tree = ast.parse(source)
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert {"init", "commit", "from_catalog"} <= calls
    assert 'transformation_ctx="raw_events"' in source


# --- I10: Athena ------------------------------------------------------------------------------------


def test_i10_workgroup_enforces_encrypted_results_engine_v3_and_a_cutoff(profile):
    workgroup = one(profile, INGESTION, "AWS::Athena::WorkGroup")["WorkGroupConfiguration"]
    assert workgroup["EnforceWorkGroupConfiguration"] is True
    assert workgroup["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert workgroup["BytesScannedCutoffPerQuery"] == profile.config.ingestion.athena_bytes_scanned_cutoff_mb * 2**20
    encryption = workgroup["ResultConfiguration"]["EncryptionConfiguration"]
    assert encryption["EncryptionOption"] == "SSE_KMS" and imported(encryption["KmsKey"], "DataKey")
    assert imported(workgroup["ResultConfiguration"]["OutputLocation"]["Fn::Join"][1][1], "QueryResultsBucket")


def test_i10_named_queries_belong_to_the_workgroup(profile):
    workgroup = one(profile, INGESTION, "AWS::Athena::WorkGroup")["Name"]
    queries = profile.resources(INGESTION, "AWS::Athena::NamedQuery")
    assert len(queries) == 4
    for query in queries.values():
        assert query["Properties"]["WorkGroup"] == workgroup
        assert query["Properties"]["Database"] == one(profile, LAKE, "AWS::Glue::Database")["DatabaseInput"]["Name"]


# --- N10 for the lake, and the delivery role -----------------------------------------------------------


def perimeter(assembly, bucket_id: str) -> dict:
    policy = bucket_policy_for(assembly.template_json(LAKE)["Resources"], bucket_id)
    (deny,) = [s for s in statements(policy) if s.get("Sid") == "DenyOutsideTheProjectVpcEndpoint"]
    return deny


def exemptions(deny: dict) -> list[str]:
    def flat(arn) -> str:
        if isinstance(arn, str):
            return arn
        if "Fn::GetAtt" in arn:
            return f"<{arn['Fn::GetAtt'][0]}>"
        return "".join(p if isinstance(p, str) else "<x>" for p in arn["Fn::Join"][1])

    return [flat(arn) for arn in as_list(deny["Condition"]["ArnNotLikeIfExists"]["aws:PrincipalArn"])]


def test_n10_lake_buckets_behind_the_endpoint_with_firehose_as_the_one_extra_exception(profile):
    prefix = f"{profile.config.project_name}-{profile.config.profile}-"
    firehose_role = f"arn:aws:iam::<x>:role/{prefix}firehose-delivery"
    for bucket_id in lake_buckets(profile):
        exempt = exemptions(perimeter(profile, bucket_id))
        assert (firehose_role in exempt) is bucket_id.startswith("Raw"), bucket_id
        assert len(exempt) == (3 if bucket_id.startswith("Raw") else 2) + (profile.config.removal_policy == "destroy")


def test_firehose_role_has_exact_permissions_and_the_excepted_name(profile):
    roles = profile.resources(INGESTION, "AWS::IAM::Role")
    (role,) = [
        r["Properties"] for r in roles.values() if r["Properties"].get("RoleName", "").endswith("firehose-delivery")
    ]
    (policy,) = [
        p["Properties"]
        for p in profile.resources(INGESTION, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Firehose")
    ]
    for statement in statements(policy["PolicyDocument"]):
        assert not any("*" in action for action in as_list(statement["Action"])), statement["Sid"]
    sids = {s["Sid"]: s for s in statements(policy["PolicyDocument"])}
    assert sids["DataKeyThroughS3KinesisAndGlue"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "s3.us-east-1.amazonaws.com",
        "kinesis.us-east-1.amazonaws.com",
        "glue.us-east-1.amazonaws.com",
    ]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }


@pytest.mark.parametrize("endpoint", ["glue", "athena", "kinesis-streams", "kinesis-firehose"])
def test_lake_endpoints_join_the_network(profile, endpoint):
    """Producers in the VPC write to the stream when there is one (a delivery stream with a Kinesis source
    takes no direct puts), else to Firehose: only that endpoint is created."""
    services = [e["Properties"]["ServiceName"] for e in profile.resources("Network", "AWS::EC2::VPCEndpoint").values()]
    stream = profile.config.ingestion.stream.enabled
    expected = {"kinesis-streams": stream, "kinesis-firehose": not stream}.get(endpoint, True)
    assert (f"com.amazonaws.{profile.config.region}.{endpoint}" in services) is expected
