"""The catalog's N patterns: the private SageMaker network and workspace (see scripts/catalog.py)."""

from __future__ import annotations

from scripts.catalog_model import (
    BUCKET_POLICY,
    PIPELINE,
    SG_RULES,
    Pattern,
    S,
)

NETWORK_PATTERNS: tuple[Pattern, ...] = (
    # --- N: private SageMaker network and workspace ---------------------------------------------------
    Pattern(
        "N1",
        "Private VPC across zones",
        "Training and hosting run in a VPC of isolated private subnets in two zones (three in production), "
        "without internet or NAT gateway unless egress is configured.",
        ("Network",),
        ("ml_constructs/private_network.py",),
        (S("AWS::EC2::VPC"), S("AWS::EC2::Subnet")),
    ),
    Pattern(
        "N2",
        "PrivateLink interface endpoints",
        "SageMaker API, runtime, notebook, Studio and the services they call are reached only through "
        "interface endpoints with private DNS, each with an endpoint policy where the service takes one.",
        ("Network",),
        ("ml_constructs/private_network.py", "ml_constructs/interface_endpoints.py"),
        (S("AWS::EC2::VPCEndpoint", contains=('"PrivateDnsEnabled":true',)),),
    ),
    Pattern(
        "N3",
        "S3 gateway endpoint, narrow policy",
        "S3 is reached through a gateway endpoint whose policy admits only the project's buckets and the "
        "AWS-owned buckets ECR and SageMaker need.",
        ("Network",),
        ("ml_constructs/private_network.py", "ml_constructs/s3_gateway_endpoint.py"),
        (S("AWS::EC2::VPCEndpoint", contains=('"VpcEndpointType":"Gateway"',)),),
    ),
    Pattern(
        "N4",
        "Least-open security groups",
        "No ingress from 0.0.0.0/0 or ::/0; the endpoint group admits 443 from the VPC; SageMaker groups "
        "talk to themselves and leave only for the endpoints and S3.",
        ("Network", "Inference", "Ingestion", "Pipelines", "Workspace"),
        ("ml_constructs/private_network.py", "ml_constructs/access_host.py"),
        (S(*SG_RULES),),
    ),
    Pattern(
        "N5",
        "Private notebook instances",
        "Notebook instances sit in a private subnet without direct internet or root access, KMS-encrypted, "
        "with a lifecycle configuration.",
        ("Workspace",),
        ("ml_constructs/notebook_instances.py",),
        (
            S(
                "AWS::SageMaker::NotebookInstance",
                contains=('"DirectInternetAccess":"Disabled"', '"RootAccess":"Disabled"', '"KmsKeyId"'),
            ),
            S("AWS::SageMaker::NotebookInstanceLifecycleConfig"),
        ),
    ),
    Pattern(
        "N6",
        "Studio in the VPC",
        "The Studio domain is VpcOnly, KMS-encrypted, with default security groups in its user settings.",
        ("Workspace",),
        ("ml_constructs/studio_domain.py",),
        (S("AWS::SageMaker::Domain", contains=('"AppNetworkAccessType":"VpcOnly"', '"KmsKeyId"')),),
    ),
    Pattern(
        "N7",
        "Network isolation on models and jobs",
        "Every model and training job runs with network isolation and a VPC configuration; a config asking "
        "for isolation with an image family that cannot run isolated stops synthesis.",
        ("Inference", "Pipelines"),
        ("ml_constructs/hosted_model.py", "stacks/images.py", "config/inference_endpoints.py"),
        (
            S("AWS::SageMaker::Model", contains=('"EnableNetworkIsolation":true', '"VpcConfig"')),
            S(PIPELINE, contains=("EnableNetworkIsolation",)),
        ),
    ),
    Pattern(
        "N8",
        "Preventive SageMaker guardrails",
        "Data-science roles carry a policy denying sagemaker:Create* without VPC subnets, network isolation, "
        "volume key or inter-container encryption, or with direct internet or root access; iam:PassRole is "
        "limited to the execution role and SageMaker.",
        ("Workspace", "Pipelines", "Inference"),
        ("ml_constructs/sagemaker_guardrails.py", "ml_constructs/instance_storage.py"),
        (S("AWS::IAM::ManagedPolicy", contains=("N8 guardrails",)),),
    ),
    Pattern(
        "N9",
        "Attribute-based access to own resources",
        "Presigned URLs and Studio apps are allowed only where the resource's owner tag equals the "
        "principal's owner tag.",
        ("Workspace",),
        (
            "ml_constructs/owner_tags.py",
            "ml_constructs/workspace_execution_role.py",
            "ml_constructs/data_scientist_roles.py",
        ),
        (S("AWS::IAM::ManagedPolicy", contains=("sagemaker:ResourceTag/owner", "aws:PrincipalTag/owner")),),
    ),
    Pattern(
        "N10",
        "TLS-only buckets behind the VPC endpoint",
        "Every bucket policy denies requests without TLS; data buckets deny access that does not come "
        "through the project's S3 endpoint, with a narrow exception for the deploy role.",
        ("SecurityBaseline", "Data", "Lake"),
        ("ml_constructs/secure_bucket.py",),
        (S(BUCKET_POLICY, contains=('"aws:SecureTransport":"false"',)),),
    ),
    Pattern(
        "N11",
        "Customer-managed encryption at rest",
        "Customer-managed KMS keys with rotation; every bucket SSE-KMS with a bucket key (the access-log "
        "bucket excepted, acknowledged); log groups, streams, catalogs and capture locations encrypted.",
        ("SecurityBaseline", "Data", "Lake", "Ingestion", "Inference"),
        ("ml_constructs/keys.py", "ml_constructs/secure_bucket.py", "ml_constructs/log_group.py"),
        (
            S("AWS::KMS::Key", contains=('"EnableKeyRotation":true',)),
            S("AWS::S3::Bucket", contains=('"SSEAlgorithm":"aws:kms"',)),
            S("AWS::Logs::LogGroup", contains=('"KmsKeyId"',)),
        ),
    ),
    Pattern(
        "N12",
        "Flow logs and an audit trail",
        "VPC flow logs; a multi-region CloudTrail trail with log file validation and KMS, unless the config "
        "says an organization trail exists.",
        ("Network", "SecurityBaseline"),
        ("ml_constructs/private_network.py", "ml_constructs/audit_trail.py"),
        (
            S("AWS::EC2::FlowLog"),
            S(
                "AWS::CloudTrail::Trail",
                contains=('"EnableLogFileValidation":true', '"IsMultiRegionTrail":true', '"KMSKeyId"'),
            ),
        ),
    ),
    Pattern(
        "N13",
        "Presigned URLs from known places",
        "sagemaker:CreatePresignedNotebookInstanceUrl and CreatePresignedDomainUrl are allowed only from the "
        "configured ranges or the VPC endpoint.",
        ("Workspace",),
        ("ml_constructs/data_scientist_roles.py", "ml_constructs/access_host.py"),
        (S("AWS::IAM::ManagedPolicy", contains=("sagemaker:CreatePresigned",)),),
    ),
    Pattern(
        "N14",
        "Egress only when asked",
        "A NAT gateway only in the opt-in egress mode, off in both profiles; the security group and the "
        "acknowledgments say what it opens.",
        ("Network",),
        ("ml_constructs/private_network.py",),
        (
            S("AWS::EC2::NatGateway"),
            S("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress", contains=("Egress mode (N14)",)),
        ),
        note="Off in the sandbox and production profiles; the tests' variant turns it on.",
    ),
    # --- I: ingestion ------------------------------------------------------------------------------------
)
