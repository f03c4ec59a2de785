"""An access host reached with Session Manager port forwarding: a way in that keeps the VPC closed (N13, N4).

Pattern N13 asks that notebook and Studio URLs be usable only from the VPC endpoint (or
configured networks); with no internet path (N1, N14 off) a browser outside the VPC would
otherwise have no route to the notebook, studio and sagemaker.api endpoints at all. This
host is that route without opening the VPC: Session Manager carries the traffic over the
ssm and ssmmessages interface endpoints, started by an IAM-authorized
`ssm:StartSession` from the laptop, so the host needs no inbound rule, no public address
and no SSH key (N4: no ingress from anywhere).
"""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ml_constructs.acknowledgments import (
    AWS_SOLUTIONS,
    COMPLIANCE_PACKS,
    CONTROL_TOWER,
    acknowledge,
    acknowledge_imported_reference,
    is_imported,
)
from ml_constructs.iam import ManagedPolicyRole, Statements, this_region_arn

# Interface endpoints the host's SSM agent needs when the VPC has no internet path
# (Systems Manager User Guide, "Use VPC endpoints to improve the security of EC2 instances").
# No ec2messages: that guide's endpoint list says that beginning with SSM Agent 3.3.40.0 the agent
# uses the ssmmessages endpoint instead of ec2messages when it is available, and the reference
# "ec2messages, ssmmessages, and other API operations" says the agent then takes its Command
# documents through ssmmessages (Amazon Message Gateway Service) too; the host runs the current
# Amazon Linux 2023 AMI, whose agent is far newer. Field report of the same:
# https://dev.classmethod.jp/articles/vpcendpoint-ec2messages-not-required (2024-09-06).
# A host with an older agent needs `network.extra_interface_endpoints: [ec2messages]`.
ACCESS_HOST_ENDPOINTS = {
    "ssm": "Systems Manager agent registration of the access host",
    "ssmmessages": "Session Manager channels (port forwarding) and agent messages of the access host",
}
# The AWS-owned Session Manager document that forwards a local port to a host the instance can reach.
PORT_FORWARDING_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost"
REMOTE_PORT = 443
# Below this much inbound traffic (bytes per 5 minutes) the host counts as idle. Chosen, not
# measured: the SSM agent's own polling is expected to stay well under it and a browser
# session through the host (pages, kernel traffic) above it; tune after a first deployment.
IDLE_BYTES_PER_PERIOD = 1024 * 1024
IDLE_PERIOD = cdk.Duration.minutes(5)
ROOT_VOLUME_GB = 8  # the size of the Amazon Linux 2023 AMI's root snapshot
HTTPS = ec2.Port.tcp(REMOTE_PORT)

# What Session Manager port forwarding needs of the instance role: the agent registers
# (ssm:UpdateInstanceInformation) and opens its channels (ssmmessages; ec2messages only for an
# agent older than 3.3.40.0, or one that cannot reach ssmmessages); a
# subset of the AWS managed policy AmazonSSMManagedInstanceCore, without its Run Command,
# inventory, patching and Parameter Store actions.
AGENT_MESSAGE_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
)


