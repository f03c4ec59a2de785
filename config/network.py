"""The network section of a profile: the private VPC every SageMaker workload runs in (N1-N4, N12, N14)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.base import StrictModel, VpcCidr

# Interface endpoints the private network can create (ml_constructs/interface_endpoints.py holds
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
            "(see docs/network.md); an explicit list must include every endpoint those stacks need."
        ),
    )
    extra_interface_endpoints: list[InterfaceEndpointName] = Field(
        default_factory=list,
        description="Interface endpoints to add to the derived set, e.g. ssm or codeartifact.api.",
    )
    interface_endpoint_zones: int | None = Field(
        default=None,
        ge=1,
        le=6,
        description=(
            "Place the interface endpoints' network interfaces in the first N private subnets only (each "
            "endpoint bills per zone-hour). Null: every zone. Fewer zones cost less, but an outage of those "
            "zones cuts every workload off the AWS APIs, and calls from the other zones cross zones (data "
            "charges, latency). Subnets stay in every zone (N1); production keeps null."
        ),
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
        if self.interface_endpoint_zones is not None and self.interface_endpoint_zones > self.availability_zones:
            raise ValueError(
                f"network.interface_endpoint_zones ({self.interface_endpoint_zones}) exceeds availability_zones "
                f"({self.availability_zones}): endpoints go into the VPC's private subnets, one per zone"
            )
        if self.egress and self.nat_gateways > self.availability_zones:
            raise ValueError(
                f"network.nat_gateways ({self.nat_gateways}) exceeds availability_zones "
                f"({self.availability_zones}): there is one public subnet per zone"
            )
        return self
