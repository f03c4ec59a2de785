"""The private VPC that SageMaker workloads run in (patterns N1, N2, N3, N4, N12, N14)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
from ml_constructs.log_group import EncryptedLogGroup
from ml_constructs.python_function import NO_RESERVED_CONCURRENCY

HTTPS = ec2.Port.tcp(443)
# The id aws-cdk-lib gives the singleton function behind every AwsCustomResource in a stack.
_AWS_CUSTOM_RESOURCE_HANDLER = "AWS679f53fac002430cb0da5b7982bd2287"


@dataclass(frozen=True)
class InterfaceEndpointSpec:
    """One interface endpoint the network can create, and why a workload needs it."""

    construct_id: str
    service: ec2.InterfaceVpcEndpointAwsService
    purpose: str
    # Actions the endpoint policy admits for this account's principals. Empty for the two
    # browser endpoints, whose traffic is authorized by presigned URLs, not IAM principals.
    policy_actions: tuple[str, ...]


_S = ec2.InterfaceVpcEndpointAwsService
INTERFACE_ENDPOINTS: dict[str, InterfaceEndpointSpec] = {
    spec_name: spec
    for spec_name, spec in (
        (
            "sagemaker.api",
            InterfaceEndpointSpec(
                "SageMakerApi",
                _S.SAGEMAKER_API,
                "SageMaker control plane: create jobs, models, presigned URLs",
                ("sagemaker:*",),
            ),
        ),
        (
            "sagemaker.runtime",
            InterfaceEndpointSpec(
                "SageMakerRuntime",
                _S.SAGEMAKER_RUNTIME,
                "InvokeEndpoint from notebooks and applications",
                (
                    "sagemaker:InvokeEndpoint",
                    "sagemaker:InvokeEndpointAsync",
                    "sagemaker:InvokeEndpointWithResponseStream",
                ),
            ),
        ),
        (
            "sagemaker.featurestore-runtime",
            InterfaceEndpointSpec(
                "SageMakerFeatureStore",
                _S.SAGEMAKER_FEATURESTORE_RUNTIME,
                "Feature Store online reads and writes",
                ("sagemaker:GetRecord", "sagemaker:PutRecord", "sagemaker:DeleteRecord", "sagemaker:BatchGetRecord"),
            ),
        ),
        (
            "sagemaker.metrics",
            InterfaceEndpointSpec(
                "SageMakerMetrics",
                _S.SAGEMAKER_METRICS,
                "Training metrics for SageMaker Experiments",
                ("sagemaker:BatchPutMetrics",),
            ),
        ),
        (
            "notebook",
            InterfaceEndpointSpec(
                "Notebook", _S.SAGEMAKER_NOTEBOOK, "Browser access to notebook instances from inside the network", ()
            ),
        ),
        (
            "studio",
            InterfaceEndpointSpec(
                "Studio", _S.SAGEMAKER_STUDIO, "Browser access to SageMaker Studio (VpcOnly domains)", ()
            ),
        ),
        (
            "sts",
            InterfaceEndpointSpec(
                "Sts",
                _S.STS,
                "Role credentials for SDKs and containers",
                ("sts:AssumeRole", "sts:GetCallerIdentity", "sts:TagSession", "sts:SetSourceIdentity"),
            ),
        ),
        (
            "logs",
            InterfaceEndpointSpec(
                "CloudWatchLogs", _S.CLOUDWATCH_LOGS, "Container, job and notebook logs", ("logs:*",)
            ),
        ),
        (
            "monitoring",
            InterfaceEndpointSpec(
                "CloudWatchMonitoring",
                _S.CLOUDWATCH_MONITORING,
                "Metrics from jobs, endpoints and notebooks",
                ("cloudwatch:*",),
            ),
        ),
        (
            "events",
            InterfaceEndpointSpec(
                "EventBridge", _S.EVENTBRIDGE, "Events from workloads in the VPC", ("events:PutEvents",)
            ),
        ),
        (
            "ecr.api",
            InterfaceEndpointSpec("EcrApi", _S.ECR, "Container image metadata and registry authentication", ("ecr:*",)),
        ),
        (
            "ecr.dkr",
            InterfaceEndpointSpec(
                "EcrDocker", _S.ECR_DOCKER, "Container image pulls (layers come through the S3 gateway)", ("ecr:*",)
            ),
        ),
        ("kms", InterfaceEndpointSpec("Kms", _S.KMS, "Encrypt and decrypt with the project's keys", ("kms:*",))),
        ("glue", InterfaceEndpointSpec("Glue", _S.GLUE, "Glue Data Catalog from notebooks and jobs", ("glue:*",))),
        ("athena", InterfaceEndpointSpec("Athena", _S.ATHENA, "Athena queries from notebooks", ("athena:*",))),
        (
            "kinesis-streams",
            InterfaceEndpointSpec(
                "KinesisStreams", _S.KINESIS_STREAMS, "Kinesis Data Streams producers and consumers", ("kinesis:*",)
            ),
        ),
        (
            "kinesis-firehose",
            InterfaceEndpointSpec("KinesisFirehose", _S.KINESIS_FIREHOSE, "Firehose producers", ("firehose:*",)),
        ),
        (
            "ssm",
            InterfaceEndpointSpec(
                "Ssm", _S.SSM, "Parameter Store reads; Systems Manager agent registration (access host)", ("ssm:*",)
            ),
        ),
        (
            "ssmmessages",
            InterfaceEndpointSpec(
                "SsmMessages",
                _S.SSM_MESSAGES,
                "Session Manager channels of the access host (port forwarding)",
                ("ssmmessages:*",),
            ),
        ),
        (
            "ec2messages",
            InterfaceEndpointSpec(
                "Ec2Messages", _S.EC2_MESSAGES, "Systems Manager agent messages (access host)", ("ec2messages:*",)
            ),
        ),
        (
            "states",
            InterfaceEndpointSpec("StepFunctions", _S.STEP_FUNCTIONS, "Step Functions from workloads", ("states:*",)),
        ),
        ("sns", InterfaceEndpointSpec("Sns", _S.SNS, "Notifications from workloads", ("sns:*",))),
        ("sqs", InterfaceEndpointSpec("Sqs", _S.SQS, "Queues used by workloads", ("sqs:*",))),
        ("lambda", InterfaceEndpointSpec("Lambda", _S.LAMBDA_, "Invoking functions from the VPC", ("lambda:*",))),
        ("execute-api", InterfaceEndpointSpec("ApiGateway", _S.APIGATEWAY, "Private REST APIs", ("execute-api:*",))),
        (
            "secretsmanager",
            InterfaceEndpointSpec("SecretsManager", _S.SECRETS_MANAGER, "Secrets for workloads", ("secretsmanager:*",)),
        ),
        (
            "codeartifact.api",
            InterfaceEndpointSpec(
                "CodeArtifactApi",
                _S.CODEARTIFACT_API,
                "Python packages without internet (login)",
                ("codeartifact:*", "sts:GetServiceBearerToken"),
            ),
        ),
        (
            "codeartifact.repositories",
            InterfaceEndpointSpec(
                "CodeArtifactRepositories",
                _S.CODEARTIFACT_REPOSITORIES,
                "Python packages without internet (downloads)",
                ("codeartifact:*",),
            ),
        ),
    )
}

# S3 actions a workload in the VPC may use on the project's buckets (data plane only: no
# bucket policy, ACL or configuration changes from inside the network).
S3_DATA_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
)


def _aws_owned_read_buckets(region: str) -> list[str]:
    """AWS-owned buckets that workloads in the VPC read through the S3 gateway endpoint."""
    return [
        f"prod-{region}-starport-layer-bucket",  # ECR image layers (docs: ECR interface endpoints)
        f"amazonlinux-2-repos-{region}",  # yum on Amazon Linux 2 notebook platforms
        f"al2023-repos-{region}-de612dc2",  # dnf on Amazon Linux 2023 notebook platforms
    ]


def endpoint_dns_name(endpoint: ec2.InterfaceVpcEndpoint) -> str:
    """The endpoint-specific regional DNS name (vpce-....<service>.vpce.amazonaws.com): public, it
    resolves to the endpoint's private addresses, for an `--endpoint-url` that names this endpoint."""
    first_entry = cdk.Fn.select(0, endpoint.vpc_endpoint_dns_entries)  # "<hosted zone id>:<dns name>"
    return cdk.Fn.select(1, cdk.Fn.split(":", first_entry))


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
      endpoint policy that admits only this account's principals to the service's actions;
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
            self._add_interface_endpoint(name)
        self.s3_endpoint = self._add_s3_gateway_endpoint(s3_read_write_bucket_prefixes, s3_read_only_bucket_names)

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

    def _add_interface_endpoint(self, name: str) -> None:
        spec = INTERFACE_ENDPOINTS[name]
        endpoint = self.vpc.add_interface_endpoint(
            spec.construct_id,
            service=spec.service,
            private_dns_enabled=True,
            subnets=self.workload_subnets,
            security_groups=[self.endpoint_security_group],
            open=False,
        )
        if spec.policy_actions:
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="OnlyThisAccountsPrincipals",
                    principals=[iam.AnyPrincipal()],
                    actions=list(spec.policy_actions),
                    resources=["*"],
                    conditions={"StringEquals": {"aws:PrincipalAccount": cdk.Aws.ACCOUNT_ID}},
                )
            )
        self.interface_endpoints[name] = endpoint

    def _add_s3_gateway_endpoint(
        self, read_write_prefixes: Sequence[str], read_only_names: Sequence[str]
    ) -> ec2.GatewayVpcEndpoint:
        endpoint = self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.workload_subnets]
        )
        account = cdk.Aws.ACCOUNT_ID
        s3_arn = f"arn:{cdk.Stack.of(self).partition}:s3:::"
        this_account = {"aws:PrincipalAccount": account, "aws:ResourceAccount": account}
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="ProjectBuckets",
                principals=[iam.AnyPrincipal()],
                actions=list(S3_DATA_ACTIONS),
                resources=[arn for p in read_write_prefixes for arn in (f"{s3_arn}{p}*", f"{s3_arn}{p}*/*")],
                conditions={"StringEquals": this_account},
            )
        )
        if read_only_names:
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="ProjectReadOnlyBuckets",
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                    resources=[arn for n in read_only_names for arn in (f"{s3_arn}{n}", f"{s3_arn}{n}/*")],
                    conditions={"StringEquals": this_account},
                )
            )
        # No principal condition here, unlike the statements above: ECR layer downloads are S3
        # requests on a pre-signed URL ECR's own principal signs (ECR User Guide, "Amazon ECR
        # interface VPC endpoints": the minimum gateway-endpoint statement is s3:GetObject on
        # prod-<region>-starport-layer-bucket/* for Principal *), and yum/dnf read the Amazon Linux
        # repository buckets anonymously, so aws:PrincipalAccount is never this account on either.
        # The statement is bounded by what it names instead: read-only, objects only, these buckets.
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="AwsOwnedBucketsForImagesAndPackages",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[f"{s3_arn}{n}/*" for n in _aws_owned_read_buckets(cdk.Stack.of(self).region)],
            )
        )
        return endpoint

    def require_endpoints(self, names: Iterable[str], consumer: str) -> None:
        """Fail synthesis when `consumer` needs an interface endpoint this network lacks."""
        missing = sorted(set(names) - set(self.interface_endpoints))
        if missing:
            raise ValueError(
                f"{consumer} needs interface endpoints the private network does not create: {', '.join(missing)}"
            )

    def subnet_ids(self) -> list[str]:
        return self.vpc.select_subnets(subnet_group_name="Workloads").subnet_ids
