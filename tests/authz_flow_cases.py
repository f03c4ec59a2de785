"""The requests of one profile for the flow tests (tests/test_authz_flows.py), each with its expected decision.

Each allowed case has near misses that must be denied (another bucket, prefix, topic, account or
endpoint, no VPC endpoint).
"""

from __future__ import annotations

import json

from authz import Request, ServicePrincipal, World, requests_for_call, unique
from authz_flow_definition import (
    ALLOWED,
    EXECUTION,
    EXPLICIT,
    IMPLICIT,
    JOB,
    OTHER_ACCOUNT,
    TEST_ACCOUNT,
    _Definition,
    is_object,
    pipeline_definition,
    pipeline_name,
    split_uri,
)

# --- The requests of one profile -------------------------------------------------------------------

Cases = dict[str, tuple[Request, str, str | None]]


def notification_cases(world: World) -> Cases:
    inference = world.principal("Inference", world.logical_id("Inference", "AWS::IAM::Role", "ExecutionRole"))
    key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "NotificationsKey"))
    alarm_topic = world.arn("Inference", world.logical_id("Inference", "AWS::SNS::Topic", "AlarmTopic"))
    region, account = world.region, world.account
    via_sns = {"kms:ViaService": f"sns.{region}.amazonaws.com", "aws:ViaAWSService": "true"}
    cases: Cases = {}
    topics = {
        outcome: world.arn("Inference", world.logical_id("Inference", "AWS::SNS::Topic", f"Async{outcome}Topic"))
        for outcome in ("Success", "Error")
    }
    for outcome, topic in topics.items():
        # SageMaker publishes the notice with the model's execution role, from its own service.
        cases[f"sagemaker-publishes-async-{outcome.lower()}-as-the-inference-role"] = (
            world.request(inference, "sns:Publish", topic),
            ALLOWED,
            "identity:PublishInferenceNotifications",
        )
    # SNS encrypts (GenerateDataKey) and reads back (Decrypt) with the topic's key for the publisher.
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        cases[f"sns-uses-the-notifications-key-for-the-inference-role-{action[4:]}"] = (
            world.request(inference, action, key, context=via_sns),
            ALLOWED,
            "identity:NotificationsKeyThroughSns",
        )
    cases["inference-role-uses-the-notifications-key-only-through-sns"] = (
        world.request(inference, "kms:Decrypt", key),
        IMPLICIT,
        "identity:implicit",
    )
    cases["inference-role-publishes-to-no-topic-it-does-not-own"] = (
        world.request(inference, "sns:Publish", alarm_topic),
        IMPLICIT,
        "identity:implicit",
    )
    cases["async-topics-refuse-plain-http"] = (
        world.request(inference, "sns:Publish", topics["Success"], context={"aws:SecureTransport": "false"}),
        EXPLICIT,
        None,
    )

    cloudwatch = ServicePrincipal("cloudwatch.amazonaws.com")

    def alarm(account: str, where: str = region) -> dict[str, str]:
        return {
            "aws:SourceAccount": account,
            "aws:SourceArn": f"arn:aws:cloudwatch:{where}:{account}:alarm:secure-ml-latency",
        }

    cases["cloudwatch-publishes-this-accounts-alarm"] = (
        world.request(cloudwatch, "sns:Publish", alarm_topic, context=alarm(account)),
        ALLOWED,
        "resource:AllowCloudWatchAlarmsOfThisAccount",
    )
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        cases[f"cloudwatch-uses-the-notifications-key-for-this-accounts-alarm-{action[4:]}"] = (
            world.request(cloudwatch, action, key, context=alarm(account)),
            ALLOWED,
            "resource:AllowCloudWatchAlarmsToPublishToEncryptedTopics",
        )
    cases["cloudwatch-publishes-no-alarm-of-another-account"] = (
        world.request(cloudwatch, "sns:Publish", alarm_topic, context=alarm(OTHER_ACCOUNT)),
        IMPLICIT,
        "resource:implicit",
    )
    cases["cloudwatch-uses-the-key-for-no-alarm-of-another-account"] = (
        world.request(cloudwatch, "kms:GenerateDataKey", key, context=alarm(OTHER_ACCOUNT)),
        IMPLICIT,
        "resource:implicit",
    )
    cases["cloudwatch-publishes-no-alarm-of-another-region"] = (
        world.request(cloudwatch, "sns:Publish", alarm_topic, context=alarm(account, "eu-central-2")),
        IMPLICIT,
        "resource:implicit",
    )
    cases["cloudwatch-publishes-to-no-async-topic"] = (
        world.request(cloudwatch, "sns:Publish", topics["Success"], context=alarm(account)),
        IMPLICIT,
        "resource:implicit",
    )
    return cases


