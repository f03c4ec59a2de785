"""The authorization simulation harness (tests/authz.py) evaluates what IAM evaluates.

Proven on small hand-written templates (tests/authz_example.py): resource policies with their
conditions (a bucket reachable only through a VPC endpoint, a key policy, a queue and a topic
policy), explicit Deny guardrails, permission boundaries, VPC endpoint policies and cross-account
requests; each request that must be allowed has a sibling that must be denied, so no case passes by
allowing (or denying) everything (tests/authz_example_cases.py). tests/test_authz_sandbox.py and
tests/test_authz_handlers.py state requests on the synthesized sandbox.

Each group of requests is evaluated in one Node process (a module-scoped fixture).
"""

from __future__ import annotations

import time

import pytest
from authz import ACCOUNT, AuthzError, Decision, Principal, ResourcePolicy, World, evaluate
from authz_example import ALLOWED, DATA, EXPLICIT, IMPLICIT, REGION, TEMPLATE, VPCE, allow, doc
from authz_example_cases import (
    CASES,
    HAND_WRITTEN_IDS,
    cross_account_cases,
    endpoint_cases,
    key_cases,
    resolve_case,
    service_principal_cases,
)


@pytest.fixture(scope="module")
def world() -> World:
    return World.single(TEMPLATE, stack_name="example", region=REGION)


@pytest.fixture(scope="module")
def worker(world) -> Principal:
    return world.principal("example", "Worker")


# --- Resolution and gathering ------------------------------------------------------------------


def test_a_role_gathers_inline_attached_and_managed_policies_and_its_boundary(worker, world):
    assert worker.role_arn == f"arn:aws:iam::{ACCOUNT}:role/example-Worker"
    assert [p.name for p in worker.identity_policies] == [
        "example-Worker/inline",
        "example/WorkerDefaultPolicy",
        "example/WorkerGrants",
    ]
    inline = worker.identity_policies[0].document["Statement"][0]
    assert inline["Resource"] == "arn:aws:s3:::example-data/*"
    decrypt = worker.identity_policies[1].document["Statement"][0]["Resource"]
    assert decrypt == [world.arn("example", "DataKey"), world.arn("example", "SecretKey")]
    assert decrypt[0].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/") and decrypt[0] != decrypt[1]
    assert [p.document for p in worker.permission_boundaries] == [
        world.resolve("example", TEMPLATE["Resources"]["Boundary"]["Properties"]["PolicyDocument"])
    ]
    assert worker.tags == {"team": "ml"}
    assert Principal.from_template(TEMPLATE, "Worker", stack_name="example") == worker


def test_resource_policies_are_found_by_the_resource_they_protect(world):
    bucket = ResourcePolicy.bucket(world, "Data", "example")
    assert bucket.arn == "arn:aws:s3:::example-data"
    assert bucket.document["Statement"][0]["Resource"] == [bucket.arn, f"{bucket.arn}/*"]
    assert ResourcePolicy.bucket(TEMPLATE, "Data").document["Statement"][0]["Sid"] == "DenyOutsideTheEndpoint"
    assert ResourcePolicy.queue(TEMPLATE, "Jobs").arn == f"arn:aws:sqs:{REGION}:{ACCOUNT}:Stack-Jobs"
    assert ResourcePolicy.topic(TEMPLATE, "Alerts").document["Statement"][0]["Sid"] == "OnlyOverTls"
    assert ResourcePolicy.key(TEMPLATE, "SecretKey").document["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT}:role/key-admin"
    }
    assert world.resource_policy_for("s3:GetObject", "arn:aws:s3:::example-data/a/b.csv") == bucket
    assert world.resource_policy_for("s3:GetObject", "arn:aws:s3:::someone-elses/a") is None


def test_imports_resolve_through_the_exporting_stack():
    """Two stacks agree on the bucket's ARN: the importer's grant names the exporter's bucket."""
    exporter = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}},
        "Outputs": {
            "BucketArn": {
                "Value": {"Fn::GetAtt": ["Bucket", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:BucketArn"}},
            }
        },
    }
    importer = {
        "Resources": {
            "Reader": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "reader"}},
            "ReaderGrants": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    # Attached by name, the way a policy of another stack attaches to an imported role.
                    "Roles": ["reader"],
                    "PolicyDocument": doc(
                        allow("s3:GetObject", {"Fn::Join": ["", [{"Fn::ImportValue": "data:BucketArn"}, "/*"]]})
                    ),
                },
            },
        }
    }
    world = World({"data": exporter, "consumer": importer}, region=REGION, artifact_ids={"Data": "data"})
    reader = world.principal("consumer", "Reader")
    assert reader.role_arn == f"arn:aws:iam::{ACCOUNT}:role/reader"
    (policy,) = reader.identity_policies
    assert policy.document["Statement"][0]["Resource"] == f"{world.arn('Data', 'Bucket')}/*"
    assert world.arn("Data", "Bucket") == "arn:aws:s3:::data-bucket"
    with pytest.raises(AuthzError, match="no stack of this world exports"):
        world.import_value("missing:Export")


# --- Decisions on hand-written policies -----------------------------------------------------------


@pytest.fixture(scope="module")
def hand_written(world, worker) -> dict[str, tuple[Decision, str, str | None]]:
    """Every hand-written request of this module, decided in one Node process."""
    rows = [(c.id, resolve_case(c, world).request(world, worker), c.expected, c.decided_by) for c in CASES]
    rows += key_cases(world) + cross_account_cases(world) + endpoint_cases() + service_principal_cases()
    started = time.perf_counter()
    decisions = evaluate([r for _, r, _, _ in rows])
    print(f"\nauthz: {len(rows)} hand-written requests in {time.perf_counter() - started:.2f} s")
    return {i: (d, e, by) for (i, _, e, by), d in zip(rows, decisions, strict=True)}


@pytest.mark.parametrize("case_id", HAND_WRITTEN_IDS)
def test_hand_written_request(hand_written, case_id):
    decision, expected, decided_by = hand_written[case_id]
    assert decision.result == expected, decision.reason
    if decided_by:
        assert decided_by in decision.denying_statements(), decision.reason


def test_every_hand_written_request_is_checked(hand_written):
    assert sorted(hand_written) == sorted(HAND_WRITTEN_IDS)
    results = {expected for _, expected, _ in hand_written.values()}
    assert results == {ALLOWED, EXPLICIT, IMPLICIT}


def test_a_context_key_the_action_never_carries_is_refused(world, worker):
    """`sagemaker:NetworkIsolation` on s3:GetObject would be dropped by the simulator: the
    request the test states is not the one evaluated, so the harness refuses it."""
    request = world.request(
        worker, "s3:GetObject", f"{DATA}/a.csv", context={"aws:SourceVpce": VPCE, "sagemaker:NetworkIsolation": "true"}
    )
    with pytest.raises(AuthzError, match="never carries"):
        evaluate([request])


def test_an_action_that_does_not_exist_is_refused(world, worker):
    with pytest.raises(AuthzError, match="refused"):
        evaluate([world.request(worker, "s3:GetObjects", f"{DATA}/a.csv")])
