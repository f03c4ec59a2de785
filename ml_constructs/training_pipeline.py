"""The training pipeline as deployed: its role, registry, definition and approval path (M1-M7).

The definition itself is built with the SageMaker Python SDK (pipelines/training.py); these
constructs give it what only exists at deploy time and everything around it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ml_constructs.acknowledgments import (
    CONTROL_TOWER,
    acknowledge,
    acknowledge_imported_reference,
    is_imported,
)
from ml_constructs.iam import SageMakerExecutionRole, Statements, this_region_arn
from ml_constructs.python_function import PrivateSubnets, python_function

HANDLER_DIR = Path(__file__).resolve().parent / "runtime" / "approval"


class PipelineExecutionRole(Construct):
    """The role the pipeline and its jobs run as (M1, M2).

    It reads the pipeline's scripts and sample data and the datasets bucket, reads and writes
    only the pipeline's prefix of the artifacts bucket, uses the data key for volumes and outputs, creates the
    pipeline's jobs and models and registers packages in its one group, and passes only
    itself to SageMaker. The N8 guardrails are attached by the stack. It has a fixed name: the
    pipeline definition names it, and the artifacts bucket admits it from SageMaker's service
    (the pipeline reads its evaluation report from there, outside the VPC).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        artifacts: s3.IBucket,
        prefix: str,
        datasets: s3.IBucket,
        data_key: kms.IKey,
        model_package_group: str,
        inputs: Sequence[assets.Asset],
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = SageMakerExecutionRole(
            self,
            "Role",
            role_name=role_name,
            description="SageMaker training pipeline and its jobs",
            policy_description="Training pipeline: its scripts, its artifacts prefix, the data key, its jobs",
        )
        grants = self.role.statements
        grants.acknowledge(self.role.grants_policy.node.default_child)
        grants.allow(
            "ReadScriptsAndSampleData", ("s3:GetObject",), [a.bucket.arn_for_objects(a.s3_object_key) for a in inputs]
        )
        # Processing inputs are S3Prefix channels: SageMaker lists the prefix (the asset's key)
        # before it downloads, so listing is granted for exactly those keys (StringLike, not
        # ...IfExists: a listing without a prefix is not allowed).
        if inputs:
            grants.allow(
                "ListScriptsAndSampleData",
                ("s3:ListBucket",),
                list(dict.fromkeys(a.bucket.bucket_arn for a in inputs)),
                {"StringLike": {"s3:prefix": [a.s3_object_key for a in inputs]}},
            )
        grants.allow(
            "ReadDatasets",
            ("s3:GetObject",),
            [datasets.arn_for_objects("*")],
            wildcard_reason="Training data a run is pointed at (its InputData parameter) in the project's datasets "
            "bucket, read-only.",
        )
        grants.allow("ListDatasets", ("s3:ListBucket", "s3:GetBucketLocation"), [datasets.bucket_arn])
        grants.allow(
            "PipelineArtifacts",
            ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"),
            [artifacts.arn_for_objects(f"{prefix}*")],
            wildcard_reason="Objects under the pipeline's own prefix of the artifacts bucket, named per execution "
            "and job (prepared data, checkpoints, models, evaluation, transform output).",
        )
        # Listing must name the pipeline's prefix: StringLike (not ...IfExists), so a listing
        # without a prefix is not allowed; GetBucketLocation carries no s3:prefix.
        grants.allow(
            "ListPipelineArtifacts",
            ("s3:ListBucket",),
            [artifacts.bucket_arn],
            {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        )
        grants.allow("LocateArtifactsBucket", ("s3:GetBucketLocation",), [artifacts.bucket_arn])
        self.role.use_data_key(data_key.key_arn)
        grants.allow(
            "PipelineJobs",
            (
                "sagemaker:CreateProcessingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob",
                "sagemaker:CreateHyperParameterTuningJob",
                "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob",
                "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                "sagemaker:CreateTransformJob",
                "sagemaker:DescribeTransformJob",
                "sagemaker:StopTransformJob",
                "sagemaker:CreateModel",
                "sagemaker:DescribeModel",
                "sagemaker:AddTags",
            ),
            [
                this_region_arn(self, "sagemaker", f"{kind}/*")
                for kind in ("processing-job", "training-job", "hyper-parameter-tuning-job", "transform-job", "model")
            ],
            wildcard_reason="SageMaker Pipelines names each execution's jobs and models itself; the role acts on "
            "jobs and models of this account and region, created under the N8 guardrail denies.",
        )
        grants.allow(
            "RegisterInTheModelGroup",
            ("sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:AddTags"),
            [
                this_region_arn(self, "sagemaker", f"model-package-group/{model_package_group}"),
                this_region_arn(self, "sagemaker", f"model-package/{model_package_group}/*"),
            ],
            wildcard_reason="Versions of the pipeline's one model package group, numbered by SageMaker.",
        )
        grants.allow(
            "PassOnlyItselfToSageMaker",
            ("iam:PassRole",),
            [self.role.role_arn],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )


class TrainingPipeline(Construct):
    """The model package group and the SageMaker pipeline (M1, M6).

    `definition` is the SDK's JSON with `${Name}` placeholders; `variables` maps each name
    to its deploy-time value, and CloudFormation substitutes them (Fn::Sub).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline_name: str,
        model_package_group: str,
        definition: str,
        variables: Mapping[str, str],
        role: iam.IRole,
        max_parallel_steps: int = 2,
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=model_package_group,
            model_package_group_description="Purchase-propensity models registered by the training pipeline",
        )
        self.pipeline = sagemaker.CfnPipeline(
            self,
            "Pipeline",
            pipeline_name=pipeline_name,
            pipeline_description="Prepare, train or tune, evaluate, and register purchase-propensity models",
            pipeline_definition={"PipelineDefinitionBody": cdk.Fn.sub(definition, dict(variables))},
            role_arn=role.role_arn,
            parallelism_configuration={"MaxParallelExecutionSteps": max_parallel_steps},
        )
        # Registration needs the group; nothing in the pipeline's properties refers to it.
        self.pipeline.node.add_dependency(self.group)


class ApprovalDeployment(Construct):
    """Approving a model package deploys it to the real-time endpoint's variant (M6).

    An EventBridge rule on "SageMaker Model Package State Change" for the group, approved,
    invokes a function in the private subnets (SageMaker API through its interface endpoint)
    that creates the model and updates the endpoint under its own guardrails; the endpoint's
    role gets read access to the registered models' archives. Events that
    cannot be delivered, and invocations that fail after Lambda's retries, land in an
    encrypted dead-letter queue.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_group: str,
        endpoint_name: str,
        variant: str,
        weight: float | None,
        model_role: iam.IRole,
        models_bucket: s3.IBucket,
        models_prefix: str,
        data_key: kms.IKey,
        queue_key: kms.IKey,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        subnet_ids: Sequence[str],
        model_security_group: ec2.ISecurityGroup,
        endpoints_security_group: ec2.ISecurityGroup,
        logs_key: kms.IKey,
        log_retention: int,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        reserve_concurrency: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=queue_key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            # It is a dead-letter queue of a rule and a function, not of another queue.
            redrive_allow_policy=sqs.RedriveAllowPolicy(redrive_permission=sqs.RedrivePermission.DENY_ALL),
        )
        queue = self.dead_letters.node.default_child
        dead_letter_queue = (
            "This queue is itself the dead-letter queue of the approval rule's target and function, where "
            "failed approvals wait for an operator; it is no queue's source, so it has no redrive of its own "
            "(RedriveAllowPolicy denyAll says no other queue may use it either)."
        )
        acknowledge(queue, f"{CONTROL_TOWER}sqs_dlq_check", dead_letter_queue)
        if is_imported(self, queue_key):
            acknowledge_imported_reference(
                queue, "sqs_queue_encrypted_check", "KmsMasterKeyId (the project's notifications key)", queue_key
            )
        parts = python_function(
            self,
            description="Approved model package -> model in the VPC -> endpoint variant, under its guardrails",
            code=HANDLER_DIR,
            handler="handler.handler",
            role_description="Deploys approved model packages to the real-time endpoint",
            policy_description="Create models from approved packages and update the real-time endpoint",
            logs_key=logs_key,
            log_retention=log_retention,
            timeout=cdk.Duration.minutes(1),
            environment_key=data_key,
            # One deployment at a time: two approvals never update the endpoint concurrently.
            reserved_concurrency=1 if reserve_concurrency else None,
            dead_letter_queue=self.dead_letters,
            network=PrivateSubnets(vpc, subnets, "Approval deployment function: HTTPS to the interface endpoints"),
            environment={
                "ENDPOINT_NAME": endpoint_name,
                "VARIANT_NAME": variant,
                "VARIANT_WEIGHT": "" if weight is None else repr(float(weight)),
                "MODEL_PACKAGE_GROUP": model_package_group,
                "MODEL_ROLE_ARN": model_role.role_arn,
                "SUBNET_IDS": ",".join(subnet_ids),
                "SECURITY_GROUP_IDS": model_security_group.security_group_id,
            },
            removal_policy=removal_policy,
        )
        self.function = parts.function
        self.role = parts.role
        parts.security_group.add_egress_rule(endpoints_security_group, ec2.Port.tcp(443), "SageMaker API endpoint")
        grants = parts.grants
        grants.allow(
            "ReadApprovedPackages",
            ("sagemaker:DescribeModelPackage",),
            [this_region_arn(self, "sagemaker", f"model-package/{model_package_group}/*")],
            wildcard_reason="Versions of the pipeline's model package group, numbered by SageMaker.",
        )
        grants.allow(
            "ModelsFromPackages",
            ("sagemaker:CreateModel", "sagemaker:AddTags"),
            [this_region_arn(self, "sagemaker", f"model/{model_package_group}-v*")],
            wildcard_reason="One model per approved version, named <group>-v<version>.",
        )
        grants.allow(
            "PassTheInferenceRole",
            ("iam:PassRole",),
            [model_role.role_arn],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
        grants.allow(
            "UpdateTheEndpoint",
            ("sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"),
            [this_region_arn(self, "sagemaker", f"endpoint/{endpoint_name}")],
        )
        # UpdateEndpoint authorizes on the endpoint and on the configuration it switches to.
        grants.allow(
            "SwitchToApprovedConfigs",
            ("sagemaker:UpdateEndpoint",),
            [this_region_arn(self, "sagemaker", f"endpoint-config/{endpoint_name}-{variant}-v*")],
            wildcard_reason="Only the configurations this function creates, one per approved version, named "
            "<endpoint>-<variant>-v<version>.",
        )
        grants.allow(
            "ReadEndpointConfigs",
            ("sagemaker:DescribeEndpointConfig",),
            [this_region_arn(self, "sagemaker", "endpoint-config/*")],
            wildcard_reason="CloudFormation names the endpoint's configurations; describing one reveals no data.",
        )
        grants.allow(
            "CreateEndpointConfigs",
            ("sagemaker:CreateEndpointConfig", "sagemaker:AddTags"),
            [this_region_arn(self, "sagemaker", f"endpoint-config/{endpoint_name}-{variant}-v*")],
            wildcard_reason="One configuration per approved version, named <endpoint>-<variant>-v<version>.",
        )
        grants.allow("DescribeDataKey", ("kms:DescribeKey",), [data_key.key_arn])
        # kms:GrantIsForAWSResource exists only on CreateGrant, ListGrants and RevokeGrant.
        grants.allow(
            "DataKeyForEndpointVolumes",
            ("kms:CreateGrant",),
            [data_key.key_arn],
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
        # The endpoint's role serves the approved models: it reads them where the pipeline wrote them.
        serve = iam.ManagedPolicy(
            self,
            "ServeApprovedModels",
            description="Inference role: read the models the training pipeline registers",
            roles=[model_role],
        )
        readers = Statements(serve.add_statements)
        readers.allow(
            "ReadRegisteredModels",
            ("s3:GetObject",),
            [models_bucket.arn_for_objects(f"{models_prefix}*")],
            wildcard_reason="The model archives under the pipeline's models/ prefix, one per training job, named "
            "by SageMaker.",
        )
        readers.acknowledge(serve.node.default_child)
        rule = events.Rule(
            self,
            "Approved",
            description=f"Model packages of {model_package_group} approved -> deploy to {endpoint_name}/{variant}",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Model Package State Change"],
                detail={"ModelPackageGroupName": [model_package_group], "ModelApprovalStatus": ["Approved"]},
            ),
        )
        rule.add_target(
            targets.LambdaFunction(
                self.function,
                dead_letter_queue=self.dead_letters,
                retry_attempts=4,
                max_event_age=cdk.Duration.hours(2),
            )
        )
