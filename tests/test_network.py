"""The private network stack (patterns N1, N2, N3, N4, N12, N14)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from helpers import as_list, statements, target

from config import ConfigError
from ml_constructs.private_network import INTERFACE_ENDPOINTS, PrivateNetwork
from stacks import endpoint_needs, interface_endpoints
from stacks.network import NetworkStack
from stacks.workspace import WorkspaceStack

STACK = "Network"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def endpoints_by_service(assembly) -> dict[str, dict]:
    found = {}
    for endpoint in resources(assembly, "AWS::EC2::VPCEndpoint").values():
        name = endpoint["Properties"]["ServiceName"]
        if isinstance(name, dict):  # com.amazonaws.<Ref AWS::Region>.s3
            name = "".join(part if isinstance(part, str) else "<region>" for part in name["Fn::Join"][1])
        found[name.split(".", 3)[-1]] = endpoint["Properties"]
    return found


def workload_subnets(assembly) -> dict[str, dict]:
    return {k: v for k, v in resources(assembly, "AWS::EC2::Subnet").items() if "Workloads" in k}


# --- N1: private subnets across availability zones -------------------------------------


def test_n1_one_private_subnet_per_configured_zone(profile):
    subnets = workload_subnets(profile)
    zones = [s["Properties"]["AvailabilityZone"] for s in subnets.values()]
    count = profile.config.network.availability_zones
    assert zones == [{"Fn::Select": [i, {"Fn::GetAZs": ""}]} for i in range(count)]
    for subnet in subnets.values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_n1_production_spans_three_zones(production):
    assert len(workload_subnets(production)) == 3


def test_n1_no_internet_path_by_default(profile):
    for resource_type in (
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::VPCGatewayAttachment",
    ):
        assert not resources(profile, resource_type), resource_type
    for route in resources(profile, "AWS::EC2::Route").values():
        raise AssertionError(f"unexpected route {route}")
    assert set(workload_subnets(profile)) == set(resources(profile, "AWS::EC2::Subnet"))


def test_n1_vpc_uses_the_configured_private_range_with_dns(profile):
    (vpc,) = resources(profile, "AWS::EC2::VPC").values()
    assert vpc["Properties"]["CidrBlock"] == profile.config.network.cidr
    assert vpc["Properties"]["EnableDnsHostnames"] is True
    assert vpc["Properties"]["EnableDnsSupport"] is True


# --- N2: PrivateLink ---------------------------------------------------------------------

N2_MINIMUM = {
    "sagemaker.api",
    "sagemaker.runtime",
    "notebook",
    "studio",
    "sts",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "kms",
}


def test_n2_every_required_endpoint_with_private_dns(profile):
    created = endpoints_by_service(profile)
    assert set(created) >= N2_MINIMUM
    assert set(created) == set(interface_endpoints(profile.config)) | {"s3"}
    for name, props in created.items():
        if name == "s3":
            continue
        assert props["VpcEndpointType"] == "Interface"
        assert props["PrivateDnsEnabled"] is True
        assert [target(s) for s in props["SubnetIds"]] == list(workload_subnets(profile))


def test_n2_endpoint_policies_admit_only_this_accounts_principals(profile):
    for name, props in endpoints_by_service(profile).items():
        if name == "s3":
            continue
        if not INTERFACE_ENDPOINTS[name].policy_actions:
            assert "PolicyDocument" not in props, name  # browser endpoints: presigned URLs
            continue
        (statement,) = statements(props["PolicyDocument"])
        assert statement["Effect"] == "Allow"
        assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}
        assert sorted(as_list(statement["Action"])) == sorted(INTERFACE_ENDPOINTS[name].policy_actions)


def test_n2_every_stack_in_the_vpc_finds_the_endpoints_it_needs(profile):
    """Fails when a deployed stack declares an endpoint the network of that profile does not create."""
    created = set(endpoints_by_service(profile))
    consumers = [s for s in profile.platform.all() if hasattr(s, "INTERFACE_ENDPOINTS")]
    assert {type(s) for s in consumers} >= {NetworkStack, WorkspaceStack}
    for stack in consumers:
        missing = set(stack.INTERFACE_ENDPOINTS) - created
        assert not missing, f"{stack.node.id} needs {missing}"


def test_n2_extra_endpoints_are_added(variant):
    assert "ssm" in endpoints_by_service(variant)


def test_n2_a_consumer_missing_an_endpoint_stops_synthesis():
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(region="us-east-1"))
    network = PrivateNetwork(
        stack,
        "Net",
        cidr="10.0.0.0/16",
        max_azs=2,
        subnet_prefix_length=20,
        interface_endpoints=["sagemaker.api"],
        logs_key=cdk.aws_kms.Key(stack, "K"),
        log_retention=365,
        s3_read_write_bucket_prefixes=["p-"],
    )
    with pytest.raises(
        ValueError, match="the workspace needs interface endpoints the private network does not create: studio"
    ):
        network.require_endpoints(["sagemaker.api", "studio"], "the workspace")


def test_n2_explicit_endpoint_list_must_cover_the_stacks(sandbox):
    from conftest import with_changes

    short = with_changes(sandbox.config, **{"network.interface_endpoints": ["sagemaker.api", "sts"]})
    with pytest.raises(ConfigError) as caught:
        interface_endpoints(short)
    assert "network.interface_endpoints: 'studio' is missing; WorkspaceStack needs it" in caught.value.problems
    assert (
        "network.interface_endpoints: 'ecr.dkr' is missing; NetworkStack, WorkspaceStack, InferenceStack, "
        "PipelinesStack needs it" in caught.value.problems
    )
    full = with_changes(sandbox.config, **{"network.interface_endpoints": sorted(endpoint_needs(sandbox.config))})
    assert interface_endpoints(full) == sorted(endpoint_needs(sandbox.config))


def test_n2_catalogue_matches_the_config_model():
    import typing

    from config.model import InterfaceEndpointName

    assert set(typing.get_args(InterfaceEndpointName)) == set(INTERFACE_ENDPOINTS)


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
