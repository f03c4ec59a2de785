"""Cross-cutting deploy-time defects (issue 11): each test fails on the template that had the defect.

Reserved concurrency a new account cannot grant, resources retained that the profile asked to
delete, a catalog setting that outlives its key, Config rules without a recorder (G1), Lambda
environments under the AWS-managed key (N11), Glue tagging any EC2 resource.
"""

from __future__ import annotations

import json

import pytest
from helpers import as_list, statements, target

from config import ProjectConfig
from scripts.gate_report import stacks as assembly_stacks

# --- every resource of an assembly -------------------------------------------------------------


def all_resources(assembly):
    for template in sorted(assembly.outdir.glob("*.template.json")):
        artifact = template.name.removesuffix(".template.json")
        for logical_id, resource in json.loads(template.read_text())["Resources"].items():
            yield artifact, logical_id, resource


def path_of(resource: dict) -> str:
    return resource.get("Metadata", {}).get("aws:cdk:path", "")


def functions(assembly) -> dict[str, dict]:
    return {
        path_of(r): r["Properties"] for _a, _id, r in all_resources(assembly) if r["Type"] == "AWS::Lambda::Function"
    }


def imports(value, fragment: str) -> bool:
    return fragment in json.dumps(value)


# --- Reserved concurrency: a profile setting, off in sandbox ---------------------------------------


def test_sandbox_reserves_no_lambda_concurrency(sandbox):
    # A new account's Lambda quota can be 10 and 100 must stay unreserved: any reservation
    # fails to create there (Network's prefix-list lookup, Inference, Ingestion, Pipelines).
    assert sandbox.config.deploy.lambda_reserved_concurrency is False
    reserved = {
        p: f["ReservedConcurrentExecutions"]
        for p, f in functions(sandbox).items()
        if "ReservedConcurrentExecutions" in f
    }
    assert reserved == {}


def test_production_reserves_concurrency_where_intended(production):
    assert production.config.deploy.lambda_reserved_concurrency is True
    reserved = {
        p.removesuffix("/Resource"): f["ReservedConcurrentExecutions"]
        for p, f in functions(production).items()
        if "ReservedConcurrentExecutions" in f
    }
    lookup = next(p for p in reserved if p.startswith("Network/AWS679f53fac002430cb0da5b7982bd2287"))
    assert reserved == {
        lookup: 1,  # the S3 prefix-list lookup, once per deployment
        "Inference/VariantScaling/Function": 2,
        "Inference/Api/Handler/Function": 20,
        "Ingestion/Transform/Function": production.config.ingestion.transform.reserved_concurrency,
        "Pipelines/Approval/Function": 1,  # one deployment of an approved model at a time
    }


def test_synth_summary_says_where_concurrency_is_reserved(sandbox, production, capsys):
    from scripts.gate_report import print_reserved_concurrency

    assert print_reserved_concurrency(assembly_stacks(sandbox.outdir)) == []
    rows = print_reserved_concurrency(assembly_stacks(production.outdir))
    assert {path for _a, path, _n in rows} == {
        p for p, f in functions(production).items() if "ReservedConcurrentExecutions" in f
    }
    assert "Pipelines/Approval/Function/Resource" in capsys.readouterr().out


# --- Removal policy: nothing retained that the profile did not ask for ------------------------------

# Resources the sandbox must keep after `cdk destroy` even so, each with its reason. None today.
SANDBOX_RETAIN_ALLOWLIST: dict[str, str] = {}