def model_data_cases(world: World) -> Cases:
    """SageMaker reading an approved model's data as the inference role, from its own network."""
    inference = world.principal("Inference", world.logical_id("Inference", "AWS::IAM::Role", "ExecutionRole"))
    pipeline = world.principal("Pipelines", world.logical_id("Pipelines", "AWS::IAM::Role", "ExecutionRole"))
    artifacts = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "ArtifactsBucket"))
    datasets = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket"))
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    name = pipeline_name(world)
    through = s3_endpoint(world)
    via_s3 = {"kms:ViaService": f"s3.{world.region}.amazonaws.com", "aws:ViaAWSService": "true"}
    model = f"{artifacts}/pipelines/{name}/models/{JOB}/output/model.tar.gz"
    report = f"{artifacts}/pipelines/{name}/{EXECUTION}/evaluate/evaluation.json"
    return {
        "sagemaker-reads-the-approved-model-as-the-inference-role": (
            world.request(inference, "s3:GetObject", model),
            ALLOWED,
            "identity:ReadRegisteredModels",
        ),
        "sagemaker-decrypts-the-model-with-the-data-key-through-s3": (
            world.request(inference, "kms:Decrypt", data_key, context=via_s3),
            ALLOWED,
            "identity:DataKeyForVolumesAndOutputs",
        ),
        "inference-role-reads-the-model-through-the-s3-endpoint-too": (
            world.request(inference, "s3:GetObject", model, context=through),
            ALLOWED,
            "identity:ReadRegisteredModels",
        ),
        "inference-role-reads-no-other-prefix-from-outside-the-vpc": (
            world.request(inference, "s3:GetObject", report),
            EXPLICIT,
            "resource:DenyReaderOutsideTheEndpointBeyondItsPrefixes",
        ),
        "inference-role-writes-no-model-from-outside-the-vpc": (
            world.request(inference, "s3:PutObject", model),
            EXPLICIT,
            "resource:DenyReaderOutsideTheEndpointButReads",
        ),
        "inference-role-lists-nothing-from-outside-the-vpc": (
            world.request(inference, "s3:ListBucket", artifacts, context={"s3:prefix": f"pipelines/{name}/models/"}),
            EXPLICIT,
            "resource:DenyReaderOutsideTheEndpointButReads",
        ),
        "inference-role-reads-no-other-bucket-from-outside-the-vpc": (
            world.request(inference, "s3:GetObject", f"{datasets}/pipelines/{name}/models/{JOB}/output/model.tar.gz"),
            EXPLICIT,
            "resource:DenyOutsideTheProjectVpcEndpoint",
        ),
        "pipeline-role-reads-no-dataset-from-outside-the-vpc": (
            world.request(pipeline, "s3:GetObject", f"{datasets}/raw/part-0000.csv"),
            EXPLICIT,
            "resource:DenyOutsideTheProjectVpcEndpoint",
        ),
    }


def s3_endpoint(world: World) -> dict[str, str]:
    return world.endpoint_context("Network", world.logical_id("Network", "AWS::EC2::VPCEndpoint", "NetworkVpcS3"))


