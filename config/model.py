"""Typed model of a deployment profile (`config/<profile>.yaml`).

Every field carries its documentation in `description`; `python -m config.describe` prints
them as the table the README shows, and a test keeps the two in step.

The model is strict on purpose: an unknown key, a wrong type, an out-of-range value or a
missing required field is a configuration error that stops synthesis before any template
is written (see `config.loader`). Stacks translate this model into construct props;
constructs never import it.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from config import aws_rules, regional
from config.base import CronSchedule, InstanceType, Name, SourceCidr, StrictModel, VpcCidr
from config.inference import InferenceConfig
from config.pipelines import PipelinesConfig

# CloudWatch Logs accepts only these retention periods. Values below one year are not
# offered: the Control Tower proactive control CT.CLOUDWATCH.PR.2 requires at least 365
# days, and this project keeps every gate green by construction rather than by waiver.
LOG_RETENTION_DAYS = (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

LogRetentionDays = Literal[365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

ProjectName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"),
]
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]


def _known_region(value: str) -> str:
    problem = regional.region_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# A region of the aws partition that offers SageMaker, from botocore's endpoint data (config/regional.py).
Region = Annotated[str, AfterValidator(_known_region)]


def _not_aws_reserved(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key {key!r} uses the reserved 'aws:' prefix")
    return key


TagKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[\w .:/=+\-@]+$"),
    AfterValidator(_not_aws_reserved),
]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w .:/=+\-@]*$")]


# Interface endpoints the private network can create (ml_constructs/private_network.py holds
# what each is for and whether it carries an endpoint policy; a test keeps the two in step).
InterfaceEndpointName = Literal[
    "sagemaker.api",
    "sagemaker.runtime",
    "sagemaker.featurestore-runtime",
    "sagemaker.metrics",
    "notebook",
    "studio",
    "sts",
    "logs",
    "monitoring",
    "events",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "glue",
    "athena",
    "kinesis-streams",
    "kinesis-firehose",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "states",
    "sns",
    "sqs",
    "lambda",
    "execute-api",
    "secretsmanager",
    "codeartifact.api",
    "codeartifact.repositories",
]


class TrailConfig(StrictModel):
    """CloudTrail for the account (pattern N12)."""

    enabled: bool = Field(
        default=True,
        description=(
            "Create a CloudTrail trail for this account. Set false only when an organization "
            "trail already records this account's management events (N12)."
        ),
    )
    multi_region: bool = Field(
        default=True,
        description="Record API calls in every region, not only the deployment region.",
    )
    object_lock_retention_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description=(
            "Default S3 Object Lock retention (GOVERNANCE mode) for trail log files. "
            "Null leaves Object Lock off, which a profile that destroys its buckets on "
            "teardown needs."
        ),
    )


class SecurityConfig(StrictModel):
    """Security baseline: keys, logs, buckets and the audit trail (N10, N11, N12)."""

    log_retention_days: LogRetentionDays = Field(
        description=(
            "Retention of every CloudWatch log group the project creates. One of "
            "365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 "
            "(CloudWatch's periods of at least a year, CT.CLOUDWATCH.PR.2)."
        ),
    )
    kms_pending_window_days: int = Field(
        default=30,
        ge=7,
        le=30,
        description="Waiting period before a deleted customer-managed KMS key is destroyed (7-30 days).",
    )
    noncurrent_version_expiration_days: int = Field(
        ge=1,
        le=3650,
        description=(
            "Days a replaced or deleted object version stays recoverable in every versioned "
            "bucket before its lifecycle rule expires it."
        ),
    )
    access_log_expiration_days: int = Field(
        ge=90,
        le=3650,
        description=(
            "Days S3 server access logs are kept in the access-log bucket (at least 90, "
            "so an investigation can still read a quarter's requests)."
        ),
    )
    trail: TrailConfig = Field(default_factory=TrailConfig, description="CloudTrail settings (N12).")


class NetworkConfig(StrictModel):
    """The private VPC every SageMaker workload runs in (N1-N4, N12, N14)."""

    cidr: VpcCidr = Field(
        default="10.20.0.0/16",
        description="IPv4 range of the VPC: a private range (RFC 1918 or 100.64.0.0/10), /16 to /24.",
    )
    availability_zones: int = Field(
        ge=2,
        le=6,
        description="Availability zones with a private subnet each: at least 2 (N1); production uses 3.",
    )
    subnet_prefix_length: int = Field(
        default=20,
        ge=20,
        le=27,
        description=(
            "Prefix length of each private subnet (/20 = 4091 addresses): training jobs, endpoints "
            "and interface endpoints each take addresses in every subnet."
        ),
    )
    egress: bool = Field(
        default=False,
        description=(
            "Add public subnets with NAT gateways so workloads can reach the internet on HTTPS for a "
            "service without a VPC endpoint (N14). Off by default: the VPC has no internet path."
        ),
    )
    nat_gateways: int = Field(
        default=1,
        ge=1,
        le=6,
        description="NAT gateways when egress is on: 1 is cheapest, one per availability zone survives an AZ outage.",
    )
    interface_endpoints: list[InterfaceEndpointName] | None = Field(
        default=None,
        description=(
            "Exact set of interface endpoints. Null derives it from the stacks deployed in the VPC "
            "(see README); an explicit list must include every endpoint those stacks need."
        ),
    )
    extra_interface_endpoints: list[InterfaceEndpointName] = Field(
        default_factory=list,
        description="Interface endpoints to add to the derived set, e.g. ssm or codeartifact.api.",
    )

    @model_validator(mode="after")
    def _endpoint_lists(self) -> NetworkConfig:
        if self.interface_endpoints is not None and self.extra_interface_endpoints:
            raise ValueError(
                "network: give either interface_endpoints (the exact set) or extra_interface_endpoints "
                "(additions to the derived set), not both"
            )
        for field in ("interface_endpoints", "extra_interface_endpoints"):
            names = getattr(self, field) or []
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"network.{field}: listed more than once: {', '.join(duplicates)}")
        if self.egress and self.nat_gateways > self.availability_zones:
            raise ValueError(
                f"network.nat_gateways ({self.nat_gateways}) exceeds availability_zones "
                f"({self.availability_zones}): there is one public subnet per zone"
            )
        return self


class DataScientist(StrictModel):
    """A person who works in the workspace; their resources carry owner=<name> (N9)."""

    name: Name = Field(
        description=(
            "Lower-case name, 3-32 characters: the owner tag of their notebook, Studio profile and "
            "jobs, and part of their IAM role name."
        ),
    )


class NotebookConfig(StrictModel):
    """One notebook instance per data scientist, private and locked down (N5)."""

    enabled: bool = Field(default=True, description="Create a notebook instance for each data scientist.")
    instance_type: InstanceType = Field(
        default="ml.t3.medium", description="Notebook instance type, e.g. ml.t3.medium."
    )
    volume_size_gb: int = Field(
        default=20, ge=5, le=16384, description="Size of the KMS-encrypted volume behind /home/ec2-user/SageMaker."
    )
    idle_stop_minutes: int | None = Field(
        default=60,
        ge=15,
        le=1440,
        description=(
            "Stop a notebook after this many minutes without kernel activity (the lifecycle "
            "configuration calls the SageMaker API through its VPC endpoint). Null never stops it."
        ),
    )
    platform_identifier: Literal["notebook-al2023-v1", "notebook-al2-v3"] = Field(
        default="notebook-al2023-v1", description="Notebook platform (operating system and Jupyter version)."
    )

    @model_validator(mode="after")
    def _offered(self) -> NotebookConfig:
        problem = aws_rules.instance_type_problem("workspace.notebooks.instance_type", self.instance_type, "notebook")
        if problem:
            raise ValueError(problem)
        return self


class StudioConfig(StrictModel):
    """SageMaker Studio domain in VPC-only mode (N6)."""

    enabled: bool = Field(default=True, description="Create a Studio domain with one user profile per data scientist.")


class AccessHostConfig(StrictModel):
    """A way in for browsers that keeps the VPC closed: an instance reached by SSM port forwarding (N13)."""

    enabled: bool = Field(
        default=False,
        description=(
            "Create a small instance in a private subnet, without inbound rules, through which a data "
            "scientist forwards the SageMaker API, notebook and Studio endpoints to their laptop with "
            "Session Manager (adds the ssm, ssmmessages and ec2messages endpoints; see README)."
        ),
    )
    instance_type: Literal["t4g.nano", "t4g.micro", "t4g.small"] = Field(
        default="t4g.nano", description="Graviton instance type of the access host: it only relays HTTPS."
    )
    idle_stop_minutes: int = Field(
        default=60,
        ge=15,
        le=1440,
        multiple_of=5,
        description=(
            "Stop the host after this many minutes (a multiple of 5) with less than "
            "1 MiB of inbound network traffic per 5 minutes; a data scientist starts it again."
        ),
    )


class WorkspaceAccessConfig(StrictModel):
    """From where notebook and Studio URLs may be requested and used (N13).

    The policy on CreatePresignedNotebookInstanceUrl / CreatePresignedDomainUrl is evaluated again
    for every HTTP request and WebSocket frame of the session, so each mode names every path the
    browser takes: through the VPC, the SageMaker API endpoint and the notebook or Studio endpoint
    (aws:SourceVpce), optionally only from given addresses inside the VPC (aws:VpcSourceIp with
    aws:SourceVpc); over the internet, given public networks (aws:SourceIp, which requests through
    a VPC endpoint never carry).
    """

    mode: Literal["vpc-endpoints", "internet-cidrs", "both"] = Field(
        default="vpc-endpoints",
        description=(
            "vpc-endpoints: URLs only through the VPC's SageMaker API and notebook/Studio endpoints; "
            "internet-cidrs: only from `internet_cidrs` over the internet; both: either."
        ),
    )
    vpc_source_cidrs: list[SourceCidr] = Field(
        default_factory=list,
        max_length=20,
        description=(
            "Optional: addresses inside the VPC (e.g. the access host's subnet) that may use the endpoints "
            "(aws:VpcSourceIp). Empty: any address of the VPC. Must lie inside network.cidr."
        ),
    )
    internet_cidrs: list[SourceCidr] = Field(
        default_factory=list,
        max_length=20,
        description="Public networks (e.g. the office egress range) for internet-cidrs and both (aws:SourceIp).",
    )

    @property
    def through_vpc_endpoints(self) -> bool:
        return self.mode in ("vpc-endpoints", "both")

    @property
    def from_internet(self) -> bool:
        return self.mode in ("internet-cidrs", "both")

    @model_validator(mode="after")
    def _lists_match_the_mode(self) -> WorkspaceAccessConfig:
        if self.from_internet and not self.internet_cidrs:
            raise ValueError(f"workspace.access.mode {self.mode} needs workspace.access.internet_cidrs")
        if not self.from_internet and self.internet_cidrs:
            raise ValueError(
                "workspace.access.internet_cidrs is set but mode is vpc-endpoints: use mode internet-cidrs or both"
            )
        if not self.through_vpc_endpoints and self.vpc_source_cidrs:
            raise ValueError(
                "workspace.access.vpc_source_cidrs is set but mode is internet-cidrs: use mode vpc-endpoints or both"
            )
        return self


class WorkspaceConfig(StrictModel):
    """Where data scientists work: notebooks and Studio inside the VPC (N5-N9, N13)."""

    enabled: bool = Field(default=True, description="Deploy the workspace stack (roles, notebooks, Studio).")
    data_scientists: list[DataScientist] = Field(
        default_factory=list, max_length=50, description="The people who get a role, a notebook and a Studio profile."
    )
    notebooks: NotebookConfig = Field(default_factory=NotebookConfig, description="Notebook instances (N5).")
    studio: StudioConfig = Field(default_factory=StudioConfig, description="Studio domain (N6).")
    access_host: AccessHostConfig = Field(
        default_factory=AccessHostConfig, description="Access host for SSM port forwarding into the VPC (N13)."
    )
    access: WorkspaceAccessConfig = Field(
        default_factory=WorkspaceAccessConfig,
        description="From where notebook and Studio URLs may be requested and used (N13).",
    )

    @model_validator(mode="after")
    def _people(self) -> WorkspaceConfig:
        names = [d.name for d in self.data_scientists]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"workspace.data_scientists: names must be unique, repeated: {', '.join(duplicates)}")
        if self.enabled and self.studio.enabled and not self.data_scientists:
            raise ValueError(
                "workspace.studio.enabled is true but workspace.data_scientists is empty: a Studio "
                "domain without user profiles cannot be used; add a data scientist or turn Studio off"
            )
        return self


# Kinesis Data Streams limits per shard (the notes, I1): writes 1 MB/s or 1,000 records/s,
# reads 2 MB/s shared by the consumers.
SHARD_WRITE_MB = 1.0
SHARD_WRITE_RECORDS = 1000
SHARD_READ_MB = 2.0
# Firehose needs at least 64 MiB of buffer when it converts records to Parquet (I4).
MIN_CONVERSION_BUFFER_MB = 64
# Columns a profile may partition by besides date and hour (a test keeps this equal to
# ml_constructs.runtime.lake.schema.PARTITIONABLE).
PARTITIONABLE_COLUMNS = ("category", "event_type")


class StreamConfig(StrictModel):
    """Optional Kinesis Data Stream in front of Firehose (I1)."""

    enabled: bool = Field(default=True, description="Put a KMS-encrypted Kinesis Data Stream in front of Firehose.")
    mode: Literal["on-demand", "provisioned"] = Field(
        default="on-demand",
        description="on-demand scales by itself; provisioned uses shard_count or the shards the throughput needs.",
    )
    write_mb_per_second: float = Field(
        default=1.0, gt=0, le=1000, description="Peak producer throughput in MB/s (a shard takes 1 MB/s)."
    )
    write_records_per_second: int = Field(
        default=1000, gt=0, le=1_000_000, description="Peak records per second (a shard takes 1,000)."
    )
    read_mb_per_second: float = Field(
        default=2.0,
        gt=0,
        le=2000,
        description="Total read throughput of all consumers, Firehose included, in MB/s (a shard gives 2 MB/s).",
    )
    shard_count: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description="Shards in provisioned mode; null computes them from the throughput. Ignored on demand.",
    )
    retention_hours: int = Field(
        default=24, ge=24, le=8760, description="How long records stay readable: 24 hours to 365 days."
    )

    def required_shards(self) -> int:
        """Shards the configured throughput needs, by the per-shard limits (I1)."""
        return max(
            math.ceil(self.write_mb_per_second / SHARD_WRITE_MB),
            math.ceil(self.write_records_per_second / SHARD_WRITE_RECORDS),
            math.ceil(self.read_mb_per_second / SHARD_READ_MB),
        )

    @model_validator(mode="after")
    def _enough_shards(self) -> StreamConfig:
        needed = self.required_shards()
        if self.mode == "provisioned" and self.shard_count is not None and self.shard_count < needed:
            raise ValueError(
                f"ingestion.stream.shard_count is {self.shard_count} but the configured throughput needs "
                f"{needed} shards (a shard takes 1 MB/s or 1,000 records/s in and gives 2 MB/s out): "
                f"writes {self.write_mb_per_second} MB/s, {self.write_records_per_second} records/s, "
                f"reads {self.read_mb_per_second} MB/s"
            )
        return self


class DeliveryConfig(StrictModel):
    """Firehose delivery into the lake (I2, I4, I5)."""

    buffer_mb: int = Field(
        default=128,
        ge=1,
        le=128,
        description="Firehose buffer size in MiB before it writes a file; at least 64 with Parquet conversion (I4).",
    )
    buffer_seconds: int = Field(
        default=300, ge=60, le=900, description="Longest Firehose waits before writing a file, in seconds."
    )
    partitioning: Literal["event-time", "arrival-time"] = Field(
        default="event-time",
        description=(
            "Hive partitions (year=/month=/day=/hour=) by the event's own time (dynamic partitioning, "
            "keys from the transformation Lambda) or by the time Firehose received it."
        ),
    )
    partition_field: str | None = Field(
        default=None,
        description="An extra partition after the hour, by a schema column: category or event_type (event-time only).",
    )

    @model_validator(mode="after")
    def _checks(self) -> DeliveryConfig:
        problems = []
        if self.buffer_mb < MIN_CONVERSION_BUFFER_MB:
            problems.append(
                f"ingestion.delivery.buffer_mb is {self.buffer_mb} but Firehose needs at least "
                f"{MIN_CONVERSION_BUFFER_MB} MiB of buffer to convert records to Parquet (I4)"
            )
        if self.partition_field is not None:
            if self.partition_field not in PARTITIONABLE_COLUMNS:
                problems.append(
                    f"ingestion.delivery.partition_field {self.partition_field!r} is not a partitionable column "
                    f"of the lake schema ({', '.join(PARTITIONABLE_COLUMNS)})"
                )
            elif self.partitioning != "event-time":
                problems.append(
                    "ingestion.delivery.partition_field needs partitioning: event-time (the Lambda supplies it)"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class TransformConfig(StrictModel):
    """The record-transformation Lambda (I3)."""

    timeout_seconds: int = Field(
        default=60,
        ge=10,
        le=300,
        description="Lambda timeout: far above the 3-second default; Firehose waits up to 5 minutes.",
    )
    memory_mb: int = Field(default=256, ge=128, le=3008, description="Lambda memory in MB.")
    reserved_concurrency: int = Field(
        default=5,
        ge=1,
        le=100,
        description=(
            "Concurrent executions reserved for (and capping) the transformation, when "
            "deploy.lambda_reserved_concurrency is on."
        ),
    )


class LakeLifecycleConfig(StrictModel):
    """Storage classes of lake objects as they age (I6)."""

    infrequent_access_after_days: int = Field(
        default=30, ge=30, le=3650, description="Move objects to Standard-IA after this many days (S3 minimum 30)."
    )
    glacier_after_days: int | None = Field(
        default=90,
        ge=60,
        le=3650,
        description="Move objects to Glacier Flexible Retrieval after this many days; null keeps them in IA.",
    )
    expire_after_days: int | None = Field(
        default=None, ge=1, le=36500, description="Delete lake objects after this many days; null keeps them."
    )

    @model_validator(mode="after")
    def _order(self) -> LakeLifecycleConfig:
        ia, glacier, expire = self.infrequent_access_after_days, self.glacier_after_days, self.expire_after_days
        if glacier is not None and glacier < ia + 30:
            raise ValueError(
                f"ingestion.lifecycle.glacier_after_days ({glacier}) must be at least 30 days after "
                f"infrequent_access_after_days ({ia}): Standard-IA bills 30 days minimum"
            )
        last = glacier if glacier is not None else ia
        if expire is not None and expire <= last:
            raise ValueError(
                f"ingestion.lifecycle.expire_after_days ({expire}) must come after the last transition ({last})"
            )
        return self


class IngestionConfig(StrictModel):
    """Streaming ingestion lake: Kinesis -> Firehose -> S3 -> Glue -> Athena (I1-I11)."""

    enabled: bool = Field(default=True, description="Deploy the lake and ingestion stacks.")
    stream: StreamConfig = Field(default_factory=StreamConfig, description="Kinesis source stream (I1).")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig, description="Firehose delivery (I2, I4, I5).")
    transform: TransformConfig = Field(default_factory=TransformConfig, description="Transformation Lambda (I3).")
    lifecycle: LakeLifecycleConfig = Field(default_factory=LakeLifecycleConfig, description="Lake lifecycle (I6).")
    crawler_schedule: CronSchedule = Field(
        default="cron(30 1 * * ? *)", description="When the Glue crawler adds new partitions (I7), a cron() expression."
    )
    etl_schedule: CronSchedule = Field(
        default="cron(0 2 * * ? *)", description="When the curation job runs (I9), a cron() expression."
    )
    etl_workers: int = Field(default=2, ge=2, le=100, description="G.1X workers of the curation job.")
    catalog_encryption: bool = Field(
        default=True,
        description=(
            "Encrypt the account's Glue Data Catalog with the data key (I8). Left out, it follows removal_policy: "
            "on with 'retain', off with 'destroy', which refuses true (the setting is one per account and region "
            "and outlives the stack, but teardown deletes the data key, after which every catalog call in the "
            "account fails). Turn it off where another stack already manages the setting."
        ),
    )
    athena_bytes_scanned_cutoff_mb: int = Field(
        default=1024,
        ge=10,
        le=1_048_576,
        description="Athena cancels a query of the lake workgroup after scanning this many MB (I10).",
    )


class GovernanceConfig(StrictModel):
    """Detective controls (G1)."""

    config_rules: bool = Field(
        default=False,
        description=(
            "Deploy AWS Config managed rules for SageMaker (notebook internet access, notebook and "
            "endpoint KMS, root access, VPC). They evaluate nothing without a configuration recorder in "
            "the account and region: governance.config_recorder says where it comes from."
        ),
    )
    config_recorder: Literal["existing", "create"] | None = Field(
        default=None,
        description=(
            "Required with config_rules. 'existing': the account already records in this region (Control "
            "Tower and most organizations set this up; AWS allows one customer-managed recorder per region). "
            "'create': the governance stack deploys a recorder of all supported resource types (global ones "
            "included), started by its delivery channel to an encrypted, access-logged bucket."
        ),
    )

    @model_validator(mode="after")
    def _rules_need_a_recorder(self) -> GovernanceConfig:
        if self.config_rules and self.config_recorder is None:
            raise ValueError(
                "governance.config_recorder is required with config_rules: true (AWS Config rules evaluate "
                "nothing without a configuration recorder); say 'existing' if the account already records in "
                "this region (e.g. Control Tower), or 'create' to deploy one"
            )
        if not self.config_rules and self.config_recorder is not None:
            raise ValueError(
                f"governance.config_recorder is {self.config_recorder!r} but config_rules is false: the recorder "
                "setting applies only to the rules' governance stack; remove it or turn config_rules on"
            )
        return self


class DeployConfig(StrictModel):
    """How the stacks are deployed: the deploy role's narrow exception in data-bucket policies (N10),
    and what the account's Lambda quota allows."""

    bootstrap_qualifier: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,10}$")] = Field(
        default="hnb659fds",
        description=(
            "Qualifier of the CDK bootstrap stack. Its CloudFormation execution role is the one "
            "principal allowed to reach data buckets from outside the VPC (to deploy and tear down)."
        ),
    )
    lambda_reserved_concurrency: bool = Field(
        default=False,
        description=(
            "Reserve concurrent executions for the project's Lambda functions (each capped at what it "
            "needs: one approval deployment at a time, the transformation's ingestion.transform."
            "reserved_concurrency, ...). Off for new accounts: their Lambda concurrency quota can be 10 "
            "and a reservation must leave 100 unreserved, so CloudFormation fails to create any function "
            "with a reservation there. Turn on where the account's quota has been raised."
        ),
    )


