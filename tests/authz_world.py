"""The authorization harness's World (tests/authz.py): templates of one deployment with every intrinsic
resolved, and the principals, resource policies and requests they define."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from authz_requests import AuthzError, NamedPolicy, Principal, Request, ResourcePolicy, ServicePrincipal

from gates.resolve import ACCOUNT, Templates

# AWS managed policies the templates attach, as AWS publishes them (IAM console, policy version
# v1 of each). A role with any other AWS managed policy fails loudly until it is added here.
AWS_MANAGED_POLICIES: dict[str, dict] = {
    "service-role/AWSLambdaBasicExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    },
    "service-role/AWSLambdaVPCAccessExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "Resource": "*",
            }
        ],
    },
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                ],
                "Resource": "*",
            }
        ],
    },
}


# --- Resolving CloudFormation (gates/resolve.py, shared with the IAM gate) --------------------------


class World(Templates):
    """Templates of one deployment, with every intrinsic resolved (gates.resolve.Templates), and
    the principals, resource policies and requests they define."""

    Error = AuthzError

    def __init__(
        self,
        templates: Mapping[str, dict],
        *,
        aws_managed_policies: Mapping[str, dict] | None = None,
        **where: Any,
    ) -> None:
        """`where`: region, account, partition, artifact_ids (gates.resolve.Templates)."""
        super().__init__(templates, **where)
        self._aws_managed = {**AWS_MANAGED_POLICIES, **(aws_managed_policies or {})}

    @classmethod
    def from_assembly(cls, assembly: Any, *, account: str = ACCOUNT) -> World:
        """Every stack of a synthesized profile (tests/conftest.py's Assembly)."""
        manifest = json.loads((Path(assembly.outdir) / "manifest.json").read_text())
        templates, aliases = {}, {}
        for artifact_id, artifact in manifest["artifacts"].items():
            if artifact["type"] != "aws:cloudformation:stack":
                continue
            name = artifact["properties"].get("stackName", artifact_id)
            templates[name] = assembly.template_json(artifact_id)
            aliases[artifact_id] = name
        return cls(templates, region=assembly.config.region, account=account, artifact_ids=aliases)

    @classmethod
    def single(cls, template: dict, *, stack_name: str = "Stack", region: str = "us-east-1") -> World:
        return cls({stack_name: template}, region=region)

    # -- principals and resource policies --

    def principal(self, stack: str, role_id: str, *, session_name: str = "authz") -> Principal:
        """The role `role_id` with every identity policy attached to it in any stack of the world."""
        stack = self.stack(stack).name
        role = self.resource(stack, role_id)
        if role["Type"] != "AWS::IAM::Role":
            raise AuthzError(f"{role_id} is a {role['Type']}, not a role")
        properties = role.get("Properties", {})
        role_name = self.physical_name(stack, role_id)
        role_arn = self.arn(stack, role_id)
        policies: list[NamedPolicy] = []
        for index, inline in enumerate(properties.get("Policies", [])):
            name = self.resolve(stack, inline.get("PolicyName", f"inline-{index}"))
            policies.append(NamedPolicy(f"{role_name}/{name}", self.resolve(stack, inline["PolicyDocument"])))
        attached = {str(self.resolve(stack, arn)) for arn in properties.get("ManagedPolicyArns", [])}
        for other in self._stacks.values():
            for logical, resource in other.resources.items():
                if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                    continue
                roles = {_role_name(r) for r in self.resolve(other.name, resource["Properties"].get("Roles", []))}
                if role_name not in roles:
                    continue
                document = self.resolve(other.name, resource["Properties"]["PolicyDocument"])
                policies.append(NamedPolicy(f"{other.name}/{logical}", document))
                if resource["Type"] == "AWS::IAM::ManagedPolicy":
                    attached.discard(self.arn(other.name, logical))
        for arn in sorted(attached):
            policies.append(NamedPolicy(arn, self.managed_policy(arn)))
        boundaries = []
        if "PermissionsBoundary" in properties:
            arn = str(self.resolve(stack, properties["PermissionsBoundary"]))
            boundaries.append(NamedPolicy(arn, self.managed_policy(arn)))
        tags = {t["Key"]: str(self.resolve(stack, t["Value"])) for t in properties.get("Tags", [])}
        return Principal(
            role_arn=role_arn,
            identity_policies=tuple(policies),
            permission_boundaries=tuple(boundaries),
            tags=tags,
            session_name=session_name,
        )

    def managed_policy(self, arn: str) -> dict:
        """The document of a customer managed policy of the world, or of a known AWS managed one."""
        aws_prefix = f"arn:{self.partition}:iam::aws:policy/"
        if arn.startswith(aws_prefix):
            try:
                return copy.deepcopy(self._aws_managed[arn.removeprefix(aws_prefix)])
            except KeyError:
                raise AuthzError(f"AWS managed policy {arn} is not in AWS_MANAGED_POLICIES") from None
        for stack in self._stacks.values():
            for logical, resource in stack.resources.items():
                if resource["Type"] == "AWS::IAM::ManagedPolicy" and self.arn(stack.name, logical) == arn:
                    return self.resolve(stack.name, resource["Properties"]["PolicyDocument"])
        raise AuthzError(f"no managed policy {arn} in this world")

    def _find(self, kind: str, predicate) -> tuple[str, str, dict] | None:
        for stack in self._stacks.values():
            for logical, resource in stack.resources.items():
                if resource["Type"] == kind and predicate(stack.name, logical, resource):
                    return stack.name, logical, resource
        return None

    def bucket_policy(self, stack: str, bucket_id: str) -> ResourcePolicy:
        stack = self.stack(stack).name
        name = self.physical_name(stack, bucket_id)
        found = self._find(
            "AWS::S3::BucketPolicy",
            lambda s, _, r: self.resolve(s, r["Properties"]["Bucket"]) == name,
        )
        document = None if found is None else self.resolve(found[0], found[2]["Properties"]["PolicyDocument"])
        return ResourcePolicy(self.arn(stack, bucket_id), document, self.account, "bucket")

    def key_policy(self, stack: str, key_id: str) -> ResourcePolicy:
        stack = self.stack(stack).name
        properties = self.resource(stack, key_id).get("Properties", {})
        document = self.resolve(stack, properties.get("KeyPolicy")) if "KeyPolicy" in properties else None
        return ResourcePolicy(self.arn(stack, key_id), document, self.account, "key")

    def topic_policy(self, stack: str, topic_id: str) -> ResourcePolicy:
        stack = self.stack(stack).name
        arn = self.arn(stack, topic_id)
        document = None
        found = self._find(
            "AWS::SNS::TopicPolicy", lambda s, _, r: arn in self.resolve(s, r["Properties"]["Topics"])
        ) or self._find(
            "AWS::SNS::TopicInlinePolicy", lambda s, _, r: self.resolve(s, r["Properties"]["TopicArn"]) == arn
        )
        if found is not None:
            document = self.resolve(found[0], found[2]["Properties"]["PolicyDocument"])
        return ResourcePolicy(arn, document, self.account, "topic")

    def queue_policy(self, stack: str, queue_id: str) -> ResourcePolicy:
        stack = self.stack(stack).name
        url = self.ref(stack, queue_id)
        document = None
        found = self._find(
            "AWS::SQS::QueuePolicy", lambda s, _, r: url in self.resolve(s, r["Properties"]["Queues"])
        ) or self._find("AWS::SQS::QueueInlinePolicy", lambda s, _, r: self.resolve(s, r["Properties"]["Queue"]) == url)
        if found is not None:
            document = self.resolve(found[0], found[2]["Properties"]["PolicyDocument"])
        return ResourcePolicy(self.arn(stack, queue_id), document, self.account, "queue")

    def trust_policy(self, stack: str, role_id: str) -> ResourcePolicy:
        stack = self.stack(stack).name
        document = self.resolve(stack, self.resource(stack, role_id)["Properties"]["AssumeRolePolicyDocument"])
        return ResourcePolicy(self.arn(stack, role_id), document, self.account, "role")

    def resource_policy_for(self, action: str, resource: str) -> ResourcePolicy | None:
        """The policy of the world's resource that `resource` (an ARN) names, if it has one."""
        service = action.split(":", 1)[0].lower()
        parts = resource.split(":", 5)
        if len(parts) < 6 or "*" in resource:
            return None
        kinds = {
            "s3": "AWS::S3::Bucket",
            "kms": "AWS::KMS::Key",
            "sns": "AWS::SNS::Topic",
            "sqs": "AWS::SQS::Queue",
            "sts": "AWS::IAM::Role",
        }
        if service not in kinds or parts[2] != {"sts": "iam"}.get(service, service):
            return None
        if service == "s3":
            bucket = f"arn:{self.partition}:s3:::" + parts[5].split("/", 1)[0]
            found = self._find("AWS::S3::Bucket", lambda s, logical, _: self.arn(s, logical) == bucket)
            return None if found is None else self.bucket_policy(found[0], found[1])
        found = self._find(kinds[service], lambda s, logical, _: self.arn(s, logical) == resource)
        if found is None:
            return None
        return {
            "kms": self.key_policy,
            "sns": self.topic_policy,
            "sqs": self.queue_policy,
            "sts": self.trust_policy,
        }[service](found[0], found[1])

    def endpoint_context(self, stack: str, endpoint_id: str) -> dict[str, str]:
        """Context keys of a request through this VPC endpoint."""
        stack = self.stack(stack).name
        properties = self.resource(stack, endpoint_id)["Properties"]
        return {
            "aws:SourceVpce": self.ref(stack, endpoint_id),
            "aws:SourceVpc": self.resolve(stack, properties["VpcId"]),
        }

    def endpoint_policies(self, vpce_id: str) -> tuple[NamedPolicy, ...]:
        found = self._find("AWS::EC2::VPCEndpoint", lambda s, logical, _: self.ref(s, logical) == vpce_id)
        if found is None or "PolicyDocument" not in found[2]["Properties"]:
            return ()
        stack, logical, resource = found
        return (NamedPolicy(f"{stack}/{logical}", self.resolve(stack, resource["Properties"]["PolicyDocument"])),)

    def environment(self, stack: str, function_id: str) -> dict[str, str]:
        """A Lambda function's environment variables, resolved."""
        properties = self.resource(stack, function_id)["Properties"]
        return self.resolve(stack, properties.get("Environment", {}).get("Variables", {}))

    def role(self, arn: str) -> Principal:
        """The role of the world with this ARN."""
        found = self._find("AWS::IAM::Role", lambda s, logical, _: self.arn(s, logical) == arn)
        if found is None:
            raise AuthzError(f"no role {arn} in this world")
        return self.principal(found[0], found[1])

    def function_role(self, stack: str, function_id: str) -> Principal:
        """The role a Lambda function of the world runs as."""
        return self.role(self.resolve(stack, self.resource(stack, function_id)["Properties"]["Role"]))

    def request(
        self,
        principal: Principal | ServicePrincipal,
        action: str,
        resource: str,
        *,
        context: Mapping[str, Any] | None = None,
        derived_context: Mapping[str, Any] | None = None,
        resource_policy: ResourcePolicy | None = None,
        label: str = "",
    ) -> Request:
        """A Request whose resource policy, resource account and VPC endpoint policy come from the
        world: the policy of the named bucket, key, topic, queue or role, and the policy of the
        endpoint named by `aws:SourceVpce`."""
        policy = resource_policy or self.resource_policy_for(action, resource)
        vpce = {**(derived_context or {}), **(context or {})}.get("aws:SourceVpce")
        return Request(
            principal=principal,
            action=action,
            resource=resource,
            context=dict(context or {}),
            derived_context=dict(derived_context or {}),
            resource_policy=policy,
            resource_account=policy.account if policy else None,
            endpoint_policies=self.endpoint_policies(vpce) if vpce else (),
            region=self.region,
            label=label,
        )


def _role_name(value: Any) -> str:
    """A role name from a policy's Roles entry (name or ARN)."""
    text = str(value)
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text
