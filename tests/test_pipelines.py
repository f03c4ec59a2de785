"""The training pipeline as deployed: the definition read back from the template (M1-M7).

The SageMaker pipeline's body is the SDK's JSON inside an Fn::Sub; these tests parse it,
follow each step's inputs to the step that produces them, and resolve each ${Name} to the
value CloudFormation substitutes, so every control is checked where it takes effect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import as_list, statements, target

from ml_constructs.sagemaker_guardrails import ISOLATION_EXCEPTION_TAG as GUARDRAIL_TAG
from pipelines import training

STACK = "Pipelines"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def imported(value, fragment: str) -> bool:
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def pipeline_resource(assembly) -> dict:
    (pipeline,) = resources(assembly, "AWS::SageMaker::Pipeline").values()
    return pipeline["Properties"]


def body_and_variables(assembly) -> tuple[str, dict]:
    body, variables = pipeline_resource(assembly)["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]
    return body, variables


def definition(assembly) -> dict:
    return json.loads(body_and_variables(assembly)[0])


def steps(assembly) -> dict[str, dict]:
    """Every step by name, the condition's branches included."""
    found = {}
    pending = list(definition(assembly)["Steps"])
    while pending:
        step = pending.pop(0)
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            pending += step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]
    return found


def resolve(assembly, value):
    """A definition string as CloudFormation will see it: ${Name} -> its Fn::Sub variable."""
    _, variables = body_and_variables(assembly)
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return variables[value[2:-1]]
    return value


def parameter(assembly, name: str) -> dict:
    return next(p for p in definition(assembly)["Parameters"] if p["Name"] == name)


def get(reference: dict) -> str:
    return reference["Get"]


def job_steps(assembly) -> dict[str, dict]:
    return {n: s for n, s in steps(assembly).items() if s["Type"] in ("Processing", "Training", "Tuning")}


# --- M1: prepare -> train -> evaluate -> condition -> register ------------------------------------------


def test_m1_steps_pass_their_outputs_along(profile):
    found = steps(profile)
    trainer = "Tune" if profile.config.pipelines.tuning.enabled else "Train"
    top = [s["Name"] for s in definition(profile)["Steps"]]
    assert top == ["PrepareFeatures", trainer, "Evaluate", "CheckAuc"]
    train = found[trainer]["Arguments"]
    job = train.get("TrainingJobDefinition", train)
    channels = {c["ChannelName"]: get(c["DataSource"]["S3DataSource"]["S3Uri"]) for c in job["InputDataConfig"]}
    assert channels == {
        name: f"Steps.PrepareFeatures.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"
        for name in ("train", "validation")
    }
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in found["Evaluate"]["Arguments"]["ProcessingInputs"]}
    assert get(inputs["test"]) == "Steps.PrepareFeatures.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    model = json.dumps(inputs["model"])
    assert f"Steps.{trainer}." in model


