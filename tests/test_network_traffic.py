"""The private network stack (patterns N1, N2, N3, N4, N12, N14)."""

from __future__ import annotations

import pytest
from helpers import as_list, statements, target
from network_helpers import (
    endpoints_by_service,
    resources,
)

# --- N3: S3 gateway endpoint ---------------------------------------------------------------


def s3_endpoint(assembly) -> dict:
    return endpoints_by_service(assembly)["s3"]


def test_n3_s3_gateway_endpoint_on_the_private_route_tables(profile):
    props = s3_endpoint(profile)
    assert props["VpcEndpointType"] == "Gateway"
    tables = {k for k, v in resources(profile, "AWS::EC2::RouteTable").items() if "Workloads" in k}
    assert {target(t) for t in props["RouteTableIds"]} == tables


def test_n3_s3_endpoint_admits_only_project_and_named_aws_buckets(profile):
    region = profile.config.region
    prefix = f"{profile.config.project_name}-{profile.config.profile}-"
    by_sid = {s["Sid"]: s for s in statements(s3_endpoint(profile)["PolicyDocument"])}
    assert set(by_sid) == {"ProjectBuckets", "ProjectReadOnlyBuckets", "AwsOwnedBucketsForImagesAndPackages"}
    for statement in by_sid.values():
        assert statement["Effect"] == "Allow"
        assert "s3:*" not in as_list(statement["Action"])
        assert "*" not in as_list(statement["Resource"])
    for sid in ("ProjectBuckets", "ProjectReadOnlyBuckets"):
        assert by_sid[sid]["Condition"]["StringEquals"]["aws:PrincipalAccount"] == {"Ref": "AWS::AccountId"}
    project = by_sid["ProjectBuckets"]
    assert project["Resource"] == [f"arn:aws:s3:::{prefix}*", f"arn:aws:s3:::{prefix}*/*"]
    assert project["Condition"]["StringEquals"]["aws:ResourceAccount"] == {"Ref": "AWS::AccountId"}
    assert not any(a.startswith(("s3:PutBucket", "s3:DeleteBucket")) for a in project["Action"])
    read_only = by_sid["ProjectReadOnlyBuckets"]
    assert set(as_list(read_only["Action"])) == {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}
    aws_owned = by_sid["AwsOwnedBucketsForImagesAndPackages"]
    assert aws_owned["Action"] == "s3:GetObject"
    assert f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*" in aws_owned["Resource"]


def test_n3_aws_owned_buckets_admit_the_requests_that_really_reach_them(profile):
    # proves N3: ECR layer downloads use pre-signed URLs signed by ECR's principal and yum/dnf
    # read the Amazon Linux repositories anonymously; neither request carries this account as
    # aws:PrincipalAccount, so a principal condition would block image pulls and package installs.
    region = profile.config.region
    by_sid = {s["Sid"]: s for s in statements(s3_endpoint(profile)["PolicyDocument"])}
    aws_owned = by_sid["AwsOwnedBucketsForImagesAndPackages"]
    assert aws_owned["Principal"] == {"AWS": "*"} or aws_owned["Principal"] == "*"
    assert "Condition" not in aws_owned
    resources = as_list(aws_owned["Resource"])
    assert all(r.startswith("arn:aws:s3:::") and r.endswith("/*") for r in resources)
    assert f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*" in resources
    assert all(region in r for r in resources), "only this region's AWS-owned buckets"


# --- N4: security groups --------------------------------------------------------------------

OPEN = ("0.0.0.0/0", "::/0")


