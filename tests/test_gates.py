"""The synth-time gates: cdk-nag packs, Control Tower rules, cfn-lint, acknowledgments."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from conftest import app_context

from ml_constructs.acknowledgments import acknowledge
from scripts import gate_report
from stacks.gates import register_gates


@pytest.fixture(scope="session", params=["sandbox", "production", "variant"])
def assembly(request):
    return request.getfixturevalue(request.param)


def test_no_open_findings_in_any_pack(assembly):
    for pack in gate_report.pack_results(assembly.outdir):
        assert pack.conclusion == "success", pack.name
        assert pack.open_findings == [], pack.name


def test_every_acknowledgment_is_needed(assembly):
    """A stale acknowledgment (control now in place, misspelt id, wrong construct) fails."""
    assert gate_report.unused_acknowledgments(assembly.outdir) == []


def test_acknowledgments_sit_on_the_construct_that_has_the_finding(assembly):
    """One by one on the narrowest construct: never on a stack or a parent construct."""
    for pack in gate_report.pack_results(assembly.outdir):
        for finding in pack.acknowledged:
            paths = {c["constructPath"] for c in finding["violatingConstructs"]}
            assert paths == {finding["acknowledgedAt"]}, finding["acknowledgedId"]


def test_acknowledgments_are_prefixed_and_reasoned(assembly):
    acks = gate_report.acknowledgments(assembly.outdir)
    assert acks
    for ack in acks:
        pack, _, rule = ack.finding.partition("::")
        assert pack in gate_report.PACKS and rule, ack.finding
        assert len(ack.reason) >= 40, ack


def test_cfn_lint_has_no_errors_or_warnings(assembly):
    infos = gate_report.stacks(assembly.outdir)
    assert infos
    assert gate_report.cfn_lint(infos) == []


def test_summary_reports_counts_and_passes(sandbox, capsys):
    assert gate_report.main([str(sandbox.outdir)]) == 0
    out = capsys.readouterr().out
    count = len(gate_report.acknowledgments(sandbox.outdir))
    assert f"{count} acknowledgments, each on one construct with its reason" in out
    for pack in gate_report.PACKS:
        assert pack in out
    assert "cfn-lint: 0 errors/warnings" in out
    assert "IAM.Grammar checked " in out and " policy documents against AWS's authorization data" in out
    assert "SecurityBaseline" in out


def test_acknowledge_refuses_unprefixed_ids_and_thin_reasons():
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    with pytest.raises(ValueError, match="lacks its pack prefix"):
        acknowledge(stack, "AwsSolutions-S1", "a long enough reason that still lacks the prefix")
    with pytest.raises(ValueError, match="needs a specific reason"):
        acknowledge(stack, "AwsSolutions::AwsSolutions-S1", "ok")


def test_gates_are_live_every_pack_blocks_a_noncompliant_stack(tmp_path):
    """An unencrypted, unlogged bucket, a log group and a grant of an action that does not exist
    must fail synth in every pack (the IAM gate on the grant)."""
    app = cdk.App(outdir=str(tmp_path), context=app_context())
    register_gates(app)
    stack = cdk.Stack(app, "Noncompliant", env=cdk.Environment(region="us-east-1"))
    s3.Bucket(stack, "Plain")
    logs.LogGroup(stack, "Plain Logs", retention=logs.RetentionDays.ONE_WEEK)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpoints"], resources=["*"]))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    failing = {p["pluginName"] for p in report["pluginReports"] if p["violations"]}
    assert failing == set(gate_report.PACKS)
