"""Offline authorization simulation for the tests: may this principal make this request?

An IAM policy simulator (npm `@cloud-copilot/iam-simulate`, AGPL-3.0, a test-only devDependency
that nothing the project ships imports) evaluates a role's identity policies and permission
boundary together with the resource's policy (bucket, key, topic, queue, role trust policy), the
VPC endpoint's policy when the request names one, and the request's context keys, the way IAM's
policy evaluation logic does. Tests state requests as data and get a decision with its reason:

    world = World.from_assembly(sandbox)
    role = world.principal("Pipelines", world.logical_id("Pipelines", "AWS::IAM::Role", "ExecutionRole"))
    datasets = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket"))
    s3_endpoint = world.logical_id("Network", "AWS::EC2::VPCEndpoint", "NetworkVpcS3")
    through_vpce = world.endpoint_context("Network", s3_endpoint)
    decisions = evaluate([
        world.request(role, "s3:GetObject", f"{datasets}/train/part-0.csv", context=through_vpce),
        world.request(role, "s3:GetObject", f"{datasets}/train/part-0.csv"),
    ])
    assert decisions[0].allowed and decisions[1].denied, decisions[1].reason

CloudFormation intrinsics resolve to one consistent set of concrete values: account
111122223333, the profile's region, physical names derived from logical ids unless the resource
names itself, and `Fn::ImportValue` through the exporting stack's outputs, so policies of several
templates and the ARNs a test writes agree. `record_stubbed_calls` and `requests_for_call` turn
the calls a handler's Stubber tests make into IAM requests (actions and resource ARNs from the
Service Authorization data the simulator itself uses, or from HAND_MAPPED for the few operations
whose parameters name no resource of that data), so each stubbed call can be checked against the
role the handler runs as.

One Node process evaluates a whole batch (`evaluate`); a module-scoped fixture per test module
keeps the cost to one process start (~0.2 s) however many requests a module states.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from gates.iam import AuthorizationData
from gates.resolve import ACCOUNT, Templates, digest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "authz" / "simulate.mjs"


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


class AuthzError(AssertionError):
    """The harness cannot state or evaluate a request faithfully (never a policy decision)."""


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


# --- Requests and decisions -----------------------------------------------------------------------


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    document: dict


@dataclass(frozen=True)
class Principal:
    """An IAM role session: the role's identity policies, boundary and tags."""

    role_arn: str
    identity_policies: tuple[NamedPolicy, ...] = ()
    permission_boundaries: tuple[NamedPolicy, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    session_name: str = "authz"

    @classmethod
    def from_template(
        cls, template: dict, role_id: str, *, stack_name: str = "Stack", region: str = "us-east-1"
    ) -> Principal:
        return World.single(template, stack_name=stack_name, region=region).principal(stack_name, role_id)

    @classmethod
    def role(cls, arn: str, *policies: dict, boundary: dict | None = None, tags: Mapping[str, str] | None = None):
        """A hand-written role: its ARN and identity policy documents."""
        return cls(
            role_arn=arn,
            identity_policies=tuple(NamedPolicy(f"policy-{i}", p) for i, p in enumerate(policies)),
            permission_boundaries=(NamedPolicy("boundary", boundary),) if boundary else (),
            tags=dict(tags or {}),
        )

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    @property
    def name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def session_arn(self) -> str:
        partition = self.role_arn.split(":")[1]
        return f"arn:{partition}:sts::{self.account}:assumed-role/{self.name}/{self.session_name}"

    def context(self) -> dict[str, Any]:
        """What IAM puts in the request context of every call of a role session."""
        role_id = "AROA" + digest(self.role_arn, length=17).upper()
        return {
            "aws:PrincipalArn": self.role_arn,
            "aws:PrincipalAccount": self.account,
            "aws:PrincipalType": "AssumedRole",
            "aws:userid": f"{role_id}:{self.session_name}",
            "aws:PrincipalIsAWSService": "false",
            **{f"aws:PrincipalTag/{k}": v for k, v in self.tags.items()},
        }


@dataclass(frozen=True)
class ServicePrincipal:
    """An AWS service acting with its own service principal (cloudwatch.amazonaws.com publishing
    an alarm, ...): no identity policy or boundary applies, the resource policy alone decides.
    The service's request context (aws:SourceAccount, aws:SourceArn) is stated by the request."""

    service: str
    identity_policies: tuple[NamedPolicy, ...] = ()
    permission_boundaries: tuple[NamedPolicy, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return ""  # a service principal belongs to no account of the request

    @property
    def name(self) -> str:
        return self.service

    @property
    def session_arn(self) -> str:
        return self.service  # the simulator takes the service principal's name as the principal

    def context(self) -> dict[str, Any]:
        return {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": self.service}


@dataclass(frozen=True)
class ResourcePolicy:
    """The policy a resource carries (None when it has none) and the account that owns it."""

    arn: str
    document: dict | None
    account: str
    kind: str = ""

    @classmethod
    def bucket(cls, source: World | dict, bucket_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.bucket_policy(stack, bucket_id)

    @classmethod
    def key(cls, source: World | dict, key_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.key_policy(stack, key_id)

    @classmethod
    def topic(cls, source: World | dict, topic_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.topic_policy(stack, topic_id)

    @classmethod
    def queue(cls, source: World | dict, queue_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.queue_policy(stack, queue_id)


def _world_and_stack(source: World | dict, stack: str | None) -> tuple[World, str]:
    if isinstance(source, World):
        if stack is None:
            raise AuthzError("name the stack of the resource")
        return source, stack
    return World.single(source), "Stack"


def _any_principal_as_star(document: dict) -> dict:
    """An endpoint policy with `{"AWS": "*"}` written `"*"`: IAM treats the two alike, the
    simulator accepts only the second in endpoint policies."""
    document = copy.deepcopy(document)
    for statement in document.get("Statement", []):
        if statement.get("Principal") == {"AWS": "*"}:
            statement["Principal"] = "*"
    return document


def _context_value(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return [str(_context_value(v)) for v in value]
    return str(value)


@dataclass(frozen=True)
class Request:
    """One API request as IAM authorizes it.

    `context` holds keys the test states about the request: the harness fails when the
    simulator would ignore one (a key the action never carries makes a test that cannot fail).
    `derived_context` holds keys derived from an API call's parameters, some of which AWS sends
    only for some actions. A key set to None is left out of the request (to test its absence).
    """

    principal: Principal | ServicePrincipal
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    derived_context: Mapping[str, Any] = field(default_factory=dict)
    resource_policy: ResourcePolicy | None = None
    resource_account: str | None = None
    endpoint_policies: tuple[NamedPolicy, ...] = ()
    region: str | None = None
    label: str = ""

    @property
    def account(self) -> str:
        """The account that owns the resource: from its ARN, else as stated, else its policy's, else the
        caller's (S3 ARNs name no account)."""
        parts = self.resource.split(":")
        if len(parts) > 4 and re.fullmatch(r"\d{12}", parts[4]):
            return parts[4]
        if self.resource_account:
            return self.resource_account
        return self.resource_policy.account if self.resource_policy else self.principal.account

    def full_context(self) -> dict[str, str | list[str]]:
        arn = self.resource.split(":")
        region = arn[3] if len(arn) > 3 and arn[3] and arn[3] != "*" else self.region
        defaults: dict[str, Any] = {
            **self.principal.context(),
            "aws:SecureTransport": "true",
            "aws:ViaAWSService": "false",
            "aws:ResourceAccount": self.account,
            "aws:CurrentTime": "2026-12-01T12:00:00Z",
            "aws:EpochTime": "1796126400",
        }
        if region:
            defaults["aws:RequestedRegion"] = region
        if self.action.lower().startswith("s3:"):
            defaults["s3:TlsVersion"] = "1.3"
            defaults["s3:authType"] = "REST-HEADER"
            defaults["s3:signatureversion"] = "AWS4-HMAC-SHA256"
        merged = {**defaults, **self.derived_context, **self.context}
        return {k: _context_value(v) for k, v in merged.items() if v is not None}

    def simulation(self) -> dict:
        simulation: dict[str, Any] = {
            "request": {
                "principal": self.principal.session_arn,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": self.account},
                "contextVariables": self.full_context(),
            },
            "identityPolicies": [{"name": p.name, "policy": p.document} for p in self.principal.identity_policies],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if self.resource_policy is not None and self.resource_policy.document is not None:
            simulation["resourcePolicy"] = self.resource_policy.document
        if self.principal.permission_boundaries:
            simulation["permissionBoundaryPolicies"] = [
                {"name": p.name, "policy": p.document} for p in self.principal.permission_boundaries
            ]
        if self.endpoint_policies:
            simulation["vpcEndpointPolicies"] = [
                {"name": p.name, "policy": _any_principal_as_star(p.document)} for p in self.endpoint_policies
            ]
        return simulation

    def describe(self) -> str:
        stated = {k: v for k, v in {**self.derived_context, **self.context}.items()}
        label = f"[{self.label}] " if self.label else ""
        return f"{label}{self.principal.name} {self.action} {self.resource} {json.dumps(stated, default=str)}"

    def decide(self) -> Decision:
        return evaluate([self])[0]


@dataclass(frozen=True)
class Decision:
    request: Request
    result: str  # Allowed | ExplicitlyDenied | ImplicitlyDenied
    denials: list[dict]
    grants: list[dict]
    ignored_context_keys: list[str]
    explain: dict

    @property
    def allowed(self) -> bool:
        return self.result == "Allowed"

    @property
    def denied(self) -> bool:
        return self.result in ("ExplicitlyDenied", "ImplicitlyDenied")

    @property
    def explicitly_denied(self) -> bool:
        return self.result == "ExplicitlyDenied"

    def denying_statements(self) -> list[str]:
        """`<policy type>:<Sid or statement index>` of each explicit deny, `<policy type>:implicit`
        for each policy type that grants nothing here (types: identity, resource, pb, vpce, scp, rcp)."""
        return [
            f"{d['policyType']}:{d.get('statementId') or d.get('statementIndex')}"
            if d["denialType"] == "Explicit"
            else f"{d['policyType']}:implicit"
            for d in self.denials
        ]

    def granting_statements(self) -> list[str]:
        """`<policy type>:<Sid or statement index>` of each statement that allowed the request."""
        return [f"{g['policyType']}:{g.get('statementId') or g.get('statementIndex')}" for g in self.grants]

    @property
    def reason(self) -> str:
        lines = [f"{self.result}: {self.request.describe()}"]
        for denial in self.denials:
            where = denial.get("statementId") or denial.get("statementIndex") or denial.get("identifier") or ""
            policy = denial.get("policyIdentifier", "")
            lines.append(f"  {denial['denialType']} deny by {denial['policyType']} {policy} {where}".rstrip())
        for grant in self.grants:
            lines.append(
                f"  allowed by {grant['policyType']} {grant.get('policyIdentifier', '')} "
                f"{grant.get('statementId') or grant.get('statementIndex')}"
            )
        if self.ignored_context_keys:
            lines.append(f"  context keys this action does not carry (ignored): {self.ignored_context_keys}")
        for kind in ("identity", "resource", "permissionBoundary", "endpoint"):
            part = self.explain.get(kind)
            if not part or self.allowed:
                continue
            lines.append(f"  {kind}: {part['result']}")
            for label in ("deny", "unmatched"):
                for statement in part.get(label, []):
                    lines.append(f"    {label} {json.dumps(statement)}")
        return "\n".join(lines)


@cache
def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise AuthzError("node is not on PATH (the simulator runs on the pinned Node)")
    if not (ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise AuthzError("node_modules lacks @cloud-copilot/iam-simulate: run `npm ci`")
    return node


def evaluate(requests: Sequence[Request], *, timeout: float = 120) -> list[Decision]:
    """Decisions for all `requests`, from one Node process."""
    if not requests:
        return []
    payload = {"requests": [{"id": str(i), "simulation": r.simulation()} for i, r in enumerate(requests)]}
    completed = subprocess.run(
        [_node(), str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise AuthzError(f"the simulator failed ({completed.returncode}): {completed.stderr[-3000:]}")
    decisions = []
    for request, result in zip(requests, json.loads(completed.stdout)["results"], strict=True):
        if result["result"] == "Error":
            raise AuthzError(f"the simulator refused {request.describe()}: {json.dumps(result['errors'])[:3000]}")
        ignored = result.get("ignoredContextKeys", [])
        stated = [key for key in ignored if key in request.context]
        if stated:
            raise AuthzError(
                f"{request.describe()} states context keys {stated} that {request.action} never carries "
                "(the simulator ignores them, so the test could not fail on them)"
            )
        decisions.append(
            Decision(
                request=request,
                result=result["result"],
                denials=result.get("denials", []),
                grants=result.get("grants", []),
                ignored_context_keys=ignored,
                explain=result.get("explain", {}),
            )
        )
    return decisions


# --- Requests from botocore Stubber tests ---------------------------------------------------------


@dataclass(frozen=True)
class ApiCall:
    """One call a client made under botocore's Stubber."""

    service: str  # botocore's service name, e.g. "sagemaker"
    signing_name: str  # the IAM service prefix, e.g. "sagemaker" also for "sagemaker-runtime"
    operation: str  # e.g. "CreateModel"
    params: dict
    region: str
    test: str = ""

    def rebased(self, old_account: str, new_account: str) -> ApiCall:
        """The call with every mention of the tests' account replaced by the world's."""
        params = json.loads(json.dumps(self.params, default=str).replace(old_account, new_account))
        return ApiCall(self.service, self.signing_name, self.operation, params, self.region, self.test)


RECORD_ENV = "AUTHZ_RECORD_CALLS"


def _install_recorder(path: Path, current_test: list[str]) -> None:
    """Patch botocore's Stubber so that every call of a stubbed client is appended to `path`."""
    from botocore.stub import Stubber

    activate = Stubber.activate

    def recording_activate(self) -> None:
        client = self.client

        def record(params, model, **_):
            call = {
                "service": client.meta.service_model.service_name,
                "signing_name": client.meta.service_model.signing_name,
                "operation": model.name,
                "params": params,
                "region": client.meta.region_name,
                "test": current_test[0],
            }
            with path.open("a") as out:
                out.write(json.dumps(call, default=str) + "\n")

        client.meta.events.register("provide-client-params", record, unique_id=f"authz-record-{id(client)}")
        activate(self)

    Stubber.activate = recording_activate


_CURRENT_TEST = [""]


def pytest_configure(config) -> None:  # a pytest hook, active only in `pytest -p authz`
    path = os.environ.get(RECORD_ENV)
    if path:
        _install_recorder(Path(path), _CURRENT_TEST)


def pytest_runtest_setup(item) -> None:
    _CURRENT_TEST[0] = item.nodeid


def record_stubbed_calls(*test_paths: str, tmp_path: Path) -> list[ApiCall]:
    """Run the given test modules in a child pytest and return every call their stubbed clients
    made. The tests must pass: calls of a failing test prove nothing about the handler."""
    path = tmp_path / "calls.jsonl"
    path.unlink(missing_ok=True)
    env = {
        **os.environ,
        RECORD_ENV: str(path),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "authz", *test_paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise AuthzError(f"recording {test_paths} failed:\n{completed.stdout[-3000:]}{completed.stderr[-2000:]}")
    if not path.exists():
        raise AuthzError(f"{test_paths} made no stubbed call")
    return [ApiCall(**json.loads(line)) for line in path.read_text().splitlines()]


@cache
def _authorization_data() -> AuthorizationData:
    """The Service Authorization data the IAM gate reads (and the simulator evaluates with)."""
    return AuthorizationData()


def _iam_actions(service: str) -> dict:
    actions = _authorization_data().actions(service)
    if actions is None:
        raise AuthzError(f"no IAM actions data for service prefix {service!r}")
    return actions


def _arn_for(
    resource_type: dict, params: dict, *, partition: str, region: str, account: str, lower: bool
) -> str | None:
    """An ARN of `resource_type` for the call's parameters, or None when they do not name one."""
    template = resource_type["arn"]
    variables = re.findall(r"\$\{(\w+)\}", template)
    fixed = {"Partition": partition, "Region": region, "Account": account}
    named = [v for v in variables if v not in fixed]
    if len(named) == 1 and isinstance(params.get(named[0]), str) and params[named[0]].startswith("arn:"):
        # The parameter is itself the resource's ARN (ModelPackageName, RoleArn, ...).
        value = params[named[0]]
        pattern = re.escape(template)
        for variable in variables:
            pattern = pattern.replace(re.escape("${" + variable + "}"), ".+")
        return value if re.fullmatch(pattern, value) else None
    values = dict(fixed)
    for variable in named:
        value = params.get(variable)
        if not isinstance(value, str):
            return None
        values[variable] = value.lower() if lower else value
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)


def _tag_context(tags: Any) -> dict[str, Any]:
    if not tags:
        return {}
    pairs = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags)
    pairs = list(pairs)
    return {**{f"aws:RequestTag/{k}": v for k, v in pairs}, "aws:TagKeys": [k for k, _ in pairs]}


def _sagemaker_context(operation: str, params: dict, region: str, account: str) -> dict[str, Any]:
    """SageMaker's condition keys as the Service Authorization Reference defines them."""
    context: dict[str, Any] = {}
    if "EnableNetworkIsolation" in params:
        context["sagemaker:NetworkIsolation"] = params["EnableNetworkIsolation"]
    vpc = params.get("VpcConfig")
    if vpc:
        context["sagemaker:VpcSubnets"] = vpc.get("Subnets", [])
        context["sagemaker:VpcSecurityGroupIds"] = vpc.get("SecurityGroupIds", [])
    if operation == "CreateEndpointConfig":
        variants = [*params.get("ProductionVariants", []), *params.get("ShadowProductionVariants", [])]
        types = sorted({v["InstanceType"] for v in variants if "InstanceType" in v})
        if types:
            context["sagemaker:InstanceTypes"] = types
        models = sorted({v["ModelName"] for v in variants if "ModelName" in v})
        if models:
            context["sagemaker:ModelArn"] = [f"arn:aws:sagemaker:{region}:{account}:model/{m.lower()}" for m in models]
        if params.get("KmsKeyId"):
            # The deprecated key and its replacement: AWS documents both names for volume keys.
            context["sagemaker:VolumeKmsKey"] = params["KmsKeyId"]
            context["sagemaker:VolumeKmsKeyArn"] = params["KmsKeyId"]
    if operation.startswith("Create"):
        context.update(_tag_context(params.get("Tags")))
    return context


# --- Calls mapped by hand ---
#
# Application Auto Scaling names a scalable target in its ARN by an id it generates at
# registration (`scalable-target/<id>`, not the call's ResourceId), so no parameter names the
# ScalableTarget resource the Service Authorization Reference requires. The request states it
# with GENERATED for the id: only a grant on every id (narrowed by the service's condition keys)
# can authorize it, which is the only grant that can be written before the id exists.
#
# The service also authorizes the caller for what it will do on the caller's behalf:
# - RegisterScalableTarget creates the service-linked role of the target service when the account
#   has none yet, with the caller's iam:CreateServiceLinkedRole ("Service-linked roles for
#   Application Auto Scaling", Application Auto Scaling User Guide);
# - it validates that the caller may use the target resource and CloudWatch before it accepts a
#   call ("Permissions validation for API calls on target resources", same guide): for a SageMaker
#   variant sagemaker:DescribeEndpoint, DescribeEndpointConfig and
#   UpdateEndpointWeightsAndCapacities ("Auto scaling prerequisites", SageMaker Developer Guide),
#   for a target tracking policy the CloudWatch alarm actions on the alarms it creates, named
#   `TargetTracking-<ResourceId>-AlarmHigh-<id>` and `...-AlarmLow-<id>` ("Permissions required for
#   API actions on target services and CloudWatch", Application Auto Scaling User Guide).
# Only SageMaker variants are mapped: any other target fails loudly until it is added here.
GENERATED = "generated-id"
SAGEMAKER_VARIANT = ("sagemaker", "sagemaker:variant:DesiredInstanceCount")
SCALING_SERVICE_LINKED_ROLE = (
    "sagemaker.application-autoscaling.amazonaws.com",
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
)
TARGET_TRACKING_ALARM_ACTIONS = ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms")


def _scalable_target_requests(
    world: World, principal: Principal, call: ApiCall, label: str, context: Mapping[str, Any]
) -> list[Request]:
    """The requests of an Application Auto Scaling call on a SageMaker variant (see above)."""
    params = call.params
    namespace, dimension = params.get("ServiceNamespace"), params.get("ScalableDimension")
    variant = re.fullmatch(r"endpoint/([^/]+)/variant/([^/]+)", str(params.get("ResourceId", "")))
    if (namespace, dimension) != SAGEMAKER_VARIANT or variant is None:
        raise AuthzError(f"{label}: only SageMaker variant scalable targets are mapped, not {params}")
    account, region, partition = world.account, call.region, world.partition

    def request(action: str, resource: str, derived: Mapping[str, Any] | None = None) -> Request:
        # Requests the service makes to check the caller, not through the caller's network path.
        return world.request(principal, action, resource, derived_context=derived, label=f"{label} (checked)")

    keys: dict[str, Any] = {
        "application-autoscaling:service-namespace": namespace,
        "application-autoscaling:scalable-dimension": dimension,
    }
    if call.operation == "RegisterScalableTarget":
        keys.update(_tag_context(params.get("Tags")))
    target = f"arn:{partition}:application-autoscaling:{region}:{account}:scalable-target/{GENERATED}"
    requests = [
        world.request(
            principal,
            f"application-autoscaling:{call.operation}",
            target,
            context=context,
            derived_context=keys,
            label=label,
        )
    ]
    endpoint_name = variant[1]
    if call.operation == "RegisterScalableTarget":
        service, role = SCALING_SERVICE_LINKED_ROLE
        requests.append(
            request(
                "iam:CreateServiceLinkedRole",
                f"arn:{partition}:iam::{account}:role/{role}",
                {"iam:AWSServiceName": service},
            )
        )
        endpoint = f"arn:{partition}:sagemaker:{region}:{account}:endpoint/{endpoint_name.lower()}"
        requests.append(request("sagemaker:DescribeEndpoint", endpoint))
        requests.append(request("sagemaker:UpdateEndpointWeightsAndCapacities", endpoint))
        found = world._find(
            "AWS::SageMaker::Endpoint",
            lambda s, _, r: world.resolve(s, r["Properties"].get("EndpointName")) == endpoint_name,
        )
        if found is None:
            raise AuthzError(f"{label}: no endpoint {endpoint_name} in this world, so no configuration to describe")
        config = str(world.resolve(found[0], found[2]["Properties"]["EndpointConfigName"])).lower()
        requests.append(
            request(
                "sagemaker:DescribeEndpointConfig",
                f"arn:{partition}:sagemaker:{region}:{account}:endpoint-config/{config}",
            )
        )
    if call.operation == "PutScalingPolicy" and params.get("PolicyType") == "TargetTrackingScaling":
        for alarm in ("AlarmHigh", "AlarmLow"):
            name = f"TargetTracking-{params['ResourceId']}-{alarm}-{GENERATED}"
            for action in TARGET_TRACKING_ALARM_ACTIONS:
                requests.append(request(action, f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"))
    return requests


HAND_MAPPED = {
    ("application-autoscaling", operation): _scalable_target_requests
    for operation in ("RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy", "DeleteScalingPolicy")
}


def requests_for_call(
    world: World, principal: Principal, call: ApiCall, *, context: Mapping[str, Any] | None = None
) -> list[Request]:
    """The IAM requests one API call makes: its action on each resource type the Service
    Authorization Reference requires, plus what its parameters imply (iam:PassRole for a role
    handed to the service, sagemaker:AddTags for tags on a Create call). `context` holds keys
    of the call's own requests (the VPC endpoint the client reaches the service through);
    HAND_MAPPED operations are stated by their own functions."""
    if call.region != world.region:
        raise AuthzError(f"{call.operation} ran in {call.region}, the world is in {world.region}")
    prefix = call.signing_name
    label = f"{call.test} {call.service}.{call.operation}"
    if (prefix, call.operation) in HAND_MAPPED:
        return HAND_MAPPED[prefix, call.operation](world, principal, call, label, context or {})
    actions = _iam_actions(prefix)
    details = actions.get(call.operation.lower())
    if details is None:
        raise AuthzError(f"{prefix}:{call.operation} is no IAM action; map {call.service} {call.operation} by hand")
    action = f"{prefix}:{details['name']}"
    types = _authorization_data().resource_types(prefix)
    lower = prefix == "sagemaker"  # SageMaker ARNs carry names in lower case
    derived = (
        _sagemaker_context(call.operation, call.params, call.region, world.account) if prefix == "sagemaker" else {}
    )
    requests: list[Request] = []
    required = [r for r in details["resourceTypes"] if r["required"]]
    for resource_type in required:
        arn = _arn_for(
            types[resource_type["name"]],
            call.params,
            partition=world.partition,
            region=call.region,
            account=world.account,
            lower=lower,
        )
        if arn is None:
            raise AuthzError(
                f"{label}: no parameter names its {resource_type['name']} ({types[resource_type['name']]['arn']})"
            )
        requests.append(world.request(principal, action, arn, context=context, derived_context=derived, label=label))
    if not details["resourceTypes"]:
        requests.append(world.request(principal, action, "*", context=context, derived_context=derived, label=label))
    elif not required:
        raise AuthzError(f"{label}: {action} has only optional resource types; map it by hand")
    for key in ("ExecutionRoleArn", "RoleArn"):
        if isinstance(call.params.get(key), str):
            requests.append(
                world.request(
                    principal,
                    "iam:PassRole",
                    call.params[key],
                    derived_context={"iam:PassedToService": f"{prefix}.amazonaws.com"},
                    label=f"{label} (passes {key})",
                )
            )
    if prefix == "sagemaker" and call.operation.startswith("Create") and call.params.get("Tags") and requests:
        requests.append(
            world.request(
                principal,
                "sagemaker:AddTags",
                requests[0].resource,
                context=context,
                derived_context={**_tag_context(call.params["Tags"]), "sagemaker:TaggingAction": call.operation},
                label=f"{label} (tags on create)",
            )
        )
    return requests


def unique(requests: Iterable[Request]) -> list[Request]:
    """`requests` without repeats (the same call stubbed by several tests)."""
    seen, kept = set(), []
    for request in requests:
        key = json.dumps([request.action, request.resource, request.full_context()], sort_keys=True)
        if key not in seen:
            seen.add(key)
            kept.append(request)
    return kept
