"""The private network's S3 gateway endpoint and its narrow policy (N3)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

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


def add_s3_gateway_endpoint(
    vpc: ec2.Vpc,
    *,
    subnets: ec2.SubnetSelection,
    read_write_prefixes: Sequence[str],
    read_only_names: Sequence[str],
) -> ec2.GatewayVpcEndpoint:
    """The S3 gateway endpoint of `vpc`: the project's buckets (by name prefix) in this account, its read-only
    buckets by name, and the AWS-owned buckets ECR and the notebook platforms read."""
    endpoint = vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[subnets])
    account = cdk.Aws.ACCOUNT_ID
    s3_arn = f"arn:{cdk.Stack.of(vpc).partition}:s3:::"
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
            resources=[f"{s3_arn}{n}/*" for n in _aws_owned_read_buckets(cdk.Stack.of(vpc).region)],
        )
    )
    return endpoint
