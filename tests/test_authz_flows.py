"""What AWS services do with the project's roles and resources, proven on both profiles.

tests/test_authz.py proves the harness and the handlers' calls on the sandbox; this module states,
for each profile (the `profile` fixture), the requests that happen when the platform runs:

- the asynchronous endpoint's notifications: SageMaker publishes success and error notices as the
  model's execution role (the inference role), and SNS encrypts each message with the topic's key
  on that role's behalf (kms:ViaService sns);
- the alarm topic: CloudWatch publishes alarm actions with its own service principal, for this
  account's alarms only, and needs the topic's key for it;
- the approval path: every call the approval function's Stubber tests make (tests/test_approval.py)
  with the deployed function's names, and SageMaker's read of the approved model's data as the
  inference role from SageMaker's own network (outside the VPC: the artifacts bucket's narrow
  exception for it);
- the training pipeline: every S3 location its definition names (processing inputs and outputs,
  training channels, output and checkpoints, transform input and output, model registration's
  ModelDataUrl), read, listed and written by the pipeline role through the S3 endpoint;
- the Model Monitor baseline (the `variant` assembly, where the opt-in schedule is on).

Each allowed case has near misses that must be denied (another bucket, prefix, topic, account or
endpoint, no VPC endpoint). Each profile's requests are evaluated in one Node process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from authz import (
    AuthzError,
    Decision,
    Request,
    ServicePrincipal,
    World,
    evaluate,
    record_stubbed_calls,
    requests_for_call,
    unique,
)

ALLOWED, EXPLICIT, IMPLICIT = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
OTHER_ACCOUNT = "444455556666"
TEST_ACCOUNT = "123456789012"  # the account tests/test_approval.py writes in its ARNs
EXECUTION = "execution-1"  # a pipeline execution id
JOB = "training-job-1"  # a job name SageMaker generates


# --- The pipeline definition's S3 locations --------------------------------------------------------

OUTPUT_SECTIONS = ("ProcessingOutputConfig", "OutputDataConfig", "TransformOutput", "CheckpointConfig")
URI_KEYS = ("S3Uri", "S3OutputPath", "ModelDataUrl")


def pipeline_name(world: World) -> str:
    logical = world.logical_id("Pipelines", "AWS::SageMaker::Pipeline", "TrainingPipeline")
    return str(world.resolve("Pipelines", world.resource("Pipelines", logical)["Properties"]["PipelineName"]))


def pipeline_definition(world: World) -> dict:
    """The training pipeline's definition, every CloudFormation value resolved."""
    logical = world.logical_id("Pipelines", "AWS::SageMaker::Pipeline", "TrainingPipeline")
    body = world.resolve("Pipelines", world.resource("Pipelines", logical)["Properties"]["PipelineDefinition"])
    return json.loads(body["PipelineDefinitionBody"])


