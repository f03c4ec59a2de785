"""The private network stack (patterns N1, N2, N3, N4, N12, N14)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from helpers import as_list, statements, target
from network_helpers import (
    endpoints_by_service,
    resources,
    workload_subnets,
)

from config import ConfigError
from ml_constructs.private_network import INTERFACE_ENDPOINTS, PrivateNetwork
from stacks import endpoint_needs, interface_endpoints
from stacks.network import NetworkStack
from stacks.workspace import WorkspaceStack

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


def endpoint_subnets(assembly) -> list[str]:
    """The private subnets that hold interface endpoints: the first network.interface_endpoint_zones."""
    subnets = list(workload_subnets(assembly))
    return subnets[: assembly.config.network.interface_endpoint_zones or len(subnets)]


def n2_minimum(config) -> set[str]:
    """N2's list, without the notebook endpoint when the profile deploys no notebook (production)."""
    notebooks = config.workspace.enabled and config.workspace.notebooks.enabled and config.workspace.data_scientists
    return N2_MINIMUM if notebooks else N2_MINIMUM - {"notebook"}


def test_n2_every_required_endpoint_with_private_dns(profile):
    created = endpoints_by_service(profile)
    assert set(created) >= n2_minimum(profile.config)
    assert set(created) == set(interface_endpoints(profile.config)) | {"s3"}
    for name, props in created.items():
        if name == "s3":
            continue
        assert props["VpcEndpointType"] == "Interface"
        assert props["PrivateDnsEnabled"] is True
        assert [target(s) for s in props["SubnetIds"]] == endpoint_subnets(profile)


@pytest.mark.parametrize("name", ["sandbox", "demo"])
def test_n2_the_sandbox_and_the_demo_show_the_whole_minimum(request, name):
    """The cheap sandbox keeps every endpoint N2 names (it deploys notebooks and Studio)."""
    assert set(endpoints_by_service(request.getfixturevalue(name))) >= N2_MINIMUM


def test_n2_sandbox_creates_exactly_the_endpoints_its_stacks_need(sandbox):
    """Every endpoint bills per zone-hour: none that no deployed stack asks for."""
    created = set(endpoints_by_service(sandbox)) - {"s3"}
    needed = set()
    for stack in sandbox.platform.all():
        if hasattr(stack, "interface_endpoints_for"):
            needed |= set(stack.interface_endpoints_for(sandbox.config))
    if sandbox.config.workspace.access_host.enabled:
        needed |= set(WorkspaceStack.ACCESS_HOST_ENDPOINTS)
    assert created == needed == set(endpoint_needs(sandbox.config))
    assert "ec2messages" not in created  # SSM Agent >= 3.3.40.0 uses ssmmessages (ml_constructs/access_host.py)
    # No source stream in the sandbox: producers put to Firehose (a stream takes the streams endpoint instead).
    assert "kinesis-firehose" in created and "kinesis-streams" not in created


def test_n2_endpoint_needs_follow_what_the_profile_enables(sandbox):
    from conftest import with_changes

    no_studio = with_changes(sandbox.config, **{"workspace.studio.enabled": False})
    assert "studio" not in endpoint_needs(no_studio) and "notebook" in endpoint_needs(no_studio)
    no_notebooks = with_changes(sandbox.config, **{"workspace.notebooks.enabled": False})
    assert "notebook" not in endpoint_needs(no_notebooks) and "studio" in endpoint_needs(no_notebooks)
    ingestion_only = with_changes(
        sandbox.config,
        **{"workspace.enabled": False, "inference.enabled": False, "pipelines.enabled": False},
    )
    assert sorted(endpoint_needs(ingestion_only)) == ["glue", "kinesis-firehose", "kms", "logs", "sts"]
    with_stream = with_changes(ingestion_only, **{"ingestion.stream.enabled": True})
    assert sorted(endpoint_needs(with_stream)) == ["glue", "kinesis-streams", "kms", "logs", "sts"]
    regional_api = with_changes(sandbox.config, **{"inference.api.access": "regional"})
    assert "execute-api" in endpoint_needs(sandbox.config) and "execute-api" not in endpoint_needs(regional_api)


def test_n2_ingestion_only_network_synthesizes_without_sagemaker_endpoints(sandbox, synth):
    from conftest import with_changes

    config = with_changes(
        sandbox.config,
        **{"workspace.enabled": False, "inference.enabled": False, "pipelines.enabled": False},
    )
    created = set(endpoints_by_service(synth(config, "ingestion-only"))) - {"s3"}
    assert created == {"glue", "kinesis-firehose", "kms", "logs", "sts"}


def test_n2_endpoints_sit_in_the_configured_number_of_zones(sandbox, demo, production):
    """The sandbox puts endpoint interfaces in its first zone only; demo and production in every zone."""
    assert sandbox.config.network.interface_endpoint_zones == 1
    assert endpoint_subnets(sandbox) == list(workload_subnets(sandbox))[:1]
    assert len(workload_subnets(sandbox)) == 2  # N1: the subnets stay in two zones
    for assembly in (demo, production):
        assert assembly.config.network.interface_endpoint_zones is None
        assert endpoint_subnets(assembly) == list(workload_subnets(assembly))
    for name, props in endpoints_by_service(demo).items():
        if name != "s3":
            assert len(props["SubnetIds"]) == demo.config.network.availability_zones


@pytest.mark.parametrize("zones", [0, 3])
def test_n2_endpoint_zones_must_fit_the_vpc(sandbox, zones):
    from conftest import with_changes

    with pytest.raises(ValueError, match="interface_endpoint_zones"):
        with_changes(sandbox.config, **{"network.interface_endpoint_zones": zones})


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
    consumers = [s for s in profile.platform.all() if hasattr(s, "interface_endpoints_for")]
    assert {type(s) for s in consumers} >= {NetworkStack, WorkspaceStack}
    for stack in consumers:
        needs = set(stack.interface_endpoints_for(profile.config))
        assert needs <= set(stack.INTERFACE_ENDPOINTS), f"{stack.node.id}: {needs - set(stack.INTERFACE_ENDPOINTS)}"
        missing = needs - created
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
        "network.interface_endpoints: 'ecr.dkr' is missing; WorkspaceStack, InferenceStack, "
        "PipelinesStack needs it" in caught.value.problems
    )
    full = with_changes(sandbox.config, **{"network.interface_endpoints": sorted(endpoint_needs(sandbox.config))})
    assert interface_endpoints(full) == sorted(endpoint_needs(sandbox.config))


def test_n2_catalogue_matches_the_config_model():
    import typing

    from config.model import InterfaceEndpointName

    assert set(typing.get_args(InterfaceEndpointName)) == set(INTERFACE_ENDPOINTS)