def pipeline_cases(world: World) -> Cases:
    """Every location of the pipeline definition, as the pipeline role through the S3 endpoint."""
    role = world.principal("Pipelines", world.logical_id("Pipelines", "AWS::IAM::Role", "ExecutionRole"))
    through = s3_endpoint(world)
    definition = _Definition(pipeline_definition(world))
    cases: Cases = {}
    seen: set[tuple[str, str]] = set()
    buckets: set[str] = set()
    for step, kind, uri in definition.locations():
        bucket, key = split_uri(uri)
        buckets.add(bucket)
        if (kind, uri) in seen:
            continue
        seen.add((kind, uri))
        arn = f"arn:aws:s3:::{bucket}"
        obj = f"{arn}/{key}" if is_object(key) else f"{arn}/{key}/part-0000"
        label = f"pipeline-{step}-{kind}-{key}"
        if kind in ("input", "checkpoint"):
            cases[f"{label}-list"] = (
                world.request(role, "s3:ListBucket", arn, context={**through, "s3:prefix": key}),
                ALLOWED,
                None,
            )
            cases[f"{label}-get"] = (world.request(role, "s3:GetObject", obj, context=through), ALLOWED, None)
        if kind in ("output", "checkpoint"):
            cases[f"{label}-put"] = (world.request(role, "s3:PutObject", obj, context=through), ALLOWED, None)
    assets = next(b for b in buckets if b.startswith("cdk-"))
    artifacts = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "ArtifactsBucket"))
    datasets = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket"))
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    via_s3 = {"kms:ViaService": f"s3.{world.region}.amazonaws.com", "aws:ViaAWSService": "true"}
    name = pipeline_name(world)
    model = f"{artifacts}/pipelines/{name}/models/{JOB}/output/model.tar.gz"
    cases.update(
        {
            "pipeline-encrypts-outputs-with-the-data-key-through-s3": (
                world.request(role, "kms:GenerateDataKey", data_key, context=via_s3),
                ALLOWED,
                "identity:DataKeyForVolumesAndOutputs",
            ),
            "pipeline-decrypts-inputs-with-the-data-key-through-s3": (
                world.request(role, "kms:Decrypt", data_key, context=via_s3),
                ALLOWED,
                "identity:DataKeyForVolumesAndOutputs",
            ),
            # Registration (CreateModelPackage) and the evaluation report's JsonGet read from
            # SageMaker's service as the pipeline role: its documented exception on the bucket.
            "pipeline-registration-reads-the-model-from-sagemakers-service": (
                world.request(role, "s3:GetObject", model),
                ALLOWED,
                "identity:PipelineArtifacts",
            ),
            "pipeline-lists-no-other-asset-of-the-assets-bucket": (
                world.request(role, "s3:ListBucket", f"arn:aws:s3:::{assets}", context={**through, "s3:prefix": "x"}),
                IMPLICIT,
                "identity:implicit",
            ),
            "pipeline-lists-the-assets-bucket-only-by-prefix": (
                world.request(role, "s3:ListBucket", f"arn:aws:s3:::{assets}", context=through),
                IMPLICIT,
                "identity:implicit",
            ),
            "pipeline-reads-no-other-asset": (
                world.request(role, "s3:GetObject", f"arn:aws:s3:::{assets}/other.zip", context=through),
                IMPLICIT,
                "identity:implicit",
            ),
            "pipeline-lists-no-other-prefix-of-the-artifacts-bucket": (
                world.request(role, "s3:ListBucket", artifacts, context={**through, "s3:prefix": "pipelines/other/"}),
                IMPLICIT,
                "identity:implicit",
            ),
            "pipeline-writes-no-other-prefix-of-the-artifacts-bucket": (
                world.request(role, "s3:PutObject", f"{artifacts}/notebooks/x.whl", context=through),
                IMPLICIT,
                "identity:implicit",
            ),
            "pipeline-writes-no-dataset": (
                world.request(role, "s3:PutObject", f"{datasets}/raw/part-0000.csv", context=through),
                IMPLICIT,
                "identity:implicit",
            ),
            "pipeline-reads-datasets-only-through-the-endpoint": (
                world.request(role, "s3:GetObject", f"{datasets}/raw/part-0000.csv"),
                EXPLICIT,
                "resource:DenyOutsideTheProjectVpcEndpoint",
            ),
            "pipeline-reads-no-bucket-outside-the-project-through-the-endpoint": (
                world.request(role, "s3:GetObject", "arn:aws:s3:::someone-elses-bucket/x.csv", context=through),
                IMPLICIT,
                None,
            ),
        }
    )
    return cases


