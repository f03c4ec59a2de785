"""What AWS services do with the project's roles and resources, proven on every shipped profile.

tests/test_authz_harness.py proves the harness, tests/test_authz_sandbox.py and tests/test_authz_handlers.py
what it decides on the sandbox and the handlers' calls; this module states,
for each profile (the `flow_profile` fixture), the requests that happen when the platform runs:

- the asynchronous endpoint's notifications: SageMaker publishes success and error notices as the
  model's execution role (the inference role), and SNS encrypts each message with the topic's key
  on that role's behalf (kms:ViaService sns);
- the alarm topic: CloudWatch publishes alarm actions with its own service principal, for this
  account's alarms only, and needs the topic's key for it;
- the approval path (where the profile deploys it: not the sandbox): every call the approval
  function's Stubber tests make (tests/test_approval.py)
  with the deployed function's names, and SageMaker's read of the approved model's data as the
  inference role from SageMaker's own network (outside the VPC: the artifacts bucket's narrow
  exception for it);
- the training pipeline: every S3 location its definition names (processing inputs and outputs,
  training channels, output and checkpoints, transform input and output, model registration's
  ModelDataUrl), read, listed and written by the pipeline role through the S3 endpoint;
- the Model Monitor baseline (the `variant` assembly, where the opt-in schedule is on).

Each allowed case has near misses that must be denied (another bucket, prefix, topic, account or
endpoint, no VPC endpoint). Each profile's requests are evaluated in one Node process.

The pipeline definition's locations are evaluated in tests/authz_flow_definition.py, the requests
stated in tests/authz_flow_cases.py.
"""

from __future__ import annotations

import time

import pytest
from authz import Decision, World, evaluate, record_stubbed_calls
from authz_flow_cases import approval_cases, model_data_cases, notification_cases, pipeline_cases, s3_endpoint
from authz_flow_definition import ALLOWED, IMPLICIT, _Definition, pipeline_definition, split_uri

# --- Fixtures and tests ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def approval_calls(tmp_path_factory):
    calls = record_stubbed_calls("tests/test_approval.py", tmp_path=tmp_path_factory.mktemp("calls"))
    assert calls, "tests/test_approval.py made no stubbed call"
    return calls


@pytest.fixture(scope="module", params=["sandbox", "demo", "production"])
def flow_profile(request):
    """Each shipped profile; the demo has the approval path the sandbox leaves out (docs/sandbox.md)."""
    return request.getfixturevalue(request.param)


def deploys_on_approval(assembly) -> bool:
    return assembly.platform.pipelines is not None and assembly.platform.pipelines.approval is not None


@pytest.fixture(scope="module")
def flows(flow_profile, approval_calls) -> dict[str, tuple[Decision, str, str | None]]:
    profile = flow_profile
    world = World.from_assembly(profile)
    cases = {
        **notification_cases(world),
        **pipeline_cases(world),
        # The approval path: the function's calls, and SageMaker reading the approved model's data.
        **(
            {**model_data_cases(world), **approval_cases(world, approval_calls)} if deploys_on_approval(profile) else {}
        ),
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
def test_each_flow_has_allowed_requests_and_near_misses(flow_profile, flows, group):
    if group in ("approval-", "sagemaker-reads-the-approved-model") and not deploys_on_approval(flow_profile):
        assert not [case_id for case_id in flows if case_id.startswith(group)]
        return  # the sandbox deploys no approval path; the demo and production do
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
