"""The training pipeline as deployed: the definition read back from the template (M1-M7).

The SageMaker pipeline's body is the SDK's JSON inside an Fn::Sub; these tests parse it,
follow each step's inputs to the step that produces them, and resolve each ${Name} to the
value CloudFormation substitutes, so every control is checked where it takes effect.
"""

from __future__ import annotations

import json

from helpers import as_list, statements, target
from pipelines_helpers import (
    imported,
    resources,
)

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


def test_m6_approval_of_a_package_of_the_group_invokes_the_deployment(hosted):
    (rule,) = resources(hosted, "AWS::Events::Rule").values()
    group = hosted.platform.pipelines.model_package_group
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"]},
    }
    (target_spec,) = rule["Properties"]["Targets"]
    functions = resources(hosted, "AWS::Lambda::Function")
    function = functions[target(target_spec["Arn"])]["Properties"]
    queues = resources(hosted, "AWS::SQS::Queue")
    assert target(target_spec["DeadLetterConfig"]["Arn"]) in queues
    assert target(function["DeadLetterConfig"]["TargetArn"]) in queues
    assert target_spec["RetryPolicy"]["MaximumRetryAttempts"] > 0
    deployment = hosted.config.pipelines.deploy_on_approval
    environment = function["Environment"]["Variables"]
    assert environment["MODEL_PACKAGE_GROUP"] == group
    assert environment["VARIANT_NAME"] == deployment.variant
    assert environment["VARIANT_WEIGHT"] == ("" if deployment.weight is None else repr(float(deployment.weight)))
    assert environment["ENDPOINT_NAME"] == hosted.platform.inference.realtime.endpoint_name
    assert imported(environment["MODEL_ROLE_ARN"], "ExecutionRole")
    assert function["VpcConfig"]["SubnetIds"]
    (queue,) = queues.values()
    assert imported(queue["Properties"]["KmsMasterKeyId"], "NotificationsKey")
    # Lambda delivers to the encrypted queue as the function's role: it needs the queue's key.
    role = target(function["Role"])
    (grants,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(hosted, "AWS::IAM::ManagedPolicy").values()
        if role in {target(r) for r in p["Properties"].get("Roles", [])} and "sqs:SendMessage" in json.dumps(p)
    ]
    sids = {s.get("Sid"): s for s in statements(grants)}
    assert sorted(sids["EncryptDeadLetters"]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert sids["EncryptDeadLetters"]["Resource"] == queue["Properties"]["KmsMasterKeyId"]


def test_m6_the_endpoint_role_reads_the_registered_models(hosted):
    (policy,) = [
        p["Properties"]
        for p in resources(hosted, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Inference role: read the models")
    ]
    assert [imported(r, "ExecutionRole") for r in policy["Roles"]] == [True]
    (statement,) = statements(policy["PolicyDocument"])
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"]["Fn::Join"][1][-1] == f"/pipelines/{hosted.platform.pipelines.pipeline_name}/models/*"


def test_m6_the_approval_function_may_touch_only_its_endpoint_and_group(hosted):
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(hosted, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Description"].startswith("Create models from approved packages")
    ]
    sids = {s.get("Sid"): s for s in statements(policy)}
    endpoint = hosted.platform.inference.realtime.endpoint_name
    group = hosted.platform.pipelines.model_package_group
    assert sids["UpdateTheEndpoint"]["Resource"]["Fn::Join"][1][-1] == f":endpoint/{endpoint}"
    assert sids["ReadApprovedPackages"]["Resource"]["Fn::Join"][1][-1] == f":model-package/{group}/*"
    assert sids["ModelsFromPackages"]["Resource"]["Fn::Join"][1][-1] == f":model/{group}-v*"
    assert imported(sids["PassTheInferenceRole"]["Resource"], "ExecutionRole")


def test_m6_no_approval_path_when_turned_off(variant):
    assert not resources(variant, "AWS::Events::Rule")
    assert len(resources(variant, "AWS::SageMaker::ModelPackageGroup")) == 1
