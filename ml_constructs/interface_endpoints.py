"""The interface endpoints the private network can create (N2): what each is for, and its endpoint policy."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam


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


def endpoint_dns_name(endpoint: ec2.InterfaceVpcEndpoint) -> str:
    """The endpoint-specific regional DNS name (vpce-....<service>.vpce.amazonaws.com): public, it
    resolves to the endpoint's private addresses, for an `--endpoint-url` that names this endpoint."""
    first_entry = cdk.Fn.select(0, endpoint.vpc_endpoint_dns_entries)  # "<hosted zone id>:<dns name>"
    return cdk.Fn.select(1, cdk.Fn.split(":", first_entry))


def add_interface_endpoint(
    vpc: ec2.Vpc, name: str, *, subnets: ec2.SubnetSelection, security_group: ec2.ISecurityGroup
) -> ec2.InterfaceVpcEndpoint:
    """Endpoint `name` of the catalogue in `vpc`, with private DNS and, where the service takes one, a policy
    that admits only this account's principals to the service's actions."""
    spec = INTERFACE_ENDPOINTS[name]
    endpoint = vpc.add_interface_endpoint(
        spec.construct_id,
        service=spec.service,
        private_dns_enabled=True,
        subnets=subnets,
        security_groups=[security_group],
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
    return endpoint