class AccessHost(Construct):
    """A Graviton instance in a private subnet that relays HTTPS to the VPC endpoints.

    - Amazon Linux 2023 (arm64) from AWS's public SSM parameter, resolved by CloudFormation
      at each deployment (no context lookup: synthesis stays offline), SSM agent preinstalled;
    - its own security group with no inbound rule and egress only to the interface
      endpoints' security group on 443 (N4);
    - IMDSv2 required (launch template, hop limit 1), no public address, root volume
      encrypted with `volume_key` (N11). A plain instance, not an Auto Scaling group: EC2
      creates the volume's KMS grant with the launching or starting principal's permissions
      (`kms:CreateGrant` for AWS resources, which the key policy delegates to IAM), so the
      key needs no statement for the Auto Scaling service-linked role;
    - an instance role with only the agent's registration and message-channel actions;
    - stopped by a CloudWatch alarm (EC2 stop action) after `idle_stop_minutes` with less
      than IDLE_BYTES_PER_PERIOD of inbound traffic per 5 minutes, detailed monitoring on.

    `allow_port_forwarding(roles)` lets principals start the host (with the volume key's grant
    for AWS resources that a start needs) and open port-forwarding sessions on it with
    AWS-StartPortForwardingSessionToRemoteHost, and nothing else.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        endpoint_security_group: ec2.ISecurityGroup,
        volume_key: kms.IKey,
        instance_type: str = "t4g.nano",
        idle_stop_minutes: int = 60,
    ) -> None:
        super().__init__(scope, construct_id)
        self.volume_key = volume_key
        if idle_stop_minutes % 5 or idle_stop_minutes < 10:
            raise ValueError(f"idle_stop_minutes must be a multiple of 5, at least 10: {idle_stop_minutes}")
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Access host: no inbound rule; HTTPS to the interface endpoints only",
            allow_all_outbound=False,
        )
        # Named by id so the rule is written inline (SecurityGroupEgress): a group whose only egress
        # rules are separate AWS::EC2::SecurityGroupEgress resources keeps EC2's default allow-all rule.
        self.security_group.add_egress_rule(
            ec2.Peer.security_group_id(endpoint_security_group.security_group_id),
            HTTPS,
            "HTTPS to the interface endpoints only",
        )

        self.role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Access host: Systems Manager agent for Session Manager port forwarding only",
            policy_description="Register the SSM agent and open its Session Manager channels",
        )
        grants = Statements(self.role.add_to_principal_policy)
        grants.allow(
            "RegisterTheAgent",
            ("ssm:UpdateInstanceInformation",),
            [this_region_arn(self, "ec2", "instance/*")],
            wildcard_reason="The role belongs to the instance it is attached to, whose id exists only after the "
            "instance profile does; the statement is limited to EC2 instances of this account and region and to "
            "the one action the SSM agent registers with.",
        )
        grants.allow(
            "SessionManagerChannels",
            AGENT_MESSAGE_ACTIONS,
            ["*"],
            wildcard_reason="The ssmmessages and ec2messages actions have no resource types (Service "
            "Authorization Reference); they only open the agent's own message and session channels.",
        )
        grants.acknowledge(self.role.grants_policy.node.default_child)

        self.instance = ec2.Instance(
            self,
            "Instance",
            vpc=vpc,
            vpc_subnets=subnets,
            instance_type=ec2.InstanceType(instance_type),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=ec2.AmazonLinuxCpuType.ARM_64),
            security_group=self.security_group,
            role=self.role,
            detailed_monitoring=True,
            associate_public_ip_address=False,
            propagate_tags_to_volume_on_creation=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        ROOT_VOLUME_GB,
                        encrypted=True,
                        kms_key=volume_key,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )
        # The role's permissions must exist before the agent first registers.
        self.instance.node.add_dependency(self.role.grants_policy)
        # IMDSv2 is a launch-template setting (AWS::EC2::Instance has no metadata options); the
        # template also carries detailed monitoring (CT.EC2.PR.10). Written here rather than with
        # Instance(require_imdsv2=True), whose aspect adds a template without monitoring.
        launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            require_imdsv2=True,
            http_put_response_hop_limit=1,
            detailed_monitoring=True,
        )
        instance: ec2.CfnInstance = self.instance.node.default_child
        instance.launch_template = ec2.CfnInstance.LaunchTemplateSpecificationProperty(
            launch_template_id=launch_template.launch_template_id,
            version=launch_template.latest_version_number,
        )
        self._acknowledge(instance, vpc)

        self.idle_alarm = cloudwatch.Alarm(
            self,
            "IdleStop",
            alarm_description=(
                f"Stops the access host after {idle_stop_minutes} minutes with less than "
                f"{IDLE_BYTES_PER_PERIOD} bytes of inbound traffic per 5 minutes"
            ),
            metric=cloudwatch.Metric(
                namespace="AWS/EC2",
                metric_name="NetworkIn",
                dimensions_map={"InstanceId": self.instance.instance_id},
                statistic="Sum",
                period=IDLE_PERIOD,
            ),
            threshold=IDLE_BYTES_PER_PERIOD,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=idle_stop_minutes // 5,
            # A stopped host sends no metrics: the alarm returns to OK, so the next idle spell
            # after a start moves it to ALARM again and stops the host again.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.idle_alarm.add_alarm_action(cloudwatch_actions.Ec2Action(cloudwatch_actions.Ec2InstanceAction.STOP))

    def _acknowledge(self, instance: cdk.CfnResource, vpc: ec2.IVpc) -> None:
        if is_imported(instance, vpc):
            for pack in COMPLIANCE_PACKS:
                acknowledge_imported_reference(
                    instance, f"{pack}EC2InstancesInVPC", "SubnetId (a private subnet of the VPC)", vpc
                )
        acknowledge(
            instance,
            f"{CONTROL_TOWER}ec2_instance_nitro_encryption_in_transit_check",
            "Everything the host carries is already TLS end to end: it relays the browser's and the AWS CLI's "
            "HTTPS bytes to the VPC endpoints without terminating them, and the SSM agent talks to Session "
            "Manager over TLS. It talks to no other instance, so Nitro instance-to-instance encryption adds "
            "nothing, and the types that offer it cost ten times a t4g.nano.",
        )
        stateless = (
            "The access host holds no data: it only relays HTTPS from Session Manager to the VPC endpoints, "
            "its root volume carries the operating system alone, and CloudFormation recreates it from the "
            "latest Amazon Linux 2023 image; termination protection would only block the stack's teardown."
        )
        acknowledge(instance, f"{AWS_SOLUTIONS}EC29", stateless)

    def allow_port_forwarding(self, roles: Iterable[iam.IRole]) -> iam.ManagedPolicy:
        """Let `roles` start the host and forward local ports through it, and nothing more."""
        stack = cdk.Stack.of(self)
        instance_arn = this_region_arn(self, "ec2", f"instance/{self.instance.instance_id}")
        policy = iam.ManagedPolicy(
            self,
            "PortForwarding",
            description="Start the access host and forward ports through it with Session Manager",
            roles=list(roles),
        )
        grants = Statements(policy.add_statements)
        grants.allow("StartTheAccessHost", ("ec2:StartInstances",), [instance_arn])
        # Starting an instance whose volume is encrypted with a customer-managed key makes EC2
        # create a grant on the caller's behalf; without it the instance stops again at once
        # (EBS User Guide, "Permissions for users"). kms:GrantIsForAWSResource keeps the caller
        # from creating grants for anything but AWS resources.
        grants.allow(
            "VolumeKeyGrantForTheStart",
            ("kms:CreateGrant",),
            [self.volume_key.key_arn],
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
        grants.allow(
            "SeeTheAccessHostState",
            ("ec2:DescribeInstances",),
            ["*"],
            wildcard_reason="ec2:DescribeInstances has no resource-level permissions (Service Authorization "
            "Reference); it is read-only and lets `aws ec2 wait instance-running` see the host start.",
        )
        grants.allow(
            "PortForwardingSessionsOnTheHost",
            ("ssm:StartSession",),
            [
                instance_arn,
                f"arn:{stack.partition}:ssm:{stack.region}::document/{PORT_FORWARDING_DOCUMENT}",
            ],
        )
        grants.allow(
            "EndOwnSessions",
            ("ssm:TerminateSession", "ssm:ResumeSession"),
            [this_region_arn(self, "ssm", "session/*")],
            {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}},
            wildcard_reason="Session ids are generated by Session Manager; the condition limits the statement to "
            "sessions the caller started (Systems Manager User Guide, Session Manager example policies).",
        )
        grants.acknowledge(policy.node.default_child)
        return policy