def all_ingress_rules(assembly):
    for template in assembly.outdir.glob("*.template.json"):
        artifact = template.name.removesuffix(".template.json")
        for rid, resource in assembly.template_json(artifact)["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::EC2::SecurityGroup":
                for rule in props.get("SecurityGroupIngress", []):
                    yield rid, rule
            elif resource["Type"] == "AWS::EC2::SecurityGroupIngress":
                yield rid, props


@pytest.fixture(params=["sandbox", "production", "variant"])
def any_assembly(request):
    return request.getfixturevalue(request.param)


def test_n4_no_ingress_from_anywhere_in_any_stack(any_assembly):
    rules = list(all_ingress_rules(any_assembly))
    assert rules
    for rid, rule in rules:
        assert rule.get("CidrIp") not in OPEN and rule.get("CidrIpv6") not in OPEN, rid


def security_groups(assembly) -> tuple[str, str]:
    groups = resources(assembly, "AWS::EC2::SecurityGroup")
    endpoint = next(k for k in groups if k.startswith("NetworkEndpointSecurityGroup"))
    workload = next(k for k in groups if k.startswith("NetworkWorkloadSecurityGroup"))
    return endpoint, workload


def test_n4_endpoint_group_admits_https_from_the_vpc_only(profile):
    endpoint, _ = security_groups(profile)
    props = resources(profile, "AWS::EC2::SecurityGroup")[endpoint]["Properties"]
    assert props["SecurityGroupIngress"] == [
        {
            "CidrIp": profile.config.network.cidr,
            "Description": "HTTPS from the VPC",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    # No real egress: CDK's placeholder rule that matches no traffic.
    assert props["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"


def rules_of(assembly, group: str, resource_type: str) -> list[dict]:
    """A group's rules of one direction: separate rule resources plus the group's inline ones."""
    inline_key = "SecurityGroupIngress" if resource_type.endswith("Ingress") else "SecurityGroupEgress"
    inline = resources(assembly, "AWS::EC2::SecurityGroup")[group]["Properties"].get(inline_key, [])
    separate = [
        r["Properties"]
        for r in resources(assembly, resource_type).values()
        if target(r["Properties"]["GroupId"]) == group
    ]
    return [{**rule, "GroupId": {"Fn::GetAtt": [group, "GroupId"]}} for rule in inline] + separate


def test_n4_workloads_talk_to_themselves_the_endpoints_and_s3_only(profile):
    endpoint, workload = security_groups(profile)
    (ingress,) = rules_of(profile, workload, "AWS::EC2::SecurityGroupIngress")
    assert target(ingress["SourceSecurityGroupId"]) == workload and ingress["IpProtocol"] == "-1"
    egress = rules_of(profile, workload, "AWS::EC2::SecurityGroupEgress")
    destinations = sorted(
        (
            target(rule.get("DestinationSecurityGroupId")) or "prefix-list",
            rule["IpProtocol"],
            rule.get("FromPort"),
        )
        for rule in egress
    )
    assert destinations == sorted([(workload, "-1", None), (endpoint, "tcp", 443), ("prefix-list", "tcp", 443)])
    (to_s3,) = [r for r in egress if "DestinationPrefixListId" in r]
    lookup = resources(profile, "Custom::AWS")[target(to_s3["DestinationPrefixListId"])]
    assert f"com.amazonaws.{profile.config.region}.s3" in lookup["Properties"]["Create"]
    assert not any("CidrIp" in rule for rule in egress)


def test_n4_default_security_group_is_emptied(profile):
    assert len(resources(profile, "Custom::VpcRestrictDefaultSG")) == 1


# --- N12: flow logs -------------------------------------------------------------------------


def test_n12_flow_logs_of_all_traffic_to_an_encrypted_log_group(profile):
    (flow_log,) = resources(profile, "AWS::EC2::FlowLog").values()
    props = flow_log["Properties"]
    assert props["TrafficType"] == "ALL"
    assert props["ResourceType"] == "VPC"
    group = resources(profile, "AWS::Logs::LogGroup")[target(props["LogGroupName"])]
    assert "LogsKey" in group["Properties"]["KmsKeyId"]["Fn::ImportValue"]
    assert group["Properties"]["RetentionInDays"] == profile.config.security.log_retention_days
    role = resources(profile, "AWS::IAM::Role")[target(props["DeliverLogsPermissionArn"])]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


# --- N14: optional egress ---------------------------------------------------------------------


def test_n14_egress_mode_adds_nat_in_public_subnets_without_public_ips(variant):
    assert len(resources(variant, "AWS::EC2::InternetGateway")) == 1
    assert len(resources(variant, "AWS::EC2::NatGateway")) == variant.config.network.nat_gateways
    public = {k: v for k, v in resources(variant, "AWS::EC2::Subnet").items() if "Egress" in k}
    assert len(public) == variant.config.network.availability_zones
    for subnet in public.values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
        assert subnet["Properties"]["CidrBlock"].endswith("/28")


def test_n14_egress_mode_opens_https_only(variant):
    _, workload = security_groups(variant)
    open_rules = [
        r for r in rules_of(variant, workload, "AWS::EC2::SecurityGroupEgress") if r.get("CidrIp") == "0.0.0.0/0"
    ]
    assert open_rules == [
        {
            "CidrIp": "0.0.0.0/0",
            "Description": "Egress mode (N14): HTTPS to the internet via NAT",
            "FromPort": 443,
            "GroupId": {"Fn::GetAtt": [workload, "GroupId"]},
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