class ProjectConfig(StrictModel):
    """One deployment profile: where the project deploys and how strict it is."""

    project_name: ProjectName = Field(
        default="secure-ml",
        description=(
            "Prefix of every stack name and of named resources: 3-20 characters, lower-case "
            "letters, digits and hyphens, starting with a letter."
        ),
    )
    profile: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,19}$")] = Field(
        description="Name of this profile (sandbox, production, ...); part of every stack name.",
    )
    account: AccountId | None = Field(
        default=None,
        description=(
            "12-digit AWS account id to pin the stacks to. Null leaves the stacks "
            "account-agnostic: the deploy credentials decide the account."
        ),
    )
    region: Region = Field(default="us-east-1", description="AWS region of every stack, e.g. eu-west-1.")
    removal_policy: Literal["destroy", "retain"] = Field(
        description=(
            "What happens to stateful resources (keys, buckets, log groups) when a stack is "
            "deleted: 'destroy' deletes them and empties buckets first (sandbox), 'retain' "
            "keeps them (production)."
        ),
    )
    termination_protection: bool = Field(
        description="Turn on CloudFormation termination protection for every stack.",
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict,
        max_length=40,
        description="Tags applied to every taggable resource (keys must not start with 'aws:').",
    )
    security: SecurityConfig = Field(description="Security baseline settings.")
    network: NetworkConfig = Field(description="Private network (N1-N4, N14).")
    workspace: WorkspaceConfig = Field(description="Data-science workspace (N5-N9, N13).")
    inference: InferenceConfig = Field(
        default_factory=InferenceConfig, description="Real-time inference: A/B variants, guardrails (E1-E13)."
    )
    ingestion: IngestionConfig = Field(
        default_factory=IngestionConfig, description="Streaming ingestion lake (I1-I11)."
    )
    pipelines: PipelinesConfig = Field(
        default_factory=PipelinesConfig, description="Training pipeline, model registry, approval path (M1-M7)."
    )
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig, description="Detective controls (G1).")
    deploy: DeployConfig = Field(default_factory=DeployConfig, description="Deployment settings.")

    @field_validator("account", mode="before")
    @classmethod
    def _account_is_quoted(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(
                'write the account id as a quoted string ("123456789012"); unquoted, YAML '
                "reads it as a number and drops leading zeros"
            )
        return value

    @model_validator(mode="after")
    def _bucket_names_fit(self) -> ProjectConfig:
        # Data buckets are named <project>-<profile>-<purpose>-<account>-<region>; S3 allows 63.
        longest = len(self.project_name) + len(self.profile) + len("--datasets-123456789012-") + len(self.region)
        if longest > 63:
            raise ValueError(
                f"project_name and profile are too long together ({len(self.project_name)} + "
                f"{len(self.profile)} characters): bucket names <project>-<profile>-<purpose>-<account>-"
                f"<region> would exceed S3's 63; shorten them by {longest - 63}"
            )
        return self

    @model_validator(mode="after")
    def _approved_models_have_somewhere_to_go(self) -> ProjectConfig:
        deployment = self.pipelines.deploy_on_approval
        if not (self.pipelines.enabled and deployment.enabled):
            return self
        if not self.inference.enabled:
            raise ValueError(
                "pipelines.deploy_on_approval needs inference.enabled (it deploys approved models to the real-time "
                "endpoint); turn one on or set pipelines.deploy_on_approval.enabled: false"
            )
        variants = [v.name for v in self.inference.realtime.variants]
        if deployment.variant not in variants:
            raise ValueError(
                f"pipelines.deploy_on_approval.variant {deployment.variant!r} is not a variant of the real-time "
                f"endpoint ({', '.join(variants)})"
            )
        return self

    @model_validator(mode="after")
    def _vpc_source_cidrs_inside_the_vpc(self) -> ProjectConfig:
        vpc = ipaddress.ip_network(self.network.cidr)
        for index, cidr in enumerate(self.workspace.access.vpc_source_cidrs):
            network = ipaddress.ip_network(cidr)
            if network.version != vpc.version or not network.subnet_of(vpc):
                raise ValueError(
                    f"workspace.access.vpc_source_cidrs[{index}]: {cidr} is not inside network.cidr {vpc} "
                    "(aws:VpcSourceIp holds addresses of the VPC; public networks go in internet_cidrs)"
                )
        return self

    @model_validator(mode="before")
    @classmethod
    def _catalog_encryption_follows_removal_policy(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("removal_policy") != "destroy":
            return data
        ingestion = data.get("ingestion", {})
        if isinstance(ingestion, dict) and "catalog_encryption" not in ingestion:
            data = {**data, "ingestion": {**ingestion, "catalog_encryption": False}}
        return data

    @model_validator(mode="after")
    def _catalog_key_outlives_the_setting(self) -> ProjectConfig:
        if self.ingestion.enabled and self.ingestion.catalog_encryption and self.removal_policy == "destroy":
            raise ValueError(
                "ingestion.catalog_encryption is true while removal_policy is 'destroy': the Glue Data Catalog "
                "encryption setting is one per account and region and stays after the stacks are deleted, but "
                "teardown deletes the data key it names (after kms_pending_window_days), so every Glue catalog "
                "call in the account would then fail. Set ingestion.catalog_encryption: false, or use "
                "removal_policy: retain."
            )
        return self

    @model_validator(mode="after")
    def _features_exist_in_region(self) -> ProjectConfig:
        problems = regional.problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _teardown_must_be_possible(self) -> ProjectConfig:
        if self.removal_policy == "destroy" and self.security.trail.object_lock_retention_days:
            raise ValueError(
                "security.trail.object_lock_retention_days is set while removal_policy is "
                "'destroy': objects under Object Lock retention cannot be deleted, so the "
                "trail bucket could never be emptied on teardown. Use removal_policy: retain "
                "or set object_lock_retention_days: null."
            )
        return self
