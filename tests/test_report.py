"""The security-controls review (scripts/report.py): reproducible, current, and its rule mapping honest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from scripts import report
from scripts.report import Profile

ROOT = report.ROOT

# A one-bucket app with every gate: the bucket has open findings in every pack, and one acknowledged.
TINY_APP = textwrap.dedent(
    """
    import sys

    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    from aws_cdk import aws_iam as iam

    from ml_constructs.acknowledgments import AWS_SOLUTIONS, acknowledge, acknowledge_wildcards
    from stacks.gates import register_gates

    app = cdk.App(outdir=sys.argv[1], context={"aws:cdk:enable-path-metadata": True})
    register_gates(app)
    stack = cdk.Stack(app, "Tiny", env=cdk.Environment(region="us-east-1"))
    bucket = s3.Bucket(stack, "Plain")
    reason = "ACK-REASON: the tiny app has no access-log bucket to log to."
    acknowledge(bucket.node.default_child, AWS_SOLUTIONS + "S1", reason)
    # Acknowledged during validation, as the project's wildcard reasons are: the CLI-side report then
    # carries a stack trace through the jsii kernel's temporary directory.
    statement = iam.PolicyStatement(sid="Describe", actions=["ec2:DescribePrefixLists"], resources=["*"])
    policy = iam.ManagedPolicy(stack, "Policy", statements=[statement])
    acknowledge_wildcards(policy.node.default_child, {"Describe": "WILDCARD-REASON: the action takes no resource ARN."})
    try:
        app.synth()
    except RuntimeError as error:
        assert "ValidationFailed" in str(error), error
    """
)


def test_two_synths_of_the_same_app_give_byte_identical_reviews(tmp_path):
    """Two synths in two processes (two jsii kernels with their own temporary directories, as two CLI
    runs have): the CLI-side report differs in its stack traces, the review does not."""
    script = tmp_path / "tiny_app.py"
    script.write_text(TINY_APP)
    outdirs = [tmp_path / "one", tmp_path / "two"]
    runs = [
        subprocess.Popen(
            [sys.executable, str(script), str(out)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in outdirs
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
    raw = [(out / "validation-report.json").read_text() for out in outdirs]
    assert raw[0] != raw[1], "the two synths' own reports should differ (temporary paths in stack traces)"
    profiles = [[Profile("tiny", out)] for out in outdirs]

    markdown = [report.render_markdown(p) for p in profiles]
    sarif = [report.render_sarif(p) for p in profiles]
    assert markdown[0] == markdown[1]
    assert sarif[0] == sarif[1]

    # What is reproduced: the open findings of every pack, and the one acknowledgment with its reason.
    document = json.loads(sarif[0])
    assert document["version"] == "2.1.0"
    results = {(run["tool"]["driver"]["name"], r["ruleId"]): r for run in document["runs"] for r in run["results"]}
    suppressed = {key: r["suppressions"] for key, r in results.items() if "suppressions" in r}
    assert suppressed == {
        ("AwsSolutions", "AwsSolutions-S1"): [
            {
                "kind": "inSource",
                "status": "accepted",
                "justification": "ACK-REASON: the tiny app has no access-log bucket to log to.",
            }
        ],
        ("AwsSolutions", "AwsSolutions-IAM5[Resource::*]"): [
            {
                "kind": "inSource",
                "status": "accepted",
                "justification": "WILDCARD-REASON: the action takes no resource ARN.",
            }
        ],
    }
    packs_with_open = {pack for (pack, _rule), r in results.items() if "suppressions" not in r}
    assert {
        "AwsSolutions",
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
        "cdk-validator-cfnguard",
    } <= packs_with_open
    for r in results.values():
        (location,) = r["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "build/assembly/tiny/Tiny.template.json"
        assert location["logicalLocations"][0]["fullyQualifiedName"] in ("Tiny/Plain/Resource", "Tiny/Policy/Resource")
    assert "| `AwsSolutions::AwsSolutions-S1` | `Tiny/Plain/Resource` | tiny | ACK-REASON:" in markdown[0]
    assert "`tiny`: `AwsSolutions-S10` on `Tiny/Plain/Resource`" in markdown[0]


def test_the_rule_mapping_covers_every_rule_that_found_something(sandbox, production):
    """The guarding rules are derived from the packages' rule sources; every finding the gates reported
    (open or acknowledged) must be by a rule that the mapping lists for that resource's type."""
    for assembly, name in ((sandbox, "sandbox"), (production, "production")):
        profile = Profile(name, assembly.outdir)
        by_path = {r.path: r for r in profile.resources()}
        rules = report.guarding_rules(profile)
        open_, acknowledged = profile.findings()
        checked = 0
        for finding in [*open_, *acknowledged]:
            if finding.pack == "IAM.Grammar":
                continue  # the project's gate: every policy document, not a per-type rule set
            resource = by_path[finding.path]
            listed = rules.get(resource.type, {}).get(finding.pack, [])
            if finding.pack == report.CONTROL_TOWER:
                listed = [entry.split(" (")[1].rstrip(")") for entry in listed]
            assert finding.rule.split("[")[0] in listed, (name, finding.rule, resource.type)
            checked += 1
        assert checked > 100


def test_the_committed_review_is_what_the_session_assemblies_give(sandbox, production):
    profiles = [Profile("sandbox", sandbox.outdir), Profile("production", production.outdir)]
    assert report.MARKDOWN.read_text() == report.render_markdown(profiles), "run: make report"
    assert report.SARIF.read_text() == report.render_sarif(profiles), "run: make report"
