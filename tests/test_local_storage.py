"""GPU and local-storage instance types: built without a volume key, allowed by the N8 guardrail.

SageMaker refuses a volume KMS key for jobs on instance types with local NVMe storage ("You
can't request a VolumeKmsKeyId when using an instance type with local storage", botocore
ResourceConfig / ProcessingClusterConfig / TransformResources .VolumeKmsKeyId), and an endpoint
configuration's KmsKeyId does not encrypt that storage (CreateEndpointConfigInput.KmsKeyId; the
API reference once said the call fails): the project omits the key on those types, whose storage
is XTS-AES-256-encrypted by the instance's hardware (EC2 User Guide, SSD instance store volumes).
One extra synth of the sandbox with GPU training, GPU batch transform, GPU hosting and a Model
Monitor job on a local-storage type; the authorization harness then shows that the guardrail lets
such a job through without a key and still denies one on a type without local storage.
"""

from __future__ import annotations

import json

import pytest
from authz import World, evaluate
from conftest import with_changes

from ml_constructs.instance_storage import has_instance_storage

GPU_TRAINING = "ml.g5.xlarge"
GPU_TRANSFORM = "ml.g4dn.xlarge"
GPU_HOSTING = "ml.g5.xlarge"
MONITORING = "ml.r5d.large"


@pytest.fixture(scope="module")
def gpu(synth, sandbox):
    """The sandbox with GPU training and transform, a GPU champion variant on the A/B endpoint
    and the (opt-in) Model Monitor schedule on a type with local storage. Synthesis runs every
    gate (cdk-nag packs, Control Tower rules, cfn-lint, the IAM gate): it raises on a finding."""
    variants = [dict(v) for v in sandbox.config.model_dump()["inference"]["realtime"]["variants"]]
    variants[0]["instance_type"] = GPU_HOSTING
    config = with_changes(
        sandbox.config,
        **{
            "pipelines.training.instance_type": GPU_TRAINING,
            "pipelines.transform.instance_type": GPU_TRANSFORM,
            "inference.realtime.enabled": True,  # off in the sandbox (docs/sandbox.md)
            "inference.realtime.variants": variants,
            "inference.realtime.monitoring.enabled": True,
            "inference.realtime.monitoring.instance_type": MONITORING,
        },
    )
    return synth(config, "local-storage")


@pytest.fixture(scope="module")
def world(gpu) -> World:
    return World.from_assembly(gpu)