class _Definition:
    """Evaluates the definition's S3 locations the way one execution would name them."""

    def __init__(self, definition: dict) -> None:
        self.parameters = {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}
        self.steps = {s["Name"]: s for s in definition["Steps"]}

    def value(self, node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and "Std:Join" in node:
            join = node["Std:Join"]
            return join["On"].join(self.value(v) for v in join["Values"])
        if isinstance(node, dict) and "Get" in node:
            return self.get(node["Get"])
        raise AuthzError(f"cannot evaluate {node!r} in the pipeline definition")

    def get(self, path: str) -> str:
        if path == "Execution.PipelineExecutionId":
            return EXECUTION
        if path.startswith("Parameters."):
            return str(self.parameters[path.removeprefix("Parameters.")])
        step_name, _, rest = path.removeprefix("Steps.").partition(".")
        step = self.steps[step_name]["Arguments"]
        if rest.startswith("ProcessingOutputConfig.Outputs["):
            name = rest.split("'")[1]
            (output,) = [o for o in step["ProcessingOutputConfig"]["Outputs"] if o["OutputName"] == name]
            return self.value(output["S3Output"]["S3Uri"])
        if rest == "ModelArtifacts.S3ModelArtifacts":
            return f"{self.value(step['OutputDataConfig']['S3OutputPath'])}/{JOB}/output/model.tar.gz"
        if rest.startswith("BestTrainingJob.") or rest.endswith("TrainingJobName"):
            return JOB
        raise AuthzError(f"cannot evaluate Get {path} in the pipeline definition")

    def locations(self) -> Iterator[tuple[str, str, str]]:
        """(step, role of the location: input | output | checkpoint, s3 URI) of every location."""

        def walk(step: str, node: Any, sections: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in URI_KEYS:
                        uri = self.value(value)
                        if "CheckpointConfig" in sections:
                            kind = "checkpoint"
                        elif any(s in OUTPUT_SECTIONS for s in sections):
                            kind = "output"
                        else:
                            kind = "input"
                        yield step, kind, uri
                    else:
                        yield from walk(step, value, (*sections, key))
            elif isinstance(node, list):
                for item in node:
                    yield from walk(step, item, sections)

        for name, step in self.steps.items():
            yield from walk(name, step.get("Arguments", {}), ())


def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise AuthzError(f"{uri} is no S3 URI")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key.rstrip("/")


def is_object(key: str) -> bool:
    return "." in key.rsplit("/", 1)[-1]


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


# --- Fixtures and tests ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def approval_calls(tmp_path_factory):
    calls = record_stubbed_calls("tests/test_approval.py", tmp_path=tmp_path_factory.mktemp("calls"))
    assert calls, "tests/test_approval.py made no stubbed call"
    return calls


@pytest.fixture(scope="module")
def flows(profile, approval_calls) -> dict[str, tuple[Decision, str, str | None]]:
    world = World.from_assembly(profile)
    cases = {
        **notification_cases(world),
        **model_data_cases(world),
        **pipeline_cases(world),
        **approval_cases(world, approval_calls),
    }
    started = time.perf_counter()
    decisions = evaluate([request for request, _, _ in cases.values()])
    print(f"\nauthz: {len(cases)} {profile.config.profile} requests in {time.perf_counter() - started:.2f} s")
    return {i: (d, e, by) for (i, (_, e, by)), d in zip(cases.items(), decisions, strict=True)}


def test_every_flow_request_decides_as_expected(flows):
    """`decided_by` names a granting statement for an allowed request, a denying one for a denied
    request; every failure is listed at once."""
    wrong = []
    for case_id, (decision, expected, decided_by) in flows.items():
        deciding = decision.granting_statements() if decision.allowed else decision.denying_statements()
        if decision.result != expected or (decided_by and decided_by not in deciding):
            wrong.append(f"{case_id}: expected {expected} by {decided_by}\n{decision.reason}")
    assert not wrong, "\n\n".join(wrong)


@pytest.mark.parametrize(
    "group",
    [
        "sagemaker-publishes-async",
        "cloudwatch-publishes",
        "sagemaker-reads-the-approved-model",
        "pipeline-",
        "approval-",
    ],
)
def test_each_flow_has_allowed_requests_and_near_misses(flows, group):
    results = {expected for case_id, (_, expected, _) in flows.items() if case_id.startswith(group)}
    assert ALLOWED in results, group
    related = {
        "sagemaker-publishes-async": "inference-role-publishes-to-no-topic",
        "cloudwatch-publishes": "cloudwatch-publishes-no-alarm-of-another-account",
        "sagemaker-reads-the-approved-model": "inference-role-reads-no-other-bucket-from-outside-the-vpc",
        "pipeline-": "pipeline-reads-datasets-only-through-the-endpoint",
        "approval-": "approval-updates-no-other-endpoint",
    }[group]
    assert any(case_id.startswith(related) and flows[case_id][0].denied for case_id in flows), group


def test_the_pipeline_definition_names_inputs_outputs_checkpoints_and_the_model(profile):
    world = World.from_assembly(profile)
    kinds: dict[str, set[str]] = {}
    for step, kind, uri in _Definition(pipeline_definition(world)).locations():
        kinds.setdefault(kind, set()).add(step)
        assert uri.startswith("s3://"), (step, uri)
    assert {"input", "output", "checkpoint"} <= set(kinds), kinds
    uris = [uri for _, _, uri in _Definition(pipeline_definition(world)).locations()]
    assert any(uri.endswith("/output/model.tar.gz") for uri in uris), "model registration's ModelDataUrl"
    assert any(uri.startswith("s3://cdk-") for uri in uris), "the processing inputs from the CDK assets bucket"


# --- The Model Monitor baseline (opt-in: on in the `variant` assembly only) --------------------------


def test_the_monitoring_job_reads_its_baseline_and_the_capture_through_the_s3_endpoint(variant):
    """The data-quality job runs in the private subnets (NetworkConfig.VpcConfig), so SageMaker
    reads the baseline and the captured requests through the S3 endpoint, as the inference role."""
    world = World.from_assembly(variant)
    (definition,) = [
        logical
        for logical, resource in world.stack("Inference").resources.items()
        if resource["Type"] == "AWS::SageMaker::DataQualityJobDefinition"
    ]
    properties = world.resolve("Inference", world.resource("Inference", definition)["Properties"])
    assert properties["NetworkConfig"]["VpcConfig"]["Subnets"]
    role = world.role(properties["RoleArn"])
    through = s3_endpoint(world)
    baseline_bucket, baseline_key = split_uri(properties["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"])
    reports_bucket, reports_key = split_uri(
        properties["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"]
    )
    inference = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "InferenceBucket"))
    baseline = f"arn:aws:s3:::{baseline_bucket}/{baseline_key}"
    requests = [
        (world.request(role, "s3:GetObject", baseline, context=through), ALLOWED),
        (
            world.request(role, "s3:GetObject", f"{inference}/capture/realtime/champion/x.jsonl", context=through),
            ALLOWED,
        ),
        (
            world.request(role, "s3:PutObject", f"arn:aws:s3:::{reports_bucket}/{reports_key}/r.json", context=through),
            ALLOWED,
        ),
        # Near misses: another object of the assets bucket, another project bucket.
        (world.request(role, "s3:GetObject", f"arn:aws:s3:::{baseline_bucket}/other.json", context=through), IMPLICIT),
        (
            world.request(
                role,
                "s3:GetObject",
                world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket")) + "/raw/x.csv",
                context=through,
            ),
            IMPLICIT,
        ),
    ]
    decisions = evaluate([r for r, _ in requests])
    for (_, expected), decision in zip(requests, decisions, strict=True):
        assert decision.result == expected, decision.reason
