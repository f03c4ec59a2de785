"""The training pipeline as deployed: the definition read back from the template (M1-M7).

The SageMaker pipeline's body is the SDK's JSON inside an Fn::Sub; these tests parse it,
follow each step's inputs to the step that produces them, and resolve each ${Name} to the
value CloudFormation substitutes, so every control is checked where it takes effect.
"""

from __future__ import annotations

import json

from helpers import statements, target
from pipelines_helpers import (
    STACK,
    body_and_variables,
    definition,
    get,
    imported,
    job_steps,
    parameter,
    pipeline_resource,
    resolve,
    resources,
    steps,
)

from ml_constructs.sagemaker_guardrails import ISOLATION_EXCEPTION_TAG as GUARDRAIL_TAG
from pipelines import training

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


def test_m2_guardrails_bind_the_pipeline_role_and_the_approval_function(hosted):
    (policy_id,) = [
        k
        for k, p in resources(hosted, "AWS::IAM::ManagedPolicy").items()
        if p["Properties"]["Description"].startswith("N8 guardrails")
    ]
    attached = {target(r) for r in resources(hosted, "AWS::IAM::ManagedPolicy")[policy_id]["Properties"]["Roles"]}
    roles = resources(hosted, "AWS::IAM::Role")
    assert attached == {
        k
        for k, r in roles.items()
        if r["Properties"]["Description"].startswith(("SageMaker training pipeline", "Deploys approved"))
    }
    assert len(attached) == 2
    # The pipeline waits for its guardrails: no execution can start before they bind the role.
    (pipeline_id,) = resources(hosted, "AWS::SageMaker::Pipeline")
    assert policy_id in hosted.template_json(STACK)["Resources"][pipeline_id]["DependsOn"]
