"""The private network every SageMaker workload of the profile runs in (N1-N4, N12, N14)."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.private_network import PrivateNetwork, endpoint_dns_name
from stacks.naming import cdk_assets_bucket_name, resource_prefix
from stacks.security_baseline import SecurityBaselineStack, removal_policy

# What any SageMaker job, model or endpoint in the VPC calls (N2): the control plane, the
# runtime, credentials, logs and metrics, container images and the project's keys.
SAGEMAKER_CORE_ENDPOINTS = {
    "sagemaker.api": "SageMaker API calls from jobs, notebooks and SDKs",
    "sagemaker.runtime": "invoking endpoints from inside the VPC",
    "sts": "credentials of the execution roles",
    "logs": "job and container logs",
    "monitoring": "job and endpoint metrics",
    "ecr.api": "container image metadata",
    "ecr.dkr": "container image pulls",
    "kms": "the project's KMS keys",
}


class NetworkStack(cdk.Stack):
    """VPC, endpoints, security groups and flow logs; other stacks take `network` as an argument.

    The network itself calls no AWS API from inside the VPC (its prefix-list lookup runs outside
    it), so it asks for no interface endpoint: each stack that runs workloads in the VPC declares
    what the profile makes it need (`interface_endpoints_for`, collected by stacks.endpoint_needs).
    """

    # Every endpoint the stack may need, with why (docs/network.md's endpoint table reads this).
    INTERFACE_ENDPOINTS: dict[str, str] = {}

    @classmethod
    def interface_endpoints_for(cls, config: ProjectConfig) -> dict[str, str]:
        return {}

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        interface_endpoints: Iterable[str],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._az_count = config.network.availability_zones
        net = config.network
        self.network = PrivateNetwork(
            self,
            "Network",
            cidr=net.cidr,
            max_azs=net.availability_zones,
            subnet_prefix_length=net.subnet_prefix_length,
            interface_endpoints=interface_endpoints,
            endpoint_zones=net.interface_endpoint_zones,
            logs_key=security.logs_key,
            log_retention=config.security.log_retention_days,
            s3_read_write_bucket_prefixes=[resource_prefix(config)],
            s3_read_only_bucket_names=[cdk_assets_bucket_name(config)],
            egress=net.egress,
            nat_gateways=net.nat_gateways,
            removal_policy=removal_policy(config),
            reserve_concurrency=config.deploy.lambda_reserved_concurrency,
        )
        self.network.require_endpoints(self.interface_endpoints_for(config), "the private network")
        if "sagemaker.api" in self.network.interface_endpoints:
            cdk.CfnOutput(
                self,
                "SageMakerApiEndpointDns",
                value=endpoint_dns_name(self.network.interface_endpoints["sagemaker.api"]),
                description="The SageMaker API endpoint's own DNS name: --endpoint-url for calls through it "
                "(e.g. presigned URLs through the access host, docs/workspace.md 'A way in')",
            )

    @property
    def availability_zones(self) -> list[str]:
        """The first N zones of the region, resolved by CloudFormation (Fn::GetAZs).

        An environment-agnostic stack otherwise gets only two zones, and a stack pinned to an
        account would need a context lookup (AWS credentials) to learn them; this keeps
        synthesis offline and gives production its three zones (N1).
        """
        return [cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(self._az_count)]