def pipeline_steps(gpu) -> dict[str, dict]:
    """The training pipeline's steps (its definition is a Fn::Sub of JSON, as test_pipelines reads it)."""
    (resource,) = gpu.resources("Pipelines", "AWS::SageMaker::Pipeline").values()
    body, _ = resource["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]
    found: dict[str, dict] = {}

    def walk(steps: list[dict]) -> None:  # a condition step holds its branches' steps
        for step in steps:
            found[step["Name"]] = step
            walk(step.get("Arguments", {}).get("IfSteps", []))
            walk(step.get("Arguments", {}).get("ElseSteps", []))

    walk(json.loads(body)["Steps"])
    return found


def test_gpu_profile_jobs_carry_no_volume_key_on_local_storage(gpu):
    steps = pipeline_steps(gpu)
    by_type = {step["Type"]: step for step in steps.values()}
    training = next(s for s in steps.values() if s["Type"] in ("Training", "Tuning"))
    args = training["Arguments"]
    resources = args.get("ResourceConfig") or args["TrainingJobDefinition"]["ResourceConfig"]
    assert resources["InstanceType"] == GPU_TRAINING and "VolumeKmsKeyId" not in resources
    transform = by_type["Transform"]["Arguments"]["TransformResources"]
    assert transform["InstanceType"] == GPU_TRANSFORM and "VolumeKmsKeyId" not in transform
    # Processing stays on ml.m5: its volume keeps the data key.
    for step in steps.values():
        if step["Type"] == "Processing":
            cluster = step["Arguments"]["ProcessingResources"]["ClusterConfig"]
            assert not has_instance_storage(cluster["InstanceType"])
            assert cluster["VolumeKmsKeyId"]


def test_gpu_profile_endpoint_config_omits_the_kms_key_only_where_a_variant_has_local_storage(gpu):
    configs = gpu.resources("Inference", "AWS::SageMaker::EndpointConfig")
    with_gpu = {
        logical: c
        for logical, c in configs.items()
        if any(v.get("InstanceType") == GPU_HOSTING for v in c["Properties"]["ProductionVariants"])
    }
    assert len(with_gpu) == 1, sorted(configs)
    for logical, config in configs.items():
        properties = config["Properties"]
        types = [
            v.get("InstanceType")
            for v in (*properties["ProductionVariants"], *properties.get("ShadowProductionVariants", []))
        ]
        if logical in with_gpu:
            assert "KmsKeyId" not in properties
        elif any(types):  # instance-backed (serverless configs take no key anyway)
            assert "KmsKeyId" in properties, logical


def test_gpu_profile_monitoring_job_carries_no_volume_key(gpu):
    (job,) = gpu.resources("Inference", "AWS::SageMaker::DataQualityJobDefinition").values()
    cluster = job["Properties"]["JobResources"]["ClusterConfig"]
    assert cluster["InstanceType"] == MONITORING and "VolumeKmsKeyId" not in cluster


# --- The N8 guardrail, evaluated on the pipeline role of this profile -------------------------------


def training_request(world: World, instance_types: list[str], *, volume_key: bool):
    """CreateTrainingJob as the pipeline role's pipeline asks for it: in the VPC, isolated,
    encrypted between containers, outputs under the data key, tagged as the project's jobs."""
    role = world.principal("Pipelines", world.logical_id("Pipelines", "AWS::IAM::Role", "ExecutionRole"))
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    context = {
        **({"sagemaker:InstanceTypes": instance_types} if instance_types else {}),
        "sagemaker:VpcSubnets": ["subnet-0aaaaaaaaaaaaaaaa"],
        "sagemaker:VpcSecurityGroupIds": ["sg-0aaaaaaaaaaaaaaaa"],
        "sagemaker:NetworkIsolation": "true",
        "sagemaker:InterContainerTrafficEncryption": "true",
        "sagemaker:OutputKmsKeyArn": data_key,
        **({"sagemaker:VolumeKmsKeyArn": data_key} if volume_key else {}),
    }
    arn = f"arn:aws:sagemaker:{world.region}:{world.account}:training-job/train-gpu"
    return world.request(role, "sagemaker:CreateTrainingJob", arn, derived_context=context)


CASES = {
    # (instance types, volume key, expected: "allowed" or the denying statement)
    "g5-without-a-volume-key": ([GPU_TRAINING], False, "allowed"),
    "m5-with-a-volume-key": (["ml.m5.xlarge"], True, "allowed"),
    "m5-without-a-volume-key": (["ml.m5.xlarge"], False, "identity:DenyWithoutVolumeKmsKeyOffInstanceStorage"),
    # A heterogeneous cluster (instance groups): one type without local storage keeps the deny.
    "g5-and-m5-without-a-volume-key": (
        [GPU_TRAINING, "ml.m5.xlarge"],
        False,
        "identity:DenyWithoutVolumeKmsKeyOffInstanceStorage",
    ),
    "g5-and-p4d-without-a-volume-key": ([GPU_TRAINING, "ml.p4d.24xlarge"], False, "allowed"),
    # No instance types in the request at all: the exemption cannot apply.
    "no-instance-types-without-a-volume-key": ([], False, "identity:DenyWithoutVolumeKmsKeyOrInstanceTypes"),
}


@pytest.fixture(scope="module")
def decisions(world):
    requests = {case: training_request(world, types, volume_key=key) for case, (types, key, _) in sorted(CASES.items())}
    return dict(zip(requests, evaluate(list(requests.values())), strict=True))


@pytest.mark.parametrize("case", sorted(CASES))
def test_n8_guardrail_exempts_exactly_local_storage_types(decisions, case):
    decision = decisions[case]
    expected = CASES[case][2]
    if expected == "allowed":
        assert decision.allowed, decision.reason
    else:
        assert decision.explicitly_denied, decision.reason
        assert expected in decision.denying_statements(), decision.reason
