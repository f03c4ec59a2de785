"""The access host: a way in for browsers that keeps the VPC closed (N13, N4, N11).

Both profiles turn it on, so the `profile` fixture (synthesized with every gate registered:
an unacknowledged finding would fail synthesis) proves it deploys gate-clean in each.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import as_list, target

from config.model import AccessHostConfig
from ml_constructs.access_host import (
    ACCESS_HOST_ENDPOINTS,
    AGENT_MESSAGE_ACTIONS,
    IDLE_BYTES_PER_PERIOD,
    PORT_FORWARDING_DOCUMENT,
    REMOTE_PORT,
)
from stacks import interface_endpoints
from stacks.workspace import WorkspaceStack

STACK = "Workspace"
WORKSPACE_PAGE = Path(__file__).resolve().parent.parent / "docs" / "workspace.md"


def imported(value, fragment: str) -> bool:
    """True when `value` is an Fn::ImportValue whose export name contains `fragment`."""
    return isinstance(value, dict) and fragment in value.get("Fn::ImportValue", "")


def only(assembly, resource_type: str) -> tuple[str, dict]:
    """The single resource of a type in the workspace template that belongs to the access host."""
    found = {k: v for k, v in assembly.resources(STACK, resource_type).items() if k.startswith("AccessHost")}
    assert len(found) == 1, f"expected one access-host {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def instance(assembly) -> dict:
    return only(assembly, "AWS::EC2::Instance")[1]["Properties"]


def host_group(assembly) -> tuple[str, dict]:
    (group,) = instance(assembly)["NetworkInterfaces"][0]["GroupSet"]
    logical_id = target(group)
    return logical_id, assembly.resources(STACK, "AWS::EC2::SecurityGroup")[logical_id]["Properties"]


def test_both_profiles_turn_the_host_on_and_the_default_is_off(profile):
    # proves N13: opt-in, and on where the walk-through must be deployable
    assert AccessHostConfig().enabled is False
    assert profile.config.workspace.access_host.enabled
    assert profile.platform.workspace.access_host is not None


def test_n4_no_inbound_rule_and_no_public_address(profile):
    group_id, group = host_group(profile)
    assert "SecurityGroupIngress" not in group
    for stack in ("Workspace", "Network"):
        for rule in profile.resources(stack, "AWS::EC2::SecurityGroupIngress").values():
            assert target(rule["Properties"]["GroupId"]) != group_id
    (interface,) = instance(profile)["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is False


def test_n4_egress_only_https_to_the_endpoints_security_group(profile):
    group_id, group = host_group(profile)
    (rule,) = group["SecurityGroupEgress"]  # inline: EC2's default allow-all rule is replaced
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", REMOTE_PORT, REMOTE_PORT)
    assert imported(rule["DestinationSecurityGroupId"], "EndpointSecurityGroup")
    separate = profile.resources(STACK, "AWS::EC2::SecurityGroupEgress").values()
    assert not [r for r in separate if target(r["Properties"]["GroupId"]) == group_id]


def test_in_a_private_isolated_subnet_of_the_network(profile):
    (interface,) = instance(profile)["NetworkInterfaces"]
    assert imported(interface["SubnetId"], "WorkloadsSubnet1")
    subnets = profile.resources("Network", "AWS::EC2::Subnet")
    assert all(props["Properties"]["MapPublicIpOnLaunch"] is False for props in subnets.values())


def test_imdsv2_required_and_detailed_monitoring(profile):
    props = instance(profile)
    template_id, template = only(profile, "AWS::EC2::LaunchTemplate")
    assert target(props["LaunchTemplate"]["LaunchTemplateId"]) == template_id
    data = template["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}
    assert data["Monitoring"] == {"Enabled": True}
    assert props["Monitoring"] is True


def test_n11_root_volume_encrypted_with_the_data_key(profile):
    (mapping,) = instance(profile)["BlockDeviceMappings"]
    ebs = mapping["Ebs"]
    assert ebs["Encrypted"] is True and ebs["DeleteOnTermination"] is True
    assert imported(ebs["KmsKeyId"], "DataKey")


def test_graviton_amazon_linux_2023_from_the_public_parameter(profile):
    props = instance(profile)
    assert props["InstanceType"] == profile.config.workspace.access_host.instance_type
    parameter = profile.template_json(STACK)["Parameters"][target(props["ImageId"])]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert re.fullmatch(r"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-[\d.]+-arm64", parameter["Default"])


def test_instance_role_registers_the_agent_and_opens_its_channels_only(profile):
    (profile_props,) = [
        r["Properties"]
        for k, r in profile.resources(STACK, "AWS::IAM::InstanceProfile").items()
        if k.startswith("AccessHost")
    ]
    assert target(instance(profile)["IamInstanceProfile"]) is not None
    (role_ref,) = profile_props["Roles"]
    role = profile.resources(STACK, "AWS::IAM::Role")[target(role_ref)]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert "ManagedPolicyArns" not in role  # no AWS managed policy (AmazonSSMManagedInstanceCore)
    policies = [
        p["Properties"]
        for p in profile.resources(STACK, "AWS::IAM::ManagedPolicy").values()
        if [target(r) for r in p["Properties"].get("Roles", [])] == [target(role_ref)]
    ]
    (policy,) = policies
    actions = {a for s in policy["PolicyDocument"]["Statement"] for a in as_list(s["Action"])}
    assert actions == {"ssm:UpdateInstanceInformation", *AGENT_MESSAGE_ACTIONS}
    assert all(s["Effect"] == "Allow" for s in policy["PolicyDocument"]["Statement"])


def test_stopped_when_idle(profile):
    _, alarm = only(profile, "AWS::CloudWatch::Alarm")
    props = alarm["Properties"]
    assert props["AlarmActions"] == [f"arn:aws:automate:{profile.config.region}:ec2:stop"]
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/EC2", "NetworkIn", "Sum")
    (dimension,) = props["Dimensions"]
    assert dimension["Name"] == "InstanceId" and target(dimension["Value"]) == only(profile, "AWS::EC2::Instance")[0]
    assert props["ComparisonOperator"] == "LessThanThreshold" and props["Threshold"] == IDLE_BYTES_PER_PERIOD
    assert props["Period"] * props["EvaluationPeriods"] == profile.config.workspace.access_host.idle_stop_minutes * 60
    assert props["TreatMissingData"] == "notBreaching"


def test_n2_session_manager_endpoints_present_when_on(profile):
    created = set()
    for endpoint in profile.resources("Network", "AWS::EC2::VPCEndpoint").values():
        name = endpoint["Properties"]["ServiceName"]
        if isinstance(name, str):
            created.add(name.split(".", 3)[-1])
    assert set(ACCESS_HOST_ENDPOINTS) <= created
    # No ec2messages: SSM Agent 3.3.40.0 and later use ssmmessages instead (ml_constructs/access_host.py).
    assert set(WorkspaceStack.ACCESS_HOST_ENDPOINTS) == {"ssm", "ssmmessages"}
    assert "ec2messages" not in created


def test_n2_session_manager_endpoints_absent_when_off(sandbox, synth):
    from conftest import with_changes

    off = with_changes(sandbox.config, **{"workspace.access_host.enabled": False})
    assert not set(ACCESS_HOST_ENDPOINTS) & set(interface_endpoints(off))
    kept = with_changes(off, **{"network.extra_interface_endpoints": ["ssm"]})
    assert set(interface_endpoints(kept)) & set(ACCESS_HOST_ENDPOINTS) == {"ssm"}

    assembly = synth(off, "access-host-off")
    services = [e["Properties"]["ServiceName"] for e in assembly.resources("Network", "AWS::EC2::VPCEndpoint").values()]
    assert not [s for s in services if isinstance(s, str) and s.split(".", 3)[-1] in ACCESS_HOST_ENDPOINTS]
    assert not assembly.resources(STACK, "AWS::EC2::Instance")
    assert not assembly.resources(STACK, "AWS::CloudWatch::Alarm")
    assert not {"AccessHostInstanceId", "StudioHost"} & set(assembly.template_json(STACK)["Outputs"])


def endpoint_id(assembly, name: str) -> str:
    (found,) = [
        k
        for k, v in assembly.resources("Network", "AWS::EC2::VPCEndpoint").items()
        if isinstance(v["Properties"]["ServiceName"], str) and v["Properties"]["ServiceName"].endswith(f".{name}")
    ]
    return found


def port_forwarding_policy(assembly) -> dict:
    (policy,) = [
        p["Properties"]
        for k, p in assembly.resources(STACK, "AWS::IAM::ManagedPolicy").items()
        if k.startswith("AccessHostPortForwarding")
    ]
    return policy


def test_data_scientists_may_start_the_host_and_forward_ports_only(profile):
    policy = port_forwarding_policy(profile)
    roles = {target(r) for r in policy["Roles"]}
    expected = {k for k in profile.resources(STACK, "AWS::IAM::Role") if k.startswith("DataScientists")}
    assert roles == expected and len(roles) == len(profile.config.workspace.data_scientists)
    sids = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(sids) == {
        "StartTheAccessHost",
        "VolumeKeyGrantForTheStart",
        "SeeTheAccessHostState",
        "PortForwardingSessionsOnTheHost",
        "EndOwnSessions",
    }
    host_id = only(profile, "AWS::EC2::Instance")[0]
    start_session = sids["PortForwardingSessionsOnTheHost"]
    assert start_session["Action"] == "ssm:StartSession"
    (document_arn,) = [r for r in start_session["Resource"] if isinstance(r, str)]
    (instance_arn,) = [r for r in start_session["Resource"] if isinstance(r, dict)]
    assert {"Ref": host_id} in instance_arn["Fn::Join"][1]
    assert document_arn == f"arn:aws:ssm:{profile.config.region}::document/{PORT_FORWARDING_DOCUMENT}"
    assert sids["StartTheAccessHost"]["Resource"] == instance_arn
    assert sids["VolumeKeyGrantForTheStart"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert imported(sids["VolumeKeyGrantForTheStart"]["Resource"], "DataKey")
    assert sids["EndOwnSessions"]["Condition"] == {
        "StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}
    }


def test_outputs_the_walk_through_needs(profile):
    outputs = profile.template_json(STACK)["Outputs"]
    assert target(outputs["AccessHostInstanceId"]["Value"]) == only(profile, "AWS::EC2::Instance")[0]
    api = profile.template_json("Network")["Outputs"]["SageMakerApiEndpointDns"]["Value"]
    assert api == {
        "Fn::Select": [
            1,
            {
                "Fn::Split": [
                    ":",
                    {"Fn::Select": [0, {"Fn::GetAtt": [endpoint_id(profile, "sagemaker.api"), "DnsEntries"]}]},
                ]
            },
        ]
    }
    if profile.config.workspace.studio.enabled:
        assert ".studio." in str(outputs["StudioHost"]["Value"])
    notebooks = profile.config.workspace.notebooks.enabled
    for person in profile.config.workspace.data_scientists:
        assert (f"NotebookHost{person.name.capitalize()}" in outputs) == notebooks


def walk_through() -> str:
    text = WORKSPACE_PAGE.read_text(encoding="utf-8")
    start = text.index("## A way in: the access host")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_access_host_walk_through_matches_the_templates(sandbox):
    section = walk_through()
    stacks = {"workspace": STACK, "network": "Network"}
    used = re.findall(r"\$\(out (\w+) (\w+)\)", section)
    assert {stack for stack, _ in used} == set(stacks)
    for stack, name in used:
        assert name in sandbox.template_json(stacks[stack])["Outputs"], (stack, name)
    assert sandbox.platform.network.stack_name.endswith("-network")
    assert sandbox.platform.workspace.stack_name.endswith("-workspace")
    sessions = re.findall(r"aws ssm start-session --target \"\$HOST\" --document-name (\S+)", section)
    assert sessions and set(sessions) == {PORT_FORWARDING_DOCUMENT}
    forwards = re.findall(r"portNumber=(\d+),localPortNumber=(\d+)", section)
    assert {int(remote) for remote, _ in forwards} == {REMOTE_PORT}
    api_port, browser_port = (local for _, local in forwards)
    assert f'--endpoint-url "https://$API:{api_port}"' in section
    assert f".sagemaker.aws:{browser_port}" in section
    # every call the data scientist makes in the walk-through is granted by the port-forwarding policy
    granted = {a for s in port_forwarding_policy(sandbox)["PolicyDocument"]["Statement"] for a in as_list(s["Action"])}
    for command, action in (
        ("aws ec2 start-instances", "ec2:StartInstances"),
        ("aws ec2 wait instance-running", "ec2:DescribeInstances"),
        ("aws ssm start-session", "ssm:StartSession"),
    ):
        assert command in section and action in granted
    for setting in ("vpc-endpoints", "internet-cidrs", "both"):
        assert f"`workspace.access.mode: {setting}`" in section
    assert "vpc_source_cidrs" in section


@pytest.mark.parametrize("field", ["enabled", "instance_type", "idle_stop_minutes"])
def test_workspace_page_documents_the_settings(field):
    assert f"`workspace.access_host.{field}`" in WORKSPACE_PAGE.read_text(encoding="utf-8")
