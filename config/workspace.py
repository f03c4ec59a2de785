"""The workspace section of a profile: notebooks, Studio and the ways in (N5-N9, N13)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config import aws_rules
from config.base import InstanceType, Name, SourceCidr, StrictModel


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
            "Session Manager (adds the ssm and ssmmessages endpoints; see docs/workspace.md)."
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