# The approval function (ml_constructs/runtime/approval) as tests/test_approval.py drives it, its
# names replaced by the deployed function's (its environment), so both profiles are checked.
def approval_cases(world: World, calls) -> Cases:
    import test_approval

    function = world.logical_id("Pipelines", "AWS::Lambda::Function", "ApprovalFunction")
    role = world.function_role("Pipelines", function)
    environment = world.environment("Pipelines", function)
    replacements = {
        test_approval.ROLE: environment["MODEL_ROLE_ARN"].replace(world.account, TEST_ACCOUNT),
        test_approval.GROUP: environment["MODEL_PACKAGE_GROUP"],
        test_approval.ENDPOINT: environment["ENDPOINT_NAME"],
    }
    requests = []
    for call in calls:
        text = json.dumps(call.params)
        for old, new in replacements.items():
            text = text.replace(old, new)
        call = type(call)(call.service, call.signing_name, call.operation, json.loads(text), world.region, call.test)
        requests += requests_for_call(world, role, call.rebased(TEST_ACCOUNT, world.account))
    cases: Cases = {}
    for request in unique(requests):
        resource = request.resource.split(f":{world.account}:", 1)[-1]
        test = request.label.split(" ", 1)[0].rsplit("::", 1)[-1]
        # A test that drives another variant than the deployed one names configurations the
        # deployed function's role must not create or switch to.
        other_variant = resource.startswith(f"endpoint-config/{environment['ENDPOINT_NAME']}-") and not (
            resource.startswith(f"endpoint-config/{environment['ENDPOINT_NAME']}-{environment['VARIANT_NAME']}-v")
        )
        expected = IMPLICIT if other_variant else ALLOWED
        cases[f"approval-{request.action}-{resource}-{test}"] = (request, expected, None)
    sagemaker = f"arn:aws:sagemaker:{world.region}:{world.account}"
    other_endpoint = next(e for e in endpoint_names(world) if e != environment["ENDPOINT_NAME"])
    pipeline_role = world.arn("Pipelines", world.logical_id("Pipelines", "AWS::IAM::Role", "ExecutionRole"))
    cases.update(
        {
            "approval-updates-no-other-endpoint": (
                world.request(role, "sagemaker:UpdateEndpoint", f"{sagemaker}:endpoint/{other_endpoint}"),
                IMPLICIT,
                "identity:implicit",
            ),
            "approval-creates-no-model-outside-its-group": (
                world.request(
                    role,
                    "sagemaker:CreateModel",
                    f"{sagemaker}:model/other-v3",
                    derived_context={
                        "sagemaker:NetworkIsolation": True,
                        "sagemaker:VpcSubnets": environment["SUBNET_IDS"].split(","),
                        "sagemaker:VpcSecurityGroupIds": [environment["SECURITY_GROUP_IDS"]],
                    },
                ),
                IMPLICIT,
                "identity:implicit",
            ),
            "approval-passes-no-other-role": (
                world.request(
                    role,
                    "iam:PassRole",
                    pipeline_role,
                    derived_context={"iam:PassedToService": "sagemaker.amazonaws.com"},
                ),
                IMPLICIT,
                "identity:implicit",
            ),
        }
    )
    return cases


def endpoint_names(world: World) -> list[str]:
    names = []
    for stack in world.stacks():
        for resource in world.stack(stack).resources.values():
            if resource["Type"] == "AWS::SageMaker::Endpoint":
                names.append(str(world.resolve(stack, resource["Properties"]["EndpointName"])))
    return names
