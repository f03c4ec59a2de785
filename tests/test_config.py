"""Profiles load into the typed model; bad configuration is explained field by field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config import ConfigError, load_config, parse_config
from config.loader import _unwrap, available_profiles, resolve_source
from config.model import LOG_RETENTION_DAYS, ProjectConfig

VALID = {
    "profile": "test",
    "removal_policy": "destroy",
    "termination_protection": False,
    "security": {
        "log_retention_days": 365,
        "noncurrent_version_expiration_days": 30,
        "access_log_expiration_days": 90,
    },
    "network": {"availability_zones": 2},
    "workspace": {"data_scientists": [{"name": "alice"}]},
}


def problems_for(data: dict | str) -> list[str]:
    text = data if isinstance(data, str) else yaml.safe_dump(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "bad.yaml")
    return caught.value.problems


def with_changes(**changes: object) -> dict:
    """VALID with dotted-path changes applied, e.g. with_changes(**{"security.trail.enabled": 1})."""
    data = yaml.safe_load(yaml.safe_dump(VALID))
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def test_the_shipped_profiles_load():
    assert available_profiles() == ["demo", "production", "sandbox"]
    for name in available_profiles():
        assert load_config(name).profile == name


def test_default_profile_is_sandbox():
    assert load_config().profile == "sandbox"


def test_production_is_stricter_than_sandbox_where_users_expect_it():
    sandbox, production = load_config("sandbox"), load_config("production")
    assert (sandbox.removal_policy, production.removal_policy) == ("destroy", "retain")
    assert not sandbox.termination_protection and production.termination_protection
    assert production.security.log_retention_days > sandbox.security.log_retention_days
    assert production.security.trail.object_lock_retention_days
    assert sandbox.security.trail.object_lock_retention_days is None


def test_every_field_is_documented():
    def walk(model: type, prefix: str = "") -> list[str]:
        undocumented = []
        for name, field in model.model_fields.items():
            if not (field.description and len(field.description) > 15):
                undocumented.append(prefix + name)
            inner = _unwrap(field.annotation)  # sections inside Optional[...] and list[...] too
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                undocumented += walk(inner, f"{prefix}{name}.")
        return undocumented

    assert walk(ProjectConfig) == []


def test_minimal_valid_file_gets_defaults():
    config = parse_config(yaml.safe_dump(VALID), "ok.yaml")
    assert config.region == "us-east-1"
    assert config.account is None
    assert config.security.trail.enabled


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            with_changes(colour="blue"),
            "colour: unknown key; allowed keys here: account, ai_services, deploy, governance, inference, ingestion,",
            id="unknown-top-level-key",
        ),
        pytest.param(
            with_changes(**{"security.trail.enabeld": True}),
            "security.trail.enabeld: unknown key; allowed keys here: enabled, multi_region,",
            id="unknown-nested-key",
        ),
        pytest.param(
            with_changes(termination_protection="sometimes"),
            "termination_protection: Input should be a valid boolean",
            id="wrong-type",
        ),
        pytest.param(
            with_changes(**{"security.log_retention_days": 30}),
            "security.log_retention_days: Input should be 365, 400, 545",
            id="retention-below-a-year",
        ),
        pytest.param(
            with_changes(**{"security.kms_pending_window_days": 3}),
            "security.kms_pending_window_days: Input should be greater than or equal to 7 (got 3)",
            id="out-of-range",
        ),
        pytest.param(
            with_changes(region="moon-base-1"),
            "region: 'moon-base-1' is not an AWS region that offers SageMaker (botocore's endpoint data)",
            id="bad-region",
        ),
        pytest.param(
            with_changes(account=123456789012),
            'account: write the account id as a quoted string ("123456789012")',
            id="unquoted-account",
        ),
        pytest.param(
            with_changes(account="12345"),
            "account: '12345' is not allowed: 12-digit AWS account id",
            id="short-account",
        ),
        pytest.param(
            with_changes(removal_policy="keep"),
            "removal_policy: Input should be 'destroy' or 'retain' (got 'keep')",
            id="bad-enum",
        ),
        pytest.param(
            with_changes(tags={"aws:owner": "me"}),
            "tags.aws:owner: tag key 'aws:owner' uses the reserved 'aws:' prefix",
            id="reserved-tag",
        ),
        pytest.param(
            {k: v for k, v in VALID.items() if k != "security"},
            "security: required field is missing (Security baseline settings.)",
            id="missing-section",
        ),
        pytest.param(
            with_changes(**{"security.trail.object_lock_retention_days": 365}),
            "security.trail.object_lock_retention_days is set while removal_policy is 'destroy'",
            id="object-lock-with-destroy",
        ),
        pytest.param(
            with_changes(**{"network.cidr": "54.10.0.0/16"}),
            "network.cidr: 54.10.0.0/16 is not inside a private range (10.0.0.0/8, 172.16.0.0/12",
            id="public-vpc-cidr",
        ),
        pytest.param(
            with_changes(**{"network.cidr": "10.0.0.0/8"}),
            "network.cidr: 10.0.0.0/8: the VPC prefix length must be /16 to /24",
            id="vpc-cidr-too-wide",
        ),
        pytest.param(
            with_changes(**{"network.cidr": "10.0.0.1/16"}),
            "network.cidr: '10.0.0.1/16' is not an IPv4 network in CIDR notation",
            id="vpc-cidr-host-bits",
        ),
        pytest.param(
            with_changes(**{"network.availability_zones": 1}),
            "network.availability_zones: Input should be greater than or equal to 2 (got 1)",
            id="single-az",
        ),
        pytest.param(
            with_changes(**{"network.interface_endpoints": ["sts"], "network.extra_interface_endpoints": ["ssm"]}),
            "network: give either interface_endpoints (the exact set) or extra_interface_endpoints",
            id="both-endpoint-lists",
        ),
        pytest.param(
            with_changes(**{"network.extra_interface_endpoints": ["ssm", "ssm"]}),
            "network.extra_interface_endpoints: listed more than once: ssm",
            id="duplicate-endpoint",
        ),
        pytest.param(
            with_changes(**{"network.extra_interface_endpoints": ["s3"]}),
            "network.extra_interface_endpoints[0]: Input should be 'sagemaker.api'",
            id="unknown-endpoint",
        ),
        pytest.param(
            with_changes(**{"network.egress": True, "network.nat_gateways": 3}),
            "network.nat_gateways (3) exceeds availability_zones (2)",
            id="more-nat-than-zones",
        ),
        pytest.param(
            with_changes(**{"workspace.data_scientists": []}),
            "workspace.studio.enabled is true but workspace.data_scientists is empty",
            id="studio-without-people",
        ),
        pytest.param(
            with_changes(**{"workspace.data_scientists": [{"name": "alice"}, {"name": "alice"}]}),
            "workspace.data_scientists: names must be unique, repeated: alice",
            id="duplicate-person",
        ),
        pytest.param(
            with_changes(**{"workspace.data_scientists": [{"name": "Alice Smith"}]}),
            "workspace.data_scientists[0].name: 'Alice Smith' is not allowed: Lower-case name",
            id="bad-person-name",
        ),
        pytest.param(
            with_changes(**{"workspace.access": {"mode": "both", "internet_cidrs": ["0.0.0.0/0"]}}),
            "workspace.access.internet_cidrs[0]: 0.0.0.0/0 is wider than a /8",
            id="presigned-from-anywhere",
        ),
        pytest.param(
            with_changes(**{"workspace.access": {"mode": "internet-cidrs"}}),
            "workspace.access.mode internet-cidrs needs workspace.access.internet_cidrs",
            id="internet-mode-without-ranges",
        ),
        pytest.param(
            with_changes(**{"workspace.access": {"internet_cidrs": ["203.0.113.0/24"]}}),
            "workspace.access.internet_cidrs is set but mode is vpc-endpoints",
            id="internet-ranges-in-vpc-mode",
        ),
        pytest.param(
            with_changes(
                **{
                    "workspace.access": {
                        "mode": "internet-cidrs",
                        "internet_cidrs": ["203.0.113.0/24"],
                        "vpc_source_cidrs": ["10.0.0.0/24"],
                    }
                }
            ),
            "workspace.access.vpc_source_cidrs is set but mode is internet-cidrs",
            id="vpc-ranges-in-internet-mode",
        ),
        pytest.param(
            with_changes(**{"workspace.access": {"vpc_source_cidrs": ["192.168.0.0/24"]}}),
            "workspace.access.vpc_source_cidrs[0]: 192.168.0.0/24 is not inside network.cidr",
            id="vpc-range-outside-the-vpc",
        ),
        pytest.param(
            with_changes(**{"workspace.notebooks.instance_type": "t3.medium"}),
            "workspace.notebooks.instance_type: 't3.medium' is not allowed: Notebook instance type",
            id="instance-type-family",
        ),
        pytest.param(
            with_changes(project_name="a-very-long-project", profile="production-eu"),
            "project_name and profile are too long together (19 + 13 characters)",
            id="bucket-name-too-long",
        ),
        pytest.param(
            with_changes(**{"ingestion.delivery.buffer_mb": 32}),
            "ingestion.delivery.buffer_mb is 32 but Firehose needs at least 64 MiB of buffer to convert records "
            "to Parquet (I4)",
            id="buffer-too-small-for-conversion",
        ),
        pytest.param(
            with_changes(**{"ingestion.delivery.partition_field": "price"}),
            "ingestion.delivery.partition_field 'price' is not a partitionable column of the lake schema "
            "(category, event_type)",
            id="partition-field-not-in-schema",
        ),
        pytest.param(
            with_changes(
                **{"ingestion.delivery.partition_field": "category", "ingestion.delivery.partitioning": "arrival-time"}
            ),
            "ingestion.delivery.partition_field needs partitioning: event-time",
            id="partition-field-without-dynamic-partitioning",
        ),
        pytest.param(
            with_changes(
                **{
                    "ingestion.stream.mode": "provisioned",
                    "ingestion.stream.shard_count": 2,
                    "ingestion.stream.write_mb_per_second": 2.5,
                }
            ),
            "ingestion.stream.shard_count is 2 but the configured throughput needs 3 shards",
            id="too-few-shards",
        ),
        pytest.param(
            with_changes(
                **{"ingestion.lifecycle.infrequent_access_after_days": 40, "ingestion.lifecycle.glacier_after_days": 65}
            ),
            "ingestion.lifecycle.glacier_after_days (65) must be at least 30 days after "
            "infrequent_access_after_days (40)",
            id="glacier-too-soon",
        ),
        pytest.param(
            with_changes(**{"ingestion.etl_schedule": "every hour"}),
            "ingestion.etl_schedule: 'every hour' is not allowed: When the curation job runs",
            id="schedule-not-cron",
        ),
        pytest.param(
            "profile: test\nprofile: other\n", "line 2, column 1: duplicate key 'profile'", id="duplicate-key"
        ),
        pytest.param("profile: [unclosed\n", "line 2, column 1: expected ',' or ']'", id="yaml-syntax"),
        pytest.param("- just\n- a list\n", "the file must hold a mapping of settings", id="not-a-mapping"),
    ],
)
def test_bad_configuration_names_the_field_and_what_is_allowed(data, expected):
    problems = problems_for(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_all_problems_are_reported_at_once():
    problems = problems_for(with_changes(colour="blue", region="x", **{"security.log_retention_days": 1}))
    assert len(problems) == 3


def test_message_names_the_file():
    with pytest.raises(ConfigError) as caught:
        parse_config("profile: [", "config/mine.yaml")
    assert caught.value.render().startswith("Invalid configuration in config/mine.yaml (1 problem):")


def test_retention_choices_match_cloudwatch_periods_of_a_year_or_more():
    from ml_constructs.log_group import retention_days

    for days in LOG_RETENTION_DAYS:
        retention_days(days)  # every allowed value maps to a CloudWatch period
    with pytest.raises(ValueError, match="not offered"):
        retention_days(30)


def test_profile_and_config_are_exclusive(tmp_path: Path):
    with pytest.raises(ConfigError, match="not both"):
        resolve_source("sandbox", str(tmp_path / "x.yaml"))


def test_unknown_profile_lists_the_available_ones():
    with pytest.raises(ConfigError) as caught:
        load_config("staging")
    assert caught.value.problems == ["profile: no profile named 'staging'; available: demo, production, sandbox"]


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(config_path=str(tmp_path / "nope.yaml"))


def test_profile_name_must_match_the_file(tmp_path: Path):
    (tmp_path / "staging.yaml").write_text(yaml.safe_dump(VALID))
    with pytest.raises(ConfigError, match="declares 'test' but was selected as 'staging'"):
        load_config("staging", config_dir=tmp_path)


def test_generated_doc_tables_are_current():
    """The profile table (from config/model.py) and the endpoint table (from the catalogue)."""
    from scripts import docs

    text = "".join(page.read_text() for page in docs.pages())
    for name, produce in docs.SECTIONS.items():
        assert docs.current(text, name) == produce(), f"{name} is stale: run make docs"


@pytest.mark.parametrize(
    ("write_mb", "write_records", "read_mb", "shards"),
    [(1.0, 1000, 2.0, 1), (2.5, 100, 1.0, 3), (0.1, 4500, 1.0, 5), (0.5, 500, 9.0, 5), (1.01, 1000, 2.0, 2)],
)
def test_i1_shards_follow_the_per_shard_limits(write_mb, write_records, read_mb, shards):
    from config.model import StreamConfig

    stream = StreamConfig(
        write_mb_per_second=write_mb, write_records_per_second=write_records, read_mb_per_second=read_mb
    )
    assert stream.required_shards() == shards


def test_partitionable_columns_match_the_lake_schema():
    from config.model import PARTITIONABLE_COLUMNS
    from ml_constructs.runtime.lake import schema

    assert PARTITIONABLE_COLUMNS == schema.PARTITIONABLE
    assert all(next(c for c in schema.COLUMNS if c.name == name).required for name in schema.PARTITIONABLE)