def test_m1_only_models_reaching_the_auc_threshold_are_registered_for_approval(profile):
    check = steps(profile)["CheckAuc"]["Arguments"]
    (condition,) = check["Conditions"]
    assert condition["Type"] == "GreaterThanOrEqualTo"
    assert condition["LeftValue"]["Std:JsonGet"] == {
        "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
        "Path": "metrics.auc.value",
    }
    assert get(condition["RightValue"]) == "Parameters.AucThreshold"
    assert parameter(profile, "AucThreshold")["DefaultValue"] == profile.config.pipelines.evaluation.auc_threshold
    assert [s["Type"] for s in check["ElseSteps"]] == ["Fail"]
    (register,) = [s for s in check["IfSteps"] if s["Type"] == "RegisterModel"]
    args = register["Arguments"]
    (group,) = resources(profile, "AWS::SageMaker::ModelPackageGroup").values()
    assert args["ModelPackageGroupName"] == group["Properties"]["ModelPackageGroupName"]
    assert get(args["ModelApprovalStatus"]) == "Parameters.ModelApprovalStatus"
    assert parameter(profile, "ModelApprovalStatus")["DefaultValue"] == "PendingManualApproval"
    statistics = args["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]["Std:Join"]["Values"]
    assert "Steps.Evaluate" in json.dumps(statistics) and statistics[-1] == "evaluation.json"
    evaluate = steps(profile)["Evaluate"]
    assert evaluate["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}
    ]


def test_m1_runs_the_shipped_scripts_on_the_shipped_sample(profile):
    _, variables = body_and_variables(profile)
    found = steps(profile)
    for step, key in (("PrepareFeatures", "PrepareScriptKey"), ("Evaluate", "EvaluateScriptKey")):
        (code,) = [i for i in found[step]["Arguments"]["ProcessingInputs"] if i["InputName"] == "code"]
        assert code["S3Input"]["S3Uri"] == "s3://${AssetsBucket}/${" + key + "}"
        assert variables[key].endswith(".py")
    assert parameter(profile, "InputData")["DefaultValue"] == "s3://${AssetsBucket}/${TrainingDataKey}"
    assert variables["TrainingDataKey"].endswith(".csv")
    # Evaluation needs the algorithm's own library: it runs in the XGBoost image.
    images = {s: found[s]["Arguments"]["AppSpecification"]["ImageUri"] for s in ("PrepareFeatures", "Evaluate")}
    assert "sagemaker-scikit-learn" in images["PrepareFeatures"] and "sagemaker-xgboost" in images["Evaluate"]


def test_m1_pipeline_runs_as_its_role_with_the_region_s_images(profile):
    props = pipeline_resource(profile)
    role = resources(profile, "AWS::IAM::Role")[target(props["RoleArn"])]
    assert role["Properties"]["RoleName"].endswith("pipeline-execution")
    body = body_and_variables(profile)[0]
    assert f"role/{role['Properties']['RoleName']}" in body
    region = profile.config.region
    for step in job_steps(profile).values():
        assert f".dkr.ecr.{region}.amazonaws.com/" in json.dumps(step)


def test_m1_definition_names_no_deploy_time_value_it_cannot_resolve(profile):
    import re

    body, variables = body_and_variables(profile)
    used = set(re.findall(r"\$\{([^}]+)\}", body)) - {"AWS::Partition", "AWS::AccountId"}
    assert used == set(variables)
    assert imported(variables["ArtifactsBucket"], "ArtifactsBucket")
    assert imported(variables["DataKeyArn"], "DataKey")


# --- M2: every job isolated, in the VPC, encrypted ---------------------------------------------------


def job_security(step: dict) -> dict:
    """The security settings of a Processing, Training or Tuning step, in one shape."""
    args = step["Arguments"]
    if step["Type"] == "Processing":
        network = args["NetworkConfig"]
        return {
            "isolation": network.get("EnableNetworkIsolation", False),
            "encryption": network["EnableInterContainerTrafficEncryption"],
            "vpc": network["VpcConfig"],
            "volume_key": args["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"],
            "output_key": args["ProcessingOutputConfig"]["KmsKeyId"],
        }
    job = args.get("TrainingJobDefinition", args)
    return {
        "isolation": job.get("EnableNetworkIsolation", False),
        "encryption": job["EnableInterContainerTrafficEncryption"],
        "vpc": job["VpcConfig"],
        "volume_key": job["ResourceConfig"]["VolumeKmsKeyId"],
        "output_key": job["OutputDataConfig"]["KmsKeyId"],
    }


def test_m2_every_job_isolated_in_the_private_subnets_with_kms(profile):
    jobs = job_steps(profile)
    assert len(jobs) == 3
    for name, step in jobs.items():
        security = job_security(step)
        assert security["isolation"] is True, name
        assert security["encryption"] is True, name
        subnets = [resolve(profile, s) for s in security["vpc"]["Subnets"]]
        assert len(subnets) == profile.config.network.availability_zones
        assert all(imported(s, "WorkloadsSubnet") for s in subnets), name
        assert [
            imported(resolve(profile, g), "WorkloadSecurityGroup") for g in security["vpc"]["SecurityGroupIds"]
        ] == [True]
        assert imported(resolve(profile, security["volume_key"]), "DataKey"), name
        assert imported(resolve(profile, security["output_key"]), "DataKey"), name
        assert "Tags" not in step["Arguments"]


def test_m2_a_declared_exception_opens_that_step_only(variant, sandbox):
    jobs = job_steps(variant)
    assert job_security(jobs["PrepareFeatures"])["isolation"] is False
    assert jobs["PrepareFeatures"]["Arguments"]["Tags"] == [{"Key": GUARDRAIL_TAG, "Value": "PrepareFeatures"}]
    assert all(job_security(s)["isolation"] for n, s in jobs.items() if n != "PrepareFeatures")
    # The pipeline role's guardrails let exactly that tagged step through, for processing jobs only.
    denies = {s["Sid"]: s for s in statements(guardrails(variant))}
    general = denies["DenyWithoutNetworkIsolation"]
    assert (
        "sagemaker:CreateProcessingJob" not in general["Action"] and "sagemaker:CreateTrainingJob" in general["Action"]
    )
    excepted = denies["DenyWithoutNetworkIsolationExceptDeclaredCreateProcessingJob"]
    assert excepted["Action"] == "sagemaker:CreateProcessingJob"
    assert excepted["Condition"] == {
        "BoolIfExists": {"sagemaker:NetworkIsolation": "false"},
        "StringNotEquals": {f"aws:RequestTag/{GUARDRAIL_TAG}": ["PrepareFeatures"]},
    }
    # Without an exception, the pipeline role gets the same guardrails as everyone else.
    strict = {s["Sid"]: s for s in statements(guardrails(sandbox))}
    assert "sagemaker:CreateProcessingJob" in strict["DenyWithoutNetworkIsolation"]["Action"]
    assert not [sid for sid in strict if "ExceptDeclared" in sid]


def test_m2_exception_tag_is_the_guardrail_s():
    assert training.ISOLATION_EXCEPTION_TAG == GUARDRAIL_TAG


def guardrails(assembly) -> dict:
    (policy,) = [
        p["Properties"]
        for p in resources(assembly, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("N8 guardrails")
    ]
    return policy["PolicyDocument"]


def test_m2_guardrails_bind_the_pipeline_role_and_the_approval_function(profile):
    (policy_id,) = [
        k
        for k, p in resources(profile, "AWS::IAM::ManagedPolicy").items()
        if p["Properties"]["Description"].startswith("N8 guardrails")
    ]
    attached = {target(r) for r in resources(profile, "AWS::IAM::ManagedPolicy")[policy_id]["Properties"]["Roles"]}
    roles = resources(profile, "AWS::IAM::Role")
    assert attached == {
        k
        for k, r in roles.items()
        if r["Properties"]["Description"].startswith(("SageMaker training pipeline", "Deploys approved"))
    }
    assert len(attached) == 2
    # The pipeline waits for its guardrails: no execution can start before they bind the role.
    (pipeline_id,) = resources(profile, "AWS::SageMaker::Pipeline")
    assert policy_id in profile.template_json(STACK)["Resources"][pipeline_id]["DependsOn"]


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


# --- The role and the data perimeter ----------------------------------------------------------------------


def test_m2_pipeline_role_is_scoped_to_its_prefix_key_jobs_and_group(profile):
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(profile, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Training pipeline:")
    ]
    sids = {s.get("Sid"): s for s in statements(policy)}
    prefix = f"/pipelines/{profile.platform.pipelines.pipeline_name}/*"
    (objects,) = as_list(sids["PipelineArtifacts"]["Resource"])
    assert objects["Fn::Join"][1][-1] == prefix and imported(objects["Fn::Join"][1][0], "ArtifactsBucket")
    assert sids["PassOnlyItselfToSageMaker"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    group = profile.platform.pipelines.model_package_group
    registry = [r["Fn::Join"][1][-1] for r in sids["RegisterInTheModelGroup"]["Resource"]]
    assert registry == [f":model-package-group/{group}", f":model-package/{group}/*"]
    assert all(not a.endswith("*") for a in sids["PipelineJobs"]["Action"])


def test_n10_artifacts_bucket_admits_the_pipeline_role_from_sagemaker(profile):
    role_name = f"{profile.config.project_name}-{profile.config.profile}-pipeline-execution"
    policies = profile.resources("Data", "AWS::S3::BucketPolicy")
    artifacts = next(
        p["Properties"]["PolicyDocument"]
        for p in policies.values()
        if "Artifacts" in json.dumps(p["Properties"]["Bucket"])
    )
    deny = next(s for s in statements(artifacts) if s["Effect"] == "Deny" and "aws:SourceVpce" in json.dumps(s))
    assert role_name in json.dumps(deny["Condition"])


# --- M6: registry and approval path ---------------------------------------------------------------------------


def test_m6_approval_of_a_package_of_the_group_invokes_the_deployment(profile):
    (rule,) = resources(profile, "AWS::Events::Rule").values()
    group = profile.platform.pipelines.model_package_group
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"]},
    }
    (target_spec,) = rule["Properties"]["Targets"]
    functions = resources(profile, "AWS::Lambda::Function")
    function = functions[target(target_spec["Arn"])]["Properties"]
    queues = resources(profile, "AWS::SQS::Queue")
    assert target(target_spec["DeadLetterConfig"]["Arn"]) in queues
    assert target(function["DeadLetterConfig"]["TargetArn"]) in queues
    assert target_spec["RetryPolicy"]["MaximumRetryAttempts"] > 0
    deployment = profile.config.pipelines.deploy_on_approval
    environment = function["Environment"]["Variables"]
    assert environment["MODEL_PACKAGE_GROUP"] == group
    assert environment["VARIANT_NAME"] == deployment.variant
    assert environment["VARIANT_WEIGHT"] == ("" if deployment.weight is None else repr(float(deployment.weight)))
    assert environment["ENDPOINT_NAME"] == profile.platform.inference.realtime.endpoint_name
    assert imported(environment["MODEL_ROLE_ARN"], "ExecutionRole")
    assert function["VpcConfig"]["SubnetIds"]
    (queue,) = queues.values()
    assert imported(queue["Properties"]["KmsMasterKeyId"], "NotificationsKey")
    # Lambda delivers to the encrypted queue as the function's role: it needs the queue's key.
    role = target(function["Role"])
    (grants,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(profile, "AWS::IAM::ManagedPolicy").values()
        if role in {target(r) for r in p["Properties"].get("Roles", [])} and "sqs:SendMessage" in json.dumps(p)
    ]
    sids = {s.get("Sid"): s for s in statements(grants)}
    assert sorted(sids["EncryptDeadLetters"]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert sids["EncryptDeadLetters"]["Resource"] == queue["Properties"]["KmsMasterKeyId"]


def test_m6_the_endpoint_role_reads_the_registered_models(profile):
    (policy,) = [
        p["Properties"]
        for p in resources(profile, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Inference role: read the models")
    ]
    assert [imported(r, "ExecutionRole") for r in policy["Roles"]] == [True]
    (statement,) = statements(policy["PolicyDocument"])
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"]["Fn::Join"][1][-1] == f"/pipelines/{profile.platform.pipelines.pipeline_name}/models/*"


def test_m6_the_approval_function_may_touch_only_its_endpoint_and_group(profile):
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(profile, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Create models from approved packages")
    ]
    sids = {s.get("Sid"): s for s in statements(policy)}
    endpoint = profile.platform.inference.realtime.endpoint_name
    group = profile.platform.pipelines.model_package_group
    assert sids["UpdateTheEndpoint"]["Resource"]["Fn::Join"][1][-1] == f":endpoint/{endpoint}"
    assert sids["ReadApprovedPackages"]["Resource"]["Fn::Join"][1][-1] == f":model-package/{group}/*"
    assert sids["ModelsFromPackages"]["Resource"]["Fn::Join"][1][-1] == f":model/{group}-v*"
    assert imported(sids["PassTheInferenceRole"]["Resource"], "ExecutionRole")


def test_m6_no_approval_path_when_turned_off(variant):
    assert not resources(variant, "AWS::Events::Rule")
    assert len(resources(variant, "AWS::SageMaker::ModelPackageGroup")) == 1
