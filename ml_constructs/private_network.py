"""The private VPC that SageMaker workloads run in (patterns N1, N2, N3, N4, N12, N14).

The interface-endpoint catalogue is in ml_constructs/interface_endpoints.py and the S3 gateway endpoint's
policy in ml_constructs/s3_gateway_endpoint.py; their public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import custom_resources as cr
from constructs import Construct

from ml_constructs.acknowledgments import CONTROL_TOWER, HIPAA, NIST, acknowledge, acknowledge_compliance
from ml_constructs.cdk_providers import RESTRICT_DEFAULT_SECURITY_GROUP, settle_provider
from ml_constructs.cfn import drop_redundant_dependency
from ml_constructs.iam import ManagedPolicyRole, Statements
from ml_constructs.interface_endpoints import (
    INTERFACE_ENDPOINTS,
    InterfaceEndpointSpec,
    add_interface_endpoint,
    endpoint_dns_name,
)
from ml_constructs.log_group import EncryptedLogGroup
from ml_constructs.python_function import NO_RESERVED_CONCURRENCY
from ml_constructs.s3_gateway_endpoint import S3_DATA_ACTIONS, add_s3_gateway_endpoint

__all__ = [
    "HTTPS",
    "INTERFACE_ENDPOINTS",
    "S3_DATA_ACTIONS",
    "AwsServicePrefixList",
    "InterfaceEndpointSpec",
    "PrivateNetwork",
    "endpoint_dns_name",
]

HTTPS = ec2.Port.tcp(443)
# The id aws-cdk-lib gives the singleton function behind every AwsCustomResource in a stack.
_AWS_CUSTOM_RESOURCE_HANDLER = "AWS679f53fac002430cb0da5b7982bd2287"


class AwsServicePrefixList(Construct):
    """The ID of an AWS service's prefix list (e.g. S3's), looked up when the stack deploys.

    Security-group rules to a gateway endpoint name the service's prefix list, whose ID
    differs per region. Synthesis stays offline and deterministic: the ID is resolved by a
    deployment-time call to ec2:DescribePrefixLists, the only permission the lookup has.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        logs_key: kms.IKey,
        log_retention: int,
        removal_policy: cdk.RemovalPolicy,
        reserve_concurrency: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"com.amazonaws.{cdk.Stack.of(self).region}.{service}"
        call = cr.AwsSdkCall(
            service="EC2",
            action="describePrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [name]}]},
            physical_resource_id=cr.PhysicalResourceId.of(name),
            output_paths=["PrefixLists.0.PrefixListId"],
        )
        role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Looks up the ID of prefix list {name} at deployment",
            policy_description=f"Describe the {service} prefix list and write the lookup's own logs",
        )
        grants = Statements(role.add_to_principal_policy)
        grants.allow(
            "DescribePrefixLists",
            ("ec2:DescribePrefixLists",),
            ["*"],
            wildcard_reason="ec2:DescribePrefixLists has no resource-level permissions (Service "
            "Authorization Reference), so it can only be granted on '*'; the role has no other EC2 action.",
        )
        grants.acknowledge(role.grants_policy.node.default_child)
        log_group = EncryptedLogGroup(
            self, "Logs", encryption_key=logs_key, retention=log_retention, removal_policy=removal_policy
        ).log_group
        log_group.grant_write(role)
        lookup = cr.AwsCustomResource(
            self,
            "Lookup",
            on_create=call,
            on_update=call,
            role=role,
            log_group=log_group,
            install_latest_aws_sdk=False,
            timeout=cdk.Duration.minutes(2),
        )
        self.prefix_list_id = lookup.get_response_field("PrefixLists.0.PrefixListId")
        self._settle_handler(role, reserve_concurrency)

    def _settle_handler(self, role: ManagedPolicyRole, reserve_concurrency: bool) -> None:
        """The singleton Lambda behind AwsCustomResource: one at a time when the account can
        reserve concurrency, its findings explained."""
        handler: lambda_.Function = cdk.Stack.of(self).node.find_child(_AWS_CUSTOM_RESOURCE_HANDLER)
        function: lambda_.CfnFunction = handler.node.default_child
        if reserve_concurrency:
            function.reserved_concurrent_executions = 1
        else:
            for pack in (HIPAA, NIST):
                acknowledge(function, f"{pack}LambdaConcurrency", NO_RESERVED_CONCURRENCY)
        drop_redundant_dependency(function, role.node.default_child)
        outside_vpc = (
            "Runs once per deployment to read one AWS-managed prefix-list id with "
            "ec2:DescribePrefixLists; it must answer CloudFormation before the VPC's workloads "
            "exist, and inside the isolated VPC it would need an EC2 API endpoint only for this."
        )
        acknowledge_compliance(function, "LambdaInsideVPC", outside_vpc)
        acknowledge(function, f"{CONTROL_TOWER}lambda_inside_vpc_check", outside_vpc)
        no_dlq = (
            "CloudFormation custom-resource handler: a failed invocation fails the stack operation, "
            "which CloudFormation rolls back and reports; a dead-letter queue would hold nothing to act on."
        )
        for pack in (HIPAA, NIST):
            acknowledge(function, f"{pack}LambdaDLQ", no_dlq)


