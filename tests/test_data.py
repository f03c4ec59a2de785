"""The ML data buckets behind the VPC endpoint (patterns N10, N11)."""

from __future__ import annotations

from helpers import as_list, bucket_policy_for, denies_insecure_transport, statements, target

STACK = "Data"


def buckets(assembly) -> dict[str, dict]:
    return assembly.resources(STACK, "AWS::S3::Bucket")


def perimeter(assembly, bucket_id: str) -> dict:
    policy = bucket_policy_for(assembly.template_json(STACK)["Resources"], bucket_id)
    (statement,) = [s for s in statements(policy) if s.get("Sid") == "DenyOutsideTheProjectVpcEndpoint"]
    return statement


def test_n10_datasets_and_artifacts_buckets_named_for_the_endpoint_policy(profile):
    names = sorted(
        "".join(p if isinstance(p, str) else "<account>" for p in b["Properties"]["BucketName"]["Fn::Join"][1])
        for b in buckets(profile).values()
    )
    prefix = f"{profile.config.project_name}-{profile.config.profile}"
    region = profile.config.region
    assert names == [f"{prefix}-{purpose}-<account>-{region}" for purpose in ("artifacts", "datasets", "inference")]


def test_n10_n11_data_buckets_kms_tls_only_and_logged(profile):
    resources = profile.template_json(STACK)["Resources"]
    for bucket_id, bucket in buckets(profile).items():
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert "DataKey" in rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::ImportValue"]
        assert "AccessLogs" in bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Fn::ImportValue"]
        assert denies_insecure_transport(bucket_policy_for(resources, bucket_id), bucket_id)


def test_n10_data_buckets_refuse_requests_not_through_the_s3_endpoint(profile):
    for bucket_id in buckets(profile):
        deny = perimeter(profile, bucket_id)
        assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*" and deny["Principal"] == {"AWS": "*"}
        assert {
            target(r) if isinstance(r, dict) and "Fn::GetAtt" in r else target(r["Fn::Join"][1][0])
            for r in deny["Resource"]
        } == {bucket_id}
        conditions = deny["Condition"]
        assert "NetworkVpcS3" in conditions["StringNotEqualsIfExists"]["aws:SourceVpce"]["Fn::ImportValue"]
        assert conditions["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"}


def flat(value) -> str:
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(flat(p) for p in value["Fn::Join"][1])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][0]}.Arn>"
    raise AssertionError(value)


def test_n10_exceptions_are_the_deploy_role_teardown_and_service_linked_roles_only(demo, production):
    # The demo: the sandbox with the approval path, whose inference-role exception the sandbox leaves out.
    for assembly, teardown in ((demo, True), (production, False)):
        prefix = f"{assembly.config.project_name}-{assembly.config.profile}-"
        for bucket_id in buckets(assembly):
            exempt = [
                flat(a)
                for a in as_list(perimeter(assembly, bucket_id)["Condition"]["ArnNotLikeIfExists"]["aws:PrincipalArn"])
            ]
            expected = {
                "arn:aws:iam::<AWS::AccountId>:role/cdk-hnb659fds-cfn-exec-role-<AWS::AccountId>-us-east-1",
                "arn:aws:iam::<AWS::AccountId>:role/aws-service-role/*",
            }
            if teardown:
                expected.add("<CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092.Arn>")
            if bucket_id.startswith("Inference"):
                # SageMaker hosting writes captures and async results from its service, as this role.
                expected.add(f"arn:aws:iam::<AWS::AccountId>:role/{prefix}inference-execution")
            if bucket_id.startswith("Artifacts"):
                # SageMaker Pipelines reads the evaluation report from its service, as this role (M1).
                expected.add(f"arn:aws:iam::<AWS::AccountId>:role/{prefix}pipeline-execution")
                # SageMaker reads approved models' data as the inference role: exempt from this
                # statement, held by the two below to s3:GetObject on the models prefix.
                expected.add(f"arn:aws:iam::<AWS::AccountId>:role/{prefix}inference-execution")
            assert set(exempt) == expected, assembly.config.profile


def test_n10_the_inference_role_reads_only_registered_models_from_outside_the_endpoint(hosted):
    """The artifacts bucket's exception for SageMaker's read of a model's data (ModelDataUrl) is
    s3:GetObject on the training pipeline's models prefix, for the inference role only."""
    prefix = f"{hosted.config.project_name}-{hosted.config.profile}-"
    (artifacts,) = [b for b in buckets(hosted) if b.startswith("Artifacts")]
    policy = bucket_policy_for(hosted.template_json(STACK)["Resources"], artifacts)
    readers = {s["Sid"]: s for s in statements(policy) if s.get("Sid", "").startswith("DenyReaderOutsideTheEndpoint")}
    assert sorted(readers) == [
        "DenyReaderOutsideTheEndpointBeyondItsPrefixes",
        "DenyReaderOutsideTheEndpointButReads",
    ]
    role = f"arn:aws:iam::<AWS::AccountId>:role/{prefix}inference-execution"
    for statement in readers.values():
        assert statement["Effect"] == "Deny"
        assert flat(statement["Condition"]["ArnLike"]["aws:PrincipalArn"]) == role
        assert statement["Condition"]["BoolIfExists"] == perimeter(hosted, artifacts)["Condition"]["BoolIfExists"]
    assert readers["DenyReaderOutsideTheEndpointButReads"]["NotAction"] == "s3:GetObject"
    beyond = readers["DenyReaderOutsideTheEndpointBeyondItsPrefixes"]
    assert beyond["Action"] == "s3:GetObject"
    assert flat(beyond["NotResource"]).endswith(f"/pipelines/{prefix}training/models/*")