def test_sandbox_retains_nothing_it_did_not_ask_for(sandbox):
    # A retained resource keeps billing after teardown, and one with a fixed name (the Kinesis
    # stream, log streams) blocks the next deploy of the same profile.
    assert sandbox.config.removal_policy == "destroy"
    retained = [
        f"{artifact}/{logical_id} ({resource['Type']})"
        for artifact, logical_id, resource in all_resources(sandbox)
        if "Retain" in (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        and f"{artifact}/{logical_id}" not in SANDBOX_RETAIN_ALLOWLIST
    ]
    assert retained == []


def test_stream_follows_the_profile_removal_policy(demo, production):
    # proves I1 (with the profile's removal policy): the stream is stateful like the buckets.
    # (The demo destroys like the sandbox, which has no stream: docs/sandbox.md.)
    for assembly, policy in ((demo, "Delete"), (production, "Retain")):
        (stream,) = assembly.resources("Ingestion", "AWS::Kinesis::Stream").values()
        assert stream.get("DeletionPolicy", "Delete") == policy
        assert stream.get("UpdateReplacePolicy", "Delete") == policy


# --- Lambda environment variables under the project's key (N11) -----------------------------------


def test_n11_lambda_environments_encrypted_with_the_project_key(profile):
    # proves N11: no environment under the AWS-managed aws/lambda key. CDK's own provider
    # functions (auto-delete objects, default security group, AwsCustomResource) carry no
    # environment variables, so there is nothing of theirs to encrypt.
    found = functions(profile)
    with_environment = {p: f for p, f in found.items() if f.get("Environment", {}).get("Variables")}
    assert with_environment, "the project's functions pass configuration in their environment"
    for path, function in found.items():
        if path.endswith("/Function/Resource"):  # every function built by python_function
            assert imports(function.get("KmsKeyArn"), "DataKey"), path
    for path, function in with_environment.items():
        assert imports(function.get("KmsKeyArn"), "DataKey"), f"{path}: environment under the AWS-managed key"


def test_n11_function_roles_decrypt_only_lambda_environments(profile):
    decrypts = [
        s
        for _a, _id, r in all_resources(profile)
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        for s in statements(r["Properties"]["PolicyDocument"])
        if s.get("Sid") == "DecryptOwnEnvironment"
    ]
    assert len(decrypts) == len([p for p in functions(profile) if p.endswith("/Function/Resource")])
    for statement in decrypts:
        assert as_list(statement["Action"]) == ["kms:Decrypt"]
        (arn_like,) = statement["Condition"]["ArnLike"].values()
        assert list(statement["Condition"]["ArnLike"]) == ["kms:EncryptionContext:aws:lambda:FunctionArn"]
        assert json.dumps(arn_like).endswith(':function:*"]]}')


# --- Glue roles tag only what Glue creates ----------------------------------------------------------


def test_i8_glue_roles_tag_only_their_own_resources_with_the_service_tag(profile):
    # As AWS's AWSGlueServiceRole: ec2:CreateTags/DeleteTags only with the aws-glue-service-resource
    # key, only on network interfaces, security groups and instances.
    tagging = [
        s
        for r in profile.resources("Ingestion", "AWS::IAM::ManagedPolicy").values()
        for s in statements(r["Properties"]["PolicyDocument"])
        if {"ec2:CreateTags", "ec2:DeleteTags"} & set(as_list(s["Action"]))
    ]
    assert len(tagging) == 2  # crawler and curation roles
    for statement in tagging:
        assert set(as_list(statement["Action"])) == {"ec2:CreateTags", "ec2:DeleteTags"}
        assert statement["Condition"] == {"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}}
        resources = [json.dumps(r) for r in as_list(statement["Resource"])]
        assert "*" not in as_list(statement["Resource"])
        kinds = {r.rsplit(":", 1)[-1].split("/")[0] for r in resources}
        assert kinds == {"network-interface", "security-group", "instance"}
        region = profile.config.region
        assert all(f"arn:aws:ec2:{region}:" in r and '{"Ref": "AWS::AccountId"}' in r for r in resources)


# --- Glue Data Catalog encryption: not in a profile that deletes its key ----------------------------


def test_i8_sandbox_leaves_catalog_encryption_to_the_account(sandbox):
    assert not sandbox.resources("Lake", "AWS::Glue::DataCatalogEncryptionSettings")


def test_i8_catalog_encryption_left_out_follows_the_removal_policy(sandbox):
    data = sandbox.config.model_dump()
    del data["ingestion"]["catalog_encryption"]
    assert ProjectConfig.model_validate(data).ingestion.catalog_encryption is False
    data["removal_policy"] = "retain"
    assert ProjectConfig.model_validate(data).ingestion.catalog_encryption is True
    data["removal_policy"] = "destroy"
    data["ingestion"]["catalog_encryption"] = True
    with pytest.raises(ValueError, match=r"ingestion\.catalog_encryption is true while removal_policy is 'destroy'"):
        ProjectConfig.model_validate(data)


# --- G1: Config rules need a recorder ---------------------------------------------------------------


def test_g1_config_rules_require_a_recorder_choice(sandbox):
    data = sandbox.config.model_dump()
    data["governance"] = {"config_rules": True}
    with pytest.raises(ValueError, match=r"governance\.config_recorder is required with config_rules"):
        ProjectConfig.model_validate(data)
    data["governance"] = {"config_rules": False, "config_recorder": "create"}
    with pytest.raises(ValueError, match="config_rules is false"):
        ProjectConfig.model_validate(data)
    for choice in ("existing", "create"):
        data["governance"] = {"config_rules": True, "config_recorder": choice}
        assert ProjectConfig.model_validate(data).governance.config_recorder == choice


def test_g1_production_states_its_existing_recorder(production):
    assert production.config.governance.config_recorder == "existing"
    assert not production.resources("Governance", "AWS::Config::ConfigurationRecorder")
    assert not production.resources("Governance", "AWS::Config::DeliveryChannel")


def test_g1_created_recorder_records_everything_and_starts_before_the_rules(variant):
    # proves G1: rules evaluate only with a recorder running; CloudFormation starts it as soon
    # as its delivery channel exists (AWS::Config::ConfigurationRecorder reference).
    assert variant.config.governance.config_recorder == "create"
    found = variant.template_json("Governance")["Resources"]
    ((recorder_id, recorder),) = variant.resources("Governance", "AWS::Config::ConfigurationRecorder").items()
    ((channel_id, channel),) = variant.resources("Governance", "AWS::Config::DeliveryChannel").items()
    group = recorder["Properties"]["RecordingGroup"]
    assert group["AllSupported"] is True and group["IncludeGlobalResourceTypes"] is True
    assert recorder_id in as_list(channel.get("DependsOn"))
    for rule_id in variant.resources("Governance", "AWS::Config::ConfigRule"):
        assert channel_id in as_list(found[rule_id].get("DependsOn")), rule_id

    role = found[target(recorder["Properties"]["RoleARN"])]["Properties"]
    assert imports(role["ManagedPolicyArns"], "service-role/AWS_ConfigRole")
    (trust,) = statements(role["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "config.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}

    bucket_id = target(channel["Properties"]["S3BucketName"])
    bucket = found[bucket_id]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert imports(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"], "AuditKey")
    assert imports(channel["Properties"]["S3KmsKeyArn"], "AuditKey")
    assert "LoggingConfiguration" in bucket and bucket["VersioningConfiguration"]["Status"] == "Enabled"

    (policy,) = (
        r["Properties"]
        for r in variant.resources("Governance", "AWS::S3::BucketPolicy").values()
        if target(r["Properties"]["Bucket"]) == bucket_id
    )
    by_sid = {s.get("Sid"): s for s in statements(policy["PolicyDocument"])}
    for sid, action in (
        ("AWSConfigBucketPermissionsCheck", "s3:GetBucketAcl"),
        ("AWSConfigBucketExistenceCheck", "s3:ListBucket"),
        ("AWSConfigBucketDelivery", "s3:PutObject"),
    ):
        statement = by_sid[sid]
        assert statement["Principal"] == {"Service": "config.amazonaws.com"} and statement["Action"] == action
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert imports(by_sid["AWSConfigBucketDelivery"]["Resource"], "/Config/*")
