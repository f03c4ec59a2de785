"""Types shared by the sections of the profile model."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")]
InstanceType = Annotated[str, StringConstraints(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")]
CronSchedule = Annotated[str, StringConstraints(pattern=r"^cron\([^)]+\)$")]

_PRIVATE_RANGES = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def _private_vpc_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 network in CIDR notation ({exc})") from None
    if not any(network.version == r.version and network.subnet_of(r) for r in _PRIVATE_RANGES):
        raise ValueError(
            f"{value} is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
            "100.64.0.0/10); a VPC that must never reach the internet uses private addresses"
        )
    if not 16 <= network.prefixlen <= 24:
        raise ValueError(f"{value}: the VPC prefix length must be /16 to /24 (VPC limits and room for subnets)")
    return str(network)


def _source_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR notation ({exc})") from None
    if network.prefixlen < 8:
        raise ValueError(f"{value} is wider than a /8: name the networks people really connect from")
    return str(network)


VpcCidr = Annotated[str, AfterValidator(_private_vpc_cidr)]
SourceCidr = Annotated[str, AfterValidator(_source_cidr)]


class StrictModel(BaseModel):
    """Base for every section: unknown keys are errors, defaults are validated, nothing mutates."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
