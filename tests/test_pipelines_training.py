"""The training pipeline as deployed: the definition read back from the template (M1-M7).

The SageMaker pipeline's body is the SDK's JSON inside an Fn::Sub; these tests parse it,
follow each step's inputs to the step that produces them, and resolve each ${Name} to the
value CloudFormation substitutes, so every control is checked where it takes effect.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pipelines_helpers import (
    body_and_variables,
    get,
    imported,
    resolve,
    steps,
)

from pipelines import training

# --- M3: managed spot with checkpoints ------------------------------------------------------------------


def training_job(assembly) -> dict:
    found = steps(assembly)
    step = found.get("Tune") or found["Train"]
    return step["Arguments"].get("TrainingJobDefinition", step["Arguments"])


def test_m3_spot_training_checkpoints_each_execution_to_the_artifacts_bucket(profile):
    job = training_job(profile)
    settings = profile.config.pipelines.training
    assert job["EnableManagedSpotTraining"] is True
    assert job["StoppingCondition"] == {
        "MaxRuntimeInSeconds": settings.max_runtime_seconds,
        "MaxWaitTimeInSeconds": settings.max_wait_seconds,
    }
    values = job["CheckpointConfig"]["S3Uri"]["Std:Join"]["Values"]
    assert values[0].startswith("s3://${ArtifactsBucket}/pipelines/") and values[-1] == "checkpoints"
    assert {"Get": "Execution.PipelineExecutionId"} in values
    assert job["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"


def test_m3_on_demand_training_has_no_spot_settings(variant):
    job = training_job(variant)
    assert job.get("EnableManagedSpotTraining", False) is False
    assert "CheckpointConfig" not in job and "MaxWaitTimeInSeconds" not in job["StoppingCondition"]


# --- M4: input mode and distribution per channel ------------------------------------------------------------


@pytest.fixture(params=["sandbox", "production", "variant"])
def any_assembly(request):
    return request.getfixturevalue(request.param)


def test_m4_each_channel_as_configured(any_assembly):
    job = training_job(any_assembly)
    declared = any_assembly.config.pipelines.training.channels
    assert {
        c["ChannelName"]: (c["InputMode"], c["DataSource"]["S3DataSource"]["S3DataDistributionType"])
        for c in job["InputDataConfig"]
    } == {name: (c.input_mode, c.distribution) for name, c in declared.items()}
    assert all(c["ContentType"] == "text/csv" for c in job["InputDataConfig"])
    assert job["AlgorithmSpecification"]["TrainingInputMode"] == declared["train"].input_mode


def test_m4_sharded_training_gets_a_file_per_instance(production):
    job = training_job(production)
    instances = production.config.pipelines.training.instance_count
    assert job["ResourceConfig"]["InstanceCount"] == instances > 1
    assert steps(production)["PrepareFeatures"]["Arguments"]["AppSpecification"]["ContainerArguments"] == [
        "--train-shards",
        str(instances),
    ]


# --- M5: tuning ---------------------------------------------------------------------------------------


def test_m5_bayesian_tuning_on_log_scales_few_at_a_time_with_early_stopping(production):
    tuning = steps(production)["Tune"]["Arguments"]["HyperParameterTuningJobConfig"]
    settings = production.config.pipelines.tuning
    assert tuning["Strategy"] == "Bayesian"
    assert tuning["ResourceLimits"] == {
        "MaxParallelTrainingJobs": settings.max_parallel_jobs,
        "MaxNumberOfTrainingJobs": settings.max_jobs,
    }
    assert settings.max_parallel_jobs < settings.max_jobs
    assert tuning["TrainingJobEarlyStoppingType"] == "Auto"
    assert tuning["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:auc"}
    ranges = {
        r["Name"]: r
        for kind in ("ContinuousParameterRanges", "IntegerParameterRanges")
        for r in tuning["ParameterRanges"].get(kind, [])
    }
    assert set(ranges) == set(settings.ranges)
    for name, declared in settings.ranges.items():
        assert ranges[name]["ScalingType"] == declared.scaling
        assert float(ranges[name]["MinValue"]) == declared.min and float(ranges[name]["MaxValue"]) == declared.max
    assert ranges["eta"]["ScalingType"] == "Logarithmic"


def test_m5_tuned_jobs_keep_the_security_settings(production):
    """The SDK's tuner drops isolation, encryption and the volume key; the pipeline puts them back."""
    job = steps(production)["Tune"]["Arguments"]["TrainingJobDefinition"]
    assert job["EnableNetworkIsolation"] is True and job["EnableInterContainerTrafficEncryption"] is True
    assert job["ResourceConfig"]["VolumeKmsKeyId"] == "${DataKeyArn}"


# --- M7: batch transform --------------------------------------------------------------------------------


def test_m7_batch_transform_scores_the_test_set_in_the_vpc_with_kms(profile):
    found = steps(profile)
    model = found["CreateModel"]["Arguments"]
    assert model["EnableNetworkIsolation"] is True
    assert all(imported(resolve(profile, s), "WorkloadsSubnet") for s in model["VpcConfig"]["Subnets"])
    transform = found["BatchTransform"]["Arguments"]
    assert get(transform["ModelName"]) == "Steps.CreateModel.ModelName"
    source = transform["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    assert get(source) == "Steps.PrepareFeatures.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    assert transform["DataProcessing"] == {"InputFilter": "$[1:]", "JoinSource": "Input"}
    assert transform["TransformOutput"]["KmsKeyId"] == transform["TransformResources"]["VolumeKmsKeyId"]
    assert imported(resolve(profile, transform["TransformOutput"]["KmsKeyId"]), "DataKey")
    assert transform["TransformResources"]["InstanceType"] == profile.config.pipelines.transform.instance_type


def test_m7_transform_is_optional(variant):
    found = steps(variant)
    assert "BatchTransform" not in found and "CreateModel" not in found
    assert "RegisterModel" in found


# --- The definition is the SDK's, deterministic and built offline -----------------------------------------


def test_definition_is_byte_identical_across_processes(sandbox):
    """Two fresh interpreters with different hash seeds build the template's exact body."""
    body, _ = body_and_variables(sandbox)
    script = (
        "import sys, config\n"
        "from pipelines import training\n"
        "from stacks.pipelines import pipeline_spec\n"
        "sys.stdout.write(training.build(pipeline_spec(config.load_config('sandbox'))))\n"
    )
    bodies = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=str(_root()), check=True
        )
        bodies.add(result.stdout)
    assert bodies == {body}


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def test_definition_is_built_without_any_connection(sandbox, monkeypatch):
    import socket

    from stacks.pipelines import pipeline_spec

    def refuse(*_args, **_kwargs):
        raise AssertionError("the pipeline build opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    before = dict(os.environ)
    assert training.build(pipeline_spec(sandbox.config)) == body_and_variables(sandbox)[0]
    assert dict(os.environ) == before  # the offline settings are undone