class PrivateNetwork(Construct):
    """A VPC with no path to the internet and PrivateLink to the AWS APIs workloads call.

    - private isolated subnets in every configured availability zone (N1), no internet
      gateway and no NAT unless `egress` is on (N14), which adds public subnets holding only
      NAT gateways and opens HTTPS egress;
    - interface endpoints with private DNS for `interface_endpoints` (N2), each with an
      endpoint policy that admits only this account's principals to the service's actions,
      in every zone or, with `endpoint_zones`, in the first N zones' subnets only;
    - an S3 gateway endpoint whose policy admits only buckets named with the project's
      prefixes in this account, the project's read-only buckets, and the AWS-owned buckets
      ECR and the notebook platforms read (N3);
    - an endpoint security group that admits HTTPS from the VPC only, and a workload security
      group that talks to itself (distributed training, Studio apps) and otherwise only to
      the endpoints and the S3 prefix list (N4); the default security group is emptied;
    - flow logs of all traffic to a KMS-encrypted log group (N12).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        max_azs: int,
        subnet_prefix_length: int,
        interface_endpoints: Iterable[str],
        logs_key: kms.IKey,
        endpoint_zones: int | None = None,
        log_retention: int,
        s3_read_write_bucket_prefixes: Sequence[str],
        s3_read_only_bucket_names: Sequence[str] = (),
        egress: bool = False,
        nat_gateways: int = 1,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        reserve_concurrency: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(interface_endpoints) - set(INTERFACE_ENDPOINTS))
        if unknown:
            raise ValueError(f"unknown interface endpoints: {', '.join(unknown)}")
        if endpoint_zones is not None and not 1 <= endpoint_zones <= max_azs:
            raise ValueError(f"endpoint_zones must be between 1 and max_azs ({max_azs}), not {endpoint_zones}")
        self.egress = egress
        workload_type = ec2.SubnetType.PRIVATE_WITH_EGRESS if egress else ec2.SubnetType.PRIVATE_ISOLATED
        subnets = [ec2.SubnetConfiguration(name="Workloads", subnet_type=workload_type, cidr_mask=subnet_prefix_length)]
        if egress:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="Egress", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=28, map_public_ip_on_launch=False
                )
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=max_azs,
            subnet_configuration=subnets,
            nat_gateways=nat_gateways if egress else 0,
            create_internet_gateway=egress,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            restrict_default_security_group=True,
        )
        self.workload_subnets = ec2.SubnetSelection(subnet_group_name="Workloads")
        # Interface endpoints bill per zone-hour: `endpoint_zones` puts their network interfaces in the
        # first N private subnets only (the subnets themselves stay in every zone, N1). Workloads in the
        # other zones reach them across zones; an outage of those zones cuts the VPC off the AWS APIs.
        workload_subnets = self.vpc.select_subnets(subnet_group_name="Workloads").subnets
        self.endpoint_subnets = (
            ec2.SubnetSelection(subnets=workload_subnets[:endpoint_zones])
            if endpoint_zones is not None and endpoint_zones < len(workload_subnets)
            else self.workload_subnets
        )
        if egress:
            for subnet in self.vpc.public_subnets:
                acknowledge_compliance(
                    subnet.node.find_child("DefaultRoute"),
                    "VPCNoUnrestrictedRouteToIGW",
                    "Egress mode (N14), opt-in and off by default: this public subnet holds only a NAT "
                    "gateway, no workload, and this route is how the NAT reaches the internet. Workloads "
                    "stay in private subnets and may leave only on HTTPS.",
                )
        settle_provider(
            self,
            RESTRICT_DEFAULT_SECURITY_GROUP,
            "removes the default security group's rules when the VPC is created (N4); it calls "
            "only ec2:RevokeSecurityGroupIngress/Egress on that one group.",
        )

        self.flow_log_group = EncryptedLogGroup(
            self, "FlowLogs", encryption_key=logs_key, retention=log_retention, removal_policy=removal_policy
        ).log_group
        flow_log_role = ManagedPolicyRole(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            ),
            description="Delivers this VPC's flow logs to its log group",
            policy_description="Write VPC flow logs to the flow-log group only",
        )
        self.flow_log = ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group, flow_log_role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
            max_aggregation_interval=ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
        )

        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from inside the VPC only",
            allow_all_outbound=False,
        )
        self.endpoint_security_group.add_ingress_rule(ec2.Peer.ipv4(cidr), HTTPS, "HTTPS from the VPC")
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for name in sorted(set(interface_endpoints)):
            self.interface_endpoints[name] = add_interface_endpoint(
                self.vpc, name, subnets=self.endpoint_subnets, security_group=self.endpoint_security_group
            )
        self.s3_endpoint = add_s3_gateway_endpoint(
            self.vpc,
            subnets=self.workload_subnets,
            read_write_prefixes=s3_read_write_bucket_prefixes,
            read_only_names=s3_read_only_bucket_names,
        )

        s3_prefix_list = AwsServicePrefixList(
            self,
            "S3PrefixList",
            service="s3",
            logs_key=logs_key,
            log_retention=log_retention,
            removal_policy=removal_policy,
            reserve_concurrency=reserve_concurrency,
        )
        self.workload_security_group = ec2.SecurityGroup(
            self,
            "WorkloadSecurityGroup",
            vpc=self.vpc,
            description="SageMaker workloads: each other, the interface endpoints and S3 only",
            allow_all_outbound=False,
        )
        workloads = self.workload_security_group
        workloads.add_ingress_rule(workloads, ec2.Port.all_traffic(), "Distributed training and Studio apps")
        self_ingress = workloads.node.find_child(f"from {cdk.Names.unique_id(workloads)}:ALL TRAFFIC")
        acknowledge_compliance(
            self_ingress,
            "EC2RestrictedCommonPorts",
            "The source of this rule is the same security group (members only), not an IP range: "
            "SageMaker distributed training and Studio apps talk to each other on ports chosen at "
            "run time, which SageMaker's VPC guidance says to allow within the group.",
        )
        workloads.add_egress_rule(workloads, ec2.Port.all_traffic(), "Distributed training and Studio apps")
        workloads.add_egress_rule(self.endpoint_security_group, HTTPS, "AWS APIs through interface endpoints")
        workloads.add_egress_rule(
            ec2.Peer.prefix_list(s3_prefix_list.prefix_list_id), HTTPS, "S3 through the gateway endpoint"
        )
        if egress:
            workloads.add_egress_rule(ec2.Peer.any_ipv4(), HTTPS, "Egress mode (N14): HTTPS to the internet via NAT")

    def require_endpoints(self, names: Iterable[str], consumer: str) -> None:
        """Fail synthesis when `consumer` needs an interface endpoint this network lacks."""
        missing = sorted(set(names) - set(self.interface_endpoints))
        if missing:
            raise ValueError(
                f"{consumer} needs interface endpoints the private network does not create: {', '.join(missing)}"
            )

    def subnet_ids(self) -> list[str]:
        return self.vpc.select_subnets(subnet_group_name="Workloads").subnet_ids
